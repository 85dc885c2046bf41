#!/usr/bin/env python3
"""make compare: this kernel's empty rendezvous call against Linux's membarrier.

Each round boots two machines in the same QEMU configuration (the test
runner's command, tools/common/qemu.py; the same machine, memory, CPU count
and accelerator): this kernel with "bench" (tools/bench.py's bench_config), and
Linux from Debian's kernel package with a small static init of ours
(tools/linux_init/membarrier_init.c) as its whole user space, which times
membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED). The two are paired within the
round: a 2-vCPU TCG guest on a loaded 2-core host moves 3x and more between
boots, so only figures taken within the same minute are divided, and the
median of the per-round ratios is what is reported. Odd rounds boot this kernel first,
even rounds Linux first, so that a host that slows down or speeds up during
the run does not favour one side.

The ratios (p50 cycles of the calling CPU's TSC, both sides):
  busy: generic_call_empty_<barrier>_busy (every CPU taking part, the
        others spinning) / membarrier_private_expedited_busy (a thread
        spinning on every other CPU: one IPI to each)
  idle: generic_call_empty_<barrier>_idle (every CPU taking part, the
        others halted) / the same Linux busy figure: Linux never interrupts
        an idle CPU for membarrier, so its idle figure
        (membarrier_private_expedited_idle, printed beside) is the system
        call without an IPI, not a call to a halted CPU.

Linux is the package that Debian's linux-image-amd64 depends on, fetched
with apt-get download into BUILD_DIR/compare/linux/ (once; later runs reuse
it) and unpacked with dpkg-deb; --linux names another kernel image instead.
Writes BUILD_DIR/compare/rounds.csv and ratios.svg (one point per round and
ratio, a line at each median; drawn by matplotlib, tools/common/plot.py).

Usage: compare.py BUILD_DIR [--rounds 5] [--cpus 2] [--accel tcg|kvm]
                  [--barrier central|dissemination] [--init membarrier_init]
                  [--options "kernel options"] [--linux bzImage] [--linux-options "..."]"""
import argparse
import csv
import dataclasses
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile

import bench
from common import constants, plot
from common.qemu import boot, describe_status, kvm_unusable_reason

# Linux's boot and the init's two figures take 5 to 20 s under TCG on a loaded
# 2-core host; the init's own watchdog (240 s from its start) ends a run that
# hangs before this limit does.
LINUX_TIMEOUT = 420
LINUX_META_PACKAGE = "linux-image-amd64"
# Linux's console on the first serial port (the runner's serial log); quiet:
# the boot messages cost time on an emulated UART; panic=-1 with QEMU's
# -no-reboot: a panic ends QEMU at once instead of waiting for the timeout.
LINUX_CMDLINE = "console=ttyS0 quiet panic=-1"
# The init's lines (tools/linux_init/membarrier_init.c), in the form of the
# kernel's bench: lines.
LINUX_LINE = re.compile(r"^compare: name=(\w+) cpus=(\d+) iters=(\d+) min=(\d+) p50=(\d+) "
                        r"p90=(\d+) p99=(\d+) max=(\d+) tsc_mhz=([\d.]+)$")
LINUX_IPIS = re.compile(r"^compare: ipis name=(\w+) calls=(\d+) function_call_interrupts=(-?\d+)$")
LINUX_ERROR = re.compile(r"^compare: error (.*)$")
LINUX_DONE = "compare: done"
LINUX_BUSY = "membarrier_private_expedited_busy"
LINUX_IDLE = "membarrier_private_expedited_idle"
# Fewer function-call interrupts per busy call and other CPU than this, and
# Linux did not find the spinning threads on their CPUs for most calls: the
# figure is then the system call without IPIs (seen once on a loaded host),
# not the one compared.
MIN_BUSY_IPIS = 0.5
FIGURE_FIELDS = ["name", "cpus", "iters", "min", "p50", "p90", "p99", "max", "tsc_mhz"]
FIELDS = ["round", "first", "ours_busy_p50", "ours_idle_p50", "linux_busy_p50", "linux_idle_p50",
          "ratio_busy", "ratio_idle", "linux_busy_ipis_per_call", "linux_idle_ipis_per_call",
          "ours_tsc_mhz", "linux_tsc_mhz", "ours_seconds", "linux_seconds", "host_load",
          "over_1ms"]
