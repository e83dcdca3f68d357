# The flush race stress test under ThreadSanitizer (tests/stress/run.sh).
# Included by the top Makefile; also usable alone: make -f mk/stress.mk test-stress
TEST_TARGETS += test-stress
.PHONY: test-stress

test-stress:
	@tests/stress/run.sh
