"""Grading a lab tree (tools/lab.py grade, check): build it, run the host
tests and QEMU boots its parts name, and score each part from the verdicts
of its cases.

Every case's verdict is read as the test printed it, not only from the
report at the end: a host test that a sanitizer stops, or that hangs,
fails the case it was running, and is run again for the cases after it
(HTEST_ONLY, tests/host/htest.h), so that no other case is lost. Each run's
whole output goes to a log file in the tree (<build>/grade/<lab>/), whose
path the report prints, with an excerpt of any sanitizer report.
"""
import dataclasses
import os
import re
import signal
import subprocess
import textwrap

GRADE_BOOT_TIMEOUT = 240    # seconds; a stub may make a boot wait for its deadlines
HOST_TEST_TIMEOUT = 300     # one run of a host test program
HOST_HANG_SECONDS = 30      # a threaded case that takes longer has hung (HTEST_HANG_SECONDS)
EXCERPT_LINES = 14
BUILD_FAILED = "the tree does not build:\n"


@dataclasses.dataclass
class CaseResult:
    name: str
    ok: bool
    why: str = ""
    excerpt: list = dataclasses.field(default_factory=list)   # a sanitizer's report, cut short


@dataclasses.dataclass
class PartResult:
    part: object            # lab_parts.Part
    status: str             # "pass", "fail", "skip"
    why: str = ""           # a problem of the whole run (build, boot), or why it was skipped
    failed: list = dataclasses.field(default_factory=list)    # CaseResult of each failed case
    log: str = ""


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


SANITIZER_START = re.compile(r"(WARNING|ERROR): (Thread|Address|UndefinedBehavior)Sanitizer|"
                             r"runtime error:")
ACCESS_HEADER = re.compile(r"^\s+(Write|Read|Previous write|Previous read|Atomic \w+|"
                           r"Previous atomic \w+|Location is)\b")
FRAME = re.compile(r"^\s+#(\d+) (.*?)(?: \(\S+\+0x[0-9a-f]+\))?$")


def sanitizer_excerpt(stderr, tree):
    """The lines of a sanitizer's report that say what happened and where:
    its first line, each access it names with the two innermost frames,
    and its summary."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if SANITIZER_START.search(line)), None)
    if start is None:
        return []
    prefix = os.path.abspath(tree) + os.sep
    out, frames_left = [lines[start].strip()], 0
    for line in lines[start + 1:]:
        if line.startswith("SUMMARY:"):
            out.append(line.replace(prefix, ""))
            break
        if ACCESS_HEADER.match(line):
            out.append("  " + re.sub(r" \(\S+\+0x[0-9a-f]+\)$", "", line.strip()))
            frames_left = 0 if line.strip().startswith("Location") else 2
            continue
        m = FRAME.match(line)
        if m and frames_left > 0:
            out.append(f"    #{m.group(1)} {m.group(2).replace(prefix, '')}")
            frames_left -= 1
    if len(out) > EXCERPT_LINES:
        out = out[:EXCERPT_LINES - 1] + out[-1:]
    return out


def why_it_stopped(returncode, stderr, timed_out):
    if timed_out:
        return f"no verdict within {HOST_TEST_TIMEOUT} s"
    m = SANITIZER_START.search(stderr)
    if m:
        line = next(line for line in stderr.splitlines() if SANITIZER_START.search(line))
        return "stopped by " + re.sub(r"\s*\(pid=\d+\)", "", line.strip())
    if returncode < 0:
        try:
            return f"the program died of {signal.Signals(-returncode).name}"
        except ValueError:
            return f"the program died of signal {-returncode}"
    return f"the program stopped (exit status {returncode}) before its report"


def run_host(tree, build, program, cases, log):
    """{case: CaseResult} for cases of one host test program. The program
    runs only those cases (HTEST_ONLY); when it stops before reporting them
    all, the case it was running fails with the reason, and it runs again
    for the rest."""
    from common.ktap import case_verdicts
    path = os.path.join(tree, build, "host", program)
    results, remaining = {}, list(cases)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as out:
        while remaining:
            only = ",".join(remaining)
            env = dict(os.environ, HTEST_ONLY=only, HTEST_HANG_SECONDS=str(HOST_HANG_SECONDS))
            timed_out = False
            try:
                p = subprocess.run([path], capture_output=True, text=True, cwd=tree, env=env,
                                   timeout=HOST_TEST_TIMEOUT)
                stdout, stderr, returncode = p.stdout, p.stderr, p.returncode
            except subprocess.TimeoutExpired as e:
                decode = (lambda b: b.decode(errors="replace") if isinstance(b, bytes)
                          else (b or ""))
                stdout, stderr, returncode, timed_out = decode(e.stdout), decode(e.stderr), -9, True
            out.write(f"$ HTEST_ONLY={only} {build}/host/{program}\n{stdout}")
            if stderr:
                out.write(f"--- stderr ---\n{stderr}")
            out.write(f"--- exit status {returncode}{' (timed out)' if timed_out else ''}\n\n")
            verdicts, stopped, complete = case_verdicts(stdout)
            reported = [name for name in remaining if name in verdicts]
            for name in reported:
                ok, why = verdicts[name]
                results[name] = CaseResult(name, ok, why)
            if complete and returncode in (0, 1):
                for name in remaining:
                    if name not in results:
                        results[name] = CaseResult(name, False,
                                                   f"{program} does not have this case")
                break
            why = why_it_stopped(returncode, stderr, timed_out)
            if stopped in remaining and stopped not in results:
                results[stopped] = CaseResult(stopped, False, why,
                                              sanitizer_excerpt(stderr, tree))
            elif not reported:
                # It stopped outside any case it announced, before any
                # verdict: running it again would stop the same way.
                for name in remaining:
                    results[name] = CaseResult(name, False, "not reported: " + why,
                                               sanitizer_excerpt(stderr, tree))
            remaining = [c for c in remaining if c not in results]
    return results


def run_boot(tree, build, spec, log, key, cases):
    """({case: CaseResult}, problem) of one QEMU boot; (None, why) when
    this machine cannot run it."""
    from common import constants
    from common.ktap import parse_ktap
    from common.config import Config
    from common.qemu import boot, skip_reason
    constants.load_constants(os.path.join(tree, build))
    cfg = Config(f"lab-{key}", accel=spec["accel"], smp=spec["smp"],
                 apic=spec.get("apic", "xapic"), cmdline=spec["cmdline"],
                 timeout=GRADE_BOOT_TIMEOUT)
    reason = skip_reason(cfg)
    if reason:
        return None, f"needs KVM: {reason}"
    logs = os.path.dirname(log)
    os.makedirs(logs, exist_ok=True)
    status, seconds, serial, cmd, topology = boot(cfg, os.path.join(tree, build, "kernel.elf"),
                                                  None, logs)
    with open(log, "w") as f:
        f.write(serial)
    _, reported = parse_ktap(serial)
    verdicts = {name: (ok and not note.upper().startswith("SKIP"), note or "")
                for ok, _, name, note in reported}
    results = {}
    for name in cases:
        if name not in verdicts:
            results[name] = CaseResult(name, False, "not reported: the boot ended before it")
        else:
            ok, note = verdicts[name]
            results[name] = CaseResult(name, ok, "" if ok else note or "not ok")
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


def report_path(tree, lab):
    """The report a lab tree's student wrote, or in the kernel's own tree
    (no .lab file) the reference's."""
    from lab_report import REPORT_FILE
    if os.path.exists(os.path.join(tree, ".lab")):
        return os.path.join(tree, REPORT_FILE)
    return os.path.join(tree, "tests", "labs", lab.name, REPORT_FILE)


