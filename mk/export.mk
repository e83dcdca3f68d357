# thag-export (tools/export.c): a run as pprof, Trace Event JSON or speedscope JSON.
# Included by the top Makefile; also usable alone: make -f mk/export.mk thag-export test-export
#   thag-export      build/thag-export
#   test-export      tests/export/run.sh: go tool pprof, speedscope in chromium, ajv, bad input
#   bench-export     export a BENCH_LINES-line profile; CPU ratio to build/flamegraph on it
#   install-export   $(DESTDIR)$(PREFIX)/bin/thag-export
include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc

EXPORT_CFLAGS := -std=c11 -O2 -g $(TOOL_WARN)
EXPORT_SRC := tools/export.c tools/folded.h
EXPORT_WORK := $(BUILD)/export.work
BENCH_LINES ?= 1000000

ALL_TARGETS += thag-export
TEST_TARGETS += test-export
BENCH_TARGETS += bench-export
INSTALL_TARGETS += install-export

.PHONY: thag-export test-export bench-export install-export

thag-export: $(BUILD)/thag-export

$(BUILD)/thag-export: $(EXPORT_SRC)
	@mkdir -p $(@D)
	$(CC) $(EXPORT_CFLAGS) -o $@ tools/export.c

# The same source must also build warning-free with the other compiler.
$(EXPORT_WORK)/thag-export-clang: $(EXPORT_SRC)
	@mkdir -p $(@D)
	clang $(EXPORT_CFLAGS) -o $@ tools/export.c

$(EXPORT_WORK)/thag-export-gcc: $(EXPORT_SRC)
	@mkdir -p $(@D)
	gcc $(EXPORT_CFLAGS) -o $@ tools/export.c

# The tests profile the examples (built by the top Makefile) and examples/coro.c,
# examples/uvserver.c, tests/e2e/sections.c (built by run.sh).
test-export: $(BUILD)/thag-export $(EXPORT_WORK)/thag-export-clang $(EXPORT_WORK)/thag-export-gcc \
             $(BUILD)/examples/full/wordfreq $(BUILD)/examples/time/workers
	EXP=$(BUILD)/thag-export BUILD=$(BUILD) WORK=$(EXPORT_WORK) bash tests/export/run.sh

bench-export: $(BUILD)/thag-export $(BUILD)/flamegraph
	EXP=$(BUILD)/thag-export FG=$(BUILD)/flamegraph WORK=$(EXPORT_WORK) BENCH_LINES=$(BENCH_LINES) \
	  bash bench/export.sh

install-export: $(BUILD)/thag-export
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/thag-export $(DESTDIR)$(PREFIX)/bin/thag-export
