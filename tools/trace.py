#!/usr/bin/env python3
"""make trace: the rendezvous' timeline, as pictures.

Boots the kernel with "trace" the way the test runner boots it (its QEMU
command, tools/common/qemu.py), reads the trace: lines (kernel/diag/trace.h) and
writes BUILD_DIR/trace/trace.json (Chrome trace-event format: open it in
https://ui.perfetto.dev or chrome://tracing, one track per CPU) and
BUILD_DIR/trace/trace.svg (one swim lane per CPU, a bar per phase, drawn
by matplotlib: tools/common/plot.py; each bar's title, which a browser
shows under the pointer, names its CPU, call, phase and length).

It also prints where the cycles went: the median length of each phase, per
CPU role (the caller, CPU 0, and the others), the caller's whole call, and
each of the caller's phases as a share of it.

Usage: trace.py BUILD_DIR CPUS [LOG]   (LOG: read the lines from a serial
log instead of booting; ACCEL=kvm|tcg|icount in the environment picks the
accelerator, default KVM where it works here; icount is TCG counting
instructions, -icount shift=0, whose timeline is the same on every run)"""
import json
import os
import re
import sys

from common import constants, plot
from common.config import Config
from common.qemu import boot, describe_status, kvm_unusable_reason

LINE = re.compile(r"^trace: cpu=(\d+) call=(\d+) event=(\w+) tsc=(\d+)$", re.M)
# The spans drawn: from one event to the next on the same CPU, named by
# what the CPU was doing in between.
SPANS = [("call_start", "ipi_sent", "publish + send IPIs"),
         ("handler_enter", "arrived", "IPI handler: read the call"),
         ("arrived", "released", "entry barrier"),
         ("worker_start", "worker_end", "worker"),
         ("worker_end", "completed", "exit barrier"),
         ("completed", "handler_exit", "leave handler"),
         ("completed", "call_end", "unlock")]
COLOURS = {"publish + send IPIs": "#1f77b4", "IPI handler: read the call": "#9467bd",
           "entry barrier": "#d62728", "worker": "#2ca02c", "exit barrier": "#ff7f0e",
           "leave handler": "#8c564b", "unlock": "#7f7f7f"}


def trace_config(accel, cpus):
    """The boot of make trace (tools/lab_report.py boots the same one)."""
    return Config(f"trace-{accel}-smp{cpus}", accel="tcg" if accel == "icount" else accel,
                  smp=str(cpus), qemu_args=("-icount", "shift=0") if accel == "icount" else (),
                  cmdline="trace", expect="bench", timeout=300)


def read_trace(serial):
    """(events, tsc_mhz) of a boot's serial output: events are (cpu, call,
    event, tsc)."""
    mhz = re.search(r"tsc_mhz=([\d.]+)|TSC ([\d.]+) MHz", serial)
    events = [(int(c), int(n), e, int(t)) for c, n, e, t in LINE.findall(serial)]
    return events, float(next(g for g in mhz.groups() if g)) if mhz else 1000.0


def spans(events, tsc_mhz):
    """[(cpu, call, name, start_us, end_us)] from the parsed events."""
    by = {}
    for cpu, call, event, tsc in events:
        by.setdefault((cpu, call), {})[event] = tsc
    t0 = min(e[3] for e in events)
    out = []
    for (cpu, call), ev in sorted(by.items()):
        for a, b, name in SPANS:
            if a in ev and b in ev and ev[b] >= ev[a]:
                out.append((cpu, call, name, (ev[a] - t0) / tsc_mhz, (ev[b] - t0) / tsc_mhz))
    return out


WHOLE_CALL = "whole call"   # the caller's call_start to call_end


