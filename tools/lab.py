#!/usr/bin/env python3
"""Labs: student trees made from marked regions of the real source, and
their grading by the self-tests (make lab, make grade; docs/labs/).

A lab is one or more regions of the kernel's own source, marked so:

    /* LAB(name) begin: what the code does, in one line */
    ... the real code (the reference solution) ...
    /* LAB(name) stub
    ... code that compiles and does nothing useful ...
    LAB(name) end */

The stub sits inside a comment, so the kernel is built from the real code;
a lab tree has the real code replaced by the stub and a pointer to the
handout. The labs therefore cannot drift from the kernel: they are the
kernel, with a piece taken out.

    tools/lab.py list
    tools/lab.py make NAME [--out DIR]       a student tree (a git repository)
    tools/lab.py grade [--lab NAME] [--build DIR] [--cc CC]
    tools/lab.py check --build DIR [--cc CC] make test: every lab's stub loses
                                             marks and the reference gets them all
    tools/lab.py docs                        rewrite the grading tables of the handouts
                                             (docs/labs/NAME.md) from the table below

Grading builds the tree (make kernel and the host tests it needs), runs
host tests and QEMU boots, and gives each part its points when every test
it names passed (and, for a boot, every CPU QEMU made is online). A part
that cannot run here (x2APIC needs KVM) is skipped with the reason and
left out of the total.
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from tree_files import tree_files  # noqa: E402
MARKED_DIRS = ("kernel", "arch", "boot", "lib")
LAB_FILE = ".lab"           # in a student tree: the lab it was made for
GRADE_BOOT_TIMEOUT = 240    # seconds; a stub may make a boot wait for its deadlines
HOST_TEST_TIMEOUT = 300

BEGIN = re.compile(r"^[ \t]*/\* LAB\((?P<name>[\w-]+)\) begin: (?P<task>.*?) \*/\n", re.M)


def stub_pattern(name):
    n = re.escape(name)
    return re.compile(rf"^(?P<indent>[ \t]*)/\* LAB\({n}\) stub\n(?P<stub>.*?)"
                      rf"^[ \t]*LAB\({n}\) end \*/\n", re.M | re.S)


@dataclasses.dataclass
class Part:
    name: str
    title: str
    points: int
    hint: str
    host: str = ""          # a host test program (build/host/<host>)
    boot: str = ""          # a key of Lab.boots
    cases: tuple = ()       # KTAP case names that must all pass


@dataclasses.dataclass
class Lab:
    name: str
    title: str
    boots: dict             # key -> dict(accel=, smp=, cmdline=)
    parts: list

    @property
    def handout(self):
        return f"docs/labs/{self.name}.md"


# Boots end faster on a broken rendezvous with a short timeout; the KVM
# boots skip what this paravirtual KVM cannot emulate (tests/runner/matrix.py).
FAST = "ipi_timeout_ms=3000 ap_timeout_ms=500"
KVM_SKIPS = ("test_skip=exceptions.int3_is_resumable,"
             "ipi.a_spurious_interrupt_and_an_unasked_nmi_in_a_call_are_survived")

LABS = [
    Lab("x2apic", "The x2APIC: sending an IPI through the ICR, and the EOI",
        {"kvm4": dict(accel="kvm", smp="4", apic="x2apic",
                      cmdline=f"test apic=x2apic stress_calls=200 {FAST} {KVM_SKIPS}")},
        [Part("start", "INIT and SIPI reach the APs through the ICR", 30,
              "only the boot CPU is online: no IPI left this CPU. In x2APIC mode the ICR is one "
              "64-bit MSR (SDM vol. 3A §11.12.9): destination in bits 63:32, the rest in 31:0, "
              "written with a single WRMSR.",
              boot="kvm4", cases=("smp.every_enabled_madt_cpu_is_online",
                                  "smp.every_cpu_reads_its_own_apic_id")),
         Part("ipi", "a call's IPI reaches every CPU, more than once", 40,
              "the first interrupt on each CPU arrives but later ones do not: the local APIC "
              "still has the first in service. Every handler must end with an EOI (a write of 0 "
              "to the EOI register, MSR 0x80B in x2APIC mode, SDM vol. 3A §11.8.5).",
              boot="kvm4", cases=("smp.every_cpu_takes_a_probe_interrupt",
                                  "ipi.returns_the_callers_result_and_passes_the_argument",
                                  "ipi.every_cpu_runs_the_worker_exactly_once")),
         Part("many", "thousands of calls, timer interrupts beside them", 30,
              "calls stop after a while, or the timer stops: look for a path that sends or "
              "ends an interrupt without your code, or for a write of the ICR's two halves "
              "one after the other (x2APIC has one 64-bit register).",
              boot="kvm4", cases=("ipi.stress_back_to_back_calls",
                                  "ipi.the_call_path_writes_no_task_priority_and_one_eoi_per_"
                                  "participant",
                                  "irql.clock_level_holds_the_timer_back"))]),
    Lab("init-sipi-sipi", "Starting the APs: INIT-SIPI-SIPI",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=smp. ap_start=serial {FAST}")},
        [Part("sequence", "INIT, 10 ms, SIPI, to each AP in turn (the fake APIC's record)", 30,
              "compare your IPIs and delays with SDM vol. 3A §9.4.4.1: INIT (level assert), "
              "10 ms, then STARTUP with the trampoline's page number as the vector.",
              host="test_ap_start", cases=("ap_start.sdm_init_10ms_then_sipi_to_each_ap",
                                           "ap_start.fast_delays")),
         Part("second-sipi", "a second SIPI only for an AP that has not checked in", 20,
              "an AP that missed the first SIPI needs a second; one that checked in must not "
              "get it, by this kernel's rule (the SDM's example and Linux send it to all; "
              "wait_for_checkin tells you which, within sipi_us).",
              host="test_ap_start", cases=("ap_start.an_ap_that_needs_the_second_sipi_gets_it",)),
         Part("silent", "an AP that never answers is left out and sent back to INIT", 20,
              "after the second SIPI, wait up to options->timeout_ms for it; the code after your "
              "region sends the INIT that parks it again: leave `sent` true if the IPIs went out.",
              host="test_ap_start",
              cases=("ap_start.a_silent_ap_is_left_out_and_sent_back_to_init",)),
         Part("qemu", "four CPUs online in QEMU, one started at a time", 30,
              "the host tests pass but QEMU's APs do not start: check the vector of the SIPI "
              "(the trampoline's physical page, trampoline_sipi_vector()).",
              boot="tcg4", cases=("smp.every_enabled_madt_cpu_is_online",
                                  "smp.every_cpu_runs_on_its_own_stack"))]),
    Lab("central-barrier", "The central (counter) barrier",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. barrier=central {FAST}")},
        [Part("waits", "nobody leaves before the last arrives", 30,
              "a CPU left the barrier before everyone arrived: only the last arrival (the one "
              "whose increment reaches count) may release the episode.",
              host="test_rendezvous", cases=("barrier.central_2_threads",
                                             "barrier.central_6_threads")),
         Part("reuse", "the barrier works call after call", 20,
              "the second episode goes wrong: the last arrival must reset the counter before it "
              "releases, or early arrivals of the next episode are counted twice.",
              host="test_rendezvous", cases=("rendezvous.central_2_cpus_all_calling",
                                             "rendezvous.central_6_cpus_all_calling",
                                             "barrier.central_a_late_look_after_newer_episodes_"
                                             "sees_the_release")),
         Part("timeout", "a missing CPU makes everyone give up, and one of them reports", 20,
              "when the deadline passes, call give_up(): it decides the episode aborted exactly "
              "once (compare-and-swap), so one CPU hears BARRIER_TIMED_OUT and the rest "
              "BARRIER_ABORTED.",
              host="test_rendezvous", cases=("barrier.central_4_threads_one_absent_aborts_for_all",
                                             "barrier.central_two_timeouts_at_once_one_reports")),
         Part("sleep", "waiters that sleep are woken", 10,
              "wait with spin_until() (it sleeps after spinning a while) and wake the sleepers "
              "after the release: wake_sleepers().",
              host="test_rendezvous",
              cases=("barrier.central_3_threads_sleeping_waiters_are_woken",
                     "barrier.central_a_release_just_before_the_sleep_is_seen")),
         Part("qemu", "the rendezvous on four CPUs in QEMU", 20,
              "the host tests pass but the kernel's do not: look at the memory orders; the "
              "release must publish what the CPUs did before the barrier.",
              boot="tcg4", cases=("ipi.every_worker_starts_after_all_arrive_and_ends_before_"
                                  "any_returns", "ipi.every_cpu_runs_the_worker_exactly_once"))]),
    Lab("dissemination-barrier", "The dissemination barrier",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. barrier=dissemination {FAST}")},
        [Part("waits", "nobody leaves before the last arrives", 40,
              "in round r, rank i signals rank (i + 2^r) mod count and waits for the signal of "
              "rank (i - 2^r) mod count; after ceil(log2(count)) rounds everyone has heard, "
              "indirectly, from everyone.",
              host="test_rendezvous", cases=("barrier.dissemination_3_threads",
                                             "barrier.dissemination_6_threads",
                                             "rendezvous.dissemination_5_cpus_all_calling",
                                             "rendezvous.dissemination_6_cpus_all_calling")),
         Part("timeout", "a missing CPU makes everyone give up, and one of them reports", 20,
              "a CPU whose wait ended because the episode was decided by someone else must "
              "return that decision (result_of), not time out itself.",
              host="test_rendezvous",
              cases=("barrier.dissemination_5_threads_one_absent_aborts_for_all",
                     "barrier.dissemination_two_timeouts_at_once_one_reports")),
         Part("sleep", "waiters that sleep are woken", 20,
              "signal with signal_at_least() and wake the partner you signalled (wake_one); "
              "the one who decides the release wakes the rest.",
              host="test_rendezvous",
              cases=("barrier.dissemination_5_threads_sleeping_waiters_are_woken",
                     "barrier.dissemination_a_release_just_before_the_sleep_is_seen")),
         Part("qemu", "the rendezvous on four CPUs in QEMU", 20,
              "the host tests pass but the kernel's do not: a flag is per episode, so a late "
              "signal of an old episode must never overwrite a newer one.",
              boot="tcg4", cases=("ipi.every_worker_starts_after_all_arrive_and_ends_before_"
                                  "any_returns", "ipi.every_cpu_runs_the_worker_exactly_once"))]),
    Lab("rendezvous-caller", "The rendezvous, caller's side: ipi_call_checked",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. {FAST}")},
        [Part("everyone", "every online CPU runs the worker, once, together", 30,
              "choose the members under the call lock, publish the call (the sequence odd while "
              "you write it), send the IPIs, then take part yourself.",
              boot="tcg4", cases=("ipi.every_cpu_runs_the_worker_exactly_once",
                                  "ipi.every_worker_starts_after_all_arrive_and_ends_before_"
                                  "any_returns", "ipi.a_subset_call_leaves_the_others_alone")),
         Part("result", "the caller gets its own CPU's result", 20,
              "after take_part(), this CPU's own result is in me->ipi.result.",
              boot="tcg4", cases=("ipi.returns_the_callers_result_and_passes_the_argument",
                                  "ipi.a_call_from_an_ap_returns_that_aps_result")),
         Part("priority", "workers run at IPI_LEVEL with interrupts off", 20,
              "disable interrupts and raise to IPI_LEVEL before taking the ticket; lower and "
              "restore, in the reverse order, after releasing the lock.",
              boot="tcg4", cases=("ipi.workers_run_at_ipi_level_with_interrupts_off",
                                  "ipi.works_for_a_caller_with_interrupts_off")),
         Part("callers", "many callers at once, and callers interrupted by a timer", 30,
              "callers must queue (acquire_call_lock serves the calls of those ahead while it "
              "waits); a CPU that waits for the lock without serving deadlocks.",
              host="test_rendezvous",
              cases=("rendezvous.central_6_cpus_all_calling",
                     "rendezvous.dissemination_6_cpus_all_calling",
                     "rendezvous.timer_interrupt_that_calls_at_every_arch_call_of_the_caller",
                     "rendezvous.a_queue_longer_than_the_timeout_still_moves"))]),
]
LAB_BY_NAME = {lab.name: lab for lab in LABS}


# ---- the marked regions ----

def marked_files(root):
    return [f for f in tree_files(root) if f.split("/")[0] in MARKED_DIRS
            and f.endswith((".c", ".h", ".asm"))]


def regions(root):
    """{lab: [(file, task)]} for every marked region of the tree."""
    found = {}
    for f in marked_files(root):
        with open(os.path.join(root, f)) as fh:
            text = fh.read()
        for m in BEGIN.finditer(text):
            found.setdefault(m.group("name"), []).append((f, m.group("task")))
    return found


def strip_region(text, name, keep_solution):
    """Replaces each region of lab name: by its stub (keep_solution False) or
    by the real code alone, without the markers."""
    stub = stub_pattern(name)
    out, pos = [], 0
    for m in BEGIN.finditer(text):
        if m.group("name") != name:
            continue
        s = stub.search(text, m.end())
        if s is None:
            raise SystemExit(f"lab {name}: a region has no stub/end marker after "
                             f"'{m.group(0).strip()}'")
        out.append(text[pos:m.start()])
        if keep_solution:
            out.append(text[m.end():s.start()])
        else:
            indent = re.match(r"[ \t]*", m.group(0)).group(0)
            out.append(f"{indent}/* LAB({name}) TODO: {m.group('task')}.\n"
                       f"{indent} * docs/labs/{name}.md says what to write; make grade "
                       f"checks it. */\n")
            out.append(s.group("stub"))
        pos = s.end()
    out.append(text[pos:])
    return "".join(out)


def make_tree(root, name, out, git=True):
    """A copy of root's files with lab name's regions stubbed and every other
    lab's markers removed (their code kept). mtimes are kept, so a copied
    build directory only rebuilds what changed."""
    labs = regions(root)
    if name not in labs:
        raise SystemExit(f"lab {name}: no region marked LAB({name}) in the source "
                         f"(labs: {', '.join(sorted(labs))})")
    for f in tree_files(root):
        dst = os.path.join(out, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(root, f), dst)
    changed = []
    for f in marked_files(root):
        path = os.path.join(out, f)
        with open(path) as fh:
            text = fh.read()
        new = text
        for other in labs:
            new = strip_region(new, other, keep_solution=(other != name))
        if new != text:
            with open(path, "w") as fh:
                fh.write(new)
            changed.append(f)
    with open(os.path.join(out, LAB_FILE), "w") as fh:
        fh.write(name + "\n")
    if git and shutil.which("git"):
        env = dict(os.environ, GIT_AUTHOR_NAME="ipikernel lab", GIT_AUTHOR_EMAIL="lab@ipikernel",
                   GIT_COMMITTER_NAME="ipikernel lab", GIT_COMMITTER_EMAIL="lab@ipikernel")
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", f"lab {name}: the starting point"]):
            subprocess.run(cmd, cwd=out, env=env, check=True, capture_output=True)
    return [f for f in changed if name in regions_in_file(root, f)]


def regions_in_file(root, f):
    with open(os.path.join(root, f)) as fh:
        return {m.group("name") for m in BEGIN.finditer(fh.read())}


# ---- the handouts' grading tables, generated from LABS ----

TABLE_BEGIN = "<!-- grading: begin (generated from tools/lab.py by make lab-docs) -->\n"
TABLE_END = "<!-- grading: end -->"


def grading_table(lab):
    rows = ["| part | points | what it checks | tests |", "|------|--------|----------------|-------|"]
    for p in lab.parts:
        if p.host:
            where = f"host test `{p.host}`"
        else:
            spec = lab.boots[p.boot]
            where = f"QEMU ({spec['accel'].upper()}, {spec['smp']} CPUs, `{spec['cmdline'].split()[0]}`)"
        tests = ", ".join(f"`{c}`" for c in p.cases)
        rows.append(f"| {p.name} | {p.points} | {p.title} | {where}: {tests} |")
    return "\n".join(rows) + "\n"


def handout_with_table(lab):
    path = os.path.join(ROOT, lab.handout)
    with open(path) as f:
        text = f.read()
    if TABLE_BEGIN not in text or TABLE_END not in text:
        return text, None
    i = text.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    j = text.index(TABLE_END)
    return text, text[:i] + grading_table(lab) + text[j:]


def cmd_docs(args):
    for lab in LABS:
        old, new = handout_with_table(lab)
        if new is None:
            raise SystemExit(f"{lab.handout}: no grading markers")
        if new != old:
            with open(os.path.join(ROOT, lab.handout), "w") as f:
                f.write(new)
            print(f"updated {lab.handout}")
    return 0


# ---- grading ----

@dataclasses.dataclass
class PartResult:
    part: Part
    status: str             # "pass", "fail", "skip"
    why: str = ""


def build_tree(tree, build, cc, hosts):
    """Builds the kernel and the host tests the lab needs; None or the error."""
    targets = ["kernel"] + [f"{build}/host/{h}" for h in sorted(hosts)]
    cmd = ["make", "-s", "--no-print-directory", f"BUILD={build}"] + \
        ([f"CC={cc}"] if cc else []) + targets
    p = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    if p.returncode != 0:
        lines = [line for line in (p.stdout + p.stderr).splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line] or lines
        return "\n".join(errors[:8])
    return None


def ktap_statuses(text):
    """{case: "ok" | "not ok" | "skipped"} of a KTAP report."""
    from runner.ktap import parse_ktap
    _, results = parse_ktap(text)
    return {name: ("skipped" if "SKIP" in directive.upper() else "ok") if ok else "not ok"
            for ok, _, name, directive in results}


def run_host(tree, build, program):
    """{case: ok} of one host test program (KTAP)."""
    path = os.path.join(tree, build, "host", program)
    try:
        p = subprocess.run([path], capture_output=True, text=True, timeout=HOST_TEST_TIMEOUT,
                           cwd=tree)
        out = p.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
    return ktap_statuses(out), ""


def run_boot(tree, build, spec, logs, key):
    """{case: status} of one QEMU boot, and a problem with the CPUs, if any."""
    from runner import constants
    from runner.matrix import Config
    from runner.qemu import boot, skip_reason
    constants.load_constants(os.path.join(tree, build))
    cfg = Config(f"lab-{key}", accel=spec["accel"], smp=spec["smp"],
                 apic=spec.get("apic", "xapic"), cmdline=spec["cmdline"],
                 timeout=GRADE_BOOT_TIMEOUT)
    reason = skip_reason(cfg)
    if reason:
        return None, f"needs KVM: {reason}"
    os.makedirs(logs, exist_ok=True)
    status, seconds, serial, cmd, topology = boot(cfg, os.path.join(tree, build, "kernel.elf"),
                                                  None, logs)
    with open(os.path.join(logs, f"grade-{key}.log"), "w") as f:
        f.write(serial)
    results = ktap_statuses(serial)
    m = re.search(r"^smp: online=(\d+) possible=\d+ apic=(\w+)", serial, re.M)
    want = int(spec["smp"])
    problem = ""
    if m is None:
        problem = "the kernel printed no smp: line (it stopped before starting the APs)"
    elif int(m.group(1)) != want:
        problem = f"{m.group(1)} of the {want} CPUs QEMU made are online"
    elif spec.get("apic") and m.group(2) != spec["apic"]:
        problem = f"the APIC is in {m.group(2)} mode, not {spec['apic']}"
    if status == "timeout":
        problem = (problem + "; " if problem else "") + \
            f"the boot did not end within {GRADE_BOOT_TIMEOUT} s"
    return results, problem


def grade_lab(tree, lab, build, cc, logs):
    hosts = {p.host for p in lab.parts if p.host}
    error = build_tree(tree, build, cc, hosts)
    if error:
        return [PartResult(p, "fail", BUILD_FAILED + error) for p in lab.parts]
    host_results = {h: run_host(tree, build, h) for h in hosts}
    boot_results = {k: run_boot(tree, build, spec, logs, k) for k, spec in lab.boots.items()
                    if any(p.boot == k for p in lab.parts)}
    out = []
    for p in lab.parts:
        results, problem = host_results[p.host] if p.host else boot_results[p.boot]
        if results is None:
            out.append(PartResult(p, "skip", problem))
            continue
        bad = [c for c in p.cases if results.get(c) != "ok"]
        why = "; ".join(f"{c}: {results.get(c, 'not reported')}" for c in bad)
        if problem:
            why = problem + ("; " + why if why else "")
        out.append(PartResult(p, "fail" if why else "pass", why))
    return out


def score(results):
    got = sum(r.part.points for r in results if r.status == "pass")
    total = sum(r.part.points for r in results if r.status != "skip")
    return got, total


BUILD_FAILED = "the tree does not build:\n"


def print_grade(lab, results):
    print(f"lab {lab.name}: {lab.title} ({lab.handout})")
    if results and all(r.why.startswith(BUILD_FAILED) for r in results):
        print("  the tree does not build; the compiler said:")
        for line in results[0].why[len(BUILD_FAILED):].splitlines():
            print(f"    {line}")
        results = [PartResult(r.part, "fail", "not built") for r in results]
        for r in results:
            print(f"  [  0/{r.part.points:3}] {r.part.name}: {r.part.title}: not built")
        got, total = score(results)
        print(f"  score: {got}/{total}")
        return got, total
    for r in results:
        got = r.part.points if r.status == "pass" else 0
        mark = {"pass": "ok", "fail": "FAIL", "skip": "skipped"}[r.status]
        print(f"  [{got:3}/{r.part.points:3}] {r.part.name}: {r.part.title}: {mark}")
        if r.status == "fail":
            print(f"            hint: {r.part.hint}")
            for line in r.why.splitlines()[:10]:
                print(f"            ({line})")
        elif r.status == "skip":
            print(f"            ({r.why})")
    got, total = score(results)
    print(f"  score: {got}/{total}")
    return got, total


def cmd_grade(args):
    tree = ROOT
    names = [args.lab] if args.lab else []
    if not names and os.path.exists(os.path.join(tree, LAB_FILE)):
        with open(os.path.join(tree, LAB_FILE)) as f:
            names = [f.read().strip()]
    names = names or [lab.name for lab in LABS]
    for n in names:
        if n not in LAB_BY_NAME:
            raise SystemExit(f"unknown lab {n} (labs: {', '.join(LAB_BY_NAME)})")
    totals = []
    for n in names:
        lab = LAB_BY_NAME[n]
        results = grade_lab(tree, lab, args.build, args.cc,
                            os.path.join(tree, args.build, "grade-logs"))
        totals.append((n,) + print_grade(lab, results))
    print("grade: " + ", ".join(f"{n} {g}/{t}" for n, g, t in totals))
    return 0


def copy_build(src, dst):
    """The objects of an already-built tree, so a lab tree only rebuilds
    the files its lab changed."""
    skip = {"fuzz", "test-logs", "mutants", "soak", "bench", "bench-logs", "trace", "labs",
            "sanitized", "grade-logs"}
    if not os.path.isdir(src):
        return
    shutil.copytree(src, dst, copy_function=shutil.copy2, dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if
                                             (os.path.samefile(d, src) and n in skip)
                                             or n.endswith(".iso")])


def cmd_check(args):
    """make test: for every lab, the stub tree loses marks and the reference
    (this tree) gets them all; every lab has regions and a handout."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import ktap_out
    if os.path.exists(os.path.join(ROOT, LAB_FILE)):
        print("1..0 # SKIP this is a lab tree: its lab is graded by make grade, and the other "
              "labs' regions are not marked here")
        return 0
    results = []
    found = regions(ROOT)
    build = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    rel_build = os.path.relpath(build, ROOT)
    for lab in [LAB_BY_NAME[args.lab]] if args.lab else LABS:
        base = f"lab.{lab.name.replace('-', '_')}"
        has_handout = os.path.exists(os.path.join(ROOT, lab.handout))
        results.append((f"{base}.has_regions_and_a_handout", lab.name in found and has_handout,
                        f"regions {found.get(lab.name)}, handout {lab.handout}"))
        old, new = handout_with_table(lab) if has_handout else ("", None)
        results.append((f"{base}.the_handout_grading_table_is_current", new is not None
                        and new == old, "run make lab-docs (tools/lab.py docs)"))
        start = time.time()
        reference = grade_lab(ROOT, lab, rel_build, args.cc, os.path.join(build, "grade-logs"))
        got, total = score(reference)
        if total == 0:  # every part needs what this machine lacks (KVM)
            reasons = sorted({r.why for r in reference})
            results.append((f"{base}.the_reference_gets_full_marks", None, "; ".join(reasons)))
            results.append((f"{base}.the_stub_loses_marks", None, "; ".join(reasons)))
            continue
        results.append((f"{base}.the_reference_gets_full_marks", got == total,
                        f"{got}/{total}: " + "; ".join(f"{r.part.name}: {r.why}"
                                                       for r in reference if r.status == "fail")))
        tree = os.path.join(build, "labs", lab.name)
        if os.path.exists(tree):
            shutil.rmtree(tree)
        copy_build(build, os.path.join(tree, "build"))
        make_tree(ROOT, lab.name, tree, git=False)
        stub = grade_lab(tree, lab, "build", args.cc, os.path.join(build, "grade-logs",
                                                                   f"stub-{lab.name}"))
        s_got, s_total = score(stub)
        passed_parts = [r.part.name for r in stub if r.status == "pass"]
        results.append((f"{base}.the_stub_loses_marks", s_got < s_total,
                        f"stub scores {s_got}/{s_total} (parts passed: {passed_parts})"))
        if args.verbose:
            print(f"# {lab.name}: reference {got}/{total}, stub {s_got}/{s_total} "
                  f"(stub passed: {passed_parts}), {time.time() - start:.0f} s")
    return ktap_out.print_report(results)


