# Memory at the peak, memory over time (massif.out, thag-analyze chart) and temporary
# allocations: tests/memtime/run.sh. Included by the top Makefile; also usable alone:
#   make -f mk/memtime.mk -f mk/analyze.mk -f mk/run.mk test-memtime
TEST_TARGETS += test-memtime
.PHONY: test-memtime

test-memtime: $(BUILD)/thag-analyze $(BUILD)/thag-run $(BUILD)/libthag_preload.so
	BUILD=$(BUILD) tests/memtime/run.sh
