#!/usr/bin/env python3
"""The debugger helper (tools/gdb/ipikernel.py) and the kernel's call-frame
information, exercised in gdb's batch mode against a halted QEMU.

Two scenes, each a QEMU boot held at a hardware breakpoint (TCG, -s -S):
  worker  -smp 4, "test", stopped in the worker distinct_result: every
          CPU's backtrace must end at the entry code (higher_half_entry on
          the boot CPU, ap_entry64 on the APs) with no frame gdb could not
          name; `info cpus` must list the four CPUs QEMU made, each with its
          own gdb thread, the APIC ID and CR8 that QEMU reports for that
          thread, and the stopped CPU in the worker; `info rendezvous` the
          call to distinct_result with all four past the arrival barrier.
  stuck   -smp 2, "test inject=stuck-cpu": CPU 1 spins with interrupts off,
          the next call times out; stopped where the report starts
          (console_enter_panic_mode): `info rendezvous` must name CPU 1 as
          missing at the arrival barrier and `info cpus` must show it in
          inject_stuck_spin. This is the worked example of docs/book/08-rendezvous.md.

The truths are QEMU's (its thread names "CPU#n", the registers it hands to
gdb), not the helper's. Prints KTAP; skips when gdb or QEMU is missing.

    tools/check_gdb.py [--build build] [-v]
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

from common import ROOT, ktap_out

QEMU = "qemu-system-x86_64"
BOOT_SECONDS = 240      # TCG with -smp 4 on two host cores, under a loaded make test


class Results:
    def __init__(self):
        self.results = []

    def case(self, ok, name, why=""):
        self.results.append((name, bool(ok), " ".join(str(why).split())[:400]))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_scene(kernel, smp, cmdline, stops, log):
    """Boots QEMU halted and attaches gdb in batch mode; for each (breakpoint,
    commands) of stops, runs to the breakpoint and runs the commands, each
    output marked "@@@ breakpoint: command". Returns gdb's output."""
    port = free_port()
    serial = log + ".serial"
    qemu = subprocess.Popen(
        [QEMU, "-M", "q35", "-m", "256M", "-smp", str(smp), "-accel", "tcg", "-no-reboot",
         "-kernel", kernel, "-append", cmdline, "-display", "none",
         "-serial", f"file:{serial}", "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        args = ["gdb", "-q", "-nx", "-batch",
                "-ex", "set architecture i386:x86-64",
                "-ex", "set pagination off",
                "-ex", f"target remote 127.0.0.1:{port}",
                "-ex", f"source {os.path.join(ROOT, 'tools', 'gdb', 'ipikernel.py')}"]
        for breakpoint, commands in stops:
            # One hardware breakpoint at a time: the loader writes the
            # kernel after gdb attaches, which would undo an int3.
            args += ["-ex", "delete", "-ex", f"hbreak {breakpoint}", "-ex", "continue"]
            for c in commands:
                args += ["-ex", f"echo @@@ {breakpoint}: {c}\\n", "-ex", c]
        args += ["-ex", "kill", kernel]
        try:
            p = subprocess.run(args, capture_output=True, text=True, timeout=BOOT_SECONDS,
                               stdin=subprocess.DEVNULL)
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"
    finally:
        qemu.kill()
        qemu.wait()
    with open(log, "w") as f:
        f.write(out)
    return out


def sections(out):
    """{command: its output} from the @@@ markers."""
    parts = {}
    for chunk in out.split("@@@ ")[1:]:
        command, _, text = chunk.partition("\n")
        parts[command] = text
    return parts


def threads(text):
    """[(gdb thread number, QEMU's CPU number, [frame lines])] of 'thread apply all bt'."""
    found = []
    for m in re.finditer(r"^Thread (\d+) \(Thread \d+\.\d+ \(CPU#(\d+)[^\n]*\n(.*?)(?=^Thread |\Z)",
                         text, re.M | re.S):
        frames = [line for line in m.group(3).splitlines() if line.startswith("#")]
        found.append((int(m.group(1)), int(m.group(2)), frames))
    return found


def registers(text):
    """{gdb thread: {register: value}} of 'thread apply all info registers ...'."""
    found = {}
    for m in re.finditer(r"^Thread (\d+) [^\n]*\n(.*?)(?=^Thread |\Z)", text, re.M | re.S):
        found[int(m.group(1))] = {r.group(1): int(r.group(2), 16) for r in
                                  re.finditer(r"^(\w+)\s+(0x[0-9a-f]+)", m.group(2), re.M)}
    return found


def cpu_rows(text):
    rows = []
    for line in text.splitlines():
        m = re.match(r"^(\d+)\s+(\d+)\s+(\w+)\s+(\w+)\s+(\S+)\s+(\S+)\s+(.*?)\s{2,}(.*)$", line)
        if m:
            rows.append(dict(zip(("cpu", "apic", "state", "irql", "cr8", "thread", "doing",
                                  "where"), m.groups())))
    return rows


def check_backtraces(k, scene, bt_text, expected_threads):
    all_threads = threads(bt_text)
    k.case(len(all_threads) == expected_threads,
           f"gdb.{scene}.every_cpu_has_a_thread",
           f"{len(all_threads)} threads in 'thread apply all bt', expected {expected_threads}")
    bad = []
    for num, cpu, frames in all_threads:
        last = frames[-1] if frames else ""
        want = "higher_half_entry" if cpu == 0 else "ap_entry64"
        unnamed = [f for f in frames if " in ?? " in f]
        if want not in last or unnamed:
            bad.append(f"CPU#{cpu}: last frame {last!r}, {len(unnamed)} unnamed frames")
    k.case(all_threads and not bad, f"gdb.{scene}.backtraces_end_at_the_entry_code", "; ".join(bad))


def check_worker_scene(k, kernel, logs):
    commands = ["thread apply all bt", "thread apply all info registers cr8",
                "info cpus", "info rendezvous", "thread"]
    # *function: its first instruction. A breakpoint on the name would go
    # after the prologue, which with clang can be inside inlined code.
    out = run_scene(kernel, 4, "test", [("*kmain", ["bt"]), ("*arch_ap_main", ["bt"]),
                                        ("distinct_result", commands)],
                    os.path.join(logs, "gdb-worker.log"))
    part = sections(out)
    # At the first instruction of kmain and of arch_ap_main, before either
    # has a frame of its own: the caller is the entry code, and nothing else.
    for function, entry in (("kmain", "higher_half_entry"), ("arch_ap_main", "ap_entry64")):
        frames = [line for line in part.get(f"*{function}: bt", "").splitlines()
                  if line.startswith("#")]
        k.case(len(frames) == 2 and function in frames[0] and entry in frames[1],
               f"gdb.entry.bt_in_{function}_ends_at_{entry}", " | ".join(frames) or "no stop")
    part = {c.split(": ", 1)[1]: t for c, t in part.items() if c.startswith("distinct_result: ")}
    if "Breakpoint 3, distinct_result" not in out:
        k.case(False, "gdb.worker.stopped_in_the_worker", "no stop at distinct_result: " +
               out[-600:])
        return
    check_backtraces(k, "worker", part.get("thread apply all bt", ""), 4)

    qemu_cpu = {num: cpu for num, cpu, _ in threads(part.get("thread apply all bt", ""))}
    cr8 = {t: r.get("cr8") for t, r in registers(
        part.get("thread apply all info registers cr8", "")).items()}
    rows = cpu_rows(part.get("info cpus", ""))
    problems = []
    if len(rows) != 4:
        problems.append(f"{len(rows)} rows, expected 4")
    for row in rows:
        thread = int(row["thread"]) if row["thread"].isdigit() else None
        if thread not in qemu_cpu:
            problems.append(f"CPU {row['cpu']}: thread {row['thread']} is not one of QEMU's")
            continue
        # -smp 4 on q35: QEMU gives CPU#n the APIC ID n.
        if int(row["apic"]) != qemu_cpu[thread]:
            problems.append(f"CPU {row['cpu']}: APIC {row['apic']}, but its thread is "
                            f"QEMU's CPU#{qemu_cpu[thread]}")
        if row["cr8"] != str(cr8.get(thread)):
            problems.append(f"CPU {row['cpu']}: CR8 {row['cr8']}, gdb reads {cr8.get(thread)}")
        if row["state"] != "ONLINE":
            problems.append(f"CPU {row['cpu']}: state {row['state']}")
    threads_named = sorted(r["thread"] for r in rows)
    if len(set(threads_named)) != len(threads_named):
        problems.append(f"threads named twice: {threads_named}")
    k.case(not problems, "gdb.worker.info_cpus_matches_qemu", "; ".join(problems) or "")

    current = re.search(r"\[Current thread is (\d+)", part.get("thread", ""))
    stopped = [r for r in rows if current and r["thread"] == current.group(1)]
    k.case(stopped and stopped[0]["doing"].startswith("in worker distinct_result")
           and stopped[0]["irql"] == "IPI_LEVEL" and "distinct_result" in stopped[0]["where"],
           "gdb.worker.the_stopped_cpu_is_in_the_worker_at_ipi_level",
           f"row {stopped[0] if stopped else None}")

    rv = part.get("info rendezvous", "")
    ok = re.search(r"^call #\d+: worker distinct_result, .* 4 CPUs: 0 1 2 3$", rv, re.M) and \
        re.search(r"^arrival barrier \(episode \d+\): 4 of 4 arrived, released$", rv, re.M)
    k.case(bool(ok), "gdb.worker.info_rendezvous_shows_the_call", rv.strip())


def check_stuck_scene(k, kernel, logs):
    commands = ["info rendezvous", "info cpus", "thread apply all bt"]
    out = run_scene(kernel, 2, "test inject=stuck-cpu ipi_timeout_ms=1000",
                    [("console_enter_panic_mode", commands)], os.path.join(logs, "gdb-stuck.log"))
    part = {c.split(": ", 1)[1]: t for c, t in sections(out).items()}
    if "Breakpoint 1, console_enter_panic_mode" not in out:
        k.case(False, "gdb.stuck.stopped_at_the_report", "no stop: " + out[-600:])
        return
    rv = part.get("info rendezvous", "")
    k.case(re.search(r"^arrival barrier .*: 1 of 2 arrived, aborted; missing: CPU 1$", rv, re.M),
           "gdb.stuck.info_rendezvous_names_the_missing_cpu", rv.strip())
    rows = {r["cpu"]: r for r in cpu_rows(part.get("info cpus", ""))}
    stuck = rows.get("1")
    k.case(stuck and stuck["doing"].startswith("has not arrived")
           and "inject_stuck_spin" in stuck["where"],
           "gdb.stuck.info_cpus_shows_where_the_missing_cpu_is", f"row {stuck}")
    check_backtraces(k, "stuck", part.get("thread apply all bt", ""), 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    build = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    kernel = os.path.join(build, "kernel.elf")
    for tool in ("gdb", QEMU):
        if shutil.which(tool) is None:
            print(f"1..0 # SKIP {tool} is not installed")
            return 0
    if not os.path.exists(kernel):
        print(f"1..0 # SKIP no {kernel} (make kernel)")
        return 0
    logs = os.path.join(build, "test-logs")
    os.makedirs(logs, exist_ok=True)
    k = Results()
    start = time.time()
    check_worker_scene(k, kernel, logs)
    check_stuck_scene(k, kernel, logs)
    status = ktap_out.print_report(k.results)
    print(f"# {time.time() - start:.0f} s; gdb's output in {logs}/gdb-*.log")
    return status


if __name__ == "__main__":
    sys.exit(main())
