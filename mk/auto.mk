# Automatic instrumentation (-finstrument-functions + THAG_AUTO_INSTRUMENT)
# and the symboliser: tests and benchmark. Included by the top Makefile;
# also usable alone: make -f mk/auto.mk test-auto | bench-auto | autoprog
#   test-auto    tests/auto/run.sh: exact stacks, gcc and clang, -O0..-O3,
#                thag-instrument parity, exclusion, longjmp, threads, symbols
#   bench-auto   bench/auto.sh: ns per instrumented call vs uninstrumented
#                and vs uftrace
#   autoprog     build/auto/autoprog: the worked example of docs/auto.md
CC ?= cc
BUILD ?= build

TEST_TARGETS += test-auto
BENCH_TARGETS += bench-auto

.PHONY: test-auto bench-auto autoprog

AUTOPROG_SRC := $(wildcard examples/autoprog/*.c)

autoprog: $(BUILD)/auto/autoprog

$(BUILD)/auto/autoprog: $(AUTOPROG_SRC) examples/autoprog/autoprog.h thag_profiler.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -finstrument-functions -DTHAG_TIME_PROFILING -I. $(AUTOPROG_SRC) -o $@ -pthread

test-auto:
	tests/auto/run.sh $(BUILD)

bench-auto:
	bench/auto.sh $(BUILD)
