#!/usr/bin/env python3
"""make soak: boots the rendezvous stress self-tests again and again, for a
set time, on several CPU counts and both barriers, and counts.

    tools/soak.py --build build --minutes 10 --cpus "2 4" --barriers "central dissemination" --sets all

Each boot runs the stress self-tests under TCG, through the test runner's
own QEMU command, and must end with all of them passed and no lost wake-up.
Which ones (--sets, make soak SOAK_SETS=):
    all       every "ipi.stress_" self-test (the default)
    full      those that call every CPU: back-to-back calls, every CPU
              calling at once with timer interrupts, calls from the timer
    changing  those whose participant set changes every call, so ranks
              move under the barriers' sleep and wake-up (issue 19)
The shapes take turns until the time is up. At the end, one line per shape
and a total:

    soak: cpus=<n> barrier=<b> runs=<r> calls=<c> failures=<f> lost_wakeups=<l> longest_call_ms=<t>
    soak: total runs=<r> calls=<c> failures=<f> lost_wakeups=<l> longest_call_ms=<t> minutes=<m>

lost_wakeups: sleeps at a barrier that their bound ended after the wait was
over (the kernel's "ipi: ... lost_wakeups=" line); longest_call_ms: the
longest single call any stress self-test saw ("longest call <us> us").

The serial log of the first failing run is kept as build/soak/first-failure.log.
"""
import argparse
import os
import re
import shutil
import sys
import time

from common import ROOT, constants
from common.ktap import parse_ktap
from common.config import Config
from common.qemu import boot, describe_status

CALLS = re.compile(r"^# (\d+)(?: of \d+)? (?:back-to-back )?calls", re.M)
LONGEST = re.compile(r"^# .*longest call (\d+) us", re.M)
LOST = re.compile(r"^ipi: sleeps=\d+ lost_wakeups=(\d+)", re.M)
SETS = {"all": "test=ipi.stress_",
        "full": "test=ipi.stress_ test_skip=ipi.stress_changing_sets*",
        "changing": "test=ipi.stress_changing_sets"}
TIMER_CALLS = re.compile(r"^# (\d+) calls from the timer handler among (\d+)", re.M)


def calls_in(serial):
    """The rendezvous calls a boot's stress tests report having made."""
    total = sum(int(n) for n in CALLS.findall(serial))
    total += sum(int(a) + int(b) for a, b in TIMER_CALLS.findall(serial))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--cpus", default="2 4")
    ap.add_argument("--barriers", default="central dissemination")
    ap.add_argument("--stress-calls", type=int, default=20000)
    ap.add_argument("--options", default="", help="more kernel options for every boot")
    ap.add_argument("--sets", default="all", choices=sorted(SETS),
                    help="which stress self-tests: all, full (every CPU) or changing (subsets)")
    a = ap.parse_args()
    constants.load_constants(a.build)
    kernel = os.path.join(a.build, "kernel.elf")
    work = os.path.join(a.build, "soak")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    shapes = [(int(c), b) for c in a.cpus.split() for b in a.barriers.split()]
    keys = ("runs", "calls", "failures", "lost_wakeups")
    counts = {s: dict.fromkeys(keys, 0) | {"longest_us": 0} for s in shapes}
    first_failure = None
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < a.minutes * 60:
        cpus, barrier = shapes[i % len(shapes)]
        i += 1
        cfg = Config(f"soak-smp{cpus}-{barrier}", smp=str(cpus),
                     cmdline=f"{SETS[a.sets]} stress_calls={a.stress_calls} barrier={barrier} "
                             f"{a.options}".strip())
        status, seconds, serial, cmd, _ = boot(cfg, kernel, {}, work)
        plan, results = parse_ktap(serial)
        lost = LOST.findall(serial)
        ok = (status == constants.EXIT_PASS and plan is not None and plan == len(results) and
              all(r[0] for r in results) and len(lost) == 1 and lost[0] == "0")
        c = counts[(cpus, barrier)]
        c["runs"] += 1
        c["calls"] += calls_in(serial)
        c["lost_wakeups"] += sum(int(n) for n in lost)
        c["longest_us"] = max([c["longest_us"]] + [int(n) for n in LONGEST.findall(serial)])
        if not ok:
            c["failures"] += 1
            print(f"soak: run {i} (cpus={cpus} barrier={barrier}) failed: "
                  f"{describe_status(status)}", flush=True)
            if first_failure is None:
                first_failure = os.path.join(work, "first-failure.log")
                with open(first_failure, "w") as f:
                    f.write(f"# {cmd}\n{serial}")
    minutes = (time.monotonic() - start) / 60
    for (cpus, barrier), c in counts.items():
        print(f"soak: cpus={cpus} barrier={barrier} runs={c['runs']} calls={c['calls']} "
              f"failures={c['failures']} lost_wakeups={c['lost_wakeups']} "
              f"longest_call_ms={c['longest_us'] / 1000:.1f}")
    total = {k: sum(c[k] for c in counts.values()) for k in keys}
    longest = max(c["longest_us"] for c in counts.values()) / 1000
    print(f"soak: total runs={total['runs']} calls={total['calls']} "
          f"failures={total['failures']} lost_wakeups={total['lost_wakeups']} "
          f"longest_call_ms={longest:.1f} minutes={minutes:.1f}")
    if first_failure:
        print(f"soak: the first failing run's log: {first_failure}")
    return 1 if total["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
