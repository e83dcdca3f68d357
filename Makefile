# thag_profiler for C. `make demo` profiles an example and draws flamegraphs;
# `make test` runs every test; `make bench` prints benchmark ratios.
# Both install missing Debian packages (scripts/deps.sh) first.

CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
BUILD := build
PREFIX ?= /usr/local
DESTDIR ?=
THREADS := -pthread

ALL_TARGETS :=
TEST_TARGETS :=
BENCH_TARGETS :=
INSTALL_TARGETS :=

EXAMPLES := wordfreq recurse workers
EXAMPLE_BINS := $(EXAMPLES:%=$(BUILD)/examples/time/%) $(EXAMPLES:%=$(BUILD)/examples/full/%) \
                $(EXAMPLES:%=$(BUILD)/examples/off/%)

.DEFAULT_GOAL := all
.PHONY: all deps demo test test-core bench bench-core install install-header clean examples

-include $(sort $(wildcard mk/*.mk))

all: examples $(ALL_TARGETS)

deps:
	@scripts/deps.sh

examples: $(EXAMPLE_BINS)

$(BUILD)/examples/time/%: examples/%.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -DTHAG_TIME_PROFILING -I. $< -o $@ $(THREADS)

$(BUILD)/examples/full/%: examples/%.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fno-omit-frame-pointer $(WARN) -DTHAG_FULL_PROFILING -I. $< -o $@ $(THREADS) -lmimalloc

$(BUILD)/examples/off/%: examples/%.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -I. $< -o $@ $(THREADS)

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

test: deps
	@scripts/test-all.sh test-core $(TEST_TARGETS)

test-core:
	@tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory bench-core $(BENCH_TARGETS)

bench-core:
	@bench/run.sh
	@bench/alloc.sh

install: install-header $(INSTALL_TARGETS)

install-header:
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 thag_profiler.h $(DESTDIR)$(PREFIX)/include/thag_profiler.h
	sed 's|@PREFIX@|$(PREFIX)|' thag_profiler.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/thag_profiler.pc

clean:
	rm -rf $(BUILD)
