"""The labs' grading table: each lab's parts, their points, the test cases
that grade each part with the hint for each case, and the mistakes the
grader recognises in a run's output (tools/lab.py grades with it, and
writes the handouts' tables from it).

A hint belongs to a failing case, or to a recognised mistake, never to a
whole part: a part's cases fail for different reasons, and a hint for the
part would be wrong for all but one of them."""
import dataclasses


@dataclasses.dataclass
class Part:
    name: str
    title: str
    points: int
    cases: dict             # case name -> the hint printed when that case fails
    host: str = ""          # a host test program (build/host/<host>)
    boot: str = ""          # a key of Lab.boots
    report: str = ""        # a check of the lab's report file (tools/lab_report.py): "read",
                            # the file alone; "rerun", against the grader's own boots

    @property
    def repeatable(self):
        """Graded without booting QEMU: lab.py check grades it on every run,
        and a kept wrong solution's Fails: lines may name its cases."""
        return bool(self.host) or self.report == "read"


@dataclasses.dataclass
class Mistake:
    """A mistake recognised in a failed case's reason or in the report that
    stopped it (a sanitizer's): pattern is a regular expression."""
    pattern: str
    hint: str


@dataclasses.dataclass
class Lab:
    name: str
    title: str
    boots: dict             # key -> dict(accel=, smp=, cmdline=)
    parts: list
    mistakes: list = dataclasses.field(default_factory=list)
    report_template: str = ""  # a lab graded from a report: its blank form, copied to
                               # report.ini in the lab tree (the reference's report is
                               # tests/labs/<name>/report.ini)

    @property
    def handout(self):
        return f"docs/labs/{self.name}.md"


# Boots end faster on a broken rendezvous with a short timeout; the KVM
# boots skip what this paravirtual KVM cannot emulate (tests/runner/matrix.py).
FAST = "ipi_timeout_ms=3000 ap_timeout_ms=500"
KVM_SKIPS = ("test_skip=exceptions.int3_is_resumable,"
             "ipi.a_spurious_interrupt_and_an_unasked_nmi_in_a_call_are_survived")

# The two barrier labs share the QEMU part's cases and the mistakes their
# host tests show.
BARRIER_QEMU_CASES = {
    "ipi.every_worker_starts_after_all_arrive_and_ends_before_any_returns":
        "a worker started before every CPU had arrived, or a CPU returned before every worker "
        "had ended: in the kernel the barrier let a CPU through early.",
    "ipi.every_cpu_runs_the_worker_exactly_once":
        "a CPU ran the worker twice or not at all: an episode was released or counted twice.",
}
DATA_RACE = Mistake(
    r"ThreadSanitizer: data race",
    "ThreadSanitizer saw two threads touch the same data with nothing ordering the two "
    "accesses: what a CPU wrote before it arrived must be visible to every CPU that leaves. "
    "Release on the write that lets the others go (the decision, a signal), acquire on the "
    "read that sees it; a relaxed atomic orders nothing else.")
STOPPED_CASE = Mistake(
    r"^hung:",
    "a thread never left the barrier: a wait with no deadline, or one that waits for an "
    "arrival that was lost (a counter reset after the next episode had started counting).")

