# Strict warnings (tests/strict): the header adds no warning to a project's
# -Werror build, in every mode, C99..C2x (ISO and GNU) and C++11..C++20, gcc
# and clang. Included by the top Makefile; also usable alone:
#   make -f mk/strict.mk test-strict
TEST_TARGETS += test-strict

.PHONY: test-strict

test-strict:
	@tests/strict/run.sh
