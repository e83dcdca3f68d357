#!/usr/bin/env python3
"""Drift test: the documentation and the code name the same things.

Documentation: README.md, docs/*.md and the header's doc block (the comment
that opens thag_profiler.h). Code, the sources of truth:
  macros     THAG_* #defined in thag_profiler.h, or tested there with
             #ifdef/#ifndef/defined() (options the user defines), and the
             enum constants (THAG_OK, THAG_TYPE_TIME...); THAG__* is internal
  functions  thag_* declared THAG_API in thag_profiler.h (thag__* internal)
  env vars   read with getenv()/thag__env_*() in thag_profiler.h and tools/
  options    each tool's --help output (build/flamegraph, build/thag-analyze,
             build/thag-instrument, build/thag-run)
  files      the kinds the header writes: thag__files[], the memory detail
             kinds, "wall" and the timeline (wopen calls)
Each check fails both ways: documented but absent from the code, present
in the code but documented nowhere. A few facts (defaults, bounds) that the
docs state are also checked against the code.

Prints "docs: N passed, M failed"; VERBOSE=1 lists the passing checks.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
os.chdir(ROOT)

# ---------------------------------------------------------------------------
# Allow-lists. Each entry is a known difference; the code owner empties them
# as the code is fixed. An entry that is no longer needed fails the test
# (so the lists cannot go stale).

# Options that a tool accepts but its --help does not list: documented
# (docs/flamegraph.md), but --help, the source of truth, lacks them.
# CODE FIX WANTED: tools/flamegraph.c's usage text should name these aliases.
OPTIONS_NOT_IN_HELP = set()  # empty: every accepted option is in its tool's --help

# Pointers from the code to README.md chapters that moved to docs/ (the
# README is now a short introduction). CODE FIX WANTED: point these at the
# pages named here; then empty the list.
README_POINTERS_MOVED = {}  # empty: the code points at docs/ pages

# Names the code has that need no documentation.
UNDOCUMENTED_OK = {
    "THAG_PROFILER_H",  # the include guard
}

# System environment variables the tools read: the system documents them.
SYSTEM_ENV = {"HOME", "PATH", "DISPLAY", "WAYLAND_DISPLAY", "LD_PRELOAD"}

# Options of other programs (compilers, linkers, pkg-config, meson, cmake,
# apt, xmllint, heaptrack) that the docs quote.
FOREIGN_OPTIONS = {
    "--as-needed", "--skip-patches", "--print-flamegraph", "--cflags",
    "--libs", "--modversion", "--wrap-mode", "--force-fallback-for",
    "--download-only", "--build", "--validate", "--noout", "--opt",
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--screenshot", "--window-size",
    "--prefix", "--static", "--shutdown", "--hide-scrollbars",
    # curl and parca-push, in docs/export.md (sending pprof to a server)
    "--data-binary", "--remote-store-address", "--remote-store-insecure", "--labels",
    "--tool",  # valgrind --tool=massif (docs/analyze.md)
    "--disable-docs",  # jq's configure (docs/realcode.md)
}

# ---------------------------------------------------------------------------
PASS = 0
FAIL = 0
VERBOSE = bool(os.environ.get("VERBOSE"))


def check(name, ok, detail=""):
    global PASS, FAIL
    if ok:
        PASS += 1
        if VERBOSE:
            print("ok: " + name)
    else:
        FAIL += 1
        print("FAIL: " + name + (": " + detail if detail else ""), file=sys.stderr)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


header = read("thag_profiler.h")
docblock = header[: header.index("*/") + 2]
pages = {"README.md": read("README.md")}
for p in sorted(os.listdir("docs")):
    if p.endswith(".md"):
        pages["docs/" + p] = read("docs/" + p)
docs_all = "\n".join(pages.values()) + "\n" + docblock
tools_src = {p: read("tools/" + p) for p in sorted(os.listdir("tools")) if p.endswith((".c", ".h"))}

# Build files and scripts: CMake, meson, make variables and test knobs that
# the docs may name (THAG_PROFILER_STB_INCLUDE_DIR, THAG_REALCODE_CACHE...).
build_text = []
for top in ["CMakeLists.txt", "meson.build", "meson_options.txt", "Makefile"]:
    if os.path.exists(top):
        build_text.append(read(top))
for d in ["cmake", "mk", "scripts", "tests", "pkgconfig", "bench"]:
    for dirpath, _, files in os.walk(d):
        if dirpath.startswith("tests/docs"):
            continue
        for f in files:
            if f.endswith((".sh", ".mk", ".cmake", ".txt", ".build", ".in", ".py", "Makefile", ".c")):
                build_text.append(read(os.path.join(dirpath, f)))
build_text = "\n".join(build_text)

# ---------------------------------------------------------------------------
# Code: macros, enum constants, functions.
code = header[len(docblock):]
macros = set(re.findall(r"^\s*#\s*define\s+(THAG_[A-Z0-9_]+)", code, re.M))
macros |= set(re.findall(r"^\s*#\s*if(?:n?def)?\b[^\n]*?\b(THAG_[A-Z0-9_]+)", code, re.M))
macros |= set(re.findall(r"defined\((THAG_[A-Z0-9_]+)\)", code))
enums = set()
for body in re.findall(r"typedef enum \w+ \{(.*?)\}", code, re.S):
    enums |= set(re.findall(r"\b(THAG_[A-Z0-9_]+)\b", body))
macros = {m for m in macros if not m.startswith("THAG__")}
enums = {m for m in enums if not m.startswith("THAG__")}
functions = {f for f in re.findall(r"THAG_API\s+[\w\s\*]*?\b(thag_[a-z0-9_]+)\s*\(", code)
             if not f.startswith("thag__")}

# Environment variables, in the header and the tools.
env = set()
for text in [code] + list(tools_src.values()):
    env |= set(re.findall(r'getenv\("([A-Z_][A-Z0-9_]*)"\)', text))
    env |= set(re.findall(r'thag__env_\w+\("([A-Z_][A-Z0-9_]*)"', text))
env_doc = env - SYSTEM_ENV

check("found the code's names", len(macros) > 20 and len(functions) >= 10 and len(env_doc) > 15,
      "macros %d functions %d env %d" % (len(macros), len(functions), len(env_doc)))


def word_in(name, text):
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


# Direction 1: every public name in the code is documented somewhere.
for name in sorted((macros | enums) - UNDOCUMENTED_OK):
    check("macro %s documented" % name, word_in(name, docs_all), "not in README.md, docs/ or the header's doc block")
for name in sorted(functions):
    check("function %s documented" % name, word_in(name, docs_all), "not in README.md, docs/ or the header's doc block")
env_page = pages.get("docs/environment.md", "")
for name in sorted(env_doc):
    check("environment variable %s in docs/environment.md" % name, word_in(name, env_page),
          "read by the code, not listed in docs/environment.md")

# Direction 2: every THAG_ name the docs use exists (in the header, as an
# environment variable, or in the build files); every thag_ call exists.
known = macros | enums | env
for tok in sorted(set(re.findall(r"\bTHAG_[A-Za-z0-9_]*[A-Za-z0-9](?:_\*)?", docs_all))):
    if tok.startswith("THAG__"):
        continue
    if tok.endswith("_*"):  # a family: THAG_FIBER_*
        ok = any(k.startswith(tok[:-1]) for k in known)
    else:
        ok = tok in known or word_in(tok, build_text)
    check("documented name %s exists" % tok, ok, "named in the docs, found in no code")
for tok in sorted(set(re.findall(r"\b(thag_[a-z0-9_]+)\(", docs_all))):
    if tok.startswith("thag__"):
        continue
    check("documented function %s() exists" % tok, tok in functions, "called in the docs, not declared in thag_profiler.h")
for name in sorted(UNDOCUMENTED_OK):
    check("allow-list entry %s still needed" % name, name in macros | enums | functions and not word_in(name, docs_all))

# Defaults that --help abbreviates: what the docs say instead.
DEFAULT_SPELLED = {
    "thag-run-<program>-<time>": "thag-run-<program>-<yyyymmdd>-<HHMMSS>",
}

def help_defaults(h):
    """{option: default} from a --help text: "(default X" anywhere in the
    option's description, or flamegraph's "(1200)" style."""
    lines = []
    for l in h.split("\n"):
        if lines and re.match(r"\s{6,}[^\s-]", l):
            lines[-1] += " " + l.strip()  # a continuation line
        else:
            lines.append(l)
    out = {}
    for l in lines:
        starts = [m.start() for m in re.finditer(r"(?<![\w-])--[a-z][\w-]*", l)]
        for i, s in enumerate(starts):
            seg = l[s:starts[i + 1] if i + 1 < len(starts) else len(l)]
            opt = re.match(r"--[a-z][\w-]*", seg).group(0)
            m = re.search(r"\(default:? (?:[A-Z]+: )?([^);\s]+)", seg)
            if not m:
                m = re.search(r"\(\"?([\d.]+|[A-Z][a-z][\w ]*|Function:)\"?\)", seg)
            if m and opt not in out:
                out[opt] = m.group(1).strip('"')
    return out


# ---------------------------------------------------------------------------
# Tool options, from --help.
TOOLS = {  # tool: (binary, its page)
    "flamegraph": ("flamegraph", "docs/flamegraph.md"),
    "thag-analyze": ("thag-analyze", "docs/analyze.md"),
    "thag-instrument": ("thag-instrument", "docs/instrument.md"),
    "thag-run": ("thag-run", "docs/run.md"),
    "thag-export": ("thag-export", "docs/export.md"),
}
all_opts = set()
for tool, (binary, page) in TOOLS.items():
    path = os.path.join(BUILD, binary)
    try:
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
        text = out.stdout + out.stderr
    except OSError as e:
        check("%s --help runs" % tool, False, "%s (run make first)" % e)
        continue
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z]|-v+)(?![\w-])", text))
    opts -= {"-v"} if "-vv" in text else set()
    check("%s --help lists options" % tool, len(opts) > 3, text[:200])
    all_opts |= opts
    body = pages.get(page, "")
    for o, d in sorted(help_defaults(text).items()):
        d = DEFAULT_SPELLED.get(d, d)
        rows = [l for l in body.split("\n") if re.search(r"`(?:-\w, )?%s\b" % re.escape(o), l)]
        check("%s option %s: default %s in %s" % (tool, o, d, page),
              any(d.lower() in r.lower() for r in rows), "rows: %s" % " | ".join(rows)[:300])
    for o in sorted(opts):
        check("%s option %s documented in %s" % (tool, o, page), word_in(o, body) or ("`%s" % o) in body,
              "in --help, not in " + page)

doc_opts = set()
for span in re.findall(r"`[^`\n]+`", docs_all) + re.findall(r"```.*?```", docs_all, re.S):
    doc_opts |= set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", span))
for o in sorted(doc_opts - FOREIGN_OPTIONS):
    check("documented option %s exists" % o, o in all_opts or o in OPTIONS_NOT_IN_HELP,
          "quoted in the docs, in no tool's --help")
for o in sorted(OPTIONS_NOT_IN_HELP):
    check("allow-list entry %s still needed" % o, o not in all_opts)

# ---------------------------------------------------------------------------
# Output files.
m = re.search(r"thag__files\[\] = \{(.*?)\};", code, re.S)
kinds = set(re.findall(r'\{"([a-z_]*)",', m.group(1))) if m else set()
m = re.search(r"kinds\[\d+\] = \{(.*?)\};", code, re.S)
kinds |= set(re.findall(r'"([a-z_]+)"', m.group(1))) if m else set()
kinds |= set(re.findall(r'thag__wopen\(\s*[^,]+,\s*"([a-z_]+)"\)', code))
ext_kinds = set(re.findall(r'thag__wopen_ext\(\s*[^,]+,\s*"([a-z_]+)",\s*"(\.[a-z]+)"\)', code))
check("found the output file kinds", len(kinds) >= 10 and ("timeline", ".txt") in ext_kinds,
      "%s %s" % (sorted(kinds), ext_kinds))
files = {"<ts>.folded" if k == "" else "-%s.folded" % k for k in kinds}
files |= {"-%s%s" % ke for ke in ext_kinds}
output_page = pages.get("docs/output.md", "")
for f in sorted(files):
    check("output file %s in docs/output.md" % f, f in output_page, "written by the header, not in docs/output.md")
# The docs' profile file names: <ts>-KIND.folded, *-KIND.folded, `-KIND.folded`.
doc_files = set(re.findall(r"(?:<ts>|\*|`)-([a-z_]+)\.(?:folded|txt)\b", docs_all))
for k in sorted(doc_files):
    check("documented output file -%s exists" % k, k in kinds or k in {e[0] for e in ext_kinds},
          "named in the docs, the header writes no such kind")

# The run manifest: every key its writers emit is documented in docs/output.md.
man_src = "".join(re.findall(r"THAG__FN \w+ (?:thag__write_manifest|thag__manifest_thread|thag__meta|thag__wlist)\(.*?\n}\n",
                             code, re.S))
man_keys = set(re.findall(r'(?:\\n|"| )([a-z_]+)=', man_src))
check("the manifest's writers found in the header", {"file", "kind", "unit", "additive", "thread", "end"} <= man_keys,
      ", ".join(sorted(man_keys)))
for k in sorted(man_keys):
    check("manifest key %s= documented in docs/output.md" % k,
          re.search(r"(?<![a-z_])%s=" % k, pages.get("docs/output.md", "")) is not None)

# ---------------------------------------------------------------------------
# Facts: numbers the docs state, against the code.
FACTS = [
    # (what, regex in the header's code, page, regex in the page)
    ("THAG_TIMELINE_EVENTS default 2097152",
     r'thag__env_count\("THAG_TIMELINE_EVENTS", \(uint64_t\)1 << 21\)', "docs/environment.md", r"2097152"),
    ("timeline keeps the most recent events", r"oldest chunk", "docs/environment.md", r"most recent"),
    ("THAG_SIGNALS default INT,TERM", r"THAG_SIGNALS", "docs/environment.md", r"`INT,TERM`"),
    ("TSC calibration spins until 2 ms", r"ns - thag__clock\.ns0 < 2000000u", "docs/environment.md", r"\b2 ms\b"),
    ("timeline metadata: bound and dropped", r'" format=timeline-2 bound=%llu dropped=%llu"', "docs/output.md",
     r"`dropped`"),
    ("frame names: a space before a trailing number becomes _", r"i == tail\) \? '_'", "docs/output.md",
     r"space before a trailing number"),
    ("THAG_SAMPLE_BYTES default 0 (off)", r'thag__env_count\("THAG_SAMPLE_BYTES", 0\)', "docs/environment.md",
     r"THAG_SAMPLE_BYTES[^|]*\|[^|]*`0` \(default\)"),
]
for what, code_re, page, doc_re in FACTS:
    check("fact in code: " + what, re.search(code_re, code) is not None)
    check("fact in %s: %s" % (page, what), re.search(doc_re, pages.get(page, "")) is not None)
STALE = [  # claims that were once in the docs and are wrong
    (r"at least 20 ms", "TSC calibration spins until 2 ms, not 20"),
    (r"`truncated`", "the timeline's metadata says bound= and dropped="),
]
for stale_re, why in STALE:
    bad = [p for p, t in pages.items() if re.search(stale_re, t)]
    check("no stale claim: " + why, not bad, ", ".join(bad))

# The code's pointers into the README: README.md, "Chapter" or README.md (chapter)
# must name a heading of README.md (or be a known, moved one: the list above).
readme_heads = [h.lower() for h in re.findall(r"^#+ (.*)$", pages["README.md"], re.M)]
seen = {}
for path, text in [("thag_profiler.h", header)] + [("tools/" + p, t) for p, t in tools_src.items()]:
    for ref in re.findall(r'README\.md(?:,\s*"([^"]+)"|\s*\(([^)]+)\))', text):
        chap = re.sub(r"\s+", " ", ref[0] or ref[1]).strip()
        key = (path, chap)
        if key in seen:
            continue
        found = any(h.startswith(chap.lower()) for h in readme_heads)
        seen[key] = found
        check("%s points to README.md chapter \"%s\"" % (path, chap), found or key in README_POINTERS_MOVED,
              "no such heading in README.md")
for key, page in sorted(README_POINTERS_MOVED.items()):
    check("allow-list entry %s: README.md \"%s\" still named" % key, key in seen and not seen[key] and page in pages,
          "the code no longer points there (or README.md has the chapter): take it off README_POINTERS_MOVED")

# Links between the pages: every relative link's file exists.
def slugs(text):
    """GitHub's anchors of a Markdown page's headings (outside code blocks)."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    out = set()
    for h in re.findall(r"^#+ (.*)$", text, re.M):
        h = re.sub(r"[`*]", "", h).strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", h).replace(" ", "-"))
    return out


