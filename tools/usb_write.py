#!/usr/bin/env python3
"""make usb DEV=/dev/sdX: writes the boot image to a USB stick or SD card,
refusing anything that might not be one.

The order is what makes it safe:
  1. The path is opened once, O_RDWR|O_EXCL and never O_CREAT: Linux refuses
     the exclusive open of a disk (EBUSY) while any of its partitions is
     mounted in any mount namespace (a container, a service's private
     mounts, a lazily unmounted file system with a file still open), used as
     swap, a member of a btrfs or md array, or under a dm device (LUKS, LVM);
     a node that has vanished is not created as a file. Every check below
     is made on that descriptor's device number (fstat), not on the path,
     and the descriptor is held through the question, the write, the sync,
     the read-back and the partition re-read: a disk that takes the name
     meanwhile is never touched, and nothing can mount the stick meanwhile.
  2. Refused (each with the reason): a partition (give the whole disk); a
     disk that is neither on USB nor an SD card (the bus is read from the
     subsystems of its sysfs parents: an internal disk, eMMC, a loop
     device); a disk that is, or whose partitions are, held by another
     device (dm, LUKS, LVM, md), backs a loop device, is mounted, is swap, or
     carries the running system's root file system (through dm layers too);
     an image larger than the disk; a disk larger than MAX_GB (128).
  3. The question shows vendor, model, serial, size and the partitions'
     labels. A small removable stick is written after YES; any other disk
     (larger than 128 GiB, or one that says it is fixed: a USB SSD or hard
     disk) only after its name is typed back, and YES=1 does not skip that.
  4. Written, synced, read back from the disk (the page cache dropped
     first) and compared; the partition table re-read.
Not root: says so, with the sudo command, before anything is asked. Not
Linux: says which tool to use instead (README.md, "Writing the stick").
"""
import argparse
import errno
import fcntl
import os
import re
import shlex
import stat
import sys

DEFAULT_MAX_GB = 128
# Larger than this, or not removable, and the disk's name must be typed back.
SMALL_STICK_GB = 128
CHUNK = 4 << 20
BLKGETSIZE64 = 0x80081272   # _IOR(0x12, 114, size_t)
BLKRRPART = 0x125f          # _IO(0x12, 95)
NOT_LINUX = ("this is not Linux (no /sys/dev/block), where make usb can tell a stick from a "
             "disk; on macOS use diskutil and dd, on Windows Rufus (DD image mode) or "
             "balenaEtcher, as README.md's \"Writing the stick\" says")


