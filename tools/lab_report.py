"""A lab graded from a report the student writes (the measuring labs,
docs/labs/measuring.md): report.ini at the lab tree's root, an INI file
read with Python's configparser.

Two kinds of check, as two kinds of part (tools/lab_parts.py, Part.report):

- "read": the report alone. Is every field filled in, does the share
  follow from the cycles it gives, are before and after one command, does
  the verdict follow from the numbers? Pure functions of the file: the
  same verdicts on every run, so lab.py check grades them five times.
- "rerun": the report against the grader's own boots, one make trace boot
  and one make bench boot in the configurations the report's commands
  name (at most MAX_CPUS CPUs). The trace is counted in instructions
  (ACCEL=icount), the only way its phases come out in the same order on
  every run: under TCG the phase that absorbs the wait for another vCPU
  moves with the host's scheduling (a loaded 2-core host gave the entry
  barrier 97 % of a call in one boot and 3 % in the next). Timings under
  TCG move up to 3x between boots, so the checks compare with wide bands,
  never exact cycles: the phase named largest must be within CLOSE of the
  largest phase here, and the figure after the change within
  BAND[accelerator] of the grader's. An instruction count is exact for one
  build, so its band is narrow; it still allows another compiler.

What cannot be checked by a program (is the reasoning sound? is the
explanation of a miss right?) is the instructor's rubric,
docs/instructors/labs.md.
"""
import configparser
import importlib.util
import os
import re
import shlex

from common import ROOT

TOOLS = os.path.join(ROOT, "tools")

REPORT_FILE = "report.ini"      # in a lab tree; the kernel's own tree: tests/labs/LAB/report.ini
FIELDS = {
    "host": ["description"],
    "trace": ["command", "largest", "largest_cycles", "call_cycles", "share"],
    "prediction": ["change", "figure", "cpus", "direction", "by_cycles", "reasoning"],
    "measurement": ["before_command", "after_command", "before_p50", "after_p50", "verdict",
                    "explanation"],
}
# The caller's phases as make trace names them (tools/trace.py SPANS): they
# follow one another from call_start to call_end.
CALLER_PHASES = ("publish + send IPIs", "entry barrier", "worker", "exit barrier", "unlock")
DIRECTIONS = ("faster", "same", "slower")
VERDICTS = ("as predicted", "not as predicted")
SHARE_SLACK = 0.01              # share against largest_cycles / call_cycles (rounding)
MIN_REASONING_WORDS = 12
# A change smaller than this fraction of the figure is "same": the spread of
# one figure between two runs of the same kernel (instruction counts are
# exact; timings under TCG or this paravirtual KVM are not).
NOISE = {"icount": 0.02, "tcg": 0.5, "kvm": 0.5}
CLOSE = 3.0                     # the phase named is at least 1/CLOSE of the largest here
BAND = {"icount": 1.25, "tcg": 3.0, "kvm": 3.0}   # the figure here / the report's, either way
MAX_CPUS = 4                    # the grader's boots stay short
KNOBS = ("CPUS", "ACCEL", "BARRIER", "APIC", "IDLE", "BENCH_OPTIONS")


class Report:
    """The report's fields ("" where missing) and why it could not be read."""

    def __init__(self, path):
        self.path, self.problem, self.values = path, "", {}
        parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=None)
        try:
            with open(path) as f:
                parser.read_file(f)
        except FileNotFoundError:
            self.problem = f"there is no {os.path.basename(path)}"
        except (configparser.Error, UnicodeDecodeError) as e:
            self.problem = f"{os.path.basename(path)} is not an INI file: {str(e).splitlines()[0]}"
        for section, keys in FIELDS.items():
            for key in keys:
                self.values[(section, key)] = parser.get(section, key, fallback="").strip()

    def get(self, section, key):
        return self.values[(section, key)]

    def number(self, section, key):
        """The field as a number, or None."""
        text = self.get(section, key).replace("_", "").replace(" ", "")
        try:
            return float(text)
        except ValueError:
            return None


def parse_make(command, target):
    """{knob: value} of a `make TARGET KNOB=value ...` command, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if words[:2] != ["make", target]:
        return None
    knobs = {}
    for w in words[2:]:
        key, eq, value = w.partition("=")
        if not eq or key not in KNOBS:
            return None
        knobs[key] = value
    return knobs


def accelerator(knobs, kvm_usable):
    """The accelerator the command ran with: ACCEL, else make's default."""
    accel = knobs.get("ACCEL") or ("kvm" if kvm_usable else "tcg")
    return accel if accel in NOISE else None


def measured_direction(before, after, accel):
    noise = NOISE.get(accel, 0.5)
    if after < before * (1 - noise):
        return "faster"
    if after > before * (1 + noise):
        return "slower"
    return "same"


# ---- "read": the report alone ----

def every_field_is_filled_in(r):
    if r.problem:
        return False, r.problem
    empty = [f"[{s}] {k}" for (s, k), v in r.values.items() if not v]
    return not empty, "empty or missing: " + ", ".join(empty)


