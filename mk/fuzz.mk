# Fuzzing (tests/fuzz/): libFuzzer targets built with clang -fsanitize=fuzzer,address,undefined
# for tools/folded.h, thag-instrument, thag-analyze and flamegraph (tests/fuzz/README.md says
# what each one checks). Included by the top Makefile; also usable alone:
#   make -f mk/fuzz.mk fuzz | test-fuzz | fuzz-targets
#   fuzz          each target for FUZZ_RUNS executions (100000) from its seed corpus and
#                 regression files; new inputs go to build/fuzz/corpus/<target>, findings to
#                 build/fuzz/artifacts/ (not part of make test; a few minutes on 2 cores)
#   test-fuzz     (make test) each target once over its committed corpus and regression
#                 files: a few seconds
#   test-fuzz-args (make test) every option of every tool with hostile values, the tools
#                 built with ASan and UBSan (tests/fuzz/args.sh): about 30 s
#   test-fuzz-pending  the regression inputs of tests/fuzz/pending/ (known bugs in code this
#                 suite does not own, expected to pass once fixed)
BUILD ?= build
FUZZ_RUNS ?= 100000
FUZZ_TARGETS := folded instrument analyze flamegraph export
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_FLAGS_flamegraph := -I/usr/include/libxml2
FUZZ_LIBS_flamegraph := -lxml2 -lm
FUZZ_LIBS_analyze := -lm
FUZZ_LIBS_export := -lm

TEST_TARGETS += test-fuzz test-fuzz-args

.PHONY: fuzz test-fuzz test-fuzz-args test-fuzz-pending fuzz-targets

fuzz-targets: $(FUZZ_BINS)

$(FUZZ_DIR)/fuzz_folded: tools/folded.h
$(FUZZ_DIR)/fuzz_instrument: tools/instrument.c
$(FUZZ_DIR)/fuzz_analyze: tools/analyze.c tools/analyze_json.h tools/analyze_term.h tools/folded.h
$(FUZZ_DIR)/fuzz_flamegraph: tools/flamegraph.c tools/folded.h
$(FUZZ_DIR)/fuzz_export: tools/export.c tools/folded.h tools/analyze_json.h

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(FUZZ_FLAGS_$*) -o $@ $< $(FUZZ_LIBS_$*)

fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh fuzz $(FUZZ_DIR) $(FUZZ_RUNS) $(FUZZ_TARGETS)

test-fuzz: $(FUZZ_BINS)
	@tests/fuzz/run.sh regress $(FUZZ_DIR) 0 $(FUZZ_TARGETS)

test-fuzz-args:
	@tests/fuzz/args.sh $(FUZZ_DIR)/args

test-fuzz-pending: $(FUZZ_BINS)
	@tests/fuzz/run.sh pending $(FUZZ_DIR) 0 $(FUZZ_TARGETS)
