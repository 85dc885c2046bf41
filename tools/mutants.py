#!/usr/bin/env python3
"""Puts each deliberate bug of tests/mutants/mutants.txt into a scratch copy of
the tree, one at a time, runs the tests that must catch it, and says whether
they did (Python 3 standard library only).

    tools/mutants.py                 every mutant; `make mutants`
    tools/mutants.py --quick         the ones marked "quick: yes" (make test)
    tools/mutants.py --only NAME     one mutant (or several, comma-separated)
    tools/mutants.py --list          the list, without running anything
    tools/mutants.py --ktap          print KTAP (one case per mutant: ok = caught)

Per mutant it prints "caught by <test>" or "SURVIVED", then a line
"N caught, N survived". Exit status 0 only when every mutant was caught.
"""
import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile

from common import ROOT, ktap_out
from common.tree_files import tree_files

LIST = os.path.join(ROOT, "tests", "mutants", "mutants.txt")
HOST_TIMEOUT = 240   # seconds; a host test binary has its own hang watchdog (120 s)
QEMU_TIMEOUT = 900


@dataclasses.dataclass
class Mutant:
    name: str
    file: str = ""
    breaks: str = ""
    checks: list = dataclasses.field(default_factory=list)
    quick: bool = False
    survives: str = ""   # why no test can see it
    hunks: list = dataclasses.field(default_factory=list)  # [(find lines, replace lines)]


def parse(path):
    mutants, m = [], None
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("#") or (not line.strip() and m is None):
                continue
            if line.startswith("== "):
                m = Mutant(line[3:].strip())
                m.hunks.append(([], []))
                mutants.append(m)
            elif m is None or not line.strip():
                continue
            elif line == "@@":
                m.hunks.append(([], []))
            elif line.startswith("- ") or line == "-":
                m.hunks[-1][0].append(line[2:])
            elif line.startswith("+ ") or line == "+":
                m.hunks[-1][1].append(line[2:])
            else:
                key, _, value = line.partition(":")
                value = value.strip()
                if key == "file":
                    m.file = value
                elif key == "breaks":
                    m.breaks = value
                elif key == "check":
                    m.checks = [c.strip() for c in value.split(",") if c.strip()]
                elif key == "quick":
                    m.quick = value == "yes"
                elif key == "survives":
                    m.survives = value
                else:
                    raise SystemExit(f"{path}:{number}: unknown field {key!r}")
    for m in mutants:
        if not (m.file and m.breaks and m.checks and all(h[0] for h in m.hunks)):
            raise SystemExit(f"{path}: mutant {m.name} needs file, breaks, check and '-' lines")
    return mutants


def copy_tree(dest):
    """The tree's files (tools/common/tree_files.py: git's, or everything but build output)."""
    files = tree_files(ROOT)
    for f in files:
        os.makedirs(os.path.dirname(os.path.join(dest, f)) or dest, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dest, f))


def apply(m, tree):
    path = os.path.join(tree, m.file)
    with open(path) as f:
        lines = f.read().split("\n")
    for number, (find, replace) in enumerate(m.hunks, 1):
        n = len(find)
        hits = [i for i in range(len(lines) - n + 1) if lines[i:i + n] == find]
        if len(hits) != 1:
            return (f"the '-' lines of its hunk {number} occur {len(hits)} times in {m.file} "
                    "(want once): update the list")
        lines[hits[0]:hits[0] + n] = replace
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return None


def still_applies(m):
    """None when m's '-' lines each occur once in the tree as it is, else why not."""
    with open(os.path.join(ROOT, m.file)) as f:
        lines = f.read().split("\n")
    for number, (find, _) in enumerate(m.hunks, 1):
        n = len(find)
        hits = sum(1 for i in range(len(lines) - n + 1) if lines[i:i + n] == find)
        if hits != 1:
            return f"hunk {number} occurs {hits} times in {m.file}"
    return None


def first_failure(output):
    """The name of the first failing KTAP case, or the test that was running."""
    for line in output.splitlines():
        hit = re.match(r"^(?:# )?not ok (?:\d+ )?(\S+)", line)
        if hit:
            return hit.group(1)
    running = [l[len("# test: "):] for l in output.splitlines() if l.startswith("# test: ")]
    return running[-1] + " (crashed)" if running else None


class BuildError(Exception):
    """A mutant that does not compile proves nothing about the tests."""


