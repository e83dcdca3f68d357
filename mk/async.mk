# Async support (fibers, tasks; thag_profiler.h >>fibers, >>tasks): the
# examples built into build/async/, the tests, the benchmark. Included by
# the top Makefile; also usable alone:
#   make -f mk/async.mk test-async | bench-async | async-examples
CC ?= cc
BUILD ?= build

ASYNC_WARN := -Wall -Wextra -Wshadow -Werror
ASYNC_CFLAGS := -O2 -g $(ASYNC_WARN) -I. -DTHAG_TIME_PROFILING
ASYNC_BINS := $(BUILD)/async/coro $(BUILD)/async/uvserver

ALL_TARGETS += async-examples
TEST_TARGETS += test-async
BENCH_TARGETS += bench-async

.PHONY: async-examples test-async bench-async

async-examples: $(ASYNC_BINS)

$(BUILD)/async/coro: examples/coro.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(ASYNC_CFLAGS) $< -o $@ -pthread

$(BUILD)/async/uvserver: examples/uvserver.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(ASYNC_CFLAGS) $< -o $@ -pthread -luv

test-async:
	@BUILD=$(BUILD) tests/async/run.sh

bench-async:
	@BUILD=$(BUILD) bench/async.sh
