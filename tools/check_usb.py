#!/usr/bin/env python3
"""Self-checks of make usb (tools/usb_write.py), printing KTAP.

Each refusal is provoked and its reason checked, not only the word
"refused". Two ways:
  - a made-up sysfs and /proc (partitions, a LUKS holder, swap, a loop
    device on the stick, the root file system on it, USB, SD, eMMC and SATA
    parents) around a "claimed disk" that is really a temporary file
    reporting the device number of that sysfs: all the checks run, and a
    refusal that breaks writes into the temporary file, never into a disk;
  - real loop devices where this machine allows (root and losetup): the
    exclusive claim refused while a mount in another mount namespace or
    another process holds the stick, a stick replaced during the question
    (the original is written, the replacement untouched), a stick too small
    for the image, a loop device on the stick; the running system's own
    disk, whose claim the kernel refuses.
And the Makefile: YES=1 only from the command line passes --yes, DEV only
from the command line.
"""
import errno
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile

from common import ROOT, ktap_out
import usb_write

results = []
FAKE_MAJOR = 4095   # the largest major: no device of this machine has it


def check(name, ok, why=""):
    results.append((name, bool(ok), why))


def skip(name, why):
    results.append((name, None, why))


def fake(minor):
    return os.makedev(FAKE_MAJOR, minor)


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, with a typed answer; then
    (the question being asked) runs meanwhile(), if given."""

    def __init__(self, text, meanwhile=None):
        super().__init__(text)
        self.meanwhile = meanwhile

    def isatty(self):
        return True

    def readline(self, *args):
        if self.meanwhile:
            self.meanwhile()
        return super().readline(*args)


class FakeDisk(usb_write.Disk):
    """A claimed "disk": a temporary file that fstat reports as the block
    device `number` of `size` bytes. bad_read: a stick that gives back other
    bytes than it was given (a fake or failing one)."""

    def __init__(self, path, number, size=16 << 20, bad_read=False):
        self.fd = os.open(path, os.O_RDWR)
        self.number, self.bytes, self.bad_read = number, size, bad_read
        self.reread = False

    def stat(self):
        st = os.fstat(self.fd)
        return type("Stat", (), {"st_mode": stat.S_IFBLK | 0o660, "st_rdev": self.number,
                                 "st_size": st.st_size})()

    def size(self):
        return self.bytes

    def read(self, offset, length):
        data = super().read(offset, length)
        if self.bad_read and offset <= 1 << 20 < offset + len(data):
            at = (1 << 20) - offset
            data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
        return data

    def reread_partitions(self):
        self.reread = True


def make_sysfs(tmp, number, bus="usb", removable="1", size_gib=16, parts=(), holders=None,
               loops=None):
    """A sysfs in which `number` is the disk fakesd on `bus` (usb, sd, mmc,
    ata, virtual), with partitions parts = [(n, fs label or "", GPT name or
    "")] numbered fake(n), holders = {member: (dm-N, dm name)} and loop
    devices {loopN: backing file}. Returns (sysfs, dev_dir)."""
    sysfs = os.path.join(tmp, "sys")
    dev_dir = os.path.join(tmp, "dev")
    shutil.rmtree(sysfs, ignore_errors=True)
    shutil.rmtree(dev_dir, ignore_errors=True)

    def put(path, name, text):
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, name), "w") as f:
            f.write(text + "\n")

    def node(path, subsystem, **files):
        os.makedirs(path, exist_ok=True)
        if subsystem:
            os.makedirs(os.path.join(sysfs, subsystem), exist_ok=True)
            os.symlink(os.path.join(sysfs, subsystem), os.path.join(path, "subsystem"))
        for name, text in files.items():
            put(path, name, text)
        return path

    def block(path, name, n):
        node(path, "class/block", dev=usb_write.number_str(n))
        for where, link in (("dev/block", usb_write.number_str(n)), ("class/block", name)):
            os.makedirs(os.path.join(sysfs, where), exist_ok=True)
            os.symlink(path, os.path.join(sysfs, where, link))
        os.makedirs(os.path.join(path, "holders"))
        os.makedirs(os.path.join(path, "slaves"))
        return path

    devices = os.path.join(sysfs, "devices")
    pci = node(os.path.join(devices, "pci0000:00", "0000:00:14.0"), "bus/pci")
    if bus == "usb":
        here = node(os.path.join(pci, "usb1"), "bus/usb")
        here = node(os.path.join(here, "1-1"), "bus/usb", manufacturer="Acme",
                    product="Acme Stick", serial="ACME0123456789")
        here = node(os.path.join(here, "1-1:1.0"), "bus/usb")
        here = node(os.path.join(here, "host6"), "bus/scsi")
        here = node(os.path.join(here, "target6:0:0"), "bus/scsi")
        parent = node(os.path.join(here, "6:0:0:0"), "bus/scsi", vendor="Acme",
                      model="Stick 16G")
    elif bus in ("sd", "mmc"):
        here = node(os.path.join(pci, "mmc_host", "mmc0"), "class/mmc_host")
        parent = node(os.path.join(here, "mmc0:aaaa"), "bus/mmc",
                      type="SD" if bus == "sd" else "MMC", name="SD16G", serial="0x1234abcd")
    elif bus == "ata":
        here = node(os.path.join(pci, "ata1", "host0"), "bus/scsi")
        parent = node(os.path.join(here, "target0:0:0", "0:0:0:0"), "bus/scsi",
                      vendor="ATA", model="Internal SSD")
    else:
        parent = None
    where = os.path.join(parent, "block") if parent else os.path.join(devices, "virtual",
                                                                        "block")
    disk = block(os.path.join(where, "fakesd"), "fakesd", number)
    put(disk, "removable", removable)
    put(disk, "size", str(size_gib << 21))
    if parent:
        os.symlink(parent, os.path.join(disk, "device"))
    for n, label, partname in parts:
        part = block(os.path.join(disk, f"fakesd{n}"), f"fakesd{n}", fake(n))
        put(part, "partition", str(n))
        put(part, "uevent", f"DEVTYPE=partition\nPARTN={n}" +
            (f"\nPARTNAME={partname}" if partname else ""))
        if label:
            os.makedirs(os.path.join(dev_dir, "disk", "by-label"), exist_ok=True)
            os.symlink(f"/dev/fakesd{n}", os.path.join(dev_dir, "disk", "by-label",
                                                       label.replace(" ", "\\x20")))
    for i, (member, (dm, name)) in enumerate(sorted((holders or {}).items())):
        lower = os.path.realpath(os.path.join(sysfs, "class", "block", member))
        upper = block(os.path.join(devices, "virtual", "block", dm), dm, fake(100 + i))
        put(os.path.join(upper, "dm"), "name", name)
        os.symlink(lower, os.path.join(upper, "slaves", member))
        os.symlink(upper, os.path.join(lower, "holders", dm))
    for loop, backing in (loops or {}).items():
        put(os.path.join(sysfs, "block", loop, "loop"), "backing_file", backing)
    return sysfs, dev_dir


def make_proc(tmp, mountinfo="", swaps=""):
    """mountinfo lines as (number, mount point, source), escaped as the
    kernel escapes them."""
    proc = os.path.join(tmp, "proc")
    os.makedirs(os.path.join(proc, "self"), exist_ok=True)
    with open(os.path.join(proc, "self", "mountinfo"), "w") as f:
        for i, (number, point, source) in enumerate(mountinfo or []):
            point = point.replace(" ", "\\040")
            f.write(f"{30 + i} 1 {usb_write.number_str(number)} / {point} rw,relatime shared:1"
                    f" - ext4 {source} rw\n")
    with open(os.path.join(proc, "swaps"), "w") as f:
        f.write("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" + swaps)
    return proc


def never_write(image, disk, out):
    """Stands in for the writer wherever the device is a real disk: a
    refusal that breaks shows up as a "wrote" that fails the check, not as a
    wiped disk."""
    return 0


def refused_with(status_message, *texts):
    status, message = status_message
    return (status == 1 and "refused" in message and all(t in message for t in texts),
            message)


def untouched(path):
    with open(path, "rb") as f:
        return not any(f.read())


def fresh(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def fake_cases(tmp, image, want, quiet):
    """Every check of the writer, on a made-up sysfs and /proc."""
    target = os.path.join(tmp, "fake-disk.img")
    disk_number = fake(0)
    parts = [(1, "EFI SYSTEM", "EFI"), (2, "photos", ""), (3, "", "swap")]

    def attempt(argv, sysfs_kw=None, mounts=None, swaps="", roots=(), stdin=None,
                size=16 << 20, bad_read=False, out=None):
        fresh(target, 16 << 20)
        sysfs, dev_dir = make_sysfs(tmp, disk_number, **(sysfs_kw or {}))
        number = disk_number
        if argv and argv[0] == "partition":
            argv, number = argv[1:], fake(1)
        return usb_write.run([image, "/dev/fakesd", *argv], stdin or quiet, sysfs=sysfs,
                             proc=make_proc(tmp, mounts, swaps),
                             claim=lambda path: FakeDisk(target, number, size, bad_read),
                             roots=set(roots), dev_dir=dev_dir, out=out or io.StringIO())

    ok, why = refused_with(attempt(["partition", "--yes"], {"parts": parts}),
                           "fakesd1 is a partition", "/dev/fakesd")
    check("usb.refuses_a_partition", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"bus": "ata", "removable": "0"}),
                           "fakesd is neither on USB nor an SD card")
    check("usb.refuses_a_fixed_disk", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"bus": "ata", "removable": "1"}),
                           "fakesd is neither on USB nor an SD card")
    check("usb.refuses_an_internal_disk_that_says_removable", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"bus": "virtual"}),
                           "fakesd is neither on USB nor an SD card")
    check("usb.refuses_a_virtual_disk", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"bus": "mmc"}), "fakesd is eMMC")
    check("usb.refuses_emmc", ok, why)
    status, message = attempt(["--yes"], {"bus": "sd"})
    with open(target, "rb") as f:
        check("usb.accepts_an_sd_card", status == 0 and f.read(len(want)) == want, message)

    status, message = attempt(["--yes"], {"parts": parts})
    with open(target, "rb") as f:
        check("usb.writes_a_usb_stick_and_reads_it_back",
              status == 0 and f.read(len(want)) == want and "read them back" in message,
              message)
    out = io.StringIO()
    attempt([], {"parts": parts}, stdin=Terminal("no\n"), size=16 << 30, out=out)
    shown = out.getvalue()
    check("usb.question_shows_vendor_model_serial_size_and_labels",
          all(t in shown for t in ("vendor Acme", "model Stick 16G", "serial ACME0123456789",
                                   "16.0 GiB", "fakesd1 'EFI SYSTEM' 'EFI'",
                                   "fakesd2 'photos'", "fakesd3 'swap'", "Type YES")), shown)

    ok, why = refused_with(attempt(["--yes"], {"parts": parts},
                                   mounts=[(disk_number, "/media/stick", "/dev/fakesd")]),
                           "fakesd is mounted on /media/stick")
    check("usb.refuses_a_mounted_stick", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"parts": parts},
                                   mounts=[(fake(2), "/media/my stick", "/dev/fakesd2")]),
                           "fakesd2 is mounted on /media/my stick")
    check("usb.refuses_a_stick_whose_partition_is_mounted", ok, why)
    # btrfs: an anonymous device number; only the source names the partition.
    ok, why = refused_with(attempt(["--yes"], {"parts": parts},
                                   mounts=[(os.makedev(0, 55), "/srv/data", "/dev/fakesd1")]),
                           "fakesd1 is mounted on /srv/data")
    check("usb.refuses_a_partition_mounted_as_btrfs", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"parts": parts},
                                   swaps="/dev/fakesd3\tpartition\t1048572\t0\t-2\n"),
                           "fakesd3 is used as swap (/dev/fakesd3)")
    check("usb.refuses_a_stick_with_a_swap_partition", ok, why)
    luks = {"parts": parts, "holders": {"fakesd2": ("dm-0", "luks-cafe")}}
    ok, why = refused_with(attempt(["--yes"], luks),
                           "fakesd2 is held by dm-0 (luks-cafe)")
    check("usb.refuses_a_stick_under_luks", ok, why)
    ok, why = refused_with(attempt(["--yes"], luks,
                                   mounts=[(fake(100), "/media/secret", "/dev/mapper/luks")]),
                           "fakesd2 is mounted on /media/secret through dm-0")
    check("usb.refuses_a_stick_mounted_through_luks", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"parts": parts}, roots=[fake(2)]),
                           "fakesd2 holds the running system's root file system")
    check("usb.refuses_the_running_systems_disk", ok, why)
    ok, why = refused_with(attempt(["--yes"], luks, roots=[fake(100)]),
                           "fakesd2 holds the running system's root file system (/, through "
                           "dm-0 (luks-cafe))")
    check("usb.refuses_the_running_systems_disk_under_lvm_or_luks", ok, why)
    ok, why = refused_with(attempt(["--yes"], {"parts": parts,
                                               "loops": {"loop9": "/dev/fakesd1"}}),
                           "fakesd1 backs the loop device loop9")
    check("usb.refuses_a_stick_that_backs_a_loop_device", ok, why)

    ok, why = refused_with(attempt(["--yes"], size=1 << 20), "the image", "is larger than "
                           "fakesd (1048576 bytes")
    check("usb.refuses_an_image_larger_than_the_stick", ok and untouched(target), why)
    ok, why = refused_with(attempt(["--yes"], size=1024 << 30), "MAX_GB=")
    check("usb.refuses_a_disk_too_big_for_a_stick", ok, why)
    ok, why = refused_with(attempt(["--yes", "--max-gb", "2048"], size=1024 << 30),
                           "its name must be typed", "YES=1 does not skip")
    check("usb.max_gb_lets_a_big_stick_through_to_the_typed_name", ok, why)
    ok, why = refused_with(attempt(["--max-gb", "2048"], size=1024 << 30,
                                   stdin=Terminal("YES\n")), "fakesd was not typed back")
    check("usb.big_disk_refused_after_a_mere_YES", ok and untouched(target), why)
    status, message = attempt(["--max-gb", "2048"], size=1024 << 30, stdin=Terminal("fakesd\n"))
    check("usb.big_disk_written_after_its_name_is_typed", status == 0, message)
    ok, why = refused_with(attempt(["--yes"], {"removable": "0"}), "its name must be typed")
    check("usb.accepts_a_usb_disk_that_says_fixed_after_its_name", ok, why)

    status, message = attempt(["--yes"], bad_read=True)
    check("usb.reports_a_stick_that_reads_back_different",
          status == 1 and "differs from byte 1048576" in message, message)

    ok, why = refused_with(usb_write.run([image, "/dev/disk4", "--yes"], quiet,
                                         sysfs=os.path.join(tmp, "no-sys")),
                           "not Linux", "diskutil", "Rufus")
    check("usb.not_linux_names_the_tool_to_use", ok, why)

    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)
    sysfs, _ = make_sysfs(tmp, disk_number)
    ok, why = refused_with(usb_write.run([image, "/dev/fakesd"], quiet, sysfs=sysfs,
                                         claim=denied, euid=1000),
                           "you are not root", "sudo python3 "
                           f"{os.path.relpath(usb_write.__file__)} {image} /dev/fakesd")
    check("usb.not_root_gets_the_sudo_command_before_the_question", ok, why)


def losetup(path, *options):
    r = subprocess.run(["losetup", "--find", "--show", *options, path], capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def real_cases(tmp, image, want, quiet):
    """The exclusive claim and the held descriptor, on real loop devices
    dressed as USB sticks by a made-up sysfs (the claim is the kernel's)."""
    loops = []
    try:
        stick_a = fresh(os.path.join(tmp, "stick-a.img"), 16 << 20)
        stick_b = fresh(os.path.join(tmp, "stick-b.img"), 16 << 20)
        a, b = losetup(stick_a), losetup(stick_b)
        loops += [x for x in (a, b) if x]
        if not (a and b):
            skip("usb.real_loop_devices", "losetup could not set up two loop devices")
            return
        number_a = os.stat(a).st_rdev
        sysfs, dev_dir = make_sysfs(tmp, number_a)
        proc = make_proc(tmp)

        def write_a(argv, stdin=quiet, write=usb_write.write_image, path=a):
            return usb_write.run([image, path, *argv], stdin, sysfs=sysfs, proc=proc,
                                 roots=set(), dev_dir=dev_dir, write=write, out=io.StringIO())

        ok, why = refused_with(usb_write.run([image, a, "--yes"], quiet, write=never_write),
                               "neither on USB nor an SD card")
        check("usb.real_loop_device_is_refused", ok, why)

        # Another process holds the stick exclusively (as a mount, swapon,
        # dm or md would): the kernel refuses the claim.
        holder = os.open(a, os.O_RDONLY | os.O_EXCL)
        try:
            ok, why = refused_with(write_a(["--yes"]), f"{a} is in use (the kernel refuses")
        finally:
            os.close(holder)
        check("usb.real_stick_claimed_elsewhere_is_refused", ok and untouched(stick_a), why)

        # A link (as /dev/disk/by-id/...) that names another stick once the
        # question is asked: the claimed one is written, the other untouched.
        link = os.path.join(tmp, "usb-Acme_Stick-0:0")
        os.symlink(a, link)

        def replace():
            os.unlink(link)
            os.symlink(b, link)
        status, message = write_a([], Terminal("YES\n", replace), path=link)
        with open(stick_a, "rb") as f:
            check("usb.real_stick_replaced_during_the_question_is_not_written",
                  status == 0 and f.read(len(want)) == want and untouched(stick_b), message)

        # Too small: the image does not fit; nothing written.
        small = fresh(os.path.join(tmp, "stick-small.img"), 1 << 20)
        c = losetup(small)
        if c:
            loops.append(c)
            small_sysfs, small_dev = make_sysfs(tmp, os.stat(c).st_rdev)
            ok, why = refused_with(usb_write.run([image, c, "--yes"], quiet, sysfs=small_sysfs,
                                                 proc=proc, roots=set(), dev_dir=small_dev),
                                   "is larger than fakesd (1048576 bytes")
            check("usb.real_too_small_stick_is_refused", ok and untouched(small), why)
            sysfs, dev_dir = make_sysfs(tmp, number_a)
        else:
            skip("usb.real_too_small_stick_is_refused", "losetup could not set up a third")

        # A loop device set up on the stick: no holder, no claim; named by
        # the loop's backing file in the real sysfs.
        d = losetup(a)
        if d:
            loops.append(d)
            ok, why = refused_with(usb_write.run([image, a, "--yes"], quiet, write=never_write),
                                   f"{os.path.basename(a)} backs the loop device "
                                   f"{os.path.basename(d)}")
            check("usb.real_stick_that_backs_a_loop_device_is_refused", ok, why)
            subprocess.run(["losetup", "-d", d], capture_output=True)
            loops.remove(d)
        else:
            skip("usb.real_stick_that_backs_a_loop_device_is_refused", "no fourth loop device")

        # A dm device (as LUKS or LVM make) on the stick: the kernel refuses
        # the claim, and the reason names the holder from the real sysfs.
        misc = usb_write.read("/proc/misc")
        if not shutil.which("dmsetup") or "device-mapper" not in misc:
            skip("usb.real_stick_under_a_dm_device_is_refused",
                 "no device-mapper here (the made-up sysfs cases cover holders)")
        else:
            name = f"check-usb-{os.getpid()}"
            sectors = (16 << 20) // 512
            r = subprocess.run(["dmsetup", "create", name, "--table",
                                f"0 {sectors} linear {a} 0"], capture_output=True, text=True)
            if r.returncode != 0:
                skip("usb.real_stick_under_a_dm_device_is_refused",
                     f"dmsetup create failed: {r.stderr.strip()}")
            else:
                try:
                    ok, why = refused_with(usb_write.run([image, a, "--yes"], quiet,
                                                         write=never_write),
                                           f"{os.path.basename(a)} is held by dm-", name)
                finally:
                    subprocess.run(["dmsetup", "remove", name], capture_output=True)
                check("usb.real_stick_under_a_dm_device_is_refused", ok, why)

        # Not root, for real: the open is refused and the sudo line given
        # before any question.
        # (The system's python3: ours may lie where that user cannot read.)
        try:
            r = subprocess.run([shutil.which("python3", path="/usr/bin:/bin") or sys.executable,
                                os.path.join(ROOT, "tools", "usb_write.py"), image, a],
                               capture_output=True, text=True, user=65534, cwd=ROOT,
                               stdin=subprocess.DEVNULL, timeout=60)
        except OSError as e:
            skip("usb.real_not_root_is_told_the_sudo_command", f"cannot run as uid 65534: {e}")
        else:
            ok = (r.returncode == 1 and "you are not root (uid 65534)" in r.stderr
                  and "sudo python3 tools/usb_write.py" in r.stderr and "Type" not in r.stderr)
            check("usb.real_not_root_is_told_the_sudo_command", ok, r.stdout + r.stderr)

        # A mount in another mount namespace: invisible in our mountinfo,
        # still the kernel's claim.
        if not (shutil.which("unshare") and shutil.which("mkfs.ext4")):
            skip("usb.real_mount_in_another_namespace_is_refused", "needs unshare and mkfs.ext4")
        else:
            subprocess.run(["mkfs.ext4", "-q", "-F", a], capture_output=True)
            point = os.path.join(tmp, "mnt")
            os.makedirs(point, exist_ok=True)

            # An automounter mounting the stick during the question: the
            # claim makes its mount fail.
            tried = []
            status, message = write_a([], Terminal("YES\n", lambda: tried.append(
                subprocess.run(["mount", a, point], capture_output=True, text=True))),
                write=never_write)
            mounted = tried and tried[0].returncode == 0
            if mounted:
                subprocess.run(["umount", point], capture_output=True)
            check("usb.real_automount_during_the_question_fails",
                  status == 0 and tried and not mounted,
                  f"{message}; mount: {tried and tried[0].stderr}")

            # Lazily unmounted with a file still open: gone from mountinfo,
            # still the kernel's claim.
            if subprocess.run(["mount", a, point], capture_output=True).returncode != 0:
                skip("usb.real_lazily_unmounted_stick_is_refused", "mount failed here")
            else:
                still_open = open(os.path.join(point, "open-file"), "w")
                subprocess.run(["umount", "-l", point], capture_output=True)
                try:
                    ok, why = refused_with(write_a(["--yes"], write=never_write),
                                           "in use", "lazily unmounted")
                finally:
                    still_open.close()
                check("usb.real_lazily_unmounted_stick_is_refused", ok, why)
            ns = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                   f"mount {a} {point} && echo mounted && read x"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                if ns.stdout.readline().strip() != "mounted":
                    skip("usb.real_mount_in_another_namespace_is_refused",
                         "mount in a new namespace failed here")
                else:
                    ok, why = refused_with(write_a(["--yes"], write=never_write),
                                           "in use", "another namespace")
                    check("usb.real_mount_in_another_namespace_is_refused", ok, why)
            finally:
                ns.stdin.close()
                ns.wait(timeout=30)
    finally:
        for loop in loops:
            subprocess.run(["losetup", "-d", loop], capture_output=True)


def make_cases():
    """The Makefile: --yes for YES=1 on the command line only; DEV from the
    command line only."""
    def usb_line(*args, env=None):
        r = subprocess.run(["make", "-s", "-n", "-C", ROOT, "usb", *args], capture_output=True,
                           text=True, env={**os.environ, **(env or {})})
        return next((line for line in r.stdout.splitlines() if "usb_write.py" in line),
                    r.stdout + r.stderr)
    if not shutil.which("make"):
        skip("usb.make_yes", "no make")
        return
    line = usb_line("DEV=/dev/sdq", "YES=no")
    check("usb.make_yes_no_asks", "/dev/sdq" in line and "--yes" not in line, line)
    line = usb_line("DEV=/dev/sdq", "YES=0")
    check("usb.make_yes_0_asks", "--yes" not in line, line)
    line = usb_line("DEV=/dev/sdq", env={"YES": "1"})
    check("usb.make_yes_from_the_environment_is_ignored", "--yes" not in line, line)
    line = usb_line("DEV=/dev/sdq", "YES=1")
    check("usb.make_yes_1_skips_the_question", "--yes" in line, line)
    line = usb_line(env={"DEV": "/dev/sdq"})
    check("usb.make_dev_from_the_environment_is_ignored", "/dev/sdq" not in line
          and 'usb_write.py' in line, line)


def main():
    tmp = tempfile.mkdtemp(prefix="check-usb-")
    os.chmod(tmp, 0o755)   # the image readable by the user "not root" (real cases)
    try:
        image = os.path.join(tmp, "image.iso")
        with open(image, "wb") as f:
            f.write(os.urandom(3 << 20) + b"end of image")
        with open(image, "rb") as f:
            want = f.read()
        stick = fresh(os.path.join(tmp, "stick.img"), 16 << 20)
        quiet = io.StringIO()

        ok, why = refused_with(usb_write.run([image, ""], quiet), "say which device")
        check("usb.refuses_without_a_device", ok, why)
        ok, why = refused_with(usb_write.run([image, os.path.join(tmp, "nope")], quiet),
                               "does not exist")
        check("usb.refuses_a_missing_device", ok and not os.path.lexists(
            os.path.join(tmp, "nope")), why)
        # A dangling /dev/disk/by-id link: the node it named is not created.
        gone = os.path.join(tmp, "gone-node")
        os.symlink(gone, os.path.join(tmp, "by-id-link"))
        ok, why = refused_with(usb_write.run([image, os.path.join(tmp, "by-id-link"), "--yes",
                                              "--allow-file"], quiet), "does not exist",
                               "nothing was created")
        check("usb.vanished_node_is_not_created", ok and not os.path.lexists(gone), why)
        ok, why = refused_with(usb_write.run([image, stick, "--yes"], quiet), "plain file")
        check("usb.refuses_a_plain_file", ok, why)
        ok, why = refused_with(usb_write.run([image, stick, "--allow-file"], quiet),
                               "no terminal")
        check("usb.refuses_without_a_terminal_to_confirm", ok, why)
        ok, why = refused_with(usb_write.run([image, stick, "--allow-file"], Terminal("no\n"),
                                             out=io.StringIO()), "not confirmed")
        check("usb.refuses_an_answer_other_than_YES", ok and untouched(stick), why)
        status, message = usb_write.run([image, stick, "--allow-file"], Terminal("YES\n"),
                                        out=io.StringIO())
        with open(stick, "rb") as f:
            check("usb.writes_after_YES", status == 0 and f.read().startswith(want), message)
        status, message = usb_write.run([image, stick, "--allow-file", "--yes"], quiet,
                                        out=io.StringIO())
        check("usb.yes_skips_the_question", status == 0, message)

        # The flags of the claim, seen where no loop device can be made (not
        # root): exclusive, never creating.
        opened = []
        real_open = os.open
        try:
            os.open = lambda path, flags, *rest: opened.append(flags) or real_open(
                path, flags, *rest)
            usb_write.Disk(stick).close()
        finally:
            os.open = real_open
        check("usb.claim_is_exclusive_and_creates_nothing",
              opened and opened[0] & os.O_EXCL and not opened[0] & os.O_CREAT
              and opened[0] & os.O_ACCMODE == os.O_RDWR, f"open flags {opened}")

        fake_cases(tmp, image, want, quiet)

        # The disk / is on: the kernel refuses the claim (it is mounted), and
        # the reason names the root file system.
        root_dev = os.stat("/").st_dev
        root_disk = next((os.path.join("/dev", n) for n in sorted(os.listdir("/dev"))
                          if os.path.exists(os.path.join("/dev", n)) and
                          stat.S_ISBLK(os.stat(os.path.join("/dev", n)).st_mode) and
                          os.stat(os.path.join("/dev", n)).st_rdev == root_dev), None)
        if root_disk is None:
            skip("usb.real_root_disk_is_refused", "/ is not on a block device here")
        else:
            # Not root: the open is refused before any claim, and says so.
            ok, why = refused_with(usb_write.run([image, root_disk, "--yes"], quiet,
                                                 write=never_write),
                                   "holds the running system's root file system"
                                   if os.geteuid() == 0 else "you are not root")
            check("usb.real_root_disk_is_refused", ok, why)

        if os.geteuid() != 0 or not shutil.which("losetup"):
            skip("usb.real_loop_devices", "needs root and losetup")
        else:
            real_cases(tmp, image, want, quiet)
        make_cases()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
