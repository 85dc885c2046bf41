"""A minimal QMP client (QEMU Machine Protocol), Python standard library only.

Used by tests/run.py and tools/capture_madt.py to ask QEMU which CPUs it
created, so that what the kernel reports is checked against QEMU itself
rather than against numbers written into the tests.
"""
import json
import os
import socket
import time


class QMPError(Exception):
    pass


class QMP:
    def __init__(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        while True:  # QEMU creates the socket shortly after it starts
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise QMPError(f"no QMP socket at {path} after {timeout:.0f} s")
                time.sleep(0.05)
        self.file = self.sock.makefile("rw", encoding="utf-8", newline="\n")
        self._read()                       # the greeting
        self.command("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise QMPError("QEMU closed the QMP connection")
        return json.loads(line)

    def command(self, name, **arguments):
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.file.write(json.dumps(msg) + "\n")
        self.file.flush()
        while True:
            reply = self._read()
            if "event" in reply:
                continue
            if "error" in reply:
                raise QMPError(f"{name}: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


def cpu_topology(qmp):
    """Returns (sorted APIC IDs of the CPUs QEMU created, number of possible CPUs)."""
    ids = []
    for cpu in qmp.command("query-cpus-fast"):
        ids.append(int(qmp.command("qom-get", path=cpu["qom-path"], property="apic-id")))
    possible = len(qmp.command("query-hotpluggable-cpus"))
    return sorted(ids), max(possible, len(ids))


def socket_path(directory, name):
    # sun_path is limited to 108 bytes: keep the socket name short.
    path = os.path.join(directory, f"{name}.qmp")
    if len(path) > 100:
        path = os.path.join("/tmp", f"ipikernel-{os.getpid()}-{abs(hash(name)) % 10**8}.qmp")
    return path