LABS = [
    Lab("x2apic", "The x2APIC: sending an IPI through the ICR, and the EOI",
        {"kvm4": dict(accel="kvm", smp="4", apic="x2apic",
                      cmdline=f"test apic=x2apic stress_calls=200 {FAST} {KVM_SKIPS}")},
        [Part("icr", "one WRMSR of the 64-bit ICR, after a fence", 15, {
            "x2apic.an_ipi_is_one_icr_write_with_the_destination_in_bits_63_32":
                "in x2APIC mode the ICR is one 64-bit MSR (SDM vol. 3A §11.12.9): the "
                "destination in bits 63:32, icr_low in 31:0, written with a single WRMSR; "
                "there is no ICR_HIGH MSR.",
            "x2apic.a_destination_above_255_reaches_the_icr_whole":
                "the destination is a 32-bit x2APIC ID: shift it by 32 as a 64-bit value, "
                "not by xAPIC's 24 and not through a 32-bit type.",
            "x2apic.a_fence_comes_before_the_icr_write":
                "the WRMSR of the ICR had no fence before it. WRMSR to an x2APIC register is "
                "not serialising (SDM vol. 3A §11.12.3): the IPI can reach the target before "
                "the call it announces is visible there. Call memory_fence() (MFENCE; LFENCE) "
                "just before the WRMSR. KVM forgives the omission; a real CPU may not."},
              host="test_x2apic"),
         Part("eoi", "the EOI: one write of 0 to the EOI register, in both modes", 15, {
             "x2apic.the_eoi_in_x2apic_mode_is_one_write_of_0_to_msr_0x80b":
                 "write 0, and only 0: every bit of the x2APIC EOI register is reserved, and a "
                 "WRMSR of anything else raises #GP on a real CPU (SDM vol. 3A §11.12.1.2, "
                 "§11.12.1.3), though KVM lets it pass.",
             "x2apic.the_eoi_in_xapic_mode_is_one_write_of_0_at_offset_0xb0":
                 "the EOI goes through the ops table (ops->write(LAPIC_REG_EOI, 0)), so that "
                 "the xAPIC mode writes its MMIO register at 0xB0 (SDM vol. 3A §11.8.5); a "
                 "WRMSR in xAPIC mode raises #GP."},
              host="test_x2apic"),
         Part("start", "INIT and SIPI reach the APs through the ICR", 20, {
             "smp.every_enabled_madt_cpu_is_online":
                 "an AP did not start: no INIT or SIPI left this CPU, or it went to the wrong "
                 "APIC ID (the destination belongs in bits 63:32 of the one ICR write).",
             "smp.every_cpu_reads_its_own_apic_id":
                 "a CPU started with another CPU's APIC ID: check the destination field."},
              boot="kvm4"),
         Part("ipi", "a call's IPI reaches every CPU, more than once", 30, {
             "smp.every_cpu_takes_a_probe_interrupt":
                 "a CPU never took the probe interrupt: the IPI did not leave, or its vector "
                 "is not icr_low's.",
             "ipi.returns_the_callers_result_and_passes_the_argument":
                 "the call did not complete: the IPIs of a call did not reach every CPU.",
             "ipi.every_cpu_runs_the_worker_exactly_once":
                 "the first interrupt on a CPU arrived and later ones did not: its APIC still "
                 "has the first in service. Every handler ends with lapic_eoi() (SDM vol. 3A "
                 "§11.8.5)."},
              boot="kvm4"),
         Part("many", "thousands of calls, timer interrupts beside them", 20, {
             "ipi.stress_back_to_back_calls":
                 "calls stop after a while: an interrupt was not ended (the EOI), or an IPI "
                 "was lost.",
             "ipi.the_call_path_writes_no_task_priority_and_one_eoi_per_participant":
                 "each participant must end the call's interrupt with exactly one EOI.",
             "irql.clock_level_holds_the_timer_back":
                 "the timer stopped: its interrupts are ended by lapic_eoi() too."},
              boot="kvm4")],
        [Mistake(r"WRMSR to 0x831", "x2APIC mode has no ICR_HIGH (MSR 0x831): a WRMSR to it "
                 "raises #GP. The destination goes into bits 63:32 of the one ICR write.")]),
    Lab("init-sipi-sipi", "Starting the APs: INIT-SIPI-SIPI",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=smp. ap_start=serial {FAST}")},
        [Part("sequence", "INIT, 10 ms, SIPI, to each AP in turn (the fake APIC's record)", 30, {
            "ap_start.sdm_init_10ms_then_sipi_to_each_ap":
                "compare your IPIs and delays with SDM vol. 3A §9.4.4.1: INIT (level assert) "
                "to the AP, 10 ms, then STARTUP with the trampoline's page number as the "
                "vector.",
            "ap_start.fast_delays":
                "with ap_start=fast the delays are shorter (none after INIT, 10 us after a "
                "SIPI): take them from the options your function is given, not from "
                "constants."},
              host="test_ap_start"),
         Part("second-sipi", "a second SIPI only for an AP that has not checked in", 20, {
             "ap_start.an_ap_that_needs_the_second_sipi_gets_it":
                 "an AP that missed the first SIPI needs a second; one that checked in must not "
                 "get it, by this kernel's rule (the SDM's example and Linux send it to all; "
                 "wait_for_checkin tells you which, within sipi_us)."},
              host="test_ap_start"),
         Part("silent", "an AP that never answers is left out and sent back to INIT", 20, {
             "ap_start.a_silent_ap_is_left_out_and_sent_back_to_init":
                 "after the second SIPI, wait up to options->timeout_ms for it; the code after "
                 "your region sends the INIT that parks it again: leave `sent` true if the IPIs "
                 "went out."},
              host="test_ap_start"),
         Part("qemu", "four CPUs online in QEMU, one started at a time", 30, {
             "smp.every_enabled_madt_cpu_is_online":
                 "QEMU's APs did not start: check the SIPI's vector (the trampoline's physical "
                 "page, trampoline_sipi_vector()) and that every AP gets its INIT first.",
             "smp.every_cpu_runs_on_its_own_stack":
                 "two CPUs share a stack: an AP was started twice, or before the one before it "
                 "had checked in."},
              boot="tcg4")]),
    Lab("central-barrier", "The central (counter) barrier",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. barrier=central {FAST}")},
        [Part("waits", "nobody leaves before the last arrives", 30, {
            "barrier.central_2_threads":
                "a CPU left the barrier before everyone arrived: only the last arrival (the one "
                "whose increment reaches count) may release the episode.",
            "barrier.central_6_threads":
                "a CPU left the barrier before everyone arrived, or an episode never ended: "
                "only the last arrival may release, and it must reset the counter first."},
              host="test_rendezvous"),
         Part("reuse", "the barrier works call after call", 20, {
             "rendezvous.central_2_cpus_all_calling":
                 "a call went wrong in the barrier's second or later episode: the last arrival "
                 "must reset the counter before it releases, or the next episode's early "
                 "arrivals are lost or counted twice.",
             "rendezvous.central_6_cpus_all_calling":
                 "as with 2 CPUs: look at what the last arrival does, and in which order.",
             "barrier.central_a_late_look_after_newer_episodes_sees_the_release":
                 "a CPU that looks at the outcome word only after newer episodes were decided "
                 "must still see its own released: wait until the word reaches "
                 "OUTCOME_RELEASED(episode) or more, and return result_of().",
             "barrier.central_a_waker_stopped_between_wake_ups_loses_no_sleeper":
                 "the last arrival was stopped while it woke the sleepers, and a woken CPU "
                 "went on to the next episode meanwhile: its arrival was lost. Reset the "
                 "counter before the decision, never after it."},
              host="test_rendezvous"),
         Part("timeout", "a missing CPU makes everyone give up, and one of them reports", 20, {
             "barrier.central_4_threads_one_absent_aborts_for_all":
                 "when the deadline passes, call give_up(): it decides the episode aborted "
                 "exactly once (compare-and-swap), so one CPU hears BARRIER_TIMED_OUT and the "
                 "rest BARRIER_ABORTED.",
             "barrier.central_two_timeouts_at_once_one_reports":
                 "two CPUs timed out together and both reported: only the one whose "
                 "give_up() made the decision may return BARRIER_TIMED_OUT."},
              host="test_rendezvous"),
         Part("sleep", "waiters that sleep are woken", 10, {
             "barrier.central_3_threads_sleeping_waiters_are_woken":
                 "a sleeper was never woken: wait with spin_until() (it sleeps after spinning "
                 "a while) and, after the release, wake_sleepers().",
             "barrier.central_a_release_just_before_the_sleep_is_seen":
                 "the release came just before a waiter slept, and the waiter slept on: "
                 "wait with spin_until(), which looks again after it says it sleeps."},
              host="test_rendezvous"),
         Part("qemu", "the rendezvous on four CPUs in QEMU", 20, BARRIER_QEMU_CASES,
              boot="tcg4")],
        [DATA_RACE, STOPPED_CASE]),
    Lab("dissemination-barrier", "The dissemination barrier",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. barrier=dissemination {FAST}")},
        [Part("waits", "nobody leaves before the last arrives", 40, {
            "barrier.dissemination_3_threads":
                "in round r, rank i signals rank (i + 2^r) mod count and waits for the signal "
                "of rank (i - 2^r) mod count; after ceil(log2(count)) rounds everyone has "
                "heard, indirectly, from everyone.",
            "barrier.dissemination_6_threads":
                "as with 3 threads; with 6, count is not a power of two: the partners wrap "
                "around (mod count).",
            "rendezvous.dissemination_5_cpus_all_calling":
                "a call went wrong: a flag is per episode, so a late signal of an old episode "
                "must never overwrite a newer one (signal_at_least()).",
            "rendezvous.dissemination_6_cpus_all_calling":
                "as with 5 CPUs."},
              host="test_rendezvous"),
         Part("timeout", "a missing CPU makes everyone give up, and one of them reports", 20, {
             "barrier.dissemination_5_threads_one_absent_aborts_for_all":
                 "a CPU whose wait ended because the episode was decided by someone else must "
                 "return that decision (result_of), not time out itself.",
             "barrier.dissemination_two_timeouts_at_once_one_reports":
                 "two CPUs timed out together and both reported: only the one whose "
                 "give_up() made the decision may return BARRIER_TIMED_OUT."},
              host="test_rendezvous"),
         Part("sleep", "waiters that sleep are woken", 20, {
             "barrier.dissemination_5_threads_sleeping_waiters_are_woken":
                 "signal with signal_at_least() and wake the partner you signalled "
                 "(wake_one); the one who decides the release wakes the rest.",
             "barrier.dissemination_a_release_just_before_the_sleep_is_seen":
                 "the release came just before a waiter slept, and the waiter slept on: "
                 "wait with spin_until(), which looks again after it says it sleeps."},
              host="test_rendezvous"),
         Part("qemu", "the rendezvous on four CPUs in QEMU", 20, BARRIER_QEMU_CASES,
              boot="tcg4")],
        [DATA_RACE, STOPPED_CASE]),
    Lab("rendezvous-caller", "The rendezvous, caller's side: ipi_call_checked",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. {FAST}")},
        [Part("everyone", "every online CPU runs the worker, once, together", 30, {
            "ipi.every_cpu_runs_the_worker_exactly_once":
                "choose the members under the call lock, publish the call (the sequence odd "
                "while you write it), send the IPIs, then take part yourself.",
            "ipi.every_worker_starts_after_all_arrive_and_ends_before_any_returns":
                "the workers did not run together: every member, the caller too, goes "
                "through take_part().",
            "ipi.a_subset_call_leaves_the_others_alone":
                "a CPU outside the call's set ran the worker: send the IPIs to the members "
                "only."},
              boot="tcg4"),
         Part("result", "the caller gets its own CPU's result", 20, {
             "ipi.returns_the_callers_result_and_passes_the_argument":
                 "after take_part(), this CPU's own result is in me->ipi.result.",
             "ipi.a_call_from_an_ap_returns_that_aps_result":
                 "the result returned is the boot CPU's, not the calling AP's: read me, the "
                 "calling CPU."},
              boot="tcg4"),
         Part("priority", "workers run at IPI_LEVEL with interrupts off", 20, {
             "ipi.workers_run_at_ipi_level_with_interrupts_off":
                 "disable interrupts and raise to IPI_LEVEL before taking the ticket; lower "
                 "and restore, in the reverse order, after releasing the lock.",
             "ipi.works_for_a_caller_with_interrupts_off":
                 "restore the caller's interrupt flag as it was, not on."},
              boot="tcg4"),
         Part("callers", "many callers at once, and callers interrupted by a timer", 30, {
             "rendezvous.central_6_cpus_all_calling":
                 "callers must queue (acquire_call_lock serves the calls of those ahead while "
                 "it waits); a CPU that waits for the lock without serving deadlocks.",
             "rendezvous.dissemination_6_cpus_all_calling":
                 "as with the central barrier: queue with acquire_call_lock.",
             "rendezvous.timer_interrupt_that_calls_at_every_arch_call_of_the_caller":
                 "a timer interrupt that itself calls arrived in the middle of your code: "
                 "disable interrupts and raise to IPI_LEVEL before taking the ticket.",
             "rendezvous.a_queue_longer_than_the_timeout_still_moves":
                 "callers must queue (acquire_call_lock serves the calls of those ahead "
                 "while it waits); a caller that waits without serving holds up the queue."},
              host="test_rendezvous")],
        [DATA_RACE, STOPPED_CASE]),
]