def cmd_make(args):
    if args.name not in LAB_BY_NAME:
        raise SystemExit(f"unknown lab {args.name!r}; the labs are: {', '.join(LAB_BY_NAME)}")
    out = os.path.abspath(args.out or os.path.join(ROOT, "..", f"ipikernel-lab-{args.name}"))
    if os.path.exists(out) and os.listdir(out):
        raise SystemExit(f"{out} exists and is not empty: give LABDIR=another/place, or remove "
                         f"it if you no longer need the work in it")
    changed = make_tree(ROOT, args.name, out)
    lab = LAB_BY_NAME[args.name]
    print(f"lab {lab.name}: {lab.title}")
    print(f"  tree:     {out} (a git repository: `git diff` shows your work)")
    print(f"  to write: {', '.join(changed)} (look for LAB({lab.name}) TODO)")
    print(f"  handout:  {lab.handout}")
    print(f"  then:     cd {out} && make grade")
    return 0


def cmd_list(args):
    for lab in LABS:
        print(f"{lab.name:24} {lab.title}")
    return 0


def main():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list").set_defaults(fn=cmd_list)
    sub.add_parser("docs").set_defaults(fn=cmd_docs)
    m = sub.add_parser("make")
    m.add_argument("name")
    m.add_argument("--out")
    m.set_defaults(fn=cmd_make)
    for name, fn in (("grade", cmd_grade), ("check", cmd_check)):
        g = sub.add_parser(name)
        g.add_argument("--lab", default="")
        g.add_argument("--build", default="build")
        g.add_argument("--cc", default="")
        g.add_argument("-v", "--verbose", action="store_true")
        g.set_defaults(fn=fn)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
