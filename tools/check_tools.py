#!/usr/bin/env python3
"""Self-checks of make bench's, make trace's and make compare's own code
(prints KTAP).

tools/bench.py, tools/trace.py and tools/compare.py are what turn the
kernel's bench: and trace: lines, and the compare: lines of Linux's init
(tools/linux_init/membarrier_init.c), into the CSV files, the tables and the
pictures that docs/book/09-measuring.md quotes. These checks feed them lines
in the documented forms (kernel/diag/bench.h, kernel/diag/trace.h, the init's header
comment), written out here rather than taken from the code under test, and
look at what comes out: the parsed fields, the refused options, the ratios,
and plots (matplotlib's SVG, read back here) with one curve per series,
its name in the legend and the axes labelled; without matplotlib, the
plots' cases are skipped with the reason (make deps installs it). make
compare's initramfs is read back by a reader of the cpio format written
here, not by the writer's own code.
"""
import contextlib
import io
import os
import re
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET

import bench
import compare
import trace as trace_tool  # tools/trace.py, first on sys.path: not the standard trace
from common import ktap_out, plot

SVG = plot.SVG
BENCH_LINE = ("bench: name=generic_call_empty_central_idle cpus=2 iters=10000 min=11515 "
              "p50=28469 p90=34129 p99=58432 max=446562 tsc_mhz=2445.237")
QUANTILE_LINE = ("bench: quantiles name=generic_call_empty_central_idle cpus=2 q=" +
                 ",".join(str(1000 + 100 * i) for i in range(21)))

results = []


def check(name, ok, why=""):
    results.append((name, bool(ok), why))


NO_PLOTS = plot.missing()


def check_plot(name, draw, path, want):
    """Draws a chart (draw(path)) and checks it: want(chart) is (ok, why)
    for what svg_chart(path) read back. Skipped where matplotlib is missing."""
    if NO_PLOTS:
        results.append((name, None, NO_PLOTS))
        return
    draw(path)
    ok, why = want(svg_chart(path))
    check(name, ok, why)


