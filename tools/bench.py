#!/usr/bin/env python3
"""make bench: the benchmarks, on each CPU count and with both barriers.

Boots the kernel with "bench" the way the test runner boots it (its QEMU
command, tests/runner/qemu.py), under KVM where KVM works here (timing under
TCG says little), else TCG, and prints the kernel's bench: lines after a
line naming the configuration.

Usage: bench.py BUILD_DIR CPUS...   (e.g. bench.py build 1 2 4)"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))
from runner import constants  # noqa: E402
from runner.matrix import Config  # noqa: E402
from runner.qemu import boot, describe_status, kvm_unusable_reason  # noqa: E402

BENCH_TIMEOUT = 300


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    build, cpu_counts = sys.argv[1], [int(n) for n in sys.argv[2:]]
    constants.load_constants(build)
    kernel = os.path.join(build, "kernel.elf")
    workdir = os.path.join(build, "bench-logs")
    os.makedirs(workdir, exist_ok=True)
    why_not_kvm = kvm_unusable_reason()
    accel = "tcg" if why_not_kvm else "kvm"
    print(f"bench: accelerator {accel}" + (f" ({why_not_kvm})" if why_not_kvm else ""),
          flush=True)
    failed = 0
    for cpus in cpu_counts:
        for barrier in ("central", "dissemination"):
            cfg = Config(f"bench-{accel}-smp{cpus}-{barrier}", accel=accel, smp=str(cpus),
                         apic="x2apic" if accel == "kvm" else "xapic",
                         cmdline=f"bench barrier={barrier}", expect="bench",
                         timeout=BENCH_TIMEOUT)
            status, seconds, serial, _cmd, _topology = boot(cfg, kernel, None, workdir)
            print(f"# {cfg.name}: {describe_status(status)} ({seconds:.1f} s)", flush=True)
            for line in serial.splitlines():
                if re.match(r"^bench: [a-z]", line):
                    print(line, flush=True)
            failed += status != constants.EXIT_PASS
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
