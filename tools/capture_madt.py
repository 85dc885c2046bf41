#!/usr/bin/env python3
"""Captures the MADT QEMU gives a machine, for the host unit tests.

    tools/capture_madt.py NAME -- QEMU-ARGS...
    e.g. tools/capture_madt.py q35-smp6-2sockets -- -M q35 -smp 6,sockets=2,cores=3

Boots build/kernel.elf with "acpi_dump", reads the MADT from the serial
output, and asks QEMU over QMP which CPUs it created. Writes
tests/host/data/madt/NAME.bin and NAME.expect ("online=.. possible=.. ids=..",
QEMU's answer, which tests/host/test_madt.c compares with the parser's).
"""
import os
import re
import subprocess
import sys
import tempfile

from common import ROOT, qmp


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__)
        return 2
    name, qemu_args = sys.argv[1], sys.argv[3:]
    kernel = os.environ.get("KERNEL", os.path.join(ROOT, "build", "kernel.elf"))
    out_dir = os.path.join(ROOT, "tests", "host", "data", "madt")
    with tempfile.TemporaryDirectory() as tmp:
        serial = os.path.join(tmp, "serial.log")
        sock = qmp.socket_path(tmp, "capture")
        cmd = ["qemu-system-x86_64", "-display", "none", "-no-reboot", "-S",
               "-qmp", f"unix:{sock},server=on,wait=off", "-serial", f"file:{serial}",
               "-kernel", kernel, "-append", "acpi_dump"] + qemu_args
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        try:
            q = qmp.QMP(sock)
            ids, possible = qmp.cpu_topology(q)
            q.command("cont")
            text = ""
            for _ in range(600):  # up to 60 s for the dump to appear
                proc_done = proc.poll() is not None
                with open(serial, "rb") as f:
                    text = f.read().decode("latin-1")
                if "smp: online=" in text or proc_done:
                    break
                subprocess.run(["sleep", "0.1"])
            q.command("quit")
            q.close()
        finally:
            proc.wait(timeout=30)
    data = bytearray()
    for m in re.finditer(r"^acpi: madt ([0-9a-f]{4}) ([0-9a-f]+)\r?$", text, re.M):
        if int(m.group(1), 16) != len(data):
            print("capture_madt: the dump has a gap", file=sys.stderr)
            return 1
        data += bytes.fromhex(m.group(2))
    if not data:
        print("capture_madt: no MADT in the serial output", file=sys.stderr)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
        f.write(data)
    expect = f"online={len(ids)} possible={possible} ids={','.join(map(str, ids))}"
    with open(os.path.join(out_dir, name + ".expect"), "w") as f:
        f.write(expect + "\n")
    print(f"{name}: {len(data)} bytes; QEMU says {expect}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
