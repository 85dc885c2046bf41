#!/usr/bin/env python3
"""Runs the libFuzzer targets of tests/fuzz/ (built by make fuzz-targets).

    tools/fuzz.py --build build --seconds 180 acpi madt ...    (make fuzz)
    tools/fuzz.py --build build --ktap --seconds 3 acpi ...    (make test)

Each target starts from seeds made here: the ACPI tables captured from QEMU
boots (tests/host/data/acpi/*.tables, tools/capture_acpi.py) laid out as
physical memory or taken one by one, the captured MADTs
(tests/host/data/madt/), and hand-made boot information and command lines;
with a dictionary of the formats' tag types, signatures and option names.
Every input that ever crashed a target is kept in
tests/host/data/crashes/<target>/ and replayed on every run.

make fuzz prints one line per target:
    fuzz: target=<name> execs=<n> cov=<edges> ft=<features> corpus=<inputs> seconds=<s> crashes=<k>
The --ktap form prints a KTAP case per target for the short run and one for
the replay of its seeds and past crashes.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import struct
import subprocess
import sys

from common import ROOT, ktap_out

ACPI_DIR = os.path.join(ROOT, "tests", "host", "data", "acpi")
MADT_DIR = os.path.join(ROOT, "tests", "host", "data", "madt")
CRASH_DIR = os.path.join(ROOT, "tests", "host", "data", "crashes")
FUZZ_PHYS_BASE = 0x1000  # tests/fuzz/fuzz.h
MAX_LEN = 8192           # inputs up to this size: every table here fits


# ---- seeds ----

def checksum_fix(table, at=9):
    """Sets the byte at `at` so that the table's bytes sum to 0 (ACPI §5.2.6)."""
    t = bytearray(table)
    t[at] = 0
    t[at] = (-sum(t)) & 0xFF
    return bytes(t)


def read_captures():
    """{capture name: [(signature, bytes)]} from tests/host/data/acpi/."""
    captures = {}
    for path in sorted(glob.glob(os.path.join(ACPI_DIR, "*.tables"))):
        tables = []
        with open(path) as f:
            for line in f:
                sig, hexdata = line.split()
                tables.append((sig, bytes.fromhex(hexdata)))
        captures[os.path.basename(path)[:-len(".tables")]] = tables
    return captures


def acpi_image(tables, xsdt):
    """Physical memory from FUZZ_PHYS_BASE on: an RSDP (revision 2 with an
    XSDT, or 0 with an RSDT), the root table, then each table, with the
    root's pointers and every checksum made right for their new places."""
    body = [(sig, data) for sig, data in tables if sig not in ("RSDP", "RSDT", "XSDT")]
    entry = 8 if xsdt else 4
    root_at = 48  # after the 36-byte RSDP, 16-byte aligned
    root_len = 36 + entry * len(body)
    offsets, at = [], (root_at + root_len + 15) & ~15
    for _, data in body:
        offsets.append(at)
        at = (at + len(data) + 15) & ~15
    image = bytearray(at)
    for (_, data), off in zip(body, offsets):
        image[off:off + len(data)] = data
    root = bytearray(36 + entry * len(body))
    root[0:4] = b"XSDT" if xsdt else b"RSDT"
    struct.pack_into("<I", root, 4, len(root))
    root[8] = 1
    root[10:16] = b"IPIKRN"
    for i, off in enumerate(offsets):
        struct.pack_into("<Q" if xsdt else "<I", root, 36 + entry * i, FUZZ_PHYS_BASE + off)
    image[root_at:root_at + len(root)] = checksum_fix(root)
    rsdp = bytearray(36)
    rsdp[0:8] = b"RSD PTR "
    rsdp[9:15] = b"IPIKRN"
    rsdp[15] = 2 if xsdt else 0
    struct.pack_into("<I", rsdp, 16, 0 if xsdt else FUZZ_PHYS_BASE + root_at)
    struct.pack_into("<I", rsdp, 20, 36)
    struct.pack_into("<Q", rsdp, 24, FUZZ_PHYS_BASE + root_at if xsdt else 0)
    rsdp = checksum_fix(rsdp[:20], 8) + bytes(rsdp[20:])
    rsdp = rsdp[:32] + bytes([(-sum(rsdp[:32]) - sum(rsdp[33:36])) & 0xFF]) + rsdp[33:]
    image[0:36] = rsdp
    return bytes(image)


def mb2_tag(tag_type, payload):
    tag = struct.pack("<II", tag_type, 8 + len(payload)) + payload
    return tag + bytes((-len(tag)) % 8)