class Refusal(Exception):
    pass


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def unescape(field):
    """/proc/self/mountinfo and /proc/swaps write a space, tab, newline and
    backslash in a path as \\040, \\011, \\012, \\134: a mount point with a
    space must still match."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def devnum(text):
    major, minor = text.split(":")
    return os.makedev(int(major), int(minor))


def number_str(number):
    return f"{os.major(number)}:{os.minor(number)}"


class Sysfs:
    """What the kernel says about block devices, looked up by device number
    (never by a path that could name another device by now)."""

    def __init__(self, root):
        self.root = root

    def block(self, number):
        """The sysfs directory of a device number, or None."""
        link = os.path.join(self.root, "dev", "block", number_str(number))
        return os.path.realpath(link) if os.path.exists(link) else None

    def name(self, number):
        block = self.block(number)
        return os.path.basename(block) if block else number_str(number)

    def number_of_name(self, name):
        """A kernel name's device number (sdb1, dm-0), or None."""
        text = read(os.path.join(self.root, "class", "block", name, "dev"))
        return devnum(text) if text else None

    def number_of_path(self, path):
        """The device a path in /proc names: /dev/<kernel name> by its sysfs
        entry, anything else by stat (a block node's own number, a file's
        file system's)."""
        # /dev/sdb1, or a udev link to it (/dev/disk/by-label/...): by the
        # kernel name, which sysfs knows even where /dev has no such node.
        real = os.path.realpath(path)
        if os.path.dirname(real) == "/dev":
            number = self.number_of_name(os.path.basename(real))
            if number is not None:
                return number
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev

    def related(self, number, direction):
        """The device numbers in a device's holders/ or slaves/."""
        block = self.block(number)
        found = []
        if block is None:
            return found
        where = os.path.join(block, direction)
        for entry in sorted(os.listdir(where)) if os.path.isdir(where) else []:
            text = read(os.path.join(where, entry, "dev"))
            if text:
                found.append(devnum(text))
        return found

    def bottoms(self, number, seen=None):
        """The device itself and every device below it through slaves/ (a dm
        or md device's disks): a use of dm-0 is a use of the partition under
        it."""
        seen = set() if seen is None else seen
        if number in seen:
            return seen
        seen.add(number)
        for lower in self.related(number, "slaves"):
            self.bottoms(lower, seen)
        return seen

    def holder_name(self, number):
        """dm-0 (luks-1234) or md0: the kernel name and the dm name."""
        block = self.block(number)
        dm_name = read(os.path.join(block, "dm", "name")) if block else ""
        return f"{self.name(number)} ({dm_name})" if dm_name else self.name(number)

    def bus(self, block):
        """How a disk is attached: "usb", "sd", "mmc" (eMMC) or None, from
        the subsystem of each of its sysfs parents (a USB stick's disk lies
        below a device of subsystem usb; an SD card's below one of subsystem
        mmc whose type is SD). Not the removable flag, which kernels from 4.4
        to 2024 set on internal SATA disks behind hot-plug-capable ports."""
        top = os.path.realpath(os.path.join(self.root, "devices"))
        here = os.path.dirname(block)
        while here.startswith(top + os.sep):
            subsystem = os.path.join(here, "subsystem")
            kind = os.path.basename(os.path.realpath(subsystem)) if os.path.islink(
                subsystem) else ""
            if kind == "usb":
                return "usb"
            if kind == "mmc":
                return "sd" if read(os.path.join(here, "type")) == "SD" else "mmc"
            here = os.path.dirname(here)
        return None

    def ancestor_file(self, block, name):
        """The first of block's parents with a file of that name (a USB
        device's serial, an SD card's serial)."""
        top = os.path.realpath(os.path.join(self.root, "devices"))
        here = os.path.dirname(block)
        while here.startswith(top + os.sep):
            text = read(os.path.join(here, name))
            if text:
                return text
            here = os.path.dirname(here)
        return ""


class Proc:
    """The running system's uses of block devices, from /proc."""

    def __init__(self, root):
        self.root = root

    def mounts(self, sysfs):
        """(device number, mount point, source) for each mount of this mount
        namespace; other namespaces' mounts are seen only through the
        exclusive open's EBUSY."""
        found = []
        for line in read(os.path.join(self.root, "self", "mountinfo")).splitlines():
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) < 5:
                continue
            point = unescape(fields[4])
            found.append((devnum(fields[2]), point, ""))
            # A btrfs mount's number is an anonymous one (0:NN): its source
            # names the device.
            source = unescape(tail[1]) if len(tail) >= 2 else ""
            if source.startswith("/"):
                number = sysfs.number_of_path(source)
                if number is not None:
                    found.append((number, point, source))
        return found

    def swaps(self, sysfs):
        """(device number, file name) for each swap area: a partition's own
        number, a swap file's file system's."""
        found = []
        for line in read(os.path.join(self.root, "swaps")).splitlines()[1:]:
            fields = line.split()
            if fields:
                name = unescape(fields[0])
                number = sysfs.number_of_path(name)
                if number is not None:
                    found.append((number, name))
        return found


def root_devices(proc, sysfs):
    """The device numbers of the running system's root file system: stat's,
    and the source of / in mountinfo (btrfs reports an anonymous number)."""
    found = set()
    try:
        found.add(os.stat("/").st_dev)
    except OSError:
        pass
    for number, point, _ in proc.mounts(sysfs):
        if point == "/":
            found.add(number)
    return found


def partitions(sysfs, block, number):
    """The disk's own number and each of its partitions': {number: name}."""
    members = {number: os.path.basename(block)}
    for entry in sorted(os.listdir(block)):
        part = os.path.join(block, entry)
        if os.path.exists(os.path.join(part, "partition")):
            text = read(os.path.join(part, "dev"))
            if text:
                members[devnum(text)] = entry
    return members


