#!/bin/bash
# tests/buildsys/run.sh (make test-buildsys): every way docs/projects.md
# gives to add thag_profiler to a project, each built and run in time, full
# and off mode (tests/buildsys/sample: main.c with the implementation and
# THAG_ENABLE_PROFILING(yes), work.c with the profiled work()):
#   make install DESTDIR=... PREFIX=...: the files, the .pc files' flags
#   CMake: find_package (the staged install), add_subdirectory, FetchContent
#          (a file:// git clone of this tree), the tools built by CMake
#   meson: pkg-config (the staged install), subproject (subprojects/ symlink)
#   make:  the project's own Makefile with -Wl,--as-needed, header by path
#          and by pkg-config; the LDFLAGS mistake fails under --as-needed
# A run must write <prog>-<stamp>.folded with main;work, and in full mode
# -memory.folded with main;work and the exact bytes work() asked for.
set -u
cd "$(dirname "$0")/../.."
REPO=$(pwd)
. tests/lib.sh
unset THAG_PROFILER PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH
T=$TMPROOT
[ -n "${KEEP:-}" ] && trap 'echo "kept $T (KEEP)"' EXIT
VERSION=$(sed -n 's/^#define THAG_PROFILER_VERSION_STRING "\(.*\)"/\1/p' thag_profiler.h)
PREFIX=/opt/thag_profiler-test
STAGE=$T/stage
INST=$STAGE$PREFIX
WORK_BYTES=2400000 # work(300000): 300000 unsigned longs
log() { local f=$1; shift; "$@" >"$f" 2>&1 || { tail -30 "$f"; return 1; }; }

