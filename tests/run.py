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
own check (clean exit, boot banner). A configuration that cannot run here is
skipped with its reason. The last line is "N passed, N failed"; the exit
status is non-zero on any failure.
"""
import argparse
import concurrent.futures
import dataclasses
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import qmp  # noqa: E402  (tools/qmp.py)

QEMU = "qemu-system-x86_64"

# Facts the kernel's C code defines (exit codes, the exit device's port, the
# font cell) are read from the build's generated constants.json
# (tools/gen_constants.py), never copied here: load_constants() fills these.
# QEMU's status for a value v written to isa-debug-exit is (v << 1) | 1.
EXIT_PASS = EXIT_FAIL = EXIT_CRASH = None
EXIT_PORT = None
FONT_CELL = None
LARGE_SCREEN_WIDTH = None
EXPECTED_STATUS = {}


def load_constants(build):
    """Reads build/gen/constants.json (made with the kernel)."""
    global EXIT_PASS, EXIT_FAIL, EXIT_CRASH, EXIT_PORT, FONT_CELL, LARGE_SCREEN_WIDTH
    global EXPECTED_STATUS
    path = os.path.join(build, "gen", "constants.json")
    with open(path) as f:
        c = json.load(f)
    status = lambda v: (v << 1) | 1
    EXIT_PASS, EXIT_FAIL = status(c["KTEST_EXIT_PASS"]), status(c["KTEST_EXIT_FAIL"])
    EXIT_CRASH = status(c["KTEST_EXIT_CRASH"])
    EXIT_PORT = c["QEMU_DEBUG_EXIT_PORT"]
    FONT_CELL = (c["FONT_CELL_WIDTH"], c["FONT_CELL_HEIGHT"])
    LARGE_SCREEN_WIDTH = c["FB_LARGE_SCREEN_WIDTH"]
    EXPECTED_STATUS = {"pass": EXIT_PASS, "bench": EXIT_PASS, "fail": EXIT_FAIL,
                       "crash": EXIT_CRASH, "reset": 0, "hang": "timeout"}

OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd",
                   "/usr/share/OVMF/OVMF_CODE.fd"]

KVM_GET_API_VERSION = 0xAE00  # linux/kvm.h: _IO(KVMIO, 0x00)
KVM_API_VERSION = 12

BOOT_TIMEOUT = 180  # seconds; generous, for overcommitted CI machines


@dataclasses.dataclass
class Config:
    name: str
    machine: str = "q35"
    boot: str = "kernel"          # "kernel" (QEMU -kernel, multiboot 1) or "iso" (GRUB)
    firmware: str = "bios"        # "bios" (SeaBIOS) or "uefi" (OVMF)
    accel: str = "tcg"
    smp: str = "1"                # QEMU's -smp argument
    memory: str = "256M"
    apic: str = "xapic"           # the mode the kernel must report (TCG has no x2APIC)
    cmdline: str = "test"
    # What a correct kernel does: "pass" (KTAP, all ok), or, for the
    # deliberately broken ones: "fail", "crash", "reset", "hang"; "bench" for
    # a benchmark run (clean exit, no KTAP); "survive" for a kernel given bad
    # hardware, which must report it and still finish its self-tests (some
    # of which may then fail).
    expect: str = "pass"
    must_contain: tuple = ()
    must_match: tuple = ()        # regular expressions, each matched per line
    must_not_contain: tuple = ()
    timeout: int = BOOT_TIMEOUT
    alone: bool = False           # run with no other boot at the same time
    may_fail: tuple = ()          # "survive": the self-tests that must fail, and only they
    qemu_args: tuple = ()         # more QEMU arguments (a CPU without an APIC, no ACPI)
    cpus: int = 0                 # CPUs QEMU starts, where -smp alone does not say


KVM_CMDLINE = "test test_skip=exceptions.int3_is_resumable"
DISSEMINATION = "test barrier=dissemination"

# The rendezvous' stress self-tests make 100 000 calls by default. When the
# vCPUs of the QEMU boots running at once outnumber this machine's cores,
# every spin barrier waits for host time slices (a spinning vCPU holds the
# core that the vCPU it waits for needs), so the matrix asks for fewer calls
# (see effective_cmdline); the full 100 000 run in a configuration of their
# own, alone on the machine. Timings are the benchmark's business, not the
# tests'.
MATRIX_STRESS_CALLS = 2000
OVERCOMMIT_STRESS_CALLS = 300

MATRIX = [
    # 100 000 back-to-back rendezvous calls on as many CPUs as the host has
    # cores (at most 4), with nothing else running.
    Config("q35-kernel-tcg-stress-100k", smp=str(min(4, os.cpu_count() or 1)), alone=True,
           cmdline="test=ipi.stress_back_to_back_calls stress_calls=100000"),
    Config("q35-kernel-tcg-smp1"),
    Config("q35-kernel-tcg-smp2", smp="2"),
    Config("q35-kernel-tcg-smp4", smp="4"),
    Config("q35-kernel-tcg-smp8", smp="8"),
    # pc runs the other barrier algorithm.
    Config("pc-kernel-tcg-smp1-dissemination", machine="pc", cmdline=DISSEMINATION),
    Config("pc-kernel-tcg-smp2-dissemination", machine="pc", smp="2", cmdline=DISSEMINATION),
    Config("pc-kernel-tcg-smp4-dissemination", machine="pc", smp="4", cmdline=DISSEMINATION),
    Config("pc-kernel-tcg-smp8-dissemination", machine="pc", smp="8", cmdline=DISSEMINATION),
    Config("q35-kernel-tcg-smp16-dissemination", smp="16", cmdline=DISSEMINATION),
    # Non-contiguous APIC IDs (0-2, 4-6), and CPUs that could be hot-added.
    Config("q35-kernel-tcg-2sockets", smp="6,sockets=2,cores=3"),
    Config("q35-kernel-tcg-maxcpus", smp="2,maxcpus=4"),
    Config("pc-kernel-tcg-maxcpus", machine="pc", smp="3,maxcpus=8", cmdline=DISSEMINATION),
    Config("q35-kernel-tcg-fast-start", smp="4", cmdline="test ap_start=fast"),
    Config("q35-kernel-tcg-pm-timer", smp="2", cmdline="test tsc_source=pm_timer"),
    Config("pc-kernel-tcg-pm-timer", machine="pc", smp="2", cmdline="test tsc_source=pm_timer"),
    # Many CPUs: start-up and per-CPU checks, and the rendezvous without its
    # stress tests (64), or start-up only (255: each call costs seconds on
    # two host cores; make test-large runs the rendezvous there).
    Config("q35-kernel-tcg-smp64", smp="64",
           cmdline="test ap_start=fast test_skip=ipi.stress_*"),
    Config("q35-kernel-tcg-smp255", smp="255", memory="512M",
           cmdline="test ap_start=fast test_skip=ipi.*"),
    # Machines a new user may meet: a CPU without a local APIC (the kernel
    # runs on it alone, and the self-tests that need one say so), and a PC
    # without ACPI tables (the kernel says why it uses one CPU).
    Config("q35-kernel-tcg-no-apic", apic="none", qemu_args=("-cpu", "qemu64,-apic")),
    Config("pc-kernel-tcg-no-acpi", machine="pc", qemu_args=("-no-acpi",),
           cmdline="test expect_no_acpi", must_contain=("This kernel finds CPUs only in the "
                                                        "ACPI MADT",)),
    Config("q35-iso-bios-tcg-smp2", boot="iso", smp="2"),
    Config("pc-iso-bios-tcg-smp4", machine="pc", boot="iso", smp="4", cmdline=DISSEMINATION),
    Config("q35-iso-uefi-tcg-smp1", boot="iso", firmware="uefi"),
    Config("q35-iso-uefi-tcg-smp4", boot="iso", firmware="uefi", smp="4"),
    # What a UEFI PC shows: the kernel's own text on GRUB's framebuffer,
    # read back from QEMU's screen (QMP screendump) and compared, pixel by
    # pixel, with the banner drawn in the kernel's font.
    Config("q35-iso-uefi-tcg-screen", boot="iso", firmware="uefi", smp="2", cmdline="",
           expect="screen"),
    # x2APIC needs KVM (QEMU 7.2's TCG has none). The paravirtual KVM of some
    # CI hosts (no hardware virtualisation) cannot emulate int3 in a guest
    # ("KVM internal error ... emulation failure"): that one case is
    # reported as skipped there, by name.
    Config("q35-kernel-kvm-x2apic-smp1", accel="kvm", apic="x2apic", cmdline=KVM_CMDLINE),
    Config("q35-kernel-kvm-x2apic-smp2", accel="kvm", apic="x2apic", smp="2",
           cmdline=KVM_CMDLINE),
    Config("q35-kernel-kvm-x2apic-smp4-dissemination", accel="kvm", apic="x2apic", smp="4",
           cmdline=KVM_CMDLINE + " barrier=dissemination"),
    Config("q35-kernel-kvm-xapic-smp4", accel="kvm", apic="xapic", smp="4",
           cmdline=KVM_CMDLINE + " apic=xapic"),
    # A CPU that only an x2APIC MADT entry describes (APIC ID 287, cold-plugged
    # beside the boot CPU): cheap, and the only boot of make test whose MADT
    # has such entries.
    Config("q35-kernel-kvm-x2apic-only-cpu", accel="kvm", apic="x2apic", smp="1,maxcpus=288",
           cpus=2, qemu_args=("-device", "host-x86_64-cpu,socket-id=0,core-id=287,thread-id=0"),
           cmdline=KVM_CMDLINE, must_contain=("ids=0,287",)),
]

# make test-large: hundreds of CPUs, slow to boot, not in the default run.
LARGE = [
    Config("q35-kernel-kvm-x2apic-smp288", accel="kvm", apic="x2apic", smp="288",
           memory="1G", timeout=900,
           cmdline="test ap_start=fast test_skip=exceptions.int3_is_resumable,ipi.*"),
    Config("q35-kernel-tcg-smp255-rendezvous", smp="255", memory="512M", timeout=1800,
           cmdline="test ap_start=fast test_skip=ipi.stress_* ipi_timeout_ms=120000"),
    Config("q35-kernel-tcg-smp255-rendezvous-dissemination", smp="255", memory="512M",
           timeout=1800, cmdline="test ap_start=fast test_skip=ipi.stress_* "
                                 "ipi_timeout_ms=120000 barrier=dissemination"),
]

# The benchmarks must run to the end and print their lines in the agreed form
# (the numbers themselves are not judged: timing is not a test).
BENCH_LINE = r"^bench: \w+ cycles min=\d+ median=\d+ max=\d+ samples=\d+$"
BENCH = [
    Config("bench-kernel-tcg", cmdline="bench", expect="bench", must_contain=("bench: done",),
           must_match=(BENCH_LINE, r"^bench: ipi_generic_call_central_1cpus ")),
    Config("bench-kernel-tcg-smp2-dissemination", smp="2", cmdline="bench barrier=dissemination",
           expect="bench", must_contain=("bench: done",),
           must_match=(BENCH_LINE, r"^bench: ipi_generic_call_dissemination_2cpus ")),
]

# The runner's own checks: each kernel fails on purpose; the check passes
# when the runner sees exactly that failure.
NEGATIVE = [
    Config("inject-test-fail", cmdline="test inject=test-fail", expect="fail",
           must_contain=("not ok", "ktest.injected_failure")),
    Config("inject-panic", cmdline="test inject=panic", expect="crash",
           must_contain=("PANIC: injected panic", "backtrace:", "inject_fault+")),
    Config("inject-stack-overflow", cmdline="test inject=stack-overflow", expect="crash",
           must_contain=("EXCEPTION: #DF double fault", "kernel stack overflow",
                         "inject_recurse+")),
    Config("inject-triple-fault", cmdline="test inject=triple-fault", expect="reset"),
    Config("inject-hang", cmdline="test inject=hang", expect="hang", timeout=10),
    # A broken MADT: a clear message, and the kernel goes on with one CPU.
    # A CPU that never answers the rendezvous: reported by number, with
    # where it was (NMI), then a clean stop.
    Config("inject-stuck-cpu", smp="3", cmdline="test inject=stuck-cpu ipi_timeout_ms=1000",
           expect="crash",
           must_contain=("timed out", "missing: CPU 2 (APIC ID 2)",
                         "nmi: CPU 2 (APIC ID 2) was at", "inject_stuck_spin+",
                         "PANIC: ipi: the rendezvous timed out"),
           must_not_contain=("did not take the stop NMI",)),
    # The same CPU, stuck while it holds the console lock: the report and
    # the NMI's answer must not wait for it.
    Config("inject-stuck-cpu-printing", smp="3",
           cmdline="test inject=stuck-cpu-printing ipi_timeout_ms=1000", expect="crash",
           must_contain=("missing: CPU 2 (APIC ID 2)", "nmi: CPU 2 (APIC ID 2) was at",
                         "inject_stuck_printing_spin+", "PANIC: ipi: the rendezvous timed out"),
           must_not_contain=("did not answer the NMI",)),
    Config("inject-irql-misuse", cmdline="test inject=irql-misuse", expect="crash",
           must_contain=("PANIC: irql_raise to PASSIVE_LEVEL (0) from DISPATCH_LEVEL (2)",)),
    Config("inject-bad-madt", smp="2", cmdline="test inject=bad-madt", expect="survive",
           must_contain=("madt: checksum is wrong", "running on the boot CPU alone",
                         "smp: online=1 possible=1"),
           # QEMU made 2 CPUs (expect_cpus=2); the kernel can use one.
           may_fail=("ipi.every_cpu_runs_the_worker_exactly_once",)),
    # An AP that never answers: reported by APIC ID, the others still start.
    Config("inject-phantom-cpu", smp="2", cmdline="test inject=phantom-cpu ap_timeout_ms=200",
           expect="survive",
           must_contain=("CPU 2 (APIC ID 2) did not check in; left out",
                         "smp: online=2 possible=3 apic=xapic ids=0,1"),
           # The per-CPU checks hold every CPU the firmware listed to account.
           may_fail=("smp.cpu_slots_match_madt_ids", "smp.every_cpu_has_its_own_gs_block",
                     "smp.every_cpu_reads_its_own_apic_id", "smp.every_cpu_runs_on_its_own_stack",
                     "smp.every_cpu_takes_a_probe_interrupt",
                     "smp.every_enabled_madt_cpu_is_online")),
]


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


def parse_ktap(text):
    """Returns (plan or None, [(ok, number, name, directive)])."""
    plan, results, started = None, [], False
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if line.startswith("KTAP version 1"):
            started = True
            plan, results = None, []
            continue
        if not started:
            continue
        m = KTAP_PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = KTAP_RESULT.match(line)
        if m:
            results.append((m.group(1) == "ok", int(m.group(2)), m.group(3),
                            m.group(4) or ""))
    return plan, results


KTEST_DECLARATION = re.compile(r"^KTEST\((\w+),\s*(\w+)\)", re.M)


def kernel_test_names():
    """Every self-test the kernel has, from its sources (tests/kernel/)."""
    names = []
    for d, _, files in os.walk(os.path.join(ROOT, "tests", "kernel")):
        for f in sorted(files):
            if f.endswith(".c"):
                with open(os.path.join(d, f)) as src:
                    names += [f"{a}.{b}" for a, b in KTEST_DECLARATION.findall(src.read())]
    return names


KTEST_BODY = re.compile(r"^KTEST\((\w+),\s*(\w+)\)\n\{\n(.*?)^\}", re.M | re.S)


def kernel_tests_needing_apic():
    """The self-tests that skip themselves without a local APIC (their body
    says KTEST_NEEDS_APIC)."""
    names = set()
    for d, _, files in os.walk(os.path.join(ROOT, "tests", "kernel")):
        for f in files:
            if f.endswith(".c"):
                with open(os.path.join(d, f)) as src:
                    names |= {f"{a}.{b}" for a, b, body in KTEST_BODY.findall(src.read())
                              if "KTEST_NEEDS_APIC(" in body}
    return names


def option(cmdline, name):
    for word in cmdline.split():
        if word.startswith(name + "="):
            return word[len(name) + 1:]
    return None


def allowed_skips(cfg, cmdline):
    """The self-tests a configuration may report as skipped, and why."""
    allowed = {}
    for pattern in (option(cmdline, "test_skip") or "").split(","):
        if pattern:
            allowed[pattern] = "named by test_skip="
    cpus = cfg.cpus or first_number(cfg.smp)
    if "inject=bad-madt" in cmdline:
        cpus = 1  # the kernel runs on the boot CPU alone
    if cfg.boot == "kernel":
        allowed["boot.acpi_rsdp_passed_by_multiboot2"] = "multiboot 1"
    if "inject=test-fail" not in cmdline:
        allowed["ktest.injected_failure"] = "only runs with inject=test-fail"
    if cpus < 3:
        allowed["ipi.a_subset_call_leaves_the_others_alone"] = "fewer than 3 CPUs"
    if cpus < 2:
        for name in ("ipi.a_call_from_an_ap_returns_that_aps_result",
                     "ipi.stress_every_cpu_calling_at_once_with_timer_interrupts",
                     "smp.ap_stacks_have_guard_pages"):
            allowed[name] = "one CPU"
    if "inject=bad-madt" in cmdline or "-no-acpi" in cfg.qemu_args:
        for name in ("smp.every_enabled_madt_cpu_is_online", "smp.cpu_slots_match_madt_ids",
                     "acpi.madt_copy_parses_again_identically"):
            allowed[name] = "no usable MADT"
    if "-no-acpi" in cfg.qemu_args:
        allowed["acpi.rsdp_and_root_table_found"] = "no ACPI tables"
    if any(a.endswith(",-apic") for a in cfg.qemu_args):
        for name in kernel_tests_needing_apic():
            allowed[name] = "no local APIC"
    return allowed


def matches(name, pattern):
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern


def check_test_set(cfg, cmdline, results):
    """The self-tests a boot reported, held against the ones it must have:
    none missing, none twice, numbers 1..n in order, no unexpected skip, not
    all skipped."""
    problems = []
    prefix = option(cmdline, "test") or ""
    expected = [n for n in kernel_test_names() if n.startswith(prefix)]
    got = [name for _, _, name, _ in results]
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    twice = sorted({n for n in got if got.count(n) > 1})
    if missing:
        problems.append(f"self-tests missing from the report: {', '.join(missing)}")
    if extra:
        problems.append(f"self-tests the sources do not declare: {', '.join(extra)}")
    if twice:
        problems.append(f"self-tests reported more than once: {', '.join(twice)}")
    numbers = [num for _, num, _, _ in results]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append("KTAP test numbers are not 1..n in order")
    allowed = allowed_skips(cfg, cmdline)
    skipped = [name for ok, _, name, d in results if ok and d.upper().startswith("SKIP")]
    if results and len(skipped) == len(results):
        problems.append("every self-test was skipped")
    for name in skipped:
        if not any(matches(name, pattern) for pattern in allowed):
            problems.append(f"{name} was skipped, which this configuration does not allow")
    return problems


def count_ktap(prefix, text, outcome, verbose):
    """Adds the KTAP cases in text to outcome; returns (plan, number of results)."""
    plan, results = parse_ktap(text)
    for ok, num, name, directive in results:
        outcome.names.add(name)
        label = f"{prefix}: {name}"
        if ok and directive.upper().startswith("SKIP"):
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


# ---------------------------------------------------------------------------
# Host tests
# ---------------------------------------------------------------------------
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
    if problem:
        case.failed += 1
        case.lines.append(f"  FAIL {label}: {problem}")
        case.lines.append(tail(p.stdout + p.stderr))
    out.lines.append(f"{label}: {case.passed} passed, {case.failed} failed")
    out.add(case)
    return out


# ---------------------------------------------------------------------------
# QEMU
# ---------------------------------------------------------------------------
def kvm_unusable_reason():
    """None if KVM works here, else why not."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist (no KVM on this machine)"
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return f"/dev/kvm cannot be opened ({e.strerror})"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return f"/dev/kvm does not answer KVM_GET_API_VERSION ({e.strerror})"
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return f"/dev/kvm reports API version {version}, expected {KVM_API_VERSION}"
    return None


