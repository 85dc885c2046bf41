#!/usr/bin/env python3
"""Captures the ACPI tables QEMU gives a machine, as seeds for the fuzzers.

    tools/capture_acpi.py NAME -- QEMU-ARGS...
    e.g. tools/capture_acpi.py q35-smp4 -- -M q35 -smp 4

Boots build/kernel.elf with "acpi_dump" and keeps the RSDP, the root table
and every table it lists, from the serial output, in
tests/host/data/acpi/NAME.tables: one line per table, "<SIG> <hex bytes>".
tools/fuzz.py lays them out as physical memory for tests/fuzz/fuzz_acpi.c
and takes each table alone for the table parsers' fuzzers.
"""
import os
import re
import subprocess
import sys
import tempfile

from common import ROOT

LINE = re.compile(r"^acpi: table (\S{4}) ([0-9a-f]{4}) ([0-9a-f]+)\r?$", re.M)


def parse_dump(text):
    """[(signature, bytes)] in the order the kernel printed them."""
    tables = []
    for m in LINE.finditer(text):
        sig, offset, data = m.group(1), int(m.group(2), 16), bytes.fromhex(m.group(3))
        if offset == 0:
            tables.append((sig, bytearray()))
        if not tables or tables[-1][0] != sig or len(tables[-1][1]) != offset:
            raise ValueError(f"the dump of {sig} has a gap at {offset:#x}")
        tables[-1][1].extend(data)
    return [(sig, bytes(data)) for sig, data in tables]


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__)
        return 2
    name, qemu_args = sys.argv[1], sys.argv[3:]
    kernel = os.environ.get("KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
    with tempfile.TemporaryDirectory() as tmp:
        serial = os.path.join(tmp, "serial.log")
        subprocess.run(["qemu-system-x86_64", "-display", "none", "-no-reboot",
                        "-serial", f"file:{serial}", "-kernel", kernel,
                        "-append", "acpi_dump test=boot.", "-device",
                        "isa-debug-exit,iobase=0xf4,iosize=0x04"] + qemu_args,
                       stdin=subprocess.DEVNULL, timeout=120)
        with open(serial, "rb") as f:
            text = f.read().decode("latin-1")
    tables = parse_dump(text)
    if not tables:
        print("capture_acpi: no tables in the serial output", file=sys.stderr)
        return 1
    out_dir = os.path.join(ROOT, "tests", "host", "data", "acpi")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".tables"), "w") as f:
        for sig, data in tables:
            f.write(f"{sig} {data.hex()}\n")
    print(f"{name}: " + ", ".join(f"{sig} ({len(data)} bytes)" for sig, data in tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
