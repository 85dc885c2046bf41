#!/usr/bin/env python3
"""make bench: the benchmarks, for each configuration of a sweep.

Boots the kernel with "bench" the way the test runner boots it (its QEMU
command, tools/common/qemu.py) once per CPU count, barrier and APIC mode,
prints the kernel's bench: lines after a line naming the configuration, and
collects them into BUILD_DIR/bench/results.csv (percentiles) and
quantiles.csv (the distribution, every 5 %), a table, and SVG plots drawn
by matplotlib (tools/common/plot.py): p50 against CPU count for each figure
(p50_by_cpus.svg), the call on every CPU against CPU count (growth.svg) and
the distribution of one figure, generic_call_empty with every CPU taking
part, for each configuration (distribution.svg).

Usage: bench.py BUILD_DIR [--cpus "1 2 4"] [--accel kvm|tcg] [--apic x2apic|xapic]
                          [--barrier central|dissemination] [--options "kernel options"]
                          [--plugin count_insns.so --nm nm]
Empty options take the defaults: KVM where it works here (timing under TCG
says little), else TCG; x2APIC under KVM, xAPIC under TCG (QEMU's TCG has
no x2APIC); both barriers. ACCEL=icount is TCG with -icount shift=0: the
guest's clock then advances one nanosecond per instruction and its TSC runs
at 1 GHz, so every figure is an exact, repeatable instruction count (on one
CPU; with several, the vCPUs take turns and the counts add up).

Under ACCEL=icount, QEMU also loads the plugin tools/qemu_plugin/count_insns.c
(--plugin), which counts, for every figure, the instructions each CPU executes
per call with spin-loop iterations counted apart: see count_lines() and
docs/performance.md. Those counts go into the bench: insns lines, the columns
caller_insns ... of results.csv, counts.csv (one row per CPU), profile.csv (by
function, per CPU) and the instruction table at the end."""
import argparse
import bisect
import csv
import math
import os
import re
import subprocess
import sys

from common import ROOT, constants, plot
from common.config import Config
from common.qemu import boot, describe_status, kvm_unusable_reason

BENCH_TIMEOUT = 300  # seconds for a boot, plus BENCH_TIMEOUT_PER_CPU for each CPU
BENCH_TIMEOUT_PER_CPU = 20
LINE = re.compile(r"^bench: name=(\w+) cpus=(\d+) iters=(\d+) min=(\d+) p50=(\d+) p90=(\d+) "
                  r"p99=(\d+) max=(\d+) tsc_mhz=([\d.]+)$")
QUANTILES = re.compile(r"^bench: quantiles name=(\w+) cpus=(\d+) q=([\d,]+)$")
COUNT_LINE = re.compile(r"^bench: count name=(\w+) cpus=(\d+) calls=(\d+)$")
PLUGIN_LINE = re.compile(r"^count: figure=(\d+) vcpu=(\d+) role=(caller|other) calls=(\d+) "
                         r"insns=(\d+) spin_insns=(\d+) irq_insns=(\d+) irq_spin_insns=(\d+) "
                         r"waits=([0-9a-f:,]*)$")
PROFILE_LINE = re.compile(r"^profile: figure=(\d+) vcpu=(\d+) blocks=([0-9a-f:,]*)$")
COUNT_FIELDS = ["caller_insns", "participant_insns", "total_insns", "spin_iters"]
FIELDS = ["accel", "apic", "idle", "vcpus", "barrier", "name", "cpus", "iters", "min", "p50", "p90", "p99",
          "max", "tsc_mhz"] + COUNT_FIELDS
PROFILE_FIELDS = ["accel", "apic", "idle", "vcpus", "barrier", "name", "cpus", "vcpu", "role",
                  "function", "insns"]
PER_CPU_FIELDS = ["accel", "apic", "idle", "vcpus", "barrier", "name", "cpus", "vcpu", "role",
                  "path_insns", "irq_path_insns", "spin_insns", "spin_iters", "waits"]
QUANTILE_FIELDS = ["accel", "apic", "idle", "vcpus", "barrier", "name", "cpus"] + \
    [f"q{p}" for p in range(0, 101, 5)]
DISTRIBUTION_FIGURE = "generic_call_empty_{barrier}_idle"


