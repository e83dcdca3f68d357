#!/usr/bin/env python3
"""sites.py OURS HEAPTRACK: compares thag-run's allocation counts per stack
and per site (innermost frame) with heaptrack's, for tests/run and bench/run.

OURS: a -memory_detail_calls.folded file (or several, comma-separated);
HEAPTRACK: `heaptrack_print --flamegraph-cost-type allocations -F` output,
less the allocation of heaptrack's own libstdc++ at load time (the stack
under _dl_init) when the program does not load libstdc++ (--keep-dl-init
keeps it). The tools name frames differently (heaptrack: absolute
addresses and inlined functions; thag-run: file+offset), so stacks and sites
are compared as multisets of counts. Prints one line:
  ours=N heaptrack=N stacks_equal=0|1 sites_equal=0|1 agreement=P
agreement: the sum of per-site minimums, sites of both sorted by count and
paired, over heaptrack's total, in percent."""
import collections
import sys


def counts(path, ours):
    stacks, sites = collections.Counter(), collections.Counter()
    for name in path.split(','):
        for line in open(name, errors='replace'):
            if line.startswith('#') or not line.strip():
                continue
            stack, _, v = line.rstrip('\n').rpartition(' ')
            if not ours and '_dl_init' in stack and '--keep-dl-init' not in sys.argv:
                continue
            frames = stack.rstrip(';').split(';')
            stacks[stack] += int(v)
            sites[frames[-1] if ours else frames[-1].split(' (')[0]] += int(v)
    return stacks, sites


def main():
    os_, oi = counts(sys.argv[1], True)
    ts, ti = counts(sys.argv[2], False)
    a, b = sorted(oi.values(), reverse=True), sorted(ti.values(), reverse=True)
    common = sum(min(x, y) for x, y in zip(a, b))
    print('ours=%d heaptrack=%d stacks_equal=%d sites_equal=%d agreement=%.4f' % (
        sum(oi.values()), sum(ti.values()), sorted(os_.values()) == sorted(ts.values()), a == b,
        100.0 * common / max(sum(b), 1)))


main()
