#!/usr/bin/env python3
"""Self-checks of make usb (tools/usb_write.py), printing KTAP.

Each refusal is provoked for real: a plain file, a missing device, no
terminal to confirm on, a loop device (when this machine lets us make one),
the running system's own disk; and, for the cases a test machine cannot
have (a partition, a mounted stick, a 1 TiB "stick"), a real block device
node seen through a made-up sysfs and /proc, which is all the writer reads.
"""
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import ktap_out  # noqa: E402
import usb_write  # noqa: E402

results = []


def check(name, ok, why=""):
    results.append((name, bool(ok), why))


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, with a typed answer."""

    def isatty(self):
        return True


def some_block_device():
    for name in sorted(os.listdir("/dev")):
        path = os.path.join("/dev", name)
        try:
            if stat.S_ISBLK(os.stat(path).st_mode):
                return path
        except OSError:
            pass
    return None


def fake_sysfs(tmp, dev, removable="1", size_gib=16, partition=False, usb=False):
    """A sysfs in which dev's device number leads to a disk of our making."""
    st = os.stat(dev)
    sysfs = os.path.join(tmp, "sys")
    shutil.rmtree(sysfs, ignore_errors=True)
    disk = os.path.join(sysfs, "devices", "virtual", "block", "sdz")
    node = os.path.join(disk, "sdz1") if partition else disk
    os.makedirs(node)
    if partition:
        open(os.path.join(node, "partition"), "w").write("1\n")
    open(os.path.join(node, "removable"), "w").write(removable + "\n")
    open(os.path.join(node, "size"), "w").write(str(size_gib << 21) + "\n")
    if usb:
        target = os.path.join(sysfs, "devices", "pci0000:00", "usb1", "1-1")
        os.makedirs(target)
        os.symlink(target, os.path.join(node, "device"))
    os.makedirs(os.path.join(sysfs, "dev", "block"))
    os.symlink(node, os.path.join(sysfs, "dev", "block",
                                  f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"))
    return sysfs


def fake_proc(tmp, mounts=""):
    proc = os.path.join(tmp, "proc")
    os.makedirs(proc, exist_ok=True)
    open(os.path.join(proc, "mounts"), "w").write(mounts)
    open(os.path.join(proc, "swaps"), "w").write("Filename Type Size Used Priority\n")
    return proc


def never_write(image, dev):
    """Stands in for the writer wherever dev is a real disk: a refusal that
    breaks shows up as a "wrote" that fails the check, not as a wiped disk."""
    return 0


def refused_with(status_message, text):
    status, message = status_message
    return status == 1 and "refused" in message and text in message, message


def main():
    tmp = tempfile.mkdtemp(prefix="check-usb-")
    try:
        image = os.path.join(tmp, "image.iso")
        with open(image, "wb") as f:
            f.write(os.urandom(3 << 20) + b"end of image")
        stick = os.path.join(tmp, "stick.img")
        with open(stick, "wb") as f:
            f.truncate(16 << 20)
        quiet = io.StringIO()

        ok, why = refused_with(usb_write.run([image, ""], quiet), "say which device")
        check("usb.refuses_without_a_device", ok, why)
        ok, why = refused_with(usb_write.run([image, os.path.join(tmp, "nope")], quiet),
                               "does not exist")
        check("usb.refuses_a_missing_device", ok, why)
        ok, why = refused_with(usb_write.run([image, stick, "--yes"], quiet), "plain file")
        check("usb.refuses_a_plain_file", ok, why)
        ok, why = refused_with(usb_write.run([image, stick, "--allow-file"], quiet),
                               "no terminal")
        check("usb.refuses_without_a_terminal_to_confirm", ok, why)
        ok, why = refused_with(usb_write.run([image, stick, "--allow-file"], Terminal("no\n")),
                               "not confirmed")
        check("usb.refuses_an_answer_other_than_YES", ok, why)
        status, message = usb_write.run([image, stick, "--allow-file"], Terminal("YES\n"))
        with open(stick, "rb") as f:
            data = f.read()
        with open(image, "rb") as f:
            want = f.read()
        check("usb.writes_after_YES", status == 0 and data.startswith(want), message)
        status, message = usb_write.run([image, stick, "--allow-file", "--yes"], quiet)
        check("usb.yes_skips_the_question", status == 0, message)

        dev = some_block_device()
        if dev is None:
            check("usb.block_device_checks # SKIP no block device on this machine", True)
        else:
            proc = fake_proc(tmp)
            cases = [("usb.refuses_a_partition", {"partition": True}, "is a partition"),
                     ("usb.refuses_a_fixed_disk", {"removable": "0"},
                      "neither removable nor on USB")]
            for name, disk, text in cases:
                ok, why = refused_with(usb_write.run([image, dev, "--yes"], quiet,
                                                     sysfs=fake_sysfs(tmp, dev, **disk),
                                                     proc=proc, write=never_write), text)
                check(name, ok, why)
            sysfs = fake_sysfs(tmp, dev, removable="0", usb=True)
            ok, why = refused_with(usb_write.run([image, dev], quiet, sysfs=sysfs,
                                                 proc=fake_proc(tmp), write=never_write),
                                   "no terminal")
            check("usb.accepts_a_usb_disk_that_says_fixed", ok, why)
            sysfs = fake_sysfs(tmp, dev)
            ok, why = refused_with(usb_write.run(
                [image, dev, "--yes"], quiet, sysfs=sysfs,
                proc=fake_proc(tmp, f"{dev} /media/stick vfat rw 0 0\n"), write=never_write),
                "mounted on /media/stick")
            check("usb.refuses_a_mounted_stick", ok, why)
            ok, why = refused_with(usb_write.run(
                [image, dev, "--yes"], quiet, sysfs=sysfs,
                proc=fake_proc(tmp, f"{dev} / ext4 rw 0 0\n"), write=never_write),
                "holds the running system")
            check("usb.refuses_the_running_systems_disk", ok, why)
            sysfs = fake_sysfs(tmp, dev, size_gib=1024)
            ok, why = refused_with(usb_write.run([image, dev, "--yes"], quiet, sysfs=sysfs,
                                                 proc=fake_proc(tmp), write=never_write),
                                   "MAX_GB=")
            check("usb.refuses_a_disk_too_big_for_a_stick", ok, why)
            ok, why = refused_with(usb_write.run([image, dev, "--max-gb", "2048"], quiet,
                                                 sysfs=sysfs, proc=fake_proc(tmp),
                                                 write=never_write), "no terminal")
            check("usb.max_gb_lets_a_big_stick_through", ok, why)

        # The real thing, as far as this machine allows: the disk / is on, and
        # a loop device (root only) through the real sysfs.
        root_dev = os.stat("/").st_dev
        root_disk = next((os.path.join("/dev", n) for n in sorted(os.listdir("/dev"))
                          if os.path.exists(os.path.join("/dev", n)) and
                          stat.S_ISBLK(os.stat(os.path.join("/dev", n)).st_mode) and
                          os.stat(os.path.join("/dev", n)).st_rdev == root_dev), None)
        if root_disk is None:
            check("usb.real_root_disk # SKIP / is not on a block device here", True)
        else:
            status, message = usb_write.run([image, root_disk, "--yes"], quiet, write=never_write)
            check("usb.real_root_disk_is_refused", status == 1 and "refused" in message, message)
        loop = None
        if os.geteuid() == 0 and shutil.which("losetup"):
            r = subprocess.run(["losetup", "--find", "--show", stick], capture_output=True,
                               text=True)
            loop = r.stdout.strip() if r.returncode == 0 else None
        if loop is None:
            check("usb.real_loop_device # SKIP no loop device (needs root and losetup)", True)
        else:
            try:
                ok, why = refused_with(usb_write.run([image, loop, "--yes"], quiet,
                                                     write=never_write),
                                       "neither removable nor on USB")
                check("usb.real_loop_device_is_refused", ok, why)
            finally:
                subprocess.run(["losetup", "-d", loop], capture_output=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