def multiboot2_seeds():
    """Boot information as GRUB builds it (multiboot2 §3.6): BIOS and UEFI."""
    seeds = []
    for uefi in (False, True):
        tags = mb2_tag(1, b"/boot/kernel.elf test maxcpus=2\0")
        tags += mb2_tag(2, b"GRUB 2.06-13+deb12u2\0")
        mmap = b"".join(struct.pack("<QQII", base, length, kind, 0) for base, length, kind in
                        ((0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0x100000, 0xFF00000, 1),
                         (0xFFFC0000, 0x40000, 2)))
        tags += mb2_tag(6, struct.pack("<II", 24, 0) + mmap)
        if uefi:
            fb = struct.pack("<QIIIBBH", 0x80000000, 3200, 800, 600, 32, 1, 0)
            tags += mb2_tag(8, fb + bytes([16, 8, 8, 8, 0, 8]))
            tags += mb2_tag(12, struct.pack("<Q", 0x7FF00000))
            tags += mb2_tag(15, b"RSD PTR " + bytes(28))
        else:
            tags += mb2_tag(8, struct.pack("<QIIIBBH", 0xB8000, 160, 80, 25, 16, 2, 0))
            tags += mb2_tag(14, b"RSD PTR " + bytes(12))
        tags += mb2_tag(0, b"")
        seeds.append(struct.pack("<II", 8 + len(tags), 0) + tags)
    return seeds


def multiboot1_seed():
    """The information block QEMU's -kernel builds (multiboot 0.6.96 §3.3), at
    the start of the fake memory, with the strings and map after it."""
    base = FUZZ_PHYS_BASE
    cmdline, loader = b"/kernel.elf test\0", b"qemu\0"
    mmap = b"".join(struct.pack("<IQQI", 20, b, l, k) for b, l, k in
                    ((0, 0x9FC00, 1), (0x100000, 0x7F00000, 1)))
    at_cmd, at_loader, at_mmap = 0x100, 0x140, 0x180
    info = bytearray(0x180 + len(mmap))
    struct.pack_into("<III", info, 0, (1 << 0) | (1 << 2) | (1 << 6) | (1 << 9), 639, 130048)
    struct.pack_into("<I", info, 16, base + at_cmd)
    struct.pack_into("<II", info, 44, len(mmap), base + at_mmap)
    struct.pack_into("<I", info, 64, base + at_loader)
    info[at_cmd:at_cmd + len(cmdline)] = cmdline
    info[at_loader:at_loader + len(loader)] = loader
    info[at_mmap:] = mmap
    return bytes(info)


def option_names():
    with open(os.path.join(ROOT, "kernel", "boot", "options.c")) as f:
        return re.findall(r"^\s+(?:TEXT|FLAG|CHOICE|ENUM|NUMBER_OR_AUTO|NUMBER)\((\w+),", f.read(), re.M)