def svg_chart(path):
    """What a chart of tools/common/plot.py shows: {series id: points} (a
    line's points are the moves of its path; bars or markers alone, their
    uses), the legend's texts, {series id: its shapes' titles} and every
    text (axis labels, tick labels)."""
    root = ET.parse(path).getroot()
    def text(e):
        return " ".join("".join(e.itertext()).split())
    series, legend, titles = {}, [], {}
    for g in root.iter(f"{SVG}g"):
        gid = g.get("id") or ""
        if gid.startswith(plot.CURVE):
            line = g.findall(f"{SVG}path")
            series[gid] = len(re.findall(r"[ML]", line[0].get("d"))) if line else \
                len(g.findall(f".//{SVG}use"))
            titles[gid] = [text(t) for e in g if e.tag != f"{SVG}defs"
                           for t in e.iter(f"{SVG}title")]
        elif gid.startswith("legend"):
            legend += [text(t) for t in g.iter(f"{SVG}text")]
    return {"series": series, "legend": legend, "titles": titles,
            "texts": [text(t) for t in root.iter(f"{SVG}text")]}


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
    """The kernel's count lines (kernel/diag/bench.h) and the plugin's (its
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


def read_newc(archive):
    """[(name, mode, (rdev major, minor), data)] of a "new ASCII" cpio
    archive, read by the format's definition (the 070701 magic, thirteen
    8-digit hexadecimal fields, name and data each padded to 4 bytes), up to
    and without the trailer; raises ValueError on anything else."""
    members, at = [], 0
    while True:
        header = archive[at:at + 110]
        if len(header) < 110 or header[:6] != b"070701":
            raise ValueError(f"no newc header at byte {at}")
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, rdev, name_size = fields[1], fields[6], (fields[9], fields[10]), fields[11]
        name_end = at + 110 + name_size
        if archive[name_end - 1:name_end] != b"\0":
            raise ValueError(f"the name at byte {at + 110} does not end in a NUL")
        name = archive[at + 110:name_end - 1].decode()
        data_at = (name_end + 3) & ~3
        data = archive[data_at:data_at + size]
        at = (data_at + size + 3) & ~3
        if name == "TRAILER!!!":
            if at != len(archive):
                raise ValueError(f"{len(archive) - at} bytes after the trailer")
            return members
        members.append((name, mode, rdev, data))


def check_compare():
    """make compare's reading of both sides' lines, its ratios, plot and
    knobs, and its initramfs."""
    linux_serial = "\n".join([
        "[    1.234567] Run /init as init process",
        "compare: linux=6.1.0-57-amd64 cpus=2",
        "compare: name=membarrier_private_expedited_idle cpus=2 iters=10000 min=3322 p50=3570 "
        "p90=3694 p99=4450 max=610994 tsc_mhz=2099.112",
        "compare: name=membarrier_private_expedited_busy cpus=2 iters=176 min=10358626 "
        "p50=25176780 p90=33588672 p99=50420842 max=50524474 tsc_mhz=2100.005\r",
        "compare: ipis name=membarrier_private_expedited_idle calls=3502 "
        "function_call_interrupts=3",
        "compare: ipis name=membarrier_private_expedited_busy calls=336 "
        "function_call_interrupts=336",
        "compare: done"])
    linux = compare.parse_figures(linux_serial, compare.LINUX_LINE)
    check("tools.compare_reads_the_linux_inits_line_form",
          sorted(linux) == ["membarrier_private_expedited_busy",
                            "membarrier_private_expedited_idle"] and
          linux["membarrier_private_expedited_busy"]["p50"] == "25176780" and
          linux["membarrier_private_expedited_idle"]["tsc_mhz"] == "2099.112", str(linux))
    ipis = compare.ipis_per_call(linux_serial + "\ncompare: ipis name=no_proc calls=10 "
                                 "function_call_interrupts=-1")
    check("tools.compare_reads_the_linux_inits_interrupt_counts",
          ipis == {"membarrier_private_expedited_idle": 0.001,
                   "membarrier_private_expedited_busy": 1.0, "no_proc": None}, str(ipis))
    found, why, init_error = compare.judge_linux(linux_serial, 0)
    check("tools.compare_takes_a_linux_boot_with_both_figures_and_one_ipi_per_call",
          found is not None and why is None and found["busy"]["ipis_per_call"] == 1.0 and
          found["idle"]["p50"] == "3570", f"{found} {why}")
    no_ipis = linux_serial.replace("calls=336 function_call_interrupts=336",
                                   "calls=336 function_call_interrupts=2")
    unsupported = "\n".join(["compare: linux=6.1.0-57-amd64 cpus=2",
                             "compare: error membarrier is not available (MEMBARRIER_CMD_QUERY: "
                             "Function not implemented)"])
    refused = [compare.judge_linux(no_ipis, 0), compare.judge_linux(unsupported, 0),
               compare.judge_linux(linux_serial.replace("compare: done", ""), "timeout")]
    check("tools.compare_refuses_a_linux_boot_without_ipis_an_error_or_an_end",
          all(f is None and w for f, w, _e in refused) and
          "not a call with IPIs" in refused[0][1] and
          refused[1][2].startswith("membarrier is not available") and refused[0][2] is None and
          "time limit" in refused[2][1] and "compare: done" in refused[2][1],
          " | ".join(str(w).splitlines()[0] for _f, w, _e in refused))
    ours = compare.parse_figures(BENCH_LINE + "\nbench: count name=x cpus=2 calls=16",
                                 bench.LINE)
    check("tools.compare_reads_the_kernels_bench_lines",
          list(ours) == ["generic_call_empty_central_idle"] and
          ours["generic_call_empty_central_idle"]["p50"] == "28469", str(ours))

    rows = []
    for number, (busy, idle, linux_busy) in enumerate(
            [(300, 200, 100), (900, 800, 100), (500, 400, 250)], start=1):
        rows.append(compare.ratio_row(
            number, "ours", {"busy": {"p50": str(busy), "tsc_mhz": "2100.0"},
                             "idle": {"p50": str(idle), "tsc_mhz": "2100.0"}},
            {"busy": {"p50": str(linux_busy), "tsc_mhz": "2100.0"},
             "idle": {"p50": "35", "tsc_mhz": "2100.0"}}, 12.0, 8.0))
    # Per round: 3, 9, 2 (busy) and 2, 8, 1.6 (idle, over Linux's busy):
    # the medians 3 and 2, not the ratio of the medians (500/100 = 5).
    medians = compare.medians(rows)
    check("tools.compare_reports_the_median_of_per_round_ratios",
          [r["ratio_busy"] for r in rows] == [3, 9, 2] and
          [r["ratio_idle"] for r in rows] == [2, 8, 1.6] and
          medians == {"ratio_busy": 3, "ratio_idle": 2}, f"{rows} {medians}")
    # At 2100 MHz 1 ms is 2.1 M cycles: Linux's busy p50 of 25 M is a host
    # time slice, our 312 k is not.
    slice_row = compare.ratio_row(
        1, "Linux", {"busy": {"p50": "312296", "tsc_mhz": "2100.0"},
                     "idle": {"p50": "2100000", "tsc_mhz": "2100.0"}},
        {"busy": {"p50": "25176780", "tsc_mhz": "2100.0"},
         "idle": {"p50": "3570", "tsc_mhz": "2100.0"}}, 8.0, 7.0, 3.5)
    check("tools.compare_marks_a_p50_of_a_host_time_slice",
          slice_row["over_1ms"] == "ours_idle linux_busy" and slice_row["host_load"] == 3.5 and
          all(r["over_1ms"] == "" for r in rows), str(slice_row))
    with tempfile.TemporaryDirectory() as tmp:
        check_plot("tools.compare_plots_each_ratio_per_round",
                   lambda path: compare.write_svg(path, rows), os.path.join(tmp, "ratios.svg"),
                   lambda c: (sorted(c["series"].values()) == [3, 3] and
                              {"busy: ours / Linux", "idle (ours) / Linux busy"} <= set(c["legend"])
                              and any(t.startswith("median ") for t in c["legend"]) and
                              {"round", "ratio of p50s"} <= set(c["texts"]),
                              f"want 2 curves of 3 rounds, each and its median in the legend, "
                              f"the axes labelled: {c}"))

    def compare_refuses(argv):
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                compare.parse_args(argv)
            except SystemExit:
                return True
        return False
    args = compare.parse_args(["build"])
    check("tools.compare_defaults_and_refused_knobs",
          (args.rounds, args.cpus, args.accel, args.barrier) == (5, 2, "tcg", "central") and
          compare_refuses(["build", "--cpus", "1"]) and
          compare_refuses(["build", "--cpus", "2 4"]) and
          compare_refuses(["build", "--rounds", "0"]) and
          compare_refuses(["build", "--accel", "icount"]) and
          not compare_refuses(["build", "--cpus", "4", "--accel", "kvm"]),
          "CPUS= must be one count of at least 2, ACCEL= tcg or kvm, rounds at least 1")

    ours_cfg = bench.bench_config("tcg", "xapic", 2, "central", "hlt")
    linux_cfg = compare.linux_config(ours_cfg, "/x/initramfs.cpio", "mitigations=off")
    same = ("machine", "memory", "smp", "accel", "firmware", "serial")
    check("tools.compare_boots_linux_in_the_benchs_qemu_configuration",
          all(getattr(ours_cfg, f) == getattr(linux_cfg, f) for f in same) and
          linux_cfg.boot == "kernel" and not linux_cfg.exit_device and
          linux_cfg.qemu_args[-2:] == ("-initrd", "/x/initramfs.cpio") and
          linux_cfg.cmdline.split()[0] == "console=ttyS0" and
          linux_cfg.cmdline.endswith("mitigations=off"), str(linux_cfg))

    init = bytes(range(256)) * 3 + b"odd"  # not a multiple of 4: padding shows
    try:
        members = read_newc(compare.initramfs(init))
        by_name = {name: (mode, rdev, data) for name, mode, rdev, data in members}
        ok = (set(by_name) == {"dev", "dev/console", "init"} and
              stat.S_ISDIR(by_name["dev"][0]) and
              stat.S_ISCHR(by_name["dev/console"][0]) and by_name["dev/console"][1] == (5, 1) and
              stat.S_ISREG(by_name["init"][0]) and by_name["init"][0] & 0o111 == 0o111 and
              by_name["init"][2] == init and
              [n for n, *_ in members].index("dev") < [n for n, *_ in members].index(
                  "dev/console"))
        why = str([(n, oct(m), r, len(d)) for n, m, r, d in members])
    except ValueError as e:
        ok, why = False, str(e)
    check("tools.compare_initramfs_is_newc_with_a_console_and_the_init", ok, why)


def main():
    m = bench.LINE.match(BENCH_LINE)
    check("tools.bench_reads_the_kernels_line_form",
          m is not None and m.groups()[:2] == ("generic_call_empty_central_idle", "2") and
          m.group(5) == "28469" and m.group(9) == "2445.237", BENCH_LINE)
    q = bench.QUANTILES.match(QUANTILE_LINE)
    check("tools.bench_reads_21_quantiles",
          q is not None and len(q.group(3).split(",")) == 21, QUANTILE_LINE)

    check_count_pairing()
    check_compare()

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
    # kernel/smp/barrier.h's rule, written out here: auto is central up to 4 CPUs.
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
        check_plot("tools.bench_plots_one_curve_per_figure_and_idle_mode",
                   lambda path: bench.write_svg(path, rows), os.path.join(tmp, "p50.svg"),
                   lambda c: (sorted(c["series"].values()) == [1, 2, 2] and
                              c["legend"] == ["generic_call_empty_central_idle [idle=hlt]",
                                              "generic_call_empty_central_idle [idle=poll]",
                                              "tsc_read [idle=hlt]"] and
                              {"CPUs taking part", "p50 cycles per call", "1", "2"} <=
                              set(c["texts"]),
                              f"want 3 curves (2, 2 and 1 points) named in the legend, the axes "
                              f"labelled: {c}"))

        qrows = []
        for idle, base in (("hlt", 20000), ("poll", 8000)):
            for cpus in (1, 2):
                r = {"accel": "tcg", "apic": "xapic", "idle": idle, "vcpus": 2,
                     "barrier": "central", "name": "generic_call_empty_central_idle",
                     "cpus": cpus}
                r.update({f"q{p}": base + 10 * p for p in range(0, 101, 5)})
                qrows.append(r)
        check_plot("tools.bench_distribution_is_every_cpu_per_configuration",
                   lambda path: bench.write_distribution_svg(path, qrows),
                   os.path.join(tmp, "distribution.svg"),
                   lambda c: (list(c["series"].values()) == [21, 21] and
                              c["legend"] == ["tcg xapic hlt central, 2 CPUs",
                                              "tcg xapic poll central, 2 CPUs"] and
                              "share of calls at most this long" in c["texts"],
                              f"want 2 curves of 21 points (cpus=1 rows left out) named in the "
                              f"legend: {c}"))

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
    with tempfile.TemporaryDirectory() as tmp:
        phases = [n for n in trace_tool.COLOURS if n in {name for _c, _n, name, _a, _b in items}]
        check_plot("tools.trace_plots_a_lane_per_cpu_and_each_phase_in_the_legend",
                   lambda path: trace_tool.write_svg(path, items), os.path.join(tmp, "trace.svg"),
                   lambda c: (len(phases) == 7 and len(c["series"]) == 7 and
                              c["legend"] == phases and {"CPU 0", "CPU 1"} <= set(c["texts"]) and
                              "microseconds since the first event" in c["texts"],
                              f"want the 7 phases as series and in the legend, a lane per CPU: "
                              f"{c}"))
        # Each bar's hover title, written out here from the made-up events
        # above, in the series of its phase: a title on another phase's
        # bar, or a bar without one, fails.
        want = {name: sorted(f"CPU {cpu}, call 7: {name}, {b - a:.2f} us"
                             for cpu, _call, n, a, b in items if n == name) for name in phases}
        check_plot("tools.trace_gives_each_bar_a_title_in_its_phases_series",
                   lambda path: trace_tool.write_svg(path, items), os.path.join(tmp, "trace.svg"),
                   lambda c: ({c["legend"][int(gid[len(plot.CURVE):]) - 1]: sorted(t)
                               for gid, t in c["titles"].items()} == want and
                              sum(map(len, want.values())) == len(items),
                              f"want {want}, got {c['titles']}"))
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