# sample DIR CONSUMER: a copy of one consumer project with the sample program
# in sample/ (CMake, meson) or beside it (Makefiles).
sample() {
    mkdir -p "$1"
    case $2 in make*) cp tests/buildsys/sample/* "$1/";; *) cp -r tests/buildsys/sample "$1/";; esac
    cp tests/buildsys/$2/* "$1/"
}

# runs TAG BIN MODE: BIN runs in a fresh directory and writes what MODE means.
runs() {
    local tag=$1 bin=$2 mode=$3 d f name
    name=$(basename "$bin")
    d=$T/run/$tag-$mode
    mkdir -p "$d"
    if ! (cd "$d" && "$bin" >stdout 2>stderr); then
        bad "$tag $mode: $name runs" "$(cat "$d/stderr")"; return
    fi
    ok "$tag $mode: $name runs"
    if [ "$mode" = off ]; then
        check "$tag off: no profile written" bash -c "! ls '$d' | grep -q folded"
        return
    fi
    if f=$(one "$d/$name-*[0-9].folded") && data "$f" | grep -Eq '^main;work [1-9][0-9]*$'; then
        ok "$tag $mode: main;work in $(basename "$f")"
    else
        bad "$tag $mode: main;work in $name-<stamp>.folded" "$(ls "$d"; cat "$d/stderr"; data "${f:-/dev/null}")"
    fi
    if [ "$mode" = full ]; then
        if f=$(one "$d/$name-*-memory.folded") && data "$f" | grep -qx "main;work $WORK_BYTES"; then
            ok "$tag full: main;work $WORK_BYTES bytes in -memory.folded"
        else
            bad "$tag full: main;work $WORK_BYTES bytes in -memory.folded" "$(ls "$d"; data "${f:-/dev/null}")"
        fi
    fi
}

check "the header's version ($VERSION) reads as x.y.z" bash -c "[[ '$VERSION' =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]"

# ---- make install ----------------------------------------------------------
# The library's files first (what the rest uses), then everything with the
# tools, so that a tool that fails to build fails one check, not all.
if log "$T/install-lib.log" make --no-print-directory install-header install-pkgconfig install-cmake DESTDIR="$STAGE" PREFIX="$PREFIX"; then
    ok "make install-header install-pkgconfig install-cmake DESTDIR PREFIX"
else
    bad "make install-header install-pkgconfig install-cmake DESTDIR PREFIX" "$(tail -20 "$T/install-lib.log")"
fi
if log "$T/install.log" make --no-print-directory install DESTDIR="$STAGE" PREFIX="$PREFIX"; then
    ok "make install DESTDIR PREFIX"
else
    bad "make install DESTDIR PREFIX" "$(tail -20 "$T/install.log")"
fi
want="include/thag_profiler.h lib/pkgconfig/thag_profiler.pc lib/pkgconfig/thag_profiler_time.pc
  lib/pkgconfig/thag_profiler_full.pc lib/cmake/thag_profiler/thag_profiler-config.cmake
  lib/cmake/thag_profiler/thag_profiler-config-version.cmake lib/cmake/thag_profiler/thag_profiler-targets.cmake"
[ -e mk/flamegraph.mk ] && want="$want bin/thag-flamegraph"
[ -e mk/analyze.mk ] && want="$want bin/thag-analyze"
[ -e mk/instrument.mk ] && want="$want bin/thag-instrument bin/thag-remove"
[ -e mk/run.mk ] && want="$want bin/thag-run lib/thag/libthag_preload.so"
for f in $want; do
    check "installed: $f" test -e "$INST/$f"
done
check "installed: nothing outside DESTDIR/PREFIX" test "$(cd "$STAGE" && find . -maxdepth 2)" = "$(printf '.\n./opt\n./opt/thag_profiler-test')"
check "installed header = thag_profiler.h" cmp thag_profiler.h "$INST/include/thag_profiler.h"

# ---- pkg-config ------------------------------------------------------------
pc() { PKG_CONFIG_PATH=$INST/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$STAGE pkg-config "$@"; }
# has "FLAGS" WORD... / hasnt "FLAGS" WORD...: whole words in a flag list.
has() { local s=" $1 "; shift; for w; do [[ $s == *" $w "* ]] || { echo "no $w in: $s"; return 1; }; done; }
hasnt() { local s=" $1 "; shift; for w; do [[ $s != *" $w "* ]] || { echo "$w in: $s"; return 1; }; done; }
for p in thag_profiler thag_profiler_time thag_profiler_full; do
    check "pkg-config --modversion $p = $VERSION" test "$(pc --modversion $p)" = "$VERSION"
    check "pkg-config --validate $p" pc --validate $p
done
inc=-I$INST/include
flags=$(pc --cflags --libs thag_profiler)
check "pkg-config thag_profiler: $flags" bash -c "$(declare -f has hasnt); has '$flags' $inc -pthread &&
  hasnt '$flags' -DTHAG_TIME_PROFILING -DTHAG_FULL_PROFILING -lmimalloc -lstb"
flags=$(pc --cflags --libs thag_profiler_time)
check "pkg-config thag_profiler_time: $flags" bash -c "$(declare -f has hasnt); has '$flags' $inc -DTHAG_TIME_PROFILING -pthread &&
  hasnt '$flags' -DTHAG_FULL_PROFILING -lmimalloc -lstb"
flags=$(pc --cflags --libs thag_profiler_full)
check "pkg-config thag_profiler_full: $flags" bash -c "$(declare -f has hasnt); has '$flags' $inc -DTHAG_FULL_PROFILING -lmimalloc -pthread &&
  hasnt '$flags' -DTHAG_TIME_PROFILING -lstb"
# stb is declared (Requires.private: its -I, not its -lstb).
check "pkg-config: stb required privately" bash -c "PKG_CONFIG_PATH='$INST/lib/pkgconfig' pkg-config --print-requires-private thag_profiler | grep -qx stb"
# Without DESTDIR's sysroot the flags name PREFIX.
check "pkg-config: the flags name PREFIX" bash -c "$(declare -f has); has \"\$(PKG_CONFIG_PATH='$INST/lib/pkgconfig' pkg-config --cflags thag_profiler_time)\" -I$PREFIX/include"
# Where mimalloc has a .pc, thag_profiler_full.pc requires it instead of -lmimalloc.
mkdir -p "$T/mipc"
printf 'Name: mimalloc\nDescription: fake\nVersion: 2.1.0\nLibs: -L/fake -lmimalloc\nCflags: -I/fake/include\n' > "$T/mipc/mimalloc.pc"
if log "$T/mipc.log" env PKG_CONFIG_PATH="$T/mipc" make --no-print-directory install-pkgconfig DESTDIR="$T/stage-mipc" PREFIX="$PREFIX"; then
    flags=$(PKG_CONFIG_PATH=$T/stage-mipc$PREFIX/lib/pkgconfig:$T/mipc pkg-config --cflags --libs thag_profiler_full)
    check "pkg-config with mimalloc.pc: Requires mimalloc: $flags" bash -c "$(declare -f has); has '$flags' -DTHAG_FULL_PROFILING -I/fake/include -L/fake -lmimalloc -pthread &&
      grep -q '^Requires: thag_profiler = $VERSION, mimalloc$' '$T/stage-mipc$PREFIX/lib/pkgconfig/thag_profiler_full.pc'"
else
    bad "make install-pkgconfig with a mimalloc.pc" "$(tail "$T/mipc.log")"
fi

# ---- CMake -----------------------------------------------------------------
# cmake_case TAG CONFIGURE-ARGS...: configures and builds tests/buildsys/cmake, runs the programs.
cmake_case() {
    local tag=$1 src=$T/$1/src b=$T/$1/build m; shift
    sample "$src" cmake
    if log "$T/$tag.log" cmake -S "$src" -B "$b" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" &&
        log "$T/$tag.build.log" cmake --build "$b" -j2; then
        ok "$tag: configure and build"
    else
        bad "$tag: configure and build" "$(tail -30 "$T/$tag.log" "$T/$tag.build.log" 2>/dev/null)"; return 1
    fi
    for m in time full off; do runs "$tag" "$b/app_$m" $m; done
}
if cmake_case cmake-find_package -DTHAG_HOW=find_package -DCMAKE_PREFIX_PATH="$INST"; then
    check "cmake-find_package: the header from the install" grep -q -- "-isystem $INST/include" "$T/cmake-find_package/build/compile_commands.json"
    check "cmake-find_package: THAG_FULL_PROFILING for app_full only" bash -c \
        "grep -c -- -DTHAG_FULL_PROFILING '$T/cmake-find_package/build/compile_commands.json' | grep -qx 2"
fi
# mimalloc without its CMake package: find_library's; without mimalloc at all:
# COMPONENTS full fails with the message.
src=$T/cmake-find_package/src b=$T/cmake-nomi
if log "$b.log" cmake -S "$src" -B "$b/1" -DTHAG_HOW=find_package -DCMAKE_PREFIX_PATH="$INST" -DCMAKE_DISABLE_FIND_PACKAGE_mimalloc=ON; then
    check "cmake: mimalloc by find_library without its CMake package" \
        grep -q 'libmimalloc.so ' "$b/1/CMakeFiles/app_full.dir/link.txt"
else
    bad "cmake: mimalloc by find_library without its CMake package" "$(tail "$b.log")"
fi
check "cmake: COMPONENTS full without mimalloc fails, saying why" bash -c "! cmake -S '$src' -B '$b/2' -DTHAG_HOW=find_package \
    -DCMAKE_PREFIX_PATH='$INST' -DCMAKE_DISABLE_FIND_PACKAGE_mimalloc=ON \
    '-DCMAKE_IGNORE_PATH=/usr/lib/x86_64-linux-gnu;/lib/x86_64-linux-gnu;/usr/lib;/lib;/usr/local/lib' >'$b/2.log' 2>&1 &&
    tr -s ' \n' ' ' < '$b/2.log' | grep -q 'component full needs mimalloc, not found'"
# The version file: 0.1 requests are met, 0.2 and 1.0 not.
printf 'include("%s")\nmessage("${PACKAGE_VERSION_COMPATIBLE}")\n' \
    "$INST/lib/cmake/thag_profiler/thag_profiler-config-version.cmake" > "$T/version.cmake"
for req in "0.1:TRUE" "0.1.0:TRUE" "0:FALSE" "0.2:FALSE" "1.0:FALSE" "0.0.9:FALSE"; do
    v=${req%:*} exp=${req#*:}
    got=$(cmake -DPACKAGE_FIND_VERSION=$v -DPACKAGE_FIND_VERSION_MAJOR="$(echo $v. | cut -d. -f1)" \
        -DPACKAGE_FIND_VERSION_MINOR="$(echo $v.0 | cut -d. -f2)" -P "$T/version.cmake" 2>&1)
    check "cmake version file: $VERSION meets $v: $exp" test "$got" = "$exp"
done
if cmake_case cmake-add_subdirectory -DTHAG_HOW=subdirectory -DTHAG_SOURCE_DIR="$REPO"; then
    check "cmake-add_subdirectory: the header from the tree" grep -q -- "-isystem $REPO " "$T/cmake-add_subdirectory/build/compile_commands.json"
    check "cmake-add_subdirectory: no tools built" bash -c "! find '$T/cmake-add_subdirectory/build/thag_profiler' -name flamegraph | grep -q ."
fi
# FetchContent from a git repository of this tree (its files as they are now), over file://.
git=$T/git/thag_profiler
mkdir -p "$git"
git ls-files -z --cached --others --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf - | tar -xf - -C "$git"
(cd "$git" && git -c init.defaultBranch=main init -q && git add -A &&
    git -c user.name=test -c user.email=test@example.com -c commit.gpgsign=false commit -q -m snapshot)
rev=$(git -C "$git" rev-parse HEAD)
cmake_case cmake-FetchContent -DTHAG_HOW=fetchcontent -DTHAG_GIT_URL="file://$git" -DTHAG_GIT_TAG="$rev" &&
    check "cmake-FetchContent: cloned" test -e "$T/cmake-FetchContent/build/_deps/thag_profiler-src/thag_profiler.h"

# The tree as the top project: the tools too; its flamegraph draws a profile written above.
b=$T/cmake-tools
if log "$T/cmake-tools.log" cmake -S "$REPO" -B "$b" -DCMAKE_BUILD_TYPE=Debug && log "$T/cmake-tools.build.log" cmake --build "$b" -j2; then
    ok "cmake top-level: configure and build the tools"
    for t in flamegraph thag-analyze thag-instrument thag-remove thag-run libthag_preload.so; do
        check "cmake top-level: built $t" test -e "$b/$t"
    done
    f=$(one "$T/run/cmake-find_package-time/app_time-*[0-9].folded") &&
        check "cmake top-level: its flamegraph draws app_time's profile" bash -c "'$b/flamegraph' '$f' | grep -q 'main;work\|>work<\|work ('"
else
    bad "cmake top-level: configure and build the tools" "$(tail -30 "$T/cmake-tools.log" "$T/cmake-tools.build.log" 2>/dev/null)"
fi

# ---- meson -----------------------------------------------------------------
# meson_case TAG SRC SETUP-ARGS...: sets up and builds SRC, runs the programs.
meson_case() {
    local tag=$1 src=$2 b=$T/$1/build m; shift 2
    if log "$T/$tag.log" meson setup "$b" "$src" "$@" && log "$T/$tag.build.log" meson compile -C "$b" -j 2; then
        ok "$tag: setup and build"
    else
        bad "$tag: setup and build" "$(tail -30 "$T/$tag.log" "$T/$tag.build.log" 2>/dev/null)"; return 1
    fi
    for m in time full off; do runs "$tag" "$b/app_$m" $m; done
}
sample "$T/meson-pkgconfig/src" meson
PKG_CONFIG_PATH=$INST/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$STAGE \
    meson_case meson-pkgconfig "$T/meson-pkgconfig/src" --wrap-mode=nofallback &&
    check "meson-pkgconfig: the header from the install" grep -q -- "-I$INST/include" "$T/meson-pkgconfig/build/build.ninja"
sample "$T/meson-subproject/src" meson
mkdir -p "$T/meson-subproject/src/subprojects"
ln -s "$REPO" "$T/meson-subproject/src/subprojects/thag_profiler"
meson_case meson-subproject "$T/meson-subproject/src" \
        --force-fallback-for=thag_profiler,thag_profiler_time,thag_profiler_full &&
    check "meson-subproject: the header from subprojects/" grep -q -- "subprojects/thag_profiler" "$T/meson-subproject/build/build.ninja"
check "meson-subproject: no tools built" bash -c "! find '$T/meson-subproject/build' -name flamegraph | grep -q ."
# Without mimalloc (its name changed in a copy of meson.build) the subproject
# still gives thag_profiler_time, and thag_profiler_full is not found.
d=$T/meson-nomi
sample "$d/src" meson
mkdir -p "$d/src/subprojects/thag_profiler"
cp thag_profiler.h meson_options.txt "$d/src/subprojects/thag_profiler/"
sed "s/'mimalloc'/'no-such-mimalloc'/g" meson.build > "$d/src/subprojects/thag_profiler/meson.build"
check "meson-subproject without mimalloc: thag_profiler_full not found, thag_profiler_time found" bash -c \
    "! meson setup '$d/build' '$d/src' --force-fallback-for=thag_profiler,thag_profiler_time,thag_profiler_full >'$d.log' 2>&1 &&
     grep -q 'thag_profiler_time found: YES' '$d.log' && grep -q \"Dependency 'thag_profiler_full' is required but not found\" '$d.log'"
# The tree as the top project: the tools too.
if log "$T/meson-tools.log" meson setup "$T/meson-tools" "$REPO" && log "$T/meson-tools.build.log" meson compile -C "$T/meson-tools" -j 2; then
    ok "meson top-level: setup and build the tools"
    for t in flamegraph thag-analyze thag-instrument thag-run libthag_preload.so; do
        check "meson top-level: built $t" test -e "$T/meson-tools/$t"
    done
else
    bad "meson top-level: setup and build the tools" "$(tail -30 "$T/meson-tools.log" "$T/meson-tools.build.log" 2>/dev/null)"
fi
check "meson.build's version = the header's ($VERSION)" grep -q "version: '$VERSION'" meson.build

# ---- plain Makefiles -------------------------------------------------------
for m in time full off; do
    d=$T/make/$m
    sample "$d" make
    if log "$d.log" make -C "$d" PROFILE=$m THAG_DIR="$REPO" LDFLAGS=-Wl,--as-needed; then
        check "make $m: linked with --as-needed" grep -q -- "-Wl,--as-needed -o app main.o work.o" "$d.log"
        runs make "$d/app" $m
    else
        bad "make $m: build with -Wl,--as-needed" "$(tail -20 "$d.log")"
    fi
    d=$T/make-pc/$m
    sample "$d" make-pc
    if log "$d.log" env PKG_CONFIG_PATH="$INST/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$STAGE" \
            make -C "$d" PROFILE=$m LDFLAGS=-Wl,--as-needed; then
        check "make-pkgconfig $m: the header from the install" grep -q -- "-I$INST/include" "$d.log"
        runs make-pkgconfig "$d/app" $m
    else
        bad "make-pkgconfig $m: build with -Wl,--as-needed" "$(tail -20 "$d.log")"
    fi
done
# The mistake the recipe avoids: libraries in LDFLAGS come before the objects
# and --as-needed drops them.
d=$T/make/wrong
sample "$d" make
check "make: -lmimalloc in LDFLAGS fails under --as-needed" bash -c \
    "! make -C '$d' PROFILE=full THAG_DIR='$REPO' LDFLAGS='-Wl,--as-needed -lmimalloc -pthread' LDLIBS= >'$d.log' 2>&1 &&
     grep -q 'undefined reference to .mi_' '$d.log'"

# ---- the docs show what was tested -------------------------------------------
for mk in tests/buildsys/make/Makefile tests/buildsys/make-pc/Makefile; do
    block=$(sed -n '/^# >>> thag_profiler/,/^# <<< thag_profiler/p' "$mk" | sed '1d;$d')
    check "docs/projects.md shows $mk's recipe" grep -qF -- "$block" docs/projects.md
done
for line in 'find_package(thag_profiler 0.1 CONFIG REQUIRED' 'add_subdirectory(' 'FetchContent_Declare(thag_profiler'\
            'target_link_libraries(app_time PRIVATE thag_profiler::time)' 'target_link_libraries(app_full PRIVATE thag_profiler::full)' \
            "dependency('thag_profiler_time'" "dependency('thag_profiler_full'"; do
    check "docs/projects.md and the tested project: $line" bash -c \
        "grep -qF -- \"\$1\" docs/projects.md && cat tests/buildsys/cmake/CMakeLists.txt tests/buildsys/meson/meson.build | grep -qF -- \"\$1\"" _ "$line"
done

# Every target and dependency name that README.md and this page mention exists.
unknown=""
for n in $(grep -ohE "thag_profiler::[a-z_]+|dependency\('[a-z_]+'" README.md docs/projects.md | sort -u); do
    case $n in
        thag_profiler::time|thag_profiler::full|thag_profiler::thag_profiler|thag_profiler::mimalloc) ;;
        "dependency('thag_profiler'"|"dependency('thag_profiler_time'"|"dependency('thag_profiler_full'") ;;
        *) unknown="$unknown $n";;
    esac
done
if [ -z "$unknown" ]; then ok "README.md and docs name only real targets and dependencies"
else bad "README.md and docs name only real targets and dependencies" "unknown:$unknown"; fi
check "README.md shows the CMake line" grep -qF 'target_link_libraries(app PRIVATE thag_profiler::time)' README.md

summary buildsys
