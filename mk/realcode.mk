# Real code bases (tests/realcode/): the whole workflow (thag-instrument, the
# project's own build, its workload, flamegraph, thag-analyze, thag-remove,
# automatic mode, thag-run) on C projects nobody here wrote, from Debian
# source packages (memcached, lz4, lua5.4; REALCODE_PROJECTS=... for a subset). Included by the top Makefile; also
# usable alone: make -f mk/realcode.mk -f mk/instrument.mk -f mk/flamegraph.mk \
#   -f mk/analyze.mk -f mk/run.mk test-realcode
# Sources are downloaded once into $(THAG_REALCODE_CACHE) (default
# ~/.cache/thag-realcode, kept by make clean) and unpacked into build/realcode/.
# Report: docs/realcode.md.
BUILD ?= build

TEST_TARGETS += test-realcode

.PHONY: test-realcode

test-realcode: $(BUILD)/thag-instrument $(BUILD)/thag-remove $(BUILD)/flamegraph $(BUILD)/thag-analyze \
		$(BUILD)/thag-run $(BUILD)/libthag_preload.so
	tests/realcode/run.sh $(BUILD) $(REALCODE_PROJECTS)