def run_ktap_program(command, label, log):
    """Runs a program that prints KTAP; returns what failed first, or None."""
    try:
        p = subprocess.run(command, capture_output=True, text=True, timeout=HOST_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"{label} (timed out after {HOST_TIMEOUT} s)"
    log.write(p.stdout + p.stderr)
    if p.returncode == 0:
        return None
    name = first_failure(p.stdout)
    return f"{label}: {name}" if name else f"{label} (exit status {p.returncode})"


# Check scripts of tools/ that boot or inspect the kernel the tree builds.
KERNEL_TOOLS = ("check_gdb.py", "check_portable_build.py")


def run_check(check, tree, build, log):
    """Returns the name of what caught the mutant, or None."""
    kind, _, what = check.partition(":")
    make = ["make", "-s", "-C", tree, f"BUILD={build}"]
    if kind == "host":
        target = os.path.join(build, "host", what)
        p = subprocess.run(make + [target], capture_output=True, text=True)
        log.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise BuildError(f"{what} does not compile with the mutant")
        return run_ktap_program([target], f"host/{what}", log)
    if kind == "tool":  # a KTAP check script of tools/, run on the mutated tree
        extra = []
        if what in KERNEL_TOOLS:  # it looks at the kernel: build that first
            p = subprocess.run(make + ["kernel"], capture_output=True, text=True)
            log.write(p.stdout + p.stderr)
            if p.returncode != 0:
                raise BuildError("the kernel does not compile with the mutant")
            extra = ["--build", build]
        return run_ktap_program([sys.executable, os.path.join(tree, "tools", what)] + extra,
                                f"tools/{what}", log)
    if kind == "qemu":
        # The configurations named "...sanitized" boot the SANITIZE=1 kernel.
        goals = ["all"] + (["sanitized-kernel"] if "sanitized" in what else [])
        p = subprocess.run(make + goals, capture_output=True, text=True)
        log.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise BuildError("the kernel does not compile with the mutant")
        try:
            p = subprocess.run([sys.executable, os.path.join(tree, "tests", "run.py"),
                                "--build", build, "--only", what],
                               capture_output=True, text=True, timeout=QEMU_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"qemu:{what} (timed out)"
        log.write(p.stdout + p.stderr)
        if p.returncode == 0:
            return None
        fails = [l.strip() for l in p.stdout.splitlines() if l.strip().startswith("FAIL")]
        # The configuration's verdict, then the first self-test that failed
        # by name ("FAIL <configuration>: <suite.name> # <reason>"), if any.
        cases = [f.split(": ", 1)[1].split(" # ", 1)[0] for f in fails if " # " in f]
        return f"qemu:{what}" + (f" ({fails[0][5:]})" if fails else "") + \
            (f": {cases[0]}" if cases else "")
    raise SystemExit(f"unknown check {check!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--ktap", action="store_true")
    ap.add_argument("--check", default="",
                    help="use these checks instead of the list's (e.g. qemu:q35-kernel-tcg-smp2)")
    ap.add_argument("--logs", default=os.path.join(ROOT, "build", "mutants"))
    args = ap.parse_args()
    # A lab tree (make lab) has a piece of the kernel replaced by a stub or by
    # a student's own code: the mutants are written against the kernel's.
    if os.path.exists(os.path.join(ROOT, ".lab")):
        print("1..0 # SKIP this is a lab tree; the mutants are for the kernel's own code"
              if args.ktap else "a lab tree: the mutants are for the kernel's own code")
        return 0

    mutants = parse(LIST)
    if args.quick:
        mutants = [m for m in mutants if m.quick]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.name for m in mutants}
        if unknown:
            raise SystemExit(f"unknown mutant(s): {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.name in wanted]
    if args.check:
        for m in mutants:
            m.checks = [c.strip() for c in args.check.split(",")]
    if args.list:
        for m in mutants:
            print(f"{m.name:40} {m.file:18} {','.join(m.checks):24} {m.breaks}")
        return 0

    os.makedirs(args.logs, exist_ok=True)
    caught = survived = known = 0
    results = []
    if args.quick and args.ktap:
        # Every mutant, quick or not, must still apply to the sources as they
        # are: a list gone stale is found in `make test`, not months later.
        stale = [f"{m.name}: {p}" for m in parse(LIST) for p in [still_applies(m)] if p]
        results.append((not stale, "list_matches_the_sources",
                        "; ".join(stale) if stale else "every mutant's '-' lines occur once"))
        survived += 1 if stale else 0
    scratch = tempfile.mkdtemp(prefix="ipikernel-mutants-")
    try:
        pristine = os.path.join(scratch, "pristine")
        copy_tree(pristine)
        for m in mutants:
            tree = os.path.join(scratch, m.name)
            shutil.copytree(pristine, tree)
            build = os.path.join(tree, "build")
            with open(os.path.join(args.logs, m.name + ".log"), "w") as log:
                problem = apply(m, tree)
                by = None
                if problem is None:
                    try:
                        for check in m.checks:
                            by = run_check(check, tree, build, log)
                            if by:
                                break
                    except BuildError as e:
                        problem = f"{e}: fix the list"

            shutil.rmtree(tree, ignore_errors=True)
            if problem:
                line = f"{m.name}: ERROR {problem}"
                survived += 1
                ok = False
            elif by:
                line = f"{m.name}: caught by {by}"
                caught += 1
                ok = True
            elif m.survives:
                line = f"{m.name}: SURVIVED, as known: {m.survives}"
                known += 1
                ok = True
            else:
                line = f"{m.name}: SURVIVED ({m.breaks}; checked by {', '.join(m.checks)})"
                survived += 1
                ok = False
            results.append((ok, m.name, line))
            if not args.ktap:
                print(line, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.ktap:
        print(f"KTAP version 1\n1..{len(results)}")
        for i, (ok, name, line) in enumerate(results, 1):
            print(ktap_out.not_ok(i, f"mutant.{name}", line) if not ok
                  else f"ok {i} mutant.{name}\n# {line}")
    else:
        print(f"{caught} caught, {survived + known} survived"
              + (f" ({known} known to be invisible to the tests, see the list)" if known else ""))
    return 0 if survived == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
