"""gdb commands for ipikernel: what every CPU is doing, and the rendezvous.

Loaded by `make debug` (tools/debug.gdb), or by hand:
    (gdb) source tools/gdb/ipikernel.py

    info cpus          every CPU: index, APIC ID, state, IRQL, gdb thread,
                       what it is doing in the rendezvous, where it is
    info rendezvous    the current call: number, caller, worker, members,
                       and who has arrived at each of its two barriers

Everything is read from the kernel's own data (kernel/smp/cpu.h, kernel/smp/ipi.c)
through its debug information; the names of enums come from there too, and
the IRQL names from kernel/smp/irql.h. The CPU a gdb thread is (QEMU gives one
thread per CPU) is found by its GS base, which holds its struct cpu
(arch_this_cpu()). Nothing here writes to the target or calls its code.
"""
import os
import re

import gdb

HERE = os.path.dirname(os.path.abspath(__file__))
IRQL_HEADER = os.path.join(HERE, "..", "..", "kernel", "smp", "irql.h")
FRAMES_SHOWN = 4   # functions of each CPU's call chain, innermost first


def irql_names():
    """{level: name} from the #defines of kernel/smp/irql.h, the one source."""
    names = {}
    try:
        with open(IRQL_HEADER) as f:
            for m in re.finditer(r"^#define (\w+_LEVEL) (\d+)", f.read(), re.M):
                names[int(m.group(2))] = m.group(1)
    except OSError:
        pass
    return names


def unsigned(value):
    """A 64-bit register or pointer as gdb gives it (registers come signed)."""
    return int(value) & 0xFFFFFFFFFFFFFFFF


def static(name, source):
    """A file-scope variable of the kernel, static or not, defined in source
    (several files may have a static of the same name)."""
    for sym in gdb.lookup_static_symbols(name):
        if sym.symtab is not None and sym.symtab.filename.endswith(source):
            return sym.value()
    sym = gdb.lookup_global_symbol(name)
    if sym is None:
        raise gdb.GdbError(f"no symbol {name} in {source}: is kernel.elf loaded?")
    return sym.value()


def enum_name(value, enum_type):
    try:
        return str(value.cast(gdb.lookup_type(enum_type)))
    except gdb.error:
        return str(int(value))


def symbol_at(address):
    if address == 0:
        return "(none)"
    block = gdb.block_for_pc(address)
    while block is not None and block.function is None:
        block = block.superblock
    return block.function.name if block is not None else f"{address:#x}"


def cpu_table():
    cpus = static("cpus", "kernel/smp/smp.c")
    return [cpus[i] for i in range(int(static("cpu_count", "kernel/smp/smp.c")))]


