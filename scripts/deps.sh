#!/bin/sh
# Installs the Debian packages listed in mk/*.deps that are missing.
# Usage: scripts/deps.sh [FILE.deps...]   (default: every mk/*.deps)
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- mk/*.deps
missing=""
for pkg in $(cat "$@" | sed 's/#.*//' | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: run as root, or install:$missing" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
