"""Starting QEMU for a configuration, asking it over QMP which CPUs it made,
and waiting for the kernel to end the machine."""
import fcntl
import os
import re
import subprocess
import time

from common import constants, qmp
from common.config import (MATRIX_STRESS_CALLS, OVERCOMMIT_STRESS_CALLS, expected_firmware,
                           expected_loader)


QEMU = "qemu-system-x86_64"


OVMF_CANDIDATES = ["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd",
                   "/usr/share/OVMF/OVMF_CODE.fd"]


KVM_GET_API_VERSION = 0xAE00  # linux/kvm.h: _IO(KVMIO, 0x00)


KVM_API_VERSION = 12


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
    if cfg.boot == "menu":
        return "test"  # what the menu's default entry gives, nothing added
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
        cmdline += f" expect_loader={expected_loader(cfg)} expect_firmware={expected_firmware(cfg)}"
    return cmdline


def qemu_command(cfg, kernel, iso, serial_log, qmp_socket):
    cmd = [QEMU, "-M", cfg.machine, "-m", cfg.memory, "-smp", cfg.smp,
           "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", f"file:{serial_log}" if cfg.serial else "none",
           # Stopped until the runner has asked QEMU over QMP which CPUs it made.
           "-S", "-qmp", f"unix:{qmp_socket},server=on,wait=off"]
    if cfg.exit_device:
        cmd += ["-device", f"isa-debug-exit,iobase={constants.EXIT_PORT:#x},iosize=0x04"]
    if cfg.accel == "kvm":
        # -cpu host alone fails on some hosts: "failed to set MSR 0x10a".
        cmd += ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
    else:
        cmd += ["-accel", "tcg"]
    cmd += list(cfg.qemu_args)
    if cfg.firmware == "uefi":
        cmd += ["-bios", find_ovmf()]
    if cfg.sanitized:
        kernel = os.path.join(os.path.dirname(kernel), "sanitized", "kernel.elf")
    if cfg.boot == "kernel":
        cmd += ["-kernel", kernel, "-append", effective_cmdline(cfg)]
    else:
        key = image_key(cfg)
        cmd += media_args(cfg.media, iso[("stick", key) if cfg.media == "usb" else key])
    return cmd


def image_key(cfg):
    """What tells one test image from another: the menu or a fixed command
    line, the video mode and the loader."""
    return ("menu" if cfg.boot == "menu" else effective_cmdline(cfg), cfg.gfxpayload,
            "multiboot2" if cfg.boot == "menu" else cfg.loader)


def image_build_command(key, root):
    """The tool and its options that build the image of an image_key
    (KERNEL and OUT.iso follow): tools/mkiso.sh for GRUB, or
    tools/mkiso_isolinux.sh."""
    line, gfx, loader = key
    if loader == "isolinux":
        return [os.path.join(root, "tools", "mkiso_isolinux.sh"), "--cmdline", line]
    args = [os.path.join(root, "tools", "mkiso.sh")]
    args += [] if line == "menu" else ["--cmdline", line]
    args += ["--gfxpayload", gfx] if gfx else []
    return args + (["--multiboot1"] if loader == "multiboot1" else [])


def media_args(media, image):
    """The image as a PC would see it. snapshot=on: the guest's writes (none
    expected) never reach the file, which other boots share."""
    if media == "cdrom":
        return ["-cdrom", image]
    drive = f"file={image},format=raw,snapshot=on"
    if media == "usb":
        return ["-device", "qemu-xhci,id=xhci", "-drive", f"if=none,id=stick,{drive}",
                "-device", "usb-storage,bus=xhci.0,drive=stick,removable=on"]
    if media == "disk":
        return ["-drive", f"if=ide,index=0,media=disk,{drive}"]
    raise ValueError(f"unknown media {media}")


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
    return {constants.EXIT_PASS: "all self-tests passed", constants.EXIT_FAIL: "self-tests failed",
            constants.EXIT_CRASH: "kernel crashed (panic or exception)",
            0: "the machine reset (triple fault?)",
            "timeout": "no result before the time limit (hang)"}.get(
                status, f"QEMU exited with status {status}")
