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
    tools/lab.py make NAME [--out DIR] [--solved]
                                             a student tree (a git repository); --solved
                                             keeps the reference (to write a patch against)
    tools/lab.py grade [--lab NAME] [--build DIR] [--cc CC]
    tools/lab.py check --build DIR [--cc CC] make test: the reference gets full marks
                                             and each kept wrong solution scores as
                                             recorded, every time; the stub loses marks
    tools/lab.py docs                        rewrite the grading tables of the handouts
                                             (docs/labs/NAME.md) from tools/lab_parts.py

The parts, their cases and hints are in tools/lab_parts.py; grading (the
runs, the verdicts, the logs) is tools/lab_grade.py. A lab may also be
graded from a report the student writes (report.ini, checked by
tools/lab_report.py: the measuring labs); its parts that read the file
alone count as host-graded below. A part gets its points
when every case it names passed (and, for a boot, every CPU QEMU made is
online). A part that cannot run here (x2APIC's boots need KVM) is skipped
with the reason and left out of the total.

Wrong solutions kept as grading tests: tests/labs/LAB/NAME.patch, a patch
against the lab's reference (a lab tree with the solution kept), after a
header that records what grading must give it:

    What: the counter is reset after the release
    Score: 80/100
    Fails: barrier.central_a_waker_stopped_between_wake_ups_loses_no_sleeper

(one Fails: line per host-graded case that must fail; every other case
must pass). check grades the reference RUNS times (the QEMU parts once:
they are slow, and their cases do not race a host's threads), each wrong
solution's host-graded parts RUNS times (its QEMU parts count as passed in
Score, and are not booted), and fails when a run differs; the stub once,
which must lose marks (booted only if its host-graded parts do not lose
any). The reference is the same tree for every lab, so
check grades each of its host cases RUNS times and each (boot, cases) once
in all, however many labs name them (a guided lab and its open variant
share most), and takes the results from there for the next lab that names
them (lab_grade.ResultCache).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

from common import ROOT, ktap_out
from common.tree_files import tree_files
from lab_grade import ResultCache, failed_cases, grade_lab, print_grade, score
from lab_parts import LAB_BY_NAME, LABS, OPEN_ALIASES

MARKED_DIRS = ("kernel", "arch", "platform", "boot", "lib")
LAB_FILE = ".lab"           # in a student tree: the lab it was made for
MISTAKES_DIR = os.path.join("tests", "labs")
RUNS = 5                    # gradings of each tree in check: all must agree

BEGIN = re.compile(r"^[ \t]*/\* LAB\((?P<name>[\w-]+)\) begin: (?P<task>.*?) \*/\n", re.M)


def stub_pattern(name):
    n = re.escape(name)
    return re.compile(rf"^(?P<indent>[ \t]*)/\* LAB\({n}\) stub\n(?P<stub>.*?)"
                      rf"^[ \t]*LAB\({n}\) end \*/\n", re.M | re.S)


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


def make_tree(root, name, out, git=True, solved=False):
    """A copy of root's files with lab name's regions stubbed and every other
    lab's markers removed (their code kept); solved: lab name's code kept
    too (the tree a wrong solution's patch applies to). mtimes are kept, so
    a copied build directory only rebuilds what changed."""
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
            new = strip_region(new, other, keep_solution=solved or other != name)
        if new != text:
            with open(path, "w") as fh:
                fh.write(new)
            changed.append(f)
    with open(os.path.join(out, LAB_FILE), "w") as fh:
        fh.write(name + "\n")
    template = LAB_BY_NAME[name].report_template if name in LAB_BY_NAME else ""
    if template:
        # A lab graded from a report: the blank form to fill in, or (solved)
        # the reference's report, which a kept wrong report patches.
        from lab_report import REPORT_FILE
        src = os.path.join(MISTAKES_DIR, name, REPORT_FILE) if solved else template
        shutil.copy2(os.path.join(root, src), os.path.join(out, REPORT_FILE))
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


# ---- the handouts' grading tables, generated from tools/lab_parts.py ----

TABLE_BEGIN = "<!-- grading: begin (generated from tools/lab.py by make lab-docs) -->\n"
TABLE_END = "<!-- grading: end -->"


def grading_table(lab):
    rows = ["| part | points | what it checks | tests |", "|------|--------|----------------|-------|"]
    for p in lab.parts:
        if p.host:
            where = f"host test `{p.host}`"
        elif p.report == "read":
            where = "`report.ini`, read alone"
        elif p.report == "rerun":
            where = "`report.ini` against the grader's own `make trace` and `make bench` boots"
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

def cmd_grade(args):
    tree = ROOT
    names = [args.lab] if args.lab else []
    if not names and os.path.exists(os.path.join(tree, LAB_FILE)):
        with open(os.path.join(tree, LAB_FILE)) as f:
            names = [f.read().strip()]
    names = [OPEN_ALIASES.get(n, n) for n in names] or [lab.name for lab in LABS]
    for n in names:
        if n not in LAB_BY_NAME:
            raise SystemExit(f"unknown lab {n} (labs: {', '.join(LAB_BY_NAME)})")
    totals = []
    cache = ResultCache()   # one tree: a case or boot two labs name is run once
    for n in names:
        lab = LAB_BY_NAME[n]
        logs = os.path.join(tree, args.build, "grade", n)
        results = grade_lab(tree, lab, args.build, args.cc, logs, cache=cache)
        totals.append((n,) + print_grade(lab, results, tree))
        print(f"  logs: {os.path.relpath(logs, tree)}/")
    print("grade: " + ", ".join(f"{n} {g}/{t}" for n, g, t in totals))
    return 0


def copy_build(src, dst):
    """The objects of an already-built tree, so a lab tree only rebuilds
    the files its lab changed."""
    skip = {"fuzz", "test-logs", "mutants", "soak", "bench", "bench-logs", "trace", "labs",
            "sanitized", "grade-logs", "grade"}
    if not os.path.isdir(src):
        return
    shutil.copytree(src, dst, copy_function=shutil.copy2, dirs_exist_ok=True,
                    ignore=lambda d, names: [n for n in names if
                                             (os.path.samefile(d, src) and n in skip)
                                             or n.endswith(".iso")])


# ---- wrong solutions kept as grading tests ----

HEADER_FIELD = re.compile(r"^(What|Score|Fails): *(.*)$")


def read_mistake(path):
    """(what, (got, total), {cases that must fail}, patch text) of a kept
    wrong solution (the module's docstring gives the format)."""
    with open(path) as f:
        text = f.read()
    what, want, fails = "", None, set()
    for line in text.split("\ndiff ", 1)[0].splitlines():
        m = HEADER_FIELD.match(line)
        if not m:
            continue
        if m.group(1) == "What":
            what = m.group(2)
        elif m.group(1) == "Score":
            got, total = m.group(2).split("/")
            want = (int(got), int(total))
        else:
            fails.update(m.group(2).split())
    if want is None or "\ndiff " not in text:
        raise SystemExit(f"{path}: needs a Score: line and a patch (diff --git ...)")
    return what, want, fails, text


def mistakes_of(lab):
    d = os.path.join(ROOT, MISTAKES_DIR, lab.name)
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".patch")]


