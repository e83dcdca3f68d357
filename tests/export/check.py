#!/usr/bin/env python3
"""check.py - compares what the real consumers read from thag-export's files with the run's
own files, computed here independently of tools/export.c. Exit 0 when equal; else prints the
differences and exits 1. Used by tests/export/run.sh.

  check.py pprof RAW TYPE=FOLDED...   `go tool pprof -raw` output: for each sample type TYPE,
                                      the value of every stack equals FOLDED's, exactly
  check.py total TOP FOLDED           `go tool pprof -top` output: its total equals the sum
  check.py trace RESULT TIMELINE [WALL]   speedscope's import of the trace (a speedscope.mjs
                                      line): one profile per track, each track's busy time
                                      equal to the timeline's, to the nanosecond
  check.py tracejson TRACE TIMELINE [WALL]   the trace file itself: per track (tid, by its
                                      thread_name), busy time from its B/E events equal to
                                      the timeline's, to the nanosecond; B/E nest per track,
                                      every track is named, its times never go back
  check.py ssfile JSON FOLDED         a speedscope file's first profile, its stacks rebuilt
                                      from its frames, equals FOLDED
  check.py speedscope RESULT RUNSTEM  speedscope's import of the speedscope export: every
                                      file's total, every thread's total and busy time
"""
import json
import re
import sys


def folded(path):
    """stack -> value of a folded file (metadata and blank lines skipped; values summed)."""
    d = {}
    with open(path, 'rb') as f:
        for raw in f:
            line = raw.decode('utf-8', 'surrogateescape').rstrip('\r\n')
            if not line.strip() or line.startswith('#'):
                continue
            stack, _, v = line.rpartition(' ')
            d[stack] = d.get(stack, 0) + (int(v) if v.isdigit() else float(v))
    return d


def pprof_raw(path):
    """The samples of `go tool pprof -raw`: (types, [(stack, [values])])."""
    lines = open(path, encoding='utf-8', errors='surrogateescape').read().split('\n')
    types, samples, locs, i = [], [], {}, 0
    while i < len(lines) and not lines[i].startswith('Samples:'):
        i += 1
    types = [t.split('/')[0] for t in lines[i + 1].split()]
    i += 2
    while i < len(lines) and not lines[i].startswith('Locations'):
        m = re.match(r'^\s*([-\d ]+):((?: \d+)*)\s*$', lines[i])
        if m:
            samples.append(([int(x) for x in m.group(2).split()], [int(x) for x in m.group(1).split()]))
        i += 1
    for line in lines[i + 1:]:
        # "ID: 0xADDR M=1 NAME FILE:LINE s=0", then "(SYSTEM NAME)" when pprof shows a
        # simplified NAME (C++ arguments dropped): the system name is the frame's
        m = re.match(r'^\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*?) (\S*):(\d+) s=\d+(?:\((.*)\))?$', line)
        if m:
            name, file, ln = m.group(5) or m.group(2), m.group(3), m.group(4)
            locs[int(m.group(1))] = name if not file else '%s (%s:%s)' % (name, file, ln)
    return types, [(';'.join(locs[x] for x in reversed(ids)), vals) for ids, vals in samples]


def cmd_pprof(raw, pairs):
    types, samples = pprof_raw(raw)
    bad = 0
    for pair in pairs:
        t, path = pair.split('=', 1)
        want = folded(path)
        col = types.index(t)
        got = {}
        for stack, vals in samples:
            if vals[col]:
                got[stack] = got.get(stack, 0) + vals[col]
        if got != want:
            bad += 1
            diff = sorted(set(got.items()) ^ set(want.items()))[:10]
            print('%s: %s differs from %s (%d vs %d stacks): %s' % (raw, t, path, len(got), len(want), diff))
        if t != 'samples' and len([s for s, v in samples if v[col]]) != len(want):
            bad += 1
            print('%s: %s: not one sample per stack' % (raw, t))
    return bad


def cmd_total(top, path):
    text = open(top).read()
    m = re.search(r'of ([\d.]+)\w* total', text)
    want = sum(folded(path).values())
    if not m or int(m.group(1)) != want:
        print('%s: total %s, %s sums to %d' % (top, m and m.group(1), path, want))
        return 1
    return 0


FIBERS = set()  # the stack ids of fibers' root frames (F lines) of the last timeline read


def timeline(path):
    """[(thread name, start, [(stack ids root first, ns)])], {id: name}; FIBERS: its F ids."""
    names, parent, threads = {}, {}, []
    FIBERS.clear()
    for line in open(path, encoding='utf-8', errors='surrogateescape'):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        if line.startswith('S '):
            _, i, p, name = line.split(' ', 3)
            names[int(i)], parent[int(i)] = name, int(p)
        elif line.startswith('F '):
            FIBERS.add(int(line[2:]))
        elif line.startswith('T '):
            _, _, start, name = line.split(' ', 3)
            threads.append((name, int(start), []))
        else:
            i, ns = map(int, line.split())
            path_ids, x = [], i
            while x:
                path_ids.append(x)
                x = parent[x]
            threads[-1][2].append((path_ids[::-1], ns))
    return threads, names


def stack_text(ids, names):
    return ';'.join(names[i] for i in ids)


def trace_tracks(tl, wall):
    """Busy ns per track, as docs/export.md defines the tracks: a task's frames (a -wall
    stack and below) on '<thread>: task <frame>', a fiber's (an F stack and below) on
    '<thread>: fiber <frame>', the outermost of them taking the frames under it; the frames
    above on the thread's track when the stack starts at the thread's own root frame."""
    threads, names = timeline(tl)
    tasks = set(folded(wall)) if wall else set()
    busy = {}
    for name, _, ivs in threads:
        for ids, ns in ivs:
            if not ids:
                continue
            root = next((k for k in range(len(ids))
                         if ids[k] in FIBERS or stack_text(ids[:k + 1], names) in tasks), None)
            if root is None:
                busy[name] = busy.get(name, 0) + ns
                continue
            track = '%s: %s %s' % (name, 'fiber' if ids[root] in FIBERS else 'task', names[ids[root]])
            busy[track] = busy.get(track, 0) + ns
            if root > 0 and names[ids[0]] == name:
                busy[name] = busy.get(name, 0) + ns
    return busy