def set_members(cpu_set, count):
    bits = cpu_set["bits"]
    return [i for i in range(count) if (int(bits[i // 64]) >> (i % 64)) & 1]


def call_state():
    """The rendezvous as kernel/smp/ipi.c keeps it."""
    current = static("current", "kernel/smp/ipi.c")
    lock = static("call_lock", "kernel/smp/ipi.c")
    barrier = static("rendezvous_barrier", "kernel/smp/ipi.c")
    seq = int(current["seq"])
    call = current["call"]
    return {
        "number": seq // 2,
        "writing": seq % 2 == 1,
        "busy": int(lock["next"]) != int(lock["serving"]),
        "holder": int(lock["holder"]),
        "waiting": max(0, int(lock["next"]) - int(lock["serving"]) - 1),
        "worker": int(call["worker"]),
        "argument": int(call["argument"]),
        "caller": int(call["caller"]),
        "count": int(call["count"]),
        "call": call,
        "barrier": barrier,
        "decided": int(barrier["outcome"]["value"]) >> 1,
        "aborted": int(barrier["outcome"]["value"]) & 1,
    }


def threads_by_cpu_block():
    """{address of struct cpu: gdb thread}, from each thread's GS base."""
    found = {}
    selected = gdb.selected_thread()
    frame = gdb.selected_frame() if selected is not None else None
    try:
        for thread in gdb.selected_inferior().threads():
            thread.switch()
            try:
                found[unsigned(gdb.parse_and_eval("$gs_base"))] = thread
            except gdb.error:
                pass
    finally:
        if selected is not None:
            selected.switch()
            if frame is not None and frame.is_valid():
                frame.select()
    return found


def call_chain(thread):
    """The innermost functions of a thread's stack, innermost first."""
    selected = gdb.selected_thread()
    names = []
    try:
        thread.switch()
        frame = gdb.newest_frame()
        while frame is not None and len(names) < FRAMES_SHOWN:
            names.append(frame.name() or f"{frame.pc():#x}")
            frame = frame.older()
    except gdb.error:
        pass
    finally:
        if selected is not None:
            selected.switch()
    return names


def doing(cpu, state):
    """What a CPU is doing in the rendezvous, from its own words (struct cpu_ipi)."""
    ipi = cpu["ipi"]
    n = state["number"]
    index = int(cpu["index"])
    in_worker = int(ipi["in_worker"])  # the call's number, CALL_ALONE (all ones), or 0
    if in_worker == (1 << 64) - 1:
        return f"in worker {symbol_at(int(ipi['worker']))} of a call alone (nothing published)"
    if in_worker != 0:
        return (f"in worker {symbol_at(int(ipi['worker']))} of call #{in_worker}"
                f" (from CPU {int(ipi['caller'])})")
    if not state["busy"] or n == 0:
        return "no call under way"
    if index not in set_members(state["call"]["members"], int(static("cpu_count", "kernel/smp/smp.c"))):
        return f"not a member of call #{n}"
    if int(ipi["served"]) < n:
        return f"has not arrived at call #{n}"
    for phase, name in ((1, "completion"), (0, "arrival")):
        episode = 2 * n + phase
        if int(ipi["arrived"][phase]) < episode:
            continue
        if state["decided"] == episode and state["aborted"]:
            return f"at the {name} barrier of call #{n}, aborted (timed out)"
        if state["decided"] >= episode:
            return f"past the {name} barrier of call #{n}"
        return f"at the {name} barrier of call #{n}"
    return f"entering call #{n}"


class InfoCpus(gdb.Command):
    """Lists every CPU: index, APIC ID, state, IRQL, thread, what it does, where.

IRQL is the level the kernel is in (struct arch_cpu_words.priority); CR8 is
what the task-priority register holds, which the kernel updates lazily
(arch/x86_64/priority.h), so the two differ only while interrupts are off."""

    def __init__(self):
        super().__init__("info cpus", gdb.COMMAND_STATUS)

    def invoke(self, argument, from_tty):
        state = call_state()
        names = irql_names()
        threads = threads_by_cpu_block()
        rows = []
        for cpu in cpu_table():
            thread = threads.get(unsigned(cpu.address))
            level = int(cpu["arch_words"]["priority"])
            cr8 = "-"
            chain = []
            if thread is not None:
                selected = gdb.selected_thread()
                thread.switch()
                cr8 = str(int(gdb.parse_and_eval("$cr8")))
                selected.switch()
                chain = call_chain(thread)
            cpu_state = enum_name(cpu["state"], "enum cpu_state")
            rows.append((str(int(cpu["index"])), str(int(cpu["hw_id"])),
                         cpu_state.removeprefix("CPU_"),
                         names.get(level, f"level {level}"), cr8,
                         str(thread.num) if thread is not None else "-",
                         doing(cpu, state) if cpu_state == "CPU_ONLINE" else "-",
                         " < ".join(chain) if chain else "-"))
        header = ("CPU", "APIC", "state", "IRQL", "CR8", "thread", "rendezvous", "where")
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]
        for row in [header] + rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])


class InfoRendezvous(gdb.Command):
    """Shows the rendezvous: the current call and who has reached each barrier."""

    def __init__(self):
        super().__init__("info rendezvous", gdb.COMMAND_STATUS)

    def invoke(self, argument, from_tty):
        state = call_state()
        n = state["number"]
        kind = enum_name(state["barrier"]["kind"], "enum barrier_kind")
        print(f"barrier: {kind.removeprefix('BARRIER_').lower()}, "
              f"timeout {int(static('timeout_ms', 'kernel/smp/ipi.c'))} ms")
        if n == 0:
            print("no call made yet")
            return
        if not state["busy"]:
            print(f"no call under way; the last was #{n}")
            return
        if state["writing"]:
            print(f"call #{n + 1} is being written by CPU {state['holder']}")
            return
        cpus = cpu_table()
        members = set_members(state["call"]["members"], len(cpus))
        print(f"call #{n}: worker {symbol_at(state['worker'])}, argument "
              f"{state['argument']:#x}, from CPU {state['caller']}, "
              f"{state['count']} CPUs: {' '.join(map(str, members))}")
        if state["waiting"]:
            print(f"{state['waiting']} more caller(s) queued for the call lock")
        for phase, name in ((0, "arrival"), (1, "completion")):
            episode = 2 * n + phase
            came = [i for i in members if int(cpus[i]["ipi"]["arrived"][phase]) >= episode]
            missing = [i for i in members if i not in came]
            if state["decided"] >= episode:
                verdict = "aborted" if state["decided"] == episode and state["aborted"] \
                    else "released"
            else:
                verdict = "waiting"
            line = f"{name} barrier (episode {episode}): {len(came)} of {len(members)} " \
                   f"arrived, {verdict}"
            if missing:
                line += "; missing: " + " ".join(f"CPU {i}" for i in missing)
            print(line)


InfoCpus()
InfoRendezvous()
print("ipikernel: commands 'info cpus' and 'info rendezvous' are loaded")
