# mk/flamegraph.mk - build, test, benchmark, fuzz and install tools/flamegraph.c.
# Included by the top-level Makefile; also usable alone: make -f mk/flamegraph.mk test-flamegraph
#
#   flamegraph        build/flamegraph
#   test-flamegraph   golden, reference, hostile-input and browser tests (tests/flamegraph/)
#   bench-flamegraph  time it on a generated BENCH_LINES-line file (and flamegraph.pl if present)
#   fuzz-flamegraph   libFuzzer on the parser and SVG writer: tests/fuzz's flamegraph target alone
#                     for FUZZ_RUNS executions (mk/fuzz.mk)
#   install-flamegraph  $(DESTDIR)$(PREFIX)/bin/thag-flamegraph (not `flamegraph`: inferno and the
#                     Rust crate install commands of that name)
#   tools/flamegraph  a link to build/flamegraph, so `tools/flamegraph < in.folded > out.svg` works

include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc
BENCH_LINES ?= 1000000
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

# One harness for the tool: tests/fuzz/fuzz_flamegraph.c (its rule is in mk/fuzz.mk, included
# after this file, so the prerequisite is spelled out).
fuzz-flamegraph: $(BUILD)/fuzz/fuzz_flamegraph
	@tests/fuzz/run.sh fuzz $(BUILD)/fuzz $(FUZZ_RUNS) flamegraph

install-flamegraph: $(BUILD)/flamegraph
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/flamegraph $(DESTDIR)$(PREFIX)/bin/thag-flamegraph
