#!/usr/bin/env python3
"""The test runner behind `make test` (Python 3 standard library only).

1. Runs the host unit tests (build/host/test_*), each of which prints KTAP.
2. Boots the kernel in QEMU for every configuration of the matrix below, with
   the command line "test", and reads the KTAP the kernel prints on serial.
   Each boot has a time limit; a boot that hangs, crashes or resets is
   reported with its configuration and the last 30 lines of its serial log.
3. Boots deliberately broken kernels (inject=...) and checks that each failure
   is noticed: the runner tests its own failure paths.

Every KTAP case of every configuration counts, as does each configuration's
own check (clean exit, boot banner). Every KTAP report, a host test's or a
boot's (the broken-on-purpose ones too), is read again by Perl's TAP::Parser,
which must count it as the runner does. A configuration that cannot run here
is skipped with its reason. The last line is "N passed, N failed"; the exit
status is non-zero on any failure.

The pieces are in tests/runner/: matrix.py (the configurations),
selftests.py (a boot's results against the self-tests the sources declare),
tap_check.py (the same counts from TAP::Parser), screen.py (the framebuffer
check); and in tools/common/, shared with the tools: qemu.py (booting a
configuration), ktap.py (reading results), constants.py (facts read from
the build).
"""
import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time

import runner  # noqa: F401  (first: it puts tools/ on sys.path, for common and usb_write)
from common import ROOT, constants
from common.config import boot_protocol, expected_firmware, expected_loader
from common.ktap import Outcome, count_ktap, parse_ktap, tail
from common.qemu import (QEMU, boot, describe_status, effective_cmdline, image_build_command,
                         image_key, skip_reason)
from runner.matrix import BENCH, LARGE, MATRIX, NEGATIVE
from runner.screen import check_screen
from runner.selftests import check_test_set
from runner.tap_check import disagreement
import usb_write  # tools/usb_write.py

STICK_BYTES = 64 << 20

FUZZ_TEST_SECONDS = 3


def run_host_tests(build, verbose):
    out = Outcome()
    host_dir = os.path.join(build, "host")
    tests = sorted(f for f in os.listdir(host_dir) if f.startswith("test_")) \
        if os.path.isdir(host_dir) else []
    if not tests:
        out.failed += 1
        out.lines.append(f"FAIL host: no host tests in {host_dir} (run make host-tests)")
        return out
    for name in tests:
        out.add(run_ktap_tool(f"host/{name}", [os.path.join(host_dir, name)], 300, verbose))
    return out


def run_ktap_tool(label, command, timeout, verbose):
    """Runs a program that prints KTAP (a host test, the model checks, the
    quick mutants): every case counts, and so does a report that is
    incomplete or a non-zero exit status without a failed case."""
    out = Outcome()
    try:
        p = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        out.failed += 1
        out.lines.append(f"FAIL {label}: timed out after {timeout} s")
        return out
    case = Outcome()
    plan, n = count_ktap(label, p.stdout, case, verbose)
    skip_all = re.search(r"^1\.\.0 # SKIP (.*)$", p.stdout, re.M)
    problem = None
    if skip_all:
        case.skipped += 1
        case.lines.append(f"  skip {label} # {skip_all.group(1)}")
    elif plan is None or plan != n or n == 0:
        problem = f"planned {plan} cases, reported {n}"
    elif p.returncode != 0 and case.failed == 0:
        problem = f"exit status {p.returncode}"
    else:
        problem = disagreement(p.stdout)
    if problem:
        case.failed += 1
        case.lines.append(f"  FAIL {label}: {problem}")
        case.lines.append(tail(p.stdout + p.stderr))
    out.lines.append(f"{label}: {case.passed} passed, {case.failed} failed")
    out.add(case)
    return out


SMP_LINE = re.compile(r"^smp: online=(\d+) possible=(\d+) apic=(\w+) ids=([0-9,]*)$", re.M)


def check_smp_line(cfg, serial, topology):
    """The kernel's smp: line must match what QEMU says it created."""
    if isinstance(topology, str):
        return [topology]
    qemu_ids, qemu_possible = topology
    # maxcpus=n: the boot CPU (QEMU's first) and the next n-1 in MADT order,
    # which for QEMU is ascending APIC ID.
    m = re.search(r"\bmaxcpus=(\d+)", effective_cmdline(cfg))
    if m:
        qemu_ids = qemu_ids[:int(m.group(1))]
    lines = SMP_LINE.findall(serial)
    if len(lines) != 1:
        return [f"expected one smp: line, found {len(lines)}"]
    online, possible, mode, ids = lines[0]
    kernel_ids = [int(x) for x in ids.split(",") if x]
    problems = []
    if kernel_ids != qemu_ids or int(online) != len(qemu_ids):
        problems.append(f"smp: online={online} ids={ids}, but QEMU created APIC IDs "
                        f"{','.join(map(str, qemu_ids))}")
    if int(possible) != qemu_possible:
        problems.append(f"smp: possible={possible}, but QEMU allows {qemu_possible} CPUs")
    if mode != cfg.apic:
        problems.append(f"smp: apic={mode}, expected {cfg.apic}")
    return problems


