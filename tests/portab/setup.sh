#!/bin/sh
# The portability suite's multiarch package: libmimalloc-dev:arm64 (the
# memory tests on aarch64). Debian installs another architecture's packages
# only once dpkg knows that architecture and apt has read its package
# lists, so this adds arm64 (dpkg --add-architecture), runs apt-get update
# when apt knows no arm64 mimalloc yet, and installs it. Idempotent: does
# nothing when the package is installed. Needs root (or sudo); run by
# tests/portab/run.sh itself, and usable by CI before `make test`:
#   tests/portab/setup.sh
# Exit status 0 when the package is installed at the end.
set -eu
pkg=libmimalloc-dev:arm64
installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; }
installed && exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || {
        echo "portab setup: not root: cannot install $pkg" >&2; exit 1; }
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
lock="-o DPkg::Lock::Timeout=300"
dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
# apt's lists name no arm64 package until an update after the architecture was added
apt-cache show "$pkg" >/dev/null 2>&1 || $SUDO apt-get $lock update -qq
echo "portab setup: installing $pkg"
$SUDO apt-get $lock install -y -qq "$pkg" >/dev/null
installed
