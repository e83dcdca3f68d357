# Shared helpers for the shell test suites: counting checks, temp dirs.
PASS=0
FAIL=0
FAILED=""
TMPROOT=$(mktemp -d "${TMPDIR:-/tmp}/thag-test.XXXXXX")
trap 'rm -rf "$TMPROOT"' EXIT

ok() { PASS=$((PASS + 1)); [ -n "${VERBOSE:-}" ] && echo "ok: $1"; return 0; }
bad() { FAIL=$((FAIL + 1)); FAILED="$FAILED\n  $1"; echo "FAIL: $1" >&2; [ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 >&2; return 0; }

# check NAME COMMAND...: passes when the command succeeds.
check() { local name=$1; shift; if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi; }

# data FILE: the lines of a folded file without its metadata.
data() { grep -v '^#' "$1"; }

# one GLOB: the single file matching, or fails.
one() { set -- $1; [ $# -eq 1 ] && [ -e "$1" ] && echo "$1"; }

summary() {
    echo "$1: $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ] || { printf "failed:$FAILED\n" >&2; return 1; }
}
