# thag_profiler for C. `make demo` profiles an example and draws flamegraphs;
# `make test` runs every test; `make bench` prints benchmark ratios; `make
# help` lists the targets. Each installs the missing Debian packages it needs
# (scripts/deps.sh): the demo only mk/demo.deps, the tests every mk/*.deps.

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
.PHONY: all deps demo-deps demo test test-core bench bench-core install install-header clean examples help

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

demo-deps:
	@scripts/deps.sh mk/demo.deps

demo: demo-deps
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

help:
	@echo "make demo      build everything, profile the examples, draw flamegraphs (build/demo/)"
	@echo "make test      every test suite; the total at the end (installs what the tests need)"
	@echo "make bench     benchmarks, as ratios against a baseline of the same run"
	@echo "make           build the examples and the tools into build/ (tools/flamegraph links to it)"
	@echo "make install   header, tools, pkg-config files, CMake package (PREFIX=$(PREFIX), DESTDIR)"
	@echo "make clean     remove build/"
	@echo "make deps      install the Debian packages of every suite (scripts/deps.sh)"
	@echo "one suite:     $(sort $(TEST_TARGETS)) test-core"
	@echo "other:         fuzz-flamegraph, bench-run, and the per-tool targets of mk/*.mk"

clean:
	rm -rf $(BUILD) tools/flamegraph
