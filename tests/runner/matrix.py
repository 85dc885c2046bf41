"""The configurations the runner boots: the test matrix, the large shapes, the
benchmark runs and the deliberately broken kernels."""
import os

from common.config import Config


KVM_CMDLINE = ("test test_skip=exceptions.int3_is_resumable,"
               "ipi.a_spurious_interrupt_and_an_unasked_nmi_in_a_call_are_survived")


DMAR_OPT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                            "dmar-x2apic-opt-out.body")


DISSEMINATION = "test barrier=dissemination"


MATRIX = [
    # 100 000 back-to-back rendezvous calls on as many CPUs as the host has
    # cores (at most 4), with nothing else running.
    Config("q35-kernel-tcg-stress-100k", smp=str(min(4, os.cpu_count() or 1)), alone=True,
           cmdline="test=ipi.stress_back_to_back_calls stress_calls=100000"),
    Config("q35-kernel-tcg-smp1"),
    # Every self-test on a kernel built with undefined-behaviour checks
    # (make SANITIZE=1, kernel/diag/ubsan.c): any UB in the code they run stops it.
    Config("q35-kernel-tcg-smp4-sanitized", smp="4", sanitized=True),
    Config("q35-kernel-tcg-smp2", smp="2"),
    Config("q35-kernel-tcg-smp4", smp="4"),
    # barrier=auto picks central up to 4 CPUs: name it where there are more.
    Config("q35-kernel-tcg-smp8", smp="8", cmdline="test barrier=central"),
    # Calls whose participant set changes every call, so ranks move under
    # the barriers' sleep and wake-up (issue 19): central at 4 CPUs,
    # dissemination at 6. A short bound, so that a sleeper nobody wakes is
    # counted (and its self-test fails) within seconds.
    Config("q35-kernel-tcg-smp4-changing-sets", smp="4",
           cmdline="test=ipi.stress_changing_sets ipi_timeout_ms=3000"),
    Config("q35-kernel-tcg-smp6-changing-sets-dissemination", smp="6",
           cmdline="test=ipi.stress_changing_sets barrier=dissemination ipi_timeout_ms=3000"),
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
    # One at a time with the SDM's delays (the default starts all at once).
    Config("q35-kernel-tcg-serial-start", smp="4", cmdline="test ap_start=serial",
           must_contain=("ap_start=serial: 10000 us after INIT",)),
    Config("q35-kernel-tcg-pm-timer", smp="2", cmdline="test tsc_source=pm_timer"),
    # The idle modes and the per-CPU delivery: the whole suite with APs that
    # poll or wait in mwait, calls sent one IPI per CPU; a CPU without
    # MONITOR falls back to hlt and says so.
    Config("q35-kernel-tcg-idle-poll-each", smp="4", cmdline="test idle=poll ipi_delivery=each"),
    Config("q35-kernel-tcg-idle-mwait", smp="2", cmdline="test idle=mwait",
           qemu_args=("-cpu", "qemu64,+monitor")),
    Config("q35-kernel-tcg-idle-mwait-missing", smp="2", cmdline="test idle=mwait",
           must_contain=("warning: idle=mwait: this CPU cannot (no MONITOR/MWAIT); "
                         "idling in hlt",)),
    Config("pc-kernel-tcg-pm-timer", machine="pc", smp="2", cmdline="test tsc_source=pm_timer"),
    # PCs without the legacy timers: no PIT (the TSC is measured against the
    # HPET), neither PIT nor HPET (the ACPI PM timer); and the HPET asked for
    # by name where there is a PIT too.
    Config("q35-kernel-tcg-no-pit", machine="q35,pit=off", smp="2",
           cmdline="test expect_clock=HPET",
           must_contain=("timing: no PIT (channel 2 does not count)", " MHz from HPET, ")),
    Config("q35-kernel-tcg-no-pit-no-hpet", machine="q35,pit=off,hpet=off", smp="2",
           cmdline="test expect_clock=ACPI",
           must_contain=("timing: no PIT (channel 2 does not count)",
                         "timing: no HPET (the ACPI tables list none)",
                         " MHz from ACPI PM timer, ")),
    Config("q35-kernel-tcg-hpet", machine="q35,hpet=on", cmdline="test tsc_source=hpet",
           must_contain=("acpi: HPET 0 at 0xfed00000", " MHz from HPET, ")),
    # RAM above 4 GiB, for the device window (a framebuffer there is mapped
    # through it; QEMU cannot put one there itself).
    Config("q35-kernel-tcg-memory-above-4g", memory="5G", smp="2"),
    # No timer at all (no PIT, no HPET, no ACPI, and TCG's CPU states no
    # frequency in CPUID): the kernel says it cannot calibrate, and goes on.
    Config("pc-kernel-tcg-no-timers", machine="pc,pit=off,hpet=off", qemu_args=("-no-acpi",),
           cmdline="test expect_no_acpi expect_clock=nothing",
           must_contain=("warning: timing: no timer to calibrate the TSC against",
                         "This kernel finds CPUs only in the ACPI MADT")),
    # Fewer CPUs than the firmware lists, as the menu's "on N CPUs only" does.
    Config("q35-kernel-tcg-maxcpus-option", smp="4", cmdline="test maxcpus=2",
           must_contain=("smp: maxcpus=2: 2 more CPUs the firmware lists are left halted",)),
    # The end of a run on a lab's PC: the summary, then a reset through the
    # FADT's reset register (QEMU -no-reboot turns the reset into an exit).
    Config("q35-kernel-tcg-end-reboot", smp="2", cmdline="test=boot. end=reboot reboot_delay_s=1",
           expect="reset", must_contain=("PASS: ", "end: rebooting in 1 s",
                                         "reset: through the ACPI reset register"),
           must_not_contain=("did not reset",)),
    # The i440FX's FADT names no reset register: port 0xCF9 does it there.
    Config("pc-kernel-tcg-end-reboot", machine="pc",
           cmdline="test=boot. end=reboot reboot_delay_s=0",
           expect="reset", must_contain=("reset: the FADT names no reset register",
                                         "reset: through port 0xCF9"),
           must_not_contain=("did not reset",)),
    # The 8042's reset line, asked for by name.
    Config("q35-kernel-tcg-reset-keyboard", cmdline="test=boot. end=reboot reboot_delay_s=0 "
           "reset=keyboard", expect="reset",
           must_contain=("reset: through the keyboard controller",),
           must_not_contain=("did not reset",)),
    # Many CPUs: start-up and per-CPU checks, and the rendezvous without its
    # stress tests (64), or start-up only (255: each call costs seconds on
    # two host cores; make test-large runs the rendezvous there, and the TLB
    # shoot-down, nine calls, with it).
    Config("q35-kernel-tcg-smp64", smp="64",
           cmdline="test ap_start=fast test_skip=ipi.stress_*"),
    Config("q35-kernel-tcg-smp255", smp="255", memory="512M",
           cmdline="test ap_start=fast test_skip=ipi.*,tlb.*"),
    # Machines a new user may meet: a CPU without a local APIC (the kernel
    # runs on it alone, and the self-tests that need one say so), and a PC
    # without ACPI tables (the kernel says why it uses one CPU).
    Config("q35-kernel-tcg-no-apic", apic="none", qemu_args=("-cpu", "qemu64,-apic")),
    Config("pc-kernel-tcg-no-acpi", machine="pc", qemu_args=("-no-acpi",),
           cmdline="test expect_no_acpi", must_contain=("This kernel finds CPUs only in the "
                                                        "ACPI MADT",)),
    # The image people write to a stick, booted the five ways a PC boots it,
    # each through the menu's default entry (what a person gets by waiting).
    Config("q35-menu-bios-cdrom-smp2", boot="menu", smp="2"),
    Config("q35-menu-bios-usb-smp2", boot="menu", media="usb", smp="2"),
    Config("q35-menu-bios-disk-smp2", boot="menu", media="disk", smp="2"),
    Config("q35-menu-uefi-cdrom-smp2", boot="menu", firmware="uefi", smp="2"),
    Config("q35-menu-uefi-usb-smp2", boot="menu", media="usb", firmware="uefi", smp="2"),
    Config("q35-iso-bios-tcg-smp2", boot="iso", smp="2"),
    Config("pc-iso-bios-tcg-smp4", machine="pc", boot="iso", smp="4", cmdline=DISSEMINATION),
    Config("q35-iso-uefi-tcg-smp1", boot="iso", firmware="uefi"),
    Config("q35-iso-uefi-tcg-smp4", boot="iso", firmware="uefi", smp="4"),
    # The other loaders, through every self-test: GRUB's multiboot (version
    # 1) command under SeaBIOS and under OVMF, where the RSDP is found in
    # the memory map's ACPI regions (multiboot 1 passes none, and UEFI
    # leaves nothing in the BIOS areas), and ISOLINUX's mboot.c32.
    # The multiboot 1 header asks for EGA text: GRUB keeps it on a BIOS PC and
    # gives its linear framebuffer under UEFI (the screen stayed black
    # before the request; the screen check below reads it back).
    Config("q35-grub-multiboot1-bios-smp2", boot="iso", loader="multiboot1", smp="2",
           must_contain=(", type 2, at 0xb8000",)),
    Config("q35-grub-multiboot1-uefi-smp2", boot="iso", loader="multiboot1", firmware="uefi",
           smp="2", must_contain=("from the memory map's ACPI ", ", type 1, at ")),
    Config("q35-isolinux-mboot-bios-smp2", boot="iso", loader="isolinux", smp="2"),
    # What a person sees at the end: the summary page, read back from QEMU's
    # screen (QMP screendump) in the kernel's own font. A UEFI PC without a
    # serial port, booted from the menu's default; and a 24-bit mode (GRUB
    # under SeaBIOS with a VBE mode), whose pixels are three bytes.
    Config("q35-menu-uefi-screen-no-serial", boot="menu", firmware="uefi", smp="2",
           serial=False, exit_device=False, expect="screen"),
    Config("q35-grub-multiboot1-uefi-screen-no-serial", boot="iso", loader="multiboot1",
           firmware="uefi", smp="2", serial=False, exit_device=False, expect="screen"),
    Config("q35-menu-bios-screen-24bpp", boot="menu", gfxpayload="1024x768x24", smp="2",
           exit_device=False, expect="screen",
           must_contain=(", 24 bpp, type 1, at ",)),
    # x2APIC needs KVM (QEMU 7.2's TCG has none). The paravirtual KVM of some
    # CI hosts (no hardware virtualisation) cannot emulate int3, nor the
    # "int $0xff" that stands in for a spurious interrupt, in a guest ("KVM
    # internal error ... emulation failure"): those two cases are reported
    # as skipped there, by name (TCG runs them).
    Config("q35-kernel-kvm-x2apic-smp1", accel="kvm", apic="x2apic", cmdline=KVM_CMDLINE),
    Config("q35-kernel-kvm-x2apic-smp2", accel="kvm", apic="x2apic", smp="2",
           cmdline=KVM_CMDLINE),
    Config("q35-kernel-kvm-x2apic-smp4-dissemination", accel="kvm", apic="x2apic", smp="4",
           cmdline=KVM_CMDLINE + " barrier=dissemination"),
    Config("q35-kernel-kvm-xapic-smp4", accel="kvm", apic="xapic", smp="4",
           cmdline=KVM_CMDLINE + " apic=xapic"),
    # A firmware that already switched the APIC to x2APIC (the option does it
    # at the start of kmain, before the APIC driver looks): the kernel keeps
    # that mode even when told apic=xapic, and the APs follow.
    Config("q35-kernel-kvm-firmware-x2apic", accel="kvm", apic="x2apic", smp="2",
           cmdline=KVM_CMDLINE + " firmware_x2apic apic=xapic",
           must_contain=("firmware_x2apic: x2APIC enabled before the APIC driver",
                         "apic: apic=xapic, but the firmware already enabled x2APIC mode",
                         "x2apic mode (already enabled by the firmware)")),
    # A firmware whose DMAR table sets the x2APIC opt-out flag (QEMU's own
    # never does; -acpitable adds one: data/dmar-x2apic-opt-out.body is the
    # table after its header, VT-d §8.1: host address width 38, flags 0x02,
    # 10 reserved bytes). The kernel stays in xAPIC unless told apic=x2apic.
    Config("q35-kernel-kvm-dmar-x2apic-opt-out", accel="kvm", apic="xapic", smp="2",
           cmdline=KVM_CMDLINE, qemu_args=("-acpitable", f"sig=DMAR,rev=1,data={DMAR_OPT_OUT}"),
           must_contain=("acpi: DMAR: interrupt remapping not supported, x2APIC opt-out set",
                         "apic: the firmware opts out of x2APIC")),
    Config("q35-kernel-kvm-dmar-x2apic-opt-out-overridden", accel="kvm", apic="x2apic", smp="2",
           cmdline=KVM_CMDLINE + " apic=x2apic",
           qemu_args=("-acpitable", f"sig=DMAR,rev=1,data={DMAR_OPT_OUT}"),
           must_contain=("but apic=x2apic overrides it",)),
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
           cmdline="test ap_start=fast test_skip=exceptions.int3_is_resumable,ipi.*,tlb.*"),
    Config("q35-kernel-tcg-smp255-rendezvous", smp="255", memory="512M", timeout=1800,
           cmdline="test ap_start=fast test_skip=ipi.stress_* ipi_timeout_ms=120000"),
    Config("q35-kernel-tcg-smp255-rendezvous-dissemination", smp="255", memory="512M",
           timeout=1800, cmdline="test ap_start=fast test_skip=ipi.stress_* "
                                 "ipi_timeout_ms=120000 barrier=dissemination"),
]


