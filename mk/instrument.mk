# thag-instrument / thag-remove (tools/instrument.c): build, test, install.
# Included by the top Makefile; also usable alone:
#   make -f mk/instrument.mk thag-instrument | test-instrument | install-instrument
include $(dir $(lastword $(MAKEFILE_LIST)))tools.inc

INSTRUMENT_WARN := $(TOOL_WARN)
INSTRUMENT_CFLAGS := -std=c99 -O2 -g $(INSTRUMENT_WARN)

ALL_TARGETS += thag-instrument
TEST_TARGETS += test-instrument
INSTALL_TARGETS += install-instrument

.PHONY: thag-instrument test-instrument install-instrument

thag-instrument: $(BUILD)/thag-instrument $(BUILD)/thag-remove

$(BUILD)/thag-instrument: tools/instrument.c
	@mkdir -p $(@D)
	$(CC) $(INSTRUMENT_CFLAGS) -o $@ tools/instrument.c

$(BUILD)/thag-remove: $(BUILD)/thag-instrument
	ln -sf thag-instrument $@

# The same source must build warning-free with both compilers.
$(BUILD)/instrument/thag-instrument-gcc $(BUILD)/instrument/thag-instrument-clang: tools/instrument.c
	@mkdir -p $(@D)
	$(patsubst thag-instrument-%,%,$(@F)) $(INSTRUMENT_CFLAGS) -o $@ tools/instrument.c

test-instrument: $(BUILD)/thag-instrument $(BUILD)/thag-remove \
		$(BUILD)/instrument/thag-instrument-gcc $(BUILD)/instrument/thag-instrument-clang
	tests/instrument/run.sh $(BUILD)

install-instrument: $(BUILD)/thag-instrument
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/thag-instrument $(DESTDIR)$(PREFIX)/bin/thag-instrument
	ln -sf thag-instrument $(DESTDIR)$(PREFIX)/bin/thag-remove