def find_ovmf():
    for path in OVMF_CANDIDATES:
        if os.path.exists(path):
            return path
    return None


def skip_reason(cfg):
    if cfg.accel == "kvm":
        reason = kvm_unusable_reason()
        if reason:
            return reason
    if cfg.firmware == "uefi" and find_ovmf() is None:
        return "no OVMF firmware found (install the ovmf package)"
    return None


def first_number(text):
    m = re.match(r"\d+", text)
    return int(m.group(0)) if m else 1


def effective_cmdline(cfg):
    """The configuration's command line, with the stress scaled down where
    QEMU has more vCPUs than the host has cores."""
    cmdline = cfg.cmdline
    overcommitted = first_number(cfg.smp) > (os.cpu_count() or 1)
    # The paravirtual KVM of CI hosts (no hardware virtualisation) traps
    # every APIC access: an IPI there costs milliseconds.
    slow_ipis = cfg.accel == "kvm" and (cfg.cpus or first_number(cfg.smp)) > 1
    words = cmdline.split()
    if words[0:1] == ["test"] and "stress_calls=" not in cmdline:
        calls = OVERCOMMIT_STRESS_CALLS if overcommitted or slow_ipis else MATRIX_STRESS_CALLS
        cmdline += f" stress_calls={calls}"
    # What QEMU makes, told to the kernel so that its self-tests have
    # something other than its own tables to check themselves against.
    if any(w == "test" or w.startswith("test=") for w in words):
        cmdline += f" expect_cpus={cfg.cpus or first_number(cfg.smp)}"
        if cfg.apic != "none":
            cmdline += f" expect_apic={cfg.apic}"
        cmdline += f" expect_loader={'GRUB' if cfg.boot == 'iso' else 'qemu'}"
    return cmdline