def write_svg(path, rows):
    """p50 (log scale) against CPU count, one line per figure (its name
    carries the barrier) and, where several were run, idle mode. The CPU
    counts are equally spaced: for a sweep of powers of two, log2 n."""
    series = {}
    several_idle = len({r["idle"] for r in rows}) > 1
    for r in rows:
        key = r["name"] + (f" [idle={r['idle']}]" if several_idle else "")
        series.setdefault(key, {})[int(r["cpus"])] = int(r["p50"])
    if not any(v > 0 for s in series.values() for v in s.values()):
        return
    xs = sorted({c for s in series.values() for c in s})
    fig, ax = plot.figure(10, 5)
    for key, s in sorted(series.items()):
        pts = [(xs.index(c), v) for c, v in sorted(s.items()) if v > 0]
        plot.curve(ax, [x for x, _ in pts], [v for _, v in pts], key, marker="o")
    ax.set_yscale("log")
    ax.set_xticks(range(len(xs)), [str(c) for c in xs])
    ax.set_xlabel("CPUs taking part")
    ax.set_ylabel("p50 cycles per call")
    ax.grid(True, which="major", color="#ddd")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    plot.save(fig, path)


def write_distribution_svg(path, qrows):
    """The cumulative distribution of one figure (every CPU taking part),
    one curve per configuration: cycles (log) across, share of calls up."""
    curves = {}
    for r in qrows:
        if r["name"] != DISTRIBUTION_FIGURE.format(barrier=r["barrier"]) or \
                int(r["cpus"]) != int(r["vcpus"]):
            continue
        key = f"{r['accel']} {r['apic']} {r['idle']} {r['barrier']}, {r['vcpus']} CPUs"
        curves[key] = [int(r[f"q{p}"]) for p in range(0, 101, 5)]
    if not any(v > 0 for c in curves.values() for v in c):
        return
    fig, ax = plot.figure(10, 5)
    for key, qs in sorted(curves.items()):
        plot.curve(ax, [max(v, 1) for v in qs], list(range(0, 101, 5)), key)
    ax.set_xscale("log")
    ax.set_yticks([0, 50, 90, 100], ["0 %", "50 %", "90 %", "100 %"])
    ax.set_xlabel(f'cycles per call ({DISTRIBUTION_FIGURE.format(barrier="<barrier>")}, '
                  f'every CPU)')
    ax.set_ylabel("share of calls at most this long")
    ax.grid(True, which="major", color="#ddd")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    plot.save(fig, path)