def the_largest_phase_is_a_caller_phase(r):
    name = r.get("trace", "largest")
    return name in CALLER_PHASES, (f"[trace] largest = {name!r}: not one of the caller's phases "
                                   f"that make trace prints ({', '.join(CALLER_PHASES)})")


def the_trace_command_is_make_trace(r):
    knobs = parse_make(r.get("trace", "command"), "trace")
    return knobs is not None and knobs.get("ACCEL") == "icount", (
        f"[trace] command = {r.get('trace', 'command')!r}: not `make trace ACCEL=icount` "
        f"(with CPUS= if you like): the grader reruns it, and only an instruction count "
        f"comes out the same on every run")


def the_share_is_the_phase_over_the_whole_call(r):
    part, whole = r.number("trace", "largest_cycles"), r.number("trace", "call_cycles")
    share = r.number("trace", "share")
    if None in (part, whole, share) or whole <= 0:
        return False, "largest_cycles, call_cycles and share must be numbers (call_cycles > 0)"
    ok = 0 < part <= whole and abs(share - part / whole) <= SHARE_SLACK
    return ok, (f"share = {share:g}, but largest_cycles / call_cycles = {part:g} / {whole:g} = "
                f"{part / whole:.3f} (a share is a fraction: 0.62, not 62)")


def the_prediction_has_a_direction_a_size_and_a_reason(r):
    problems = []
    if r.get("prediction", "direction") not in DIRECTIONS:
        problems.append(f"direction must be one of {', '.join(DIRECTIONS)}")
    size = r.number("prediction", "by_cycles")
    if size is None or size < 0:
        problems.append("by_cycles must be a number of cycles, 0 or more")
    if not re.fullmatch(r"\w+", r.get("prediction", "figure")):
        problems.append("figure must be a figure's name as make bench prints it")
    cpus = r.number("prediction", "cpus")
    if cpus is None or cpus < 1 or cpus != int(cpus):
        problems.append("cpus must be the figure's CPU count (the cpus= of its bench: line)")
    if len(r.get("prediction", "reasoning").split()) < MIN_REASONING_WORDS:
        problems.append(f"reasoning needs at least {MIN_REASONING_WORDS} words: what the change "
                        f"removes or adds, and what the trace says it is worth")
    return not problems, "; ".join(problems)


def before_and_after_ran_one_command(r):
    before, after = r.get("measurement", "before_command"), r.get("measurement", "after_command")
    b, a = parse_make(before, "bench"), parse_make(after, "bench")
    if b is None or a is None:
        return False, (f"before_command and after_command must be `make bench` with knobs "
                       f"from {', '.join(KNOBS)}: {before!r}, {after!r}")
    return b == a, (f"before and after ran different commands ({before!r}, {after!r}): one "
                    f"change at a time, in one configuration")


def the_verdict_follows_from_the_numbers(r):
    before, after = r.number("measurement", "before_p50"), r.number("measurement", "after_p50")
    knobs = parse_make(r.get("measurement", "after_command"), "bench") or {}
    verdict, predicted = r.get("measurement", "verdict"), r.get("prediction", "direction")
    if before is None or after is None or before <= 0 or after <= 0:
        return False, "before_p50 and after_p50 must be numbers of cycles, above 0"
    if verdict not in VERDICTS:
        return False, f"verdict must be one of: {', '.join(VERDICTS)}"
    # Without ACCEL the command ran on KVM or TCG, both of which move.
    accel = knobs.get("ACCEL") if knobs.get("ACCEL") in NOISE else "tcg"
    moved = measured_direction(before, after, accel)
    want = "as predicted" if moved == predicted else "not as predicted"
    return verdict == want, (f"{before:g} -> {after:g} under {accel} is {moved} (a change under "
                             f"{NOISE[accel]:.0%} is the same), and {predicted} was predicted: "
                             f"the verdict is '{want}'")


READ_CHECKS = {
    "report.every_field_is_filled_in": every_field_is_filled_in,
    "report.the_trace_command_is_make_trace": the_trace_command_is_make_trace,
    "report.the_largest_phase_is_a_caller_phase_of_make_trace":
        the_largest_phase_is_a_caller_phase,
    "report.the_share_is_the_phase_over_the_whole_call":
        the_share_is_the_phase_over_the_whole_call,
    "report.the_prediction_has_a_direction_a_size_and_a_reason":
        the_prediction_has_a_direction_a_size_and_a_reason,
    "report.before_and_after_ran_one_make_bench_command": before_and_after_ran_one_command,
    "report.the_verdict_follows_from_the_numbers": the_verdict_follows_from_the_numbers,
}


def read_report(r, cases):
    """{case: (ok, why)} of the "read" cases named."""
    return {c: READ_CHECKS[c](r) for c in cases}


# ---- "rerun": the report against the grader's own boots ----