def result(path):
    r = json.loads(open(path).readline())
    if not r.get('ok'):
        print('%s: speedscope did not import it: %s' % (r.get('file'), r.get('errors')))
        sys.exit(1)
    return r


def cmd_trace(res, tl, wall=None):
    r = result(res)
    want = trace_tracks(tl, wall)
    got = {}
    for p in r['profiles']:
        m = re.match(r'^.* \(pid \d+\), (.*) \(tid \d+\)$', p['name'])
        track = m.group(1) if m else p['name']
        if p['unit'] != 'microseconds':
            print('%s: unit %s' % (track, p['unit']))
            return 1
        got[track] = round(p['busy'] * 1000)
    if got != want:
        print('tracks differ:\n  speedscope %s\n  timeline   %s' % (sorted(got.items()), sorted(want.items())))
        return 1
    return 0


def cmd_tracejson(path, tl, wall=None):
    """Busy ns per track from the trace's own events (no viewer in between)."""
    ev = json.load(open(path, encoding='utf-8'))['traceEvents']
    names = {e['tid']: e['args']['name'] for e in ev if e['ph'] == 'M' and e['name'] == 'thread_name'}
    if len(set(names.values())) != len(names):
        print('%s: two tracks with one name: %s' % (path, sorted(names.values())))
        return 1
    open_, since, got, last = {}, {}, {}, {}
    for e in ev:
        if e['ph'] not in 'BE':
            continue
        tid, ns = e['tid'], round(e['ts'] * 1000)
        if tid not in names or ns < last.get(tid, 0):
            print('%s: event %s on track %s: unnamed track, or time going back' % (path, e, tid))
            return 1
        last[tid] = ns
        st = open_.setdefault(tid, [])
        if e['ph'] == 'B':
            if not st:
                since[tid] = ns
            st.append(e['name'])
        else:
            if not st or st.pop() != e['name']:
                print('%s: E %s does not close the innermost frame of track %s' % (path, e['name'], names[tid]))
                return 1
            if not st:
                got[names[tid]] = got.get(names[tid], 0) + ns - since[tid]
    want = trace_tracks(tl, wall)
    if got != want or any(open_.values()):
        print('tracks differ:\n  trace    %s\n  timeline %s' % (sorted(got.items()), sorted(want.items())))
        return 1
    return 0


KIND_UNIT = {'': 'nanoseconds', '-calls': 'none', '-memory': 'bytes', '-memory_calls': 'none',
             '-memory_live': 'bytes', '-memory_live_calls': 'none', '-memory_detail': 'bytes', '-memory_detail_calls': 'none',
             '-memory_detail_live': 'bytes', '-memory_detail_dealloc': 'bytes',
             '-memory_detail_live_calls': 'none'}


def cmd_speedscope(res, stem):
    import os
    r = result(res)
    want = []
    detail = os.path.exists(stem + '-memory_detail.folded')
    for suffix, unit in KIND_UNIT.items():
        p = stem + suffix + '.folded'
        if os.path.exists(p) and not (detail and suffix.startswith('-memory') and '_detail' not in suffix):
            want.append((os.path.basename(p), unit, sum(folded(p).values())))
    if os.path.exists(stem + '-timeline.txt'):
        for name, start, ivs in timeline(stem + '-timeline.txt')[0]:
            want.append(('thread ' + name, 'nanoseconds', (sum(ns for _, ns in ivs), sum(ns for i, ns in ivs if i))))
    got = []
    for p in r['profiles']:
        label = p['name'].split(': ', 1)[1]
        if p['name'].startswith('timeline: '):
            got.append((label, p['unit'], (p['total'], p['busy'])))
        else:
            got.append((label, p['unit'], p['busy']))
    if got != want:
        print('profiles differ:\n  speedscope %s\n  run        %s' % (got, want))
        return 1
    return 0


def cmd_ssfile(path, fold):
    """The first profile of a speedscope file, stacks rebuilt from its frames, equals FOLDED."""
    doc = json.load(open(path, encoding='utf-8', errors='surrogateescape'))
    names = [f['name'] if 'file' not in f else '%s (%s:%d)' % (f['name'], f['file'], f['line'])
             for f in doc['shared']['frames']]
    p = doc['profiles'][0]
    got = {}
    for st, w in zip(p['samples'], p['weights']):
        k = ';'.join(names[i] for i in st)
        got[k] = got.get(k, 0) + w
    want = folded(fold)
    if got != want or p['endValue'] != sum(want.values()):
        print('%s: stacks differ from %s: %s' % (path, fold, sorted(set(got.items()) ^ set(want.items()))[:5]))
        return 1
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == 'pprof':
        return cmd_pprof(argv[2], argv[3:])
    if cmd == 'total':
        return cmd_total(argv[2], argv[3])
    if cmd == 'trace':
        return cmd_trace(*argv[2:])
    if cmd == 'tracejson':
        return cmd_tracejson(*argv[2:])
    if cmd == 'ssfile':
        return cmd_ssfile(argv[2], argv[3])
    if cmd == 'speedscope':
        return cmd_speedscope(argv[2], argv[3])
    print('unknown command ' + cmd)
    return 2


if __name__ == '__main__':
    sys.exit(1 if main(sys.argv) else 0)
