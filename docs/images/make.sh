#!/bin/bash
# Redraws docs/images/wordfreq.png, the flamegraph in README.md: profiles the
# wordfreq example (time), draws the SVG with build/flamegraph and renders it
# to PNG with Debian's chromium, headless. Run from the repository after `make`.
set -eu
cd "$(dirname "$0")/../.."
R=$PWD
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$out" && THAG_PROFILER="time,$out" "$R/build/examples/time/wordfreq" \
    "$R/thag_profiler.h" "$R"/examples/*.c "$R"/tools/*.c > /dev/null)
build/flamegraph --title "wordfreq: exclusive time" "$out"/wordfreq-*[0-9].folded > "$out/wordfreq.svg"
h=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' "$out/wordfreq.svg" | head -1)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars \
    --screenshot="$R/docs/images/wordfreq.png" --window-size="1200,$h" "file://$out/wordfreq.svg" 2>/dev/null
cp "$out/wordfreq.svg" docs/images/wordfreq.svg
echo "docs/images/wordfreq.png (and .svg): 1200x$h"
