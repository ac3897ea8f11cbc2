#!/usr/bin/env python3
"""stack-depth.py - worst-case stack depth of the STM32F072 image (make size).

Usage: scripts/stack-depth.py RESERVE_BYTES DIR [INDIRECT_TABLE]
DIR holds the .ci files GCC writes with -fcallgraph-info=su (one per source,
compiled like the image but without LTO, so each function's frame and its
direct calls are known). The depth of a function is its own frame plus the
deepest of its callees. Roots: Reset_Handler (then main), every interrupt
handler in the vector table, and the fault entry, with the exception frame the
core pushes (ARMv6-M B1.5.6: 8 words, +4 for alignment) for each of them.
The worst case is thread + one interrupt + a fault on top: on the Cortex-M0
all our interrupts have the same priority, so they never nest.

Indirect calls (lwIP's netif and pcb callbacks, the USB class operations, the
timers) have no edge in the graph: scripts/stack-indirect.txt lists, per
calling function, what its pointers can hold; an indirect call in a function
that is not listed fails (the table must stay true). Recursion is reported
and cut (lwIP's ARP -> output -> ARP paths are bounded by the code, not by
the graph).
Functions without a .ci (libgcc, newlib's memcpy/memset) count
UNKNOWN_FRAME bytes. Limits: an estimate from the non-LTO build (LTO inlines
more; frames then merge), and dynamic frames (alloca, VLAs) make it fail.
Exit status 1 if the worst case is over RESERVE_BYTES, 2 on bad usage.
"""
import os
import re
import sys
import fnmatch
from functools import lru_cache

UNKNOWN_FRAME = 32
EXC_FRAME = 32 + 4
IRQ_ROOTS = ("USB_IRQHandler", "SysTick_Handler")
FAULT_ROOT = "board_fault"

node_re = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
edge_re = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')


def load(d):
    frame, kind, calls, where = {}, {}, {}, {}
    for root, _, files in os.walk(d):
        for f in files:
            if not f.endswith(".ci"):
                continue
            for line in open(os.path.join(root, f), encoding="utf-8", errors="replace"):
                m = node_re.match(line)
                if m:
                    parts = m.group(2).split("\\n")
                    if len(parts) >= 3:
                        b = re.match(r"(\d+) bytes \((\w+)", parts[2])
                        if b:
                            frame[m.group(1)] = int(b.group(1))
                            kind[m.group(1)] = b.group(2)
                            where[m.group(1)] = parts[1]
                    continue
                m = edge_re.match(line)
                if m:
                    calls.setdefault(m.group(1), set()).add(m.group(2))
    return frame, kind, calls, where


def base(f):
    return f.split(":")[-1]


def load_table(path):
    table = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            caller, _, targets = line.partition(":")
            table[caller.strip()] = targets.split()
    return table


def main():
    if len(sys.argv) not in (3, 4) or not os.path.isdir(sys.argv[2]):
        print("usage: stack-depth.py RESERVE_BYTES DIR_WITH_CI_FILES [INDIRECT_TABLE]", file=sys.stderr)
        return 2
    reserve = int(sys.argv[1])
    table_path = sys.argv[3] if len(sys.argv) == 4 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack-indirect.txt")
    table = load_table(table_path)
    frame, kind, calls, where = load(sys.argv[2])
    if "main" not in frame:
        print("stack: FAIL: no call graph for main in %s" % sys.argv[2], file=sys.stderr)
        return 1
    unknown, recursion, unlisted = set(), set(), set()
    onstack = set()

    def targets(f):
        globs = table.get(base(f))
        if globs is None:
            unlisted.add(base(f))
            return []
        return sorted(n for n in frame if any(fnmatch.fnmatchcase(base(n), g) for g in globs))

    @lru_cache(maxsize=None)
    def depth(f):
        """(bytes, path) of the deepest chain from f."""
        if f not in frame:
            unknown.add(f)
            return UNKNOWN_FRAME, (f + " (no .ci)",)
        onstack.add(f)
        best = (0, ())
        for c in sorted(calls.get(f, ())):
            for t in (targets(f) if c == "__indirect_call" else [c]):
                if t in onstack:
                    recursion.add(base(f) + " -> " + base(t))
                    continue
                best = max(best, depth(t))
        onstack.discard(f)
        return frame[f] + best[0], (f,) + best[1]

    def show(name, r):
        d, path = r
        print("  %-16s %5d B  %s" % (name, d, " > ".join(base(p) for p in path)))

    thread = depth("Reset_Handler") if "Reset_Handler" in frame else depth("main")
    irqs = [(r, depth(r)) for r in IRQ_ROOTS if r in frame]
    fault = depth(FAULT_ROOT) if FAULT_ROOT in frame else (0, ())
    irq_worst = max((d[0] for _, d in irqs), default=0)
    total = thread[0] + EXC_FRAME + irq_worst + EXC_FRAME + fault[0]

    print("-- worst-case stack depth (-fcallgraph-info=su, non-LTO -Os; indirect calls per %s)"
          % os.path.basename(table_path))
    show("thread (main)", thread)
    for r, d in irqs:
        show(r, d)
    show("fault", fault)
    dyn = sorted(f for f, k in kind.items() if k == "dynamic")
    status = "ok" if total <= reserve and not dyn else "OVER"
    print("stack worst case       %8d B  = thread %d + (frame %d + interrupt %d) + (frame %d + fault %d)"
          % (total, thread[0], EXC_FRAME, irq_worst, EXC_FRAME, fault[0]))
    print("stack reserve          %8d B  %s" % (reserve, status))
    if unknown:
        print("  counted %d B each, no call graph: %s" % (UNKNOWN_FRAME, " ".join(sorted(unknown))))
    if recursion:
        print("  recursion cut at: %s" % "; ".join(sorted(recursion)))
    if unlisted:
        print("stack: FAIL: indirect calls in %s: list their targets in %s"
              % (" ".join(sorted(unlisted)), table_path), file=sys.stderr)
        return 1
    if dyn:
        print("stack: FAIL: dynamic frames (alloca/VLA) in %s" % " ".join(dyn), file=sys.stderr)
        return 1
    if total > reserve:
        print("stack: FAIL: worst case %d B is over the %d B reserve" % (total, reserve), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