# A p50 this long measures the host's scheduler more than the call: the vCPU
# waited for had no host core until the waiting one's time slice ended.
SLICE_MS = 1.0


# ---- the initramfs ----

def newc_entry(name, mode, data=b"", ino=0, rdev=(0, 0)):
    """One member of a "new ASCII" cpio archive (the format the Linux
    kernel unpacks as an initramfs): a 110-byte header of the magic 070701
    and thirteen 8-digit hexadecimal fields, the name with its NUL, padded to
    4 bytes, then the data, padded to 4 bytes."""
    name_bytes = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 2 if mode & 0o170000 == 0o040000 else 1, 0, len(data),
              0, 0, rdev[0], rdev[1], len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    def pad(n):
        return b"\0" * (-n % 4)
    return header + name_bytes + pad(len(header) + len(name_bytes)) + data + pad(len(data))


def initramfs(init):
    """An archive with /dev/console (the console init's output goes to;
    character device 5:1) and init as /init."""
    members = [("dev", 0o040755, b"", (0, 0)), ("dev/console", 0o020600, b"", (5, 1)),
               ("init", 0o100755, init, (0, 0))]
    out = b"".join(newc_entry(n, m, d, ino, rdev)
                   for ino, (n, m, d, rdev) in enumerate(members, start=1))
    return out + newc_entry("TRAILER!!!", 0)


# ---- Linux from Debian's package ----

class FetchError(Exception):
    pass


def run_apt(args, cwd=None):
    """(returncode, output) of an apt command, in English."""
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, LC_ALL="C"))
    return p.returncode, p.stdout + p.stderr


def as_root(command):
    """The command run as root (directly, or through sudo that asks for no
    password), or None where this user cannot."""
    if os.geteuid() == 0:
        return command
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"],
                                               capture_output=True).returncode == 0:
        return ["sudo", "-n"] + command
    return None


def debian_kernel_package():
    """(package, version) that linux-image-amd64 depends on, from the
    package lists; refreshes them once (apt-get update) where they lack it."""
    for attempt in (1, 2):
        rc, out = run_apt(["apt-cache", "depends", LINUX_META_PACKAGE])
        m = re.search(r"Depends: (linux-image-\S+)", out)
        if rc == 0 and m:
            package = m.group(1)
            rc, out = run_apt(["apt-cache", "show", "--no-all-versions", package])
            version = re.search(r"^Version: (\S+)", out, re.M)
            if rc == 0 and version:
                return package, version.group(1)
        if attempt == 2:
            break
        update = as_root(["apt-get", "update", "-q"])
        if update is None:
            raise FetchError(f"the package lists do not know {LINUX_META_PACKAGE}; as root, "
                             f"run: apt-get update")
        print(f"compare: the package lists do not know {LINUX_META_PACKAGE}: "
              f"{' '.join(update)}", flush=True)
        rc, out = run_apt(update)
        if rc != 0:
            raise FetchError(f"apt-get update failed:\n{out.strip()}")
    raise FetchError(f"apt-cache finds no kernel package that {LINUX_META_PACKAGE} depends "
                     f"on:\n{out.strip()}")