def uses(sysfs, proc, members, roots):
    """What holds the disk or one of its partitions, each a sentence; empty
    when nothing does."""
    found = []

    def member_below(number):
        """The member a device lies on, directly or through dm/md layers."""
        hit = sysfs.bottoms(number) & set(members)
        return members[min(hit)] if hit else None

    for root in sorted(roots):
        below = member_below(root)
        if below:
            how = "" if root in members else f", through {sysfs.holder_name(root)}"
            found.append(f"{below} holds the running system's root file system (/{how})")
    for number, point, source in proc.mounts(sysfs):
        below = member_below(number)
        if below and point != "/":
            how = "" if number in members else f" through {source or sysfs.name(number)}"
            found.append(f"{below} is mounted on {point}{how}; unmount it first")
    for number, name in proc.swaps(sysfs):
        below = member_below(number)
        if below:
            found.append(f"{below} is used as swap ({name}); swapoff {name} first")
    for number, name in sorted(members.items(), key=lambda item: item[1]):
        held = [sysfs.holder_name(h) for h in sysfs.related(number, "holders")]
        if held:
            found.append(f"{name} is held by {', '.join(held)} (LUKS, LVM, md or another "
                         "device-mapper device); close or stop it first")
    # A loop device on the stick is no holder and takes no claim: its
    # backing file, read from sysfs, names it.
    loops = os.path.join(sysfs.root, "block")
    for loop in sorted(os.listdir(loops)) if os.path.isdir(loops) else []:
        backing = read(os.path.join(loops, loop, "loop", "backing_file"))
        number = sysfs.number_of_path(backing) if backing else None
        below = member_below(number) if number is not None else None
        if below:
            found.append(f"{below} backs the loop device {loop}; losetup -d /dev/{loop} first")
    return list(dict.fromkeys(found))


class Disk:
    """The one descriptor make usb opens: every check reads its fstat, and
    the write, the sync, the read-back and the partition re-read all go
    through it. (The checks, tools/check_usb.py, pass their own with the
    device number of a made-up sysfs.)"""

    def __init__(self, path):
        # O_EXCL without O_CREAT on a block device is Linux's exclusive
        # claim (EBUSY while anything else holds it); no O_CREAT, so a
        # vanished node is never created as a plain file.
        self.fd = os.open(path, os.O_RDWR | os.O_EXCL | os.O_CLOEXEC)

    def stat(self):
        return os.fstat(self.fd)

    def size(self):
        st = self.stat()
        if stat.S_ISBLK(st.st_mode):
            buf = fcntl.ioctl(self.fd, BLKGETSIZE64, b"\0" * 8)
            return int.from_bytes(buf, sys.byteorder)
        return st.st_size

    def write(self, offset, data):
        while data:
            n = os.pwrite(self.fd, data, offset)
            offset, data = offset + n, data[n:]

    def read(self, offset, length):
        return os.pread(self.fd, length, offset)

    def sync(self):
        """To the device, then out of the page cache, so that the read-back
        reads what the device kept (a fake or failing stick shows here)."""
        os.fsync(self.fd)
        os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def reread_partitions(self):
        if stat.S_ISBLK(self.stat().st_mode):
            fcntl.ioctl(self.fd, BLKRRPART)

    def close(self):
        os.close(self.fd)


def write_image(image, disk, out=sys.stderr):
    """Writes, syncs, reads back and compares; re-reads the partition table.
    Returns the number of bytes written. Raises Refusal on a difference."""
    written = 0
    with open(image, "rb") as src:
        while chunk := src.read(CHUNK):
            disk.write(written, chunk)
            written += len(chunk)
    disk.sync()
    checked = 0
    with open(image, "rb") as src:
        while chunk := src.read(CHUNK):
            back = disk.read(checked, len(chunk))
            if back != chunk:
                at = checked + next((i for i, (a, b) in enumerate(zip(back, chunk)) if a != b),
                                    min(len(back), len(chunk)))
                raise Refusal(f"wrote {written} bytes, but what the disk gives back differs "
                              f"from byte {at} on: the stick is failing or not as large as it "
                              "says; do not boot from it")
            checked += len(chunk)
    try:
        disk.reread_partitions()
    except OSError as e:
        print(f"make usb: the partition table was not re-read ({e.strerror}); unplug the "
              "stick and plug it in again to see it", file=out)
    return written


