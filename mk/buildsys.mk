# Build-system integration: make install's pkg-config and CMake files, the
# repository's CMakeLists.txt and meson.build, the recipes of docs/projects.md.
# Included by the top Makefile; also usable alone: make -f mk/buildsys.mk test-buildsys
#   test-buildsys  tests/buildsys/run.sh: each recipe (CMake find_package,
#                  add_subdirectory, FetchContent; meson pkg-config, subproject;
#                  plain Makefiles with -Wl,--as-needed) built and run in
#                  time, full and off mode, against a make install DESTDIR=... staging
TEST_TARGETS += test-buildsys

.PHONY: test-buildsys

test-buildsys:
	@tests/buildsys/run.sh
