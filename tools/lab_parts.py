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

# The open variants (docs/labs/<lab>-open.md): the contract and the tests
# only. Their regions enclose the guided lab's and the helpers around it;
# their cases and boots are the guided lab's (tools/lab.py check grades
# those once for both), and their hints name what the contract asks, not
# a helper that the open tree no longer has.
BARRIER_OPEN_CASES = {
    "central": {
        "barrier.central_2_threads":
            "a CPU left a central episode before everyone had arrived, or never left: only "
            "the arrival that completes the count may let the others go.",
        "barrier.central_6_threads":
            "as with 2 threads, with more arrivals racing for the counter: count with an "
            "atomic read-modify-write, and decide the episode once.",
        "rendezvous.central_2_cpus_all_calling":
            "the rendezvous went wrong over many calls: an episode's counting must not mix "
            "with the next one's (who resets what, and before whom?).",
        "rendezvous.central_6_cpus_all_calling":
            "as with 2 CPUs: episode after episode, with every CPU calling.",
        "barrier.central_a_late_look_after_newer_episodes_sees_the_release":
            "a CPU that looks only after newer episodes were decided must still learn that "
            "its own was released: compare episodes with >=, not ==.",
        "barrier.central_a_waker_stopped_between_wake_ups_loses_no_sleeper":
            "the CPU that released an episode was held while it woke the sleepers, a woken "
            "CPU arrived at the next episode meanwhile, and its arrival was lost: the "
            "counter must be ready for the next episode before anyone can leave this one."},
    "dissemination": {
        "barrier.dissemination_3_threads":
            "a CPU left a dissemination episode before everyone had arrived, or never left: "
            "after ceil(log2(count)) rounds each CPU must have heard, through its partners, "
            "from every other.",
        "barrier.dissemination_6_threads":
            "as with 3 threads; 6 is not a power of two: the partners wrap around.",
        "rendezvous.dissemination_5_cpus_all_calling":
            "the rendezvous went wrong over many calls: a signal that arrives late, from an "
            "older episode, must not hide a newer one.",
        "rendezvous.dissemination_6_cpus_all_calling":
            "as with 5 CPUs."},
    "timeout": {
        "barrier.central_4_threads_one_absent_aborts_for_all":
            "one CPU never came: every participant must return by its deadline, exactly one "
            "with BARRIER_TIMED_OUT and the rest with BARRIER_ABORTED, never RELEASED.",
        "barrier.central_two_timeouts_at_once_one_reports":
            "two deadlines passed together and both CPUs reported: the abort is a decision "
            "that only one CPU can make (a compare-and-swap against the release too).",
        "barrier.dissemination_5_threads_one_absent_aborts_for_all":
            "a CPU whose wait ended because someone else decided the episode must return "
            "that decision, not a timeout of its own.",
        "barrier.dissemination_two_timeouts_at_once_one_reports":
            "two deadlines passed together and both CPUs reported BARRIER_TIMED_OUT: only "
            "the one that made the decision may."},
    "sleep": {
        "barrier.central_3_threads_sleeping_waiters_are_woken":
            "a central waiter that slept was never woken, or a sleep ran to its bound although "
            "the release had come (barrier_lost_wakeups): whoever changes what a sleeper waits "
            "for must wake it.",
        "barrier.central_a_release_just_before_the_sleep_is_seen":
            "the release came between a waiter's last look and its sleep, and nobody woke "
            "it: announce the sleep (sleeper[id].episode, sleepers), then look once more, in "
            "an order that the waker's change-then-look cannot miss.",
        "barrier.dissemination_5_threads_sleeping_waiters_are_woken":
            "a dissemination waiter slept through its signal: the CPU that signals a partner "
            "wakes it, and the one that decides the episode wakes everyone still asleep.",
        "barrier.dissemination_a_release_just_before_the_sleep_is_seen":
            "as for the central barrier: the signal came just before the sleep, and the "
            "sleeper was neither woken nor looked again."},
}

