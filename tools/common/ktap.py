"""KTAP: reading what the host tests, the kernel and the check scripts print
(ktap_out.py writes it)."""
import dataclasses
import re


@dataclasses.dataclass
class Outcome:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    lines: list = dataclasses.field(default_factory=list)   # what to print, in order
    names: set = dataclasses.field(default_factory=set)     # distinct KTAP case names

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.lines += other.lines
        self.names |= other.names


KTAP_RESULT = re.compile(r"^(ok|not ok) (\d+) ([^#]*?)\s*(?:#\s*(.*))?$")


KTAP_PLAN = re.compile(r"^1\.\.(\d+)$")


KTAP_DIAGNOSTIC = re.compile(r"^# ?(.*)$")


FILE_AND_LINE = re.compile(r"^[\w./-]+:\d+: ")


def failure_reason(diagnostics):
    """Why a case failed, from the diagnostic lines printed since the case
    before it: the first that names a source line (the failed check), else
    all of them."""
    for d in diagnostics:
        if FILE_AND_LINE.match(d):
            return d
    return " / ".join(diagnostics)[:300]


def parse_ktap(text):
    """Returns (plan or None, [(ok, number, name, note)]): an ok case's note
    is its directive ("SKIP why" or ""); a failed case's is why it failed,
    from the diagnostic lines before it (where the reason belongs: text
    after "not ok N name #" would be a directive), or from its directive
    where a reporter still puts it there."""
    plan, results, started, diagnostics = None, [], False, []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("KTAP version 1"):
            started = True
            plan, results, diagnostics = None, [], []
            continue
        if not started:
            continue
        m = KTAP_PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = KTAP_RESULT.match(line)
        if m:
            ok, directive = m.group(1) == "ok", m.group(4) or ""
            note = directive if ok or directive else failure_reason(diagnostics)
            results.append((ok, int(m.group(2)), m.group(3), note))
            diagnostics = []
            continue
        m = KTAP_DIAGNOSTIC.match(line)
        if m and m.group(1).strip():
            diagnostics.append(m.group(1).strip())
    return plan, results


HTEST_STARTED = re.compile(r"^# test: (\S+)$")
HTEST_VERDICT = re.compile(r"^# (ok|not ok) (\S+)$")


def case_verdicts(text):
    """Every case's verdict in a host test's output, as each was printed
    (tests/host/htest.h says it at once, before the report at the end), so
    that a crash or a hang loses none of the cases before it.

    Returns (verdicts, stopped, complete): verdicts {name: (ok, why)}, why
    from the diagnostic lines said before the verdict; stopped, the case
    that said it started ("# test: name") and has no verdict, or None;
    complete, whether the report at the end was printed with every case
    of its plan."""
    verdicts, started, diagnostics = {}, None, []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        m = HTEST_STARTED.match(line)
        if m:
            started, diagnostics = m.group(1), []
            continue
        m = HTEST_VERDICT.match(line)
        if m:
            ok = m.group(1) == "ok"
            verdicts[m.group(2)] = (ok, "" if ok else failure_reason(diagnostics))
            diagnostics = []
            continue
        m = KTAP_RESULT.match(line)
        if m and m.group(1) == "not ok" and (m.group(4) or "").startswith("hung"):
            verdicts[m.group(3)] = (False, m.group(4))  # test_rendezvous' run_cpus
            continue
        m = KTAP_DIAGNOSTIC.match(line)
        if m and m.group(1).strip():
            diagnostics.append(m.group(1).strip())
    plan, results = parse_ktap(text)
    for ok, _, name, note in results:
        verdicts[name] = (ok, "" if ok else note)
    complete = plan is not None and len(results) == plan
    stopped = started if started is not None and started not in verdicts else None
    return verdicts, stopped, complete


def is_skip(ok, note):
    """A case that was skipped (ok, with a SKIP directive), as KTAP says."""
    return ok and note.upper().startswith("SKIP")


def ktap_counts(text):
    """The runner's counts of the report in text, in TAP::Parser's terms
    (tests/runner/tap_check.py): "passed" includes the skipped, as it does there."""
    plan, results = parse_ktap(text)
    failed = sum(1 for ok, _, _, _ in results if not ok)
    return {"passed": len(results) - failed, "failed": failed,
            "skipped": sum(1 for ok, _, _, note in results if is_skip(ok, note)), "todo": 0,
            "planned": -1 if plan is None else plan, "run": len(results)}


def count_ktap(prefix, text, outcome, verbose):
    """Adds the KTAP cases in text to outcome; returns (plan, number of results)."""
    plan, results = parse_ktap(text)
    for ok, num, name, directive in results:
        outcome.names.add(name)
        label = f"{prefix}: {name}"
        if is_skip(ok, directive):
            outcome.skipped += 1
            if verbose:
                outcome.lines.append(f"  skip {label} # {directive}")
        elif ok:
            outcome.passed += 1
            if verbose:
                outcome.lines.append(f"  ok   {label}")
        else:
            outcome.failed += 1
            outcome.lines.append(f"  FAIL {label} # {directive}")
    return plan, len(results)


def tail(text, n=30):
    lines = text.splitlines()[-n:]
    return "\n".join("    | " + l for l in lines) if lines else "    | (no output)"
