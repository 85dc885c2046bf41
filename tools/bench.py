#!/usr/bin/env python3
"""make bench: the benchmarks, on each CPU count and with both barriers.

Boots the kernel with "bench" the way the test runner boots it (its QEMU
command, tests/runner/qemu.py), under KVM where KVM works here (timing under
TCG says little), else TCG, prints the kernel's bench: lines after a line
naming the configuration, and collects them into BUILD_DIR/bench/results.csv,
a table, and an SVG plot of p50 against CPU count for each figure
(BUILD_DIR/bench/p50_by_cpus.svg).

Usage: bench.py BUILD_DIR CPUS...   (e.g. bench.py build 1 2 4)"""
import csv
import math
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from runner import constants  # noqa: E402
from runner.matrix import Config  # noqa: E402
from runner.qemu import boot, describe_status, kvm_unusable_reason  # noqa: E402

BENCH_TIMEOUT = 300
LINE = re.compile(r"^bench: name=(\w+) cpus=(\d+) iters=(\d+) min=(\d+) p50=(\d+) p90=(\d+) "
                  r"p99=(\d+) max=(\d+) tsc_mhz=([\d.]+)$")
FIELDS = ["accel", "vcpus", "barrier", "name", "cpus", "iters", "min", "p50", "p90", "p99", "max",
          "tsc_mhz"]


def write_svg(path, rows):
    """p50 (log scale) against CPU count, one line per figure and barrier."""
    series = {}
    for r in rows:
        key = r["name"] if r["name"].startswith("generic_call") else f"{r['name']}"
        series.setdefault(key, {})[int(r["cpus"])] = int(r["p50"])
    points = [v for s in series.values() for v in s.values() if v > 0]
    if not points:
        return
    w, h, left, bottom, top, right = 760, 420, 70, 40, 20, 230
    xs = sorted({c for s in series.values() for c in s})
    lo, hi = math.log10(min(points)), math.log10(max(points)) + 1e-9
    lo, hi = math.floor(lo), math.ceil(hi)
    def x(c):
        i = xs.index(c)
        return left + (w - left - right) * (i / max(1, len(xs) - 1))
    def y(v):
        return h - bottom - (h - bottom - top) * ((math.log10(v) - lo) / max(1e-9, hi - lo))
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
               "#7f7f7f", "#17becf", "#bcbd22"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>']
    for e in range(lo, hi + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{w - right}" y2="{yy:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 6}" y="{yy + 4:.1f}" '
                   f'text-anchor="end">1e{e}</text>')
    for c in xs:
        out.append(f'<text x="{x(c):.1f}" y="{h - bottom + 16}" text-anchor="middle">{c}</text>')
    out.append(f'<text x="{(left + w - right) / 2}" y="{h - 6}" text-anchor="middle">'
               f'CPUs taking part</text>')
    out.append(f'<text x="14" y="{top + (h - top - bottom) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 14 {top + (h - top - bottom) / 2})">p50 cycles</text>')
    for i, (key, s) in enumerate(sorted(series.items())):
        colour = colours[i % len(colours)]
        pts = " ".join(f"{x(c):.1f},{y(v):.1f}" for c, v in sorted(s.items()) if v > 0)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, v in sorted(s.items()):
            if v > 0:
                out.append(f'<circle cx="{x(c):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>')
        out.append(f'<text x="{w - right + 10}" y="{top + 16 * i + 10}" fill="{colour}">{key}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    build, cpu_counts = sys.argv[1], [int(n) for n in sys.argv[2:]]
    constants.load_constants(build)
    kernel = os.path.join(build, "kernel.elf")
    workdir = os.path.join(build, "bench-logs")
    os.makedirs(workdir, exist_ok=True)
    why_not_kvm = kvm_unusable_reason()
    accel = "tcg" if why_not_kvm else "kvm"
    print(f"bench: accelerator {accel}" + (f" ({why_not_kvm})" if why_not_kvm else ""),
          flush=True)
    failed = 0
    rows = []
    for cpus in cpu_counts:
        for barrier in ("central", "dissemination"):
            cfg = Config(f"bench-{accel}-smp{cpus}-{barrier}", accel=accel, smp=str(cpus),
                         apic="x2apic" if accel == "kvm" else "xapic",
                         cmdline=f"bench barrier={barrier}", expect="bench",
                         timeout=BENCH_TIMEOUT)
            status, seconds, serial, _cmd, _topology = boot(cfg, kernel, None, workdir)
            print(f"# {cfg.name}: {describe_status(status)} ({seconds:.1f} s)", flush=True)
            for line in serial.splitlines():
                if re.match(r"^bench: [a-z]", line):
                    print(line, flush=True)
                m = LINE.match(line)
                if m:
                    rows.append(dict(zip(FIELDS, [accel, cpus, barrier] + list(m.groups()))))
            failed += status != constants.EXIT_PASS
    outdir = os.path.join(build, "bench")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    write_svg(os.path.join(outdir, "p50_by_cpus.svg"), rows)
    print(f"\n{'figure':42} {'vcpus':>5} {'cpus':>4} {'iters':>6} {'p50':>12} {'p99':>12}")
    for r in rows:
        print(f"{r['name']:42} {r['vcpus']:>5} {r['cpus']:>4} {r['iters']:>6} {r['p50']:>12} "
              f"{r['p99']:>12}")
    print(f"\n{len(rows)} figures in {outdir}/results.csv, plot in {outdir}/p50_by_cpus.svg")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