for p, t in pages.items():
    base = os.path.dirname(p)
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", t):
        if re.match(r"[a-z]+:", target):
            continue
        path = os.path.normpath(os.path.join(base, target)) if target else p
        ok = os.path.exists(path)
        if ok and anchor and path.endswith(".md"):
            ok = anchor in slugs(read(path))
        check("link %s -> %s%s" % (p, target, "#" + anchor if anchor else ""), ok)

# The README's smallest program builds warning-free, runs and writes its profile.
import shutil
import tempfile
m = re.search(r"## The smallest program\s+```c\n(.*?)```", pages["README.md"], re.S)
check("README.md has the smallest program", m is not None)
if m:
    d = tempfile.mkdtemp(prefix="thag-docs.")
    try:
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write(m.group(1))
        cc = os.environ.get("CC", "cc")
        r = subprocess.run([cc, "-O2", "-Wall", "-Wextra", "-Werror", "-DTHAG_TIME_PROFILING", "-I" + ROOT,
                            "-pthread", "main.c", "-o", "prog"], cwd=d, capture_output=True, text=True)
        check("the smallest program builds", r.returncode == 0, r.stderr[-500:])
        if r.returncode == 0:
            r = subprocess.run(["./prog"], cwd=d, capture_output=True, text=True,
                               env={k: v for k, v in os.environ.items() if not k.startswith("THAG_")}, timeout=20)
            folded = [f for f in os.listdir(d) if re.fullmatch(r"prog-\d{8}-\d{6}\.folded", f)]
            stacks = read(os.path.join(d, folded[0])) if folded else ""
            check("the smallest program writes main;parse;tokenise", r.returncode == 0 and
                  re.search(r"^main;parse;tokenise \d+$", stacks, re.M) is not None, stacks or str(os.listdir(d)))
    finally:
        shutil.rmtree(d)

# The state map at the top of the implementation names every piece of file-scope and
# thread-local state (a name, or a prefix ending in *): a new static must be added to it.
impl_at = header.index("#ifdef THAG_PROFILER_IMPLEMENTATION\n#ifndef THAG__IMPLEMENTATION_INCLUDED")
state_map = header[header.index("   State: thag__g"):impl_at]
state = set()
for decl in re.findall(r"^static (?!const\b)[^(;{]*?(?:=[^;]*)?;", header[impl_at:], re.M):
    decl = re.sub(r"=[^,;]*", "", decl)                 # initialisers
    state |= set(re.findall(r"\b(thag__\w+)\s*(?:\[[^\]]*\]\s*)?(?=[,;])", decl))  # declarators
check("found the implementation's state", {"thag__g", "thag__self", "thag__hot"} <= state, sorted(state))
mapped = re.findall(r"thag__\w*\*?", state_map)
for name in sorted(state):
    check("state %s is in the header's state map" % name,
          any(name == m or (m.endswith("*") and name.startswith(m[:-1])) for m in mapped))

print("docs: %d passed, %d failed" % (PASS, FAIL))
sys.exit(1 if FAIL else 0)
