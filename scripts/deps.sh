#!/bin/sh
# Installs the Debian packages listed in mk/*.deps that are missing.
# Usage: scripts/deps.sh [--list] [FILE.deps...]   (default: every mk/*.deps)
#   --list  only print the missing packages
# Node.js may come from another source than Debian (nodesource, whose
# nodejs package conflicts with Debian's npm): a package is not needed when
# its command is already on the PATH.
set -eu
cd "$(dirname "$0")/.."
list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
[ $# -gt 0 ] || set -- mk/*.deps
command_of() {
    case $1 in nodejs) echo node;; npm) echo npm;; chromium) echo chromium;; *) echo "";; esac
}
missing=""
for pkg in $(cat "$@" | sed 's/#.*//' | sort -u); do
    cmd=$(command_of "$pkg")
    if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ "$list" = 1 ]; then echo $missing; exit 0; fi
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