# The measuring labs (docs/labs/measuring.md): the code is a small change on
# the call path, checked by the rendezvous' host tests; most of the points
# are the report, read alone (the same verdicts on every run) and then
# held against the grader's own make trace and make bench boots.
MEASURING_CODE_CASES = {
    "rendezvous.central_5_cpus_one_caller_all_subset_self":
        "a call to every CPU, to a subset, or to the caller alone went wrong: the count must "
        "equal the members chosen (online, asked for, and always the caller), or the "
        "barriers wait for a CPU that is not coming, or let one through early.",
    "rendezvous.dissemination_5_cpus_one_caller_all_subset_self":
        "the same with the dissemination barrier, whose rounds depend on the count.",
}
MEASURING_READ_PARTS = [
    Part("trace", "a complete report; where the time goes: the largest phase and its share", 25, {
        "report.every_field_is_filled_in":
            "fill in every field of report.ini (the handout says what each one holds); a "
            "field left empty, or a section missing, is named above.",
        "report.the_trace_command_is_make_trace":
            "[trace] command is the command you ran, as typed: make trace with its knobs "
            "(CPUS=, ACCEL=).",
        "report.the_largest_phase_is_a_caller_phase_of_make_trace":
            "name the phase as make trace prints it, one of the caller's rows (the share "
            "column is filled in only for them).",
        "report.the_share_is_the_phase_over_the_whole_call":
            "share is the phase's median over the caller's whole call (the `whole call` row), "
            "as a fraction: the two cycle counts you give must divide to it."},
         report="read"),
    Part("prediction", "a prediction written before measuring, and one command for both sides", 25, {
        "report.the_prediction_has_a_direction_a_size_and_a_reason":
            "say which way the figure moves (faster, same or slower), by how many cycles, and "
            "why, from what the change removes and what the trace says the stage is worth.",
        "report.before_and_after_ran_one_make_bench_command":
            "measure both sides with the same make bench command, changing only the code: "
            "a different configuration makes the two numbers incomparable."},
         report="read"),
    Part("verdict", "the prediction held against the measurement, honestly", 20, {
        "report.the_verdict_follows_from_the_numbers":
            "the verdict is `as predicted` when the figure moved the way you predicted "
            "(within the spread the handout gives for the accelerator), `not as predicted` "
            "otherwise; a wrong prediction loses nothing, a verdict the numbers contradict does."},
         report="read"),
]
MEASURING_RERUN_PART = Part(
    "rerun", "the grader's own trace and bench agree with the report", 20, {
        "rerun.the_largest_phase_is_among_the_largest_here":
            "the grader's make trace, in your [trace] configuration, found your phase under a "
            "third of the largest: look at the caller's rows again (the largest may differ "
            "between runs only when two are close, which this check allows).",
        "rerun.the_figure_after_the_change_is_near_the_graders":
            "the grader's make bench, with your after_command, measured the figure far from "
            "your after_p50: copy the p50 of the line with your figure and cpus, from the "
            "run of your changed code."},
    report="rerun")
LABS += [
    Lab("measuring", "Measuring: where a call's time goes, and a change predicted then measured",
        {}, [Part("code", "the call path still works after the change", 10,
                  MEASURING_CODE_CASES, host="test_rendezvous")]
        + MEASURING_READ_PARTS + [MEASURING_RERUN_PART],
        report_template="docs/labs/measuring-report.ini"),
    Lab("measuring-open", "Measuring, open: a change of your choice, predicted then measured",
        {}, [Part("code", "the call path still works after the change", 10,
                  MEASURING_CODE_CASES, host="test_rendezvous")]
        + MEASURING_READ_PARTS + [MEASURING_RERUN_PART],
        report_template="docs/labs/measuring-report.ini"),
]
LAB_BY_NAME = {lab.name: lab for lab in LABS}