# The benchmarks must run to the end and print their lines in the agreed form
# (the numbers themselves are not judged: timing is not a test).
BENCH_LINE = (r"^bench: name=\w+ cpus=\d+ iters=\d+ min=\d+ p50=\d+ p90=\d+ p99=\d+ max=\d+ "
              r"tsc_mhz=\d+\.\d{3}$")
BENCH = [
    Config("bench-kernel-tcg", cmdline="bench", expect="bench", must_contain=("bench: done",),
           must_match=(BENCH_LINE, r"^bench: name=tsc_read cpus=1 ",
                       r"^bench: name=generic_call_empty_central_idle cpus=1 ")),
    Config("bench-kernel-tcg-smp2-dissemination", smp="2", cmdline="bench barrier=dissemination",
           expect="bench", must_contain=("bench: done",),
           must_match=(BENCH_LINE, r"^bench: name=generic_call_empty_dissemination_idle cpus=2 ",
                       r"^bench: name=generic_call_empty_dissemination_busy cpus=2 ",
                       r"^bench: name=ipi_roundtrip_idle cpus=2 ",
                       r"^bench: name=cacheline_roundtrip cpus=2 ",
                       r"^bench: name=ipi_roundtrip_all cpus=2 ",
                       r"^bench: name=barrier_dissemination cpus=2 ",
                       r"^bench: name=ap_start_each cpus=2 iters=1 ",
                       r"^bench: name=ap_start_all cpus=2 iters=1 ",
                       r"^bench: quantiles name=generic_call_empty_dissemination_idle cpus=2 "
                       r"q=(\d+,){20}\d+$")),
    # The timeline: every phase of every CPU, for make trace to draw.
    Config("trace-kernel-tcg-smp2", smp="2", cmdline="trace", expect="bench",
           must_contain=("trace: done", "event=worker_start", "event=handler_exit"),
           must_match=(r"^trace: cpu=1 call=\d+ event=completed tsc=\d+$",)),
]