def lab_tree(build, lab, label, patch=None):
    """A fresh tree for lab under build/labs/: the stub (patch None) or
    the reference with patch applied; None and git's complaint when the
    patch does not apply."""
    tree = os.path.join(build, "labs", lab.name, label)
    if os.path.exists(tree):
        shutil.rmtree(tree)
    copy_build(build, os.path.join(tree, "build"))
    make_tree(ROOT, lab.name, tree, git=False, solved=patch is not None)
    if patch is not None:
        # Not a repository: git must not find the one around build/ and
        # apply the patch relative to it (it would skip every path).
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=os.path.dirname(tree))
        p = subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=tree, env=env,
                           capture_output=True)
        if p.returncode != 0:
            return None, p.stderr.strip()
    return tree, ""


def grade_again(tree, lab, build, cc, logs, first, cache=None):
    """The first grading and RUNS - 1 more of the host-graded parts:
    [(score, failed cases)] of the host-graded parts of each run, and
    what the first run's other parts gave."""
    def host_view(results):
        host = [r for r in results if r.part.repeatable]
        return score(host), failed_cases(host)
    views = [host_view(first)]
    for i in range(1, RUNS):
        views.append(host_view(grade_lab(tree, lab, build, cc, f"{logs}-run{i + 1}",
                                         boots=False, cache=cache, run=i)))
    return views


