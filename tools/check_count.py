#!/usr/bin/env python3
"""Checks make bench's instruction counts (prints KTAP).

make bench ACCEL=icount loads a QEMU plugin (tools/qemu_plugin/count_insns.c)
that counts each CPU's instructions per call, spin-loop iterations apart.
This boots the kernel's benchmarks that way on 2 CPUs, twice, and checks
the counts against what nobody here computes:
- two operations written in assembly (tests/kernel/x86_64/count_known.asm)
  whose instructions and spin iterations follow from the listing; the
  numbers are read from that file, not from the counter;
- the kernel's own waits, which share arch_cpu_relax's PAUSE, are told
  apart by the function they loop in;
- a second boot gives the same count for every figure and every CPU (the
  point of counting under -icount).

Usage: check_count.py --build BUILD_DIR
Skips when the plugin was not built or QEMU cannot load plugins.
"""
import argparse
import os
import re
import subprocess
import sys

import bench
from common import ROOT, constants, ktap_out
from common.qemu import boot

KNOWN = os.path.join(ROOT, "tests", "kernel", "x86_64", "count_known.asm")
# count_known_wait's loop: PAUSE, DEC, JNZ; count_known_path calls it
# twice (count_known.asm).
LOOP_INSNS = 3
WAITS = 2


def known_numbers():
    """COUNT_KNOWN_NOPS and COUNT_KNOWN_PAUSES, from the listing."""
    with open(KNOWN) as f:
        text = f.read()
    values = dict(re.findall(r"^(COUNT_KNOWN_\w+) equ (\d+)$", text, re.M))
    return int(values["COUNT_KNOWN_NOPS"]), int(values["COUNT_KNOWN_PAUSES"])


def counted_boot(build, plugin, symbols, run):
    """One boot of the benchmarks on 2 CPUs under -icount with the plugin:
    {(figure, cpus): [per CPU]} and the serial log."""
    workdir = os.path.join(build, "check-count")
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, f"counts-{run}.txt")
    if os.path.exists(out):
        os.remove(out)
    args = ("-plugin", f"file={os.path.abspath(plugin)},out={out},{symbols.plugin_ranges()}")
    cfg = bench.bench_config("icount", "xapic", 2, "central", "hlt", "", args)
    status, _seconds, serial, _cmd, _topology = boot(cfg, os.path.join(build, "kernel.elf"),
                                                     None, workdir)
    if status != constants.EXIT_PASS:
        raise RuntimeError(f"the bench boot ended with status {status}; see {workdir}")
    with open(out) as f:
        counted = bench.count_lines(serial, f.read(), symbols)
    return {(name, cpus): per_cpu for name, cpus, per_cpu in counted}


def caller(per_cpu):
    return next(c for c in per_cpu if c["role"] == "caller")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    plugin = os.path.join(build, "count_insns.so")
    results = []
    def check(name, ok, why=""):
        results.append((f"count.{name}", bool(ok), why))

    if not os.path.exists(plugin):
        print(f"KTAP version 1\n1..0 # SKIP {plugin} not built (make host-tests builds it)")
        return 0
    # Load the plugin into a machine with nothing in it and quit over QMP:
    # -version would exit before QEMU loads plugins, and prove nothing.
    probe = subprocess.run(["qemu-system-x86_64", "-plugin", f"file={plugin}", "-M", "none",
                            "-display", "none", "-nodefaults", "-no-user-config", "-accel", "tcg",
                            "-qmp", "stdio"],
                           input='{"execute": "qmp_capabilities"}{"execute": "quit"}',
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        print(f"KTAP version 1\n1..0 # SKIP this QEMU cannot load the plugin: "
              f"{' '.join(probe.stderr.strip().splitlines()[-1:]) or probe.returncode}")
        return 0
    constants.load_constants(build)
    symbols = bench.Symbols(os.environ.get("NM", "nm"), os.path.join(build, "kernel.elf"))
    try:
        first = counted_boot(build, plugin, symbols, 1)
        second = counted_boot(build, plugin, symbols, 2)
    except (RuntimeError, ValueError, OSError) as e:
        check("counted_boot_pairs_every_pass_with_its_counts", False, str(e))
        return ktap_out.print_report(results)
    check("counted_boot_pairs_every_pass_with_its_counts", True)

    nops, pauses = known_numbers()
    nothing = caller(first[("count_known_nothing", 1)])
    path = caller(first[("count_known_path", 1)])
    # The listing: NOPs; per wait the CALL, the MOV, the loop's first pass
    # and the RET; the last RET; less count_known_nothing's one RET.
    # count_known_nothing is what the harness measures (a call of one RET):
    # nothing is left of it, exactly, once the harness is taken off.
    check("harness_taken_off_exactly", nothing["path_insns"] == 0,
          f"count_known_nothing: {nothing['path_insns']:g} instructions, the listing says 0 "
          f"beyond the harness's one RET")
    want = nops + WAITS * (1 + 1 + LOOP_INSNS + 1) + 1 - 1
    got = path["path_insns"]
    check("known_path_counted_exactly", got == want,
          f"count_known_path: {got:g} instructions of path beyond count_known_nothing's RET, "
          f"the listing says {want}")
    waits = path["waits"]
    check("known_spin_iterations_counted_apart_at_their_wait",
          len(waits) == 1 and next(iter(waits)).startswith("count_known_wait") and
          next(iter(waits.values())) == WAITS * (pauses - 1) and
          path["spin_insns"] == WAITS * LOOP_INSNS * (pauses - 1),
          f"count_known_path: waits {waits}, {path['spin_insns']:g} spin instructions; the "
          f"listing says {WAITS} x {pauses - 1} iterations of {LOOP_INSNS} at "
          f"count_known_wait+...")

    # The kernel's waits all PAUSE in arch_cpu_relax: each must be named by
    # the function that loops (the barriers wait in spin_until), never by
    # arch_cpu_relax itself.
    named = {w for per_cpu in first.values() for c in per_cpu for w in c["waits"]}
    functions = {w.split("+")[0] for w in named}
    check("kernel_waits_named_by_the_function_that_loops",
          "arch_cpu_relax" not in functions and "spin_until" in functions and
          len(functions) >= 3,
          f"waits named: {sorted(named)}")

    # An idle participant executes nothing but the interrupt and one turn
    # of its idle loop (kernel/smp/smp.c: look for posted work, halt again).
    probe_fig = first.get(("ipi_roundtrip_idle", 2))
    other = [c for c in probe_fig or [] if c["role"] == "other"]
    check("participant_counted_from_the_interrupt_to_its_return",
          other and other[0]["irq_path_insns"] > 0 and
          0 <= other[0]["path_insns"] - other[0]["irq_path_insns"] < 64,
          f"ipi_roundtrip_idle's other CPU: {other}")

    differ = [f"{k[0]} ({k[1]} CPUs)" for k in first if first[k] != second.get(k)]
    check("same_counts_on_a_second_boot", set(first) == set(second) and not differ,
          "counted differently on the second boot: " + ", ".join(differ or ["(other figures)"]))
    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