# The per-CPU self-tests hold every CPU the firmware listed to account (each
# must take its probe interrupt on its own stack and GS block): a boot that
# leaves some out, or whose boot CPU cannot probe itself, fails them.
PROBE_CHECKS = ("smp.every_cpu_has_its_own_gs_block", "smp.every_cpu_reads_its_own_apic_id",
                "smp.every_cpu_runs_on_its_own_stack", "smp.every_cpu_takes_a_probe_interrupt")

# The runner's own checks: each kernel fails on purpose; the check passes
# when the runner sees exactly that failure.
NEGATIVE = [
    # The failure's reason is on the diagnostic line before the result, and
    # reads like a TODO directive to TAP::Parser if it is put after '#'.
    Config("inject-test-fail", cmdline="test inject=test-fail", expect="fail",
           must_match=(r"^not ok \d+ ktest\.injected_failure$",
                       r"^# tests/kernel/test_ktest\.c:\d+: todo\.count: expected 0x1, got 0x2$")),
    Config("inject-panic", cmdline="test inject=panic", expect="crash",
           must_contain=("PANIC: injected panic", "backtrace:", "inject_now+")),
    Config("inject-stack-overflow", cmdline="test inject=stack-overflow", expect="crash",
           must_contain=("EXCEPTION: #DF double fault", "kernel stack overflow",
                         "inject_recurse+")),
    Config("inject-triple-fault", cmdline="test inject=triple-fault", expect="reset"),
    # A buffer overflow over a canary: the stack protector names the function.
    Config("inject-stack-smash", cmdline="test inject=stack-smash", expect="crash",
           must_contain=("PANIC: stack protector: the stack of inject_smash_stack+",)),
    # Undefined behaviour in a SANITIZE=1 kernel: its kind, file and line.
    Config("inject-undefined-behaviour-sanitized", cmdline="test inject=undefined-behaviour",
           sanitized=True, expect="crash", timeout=60,
           must_contain=("PANIC: undefined behaviour: signed addition overflow",
                         "at kernel/diag/inject.c:")),
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
    # No free page below 1 MiB for the AP start-up code (firmware that keeps
    # low memory for itself): said so, and the kernel runs on one CPU.
    Config("inject-no-low-memory", smp="2", cmdline="test inject=no-low-memory",
           expect="survive",
           must_contain=("smp: the memory map has no free page below 1 MiB for the AP start-up "
                         "code", "smp: online=1 possible=2"),
           # The per-CPU checks hold the CPU the firmware listed to account.
           may_fail=("ipi.every_cpu_runs_the_worker_exactly_once", "smp.ap_stacks_have_guard_pages",
                     "smp.every_cpu_has_its_own_gs_block", "smp.every_cpu_reads_its_own_apic_id",
                     "smp.every_cpu_runs_on_its_own_stack", "smp.every_cpu_takes_a_probe_interrupt",
                     "smp.every_enabled_madt_cpu_is_online")),
    # The fault matrix (docs/testing.md): each fault gets a bounded wait, a
    # report naming the CPU, the phase and the cause, and a clean stop, or
    # the boot goes on without the CPU where that is safe.
    # An AP that checks in after its deadline: left out (and sent back to
    # INIT), the next AP starts as usual, the rendezvous runs on the rest.
    Config("inject-late-ap", smp="3", cmdline="test inject=late-ap ap_timeout_ms=200",
           expect="survive",
           must_contain=("CPU 1 (APIC ID 1) did not check in; left out",
                         "smp: online=2 possible=3 apic=xapic ids=0,2"),
           may_fail=("ipi.every_cpu_runs_the_worker_exactly_once",
                     "smp.every_enabled_madt_cpu_is_online") + PROBE_CHECKS),
    # A CPU that stops answering inside the worker: the completion barrier
    # times out, names it, and its NMI shows it in the worker.
    Config("inject-stuck-in-worker", smp="3",
           cmdline="test inject=stuck-in-worker ipi_timeout_ms=1000", expect="crash",
           must_contain=("at the completion (after the worker) barrier",
                         "ipi: missing: CPU 2 (APIC ID 2)",
                         "nmi: CPU 2 (APIC ID 2) was at", "inject_stuck_worker+",
                         ", inside the worker", "PANIC: ipi: the rendezvous timed out"),
           must_contain_once=("PANIC:",), must_not_contain=("did not take the stop NMI",)),
    # A worker that faults on one CPU: the exception, the CPU and the call,
    # every other CPU stopped by NMI, no triple fault.
    Config("inject-worker-page-fault", smp="3", cmdline="test inject=worker-page-fault",
           expect="crash",
           must_contain=("EXCEPTION: #PF page fault", "inject_page_fault_worker+",
                         "ipi: CPU 2 stopped inside the worker of call #1 (worker "
                         "inject_page_fault_worker, from CPU 0)", "kernel stopped."),
           must_contain_once=("EXCEPTION:",), must_not_contain=("did not take the stop NMI",)),
    Config("inject-worker-invalid-opcode", smp="3", cmdline="test inject=worker-invalid-opcode",
           expect="crash",
           must_contain=("EXCEPTION: #UD invalid opcode", "arch_test_invalid_opcode",
                         "ipi: CPU 2 stopped inside the worker of call #1", "kernel stopped."),
           must_contain_once=("EXCEPTION:",), must_not_contain=("did not take the stop NMI",)),
    # The same fault, on a CPU that the call's IPI interrupted inside
    # arch_try_call: the handler's fault, so reported and stopped as above,
    # never turned into a return from the try-call it interrupted.
    Config("inject-worker-fault-in-try-call", smp="3",
           cmdline="test inject=worker-fault-in-try-call", expect="crash",
           must_contain=("EXCEPTION: #PF page fault", "inject_page_fault_worker+",
                         "arch_try_call+", "sit_in_a_try_call+",
                         "ipi: CPU 2 stopped inside the worker of call #1 (worker "
                         "inject_page_fault_worker, from CPU 0)", "kernel stopped."),
           must_contain_once=("EXCEPTION:",),
           must_not_contain=("caught vector", "did not take the stop NMI")),
    # A panic on an AP while the others are in the call: one report, whole
    # (nothing in between its lines), every CPU stopped.
    Config("inject-panic-in-worker", smp="4", cmdline="test inject=panic-in-worker",
           expect="crash",
           must_match_block=(r"^PANIC: injected panic in a rendezvous worker.*\n"
                             r"  on CPU 3 at kernel/diag/inject\.c:\d+\n  backtrace:\n"
                             r"(    #\d+ .*\n)+"
                             r"ipi: CPU 3 stopped inside the worker of call #1 .*\n"
                             r"kernel stopped\.$",),
           must_contain_once=("PANIC:", "kernel stopped."),
           must_not_contain=("did not take the stop NMI",)),
    # Issue 20: the orders of faults that hung the machine or garbled the
    # report. A panic in the worker with a timeout short enough that the
    # others give up while it reports: whatever the order (it varies from
    # boot to boot), one report and the end, exit 37 (2 of 3 boots hung).
    Config("inject-panic-in-worker-short-timeout", smp="4",
           cmdline="test inject=panic-in-worker ipi_timeout_ms=2", expect="crash", timeout=60,
           must_contain=("kernel stopped.",), must_contain_once=("kernel stopped.",)),
    # The same, in the order that hung: the panicking CPU holds its report
    # until another CPU has timed out and come to stop the kernel too; that
    # CPU becomes one line of the panic's report, never an NMI into it.
    Config("inject-panic-racing-timeout", smp="4",
           cmdline="test inject=panic-racing-timeout ipi_timeout_ms=200", expect="crash",
           timeout=60,
           must_match_block=(r"^PANIC: injected panic in a rendezvous worker.*\n"
                             r"  on CPU 3 at kernel/diag/inject\.c:\d+\n  backtrace:\n"
                             r"(    #\d+ .*\n)+"
                             r"inject: holding the stop until another CPU comes to stop the kernel\n"
                             r"ipi: CPU 3 stopped inside the worker of call #1 .*\n"
                             r"stop: CPU [0-2] had come to stop the kernel too: ipi: call #1 timed "
                             r"out at the completion \(after the worker\) barrier, on CPU [0-2]\n"
                             r"kernel stopped\.$",),
           must_contain_once=("PANIC:", "kernel stopped."),
           must_not_contain=("sending an NMI", "did not take the stop NMI")),
    # A panic with interrupts on (posted work) while CPU 0 calls again and
    # again: from its first instruction the panic takes no call, so CPU 0's
    # next call times out on one of its members, which waits for the stop.
    Config("inject-panic-during-calls", smp="4",
           cmdline="test inject=panic-during-calls ipi_timeout_ms=200", expect="crash",
           timeout=60,
           must_match=(r"^stop: CPU [0-2] had come to stop the kernel too: ipi: call #\d+ timed "
                       r"out at the arrival",),
           must_contain_once=("PANIC:", "kernel stopped."),
           must_not_contain=("no other CPU came to stop", "already stopping",
                             "did not take the stop NMI")),
    # A worker that faults on every CPU, the usual buggy worker: one
    # report, the first CPU's, whole; each other CPU that faulted too, in
    # one line. With 4 vCPUs on fewer host cores, a vCPU thread can sleep
    # through the whole report and take the stop NMI before its own fault:
    # then it has nothing to say, so none of the one-liners is required
    # (CI at 6138553 saw that once in ten runs).
    Config("inject-worker-fault-on-every-cpu", smp="4",
           cmdline="test inject=worker-fault-on-every-cpu", expect="crash", timeout=60,
           must_match_block=(r"^EXCEPTION: #PF page fault \(vector 14\)\n"
                             r"(  .*\n)+"
                             r"ipi: CPU \d stopped inside the worker of call #1 .*\n"
                             r"(stop: CPU \d had come to stop the kernel too: exception #PF page "
                             r"fault at 0x[0-9a-f]+ <inject_fault_everywhere_worker\+0x[0-9a-f]+>\n)"
                             r"{0,3}kernel stopped\.$",),
           must_contain_once=("EXCEPTION:", "kernel stopped.")),
    # A fault inside kprintf, with the console lock held by the faulting
    # CPU: the report takes the panic lock instead of waiting out the
    # ordinary one line by line (77 s under TCG before; a boot takes 1 s).
    Config("inject-fault-in-kprintf", smp="2", cmdline="test inject=fault-in-kprintf",
           expect="crash", timeout=30,
           must_contain=("EXCEPTION: #PF page fault", "format_v+", "kprintf+", "kernel stopped."),
           must_contain_once=("EXCEPTION:",)),
    # A call's IPI that never reaches one CPU: the arrival barrier times out
    # and names it; its NMI finds it idle, never told.
    Config("inject-lost-ipi", smp="3", cmdline="test inject=lost-ipi ipi_timeout_ms=1000",
           expect="crash",
           must_contain=("inject: not sending the call's IPI to CPU 2",
                         "at the arrival (before the worker) barrier",
                         "ipi: missing: CPU 2 (APIC ID 2)", "nmi: CPU 2 (APIC ID 2) was at",
                         "arch_idle+", "PANIC: ipi: the rendezvous timed out"),
           must_contain_once=("PANIC:",)),
    # A boot CPU whose APIC ID is not the one its CPUID reports (issue 20,
    # suspicion 4): firmware renumbered it, in its APIC and in the MADT.
    # The kernel takes the APIC's ID, finds itself in the MADT, and starts
    # the three APs, never itself (CPUID's 0 would have made the MADT's 4 an
    # "AP" and sent INIT to the boot CPU). QEMU 7.2's xAPIC does not deliver
    # a CPU's IPI to its own rewritten ID, so the boot CPU's self-probe
    # fails here; the APs reach it at ID 4 (the rendezvous tests pass).
    Config("inject-renumbered-boot-cpu", smp="4", cmdline="test inject=renumbered-boot-cpu",
           expect="survive",
           must_contain=("inject: the boot CPU's APIC ID is now 4",
                         "smp: online=4 possible=4 apic=xapic ids=1,2,3,4"),
           may_fail=("smp.cpu_slots_match_madt_ids",) + PROBE_CHECKS),
    # An NMI nobody asked for, before the CPUs are started (issue 20,
    # suspicion 7): said and survived, as after; not a fatal exception, and
    # not a fault of some self-test's arch_try_call.
    Config("inject-early-nmi", smp="2", cmdline="test inject=early-nmi", expect="pass",
           must_contain=("nmi: an NMI the kernel did not ask for, before the CPUs were started",
                         "inject: the boot goes on after the NMI"),
           must_not_contain=("EXCEPTION",)),
    # Memory for only some of the APs (issue 20, defect 3): 4 MiB and 16
    # CPUs. The boot goes on with the CPUs it could give stacks to; the
    # others are listed as left out for lack of memory, nothing panics.
    Config("low-memory-for-some-aps", smp="16", memory="4M", cmdline="test", expect="survive",
           must_contain=("warning: smp: no memory for CPU 15's stacks; left out",),
           must_match=(r"^smp: online=\d+ possible=16 ", r"^   15       15  no memory "),
           must_not_contain=("PANIC",),
           may_fail=("boot.memory_map_covers_the_kernel", "smp.ap_stacks_have_guard_pages",
                     "ipi.every_cpu_runs_the_worker_exactly_once",
                     "smp.every_enabled_madt_cpu_is_online") + PROBE_CHECKS),
    # An AP that never answers: reported by APIC ID, the others still start.
    Config("inject-phantom-cpu", smp="2", cmdline="test inject=phantom-cpu ap_timeout_ms=200",
           expect="survive",
           must_contain=("CPU 2 (APIC ID 2) did not check in; left out",
                         "smp: online=2 possible=3 apic=xapic ids=0,1"),
           may_fail=("smp.cpu_slots_match_madt_ids",
                     "smp.every_enabled_madt_cpu_is_online") + PROBE_CHECKS),
]
