#!/usr/bin/env python3
"""make usb DEV=/dev/sdX: writes the boot image to a USB stick, refusing
anything that might not be one.

Refused (each with the reason and what to do instead):
  - a device that does not exist, or a path that is neither a block device
    nor (with ALLOW_FILE=1, for tests and for images written elsewhere) a
    plain file;
  - a partition (/dev/sdb1) instead of the whole disk (/dev/sdb);
  - a disk that is neither removable nor attached through USB (the kernel's
    sysfs says which), such as an internal SSD or a loop device;
  - a disk that is mounted (it or any of its partitions), used as swap, or
    that holds the running system's root file system;
  - a disk larger than a stick is likely to be (MAX_GB, default 128).
Then it asks for the word YES on the terminal (YES=1 skips the question, for
scripts; with no terminal and no YES=1 it refuses).

Linux only: on macOS and Windows, README.md names the usual image writers.
"""
import argparse
import os
import stat
import sys

DEFAULT_MAX_GB = 128
CHUNK = 4 << 20


class Refusal(Exception):
    pass


def sysfs_block(dev_path, sysfs):
    """The sysfs directory of a block device, from its major:minor."""
    st = os.stat(dev_path)
    link = os.path.join(sysfs, "dev", "block", f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}")
    return os.path.realpath(link)


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def devices_in_use(proc):
    """Device numbers behind mounted file systems and swap, and the root's."""
    used = {}
    for line in read(os.path.join(proc, "mounts")).splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].startswith("/dev/"):
            used.setdefault(fields[0], fields[1])
    for line in read(os.path.join(proc, "swaps")).splitlines()[1:]:
        fields = line.split()
        if fields and fields[0].startswith("/dev/"):
            used.setdefault(fields[0], "swap")
    numbers = {}
    for dev, where in used.items():
        try:
            numbers[os.stat(dev).st_rdev] = (dev, where)
        except OSError:
            pass
    return numbers


def check_block_device(dev, sysfs, proc, max_gb):
    """Raises Refusal unless dev is a whole, removable or USB, unused disk
    of a stick's size. Returns a description of it."""
    block = sysfs_block(dev, sysfs)
    name = os.path.basename(block)
    if os.path.exists(os.path.join(block, "partition")):
        parent = os.path.basename(os.path.dirname(block))
        raise Refusal(f"{dev} is a partition; give the whole disk (/dev/{parent})")
    removable = read(os.path.join(block, "removable"), "0") == "1"
    device_path = os.path.realpath(os.path.join(block, "device")) if os.path.exists(
        os.path.join(block, "device")) else ""
    on_usb = "/usb" in device_path
    if not (removable or on_usb):
        raise Refusal(f"{dev} ({name}) is neither removable nor on USB (an internal disk, a "
                      "loop device?); refusing to overwrite it")
    # The disk itself and each of its partitions, by device number.
    members = {os.stat(dev).st_rdev}
    for entry in os.listdir(block):
        dev_file = os.path.join(block, entry, "dev")
        if entry.startswith(name) and os.path.exists(dev_file):
            major, minor = read(dev_file).split(":")
            members.add(os.makedev(int(major), int(minor)))
    for number, (what, where) in devices_in_use(proc).items():
        if number in members:
            if where == "/":
                raise Refusal(f"{dev} holds the running system ({what} is mounted on /)")
            raise Refusal(f"{dev} is in use: {what} is mounted on {where}; unmount it first")
    root = os.stat("/").st_dev
    if root in members:
        raise Refusal(f"{dev} holds the running system's root file system")
    size = int(read(os.path.join(block, "size"), "0")) * 512
    if size > max_gb << 30:
        raise Refusal(f"{dev} is {size / (1 << 30):.0f} GiB, larger than a USB stick is likely "
                      f"to be (MAX_GB={max_gb}); if it really is the stick, say MAX_GB="
                      f"{size // (1 << 30) + 1}")
    model = read(os.path.join(block, "device", "model"), "unknown model")
    return f"{dev}: {model}, {size / (1 << 30):.1f} GiB, {'removable' if removable else 'USB'}"


def confirm(description, yes, stdin):
    if yes:
        return
    if not stdin.isatty():
        raise Refusal("no terminal to confirm on; say YES=1 to write without asking")
    print(f"About to overwrite {description}. Everything on it is lost.", file=sys.stderr)
    print("Type YES to go on: ", end="", flush=True, file=sys.stderr)
    if stdin.readline().strip() != "YES":
        raise Refusal("not confirmed; nothing written")


def write_image(image, dev):
    written = 0
    with open(image, "rb") as src, open(dev, "r+b" if os.path.exists(dev) else "wb") as dst:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            dst.write(chunk)
            written += len(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return written


def run(argv, stdin=sys.stdin, sysfs="/sys", proc="/proc", write=write_image):
    """Returns (exit status, message). The checks (tools/check_usb.py) pass
    their own sysfs, /proc and a write that only records, so that a broken
    refusal can never write to a real disk."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("image")
    p.add_argument("dev", nargs="?", default="")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--allow-file", action="store_true")
    p.add_argument("--max-gb", type=int, default=DEFAULT_MAX_GB)
    a = p.parse_args(argv)
    try:
        if not a.dev:
            raise Refusal("say which device: make usb DEV=/dev/sdX (lsblk lists the disks; "
                          "the stick is the one that appears when you plug it in)")
        if not os.path.exists(a.image):
            raise Refusal(f"{a.image} does not exist; run make iso first")
        if not os.path.exists(a.dev):
            raise Refusal(f"{a.dev} does not exist")
        mode = os.stat(a.dev).st_mode
        if stat.S_ISREG(mode):
            if not a.allow_file:
                raise Refusal(f"{a.dev} is a plain file, not a disk (ALLOW_FILE=1 writes the "
                              "image into a file, for tests)")
            description = f"{a.dev}: a plain file"
        elif stat.S_ISBLK(mode):
            description = check_block_device(a.dev, sysfs, proc, a.max_gb)
        else:
            raise Refusal(f"{a.dev} is not a block device")
        confirm(description, a.yes, stdin)
        n = write(a.image, a.dev)
    except Refusal as r:
        return 1, f"make usb: refused: {r}"
    except OSError as e:
        return 1, f"make usb: {e.strerror}: {e.filename}"
    return 0, (f"make usb: wrote {n} bytes to {a.dev}; it boots under BIOS and UEFI "
               "(README.md, \"Boot it on your PC\")")


def main():
    status, message = run(sys.argv[1:])
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