def qemu_command(cfg, kernel, iso, serial_log, qmp_socket):
    cmd = [QEMU, "-M", cfg.machine, "-m", cfg.memory, "-smp", cfg.smp,
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", f"file:{serial_log}",
           # Stopped until the runner has asked QEMU over QMP which CPUs it made.
           "-S", "-qmp", f"unix:{qmp_socket},server=on,wait=off",
           "-device", f"isa-debug-exit,iobase={EXIT_PORT:#x},iosize=0x04"]
    if cfg.accel == "kvm":
        # -cpu host alone fails on some hosts: "failed to set MSR 0x10a".
        cmd += ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
    else:
        cmd += ["-accel", "tcg"]
    cmd += list(cfg.qemu_args)
    if cfg.firmware == "uefi":
        cmd += ["-bios", find_ovmf()]
    if cfg.boot == "kernel":
        cmd += ["-kernel", kernel, "-append", effective_cmdline(cfg)]
    else:
        cmd += ["-cdrom", iso[effective_cmdline(cfg)]]
    return cmd


def start_qemu(cfg, kernel, iso, workdir):
    """Starts QEMU for cfg, stopped (-S) until a QMP client says "cont".
    Returns (process, QMP socket, serial log, command line, start time)."""
    serial_log = os.path.join(workdir, f"{cfg.name}.serial.log")
    sock = qmp.socket_path(workdir, cfg.name)
    if os.path.exists(sock):
        os.unlink(sock)
    cmd = qemu_command(cfg, kernel, iso, serial_log, sock)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, sock, serial_log, " ".join(cmd), time.monotonic()


