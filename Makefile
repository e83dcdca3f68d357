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

# install: the header, the pkg-config files (thag_profiler: header only;
# thag_profiler_time, thag_profiler_full: with the switch and the libraries),
# the CMake package (find_package(thag_profiler CONFIG): thag_profiler::time,
# thag_profiler::full, thag_profiler::thag_profiler), and each fragment's
# tools ($(INSTALL_TARGETS)). The .pc files hold PREFIX (DESTDIR only stages);
# the CMake files are relocatable. docs/projects.md says how to use them.
THAG_VERSION = $(shell sed -n 's/^\#define THAG_PROFILER_VERSION_STRING "\(.*\)"/\1/p' thag_profiler.h)
PKG_CONFIG ?= pkg-config
# mimalloc: through its .pc where it has one (not Debian 12's), else -lmimalloc.
THAG_MI_PC = $(shell $(PKG_CONFIG) --exists mimalloc 2>/dev/null && echo yes)
THAG_COMMA := ,
THAG_PC_SED = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(THAG_VERSION)|g' \
  -e 's|@MIMALLOC_REQUIRES@|$(if $(THAG_MI_PC),$(THAG_COMMA) mimalloc)|g' \
  -e 's|@MIMALLOC_LIBS@|$(if $(THAG_MI_PC),,-lmimalloc )|g'
PCDIR = $(DESTDIR)$(PREFIX)/lib/pkgconfig
CMAKEDIR = $(DESTDIR)$(PREFIX)/lib/cmake/thag_profiler

.PHONY: install-pkgconfig install-cmake

install: install-header install-pkgconfig install-cmake $(INSTALL_TARGETS)

install-header:
	install -d $(DESTDIR)$(PREFIX)/include
	install -m 644 thag_profiler.h $(DESTDIR)$(PREFIX)/include/thag_profiler.h

install-pkgconfig:
	install -d $(PCDIR)
	for pc in thag_profiler thag_profiler_time thag_profiler_full; do \
	  sed $(THAG_PC_SED) pkgconfig/$$pc.pc.in > $(PCDIR)/$$pc.pc && chmod 644 $(PCDIR)/$$pc.pc || exit 1; done

install-cmake:
	install -d $(CMAKEDIR)
	install -m 644 cmake/thag_profiler-config.cmake cmake/thag_profiler-targets.cmake $(CMAKEDIR)/
	sed 's|@VERSION@|$(THAG_VERSION)|g' cmake/thag_profiler-config-version.cmake.in \
	  > $(CMAKEDIR)/thag_profiler-config-version.cmake && chmod 644 $(CMAKEDIR)/thag_profiler-config-version.cmake

clean:
	rm -rf $(BUILD)