def describe_runs(views):
    return "; ".join(f"run {i + 1}: {g}/{t}" + (f" failing {', '.join(f)}" if f else "")
                     for i, ((g, t), f) in enumerate(views))


def cmd_check(args):
    """make test: for every lab, the reference (this tree) gets full marks
    on every run, the stub loses marks, each kept wrong solution scores what
    it records on every run, and the handout's table is current."""
    if os.path.exists(os.path.join(ROOT, LAB_FILE)):
        print("1..0 # SKIP this is a lab tree: its lab is graded by make grade, and the other "
              "labs' regions are not marked here")
        return 0
    results = []
    found = regions(ROOT)
    build = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    rel_build = os.path.relpath(build, ROOT)
    # The reference is this tree for every lab: a case two labs grade (a
    # guided lab and its open variant share most) runs RUNS times, not
    # RUNS times per lab, and a boot spec with the same cases boots once.
    reference_cache = ResultCache()
    for lab in [LAB_BY_NAME[args.lab]] if args.lab else LABS:
        base = f"lab.{lab.name.replace('-', '_')}"
        logs = os.path.join(build, "grade", lab.name)
        has_handout = os.path.exists(os.path.join(ROOT, lab.handout))
        results.append((f"{base}.has_regions_and_a_handout", lab.name in found and has_handout,
                        f"regions {found.get(lab.name)}, handout {lab.handout}"))
        old, new = handout_with_table(lab) if has_handout else ("", None)
        results.append((f"{base}.the_handout_grading_table_is_current", new is not None
                        and new == old, "run make lab-docs (tools/lab.py docs)"))
        start = time.time()

        reference = grade_lab(ROOT, lab, rel_build, args.cc, os.path.join(logs, "reference"),
                              cache=reference_cache)
        got, total = score(reference)
        views = grade_again(ROOT, lab, rel_build, args.cc, os.path.join(logs, "reference"),
                            reference, reference_cache)
        full = got == total and all(f == [] for _, f in views)
        results.append((f"{base}.the_reference_gets_full_marks_on_{RUNS}_runs", full,
                        f"{got}/{total}: " + "; ".join(
                            f"{r.part.name}: {r.why or ', '.join(c.name for c in r.failed)}"
                            for r in reference if r.status == "fail")
                        + f"; host-graded parts: {describe_runs(views)}"))

        tree, _ = lab_tree(build, lab, "stub")
        # Once: the stub fails nearly every case, several of them only when
        # a held stage gives up (seconds each), and it matters only that
        # it loses marks. Its boot only when its host-graded parts do not
        # already lose them: a stub's boot waits for its deadlines, up to
        # the grader's bound (a timer that never ticks, APs that never
        # start), and would tell nothing more.
        stub = grade_lab(tree, lab, "build", args.cc, os.path.join(logs, "stub"), boots=False)
        s_got, s_total = score(stub)
        if s_got == s_total:
            stub = grade_lab(tree, lab, "build", args.cc, os.path.join(logs, "stub"))
            s_got, s_total = score(stub)
        results.append((f"{base}.the_stub_loses_marks", s_got < s_total,
                        f"stub scores {s_got}/{s_total}; failing "
                        f"{', '.join(failed_cases(stub)) or 'nothing'}"))
        if args.verbose:
            print(f"# {lab.name}: reference {got}/{total}, stub {s_got}/{s_total}")

        for path in mistakes_of(lab):
            name = os.path.basename(path)[:-len(".patch")]
            case = f"{base}.{name.replace('-', '_')}_scores_as_recorded_on_{RUNS}_runs"
            what, want, fails, patch = read_mistake(path)
            tree, complaint = lab_tree(build, lab, name, patch)
            if tree is None:
                results.append((case, False, f"{os.path.relpath(path, ROOT)} does not apply: "
                                             f"{complaint}"))
                continue
            # The host-graded parts only: a boot per mistake would take
            # minutes, and a mistake that ignores deadlines keeps a boot
            # waiting for its whole timeout. Fails names host cases alone,
            # and the QEMU parts count in Score as passed.
            first = grade_lab(tree, lab, "build", args.cc, os.path.join(logs, name),
                              boots=False)
            host_cases = {c for p in lab.parts if p.repeatable for c in p.cases}
            views = grade_again(tree, lab, "build", args.cc, os.path.join(logs, name), first)
            ran = [r for r in first if r.status != "skip"]
            expected = sorted(c for r in ran for c in r.part.cases if c in fails)
            expected_host = sorted(c for r in ran if r.part.repeatable for c in r.part.cases
                                   if c in fails)
            want_here = (sum(r.part.points for r in ran if not fails & set(r.part.cases)),
                         sum(r.part.points for r in ran))
            recorded = sum(p.points for p in lab.parts if not fails & set(p.cases))
            ok = (score(first) == want_here and failed_cases(first) == expected
                  and all(f == expected_host for _, f in views)
                  and recorded == want[0] and sum(p.points for p in lab.parts) == want[1]
                  and fails <= host_cases)
            results.append((case, ok, f"{what}: recorded {want[0]}/{want[1]} failing "
                                      f"{', '.join(sorted(fails))}; got {score(first)[0]}/"
                                      f"{score(first)[1]} failing "
                                      f"{', '.join(failed_cases(first)) or 'nothing'}; "
                                      f"host-graded parts: {describe_runs(views)}"))
            if args.verbose:
                print(f"# {lab.name} {name}: {score(first)[0]}/{score(first)[1]}")
        if args.verbose:
            print(f"# {lab.name}: {time.time() - start:.0f} s")
    if args.verbose:
        print(f"# the reference's results reused from an earlier lab: {reference_cache.reused}")
    return ktap_out.print_report(results)


def cmd_make(args):
    if args.name in OPEN_ALIASES:
        print(f"lab {args.name}: the open variant of the barrier labs is one lab for both "
              f"barriers, {OPEN_ALIASES[args.name]} (docs/labs/{OPEN_ALIASES[args.name]}.md "
              f"says why)")
        args.name = OPEN_ALIASES[args.name]
    if args.name not in LAB_BY_NAME:
        raise SystemExit(f"unknown lab {args.name!r}; the labs are: {', '.join(LAB_BY_NAME)}")
    out = os.path.abspath(args.out or os.path.join(ROOT, "..", f"ipikernel-lab-{args.name}"))
    if os.path.exists(out) and os.listdir(out):
        raise SystemExit(f"{out} exists and is not empty: give LABDIR=another/place, or remove "
                         f"it if you no longer need the work in it")
    changed = make_tree(ROOT, args.name, out, solved=args.solved)
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
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list").set_defaults(fn=cmd_list)
    sub.add_parser("docs").set_defaults(fn=cmd_docs)
    m = sub.add_parser("make")
    m.add_argument("name")
    m.add_argument("--out")
    m.add_argument("--solved", action="store_true",
                   help="keep the reference solution (to make a wrong solution's patch from)")
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