def describe(sysfs, block, members, size, bus, dev_dir):
    """Vendor, model, serial, size and each partition's labels."""
    device = os.path.join(block, "device")
    vendor = read(os.path.join(device, "vendor")) or sysfs.ancestor_file(block, "manufacturer")
    model = read(os.path.join(device, "model")) or read(os.path.join(device, "name")) \
        or sysfs.ancestor_file(block, "product")
    serial = sysfs.ancestor_file(block, "serial")
    labels = {}
    for kind in ("by-label", "by-partlabel"):
        where = os.path.join(dev_dir, "disk", kind)
        for entry in sorted(os.listdir(where)) if os.path.isdir(where) else []:
            number = sysfs.number_of_path(os.path.join(where, entry))
            if number in members:
                # udev writes a space in a label as \x20.
                labels.setdefault(members[number], []).append(re.sub(
                    r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), entry))
    for number, name in members.items():
        partname = re.search(r"^PARTNAME=(.*)$", read(os.path.join(block, name, "uevent")),
                             re.M)
        if partname and partname.group(1) not in labels.get(name, []):
            labels.setdefault(name, []).append(partname.group(1))
    parts = [f"{name} {' '.join(repr(label) for label in labels.get(name, [])) or '(no label)'}"
             for number, name in sorted(members.items(), key=lambda item: item[1])
             if name != os.path.basename(block)]
    where = {"usb": "USB", "sd": "SD card"}[bus]
    return (f"{os.path.basename(block)}: {where}, vendor {vendor or '?'}, model {model or '?'}, "
            f"serial {serial or '?'}, {size / (1 << 30):.1f} GiB ({size} bytes); partitions: "
            f"{'; '.join(parts) if parts else 'none'}")


def check_disk(disk, sysfs, proc, roots, max_gb, dev_dir):
    """The checks on the claimed descriptor's device. Returns (description,
    name to type back or None)."""
    number = disk.stat().st_rdev
    block = sysfs.block(number)
    if block is None:
        raise Refusal(f"the kernel lists no block device {number_str(number)} in sysfs; "
                      f"{NOT_LINUX}")
    name = os.path.basename(block)
    if os.path.exists(os.path.join(block, "partition")):
        raise Refusal(f"{name} is a partition; give the whole disk "
                      f"(/dev/{os.path.basename(os.path.dirname(block))})")
    members = partitions(sysfs, block, number)
    found = uses(sysfs, proc, members, roots)
    if found:
        raise Refusal(f"{name} is in use: " + "; ".join(found))
    bus = sysfs.bus(block)
    if bus == "mmc":
        raise Refusal(f"{name} is eMMC (type MMC): built-in storage, not an SD card; refusing "
                      "to overwrite it")
    if bus is None:
        raise Refusal(f"{name} is neither on USB nor an SD card (an internal disk, a loop or "
                      "virtual device?); refusing to overwrite it")
    size = disk.size()
    if size > max_gb << 30:
        raise Refusal(f"{name} is {size / (1 << 30):.0f} GiB, larger than a USB stick is likely "
                      f"to be (MAX_GB={max_gb}); if it really is the stick, say MAX_GB="
                      f"{size // (1 << 30) + 1}")
    removable = read(os.path.join(block, "removable"), "0") == "1"
    small = removable and size <= SMALL_STICK_GB << 30
    return describe(sysfs, block, members, size, bus, dev_dir), None if small else name


def confirm(description, name, yes, stdin, out):
    """YES for a small removable stick; the disk's name typed back for any
    other disk, whatever --yes says."""
    if yes and name is None:
        print(f"make usb: overwriting {description}", file=out)
        return
    if not stdin.isatty():
        if name is not None:
            raise Refusal(f"{description}: not a small removable stick, so its name must be "
                          "typed on a terminal (YES=1 does not skip that)")
        raise Refusal("no terminal to confirm on; say YES=1 to write without asking")
    print(f"About to overwrite {description}. Everything on it is lost.", file=out)
    if name is None:
        print("Type YES to go on: ", end="", flush=True, file=out)
        if stdin.readline().strip() != "YES":
            raise Refusal("not confirmed; nothing written")
    else:
        print(f"This is not a small removable stick. Type its name ({name}) to go on: ", end="",
              flush=True, file=out)
        if stdin.readline().strip() not in (name, f"/dev/{name}"):
            raise Refusal(f"{name} was not typed back; nothing written")


def sudo_command(image, dev):
    tool = os.path.relpath(os.path.abspath(__file__))
    return f"sudo python3 {shlex.quote(tool)} {shlex.quote(image)} {shlex.quote(dev)}"