def make_seeds(out):
    """Writes the seeds of every target under out/<target>/; returns them by target."""
    captures = read_captures()
    seeds = {t: [] for t in ("multiboot2", "multiboot1", "acpi", "madt", "fadt", "hpet", "dmar",
                             "cmdline")}
    for tables in captures.values():
        seeds["acpi"] += [acpi_image(tables, xsdt=False), acpi_image(tables, xsdt=True)]
        for sig, data in tables:
            target = {"APIC": "madt", "FACP": "fadt", "HPET": "hpet", "DMAR": "dmar"}.get(sig)
            if target:
                seeds[target].append(data)
    for path in sorted(glob.glob(os.path.join(MADT_DIR, "*.bin"))):
        with open(path, "rb") as f:
            seeds["madt"].append(f.read())
    seeds["multiboot2"] += multiboot2_seeds()
    seeds["multiboot1"].append(multiboot1_seed())
    names = option_names()
    seeds["cmdline"] += [b"/boot/kernel.elf test", b"test=ipi. test_skip=ipi.stress_*",
                         b"bench barrier=dissemination idle=mwait",
                         b"apic=x2apic ap_start=fast ap_timeout_ms=200 end=reboot",
                         b"\"quoted word\" maxcpus=0 maxcpus=99999999999999999999",
                         " ".join(names).encode()]
    for target, items in seeds.items():
        d = os.path.join(out, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for i, data in enumerate(items):
            with open(os.path.join(d, f"seed-{i:03d}"), "wb") as f:
                f.write(data)
    return seeds


def make_dictionaries(out):
    """libFuzzer dictionaries: the words each format is made of."""
    def q(data):
        return '"' + "".join(f"\\x{b:02x}" for b in data) + '"'
    acpi = [b"RSD PTR ", b"RSDT", b"XSDT", b"APIC", b"FACP", b"HPET", b"DMAR",
            struct.pack("<I", FUZZ_PHYS_BASE + 48)]
    madt = [bytes([t, n]) for t, n in ((0, 8), (1, 12), (2, 10), (4, 6), (5, 12), (9, 16),
                                        (10, 12))] + [b"\xff", b"\xff\xff\xff\xff"]
    mb2 = [struct.pack("<I", t) for t in range(0, 22)] + [struct.pack("<II", 8, 0)]
    words = {
        "acpi": acpi + madt,
        "madt": madt + [b"APIC"],
        "fadt": [b"FACP", b"\x01\x08\x00\x00", b"\xf9\x0c"],
        "hpet": [b"HPET", b"\x00\x40\x00\x00\x00\x00\xd0\xfe"],
        "dmar": [b"DMAR", b"\x03", b"\x02"],
        "multiboot2": mb2,
        "multiboot1": [struct.pack("<I", FUZZ_PHYS_BASE + 0x100), struct.pack("<I", 0x247)],
        "cmdline": [n.encode() for n in option_names()] + [b"=", b",", b"\"", b"*"],
    }
    paths = {}
    for target, entries in words.items():
        paths[target] = os.path.join(out, f"{target}.dict")
        with open(paths[target], "w") as f:
            for e in entries:
                f.write(q(e) + "\n")
    return paths


# ---- running ----

STATS = re.compile(r"^stat::(\w+):\s*(\d+)$", re.M)
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def run_target(build, target, seconds, seeds_dir, dicts, work):
    """One fuzzing session; returns a dict of its results. work: the
    directory for its corpus and findings (make test and make fuzz each
    have their own, so that they can run at the same time)."""
    binary = os.path.join(build, "fuzz", f"fuzz_{target}")
    corpus = os.path.join(work, "corpus", target)
    artifacts = os.path.join(work, "artifacts", target)
    os.makedirs(corpus, exist_ok=True)
    shutil.rmtree(artifacts, ignore_errors=True)  # this run's findings only
    os.makedirs(artifacts)
    cmd = [binary, corpus, os.path.join(seeds_dir, target), f"-max_total_time={seconds}",
           f"-max_len={MAX_LEN}", f"-dict={dicts[target]}", "-print_final_stats=1",
           f"-artifact_prefix={artifacts}/", "-timeout=10", "-rss_limit_mb=2048"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=seconds + 300)
    except subprocess.TimeoutExpired as e:
        p = subprocess.CompletedProcess(cmd, "timeout", "", (e.stderr or b"").decode(
            "utf-8", "replace") if isinstance(e.stderr, bytes) else (e.stderr or ""))
    stats = {k: int(v) for k, v in STATS.findall(p.stderr)}
    done = DONE.findall(p.stderr)
    crashes = sorted(glob.glob(os.path.join(artifacts, "*")))
    result = {"target": target, "execs": stats.get("number_of_executed_units", 0),
              "cov": int(done[-1][1]) if done else 0, "ft": int(done[-1][2]) if done else 0,
              "corpus": int(done[-1][3]) if done else 0, "seconds": seconds,
              "status": p.returncode, "crashes": crashes, "log": p.stderr}
    return result


def replay(build, target, seeds_dir):
    """Runs the seeds and every past crash once; returns (ok, what it said)."""
    binary = os.path.join(build, "fuzz", f"fuzz_{target}")
    inputs = [os.path.join(seeds_dir, target)]
    crash_dir = os.path.join(CRASH_DIR, target)
    if os.path.isdir(crash_dir):
        inputs.append(crash_dir)
    try:
        p = subprocess.run([binary, "-runs=0", "-timeout=10", f"-max_len={MAX_LEN}"] + inputs,
                           capture_output=True, text=True, errors="replace", timeout=600)
    except subprocess.TimeoutExpired:
        return False, "?", "the replay did not finish in 600 s"
    replayed = re.findall(r"INITED.*?corp: (\d+)/", p.stderr)
    return p.returncode == 0, (replayed[0] if replayed else "?"), p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--ktap", action="store_true", help="print KTAP (make test)")
    ap.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    for t in a.targets:
        if not os.path.exists(os.path.join(a.build, "fuzz", f"fuzz_{t}")):
            print(f"fuzz: no target {t} (make fuzz-targets builds them)", file=sys.stderr)
            return 2
    work = os.path.join(a.build, "fuzz", "test" if a.ktap else "long")
    seeds_dir = os.path.join(work, "seeds")
    make_seeds(seeds_dir)
    dicts = make_dictionaries(work)
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        runs = list(pool.map(lambda t: run_target(a.build, t, a.seconds, seeds_dir, dicts, work),
                             a.targets))
    replays = {t: replay(a.build, t, seeds_dir) for t in a.targets}
    cases, failed = [], 0
    for r in runs:
        t = r["target"]
        crashed = r["status"] != 0 or r["crashes"]
        line = (f"fuzz: target={t} execs={r['execs']} cov={r['cov']} ft={r['ft']} "
                f"corpus={r['corpus']} seconds={r['seconds']} crashes={len(r['crashes'])}")
        if not a.ktap:
            print(line, flush=True)
        why = ""
        if crashed:
            failed += 1
            why = (f"crashed: {', '.join(r['crashes']) or 'status ' + str(r['status'])}; keep "
                   f"the input in tests/host/data/crashes/{t}/ once fixed")
            tail = "\n".join(r["log"].splitlines()[-25:])
            print(f"# {t}: {why}\n" + "\n".join("# " + l for l in tail.splitlines()),
                  file=sys.stderr if not a.ktap else sys.stdout)
        cases.append((f"fuzz.{t}.{a.seconds}_seconds_without_a_crash", not crashed,
                      why or line))
        ok, count, log = replays[t]
        if not ok:
            failed += 1
        cases.append((f"fuzz.{t}.seeds_and_past_crashes_replay", ok,
                      f"{count} inputs" if ok else "a seed or a past crash fails again"))
    if a.ktap:
        ktap_out.print_report(cases)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