def check_config(cfg, kernel, iso, workdir, verbose):
    out = Outcome()
    reason = skip_reason(cfg)
    if reason:
        out.skipped += 1
        out.lines.append(f"SKIP {cfg.name}: {reason}")
        return out

    if cfg.expect == "screen":
        problems, seconds, serial, cmd = check_screen(cfg, kernel, iso, workdir)
        header = f"{cfg.name}: the screen shows the summary page ({seconds:.1f} s)"
        if problems:
            header = f"{cfg.name}: screen check failed ({seconds:.1f} s)"
        return finish_check(cfg, out, header, problems, serial, cmd)

    status, seconds, serial, cmd, topology = boot(cfg, kernel, iso, workdir)
    header = f"{cfg.name}: {describe_status(status)} ({seconds:.1f} s)"
    problems = []

    if cfg.expect == "pass":
        plan, n = count_ktap(cfg.name, serial, out, verbose)
        problems += check_test_set(cfg, effective_cmdline(cfg), parse_ktap(serial)[1])
        if status != constants.EXIT_PASS:
            problems.append(describe_status(status))
        if plan is None:
            problems.append("no KTAP plan in the serial output")
        elif plan != n:
            problems.append(f"KTAP planned {plan} cases, reported {n}")
        elif plan == 0:
            problems.append("no self-tests ran")
        # The banner says who booted us: the loader, the protocol and the
        # firmware (as far as the protocol tells: multiboot 1 cannot).
        loader, firmware = expected_loader(cfg), expected_firmware(cfg)
        protocol = boot_protocol(cfg)
        if not re.search(rf'^boot: loader "{loader}[^"]*" via {protocol}, firmware {firmware}$',
                         serial, re.M):
            problems.append(f"no boot banner naming loader {loader}, {protocol} and firmware "
                            f"{firmware}")
        if not re.search(r"^memory: \d+ regions, \d+ MiB available", serial, re.M):
            problems.append("no memory map summary in the banner")
        # A warning is a problem unless the configuration expects it by name.
        unexpected = [w for w in re.findall(r"^warning:.*$", serial, re.M)
                      if not any(text in w for text in cfg.must_contain)]
        if unexpected:
            problems.append(f"the kernel printed warnings: {unexpected[0]}")
        problems += check_smp_line(cfg, serial, topology)
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
    elif cfg.expect == "survive":
        if status not in (constants.EXIT_PASS, constants.EXIT_FAIL):
            problems.append(f"expected the self-tests to finish; got: {describe_status(status)}")
        plan, results = parse_ktap(serial)
        if plan is None or plan != len(results):
            problems.append("the KTAP report is incomplete")
        problems += check_test_set(cfg, effective_cmdline(cfg), results)
        # Bad hardware may make some self-tests fail, but only those named.
        failed = [name for ok, _, name, _ in results if not ok]
        for name in failed:
            if name not in cfg.may_fail:
                problems.append(f"{name} failed, which bad hardware does not explain")
        for name in cfg.may_fail:
            if name not in failed:
                problems.append(f"{name} was expected to fail here and did not")
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
    else:
        want = constants.EXPECTED_STATUS[cfg.expect]
        if status != want:
            problems.append(f"expected: {describe_status(want)}; got: {describe_status(status)}")
        # In test mode the plan comes before any boot step that can fail, so
        # that a crash reads as crashed tests (planned, not all reported).
        if cfg.expect in ("crash", "reset", "hang") and is_test_mode(effective_cmdline(cfg)) \
                and parse_ktap(serial)[0] is None:
            problems.append("no KTAP plan before the failure: a KTAP reader sees no tests "
                            "where the truth is that they crashed")
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
        for pattern in cfg.must_match:
            if not re.search(pattern, serial, re.M):
                problems.append(f"no serial line matches /{pattern}/")
        for text in cfg.must_not_contain:
            if text in serial:
                problems.append(f'the serial output has "{text}"')
        for text in cfg.must_contain_once:
            if serial.count(text) != 1:
                problems.append(f'"{text}" appears {serial.count(text)} times, not once')
        for pattern in cfg.must_match_block:
            if not re.search(pattern, serial, re.M):
                problems.append(f"the serial output has no block matching /{pattern[:60]}.../")

    return finish_check(cfg, out, header, problems, serial, cmd)