def phase_medians(events, items, tsc_mhz):
    """{(phase, role): median cycles}, the caller (CPU 0) apart from the
    others, and the caller's whole call (WHOLE_CALL, "caller")."""
    lengths = {}
    for cpu, _call, name, start, end in items:
        role = "caller" if cpu == 0 else "others"
        lengths.setdefault((name, role), []).append((end - start) * tsc_mhz)
    by = {}
    for cpu, call, event, tsc in events:
        if cpu == 0:
            by.setdefault(call, {})[event] = tsc
    lengths[(WHOLE_CALL, "caller")] = [ev["call_end"] - ev["call_start"] for ev in by.values()
                                       if "call_start" in ev and "call_end" in ev]
    return {key: sorted(v)[len(v) // 2] for key, v in lengths.items() if v}


def print_phase_medians(medians):
    """Median cycles per phase, and each of the caller's phases as a share
    of its whole call. The caller's phases follow one another, but each
    median may come from another call, so the shares need not add up to 1."""
    whole = medians.get((WHOLE_CALL, "caller"))
    print(f"{'phase':28} {'role':>6} {'median cycles':>14} {'share of call':>14}")
    for name in [n for _a, _b, n in SPANS] + [WHOLE_CALL]:
        for role in ("caller", "others"):
            v = medians.get((name, role))
            if v is None:
                continue
            share = f"{v / whole:14.2f}" if role == "caller" and whole else ""
            print(f"{name:28} {role:>6} {v:>14.0f} {share}".rstrip())


def write_json(path, items):
    trace = [{"name": name, "cat": f"call {call}", "ph": "X", "pid": 0, "tid": cpu,
              "ts": start, "dur": max(end - start, 0.001)} for cpu, call, name, start, end in items]
    trace += [{"name": "thread_name", "ph": "M", "pid": 0, "tid": cpu, "args": {"name": f"CPU {cpu}"}}
              for cpu in sorted({i[0] for i in items})]
    with open(path, "w") as f:
        json.dump({"traceEvents": trace, "displayTimeUnit": "ns"}, f)


def write_svg(path, items):
    """One swim lane per CPU (CPU 0 on top), a bar per phase of each call,
    coloured by phase, against microseconds since the first event."""
    from matplotlib.collections import PolyCollection
    cpus = sorted({i[0] for i in items})
    end = max(i[4] for i in items) or 1
    fig, ax = plot.figure(12, 1.2 + 0.5 * len(cpus))
    lane = {cpu: len(cpus) - 1 - row for row, cpu in enumerate(cpus)}
    titles = {}
    for name, colour in COLOURS.items():
        # One collection per phase, every CPU's bars in it: one legend entry.
        mine = [i for i in items if i[2] == name]
        if not mine:
            continue
        bars = [[(start, lane[cpu] - 0.35), (stop, lane[cpu] - 0.35), (stop, lane[cpu] + 0.35),
                 (start, lane[cpu] + 0.35)] for cpu, _call, _phase, start, stop in mine]
        gid = plot.series_id(ax)
        ax.add_collection(PolyCollection(bars, facecolors=colour, edgecolors=colour,
                                         linewidths=0.3, label=name, gid=gid))
        titles[gid] = [bar_title(item) for item in mine]
    ax.set_xlim(0, end)
    ax.set_ylim(-0.6, len(cpus) - 0.4)
    ax.set_yticks([lane[c] for c in cpus], [f"CPU {c}" for c in cpus])
    ax.set_xlabel("microseconds since the first event")
    ax.set_title(f"the rendezvous, phase by phase ({end:.1f} us in all)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    plot.save(fig, path, titles)


def bar_title(item):
    """What a browser shows on a bar: whose, which call, which phase, how long."""
    cpu, call, name, start, stop = item
    return f"CPU {cpu}, call {call}: {name}, {stop - start:.2f} us"


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    build, cpus = sys.argv[1], int(sys.argv[2])
    no_plots = plot.missing()
    if no_plots:
        print(f"trace: {no_plots}")
        return 2
    if len(sys.argv) == 4:
        with open(sys.argv[3], errors="replace") as f:
            serial = f.read()
    else:
        constants.load_constants(build)
        why_not_kvm = kvm_unusable_reason()
        accel = os.environ.get("ACCEL") or ("tcg" if why_not_kvm else "kvm")
        if accel not in ("kvm", "tcg", "icount") or (accel == "kvm" and why_not_kvm):
            print(f"trace: cannot use ACCEL={accel}" + (f": {why_not_kvm}" if why_not_kvm else ""))
            return 2
        workdir = os.path.join(build, "trace")
        os.makedirs(workdir, exist_ok=True)
        cfg = trace_config(accel, cpus)
        status, seconds, serial, _cmd, _topology = boot(cfg, os.path.join(build, "kernel.elf"),
                                                        None, workdir)
        print(f"# {cfg.name}: {describe_status(status)} ({seconds:.1f} s)")
    events, tsc_mhz = read_trace(serial)
    if not events:
        print("trace: no trace: lines in the output")
        return 1
    outdir = os.path.join(build, "trace")
    os.makedirs(outdir, exist_ok=True)
    items = spans(events, tsc_mhz)
    write_json(os.path.join(outdir, "trace.json"), items)
    write_svg(os.path.join(outdir, "trace.svg"), items)
    print_phase_medians(phase_medians(events, items, tsc_mhz))
    print(f"{len(events)} events of {len({e[1] for e in events})} calls on "
          f"{len({e[0] for e in events})} CPUs: {outdir}/trace.json, {outdir}/trace.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