def run(argv, stdin=sys.stdin, sysfs="/sys", proc="/proc", write=write_image, claim=Disk,
        roots=None, dev_dir="/dev", out=sys.stderr, euid=None):
    """Returns (exit status, message). The checks (tools/check_usb.py) pass
    their own sysfs, /proc, root devices and claimed descriptor, and a write
    that only records wherever the device is a real disk."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("image")
    p.add_argument("dev", nargs="?", default="")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--allow-file", action="store_true")
    p.add_argument("--max-gb", type=int, default=DEFAULT_MAX_GB)
    a = p.parse_args(argv)
    euid = os.geteuid() if euid is None else euid
    disk = None
    try:
        if not a.dev:
            raise Refusal("say which device: make usb DEV=/dev/sdX (lsblk lists the disks; "
                          "the stick is the one that appears when you plug it in)")
        if not os.path.exists(a.image):
            raise Refusal(f"{a.image} does not exist; run make iso first")
        image_size = os.path.getsize(a.image)
        sysfs_, proc_ = Sysfs(sysfs), Proc(proc)
        linux = os.path.isdir(os.path.join(sysfs, "dev", "block"))
        if not linux and not (a.allow_file and os.path.isfile(a.dev)):
            raise Refusal(NOT_LINUX)
        try:
            disk = claim(a.dev)
        except FileNotFoundError:
            raise Refusal(f"{a.dev} does not exist (nothing was created in its place)") from None
        except (PermissionError, OSError) as e:
            if e.errno in (errno.EACCES, errno.EPERM) and euid == 0:
                # A container's device rules, a read-only device: say so,
                # and what uses the disk, if anything does.
                raise Refusal(busy_reason(a.dev, sysfs_, proc_, roots, e.strerror)) from None
            if e.errno in (errno.EACCES, errno.EPERM):
                raise Refusal(f"{a.dev} cannot be opened for writing: you are not root (uid "
                              f"{euid}). Build as yourself (make iso), then write "
                              f"as root without building: {sudo_command(a.image, a.dev)}")
            if e.errno == errno.EBUSY:
                raise Refusal(busy_reason(a.dev, sysfs_, proc_, roots)) from None
            raise
        st = disk.stat()
        if stat.S_ISREG(st.st_mode):
            if not a.allow_file:
                raise Refusal(f"{a.dev} is a plain file, not a disk (ALLOW_FILE=1 writes the "
                              "image into a file, for tests)")
            description, name = f"{a.dev}: a plain file", None
        elif stat.S_ISBLK(st.st_mode):
            if roots is None:
                roots = root_devices(proc_, sysfs_)
            description, name = check_disk(disk, sysfs_, proc_, roots, a.max_gb, dev_dir)
            size = disk.size()
            if image_size > size:
                raise Refusal(f"the image ({image_size} bytes, {image_size / (1 << 20):.1f} "
                              f"MiB) is larger than {os.path.basename(sysfs_.block(st.st_rdev))}"
                              f" ({size} bytes, {size / (1 << 20):.1f} MiB); nothing written")
        else:
            raise Refusal(f"{a.dev} is not a block device")
        confirm(description, name, a.yes, stdin, out)
        n = write(a.image, disk, out)
    except Refusal as r:
        return 1, f"make usb: refused: {r}"
    except OSError as e:
        return 1, f"make usb: {e.strerror}: {e.filename or a.dev}"
    finally:
        if disk is not None:
            disk.close()
    return 0, (f"make usb: wrote {n} bytes to {a.dev} and read them back the same; it boots "
               "under BIOS and UEFI (README.md, \"Boot it on your PC\")")


def busy_reason(dev, sysfs, proc, roots, error=None):
    """Why the kernel refused the exclusive claim (EBUSY), or refused root
    the open (error): what this namespace can see holds the disk, or else
    what it cannot see. The path is stat'ed only to name the holders;
    nothing is written after a refusal."""
    found = []
    try:
        number = os.stat(dev).st_rdev
        block = sysfs.block(number)
        if block is not None:
            members = partitions(sysfs, block, number)
            found = uses(sysfs, proc, members,
                         root_devices(proc, sysfs) if roots is None else roots)
    except OSError:
        pass
    if error:
        return (f"{dev} cannot be opened for writing even by root ({error}: a container's "
                "device rules, a read-only device?)" + "".join(f"; {u}" for u in found))
    if not found:
        found = ["nothing this mount namespace shows, so a mount in another namespace (a "
                 "container, a service with private mounts), a lazily unmounted file system "
                 "still in use, or a second device of a btrfs or md array"]
    return (f"{dev} is in use (the kernel refuses to let make usb claim it alone): "
            + "; ".join(found))


def main():
    status, message = run(sys.argv[1:])
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