def extract_kernel(deb, dest):
    """boot/vmlinuz-* and boot/config-* of a kernel package into dest, read
    from dpkg-deb's tar stream (the modules, most of the package, are not
    written out). Returns the path of the image."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    image = None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            base = os.path.basename(member.name)
            if member.isfile() and os.path.dirname(member.name).endswith("boot") and \
                    base.startswith(("vmlinuz-", "config-")):
                with open(os.path.join(dest, base), "wb") as f:
                    shutil.copyfileobj(tar.extractfile(member), f)
                if base.startswith("vmlinuz-"):
                    image = os.path.join(dest, base)
    if proc.wait() != 0 or image is None:
        raise FetchError(f"{deb}: dpkg-deb gave no boot/vmlinuz-* (status {proc.returncode})")
    return image


def cached_kernels(cache):
    """The images fetched before (cache/<package>_<version>/vmlinuz-*),
    oldest first. A fetch cut short leaves only its temporary folder, whose
    image sits one level deeper and is not listed."""
    if not os.path.isdir(cache):
        return []
    folders = [os.path.join(cache, d) for d in os.listdir(cache)]
    return sorted((os.path.join(d, f) for d in folders if os.path.isdir(d)
                   for f in os.listdir(d) if f.startswith("vmlinuz-")), key=os.path.getmtime)


def fetch_linux(cache):
    """The image of Debian's current kernel package, downloaded and
    unpacked into cache/<package>_<version>/ the first time. Where apt
    cannot say which package that is (no lists, no network), the newest
    image already in the cache."""
    missing = [c for c in ("apt-get", "apt-cache", "dpkg-deb") if not shutil.which(c)]
    if missing:
        raise FetchError(f"make compare fetches Debian's kernel package with apt-get and "
                         f"dpkg-deb, and this system has no {', '.join(missing)}: give a kernel "
                         f"image with COMPARE_LINUX=/path/to/bzImage")
    try:
        package, version = debian_kernel_package()
    except FetchError as e:
        kept = cached_kernels(cache)
        if not kept:
            raise
        print(f"compare: {e}\ncompare: using the kernel fetched before, {kept[-1]}", flush=True)
        return kept[-1]
    dest = os.path.join(cache, f"{package}_{version}")
    for image in cached_kernels(cache):
        if os.path.dirname(image) == dest:
            return image
    os.makedirs(cache, exist_ok=True)
    print(f"compare: fetching {package} {version} (apt-get download) into {dest}", flush=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        command = ["apt-get", "download", "-q", f"{package}={version}"]
        if os.geteuid() == 0:
            # apt's download user (_apt) cannot write into root's folders:
            # let root download, without the warning that it does.
            command[1:1] = ["-o", "APT::Sandbox::User=root"]
        rc, out = run_apt(command, cwd=tmp)
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if rc != 0 or not debs:
            raise FetchError(f"apt-get download {package}={version} failed (as root, "
                             f"apt-get update may help):\n{out.strip()}")
        staging = os.path.join(tmp, "boot")
        os.makedirs(staging)
        image = extract_kernel(os.path.join(tmp, debs[0]), staging)
        os.replace(staging, dest)
    return os.path.join(dest, os.path.basename(image))


# ---- the two boots of a round ----

def linux_config(ours, initrd, options=""):
    """Linux's boot: our bench boot's configuration (machine, memory, CPUs,
    accelerator, QEMU's arguments) with Linux's command line, our init as
    its initramfs, and no exit device (Linux powers the machine off)."""
    return dataclasses.replace(
        ours, name=ours.name.replace("bench-", "compare-linux-", 1),
        cmdline=f"{LINUX_CMDLINE} {options}".strip(), exit_device=False,
        qemu_args=tuple(ours.qemu_args) + ("-initrd", initrd), timeout=LINUX_TIMEOUT)


def parse_figures(serial, pattern):
    """{name: {field: value}} of the lines in serial that match pattern (a
    bench: or compare: line); the last of a name counts."""
    figures = {}
    for line in serial.splitlines():
        m = pattern.match(line.strip())
        if m:
            figures[m.group(1)] = dict(zip(FIGURE_FIELDS, m.groups()))
    return figures


def ipis_per_call(serial):
    """{name: function-call interrupts per call} from the init's ipis
    lines (None where /proc/interrupts could not be read)."""
    out = {}
    for line in serial.splitlines():
        m = LINUX_IPIS.match(line.strip())
        if m:
            calls, interrupts = int(m.group(2)), int(m.group(3))
            out[m.group(1)] = round(interrupts / calls, 3) if interrupts >= 0 and calls else None
    return out


def tail(serial, n=15):
    lines = [line for line in serial.splitlines() if line.strip()]
    return "\n".join("    " + line for line in lines[-n:]) or "    (nothing)"


def ours_round(cfg, kernel, workdir, barrier, cpus):
    """(figures or None, seconds, why not): our kernel's two figures."""
    status, seconds, serial, _cmd, _topology = boot(cfg, kernel, None, workdir)
    figures = parse_figures(serial, bench.LINE)
    wanted = {f"generic_call_empty_{barrier}_{kind}": kind for kind in ("busy", "idle")}
    found = {kind: figures[name] for name, kind in wanted.items()
             if name in figures and int(figures[name]["cpus"]) == cpus}
    if status != constants.EXIT_PASS or len(found) != 2:
        return None, seconds, (
            f"this kernel's bench boot ({cfg.name}): {describe_status(status)} after "
            f"{seconds:.0f} s (limit {cfg.timeout} s); waited for the lines "
            f"{' and '.join(sorted(wanted))} with cpus={cpus}, found "
            f"{', '.join(sorted(found)) or 'neither'}; the end of its console:\n{tail(serial)}")
    return found, seconds, None


def judge_linux(serial, status):
    """What Linux's boot gave: (figures or None, why not, the init's error
    line or None). figures: {"busy"|"idle": the line's fields and
    ipis_per_call}. A busy figure for which Linux took fewer than
    MIN_BUSY_IPIS function-call interrupts per call and other CPU is refused."""
    figures = parse_figures(serial, LINUX_LINE)
    errors = [m.group(1) for m in map(LINUX_ERROR.match, serial.splitlines()) if m]
    done = any(line.strip() == LINUX_DONE for line in serial.splitlines())
    ipis = ipis_per_call(serial)
    found = {kind: dict(figures[name], ipis_per_call=ipis.get(name))
             for name, kind in ((LINUX_BUSY, "busy"), (LINUX_IDLE, "idle")) if name in figures}
    if errors or not done or len(found) != 2:
        why = "its init reported: " + "; ".join(errors) if errors else \
            ("no result before the time limit" if status == "timeout" else
             f"QEMU exited with status {status}")
        return None, (f"{why}; waited for Linux to start /init, and /init to print the lines "
                      f"{LINUX_IDLE} and {LINUX_BUSY} and \"{LINUX_DONE}\" and power off; the "
                      f"end of its console:\n{tail(serial)}"), (errors[0] if errors else None)
    sent, others = found["busy"]["ipis_per_call"], int(found["busy"]["cpus"]) - 1
    if sent is not None and sent < MIN_BUSY_IPIS * others:
        return None, (f"its busy figure is not a call with IPIs: Linux took {sent} function-call "
                      f"interrupts per call, where {others} (one per other CPU) were due, so its "
                      f"spinning threads were mostly not running; the round is left out"), None
    return found, None, None


def linux_round(cfg, image, workdir):
    """(figures or None, seconds, why not, the init's error line or None)."""
    status, seconds, serial, _cmd, _topology = boot(cfg, image, None, workdir)
    found, why, init_error = judge_linux(serial, status)
    if why:
        why = f"Linux's boot ({cfg.name}, {image}) after {seconds:.0f} s (limit " \
            f"{cfg.timeout} s): {why}"
    return found, seconds, why, init_error


def over_a_slice(ours, linux):
    """The figures of a round whose p50 is at least SLICE_MS of their TSC."""
    return [f"{side}_{kind}" for side, figures in (("ours", ours), ("linux", linux))
            for kind in ("busy", "idle")
            if int(figures[kind]["p50"]) >= SLICE_MS * 1000 * float(figures[kind]["tsc_mhz"])]


def ratio_row(number, first, ours, linux, ours_seconds, linux_seconds, host_load=0.0):
    busy, idle = int(linux["busy"]["p50"]), int(linux["idle"]["p50"])
    return {"round": number, "first": first,
            "ours_busy_p50": int(ours["busy"]["p50"]), "ours_idle_p50": int(ours["idle"]["p50"]),
            "linux_busy_p50": busy, "linux_idle_p50": idle,
            "ratio_busy": round(int(ours["busy"]["p50"]) / max(busy, 1), 3),
            "ratio_idle": round(int(ours["idle"]["p50"]) / max(busy, 1), 3),
            "linux_busy_ipis_per_call": linux["busy"].get("ipis_per_call"),
            "linux_idle_ipis_per_call": linux["idle"].get("ipis_per_call"),
            "ours_tsc_mhz": ours["busy"]["tsc_mhz"], "linux_tsc_mhz": linux["busy"]["tsc_mhz"],
            "ours_seconds": round(ours_seconds, 1), "linux_seconds": round(linux_seconds, 1),
            "host_load": round(host_load, 2), "over_1ms": " ".join(over_a_slice(ours, linux))}


def medians(rows):
    """The median of each ratio over the rounds (None without rounds)."""
    if not rows:
        return None
    return {k: round(statistics.median(r[k] for r in rows), 3)
            for k in ("ratio_busy", "ratio_idle")}


def print_table(rows, barrier):
    print(f"\nper round, p50 cycles; busy = generic_call_empty_{barrier}_busy / {LINUX_BUSY}, "
          f"idle = generic_call_empty_{barrier}_idle / {LINUX_BUSY}\n"
          f"{'round':>5} {'first':>5} {'load':>5} {'ours busy':>10} {'ours idle':>10} "
          f"{'Linux busy':>10} {'Linux idle':>10} {'busy':>7} {'idle':>7}  p50 over 1 ms")
    for r in rows:
        print(f"{r['round']:>5} {r['first']:>5} {r['host_load']:>5.2f} {r['ours_busy_p50']:>10} "
              f"{r['ours_idle_p50']:>10} {r['linux_busy_p50']:>10} {r['linux_idle_p50']:>10} "
              f"{r['ratio_busy']:>7.3g} {r['ratio_idle']:>7.3g}  {r['over_1ms']}")
    m = medians(rows)
    if m:
        print(f"{'median':>5} {'':>5} {'':>5} {'':>10} {'':>10} {'':>10} {'':>10} "
              f"{m['ratio_busy']:>7.3g} {m['ratio_idle']:>7.3g}")


def write_svg(path, rows):
    """The ratio of each round (log scale: 2 and 1/2 lie as far from 1),
    one series per kind, with a dashed line at each median and a solid one
    at 1, as fast as Linux."""
    if not rows:
        return
    series = [("ratio_busy", "busy: ours / Linux"), ("ratio_idle", "idle (ours) / Linux busy")]
    m = medians(rows)
    fig, ax = plot.figure(8, 4.5)
    rounds = [r["round"] for r in rows]
    for key, label in series:
        line = plot.curve(ax, rounds, [r[key] for r in rows], label, marker="o")
        ax.axhline(m[key], color=line.get_color(), linestyle="--", linewidth=1,
                   label=f"median {m[key]:g}")
    ax.axhline(1.0, color="#444", linewidth=1, label="1: as fast as Linux")
    ax.set_yscale("log")
    ax.set_xticks(rounds, [str(n) for n in rounds])
    ax.set_xlabel("round")
    ax.set_ylabel("ratio of p50s")
    ax.grid(True, which="major", color="#ddd")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    plot.save(fig, path)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpus", default="2", help="one CPU count, at least 2")
    ap.add_argument("--accel", default="tcg", choices=["tcg", "kvm"])
    ap.add_argument("--barrier", default="central", choices=["central", "dissemination"])
    ap.add_argument("--init", default="", help="the static init (default BUILD/compare/"
                    "membarrier_init, which make compare builds)")
    ap.add_argument("--linux", default="", help="a Linux image to boot instead of Debian's")
    ap.add_argument("--options", default="", help="more options for this kernel's boot, as "
                    "make bench's BENCH_OPTIONS")
    ap.add_argument("--linux-options", default="", help="more Linux command-line options")
    args = ap.parse_args(argv)
    if not re.fullmatch(r"\d+", args.cpus.strip()):
        ap.error(f"--cpus: one CPU count, not {args.cpus!r} (make compare compares one "
                 f"configuration)")
    args.cpus = int(args.cpus)
    if args.cpus < 2:
        ap.error("--cpus: at least 2: membarrier and the rendezvous need another CPU")
    if args.rounds < 1:
        ap.error("--rounds: at least 1")
    return args


def main():
    args = parse_args(sys.argv[1:])
    no_plots = plot.missing()
    if no_plots:  # before the boots, not after minutes of them
        print(f"compare: {no_plots}")
        return 2
    build = args.build
    constants.load_constants(build)
    outdir = os.path.join(build, "compare")
    os.makedirs(outdir, exist_ok=True)
    if args.accel == "kvm":
        why_not_kvm = kvm_unusable_reason()
        if why_not_kvm:
            print(f"compare: ACCEL=kvm asked for, but KVM cannot be used here: {why_not_kvm}")
            return 2
    init = args.init or os.path.join(outdir, "membarrier_init")
    if not os.path.exists(init):
        print(f"compare: no {init}: make compare builds it (tools/linux_init/membarrier_init.c)")
        return 2
    try:
        image = args.linux or fetch_linux(os.path.join(outdir, "linux"))
    except FetchError as e:
        print(f"compare: {e}")
        return 2
    initrd = os.path.join(outdir, "initramfs.cpio")
    with open(init, "rb") as f:
        archive = initramfs(f.read())
    with open(initrd, "wb") as f:
        f.write(archive)

    apic = "x2apic" if args.accel == "kvm" else "xapic"
    ours_cfg = bench.bench_config(args.accel, apic, args.cpus, args.barrier, "hlt", args.options)
    linux_cfg = linux_config(ours_cfg, os.path.abspath(initrd), args.linux_options)
    kernel = os.path.join(build, "kernel.elf")
    workdir = os.path.join(outdir, "logs")
    os.makedirs(workdir, exist_ok=True)
    rounds = f"{args.rounds} round" + ("s" if args.rounds != 1 else "")
    print(f"compare: {rounds}, {args.cpus} CPUs, {args.accel}, {apic}, barrier {args.barrier}; "
          f"Linux: {image}; host: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)

    rows, failed = [], 0
    for number in range(1, args.rounds + 1):
        first = "ours" if number % 2 else "Linux"
        host_load = os.getloadavg()[0]
        results = {}
        # Each boot keeps its serial log (BUILD/compare/logs/<name>-round<n>.serial.log).
        this_round = {"ours": dataclasses.replace(ours_cfg, name=f"{ours_cfg.name}-round{number}"),
                      "Linux": dataclasses.replace(linux_cfg,
                                                   name=f"{linux_cfg.name}-round{number}")}
        for side in (("ours", "Linux") if first == "ours" else ("Linux", "ours")):
            if side == "ours":
                results[side] = ours_round(this_round[side], kernel, workdir, args.barrier,
                                           args.cpus)
            else:
                results[side] = linux_round(this_round[side], image, workdir)
        ours, ours_seconds, ours_why = results["ours"]
        linux, linux_seconds, linux_why, init_error = results["Linux"]
        for why in (ours_why, linux_why):
            if why:
                print(f"compare: round {number}: {why}", flush=True)
        if ours_why or linux_why:
            failed += 1
            if init_error:
                # What the init reports (no membarrier, a CPU missing) is
                # the same in every round.
                break
            continue
        row = ratio_row(number, first, ours, linux, ours_seconds, linux_seconds, host_load)
        rows.append(row)
        print(f"compare: round {number} ({first} first): ours busy {row['ours_busy_p50']}, idle "
              f"{row['ours_idle_p50']} ({ours_seconds:.0f} s); Linux busy "
              f"{row['linux_busy_p50']}, idle {row['linux_idle_p50']} ({linux_seconds:.0f} s); "
              f"busy ratio {row['ratio_busy']:.3g}, idle ratio {row['ratio_idle']:.3g}",
              flush=True)

    with open(os.path.join(outdir, "rounds.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    write_svg(os.path.join(outdir, "ratios.svg"), rows)
    print_table(rows, args.barrier)
    print(f"\n{len(rows)} of {args.rounds} rounds in {outdir}/rounds.csv; plot: "
          f"{outdir}/ratios.svg" + (f"; {failed} failed" if failed else ""))
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
