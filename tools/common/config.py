"""One configuration of QEMU and the kernel's command line: what the test
matrix (tests/runner/matrix.py), the benchmarks and the lab grader boot."""
import dataclasses


BOOT_TIMEOUT = 180  # seconds; generous, for overcommitted CI machines


@dataclasses.dataclass
class Config:
    name: str
    machine: str = "q35"
    # "kernel" (QEMU -kernel, multiboot 1), "iso" (GRUB, one entry with
    # this command line) or "menu" (the image people boot: GRUB's menu, its
    # default entry, "test"; the kernel gets no expect_ options then).
    boot: str = "kernel"
    # For "iso": the loader on the image. "multiboot2" (GRUB's multiboot2
    # command), "multiboot1" (GRUB's multiboot command, tools/mkiso.sh
    # --multiboot1) or "isolinux" (ISOLINUX's mboot.c32, multiboot 1, BIOS
    # only: tools/mkiso_isolinux.sh). "menu" images are always multiboot2.
    loader: str = "multiboot2"
    media: str = "cdrom"          # the image as "cdrom", "usb" (xHCI stick) or "disk"
    gfxpayload: str = ""          # GRUB's video mode for the image (e.g. 1024x768x24)
    serial: bool = True           # False: no serial port (a PC without one; screen only)
    exit_device: bool = True      # False: no isa-debug-exit (the kernel halts at the end)
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
    must_contain_once: tuple = ()  # texts that must appear exactly once (a report, whole)
    must_match_block: tuple = ()   # regular expressions over the whole log (several lines)
    timeout: int = BOOT_TIMEOUT
    alone: bool = False           # run with no other boot at the same time
    may_fail: tuple = ()          # "survive": the self-tests that must fail, and only they
    qemu_args: tuple = ()         # more QEMU arguments (a CPU without an APIC, no ACPI)
    cpus: int = 0                 # CPUs QEMU starts, where -smp alone does not say
    sanitized: bool = False       # boot the SANITIZE=1 kernel (build/sanitized/kernel.elf)


def boot_protocol(cfg):
    """The multiboot version the kernel is booted through, as its banner
    says it ("multiboot2" or "multiboot 1")."""
    if cfg.boot == "kernel" or (cfg.boot == "iso" and cfg.loader != "multiboot2"):
        return "multiboot 1"
    return "multiboot2"


def expected_loader(cfg):
    """How the loader's name (multiboot's boot_loader_name) starts."""
    if cfg.boot == "kernel":
        return "qemu"
    return "ISOLINUX" if cfg.boot == "iso" and cfg.loader == "isolinux" else "GRUB"


def expected_firmware(cfg):
    """The banner's firmware word: multiboot 1 cannot tell."""
    if boot_protocol(cfg) == "multiboot 1":
        return "unknown"
    return "UEFI" if cfg.firmware == "uefi" else "BIOS"


# The rendezvous' stress self-tests make 100 000 calls by default. When the
# vCPUs of the QEMU boots running at once outnumber this machine's cores,
# every spin barrier waits for host time slices (a spinning vCPU holds the
# core that the vCPU it waits for needs), so the matrix asks for fewer calls
# (see effective_cmdline); the full 100 000 run in a configuration of their
# own, alone on the machine. Timings are the benchmark's business, not the
# tests'.
MATRIX_STRESS_CALLS = 2000


OVERCOMMIT_STRESS_CALLS = 300
