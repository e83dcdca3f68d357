# mk/docs.mk - the documentation drift test (tests/docs/drift.py): every macro,
# function, environment variable, tool option and output file named in
# README.md, docs/ or the header's doc block exists in the code, and the
# other way round. Included by the top-level Makefile; also usable alone:
#   make -f mk/docs.mk test-docs
BUILD ?= build

TEST_TARGETS += test-docs

.PHONY: test-docs

# The tools' --help output is a source of truth: build them first.
test-docs: $(BUILD)/flamegraph $(BUILD)/thag-analyze $(BUILD)/thag-instrument $(BUILD)/thag-run \
           $(if $(wildcard mk/export.mk),$(BUILD)/thag-export)
	BUILD=$(BUILD) python3 tests/docs/drift.py
