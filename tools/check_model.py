#!/usr/bin/env python3
"""Checks tests/model/rendezvous.pml with SPIN for each configuration below
and prints KTAP (Python 3 standard library only; needs `spin` and a C compiler).

A configuration either must verify (no assertion violated, no invalid end
state, i.e. no deadlock) or, for the variants with a known defect put back,
must be rejected: that shows the model can fail.

    tools/check_model.py             the configurations of `make test`
    tools/check_model.py --all       also the larger ones (minutes each, GBs of memory)
    tools/check_model.py --only NAME
    tools/check_model.py -j 1        one pan at a time (default: one per core)
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from common import ROOT, ktap_out

MODEL = os.path.join(ROOT, "tests", "model", "rendezvous.pml")

# (name, defines, expected: "verified" or the kind of error SPIN must report,
#  "large": only with --all). Times and states measured on the development
# machine (2 cores, pan at -O0): the make test set is about 130 s of pan
# time in all, so about 75 s with two at once.
CONFIGS = [
    ("2cpus_2calls_subsets_central", "N=2 CALLS=2 SUBSETS", "verified", False),
    ("2cpus_2calls_subsets_dissemination_timeouts",
     "N=2 CALLS=2 SUBSETS DISSEMINATION TIMEOUTS", "verified", False),
    ("3cpus_timer_central", "N=3", "verified", False),
    ("3cpus_timer_central_timeouts", "N=3 TIMEOUTS", "verified", False),
    ("3cpus_timer_dissemination", "N=3 DISSEMINATION", "verified", False),
    ("3cpus_timer_subsets_central", "N=3 SUBSETS", "verified", False),
    ("4cpus_timer_central", "N=4", "verified", False),                    # 16 M states
    ("3cpus_timer_dissemination_timeouts", "N=3 DISSEMINATION TIMEOUTS", "verified", True),
    ("3cpus_timer_subsets_central_timeouts", "N=3 SUBSETS TIMEOUTS", "verified", True),
    # 186 M states, 11 GB when stored whole: bit-state hashing (supertrace)
    # covers nearly all of them in 512 MiB, and says how much it covered.
    ("4cpus_dissemination_supertrace", "N=4 NO_TIMER DISSEMINATION BITSTATE", "verified", True),
    # Defects the C code once had (docs/book/08-rendezvous.md), put back: SPIN must find each.
    ("defect1_lock_taken_with_interrupts_on_deadlocks",
     "N=3 BUG_LOCK_WITH_INTERRUPTS_ON", "invalid end state", False),
    ("defect2_no_abort_lets_a_worker_start_after_the_timeout",
     "N=3 TIMEOUTS BUG_NO_ABORT", "assertion violated", False),
    ("relaxed_publication_loses_a_call", "N=3 SUBSETS BUG_PUBLISH_EARLY",
     "assertion violated", False),
    # Spin-then-sleep (SLEEP): per-CPU announcements, the sleepers fast path,
    # latched wakes; callers choose among participant sets, so a CPU's rank
    # moves from call to call. CALLERS=3: CPUs 0 and 1 call, CPU 2 only
    # takes part (each sleep multiplies the interleavings: with every CPU
    # calling these are tens of millions of states, in the --all set).
    ("3cpus_sleep_changing_sets_central", "N=3 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS",
     "verified", False),                                                  # 3.2 M states, 9 s
    ("3cpus_sleep_moving_ranks_dissemination",
     "N=3 NO_TIMER CALLERS=3 SLEEP SUBSETS DISSEMINATION", "verified", False),  # 21 M, 43 s
    ("3cpus_sleep_changing_sets_central_timeouts",
     "N=3 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS TIMEOUTS", "verified", True),  # 17 M, 49 s
    ("3cpus_sleep_changing_sets_dissemination",
     "N=3 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS DISSEMINATION", "verified", True),  # 35 M, 100 s
    # Every CPU calls, CPU 2 twice (once from its timer), the case the
    # rank-slot defect below needs with three CPUs; CPUs 1 and 2 may sleep.
    ("3cpus_sleep_timer_on_cpu2_subsets_central",
     "N=3 TIMER_CPU=2 SLEEP SUBSETS SLEEPERS=6", "verified", True),       # 55 M, 143 s
    # The defect's own configuration without the defect.
    ("3cpus_sleep_cpu2_calls_twice_subsets_central",
     "N=3 TIMER_CPU=2 CALLERS=4 SLEEP SUBSETS SLEEPERS=6", "verified", False),  # 0.15 M, 3 s
    # Four CPUs sleeping with participant sets that change every call, both
    # barriers: too many states to store, so bit-state hashing (--all set).
    ("4cpus_sleep_changing_sets_central_supertrace",
     "N=4 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS BITSTATE", "verified", True),
    ("4cpus_sleep_changing_sets_dissemination_supertrace",
     "N=4 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS DISSEMINATION BITSTATE", "verified", True),
    # Calls alone (ALONE: only the caller is a member; nothing published, no
    # barrier, the lock still held) among calls of others that share CPUs.
    ("3cpus_timer_subsets_alone_central", "N=3 SUBSETS ALONE", "verified", False),
    ("3cpus_sleep_changing_sets_alone_central",
     "N=3 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS ALONE", "verified", False),
    ("3cpus_sleep_changing_sets_alone_dissemination",
     "N=3 NO_TIMER CALLERS=3 SLEEP CHANGING_SETS ALONE DISSEMINATION", "verified", True),
    ("defect_alone_without_the_lock_overlaps_a_call",
     "N=3 SUBSETS ALONE BUG_ALONE_WITHOUT_LOCK", "assertion violated", False),
    # Sleep defects: a wake-up is lost, and the ghost check names it.
    # Only CPU 2 calls, twice (once from its timer), the first time with
    # everyone, CPU 1 at rank 1; the second time with CPU 0: CPU 2 at rank 1.
    ("defect_announcement_by_rank_loses_a_wakeup",
     "N=3 TIMER_CPU=2 CALLERS=4 SLEEP SUBSETS SLEEPERS=6 BUG_ANNOUNCE_BY_RANK",
     "!(lost_wakeup)", False),
    ("defect_leaver_clears_anothers_announcement",
     "N=3 NO_TIMER SLEEP BUG_LEAVER_CLEARS", "!(lost_wakeup)", False),
    ("defect_waker_skips_a_rank", "N=3 NO_TIMER SLEEP BUG_WAKER_SKIPS_A_RANK",
     "!(lost_wakeup)", False),
]


def check(name, defines, expected, work, compiler):
    d = os.path.join(work, name)
    os.makedirs(d)
    shutil.copy(MODEL, d)
    bitstate = "BITSTATE" in defines.split()
    flags = [f"-D{x}" for x in defines.split() if x != "BITSTATE"]
    p = subprocess.run(["spin", "-a"] + flags + ["rendezvous.pml"], cwd=d,
                       capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(os.path.join(d, "pan.c")):
        return False, f"spin -a failed: {(p.stdout + p.stderr).strip()[-300:]}"
    # Safety properties only; states stored compressed; -w26: a 64 MiB hash
    # table. -O0: pan.c compiles in seconds (-O2 takes longer than the search).
    storage = ["-DBITSTATE"] if bitstate else ["-DCOLLAPSE", "-DMEMLIM=6000"]
    p = subprocess.run([compiler, "-O0", "-w", "-DSAFETY", "-DNOBOUNDCHECK"] + storage +
                       ["-o", "pan", "pan.c"], cwd=d, capture_output=True, text=True)
    if p.returncode != 0:
        return False, f"compiling pan.c failed: {p.stderr.strip()[-300:]}"
    start = time.monotonic()
    p = subprocess.run(["./pan", "-m2000000", "-w32" if bitstate else "-w26"], cwd=d,
                       capture_output=True, text=True)
    seconds = time.monotonic() - start
    out = p.stdout
    errors = re.search(r"errors: (\d+)", out)
    states = re.search(r"([\d.e+]+) states, stored", out)
    coverage = re.search(r"hash factor: ([\d.e+]+)", out)
    summary = (f"{states.group(1) if states else '?'} states, {seconds:.1f} s" +
               (f", supertrace (hash factor {coverage.group(1)})" if bitstate and coverage else ""))
    if errors is None:
        return False, f"pan gave no verdict ({summary}): {out.strip()[-300:]}"
    if "search not completed" in out or "out of memory" in out.lower():
        return False, f"the search did not complete ({summary})"
    n = int(errors.group(1))
    if expected == "verified":
        if n == 0:
            return True, f"verified: {summary}"
        what = re.search(r"pan:1: (.*)", out)
        return False, f"{what.group(1) if what else 'error'} ({summary}); " \
                      f"replay: spin -t -p {' '.join(flags)} rendezvous.pml in {d}"
    found = re.search(r"pan:1: (.*)", out)
    if n > 0 and found and expected in found.group(1):
        return True, f"rejected as it must be: {found.group(1)} ({summary})"
    return False, f"SPIN did not find the defect (want '{expected}'; {summary})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="pans at once (default: one per core)")
    args = ap.parse_args()
    configs = [c for c in CONFIGS if args.all or not c[3]]
    if args.only:
        configs = [c for c in CONFIGS if c[0] in args.only.split(",")]
    print("KTAP version 1")
    if shutil.which("spin") is None:
        print("1..0 # SKIP spin is not installed (Debian package spin)")
        return 0
    compiler = shutil.which("gcc") or shutil.which("cc") or "clang"
    print(f"1..{len(configs)}", flush=True)
    work = tempfile.mkdtemp(prefix="ipikernel-model-")
    failed = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            verdicts = [pool.submit(check, name, defines, expected, work, compiler)
                        for name, defines, expected, _ in configs]
        for i, ((name, defines, _, _), verdict) in enumerate(zip(configs, verdicts), 1):
            ok, why = verdict.result()
            failed += not ok
            print(ktap_out.not_ok(i, f"model.{name}", why) if not ok
                  else f"ok {i} model.{name}\n# {name} (-D {defines}): {why}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