class Symbols:
    """The kernel's symbols, from nm: addresses by name, and the function
    holding an address (to name the waits the plugin reports)."""

    def __init__(self, nm, kernel):
        out = subprocess.run([nm, "-n", "-S", "--defined-only", kernel], check=True,
                             capture_output=True, text=True).stdout
        self.by_name, self.starts, self.entries = {}, [], []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) not in (3, 4):
                continue
            addr, size = int(parts[0], 16), int(parts[1], 16) if len(parts) == 4 else 0
            self.by_name[parts[-1]] = (addr, size)
            if parts[-2] in "TtWw":
                self.starts.append(addr)
                self.entries.append((addr, parts[-1]))

    def name(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0:
            return hex(addr)
        start, name = self.entries[i]
        return f"{name}+{addr - start:#x}"

    def plugin_ranges(self):
        """irq=: the interrupt stubs (isr_stubs up to isr_common, which
        follows them); relax=: arch_cpu_relax, which holds the PAUSE."""
        stubs, common = self.by_name["isr_stubs"][0], self.by_name["isr_common"][0]
        relax, size = self.by_name["arch_cpu_relax"]
        return f"irq={stubs:x}-{common:x},relax={relax:x}-{relax + size:x}"


def count_lines(serial, plugin_output, symbols):
    """Pairs the kernel's "bench: count" lines with the plugin's figures, in
    order (the k-th counted pass is the plugin's figure k), and turns each
    into per-call counts: {name: (figure, [per CPU])} in the order run.
    The caller's path has the harness (the marks and the call of an op that
    does nothing) taken off; a participant's path is what it executed from
    an interrupt's arrival to its return, spin iterations apart."""
    passes = [m.groups() for m in map(COUNT_LINE.match, serial.splitlines()) if m]
    figures, profiles = {}, {}
    for line in plugin_output.splitlines():
        m = PLUGIN_LINE.match(line)
        if m:
            figures.setdefault(int(m.group(1)), []).append(m.groups()[1:])
        m = PROFILE_LINE.match(line)
        if m:
            profiles[(int(m.group(1)), int(m.group(2)))] = m.group(3)
    if len(figures) != len(passes):
        raise ValueError(f"the kernel ran {len(passes)} counted passes but the plugin counted "
                         f"{len(figures)} figures")
    counted, harness = [], 0.0
    for k, (name, cpus, calls) in enumerate(passes, start=1):
        per_cpu = []
        for vcpu, role, n, insns, spin, irq, irq_spin, waits in figures[k]:
            n, calls_asked = int(n), int(calls)
            if role == "caller" and n != calls_asked:
                raise ValueError(f"{name}: the plugin counted {n} calls, the kernel made "
                                 f"{calls_asked}")
            iters = {}
            for item in filter(None, waits.split(",")):
                addr, count = item.split(":")
                iters[symbols.name(int(addr, 16))] = int(count) / calls_asked
            functions = {}
            for item in filter(None, profiles.get((k, int(vcpu)), "").split(",")):
                addr, count = item.split(":")
                function = symbols.name(int(addr, 16)).split("+")[0]
                functions[function] = functions.get(function, 0) + int(count) / calls_asked
            per_cpu.append({"vcpu": int(vcpu), "role": role, "profile": functions,
                            "path_insns": (int(insns) - int(spin)) / calls_asked,
                            "irq_path_insns": (int(irq) - int(irq_spin)) / calls_asked,
                            "spin_insns": int(spin) / calls_asked,
                            "spin_iters": sum(iters.values()), "waits": iters})
        caller = next(c for c in per_cpu if c["role"] == "caller")
        if name == "harness":
            harness = caller["path_insns"]
            continue
        caller["path_insns"] -= harness
        counted.append((name, int(cpus), per_cpu))
    return counted


def summary(per_cpu):
    """A figure's counts, per call: the caller's path, the longest path of
    a participant (interrupt to return), all CPUs' paths together, and the
    spin iterations of all CPUs."""
    caller = next(c for c in per_cpu if c["role"] == "caller")
    others = [c for c in per_cpu if c["role"] == "other"]
    return {"caller_insns": round(caller["path_insns"], 1),
            "participant_insns": round(max((c["irq_path_insns"] for c in others), default=0), 1),
            "total_insns": round(sum(c["path_insns"] for c in per_cpu), 1),
            "spin_iters": round(sum(c["spin_iters"] for c in per_cpu), 1)}


def waits_text(per_cpu):
    """Spin iterations per call, by wait and by CPU: "cpu0 barrier_wait+0x5e:3.0"."""
    out = []
    for c in per_cpu:
        for where, n in sorted(c["waits"].items()):
            out.append(f"cpu{c['vcpu']} {where}:{n:g}")
    return "; ".join(out)


def bench_config(accel, apic, cpus, barrier, idle, options="", plugin=()):
    """The boot of one configuration of the sweep (tools/lab_report.py
    boots the same one to check a lab report's figure); plugin: QEMU's
    -plugin arguments, for icount."""
    return Config(f"bench-{accel}-{apic}-{idle}-smp{cpus}-{barrier}",
                  accel="tcg" if accel == "icount" else accel, smp=str(cpus), apic=apic,
                  qemu_args=("-icount", "shift=0") + tuple(plugin) if accel == "icount" else (),
                  cmdline=f"bench barrier={barrier} apic={apic} idle={idle} {options}".strip(),
                  expect="bench", timeout=BENCH_TIMEOUT + BENCH_TIMEOUT_PER_CPU * cpus)


def central_up_to():
    """barrier=auto's rule, from its one definition (kernel/smp/barrier.h)."""
    with open(os.path.join(ROOT, "kernel", "smp", "barrier.h")) as f:
        return int(re.search(r"^#define BARRIER_CENTRAL_UP_TO (\d+)", f.read(), re.M).group(1))


def default_barriers(cpus):
    """Both barriers; and auto where a sweep goes past the CPU count up to
    which auto is central, to draw the kernel's own choice."""
    return ["central", "dissemination"] + (["auto"] if max(cpus) > central_up_to() else [])


def growth_rows(rows):
    """The call with every CPU of the boot taking part, one series per
    barrier the sweep booted (central, dissemination, auto: its figures
    are named by the kind it chose) and idle mode, against the CPU count:
    what growth.svg draws (CPU counts equally spaced, which for a sweep of
    powers of two is log2 n)."""
    out = []
    for r in rows:
        if r["name"].startswith("generic_call_empty_") and r["name"].endswith(("_idle", "_busy")) \
                and int(r["cpus"]) == int(r["vcpus"]):
            load = r["name"].rsplit("_", 1)[1]
            out.append(dict(r, name=f"barrier={r['barrier']} {load}"))
    return out


def print_growth(growth):
    """p50 of the every-CPU call per CPU count, and the factor per
    doubling of the CPU count from the smallest to the largest."""
    series = {}
    for r in growth:
        series.setdefault((r["name"], r["idle"]), {})[int(r["cpus"])] = int(r["p50"])
    if not series or max(len(s) for s in series.values()) < 2:
        return
    counts = sorted({c for s in series.values() for c in s})
    print("\ngrowth: p50 cycles of a call on every CPU, by CPU count")
    print(f"{'series':28} {'idle':>5} " + " ".join(f"{c:>10}" for c in counts) +
          "  per doubling")
    for (name, idle), s in sorted(series.items()):
        lo, hi = min(s), max(s)
        per_doubling = (s[hi] / s[lo]) ** (1 / math.log2(hi / lo)) if hi > lo and s[lo] else 0
        print(f"{name:28} {idle:>5} " + " ".join(f"{s.get(c, ''):>10}" for c in counts) +
              f"  {per_doubling:.2f}x")


def print_instruction_table(rows, per_cpu_rows):
    """The rendezvous in instructions per call (exact under icount): the
    caller's path, the longest participant's (interrupt to return), all
    CPUs' together, and the spin iterations, by wait."""
    print(f"\ninstructions per call (ACCEL=icount; spin iterations apart)\n"
          f"{'figure':44} {'vcpus':>5} {'cpus':>4} {'caller':>8} {'particip':>8} {'total':>8} "
          f"{'spins':>6}  waits (spin iterations per call)")
    for r in rows:
        if not r["name"].startswith("generic_call_empty") or r.get("caller_insns") in (None, ""):
            continue
        waits = "; ".join(p["waits"] for p in per_cpu_rows
                          if p["name"] == r["name"] and p["cpus"] == r["cpus"] and
                          p["vcpus"] == r["vcpus"] and p["barrier"] == r["barrier"] and p["waits"])
        print(f"{r['name']:44} {r['vcpus']:>5} {r['cpus']:>4} {r['caller_insns']:>8g} "
              f"{r['participant_insns']:>8g} {r['total_insns']:>8g} {r['spin_iters']:>6g}  "
              f"{waits}")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--cpus", default="", help='CPU counts, e.g. "1 2 4 8 16 32"')
    ap.add_argument("--accel", default="", choices=["", "kvm", "tcg", "icount"])
    ap.add_argument("--apic", default="", choices=["", "x2apic", "xapic"])
    ap.add_argument("--barrier", default="", choices=["", "central", "dissemination", "auto"])
    ap.add_argument("--idle", default="", help='idle modes, e.g. "hlt poll mwait" (default hlt)')
    ap.add_argument("--options", default="", help='more kernel options, e.g. "barrier_spin_us=0"')
    ap.add_argument("--plugin", default="", help="the instruction-counting QEMU plugin (icount)")
    ap.add_argument("--nm", default="nm", help="the nm that reads the kernel's symbols")
    args = ap.parse_args(argv)
    try:
        args.cpus = [int(n) for n in (args.cpus or "1 2 4").split()]
    except ValueError:
        ap.error(f"--cpus: not a list of numbers: {args.cpus!r}")
    if not args.cpus or min(args.cpus) < 1:
        ap.error("--cpus: CPU counts start at 1")
    args.idle = (args.idle or "hlt").split()
    for mode in args.idle:
        if mode not in ("hlt", "mwait", "poll"):
            ap.error(f"--idle: {mode!r} is not one of hlt, mwait, poll")
    return args


def main():
    args = parse_args(sys.argv[1:])
    no_plots = plot.missing()
    if no_plots:  # before the boots, not after minutes of them
        print(f"bench: {no_plots}")
        return 2
    build = args.build
    constants.load_constants(build)
    kernel = os.path.join(build, "kernel.elf")
    workdir = os.path.join(build, "bench-logs")
    os.makedirs(workdir, exist_ok=True)
    why_not_kvm = kvm_unusable_reason()
    if args.accel == "kvm" and why_not_kvm:
        print(f"bench: ACCEL=kvm asked for, but KVM cannot be used here: {why_not_kvm}")
        return 2
    accel = args.accel or ("tcg" if why_not_kvm else "kvm")
    apic = args.apic or ("x2apic" if accel == "kvm" else "xapic")
    if accel in ("tcg", "icount") and apic == "x2apic":
        print("bench: APIC=x2apic needs ACCEL=kvm: QEMU's TCG has no x2APIC")
        return 2
    barriers = [args.barrier] if args.barrier else default_barriers(args.cpus)
    print(f"bench: accelerator {accel}" + (f" ({why_not_kvm})" if why_not_kvm else "") +
          f", {apic}, CPUs {' '.join(map(str, args.cpus))}, barriers {' '.join(barriers)}, "
          f"idle {' '.join(args.idle)}",
          flush=True)
    failed = 0
    rows, qrows = [], []
    configurations = [(c, b, i) for c in args.cpus for b in barriers for i in args.idle]
    symbols = None
    if accel == "icount" and args.plugin:
        symbols = Symbols(args.nm, kernel)
    per_cpu_rows, profile_rows = [], []
    for cpus, barrier, idle in configurations:
        plugin, counts_file = (), None
        if symbols:
            counts_file = os.path.join(workdir, f"counts-smp{cpus}-{barrier}-{idle}.txt")
            plugin = ("-plugin", f"file={os.path.abspath(args.plugin)},out={counts_file},"
                      f"{symbols.plugin_ranges()},profile=on")
            if os.path.exists(counts_file):
                os.remove(counts_file)
        cfg = bench_config(accel, apic, cpus, barrier, idle, args.options, plugin)
        status, seconds, serial, _cmd, _topology = boot(cfg, kernel, None, workdir)
        print(f"# {cfg.name}: {describe_status(status)} ({seconds:.1f} s)", flush=True)
        counted = {}
        if counts_file:
            try:
                with open(counts_file) as f:
                    counted = {(n, c): p for n, c, p in count_lines(serial, f.read(), symbols)}
            except (OSError, ValueError) as e:
                print(f"bench: no instruction counts for {cfg.name}: {e}", flush=True)
                failed += 1
        for line in serial.splitlines():
            if (re.match(r"^bench: [a-z]", line) and not line.startswith("bench: quantiles")) \
                    or line.startswith("warning:"):
                print(line, flush=True)
            head = [accel, apic, idle, cpus, barrier]
            m = LINE.match(line)
            if m:
                row = dict(zip(FIELDS, head + list(m.groups())))
                per_cpu = counted.get((row["name"], int(row["cpus"])))
                if per_cpu:
                    row.update(summary(per_cpu))
                    print(f"bench: insns name={row['name']} cpus={row['cpus']} "
                          f"caller={row['caller_insns']:g} "
                          f"participant={row['participant_insns']:g} "
                          f"total={row['total_insns']:g} spin_iters={row['spin_iters']:g}",
                          flush=True)
                    for c in per_cpu:
                        for function, n in sorted(c["profile"].items(), key=lambda x: -x[1]):
                            profile_rows.append(dict(
                                zip(PROFILE_FIELDS[:7], head + [row["name"], row["cpus"]]),
                                vcpu=c["vcpu"], role=c["role"], function=function,
                                insns=round(n, 1)))
                        per_cpu_rows.append(dict(
                            zip(PER_CPU_FIELDS[:7], head + [row["name"], row["cpus"]]),
                            vcpu=c["vcpu"], role=c["role"], path_insns=round(c["path_insns"], 1),
                            irq_path_insns=round(c["irq_path_insns"], 1),
                            spin_insns=round(c["spin_insns"], 1),
                            spin_iters=round(c["spin_iters"], 1), waits=waits_text([c])))
                rows.append(row)
            m = QUANTILES.match(line)
            if m:
                qrows.append(dict(zip(QUANTILE_FIELDS, head + [m.group(1), m.group(2)] +
                                      m.group(3).split(","))))
        failed += status != constants.EXIT_PASS
    outdir = os.path.join(build, "bench")
    os.makedirs(outdir, exist_ok=True)
    outputs = [("results.csv", FIELDS, rows), ("quantiles.csv", QUANTILE_FIELDS, qrows)]
    if per_cpu_rows:
        outputs.append(("counts.csv", PER_CPU_FIELDS, per_cpu_rows))
        outputs.append(("profile.csv", PROFILE_FIELDS, profile_rows))
    for name, fields, data in outputs:
        with open(os.path.join(outdir, name), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(data)
    write_svg(os.path.join(outdir, "p50_by_cpus.svg"), rows)
    growth = growth_rows(rows)
    write_svg(os.path.join(outdir, "growth.svg"), growth)
    print_growth(growth)
    write_distribution_svg(os.path.join(outdir, "distribution.svg"), qrows)
    print(f"\n{'figure':42} {'barrier':>13} {'idle':>5} {'vcpus':>5} {'cpus':>4} {'iters':>6} "
          f"{'p50':>12} {'p99':>12}")
    for r in rows:
        print(f"{r['name']:42} {r['barrier']:>13} {r['idle']:>5} {r['vcpus']:>5} {r['cpus']:>4} "
              f"{r['iters']:>6} {r['p50']:>12} {r['p99']:>12}")
    if per_cpu_rows:
        print_instruction_table(rows, per_cpu_rows)
    print(f"\n{len(rows)} figures in {outdir}/results.csv ({outdir}/quantiles.csv: their "
          f"distributions); plots: {outdir}/p50_by_cpus.svg, {outdir}/distribution.svg, "
          f"{outdir}/growth.svg")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
