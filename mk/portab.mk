# Portability (tests/portab): the core end-to-end programs with musl-gcc
# (dynamic and static) and cross-built for aarch64, run under
# qemu-aarch64-static; on aarch64 the clock (CNTVCT_EL0) and, with the
# arm64 mimalloc, the memory exactness and detail tests. Included by the
# top Makefile; also usable alone:
#   make -f mk/portab.mk test-portab    the suite (about a minute)
#   make -f mk/portab.mk bench-portab   bench/scope.c under qemu: the cost of
#                                       a scope with the counter vs CLOCK_MONOTONIC
#   make -f mk/portab.mk portab-setup   as root: the arm64 multiarch package
#                                       (the suite runs it itself when needed)
TEST_TARGETS += test-portab
BENCH_TARGETS += bench-portab

.PHONY: test-portab bench-portab portab-setup

test-portab:
	@tests/portab/run.sh

bench-portab:
	@bench/portab.sh

portab-setup:
	@tests/portab/setup.sh
