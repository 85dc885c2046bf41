#!/usr/bin/env python3
"""Self-checks of make bench's and make trace's own code (prints KTAP).

tools/bench.py and tools/trace.py are what turn the kernel's bench: and
trace: lines into the CSV files, the tables and the pictures that
docs/book/09-measuring.md quotes. These checks feed them lines in the kernel's
documented forms (kernel/bench.h, kernel/trace.h), written out here rather
than taken from the code under test, and look at what comes out: the
parsed fields, the refused options, and plots that are well-formed SVG with
one curve per series.
"""
import contextlib
import io
import os
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench  # noqa: E402
import ktap_out  # noqa: E402
import trace as trace_tool  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
BENCH_LINE = ("bench: name=generic_call_empty_central_idle cpus=2 iters=10000 min=11515 "
              "p50=28469 p90=34129 p99=58432 max=446562 tsc_mhz=2445.237")
QUANTILE_LINE = ("bench: quantiles name=generic_call_empty_central_idle cpus=2 q=" +
                 ",".join(str(1000 + 100 * i) for i in range(21)))

results = []


def check(name, ok, why=""):
    results.append((name, bool(ok), why))


def polylines(path):
    return ET.parse(path).getroot().findall(f"{SVG}polyline")


def refused(argv):
    """True if bench.py's argument parser refuses argv (with a message)."""
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            bench.parse_args(argv)
        except SystemExit:
            return True
    return False


def row(name, cpus, p50, idle="hlt", vcpus=None):
    return {"accel": "tcg", "apic": "xapic", "idle": idle, "vcpus": vcpus or cpus,
            "barrier": "central", "name": name, "cpus": cpus, "iters": 100, "min": p50,
            "p50": p50, "p90": p50, "p99": p50, "max": p50, "tsc_mhz": "2445.237"}


class FakeSymbols:
    """Two functions, at 0x1000 and 0x2000."""

    def name(self, addr):
        return f"barrier_wait+{addr - 0x1000:#x}" if addr < 0x2000 else f"idle+{addr - 0x2000:#x}"


def check_count_pairing():
    """The kernel's count lines (kernel/bench.h) and the plugin's (its
    header comment), written out here: per call, the harness off the
    caller, spin apart, waits named; and a plugin that counted fewer
    figures than the kernel ran is refused, not paired wrongly."""
    serial = "\n".join(["bench: count name=harness cpus=1 calls=16",
                        "bench: count name=generic_call_empty_central_idle cpus=2 calls=16"])
    plugin = "\n".join([
        "count: figure=1 vcpu=0 role=caller calls=16 insns=80 spin_insns=0 irq_insns=0 "
        "irq_spin_insns=0 waits=",
        "count: figure=1 vcpu=1 role=other calls=16 insns=0 spin_insns=0 irq_insns=0 "
        "irq_spin_insns=0 waits=",
        "count: figure=2 vcpu=0 role=caller calls=16 insns=16800 spin_insns=3200 irq_insns=0 "
        "irq_spin_insns=0 waits=1010:160",
        "count: figure=2 vcpu=1 role=other calls=16 insns=9920 spin_insns=0 irq_insns=9600 "
        "irq_spin_insns=0 waits="])
    counted = bench.count_lines(serial, plugin, FakeSymbols())
    name, cpus, per_cpu = counted[0]
    s = bench.summary(per_cpu)
    check("tools.bench_counts_per_call_with_the_harness_and_spin_taken_off",
          len(counted) == 1 and (name, cpus) == ("generic_call_empty_central_idle", 2) and
          s == {"caller_insns": 845.0, "participant_insns": 600.0, "total_insns": 1465.0,
                "spin_iters": 10.0} and per_cpu[0]["waits"] == {"barrier_wait+0x10": 10.0},
          f"{counted}, {s}")
    try:
        bench.count_lines(serial, "\n".join(plugin.splitlines()[:2]), FakeSymbols())
        refused_short = False
    except ValueError:
        refused_short = True
    check("tools.bench_refuses_counts_that_do_not_pair", refused_short,
          "a plugin output with one figure for two counted passes was paired")