def grade_report(tree, lab, build, logs, boots):
    """{kind: ({case: CaseResult}, problem, log)} of the lab's report parts:
    "read" always, "rerun" only with boots (it boots QEMU)."""
    import lab_report
    kinds = {}
    for p in lab.parts:
        if p.report:
            kinds.setdefault(p.report, []).extend(p.cases)
    if not kinds:
        return {}
    path = report_path(tree, lab)
    report = lab_report.Report(path)
    out = {}
    for kind, cases in kinds.items():
        if kind == "read":
            verdicts = lab_report.read_report(report, cases)
        elif boots:
            verdicts = lab_report.rerun_report(report, cases, tree, build, logs)
        else:
            continue
        out[kind] = ({c: CaseResult(c, ok, "" if ok else why) for c, (ok, why) in
                      verdicts.items()}, "", path if kind == "read" else logs)
    return out


class ResultCache:
    """What one tree's gradings gave, for another lab graded on the same
    tree (tools/lab.py check: the reference is the same tree for every
    lab). Keyed by what determines a result: the build (its targets), each
    host case with the number of the run (so that a case graded for two
    labs is still run RUNS times, not once per lab), and each boot by its
    spec and case set. Use one for one unchanged tree only."""

    def __init__(self):
        self.builds, self.cases, self.boots = {}, {}, {}
        self.reused = 0     # results taken from the cache instead of run

    def build(self, tree, build, cc, hosts):
        key = (build, cc, tuple(sorted(hosts)))
        if key not in self.builds:
            self.builds[key] = build_tree(tree, build, cc, hosts)
        return self.builds[key]


def host_results_cached(tree, build, cc, program, cases, log, cache, run):
    """run_host, running only the cases cache does not hold for this run."""
    if cache is None:
        return run_host(tree, build, program, cases, log)
    key = (build, cc, program, run)
    held = {c: cache.cases[key + (c,)] for c in cases if key + (c,) in cache.cases}
    missing = [c for c in cases if c not in held]
    results = run_host(tree, build, program, missing, log) if missing else {}
    if held:
        cache.reused += len(held)
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "a" if missing else "w") as f:
            f.write(f"(also {len(held)} case(s) whose results this grading took from an earlier "
                    f"lab's run {run + 1} of {program} on the same tree: "
                    f"{', '.join(sorted(held))})\n")
    for c, r in results.items():
        cache.cases[key + (c,)] = r
    results.update(held)
    return results


