"""The results of a boot held against the self-tests the sources declare
(tests/kernel/): none missing, none twice, no skip the configuration does
not explain."""
import os
import re

from common import ROOT
from common.config import boot_protocol
from common.ktap import is_skip
from common.qemu import first_number


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


def memory_bytes(size):
    """QEMU's -m argument ("256M", "5G") in bytes."""
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size) << 20


def allowed_skips(cfg, cmdline):
    """The self-tests a configuration may report as skipped, and why."""
    allowed = {}
    for pattern in (option(cmdline, "test_skip") or "").split(","):
        if pattern:
            allowed[pattern] = "named by test_skip="
    cpus = cfg.cpus or first_number(cfg.smp)
    if "inject=bad-madt" in cmdline or "inject=no-low-memory" in cmdline:
        cpus = 1  # the kernel runs on the boot CPU alone
    if memory_bytes(cfg.memory) <= 4 << 30:
        allowed["paging.the_device_window_reaches_memory_above_4_gib"] = "no memory above 4 GiB"
    if memory_bytes(cfg.memory) < 16 << 20:
        allowed["ipi.use_tlb_shootdown"] = "the APs' stacks took the last free pages"
        allowed["tlb.a_cpu_that_reads_after_the_shootdown_sees_the_new_frame"] = \
            "the APs' stacks took the last free pages"
    if "inject=late-ap" in cmdline:
        cpus -= 1  # CPU 1 is left out
    if option(cmdline, "maxcpus"):
        cpus = min(cpus, int(option(cmdline, "maxcpus")))
    if boot_protocol(cfg) == "multiboot 1":
        allowed["boot.acpi_rsdp_passed_by_multiboot2"] = "multiboot 1"
    if "inject=test-fail" not in cmdline:
        allowed["ktest.injected_failure"] = "only runs with inject=test-fail"
    if cpus < 3:
        for name in ("ipi.a_subset_call_leaves_the_others_alone",
                     "ipi.stress_changing_sets_from_every_cpu_sleeping",
                     "ipi.stress_changing_sets_from_every_cpu_spinning",
                     "ipi.stress_changing_sets_from_one_cpu_leaving_out_each_in_turn",
                     "tlb.cpus_outside_the_set_are_not_interrupted"):
            allowed[name] = "fewer than 3 CPUs"
    if cpus < 2:
        for name in ("ipi.a_call_from_an_ap_returns_that_aps_result",
                     "ipi.stress_every_cpu_calling_at_once_with_timer_interrupts",
                     "smp.ap_stacks_have_guard_pages",
                     "ipi.calls_complete_when_the_waiters_sleep",
                     "ipi.stress_changing_sets_sleepers_woken_after_sleeping_turned_off",
                     "exceptions.try_calls_on_two_cpus_at_once_each_resume_their_own",
                     "exceptions.a_try_call_in_an_interrupt_handler_nests_in_the_interrupted_one",
                     "litmus.store_buffering_with_a_fence_never_reads_0_0",
                     "tlb.the_caller_flushes_even_when_outside_the_set",
                     "tlb.a_shootdown_from_an_ap_reaches_every_cpu",
                     "ipi.every_worker_starts_after_all_arrive_and_ends_before_any_returns",
                     "trace.every_cpu_records_each_phase_and_the_barriers_order_them",
                     "ipi.the_default_spin_is_an_idle_cpus_wake_up_measured_at_boot"):
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
    skipped = [name for ok, _, name, d in results if is_skip(ok, d)]
    if results and len(skipped) == len(results):
        problems.append("every self-test was skipped")
    for name in skipped:
        if not any(matches(name, pattern) for pattern in allowed):
            problems.append(f"{name} was skipped, which this configuration does not allow")
    return problems