def main():
    m = bench.LINE.match(BENCH_LINE)
    check("tools.bench_reads_the_kernels_line_form",
          m is not None and m.groups()[:2] == ("generic_call_empty_central_idle", "2") and
          m.group(5) == "28469" and m.group(9) == "2445.237", BENCH_LINE)
    q = bench.QUANTILES.match(QUANTILE_LINE)
    check("tools.bench_reads_21_quantiles",
          q is not None and len(q.group(3).split(",")) == 21, QUANTILE_LINE)

    check_count_pairing()

    args = bench.parse_args(["build"])
    check("tools.bench_defaults_are_a_sweep_that_fits_here",
          args.cpus == [1, 2, 4] and args.idle == ["hlt"] and args.barrier == "", str(vars(args)))
    check("tools.bench_refuses_bad_knobs",
          refused(["build", "--cpus", "0 2"]) and refused(["build", "--cpus", "two"]) and
          refused(["build", "--idle", "sleep"]) and refused(["build", "--apic", "x3apic"]) and
          refused(["build", "--barrier", "tree"]) and refused(["build", "--accel", "hvf"]) and
          not refused(["build", "--cpus", "1 2 4 8 16 32", "--idle", "hlt poll mwait"]),
          "a bad CPUS=, IDLE=, APIC= or BARRIER= must be refused, a large sweep taken")

    # A sweep of 2, 4 and 8 CPUs: the growth keeps only the call on every
    # CPU of its boot, one series per barrier booted; 1 000 -> 4 000 over
    # two doublings is 2x per doubling.
    sweep = [row("generic_call_empty_central_idle", 2, 1000),
             row("generic_call_empty_central_idle", 2, 700, vcpus=4),
             row("generic_call_empty_central_idle", 4, 2000),
             row("generic_call_empty_central_busy", 4, 2100),
             dict(row("generic_call_empty_dissemination_idle", 8, 3000), barrier="auto"),
             row("generic_call_empty_central_idle", 8, 4000), row("barrier_central", 8, 50)]
    growth = bench.growth_rows(sweep)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench.print_growth(growth)
    check("tools.bench_growth_is_the_every_cpu_call_per_barrier",
          sorted((r["name"], r["cpus"]) for r in growth) ==
          [("barrier=auto idle", 8), ("barrier=central busy", 4), ("barrier=central idle", 2),
           ("barrier=central idle", 4), ("barrier=central idle", 8)] and
          "2.00x" in out.getvalue(), out.getvalue())
    # kernel/barrier.h's rule, written out here: auto is central up to 4 CPUs.
    check("tools.bench_sweeps_auto_where_it_differs_from_central",
          bench.parse_args(["build", "--barrier", "auto"]).barrier == "auto" and
          bench.default_barriers([1, 2, 4]) == ["central", "dissemination"] and
          bench.default_barriers([2, 8]) == ["central", "dissemination", "auto"],
          f"{bench.default_barriers([1, 2, 4])}, {bench.default_barriers([2, 8])}")

    with tempfile.TemporaryDirectory() as tmp:
        rows = [row("tsc_read", 1, 120), row("tsc_read", 2, 121),
                row("generic_call_empty_central_idle", 1, 2000),
                row("generic_call_empty_central_idle", 2, 28000),
                row("generic_call_empty_central_idle", 2, 9000, idle="poll")]
        path = os.path.join(tmp, "p50.svg")
        bench.write_svg(path, rows)
        check("tools.bench_plots_one_curve_per_figure_and_idle_mode",
              len(polylines(path)) == 3, f"{len(polylines(path))} curves, want 3")

        qrows = []
        for idle, base in (("hlt", 20000), ("poll", 8000)):
            for cpus in (1, 2):
                r = {"accel": "tcg", "apic": "xapic", "idle": idle, "vcpus": 2,
                     "barrier": "central", "name": "generic_call_empty_central_idle",
                     "cpus": cpus}
                r.update({f"q{p}": base + 10 * p for p in range(0, 101, 5)})
                qrows.append(r)
        path = os.path.join(tmp, "distribution.svg")
        bench.write_distribution_svg(path, qrows)
        curves = polylines(path)
        check("tools.bench_distribution_is_every_cpu_per_configuration",
              len(curves) == 2 and all(len(c.get("points").split()) == 21 for c in curves),
              f"{len(curves)} curves, want 2 of 21 points (cpus=1 rows left out)")

    events = []
    for cpu, marks in ((0, ["call_start", "ipi_sent", "arrived", "released", "worker_start",
                            "worker_end", "completed", "call_end"]),
                       (1, ["handler_enter", "arrived", "released", "worker_start",
                            "worker_end", "completed", "handler_exit"])):
        for k, event in enumerate(marks):
            line = f"trace: cpu={cpu} call=7 event={event} tsc={1000000 + 1000 * k + cpu}"
            m = trace_tool.LINE.match(line)
            if m:
                c, n, e, t = m.groups()
                events.append((int(c), int(n), e, int(t)))
    check("tools.trace_reads_the_kernels_line_form", len(events) == 15, f"{len(events)} of 15")
    items = trace_tool.spans(events, 1000.0)
    names = {(cpu, name) for cpu, _call, name, _a, _b in items}
    check("tools.trace_draws_each_phase_of_each_cpu",
          (0, "publish + send IPIs") in names and (0, "unlock") in names and
          (1, "IPI handler: read the call") in names and (1, "leave handler") in names and
          all(b >= a for _c, _n, _name, a, b in items), str(sorted(names)))
    medians = trace_tool.phase_medians(events, items, 1000.0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        trace_tool.print_phase_medians(medians)
    lines = out.getvalue().splitlines()
    check("tools.trace_medians_are_in_cycles",
          any(line.split()[-1] == "1000" and "worker" in line for line in lines),
          out.getvalue())
    # The caller's marks are 1000 ticks apart: its call is 7 steps, its
    # entry barrier (arrived to released) one, a share of 1/7.
    check("tools.trace_gives_the_callers_whole_call_and_each_phase_share",
          medians.get(("whole call", "caller")) == 7000 and
          any(line.split()[:2] == ["entry", "barrier"] and line.split()[-1] == "0.14"
              for line in lines), out.getvalue())

    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
