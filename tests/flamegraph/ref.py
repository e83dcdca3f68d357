#!/usr/bin/env python3
"""ref.py - independent reference for build/flamegraph's frame set.

Usage: ref.py MODE SVG INPUT... (MODE: tree, rtree (--reverse), diff, chart)
Computes, straight from the folded input and without sharing any code with flamegraph.c,
the value of every frame (tree: sum of counts per stack prefix; diff: before and after per
prefix; chart: adjacent identical frames merged in input order), then checks that the SVG's
embedded frame data and its drawn rectangles match exactly. The SVG must have been made with
--minwidth 0 so no frame is pruned. Prints a summary; exit status 1 on any mismatch.
"""
import re
import sys

NUM = re.compile(r'^(.*?)[ \t]+([0-9]+(?:\.[0-9]*)?)$')


def parse(path):
    """Yields (frames, before, after, has_two) for each stack line, as flamegraph.pl reads it."""
    with open(path, 'rb') as f:
        for raw in f:
            line = raw.decode('latin-1').rstrip('\r\n').rstrip(' \t\r')
            if not line or line.startswith('#'):
                continue
            m = NUM.match(line)
            if not m:
                continue
            stack, after = m.group(1), float(m.group(2))
            m2 = NUM.match(stack)
            if m2:
                yield m2.group(1).split(';'), float(m2.group(2)), after, True
            else:
                yield stack.split(';'), after, after, False


def tree_ref(files, diff, reverse=False):
    ref = {}
    for i, path in enumerate(files):
        for frames, before, after, _ in parse(path):
            if diff:  # --diff A B: A gives before, B gives after
                before, after = (after, 0.0) if i == 0 else (0.0, after)
            if reverse:
                frames = frames[::-1]
            for k in range(len(frames) + 1):
                key = tuple(['all'] + frames[:k])
                b, a = ref.get(key, (0.0, 0.0))
                ref[key] = (b + before, a + after)
    return {k: v for k, v in ref.items() if v[1] > 0}


def svg_frames(path):
    text = open(path, encoding='utf-8').read()
    names = eval(re.search(r'\nvar N=(\[.*?\]),\n', text, re.S).group(1).replace('\\u', '\\\\u'))
    names = [n.encode().decode('unicode_escape') for n in names]
    data = [float(v) for v in re.search(r'\nD=\[(.*?)\],\n', text, re.S).group(1).replace('\n', '').split(',') if v]
    conf = re.search(r'\nC=\{S:(\d+),t:([0-9.e+]+),w:([0-9.]+),xp:([0-9.]+)', text)
    stride, total, width, xpad = int(conf.group(1)), float(conf.group(2)), float(conf.group(3)), float(conf.group(4))
    rects = re.findall(r'<g><rect x="([0-9.]+)" y="[^"]*" width="([0-9.]+)"', text)
    frames = [data[i:i + stride] for i in range(0, len(data), stride)]
    return names, frames, rects, (width - 2 * xpad) / total, xpad


def main():
    mode, svg, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    names, frames, rects, wpt, xpad = svg_frames(svg)
    errors = []
    if len(rects) != len(frames):
        errors.append(f'{len(rects)} rects but {len(frames)} data entries')
    for i, (f, r) in enumerate(zip(frames, rects)):
        want = ('%.1f' % (xpad + f[2] * wpt), '%.1f' % (f[3] * wpt))
        if want != r:
            errors.append(f'frame {i}: rect x,width {r} but data says {want}')
    if mode == 'chart':
        got = sorted((int(f[1]), names[int(f[0])], f[2], f[3]) for f in frames)
        want = sorted(chart_with_depth(files[0]))
    else:
        stack, got = [], {}
        for f in frames:
            d = int(f[1])
            del stack[d:]
            stack.append(names[int(f[0])])
            got[tuple(stack)] = (f[4] if len(f) > 4 else f[3], f[3])
        want = tree_ref(files, mode == 'diff', mode == 'rtree')
        if mode in ('tree', 'rtree'):
            got = {k: v[1] for k, v in got.items()}
            want = {k: v[1] for k, v in want.items()}
    if got != want:
        if isinstance(got, dict):
            for k in sorted(set(got) | set(want)):
                if got.get(k) != want.get(k):
                    errors.append(f'{";".join(k)}: svg {got.get(k)} reference {want.get(k)}')
        else:
            errors.append(f'chart frames differ: svg {got[:5]}... reference {want[:5]}...')
    for e in errors[:10]:
        print('FAIL', svg, e)
    print(f'ref {mode} {svg}: {len(frames)} frames, {len(errors)} mismatches')
    return 1 if errors else 0


def chart_with_depth(path):
    """Flame chart reference: (depth, name, x, width) of every merged frame."""
    out, open_, x = [], [], 0.0
    for frames, _, v, _ in parse(path):
        frames = ['all'] + frames
        same = True
        for k, name in enumerate(frames):
            if same and k < len(open_) and open_[k][0] == name and open_[k][2] == x:
                open_[k][2] += v
            else:
                same = False
                out.extend((d, o[0], o[1], o[2] - o[1]) for d, o in enumerate(open_[k:], k))
                del open_[k:]
                open_.append([name, x, x + v])
        n = len(frames)
        out.extend((d, o[0], o[1], o[2] - o[1]) for d, o in enumerate(open_[n:], n))
        del open_[n:]
        x += v
    out.extend((d, o[0], o[1], o[2] - o[1]) for d, o in enumerate(open_))
    return out


if __name__ == '__main__':
    sys.exit(main())
