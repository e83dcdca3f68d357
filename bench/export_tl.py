#!/usr/bin/env python3
"""export_tl.py - a deterministic synthetic thag_profiler timeline (format=timeline-1) for
bench/export.sh: a table of 4,000 stacks up to 30 frames deep, then LINES intervals over four
threads, each moving to a child, the parent or a sibling of the stack before (as a real run
does). Usage: export_tl.py LINES > prog-20260101-120000-timeline.txt"""
import random
import sys

lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
rng = random.Random(42)
out = sys.stdout
out.write('# thag_profiler 0.1.0: kind=timeline program=bench started=20260101-120000 pid=1 '
          'clock=tsc threads=separate format=timeline-1 bound=%d dropped=0 unit=ns\n' % (2 * lines))
parent, children, depth = [0], [[]], [0]
roots = []
for t in range(4):
    parent.append(0); children.append([]); depth.append(1)
    roots.append(len(parent) - 1)
    out.write('S %d 0 %s\n' % (len(parent) - 1, 'main' if t == 0 else 'worker-%d' % t))
while len(parent) <= 4000:
    p = rng.randrange(1, len(parent))
    if depth[p] >= 30:
        continue
    parent.append(p); children.append([]); depth.append(depth[p] + 1)
    children[p].append(len(parent) - 1)
    out.write('S %d %d ns%d::Class%d::method_%d(int, char const*)\n' % (len(parent) - 1, p, p % 7, len(parent) % 13, len(parent) - 1))
# a stack under thread t's root: ids are reached by walking the tree from the root
per = lines // 4
for t, root in enumerate(roots):
    out.write('T %d %d %s\n' % (t, 1000 + t * 12345, 'main' if t == 0 else 'worker-%d' % t))
    cur, buf = root, []
    for i in range(per):
        r = rng.random()
        if r < 0.45 and children[cur]:
            cur = rng.choice(children[cur])
        elif r < 0.9 and cur != root:
            cur = parent[cur]
        buf.append('%d %d\n' % (cur if rng.random() > 0.02 else 0, rng.randrange(10, 100000)))
        if len(buf) >= 10000:
            out.write(''.join(buf)); buf = []
    out.write(''.join(buf))