OPEN_LABS = [
    Lab("x2apic-open", "The x2APIC's registers, the ICR and the EOI (open)",
        {"kvm4": dict(accel="kvm", smp="4", apic="x2apic",
                      cmdline=f"test apic=x2apic stress_calls=200 {FAST} {KVM_SKIPS}")},
        [Part("icr", "an IPI is one write of the 64-bit ICR, ordered after memory", 15, {
            "x2apic.an_ipi_is_one_icr_write_with_the_destination_in_bits_63_32":
                "the test saw more than one MSR write for one IPI, or the wrong MSR: in x2APIC "
                "mode the ICR is a single 64-bit register (SDM vol. 3A §11.12.9).",
            "x2apic.a_destination_above_255_reaches_the_icr_whole":
                "a 32-bit x2APIC ID lost its high bits on the way into the ICR: where does the "
                "destination go, and through which type?",
            "x2apic.a_fence_comes_before_the_icr_write":
                "nothing orders the call's data before the ICR write: an x2APIC WRMSR is not "
                "serialising (SDM vol. 3A §11.12.3). KVM forgives it; a real CPU may not."},
              host="test_x2apic"),
         Part("eoi", "the EOI is the right write in both modes", 15, {
             "x2apic.the_eoi_in_x2apic_mode_is_one_write_of_0_to_msr_0x80b":
                 "the x2APIC EOI register takes one write, and its bits are reserved (SDM vol. "
                 "3A §11.12.1.2): what may you write there?",
             "x2apic.the_eoi_in_xapic_mode_is_one_write_of_0_at_offset_0xb0":
                 "lapic_eoi() serves both modes: in xAPIC mode the EOI is a memory-mapped "
                 "register (SDM vol. 3A §11.8.5), and a WRMSR there raises #GP."},
              host="test_x2apic"),
         Part("start", "the APs start in x2APIC mode (KVM, 4 CPUs)", 20, {
             "smp.every_enabled_madt_cpu_is_online":
                 "an AP did not start: INIT and SIPI go through your ICR write, or the APIC ID "
                 "your x2apic_id() read is wrong (it is 32 bits, not shifted).",
             "smp.every_cpu_reads_its_own_apic_id":
                 "a CPU read an APIC ID that is not its own: which MSR holds the ID, and how "
                 "is a register offset turned into an MSR number (SDM vol. 3A §11.12.1.2)?"},
              boot="kvm4"),
         Part("ipi", "a call's IPIs reach every CPU, more than once", 30, {
             "smp.every_cpu_takes_a_probe_interrupt":
                 "a CPU never took the probe interrupt: the IPI did not leave, or went with "
                 "another vector or to another CPU.",
             "ipi.returns_the_callers_result_and_passes_the_argument":
                 "the call did not complete: its IPIs did not reach every CPU.",
             "ipi.every_cpu_runs_the_worker_exactly_once":
                 "the first interrupt arrived and later ones did not: an interrupt stays in "
                 "service until its handler ends it."},
              boot="kvm4"),
         Part("many", "thousands of calls, timer interrupts beside them", 20, {
             "ipi.stress_back_to_back_calls":
                 "calls stop after a while: an interrupt was not ended, or an IPI was lost.",
             "ipi.the_call_path_writes_no_task_priority_and_one_eoi_per_participant":
                 "the test counts APIC register accesses (count_access()) and task-priority "
                 "writes: one EOI per participant, and each access counted once.",
             "irql.clock_level_holds_the_timer_back":
                 "the timer stopped: its register writes (the LVT, the counts) go through "
                 "x2apic_write(), and its interrupts end with lapic_eoi()."},
              boot="kvm4")],
        [Mistake(r"WRMSR to 0x831", "x2APIC mode has no ICR_HIGH (MSR 0x831): a WRMSR to it "
                 "raises #GP.")]),
    Lab("init-sipi-sipi-open", "Starting an AP: INIT-SIPI-SIPI with bounded waits (open)",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=smp. ap_start=serial {FAST}")},
        [Part("sequence", "the SDM's sequence and delays, to each AP in turn", 30, {
            "ap_start.sdm_init_10ms_then_sipi_to_each_ap":
                "the fake APIC recorded IPIs or delays that differ from SDM vol. 3A §9.4.4.1 "
                "(INIT, 10 ms, STARTUP with the trampoline's page as its vector, a second "
                "STARTUP no sooner than sipi_us later and only to a silent AP), or an AP "
                "started before the one before it had checked in.",
            "ap_start.fast_delays":
                "with ap_start=fast the delays differ (none after INIT, 10 us after a SIPI): "
                "they come from the options, not from constants."},
              host="test_ap_start"),
         Part("second-sipi", "a second SIPI only for an AP that has not checked in", 20, {
             "ap_start.an_ap_that_needs_the_second_sipi_gets_it":
                 "an AP that missed the first SIPI must get a second; one that checked in "
                 "within the SIPI delay must not (this kernel's rule, not the SDM example's)."},
              host="test_ap_start"),
         Part("silent", "an AP that never answers is waited for, then left out", 20, {
             "ap_start.a_silent_ap_is_left_out_and_sent_back_to_init":
                 "a silent AP must be waited for up to options->timeout_ms after the second "
                 "SIPI, no longer, and `sent` must say whether the IPIs went out (the code "
                 "after your region parks it with an INIT)."},
              host="test_ap_start"),
         Part("qemu", "four CPUs online in QEMU, one started at a time", 30, {
             "smp.every_enabled_madt_cpu_is_online":
                 "QEMU's APs did not start, or not all: look at the SIPI's vector and at what "
                 "each AP gets first.",
             "smp.every_cpu_runs_on_its_own_stack":
                 "two CPUs share a stack: an AP was started twice, or before the previous one "
                 "had checked in (does your wait end when the AP is online?)."},
              boot="tcg4")]),
    Lab("barrier-open", "Both spin barriers, with their deadlines and sleeps (open)",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. barrier=central {FAST}")},
        [Part("central", "the central barrier: nobody leaves early, episode after episode", 25,
              BARRIER_OPEN_CASES["central"], host="test_rendezvous"),
         Part("dissemination", "the dissemination barrier: the same, in log2 n rounds", 25,
              BARRIER_OPEN_CASES["dissemination"], host="test_rendezvous"),
         Part("timeout", "a missing CPU: everyone gives up in time, exactly one reports", 20,
              BARRIER_OPEN_CASES["timeout"], host="test_rendezvous"),
         Part("sleep", "waiters that sleep are woken, and no wake-up is lost", 15,
              BARRIER_OPEN_CASES["sleep"], host="test_rendezvous"),
         Part("qemu", "the rendezvous on four CPUs in QEMU (central)", 15, BARRIER_QEMU_CASES,
              boot="tcg4")],
        [DATA_RACE, STOPPED_CASE]),
    Lab("rendezvous-caller-open", "The rendezvous, caller's side, with its lock (open)",
        {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. {FAST}")},
        [Part("everyone", "every chosen online CPU runs the worker, once, together", 30, {
            "ipi.every_cpu_runs_the_worker_exactly_once":
                "a CPU ran the worker twice or not at all: did each member get the call, "
                "published whole before its IPI, and take part once?",
            "ipi.every_worker_starts_after_all_arrive_and_ends_before_any_returns":
                "the workers did not run together: every member, the caller too, goes "
                "through the two barriers of take_part().",
            "ipi.a_subset_call_leaves_the_others_alone":
                "a CPU outside the call's set ran the worker: the members are the targets that "
                "are online, and the caller."},
              boot="tcg4"),
         Part("result", "the caller gets its own CPU's result", 20, {
             "ipi.returns_the_callers_result_and_passes_the_argument":
                 "the result returned is not the worker's on this CPU, or the worker did not "
                 "get the argument.",
             "ipi.a_call_from_an_ap_returns_that_aps_result":
                 "a call from an AP returned another CPU's result."},
              boot="tcg4"),
         Part("priority", "workers run at IPI_LEVEL with interrupts off", 20, {
             "ipi.workers_run_at_ipi_level_with_interrupts_off":
                 "a worker ran with interrupts on or below IPI_LEVEL: on the caller too, the "
                 "call runs as the participants' handler does.",
             "ipi.works_for_a_caller_with_interrupts_off":
                 "the caller's interrupt flag and level must come back as they were, not on."},
              boot="tcg4"),
         Part("callers", "many callers at once, and callers interrupted by a timer", 30, {
             "rendezvous.central_6_cpus_all_calling":
                 "with every CPU calling, the calls deadlocked or mixed: one call at a time, "
                 "and a CPU that waits its turn cannot take an IPI; what must it do meanwhile?",
             "rendezvous.dissemination_6_cpus_all_calling":
                 "as with the central barrier.",
             "rendezvous.timer_interrupt_that_calls_at_every_arch_call_of_the_caller":
                 "a timer interrupt that itself calls came in the middle of a call: from which "
                 "point on may no handler of this CPU run?",
             "rendezvous.a_queue_longer_than_the_timeout_still_moves":
                 "callers queued for longer than one call's timeout gave up or stopped: a wait "
                 "for the lock is bounded by progress (the lock or the calls moving), not by "
                 "time alone."},
              host="test_rendezvous")],
        [DATA_RACE, STOPPED_CASE]),
]
LABS += OPEN_LABS
LAB_BY_NAME = {lab.name: lab for lab in LABS}
# The names a reader expects by the <lab>-open rule, for the open lab that
# covers them (docs/labs/barrier-open.md says why the barriers have one).
OPEN_ALIASES = {"central-barrier-open": "barrier-open",
                "dissemination-barrier-open": "barrier-open"}