def grade_lab(tree, lab, build, cc, logs, boots=True, cache=None, run=0):
    """[PartResult] of the lab in tree; boots=False leaves the QEMU parts
    out (skipped), for a quick second look at the host-graded ones. cache
    (a ResultCache of this tree) reuses what another lab's grading of run
    number run found."""
    hosts = {}
    for p in lab.parts:
        if p.host:
            hosts.setdefault(p.host, []).extend(c for c in p.cases if c not in hosts[p.host])
    error = (cache.build(tree, build, cc, set(hosts)) if cache is not None
             else build_tree(tree, build, cc, set(hosts)))
    if error:
        return [PartResult(p, "fail", BUILD_FAILED + error) for p in lab.parts]
    host_logs = {h: os.path.join(logs, f"{h}.log") for h in hosts}
    host_results = {h: host_results_cached(tree, build, cc, h, cases, host_logs[h], cache, run)
                    for h, cases in hosts.items()}
    report_results = grade_report(tree, lab, build, logs, boots)
    boot_logs = {k: os.path.join(logs, f"qemu-{k}.log") for k in lab.boots}
    boot_results = {}
    for k, spec in lab.boots.items():
        cases = [c for p in lab.parts if p.boot == k for c in p.cases]
        if not (cases and boots):
            continue
        key = (build, cc, tuple(sorted(spec.items())), tuple(sorted(cases)))
        if cache is not None and key in cache.boots:
            boot_results[k], boot_logs[k] = cache.boots[key]
            cache.reused += len(cases)
            continue
        boot_results[k] = run_boot(tree, build, spec, boot_logs[k], k, cases)
        if cache is not None:
            cache.boots[key] = boot_results[k], boot_logs[k]
    out = []
    for p in lab.parts:
        if p.host:
            results, problem, log = host_results[p.host], "", host_logs[p.host]
        elif p.report:
            if p.report not in report_results:
                out.append(PartResult(p, "skip", "not run"))
                continue
            results, problem, log = report_results[p.report]
        elif p.boot not in boot_results:
            out.append(PartResult(p, "skip", "not run"))
            continue
        else:
            (results, problem), log = boot_results[p.boot], boot_logs[p.boot]
        if results is None:
            out.append(PartResult(p, "skip", problem))
            continue
        failed = [results[c] for c in p.cases if not results[c].ok]
        status = "fail" if failed or problem else "pass"
        out.append(PartResult(p, status, problem, failed, log))
    return out


def score(results):
    got = sum(r.part.points for r in results if r.status == "pass")
    total = sum(r.part.points for r in results if r.status != "skip")
    return got, total


def failed_cases(results):
    """The failed cases of the parts that ran, sorted: with the score, what
    a repeated grading must reproduce."""
    return sorted(c.name for r in results for c in r.failed)


def recognised(lab, case):
    """The hints of the lab's mistakes that the failed case shows."""
    text = "\n".join([case.why] + case.excerpt)
    return [m.hint for m in lab.mistakes if re.search(m.pattern, text, re.M)]


def print_grade(lab, results, tree):
    print(f"lab {lab.name}: {lab.title} ({lab.handout})")
    if results and all(r.why.startswith(BUILD_FAILED) for r in results):
        print("  the tree does not build; the compiler said:")
        for line in results[0].why[len(BUILD_FAILED):].splitlines():
            print(f"    {line}")
        for r in results:
            print(f"  [  0/{r.part.points:3}] {r.part.name}: {r.part.title}: not built")
        total = sum(r.part.points for r in results)
        print(f"  score: 0/{total}")
        return 0, total
    for r in results:
        got = r.part.points if r.status == "pass" else 0
        mark = {"pass": "ok", "fail": "FAIL", "skip": "skipped"}[r.status]
        print(f"  [{got:3}/{r.part.points:3}] {r.part.name}: {r.part.title}: {mark}")
        if r.status == "skip":
            print(f"            ({r.why})")
            continue
        if r.status != "fail":
            continue
        if r.why:
            print(f"            {r.why}")
        for c in r.failed:
            print(f"            {c.name}: {c.why}")
            for line in c.excerpt:
                print(f"              | {line}")
            for hint in [r.part.cases[c.name]] + recognised(lab, c):
                print(textwrap.fill(hint, 100, initial_indent="              hint: ",
                                    subsequent_indent=" " * 20))
        if r.log:
            print(f"            log: {os.path.relpath(r.log, tree)}")
    got, total = score(results)
    print(f"  score: {got}/{total}")
    return got, total