def boot(cfg, kernel, iso, workdir):
    """Boots cfg; returns (status, seconds, serial text, command, topology).
    status is the QEMU exit status, or "timeout"; topology is QEMU's answer
    (APIC IDs, possible CPUs) or an error message."""
    proc, sock, serial_log, cmd, start = start_qemu(cfg, kernel, iso, workdir)
    try:
        q = qmp.QMP(sock, timeout=60)
        topology = qmp.cpu_topology(q)
        q.command("cont")
        q.close()
    except (qmp.QMPError, OSError, ValueError) as e:
        topology = f"QMP failed: {e}"
        if proc.poll() is None:
            proc.kill()
    try:
        qemu_output, _ = proc.communicate(timeout=cfg.timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        qemu_output, _ = proc.communicate()
        status = "timeout"
    seconds = time.monotonic() - start
    serial = ""
    if os.path.exists(serial_log):
        with open(serial_log, "rb") as f:
            serial = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    if qemu_output.strip():
        serial += "\n[qemu] " + qemu_output.strip()
    if os.path.exists(sock):
        os.unlink(sock)
    return status, seconds, serial, cmd, topology


def describe_status(status):
    return {EXIT_PASS: "all self-tests passed", EXIT_FAIL: "self-tests failed",
            EXIT_CRASH: "kernel crashed (panic or exception)",
            0: "the machine reset (triple fault?)",
            "timeout": "no result before the time limit (hang)"}.get(
                status, f"QEMU exited with status {status}")


FONT_FILE = os.path.join(ROOT, "lib", "font5x7.c")
SCREEN_TEXT = "ipikernel 0.1 (x86_64), built with"


def load_font():
    """The glyphs of lib/font5x7.c, as {char: [row strings]}."""
    font, code = {}, 0x20
    with open(FONT_FILE) as f:
        for line in f:
            rows = re.findall(r'"([.#]{5})"', line)
            if len(rows) == 7:
                font[chr(code)] = rows
                code += 1
    return font


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    if parts[0] != b"P6":
        raise ValueError("not a binary PPM")
    width, height = int(parts[1]), int(parts[2])
    return width, height, parts[4][:width * height * 3]


def screen_shows(path, text):
    """True if some text row of the screen starts with text, drawn in the
    kernel's font; else a description of what was wrong."""
    width, height, px = read_ppm(path)
    font = load_font()
    scale = 2 if width >= LARGE_SCREEN_WIDTH else 1
    cw, ch = FONT_CELL[0] * scale, FONT_CELL[1] * scale

    def lit(x, y):
        i = (y * width + x) * 3
        return max(px[i:i + 3]) > 0x60

    lit_pixels = sum(1 for i in range(0, len(px), 3) if max(px[i:i + 3]) > 0x60)
    if lit_pixels == 0:
        return "the screen is blank"
    for row in range(min(4, height // ch)):
        good = True
        for col, c in enumerate(text):
            glyph = font.get(c)
            for gy in range(FONT_CELL[1]):
                for gx in range(FONT_CELL[0]):
                    want = glyph is not None and gy < 7 and gx < 5 and glyph[gy][gx] == "#"
                    if lit(col * cw + gx * scale, row * ch + gy * scale) != want:
                        good = False
                        break
                if not good:
                    break
            if not good:
                break
        if good:
            return True
    return f'no text row starts with "{text}" in the kernel\'s font ({lit_pixels} lit pixels)'


def check_screen(cfg, kernel, iso, workdir):
    """Boots to idle, takes a screendump over QMP, and compares it."""
    shot = os.path.join(workdir, f"{cfg.name}.ppm")
    if os.path.exists(shot):
        os.unlink(shot)
    proc, sock, serial_log, cmd, start = start_qemu(cfg, kernel, iso, workdir)
    problems, serial = [], ""
    try:
        q = qmp.QMP(sock, timeout=60)
        q.command("cont")
        while time.monotonic() - start < cfg.timeout:
            if os.path.exists(serial_log):
                with open(serial_log, "rb") as f:
                    serial = f.read().decode("utf-8", "replace")
            if "boot complete" in serial or proc.poll() is not None:
                break
            time.sleep(0.2)
        if "boot complete" not in serial:
            problems.append("the kernel did not reach \"boot complete\"")
        else:
            q.command("screendump", filename=shot)
            verdict = screen_shows(shot, SCREEN_TEXT)
            if verdict is not True:
                problems.append(verdict)
        q.command("quit")
        q.close()
    except (qmp.QMPError, OSError, ValueError) as e:
        problems.append(f"QMP failed: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    if os.path.exists(sock):
        os.unlink(sock)
    return problems, time.monotonic() - start, serial, cmd


SMP_LINE = re.compile(r"^smp: online=(\d+) possible=(\d+) apic=(\w+) ids=([0-9,]*)$", re.M)


def check_smp_line(cfg, serial, topology):
    """The kernel's smp: line must match what QEMU says it created."""
    if isinstance(topology, str):
        return [topology]
    qemu_ids, qemu_possible = topology
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
        header = f"{cfg.name}: the screen shows the kernel's text ({seconds:.1f} s)"
        if problems:
            header = f"{cfg.name}: screen check failed ({seconds:.1f} s)"
        return finish_check(cfg, out, header, problems, serial, cmd)

    status, seconds, serial, cmd, topology = boot(cfg, kernel, iso, workdir)
    header = f"{cfg.name}: {describe_status(status)} ({seconds:.1f} s)"
    problems = []

    if cfg.expect == "pass":
        plan, n = count_ktap(cfg.name, serial, out, verbose)
        problems += check_test_set(cfg, effective_cmdline(cfg), parse_ktap(serial)[1])
        if status != EXIT_PASS:
            problems.append(describe_status(status))
        if plan is None:
            problems.append("no KTAP plan in the serial output")
        elif plan != n:
            problems.append(f"KTAP planned {plan} cases, reported {n}")
        elif plan == 0:
            problems.append("no self-tests ran")
        # The banner says who booted us: the loader and firmware must match.
        loader = "GRUB" if cfg.boot == "iso" else "qemu"
        firmware = "UEFI" if cfg.firmware == "uefi" else "BIOS"
        if not re.search(rf'^boot: loader "{loader}[^"]*" via multiboot.*, firmware {firmware}',
                         serial, re.M):
            problems.append(f"no boot banner naming loader {loader} and firmware {firmware}")
        if not re.search(r"^memory: \d+ regions, \d+ MiB available", serial, re.M):
            problems.append("no memory map summary in the banner")
        if re.search(r"^warning:", serial, re.M):
            problems.append("the kernel printed warnings")
        problems += check_smp_line(cfg, serial, topology)
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
    elif cfg.expect == "survive":
        if status not in (EXIT_PASS, EXIT_FAIL):
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
        want = EXPECTED_STATUS[cfg.expect]
        if status != want:
            problems.append(f"expected: {describe_status(want)}; got: {describe_status(status)}")
        for text in cfg.must_contain:
            if text not in serial:
                problems.append(f'the serial output lacks "{text}"')
        for pattern in cfg.must_match:
            if not re.search(pattern, serial, re.M):
                problems.append(f"no serial line matches /{pattern}/")
        for text in cfg.must_not_contain:
            if text in serial:
                problems.append(f'the serial output has "{text}"')

    return finish_check(cfg, out, header, problems, serial, cmd)


def finish_check(cfg, out, header, problems, serial, cmd):
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
                         "the quick mutants ('mutants'), or the QEMU configurations whose "
                         "name contains this text")
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
    load_constants(build)
    total = Outcome()
    print(f"== ipikernel tests ({args.cc or 'default compiler'}, {build})", flush=True)

    counts = {}
    if args.only in ("", "host"):
        host = run_host_tests(build, args.verbose)
        print("\n".join(host.lines), flush=True)
        total.add(dataclasses.replace(host, lines=[]))
        counts["host cases"] = host.passed + host.failed + host.skipped

    # Every C file as .clang-format says, and the layering rule: kernel/ and
    # lib/ reach the machine only through kernel/arch.h.
    if args.only in ("", "host"):
        for label, tool in (("format", "check_format.py"), ("layering", "check_layering.py")):
            result = run_ktap_tool(label, [sys.executable, os.path.join(ROOT, "tools", tool)],
                                   300, args.verbose)
            print("\n".join(result.lines), flush=True)
            total.add(dataclasses.replace(result, lines=[]))

    # The protocol's model, checked by SPIN (tests/model/, tools/check_model.py).
    if args.only in ("", "model"):
        model = run_ktap_tool("model", [sys.executable, os.path.join(ROOT, "tools",
                                                                     "check_model.py")],
                              1800, args.verbose)
        print("\n".join(model.lines), flush=True)
        total.add(dataclasses.replace(model, lines=[]))
        counts["model configurations"] = model.passed + model.failed

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

    if args.only not in ("host", "model", "mutants"):
        before = set(total.names)
        selected = [c for c in configs if args.only in c.name]
        if shutil.which(QEMU) is None:
            print(f"FAIL {QEMU} is not installed (run make deps)")
            total.failed += 1
            selected = []
        workdir = os.path.join(build, "test-logs")
        os.makedirs(workdir, exist_ok=True)
        # The ISO's grub.cfg carries the command line: one ISO per command line.
        iso = {}
        for c in selected:
            line = effective_cmdline(c)
            if c.boot == "iso" and line not in iso:
                iso[line] = os.path.join(workdir, f"test-{len(iso)}.iso")
                subprocess.run([os.path.join(ROOT, "tools", "mkiso.sh"), kernel, line,
                                iso[line]], check=True)
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

    if total.skipped:
        print(f"{total.skipped} skipped (reasons above)")
    print("distinct checks: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print(f"{total.passed} passed, {total.failed} failed")
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main())