def is_test_mode(cmdline):
    return any(w == "test" or w.startswith("test=") for w in cmdline.split())


def finish_check(cfg, out, header, problems, serial, cmd):
    # Whatever the boot was meant to do, a KTAP report in its log must read
    # the same to a reader nobody here wrote.
    problem = disagreement(serial)
    if problem:
        problems = problems + [problem]
    directives = re.findall(r"^not ok \d+ [^#\n]*#.*$", serial, re.M)
    if directives:
        problems = problems + [f"a failed result carries text after '#', which KTAP readers "
                               f"take for a directive: {directives[0]}"]
    if problems:
        out.failed += 1
        out.lines.insert(0, f"FAIL {header}")
        for p in problems:
            out.lines.append(f"  - {p}")
        out.lines.append(f"  command: {cmd}")
        out.lines.append("  last 30 lines of the serial log:")
        out.lines.append(tail(serial))
    else:
        out.passed += 1
        out.lines.insert(0, f"ok   {header}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--cc", default="", help="compiler name, for the report")
    ap.add_argument("--only", default="",
                    help="run only the host tests ('host'), the model checks ('model'), "
                         "the quick mutants ('mutants'), the labs ('labs'), or the QEMU "
                         "configurations whose name contains this text")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="QEMU boots at a time")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every case")
    ap.add_argument("--list", action="store_true", help="list the configurations and exit")
    ap.add_argument("--large", action="store_true",
                    help="run only the large configurations (hundreds of CPUs)")
    args = ap.parse_args()

    configs = LARGE if args.large else MATRIX + BENCH + NEGATIVE
    if args.list:
        for c in configs:
            print(f"{c.name:42} machine={c.machine} boot={c.boot} firmware={c.firmware} "
                  f"accel={c.accel} smp={c.smp} expect={c.expect} "
                  f"cmdline=\"{effective_cmdline(c)}\"")
        return 0

    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    kernel = os.path.join(build, "kernel.elf")
    constants.load_constants(build)
    total = Outcome()
    print(f"== ipikernel tests ({args.cc or 'default compiler'}, {build})", flush=True)

    counts = {}
    # Wall time per group, for keeping make test within its budget
    # (docs/testing.md): each lap() ends the group before it.
    times, started = {}, [time.monotonic(), None]

    def lap(label):
        now = time.monotonic()
        if started[1]:
            times[started[1]] = times.get(started[1], 0) + now - started[0]
        started[0], started[1] = now, label

    lap("host")
    if args.only in ("", "host"):
        host = run_host_tests(build, args.verbose)
        print("\n".join(host.lines), flush=True)
        total.add(dataclasses.replace(host, lines=[]))
        counts["host cases"] = host.passed + host.failed + host.skipped

    lap("checks")
    # Every C file as .clang-format says, the layering rule (kernel/ and lib/
    # reach the machine only through kernel/arch.h), make bench's and make
    # trace's own parsing and plotting, make usb's refusals, every name the
    # docs give (tools/check_docs.py), the gdb helper against a halted QEMU,
    # the build with LLVM's tools only (as on macOS), and make bench's
    # instruction counter against operations of known length.
    if args.only in ("", "host"):
        with_build = ("check_gdb.py", "check_portable_build.py", "check_count.py")
        for label, tool in (("format", "check_format.py"), ("layering", "check_layering.py"),
                            ("tools", "check_tools.py"), ("usb", "check_usb.py"),
                            ("docs", "check_docs.py"), ("gdb", "check_gdb.py"),
                            ("portable", "check_portable_build.py"),
                            ("count", "check_count.py")):
            result = run_ktap_tool(label, [sys.executable, os.path.join(ROOT, "tools", tool),
                                           *(["--build", build] if tool in with_build else [])],
                                   600, args.verbose)
            print("\n".join(result.lines), flush=True)
            total.add(dataclasses.replace(result, lines=[]))
        # The parsers of untrusted input under libFuzzer: a few seconds each, and
        # every seed and past crash replayed (make fuzz runs them for minutes).
        # The targets are the sources' (tests/fuzz/fuzz_*.c): one not built fails.
        targets = sorted(f[len("fuzz_"):-len(".c")]
                         for f in os.listdir(os.path.join(ROOT, "tests", "fuzz"))
                         if f.startswith("fuzz_") and f.endswith(".c"))
        if targets:
            result = run_ktap_tool("fuzz", [sys.executable, os.path.join(ROOT, "tools", "fuzz.py"),
                                            "--build", build, "--ktap", "--seconds",
                                            str(FUZZ_TEST_SECONDS)] + targets, 600, args.verbose)
            print("\n".join(result.lines), flush=True)
            total.add(dataclasses.replace(result, lines=[]))
            counts["fuzz targets"] = len(targets)

    lap("labs")
    # The labs (tools/lab.py): every lab's stub tree builds and loses marks,
    # the reference (this tree) gets full marks, the handouts' tables are current.
    if args.only in ("", "labs"):
        labs = run_ktap_tool("labs", [sys.executable, os.path.join(ROOT, "tools", "lab.py"),
                                      "check", "--build", build, "--cc", args.cc], 3600,
                             args.verbose)
        print("\n".join(labs.lines), flush=True)
        total.add(dataclasses.replace(labs, lines=[]))
        counts["labs"] = len({n.split(".")[1] for n in labs.names if n.startswith("lab.")})

    lap("model")
    # The protocol's model, checked by SPIN (tests/model/, tools/check_model.py).
    if args.only in ("", "model"):
        model = run_ktap_tool("model", [sys.executable, os.path.join(ROOT, "tools",
                                                                     "check_model.py")],
                              1800, args.verbose)
        print("\n".join(model.lines), flush=True)
        total.add(dataclasses.replace(model, lines=[]))
        counts["model configurations"] = model.passed + model.failed

    lap("mutants")
    # A few deliberate bugs that the host tests must catch, so that the
    # mutant mechanism itself cannot rot (make mutants runs them all).
    if args.only in ("", "mutants"):
        mutants = run_ktap_tool("mutants", [sys.executable, os.path.join(ROOT, "tools",
                                                                         "mutants.py"),
                                            "--quick", "--ktap",
                                            "--logs", os.path.join(build, "mutants")],
                                1800, args.verbose)
        print("\n".join(mutants.lines), flush=True)
        total.add(dataclasses.replace(mutants, lines=[]))
        counts["mutants"] = mutants.passed + mutants.failed

    lap("QEMU")
    if args.only not in ("host", "model", "mutants", "labs"):
        before = set(total.names)
        selected = [c for c in configs if args.only in c.name]
        if shutil.which(QEMU) is None:
            print(f"FAIL {QEMU} is not installed (run make deps)")
            total.failed += 1
            selected = []
        workdir = os.path.join(build, "test-logs")
        os.makedirs(workdir, exist_ok=True)
        # The image's grub.cfg carries the command line (or the menu) and the
        # video mode: one image for each.
        iso = {}
        for c in selected:
            key = image_key(c)
            if c.boot != "kernel" and key not in iso:
                iso[key] = os.path.join(workdir, f"test-{len(iso)}.iso")
                subprocess.run([*image_build_command(key, ROOT), kernel, iso[key]], check=True)
            if c.media == "usb" and ("stick", key) not in iso:
                # A stick as make usb writes it: a file standing in for a
                # 64 MiB device, written by tools/usb_write.py.
                stick = iso[("stick", key)] = os.path.join(workdir, f"stick-{len(iso)}.img")
                with open(stick, "wb") as f:
                    f.truncate(STICK_BYTES)
                status, message = usb_write.run([iso[key], stick, "--allow-file", "--yes"])
                if status != 0:
                    raise SystemExit(message)
        for c in [c for c in selected if c.alone]:
            result = check_config(c, kernel, iso, workdir, args.verbose)
            print("\n".join(result.lines), flush=True)
            total.add(dataclasses.replace(result, lines=[]))
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(check_config, c, kernel, iso, workdir, args.verbose)
                       for c in selected if not c.alone]
            for f in futures:          # print in matrix order
                result = f.result()
                print("\n".join(result.lines), flush=True)
                total.add(dataclasses.replace(result, lines=[]))
        print(f"(serial logs are in {workdir})")
        counts["QEMU configurations"] = len(selected)
        counts["kernel self-tests"] = len(
            {n for n in total.names - before if "." in n and not n.startswith("mutant.")})

    lap("")
    if total.skipped:
        print(f"{total.skipped} skipped (reasons above)")
    print("distinct checks: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print("wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items() if v >= 0.5) +
          f"; in all {sum(times.values()):.0f} s")
    print(f"{total.passed} passed, {total.failed} failed")
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main())
