# thag-run (tools/run.c) and libthag_preload.so (tools/preload.c): memory profiling of
# unmodified programs. Included by the top Makefile; also usable alone:
#   make -f mk/run.mk thag-run test-run bench-run
include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc

RUN_WARN := $(TOOL_WARN)
RUN_CFLAGS := -std=c11 -O2 -g $(RUN_WARN)
# The preload library compiles the header's implementation: the header's own warning set.
RUN_SO_FLAGS := -O2 -g -Wall -Wextra -Wshadow -Werror -DTHAG_FULL_PROFILING -fPIC -shared -I.
RUN_SO_LIBS := -lmimalloc -pthread -ldl

ALL_TARGETS += thag-run
TEST_TARGETS += test-run
BENCH_TARGETS += bench-run
INSTALL_TARGETS += install-run

.PHONY: thag-run test-run bench-run install-run

thag-run: $(BUILD)/thag-run $(BUILD)/libthag_preload.so

$(BUILD)/thag-run: tools/run.c tools/folded.h
	@mkdir -p $(@D)
	$(CC) $(RUN_CFLAGS) -Itools tools/run.c -o $@

$(BUILD)/libthag_preload.so: tools/preload.c thag_profiler.h
	@mkdir -p $(@D)
	$(CC) $(RUN_SO_FLAGS) tools/preload.c -o $@ $(RUN_SO_LIBS)

# Both sources must also build warning-free with the other compiler.
$(BUILD)/run/thag-run-clang: tools/run.c tools/folded.h
	@mkdir -p $(@D)
	clang $(RUN_CFLAGS) -Itools tools/run.c -o $@

$(BUILD)/run/thag-run-gcc: tools/run.c tools/folded.h
	@mkdir -p $(@D)
	gcc $(RUN_CFLAGS) -Itools tools/run.c -o $@

$(BUILD)/run/libthag_preload-clang.so: tools/preload.c thag_profiler.h
	@mkdir -p $(@D)
	clang $(RUN_SO_FLAGS) tools/preload.c -o $@ $(RUN_SO_LIBS)

test-run: thag-run $(BUILD)/run/thag-run-clang $(BUILD)/run/thag-run-gcc $(BUILD)/run/libthag_preload-clang.so
	BUILD=$(BUILD) tests/run/test.sh

bench-run: thag-run
	BUILD=$(BUILD) bench/run/bench.sh

install-run: thag-run
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/thag
	install -m 755 $(BUILD)/thag-run $(DESTDIR)$(PREFIX)/bin/thag-run
	install -m 644 $(BUILD)/libthag_preload.so $(DESTDIR)$(PREFIX)/lib/thag/libthag_preload.so
