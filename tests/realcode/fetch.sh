#!/bin/bash
# tests/realcode/fetch.sh CACHE NAME: prints the path of NAME's Debian source
# package (.dsc) in CACHE, downloading it with `apt-get source` first unless
# CACHE holds one already (so repeated runs never fetch again).
# When apt knows no source for NAME, deb-src entries are added first
# (idempotently, as root, next to the existing deb entries) and the lists
# updated. When the newest source (e.g. a security update) cannot be
# downloaded, the other versions apt knows are tried (NAME=VERSION).
# Fails with a message on stderr when nothing works: never skips.
set -u
cache=$1 name=$2
die() { echo "realcode: $name: $*" >&2; exit 1; }
mkdir -p "$cache" || die "cannot create the cache directory $cache"
newest() { ls "$cache/${name}_"*.dsc 2>/dev/null | sort -V | tail -1; }
have=$(newest)
if [ -n "$have" ]; then echo "$have"; exit 0; fi

command -v apt-get >/dev/null || die "apt-get not found (a Debian system is needed)"
command -v dpkg-source >/dev/null || die "dpkg-source not found (install dpkg-dev)"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "needs root to run: $*"; fi
}

# deb-src: one entry per deb entry that has no deb-src twin, in our own files
# (where apt-config says the sources are: honours APT_CONFIG).
add_deb_src() {
    local f SL SP out list tmp
    eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
    SP=${SP%/}
    out=$SP/thag-realcode-src.sources list=$SP/thag-realcode-src.list
    tmp=$(mktemp)
    # deb822 files: a stanza whose Types lacks deb-src gets a deb-src copy.
    for f in "$SP"/*.sources; do
        [ -e "$f" ] && [ "$f" != "$out" ] || continue
        awk 'BEGIN { RS=""; ORS="\n\n" }
             /(^|\n)Types:[^\n]*deb/ && !/(^|\n)Types:[^\n]*deb-src/ {
                 sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f" >> "$tmp"
    done
    [ -s "$tmp" ] && { as_root cp "$tmp" "$out" || die "cannot write $out"; }
    # one-line format
    : > "$tmp"
    for f in "$SL" "$SP"/*.list; do
        [ -e "$f" ] && [ "$f" != "$list" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$tmp"
    done
    [ -s "$tmp" ] && { as_root cp "$tmp" "$list" || die "cannot write $list"; }
    rm -f "$tmp"
    as_root apt-get update -qq || die "apt-get update failed (network?)"
}

if [ -z "$(apt-cache showsrc "$name" 2>/dev/null)" ]; then
    echo "realcode: no deb-src entry knows $name: adding deb-src entries" >&2
    add_deb_src
    [ -n "$(apt-cache showsrc "$name" 2>/dev/null)" ] || die "apt knows no source package (deb-src entries added, lists updated)"
fi

# Download into a scratch directory, moved into the cache only when complete,
# so an interrupted download never leaves a .dsc without its tarballs.
tmpd=$(mktemp -d "$cache/.partial.XXXXXX") || die "cannot write into $cache"
log=$tmpd.log
trap 'rm -rf "$tmpd" "$log"' EXIT
cd "$tmpd" || die "cannot enter $tmpd"
if ! apt-get source --download-only "$name" >"$log" 2>&1; then
    ok=0
    for v in $(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | sort -Vr -u); do
        echo "realcode: $name: newest source unavailable, trying $name=$v" >&2
        rm -f ./*
        if apt-get source --download-only "$name=$v" >>"$log" 2>&1; then ok=1; break; fi
    done
    [ "$ok" = 1 ] || { grep -E '^(E|Err):' "$log" | tail -6 >&2; die "apt-get source failed (network or archive unavailable?)"; }
fi
ls ./*.dsc >/dev/null 2>&1 || { tail -6 "$log" >&2; die "apt-get source wrote no .dsc"; }
mv -f ./* "$cache/" || die "cannot move the download into $cache"
have=$(newest)
[ -n "$have" ] || die "no .dsc in $cache after apt-get source"
echo "$have"
