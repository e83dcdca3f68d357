# thag-analyze (tools/analyze.c): build, test, bench, install. Included by the top Makefile;
# also usable alone: make -f mk/analyze.mk thag-analyze (tests: make -f mk/analyze.mk -f mk/flamegraph.mk test-analyze)
include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc

ANALYZE_WARN := $(TOOL_WARN)
ANALYZE_CFLAGS := -std=c11 -O2 -g $(ANALYZE_WARN)
ANALYZE_SRC := tools/analyze.c tools/analyze_json.h tools/analyze_term.h tools/folded.h
# The interactive tests open real SVGs when the flamegraph tool's fragment is there.
ANALYZE_FG := $(if $(wildcard mk/flamegraph.mk),$(BUILD)/flamegraph)

ALL_TARGETS += thag-analyze
TEST_TARGETS += test-analyze
BENCH_TARGETS += bench-analyze
INSTALL_TARGETS += install-analyze

.PHONY: thag-analyze test-analyze bench-analyze install-analyze

thag-analyze: $(BUILD)/thag-analyze

$(BUILD)/thag-analyze: $(ANALYZE_SRC)
	@mkdir -p $(@D)
	$(CC) $(ANALYZE_CFLAGS) -o $@ tools/analyze.c -lm

# The same source must also build warning-free with the other compiler.
$(BUILD)/analyze/thag-analyze-clang: $(ANALYZE_SRC)
	@mkdir -p $(@D)
	clang $(ANALYZE_CFLAGS) -o $@ tools/analyze.c -lm

$(BUILD)/analyze/thag-analyze-gcc: $(ANALYZE_SRC)
	@mkdir -p $(@D)
	gcc $(ANALYZE_CFLAGS) -o $@ tools/analyze.c -lm

test-analyze: $(BUILD)/thag-analyze $(BUILD)/analyze/thag-analyze-clang $(BUILD)/analyze/thag-analyze-gcc $(ANALYZE_FG)
	python3 tests/analyze/test_analyze.py $(BUILD)

bench-analyze: $(BUILD)/thag-analyze
	python3 tests/analyze/bench_analyze.py $(BUILD)

install-analyze: $(BUILD)/thag-analyze
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/thag-analyze $(DESTDIR)$(PREFIX)/bin/thag-analyze