def tool(name):
    """tools/NAME.py as a module, by its path: tools/trace.py has the name of
    a module of Python's own, which a plain import could find first."""
    spec = importlib.util.spec_from_file_location(f"ipikernel_{name}",
                                                  os.path.join(TOOLS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rerun_trace(r, tree, build, log):
    """(ok, why): the grader's make trace, in the report's configuration."""
    from common.qemu import boot
    trace = tool("trace")
    knobs = parse_make(r.get("trace", "command"), "trace")
    if knobs is None or r.get("trace", "largest") not in CALLER_PHASES:
        return False, "the report's [trace] command or largest cannot be read (see report.*)"
    try:
        cpus = min(int(knobs.get("CPUS") or 4), MAX_CPUS)
    except ValueError:
        return False, f"CPUS={knobs.get('CPUS')!r} is not a number"
    if cpus < 2:
        return False, "make trace needs CPUS of 2 or more: one CPU sends no IPI"
    # Counted in instructions whatever the report's run: under TCG or KVM
    # the phase that absorbs the wait for another vCPU moves with the
    # host's scheduling; under icount the trace is the same on every run.
    accel = "icount"
    cfg = trace.trace_config(accel, cpus)
    _status, _seconds, serial, _cmd, _topology = boot(cfg, os.path.join(tree, build,
                                                                        "kernel.elf"),
                                                      None, os.path.dirname(log))
    with open(log, "w") as f:
        f.write(serial)
    events, tsc_mhz = trace.read_trace(serial)
    if not events:
        return False, f"the grader's trace boot ({cfg.name}) printed no trace: lines"
    medians = trace.phase_medians(events, trace.spans(events, tsc_mhz), tsc_mhz)
    caller = {p: medians[(p, "caller")] for p in CALLER_PHASES if (p, "caller") in medians}
    name = r.get("trace", "largest")
    top = max(caller, key=caller.get)
    here = caller.get(name, 0)
    table = ", ".join(f"{p} {v:.0f}" for p, v in sorted(caller.items(), key=lambda i: -i[1]))
    return here * CLOSE >= caller[top], (f"the grader's trace ({cfg.name}, median cycles of the "
                                         f"caller: {table}) finds {top} largest, and {name} "
                                         f"under 1/{CLOSE:g} of it")


def rerun_bench(r, tree, build, log):
    """(ok, why): the grader's make bench, the report's after command."""
    from common.qemu import boot, kvm_unusable_reason
    bench = tool("bench")
    knobs = parse_make(r.get("measurement", "after_command"), "bench")
    figure, after = r.get("prediction", "figure"), r.number("measurement", "after_p50")
    cpus = r.number("prediction", "cpus")
    if knobs is None or after is None or cpus is None or not figure:
        return False, "the report's after_command, after_p50, figure or cpus cannot be read"
    why_not_kvm = kvm_unusable_reason()
    accel = accelerator(knobs, not why_not_kvm)
    if accel is None or (accel == "kvm" and why_not_kvm):
        accel = "tcg"
    try:
        counts = sorted(int(n) for n in (knobs.get("CPUS") or "1 2 4").split())
    except ValueError:
        return False, f"CPUS={knobs.get('CPUS')!r} is not a list of numbers"
    vcpus = next((n for n in counts if n >= cpus), None)
    if vcpus is None or vcpus > MAX_CPUS:
        return False, (f"the figure's boot needs {vcpus or int(cpus)} CPUs; the grader boots "
                       f"{MAX_CPUS} at most")
    barrier = knobs.get("BARRIER") or ("dissemination" if "dissemination" in figure
                                       else "central")
    apic = knobs.get("APIC") or ("x2apic" if accel == "kvm" else "xapic")
    idle = (knobs.get("IDLE") or "hlt").split()[0]
    cfg = bench.bench_config(accel, apic, vcpus, barrier, idle, knobs.get("BENCH_OPTIONS", ""))
    _status, _seconds, serial, _cmd, _topology = boot(cfg, os.path.join(tree, build,
                                                                        "kernel.elf"),
                                                      None, os.path.dirname(log))
    with open(log, "w") as f:
        f.write(serial)
    here = None
    for line in serial.splitlines():
        m = bench.LINE.match(line)
        if m and m.group(1) == figure and int(m.group(2)) == int(cpus):
            here = int(m.group(5))
    if here is None:
        return False, f"the grader's bench ({cfg.name}) printed no {figure} with cpus={int(cpus)}"
    band = BAND[accel]
    ok = after / band <= here <= after * band
    return ok, (f"the grader's {figure} (cpus={int(cpus)}, {cfg.name}) is {here} cycles; the "
                f"report's after_p50 is {after:g}, outside a factor {band:g} of it")


RERUN_CHECKS = {
    "rerun.the_largest_phase_is_among_the_largest_here": rerun_trace,
    "rerun.the_figure_after_the_change_is_near_the_graders": rerun_bench,
}


def rerun_report(r, cases, tree, build, logs):
    """{case: (ok, why)} of the "rerun" cases named, each one boot."""
    from common import constants
    constants.load_constants(os.path.join(tree, build))
    os.makedirs(logs, exist_ok=True)
    out = {}
    for c in cases:
        kind = "trace" if "phase" in c else "bench"
        out[c] = RERUN_CHECKS[c](r, tree, build, os.path.join(logs, f"rerun-{kind}.log"))
    return out
