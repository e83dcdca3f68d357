# mk/flamegraph.mk - build, test, benchmark, fuzz and install tools/flamegraph.c.
# Included by the top-level Makefile; also usable alone: make -f mk/flamegraph.mk test-flamegraph
#
#   flamegraph        build/flamegraph
#   test-flamegraph   golden, reference, hostile-input and browser tests (tests/flamegraph/)
#   bench-flamegraph  time it on a generated BENCH_LINES-line file (and flamegraph.pl if present)
#   fuzz-flamegraph   libFuzzer (clang) on the parser and SVG writer for FUZZ_SECONDS seconds
#   install-flamegraph  $(DESTDIR)$(PREFIX)/bin/thag-flamegraph (not `flamegraph`: inferno and the
#                     Rust crate install commands of that name)
#   tools/flamegraph  a link to build/flamegraph, so `tools/flamegraph < in.folded > out.svg` works

include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc
BENCH_LINES ?= 1000000
FUZZ_SECONDS ?= 60
FG_WORK := $(BUILD)/flamegraph.work
FG_WARN := $(TOOL_WARN)
FG_CFLAGS ?= -std=c99 -O2 $(FG_WARN)

ALL_TARGETS += flamegraph
TEST_TARGETS += test-flamegraph
BENCH_TARGETS += bench-flamegraph
INSTALL_TARGETS += install-flamegraph

.PHONY: flamegraph test-flamegraph bench-flamegraph fuzz-flamegraph install-flamegraph

flamegraph: $(BUILD)/flamegraph tools/flamegraph

tools/flamegraph: $(BUILD)/flamegraph
	ln -sf $(abspath $(BUILD))/flamegraph $@

$(BUILD)/flamegraph: tools/flamegraph.c tools/folded.h
	@mkdir -p $(BUILD)
	$(CC) $(FG_CFLAGS) -o $@ tools/flamegraph.c -lm

# The tests also build the tool with clang (when present) to keep both compilers warning-free.
test-flamegraph: $(BUILD)/flamegraph tools/flamegraph
	@mkdir -p $(FG_WORK)
	FG=$(BUILD)/flamegraph WORK=$(FG_WORK) CC="$(CC)" FG_WARN="$(FG_WARN)" \
	  bash tests/flamegraph/run.sh

$(FG_WORK)/gen: bench/flamegraph/gen.c
	@mkdir -p $(FG_WORK)
	$(CC) -std=c99 -O2 -Wall -Wextra -o $@ $<

bench-flamegraph: $(BUILD)/flamegraph $(FG_WORK)/gen
	FG=$(BUILD)/flamegraph GEN=$(FG_WORK)/gen WORK=$(FG_WORK) BENCH_LINES=$(BENCH_LINES) \
	  bash bench/flamegraph/bench.sh

$(FG_WORK)/fuzz: tests/flamegraph/fuzz.c tools/flamegraph.c tools/folded.h
	@mkdir -p $(FG_WORK)
	clang -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -I/usr/include/libxml2 -o $@ tests/flamegraph/fuzz.c -lxml2 -lm

fuzz-flamegraph: $(FG_WORK)/fuzz
	@mkdir -p $(FG_WORK)/corpus
	cp -n tests/flamegraph/cases/*.folded $(FG_WORK)/corpus/ 2>/dev/null || true
	$(FG_WORK)/fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	  -artifact_prefix=$(FG_WORK)/ $(FG_WORK)/corpus

install-flamegraph: $(BUILD)/flamegraph
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/flamegraph $(DESTDIR)$(PREFIX)/bin/thag-flamegraph
