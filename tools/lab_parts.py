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

# The MADT labs' cases, shared by the guided lab and the open one (whose
# extra cases check what the guided lab's helpers do: the fixed part, and
# the FADT's say on which disabled CPUs are possible).
MADT_WALK = {
    "all_types.entries":
        "every entry the walk reads counts in entry_count, and the next entry starts where this "
        "one's length byte says (ACPI 6.5 §5.2.12: type, then length, then the body); an "
        "unknown type is skipped by its length, not an error.",
    "all_types.cpus":
        "type 0 and type 9 entries become processors (add_cpu), in the order the table lists "
        "them; a type 9 entry's APIC ID is 32 bits.",
    "captured.q35-smp4":
        "QEMU's own table for 4 CPUs (tests/host/data/madt/q35-smp4.bin): compare what you "
        "found with the .expect file beside it.",
    "captured.pc-smp8":
        "QEMU's table for 8 CPUs on the pc machine: compare with pc-smp8.expect.",
    "captured.q35-smp6-2sockets":
        "two sockets: APIC IDs need not be contiguous; compare with q35-smp6-2sockets.expect.",
}
MADT_BAD_INPUT = {
    "zero_length_entry_stops":
        "an entry of length 0 must end the walk with a warning ('bad length'): moving on by its "
        "length would read it again forever.",
    "bad_input.a_zero_length_local_apic_entry_stops_the_walk":
        "a type 0 entry with length 0 is corrupt, not 8 bytes long: believe neither its length "
        "nor its type's size; stop, warn, keep the entries before it.",
    "entry_past_end":
        "an entry whose length runs past the table's end is corrupt: stop there with a warning, "
        "and do not use it.",
    "entry_too_short_for_type":
        "an entry shorter than its type's structure (an x2APIC entry of 8 bytes) is corrupt: "
        "reading its fields would read the next entry's bytes. Stop with a warning.",
    "bad_input.an_entry_cut_short_by_the_table_end_is_not_read":
        "the table ends inside an entry: check that its whole length fits in what is left "
        "before reading any field past the first two bytes.",
    "stray_byte":
        "one byte left at the end cannot hold a type and a length: warn ('stray byte') and "
        "stop, without reading a length byte past the table.",
    "bad_input.bytes_past_the_length_field_are_not_entries":
        "the walk ends at the table's length field, not at the length the caller passed: what "
        "follows the table in memory is not its entries.",
    "random_corruption":
        "3000 tables with random bytes changed: the counts must stay consistent (enabled + "
        "hot-pluggable = kept) and nothing may be read or written out of bounds.",
}
MADT_PLACEHOLDERS = {
    "quirks.cpus":
        "placeholder entries with the broadcast APIC ID (0xFF, or 0xFFFFFFFF in a type 9 entry) "
        "are no CPU, enabled or not (SDM vol. 3A §11.6.1: the ID addresses every CPU).",
    "quirks.broadcast_id_enabled_is_reported":
        "an *enabled* entry with APIC ID 0xFF is a firmware bug a person should hear of: ignore "
        "it with a warning naming the broadcast APIC ID.",
    "quirks.broadcast_x2apic_id_is_reported":
        "the x2APIC broadcast ID is 0xFFFFFFFF: an enabled type 9 entry with it is ignored with "
        "a warning too.",
    "quirks.disabled_placeholder_is_silent":
        "a *disabled* placeholder with the broadcast ID is routine: drop it without a warning.",
    "ami_ryzen_placeholders.placeholders_last.fourteen_cpus":
        "twenty disabled copies of one entry (APIC ID 0) after 14 CPUs: a disabled entry whose "
        "APIC ID is already listed is no second CPU.",
    "ami_ryzen_placeholders.placeholders_last.none_hotpluggable":
        "those disabled duplicates are not possible CPUs either: count them in "
        "disabled_duplicates, not in hotpluggable_count.",
    "ami_ryzen_placeholders.placeholders_first.fourteen_cpus":
        "the placeholders come first here: the enabled entry that comes later with the same ID "
        "is the CPU, in the placeholder's place (and the counts move from hot-pluggable to "
        "enabled).",
    "ami_ryzen_placeholders.placeholders_first.none_hotpluggable":
        "once the enabled entry replaces a placeholder, that placeholder is a duplicate, no "
        "longer a possible CPU: 0 hot-pluggable, 20 duplicates.",
    "ami_ryzen_placeholders.placeholders_first.no_warning":
        "a disabled duplicate is routine in real firmware: no warning, whichever comes first.",
}
MADT_POSSIBLE = {
    "flags.rev4_disabled_is_hotpluggable":
        "a disabled entry is not absent: before ACPI 6.3 it is a CPU that may be hot-added "
        "(possible, hotpluggable_count), as Linux and QEMU's -smp N,maxcpus=M take it. "
        "cpu_usable() says which disabled entries count.",
    "flags.rev5_online_capable":
        "from ACPI 6.3 a disabled entry is possible only with the Online Capable flag (bit 1, "
        "ACPI 6.5 §5.2.12.2); an enabled one is enabled whatever bit 1 says.",
    "online_capable.madt_rev2_fadt_6_3_disabled_is_not_possible":
        "the FADT's version (6.3 here), not the MADT's revision (2), says whether Online "
        "Capable is defined: this disabled entry without it can never come online.",
    "online_capable.madt_rev2_fadt_6_2_disabled_is_possible":
        "beside a FADT older than 6.3 a disabled entry stays possible, Online Capable or not.",
    "captured.pc-smp3-maxcpus8":
        "QEMU's -smp 3,maxcpus=8 lists 5 disabled CPUs: possible=8. Compare with "
        "pc-smp3-maxcpus8.expect.",
    "captured.q35-smp2-maxcpus4":
        "QEMU's -smp 2,maxcpus=4: possible=4 (compare with q35-smp2-maxcpus4.expect).",
}
MADT_DUPLICATES = {
    "duplicate_apic_id_skipped":
        "one APIC ID, one local APIC: a second enabled entry with an ID already listed is "
        "skipped with a warning ('APIC ID 300 is listed twice'), not counted.",
    "two_enabled_entries_with_one_apic_id_are_reported":
        "two enabled entries with one APIC ID: keep the first, warn once about the second.",
    "quirks.duplicate_is_reported":
        "APIC ID 5 is listed twice, enabled both times: one CPU, one warning.",
    "boot_cpu_in_an_x2apic_entry_then_a_local_apic_entry.counts_once":
        "the boot CPU is listed by an x2APIC entry (ID 0) before the type 0 entries: whether "
        "type 0 entries list CPUs is known only from the whole table (lists_local_apic_cpus, "
        "computed before the walk), so the x2APIC entry is ignored and the CPU counts once, "
        "from its type 0 entry.",
    "boot_cpu_in_an_x2apic_entry_then_a_local_apic_entry.no_warning":
        "an x2APIC entry with an ID below 255 beside type 0 CPUs is ignored silently, not "
        "reported as a duplicate.",
}
MADT_NMI = {
    "all_types.nmis":
        "type 4 and type 0xA entries are kept in nmis[] with their UID, flags and LINT pin.",
    "nmi.more_than_16_local_apic_nmi_entries_give_no_warning":
        "firmware lists one NMI entry per processor entry, placeholders too: more than "
        "MADT_MAX_NMIS is routine, not worth a warning.",
    "nmi.more_than_16_local_apic_nmi_entries_keep_the_first_16":
        "keep the first MADT_MAX_NMIS, count the rest in nmis_unused, and never write past "
        "nmis[].",
    "nmi_for_every_processor.local_apic_uid_0xff_means_all":
        "a local APIC NMI entry's UID 0xFF means every processor (ACPI 6.5 §5.2.12.7): keep it "
        "as MADT_UID_ALL_X2APIC, the one 'all' value readers test.",
    "nmi_for_every_processor.a_single_processor_uid_is_kept":
        "an NMI entry for one processor keeps that processor's UID.",
    "nmi_for_every_processor.x2apic_uid_0xffffffff_means_all":
        "a local x2APIC NMI entry's UID is 32 bits; 0xFFFFFFFF already means every processor "
        "(§5.2.12.13).",
}
MADT_X2APIC = {
    "x2apic_only_table_is_used":
        "firmware in x2APIC mode lists its CPUs in type 9 entries only (beside a broadcast-ID "
        "placeholder): then they are the CPUs, whatever their IDs.",
    "x2apic_below_255_beside_local_apic_entries.ignored":
        "beside type 0 entries that list CPUs, a type 9 entry with an ID below 255 is ignored "
        "(ACPI 6.5 §5.2.12.12: x2APIC entries are for IDs that do not fit in 8 bits) and "
        "counted in x2apic_small_ids; IDs of 255 and more are CPUs.",
    "x2apic_below_255_beside_local_apic_entries.no_warning":
        "those ignored x2APIC entries are routine: no warning.",
    "cpus_288":
        "255 type 0 entries and 33 type 9 entries with IDs 255-287: 288 CPUs.",
    "cpu_array_full":
        "more processors than MADT_MAX_CPUS: keep the first ones, warn ('more than'), and never "
        "write past cpus[].",
    "captured.q35-kvm-smp288":
        "QEMU's table for 288 CPUs lists IDs from 255 on in x2APIC entries: compare with "
        "q35-kvm-smp288.expect.",
    "captured.q35-smp255":
        "255 CPUs: compare with q35-smp255.expect.",
}
MADT_TABLE = {
    "all_types.valid":
        "a good table parses with no warning and madt_parse returns true.",
    "bad_checksum":
        "every byte of the table, by its length field, sums to 0 mod 256 (ACPI 6.5 §5.2.6); "
        "refuse it otherwise, with a warning naming the checksum.",
    "bad_signature":
        "the signature is \"APIC\" (ACPI 6.5 table 5.5): refuse anything else, with a warning.",
    "truncated_buffer":
        "the table's length field says more bytes than the caller has: refuse it ('length "
        "field'), before reading any of them.",
    "tiny_buffer":
        "fewer bytes than the header and the MADT's fixed part: refuse before reading.",
    "null_table":
        "no table at all (NULL): refuse it.",
    "length_below_fixed_part":
        "a length field shorter than the fixed part (44 bytes) is corrupt: refuse it.",
    "zero_cpus":
        "a table with no processor is valid, but worth a warning ('no enabled processor').",
    "all_types.ioapic":
        "I/O APIC entries (type 1) are kept with their ID, address and GSI base.",
    "all_types.overrides":
        "interrupt source overrides (type 2) are kept: bus, source, GSI and flags.",
    "all_types.address_override":
        "a local APIC address override (type 5) replaces the fixed part's 32-bit address.",
    "all_types.pcat_compat":
        "PCAT_COMPAT (flags bit 0 of the fixed part) says the 8259s are there; keep the "
        "revision too.",
}
# The open lab grades the FADT rule on every version the host test tries.
MADT_ONLINE_CAPABLE_MORE = [
    "madt_rev2_fadt_6_5_disabled_is_not_possible", "madt_rev2_fadt_7_0_disabled_is_not_possible",
    "madt_rev2_fadt_6_3_online_capable_is_possible", "madt_rev2_fadt_5_1_disabled_is_possible",
    "madt_rev2_fadt_5_0_disabled_is_possible", "madt_rev5_fadt_6_2_disabled_is_possible",
    "madt_rev5_fadt_6_3_disabled_is_not_possible"]
MADT_ONLINE_CAPABLE_HINT = (
    "Online Capable (flags bit 1) is defined from ACPI 6.3; which version the firmware follows "
    "is the FADT's (major.minor, compared as a pair: 7.0 is after 6.3), and only without a "
    "FADT ({0, 0}) the MADT's revision (5 for ACPI 6.3). Where it is defined a disabled entry "
    "is possible only with the bit; before, every disabled entry is.")
MADT_HUNG = Mistake(
    r"^hung:",
    "madt_parse did not return: the walk stopped moving. Moving on by an entry's length byte "
    "never ends when that byte is 0; an entry too short for its type, or running past the "
    "table, must end the walk instead.")
MADT_OUT_OF_BOUNDS = Mistake(
    r"AddressSanitizer: (heap|global|stack)-buffer-overflow",
    "the parser read or wrote outside what it may: each test gives it a copy of exactly the "
    "table's bytes, so a read past them stops it. Check that two bytes remain before reading "
    "an entry's type and length, and that its whole length fits before reading its body.")


def madt_part(name, title, points, cases):
    return Part(name, title, points, cases, host="test_madt")

# The IRQL labs: the guided one (irql_raise, irql_lower, the lazy record)
# and the open one (all of arch/x86_64/priority.c's task priority besides)
# share their host cases, graded by tests/host/test_irql.c, and one boot.
IRQL_BOOT = {"tcg2": dict(accel="tcg", smp="2", cmdline=f"test=irql. {FAST}")}
IRQL_LEVEL_CASES = {
    "irql.raise_returns_the_old_level_and_lower_goes_back":
        "irql_raise returns the level in effect before it (irql_current() first), and "
        "irql_lower(old) goes back to it: both set the level with arch_set_task_priority, "
        "which is what irql_current() reads.",
    "irql.raising_to_the_level_in_effect_is_allowed":
        "raising to the level already in effect is allowed (new == old): refuse only a level "
        "below the current one.",
    "irql.raising_to_a_lower_level_panics_naming_both":
        "irql_raise to a level below the current one must panic() before changing anything, "
        "naming both levels with irql_name().",
    "irql.lowering_to_a_higher_level_panics_naming_both":
        "irql_lower to a level above the current one must panic() before changing anything, "
        "naming both levels with irql_name().",
    "irql.raising_above_high_level_panics":
        "a level above HIGH_LEVEL (15) does not exist: CR8 has four bits. irql_raise must "
        "refuse it too.",
}
IRQL_LAZY_CASES = {
    "irql.no_cr8_write_while_interrupts_are_off":
        "with interrupts off no maskable interrupt is taken whatever CR8 holds: record the "
        "level (w->priority) and leave CR8 alone; writing it is a VM exit under a hypervisor "
        "without APIC virtualisation.",
    "irql.a_raise_with_interrupts_on_holds_the_timer_back_at_once":
        "with interrupts on the raise must reach CR8 before irql_raise returns (program()), "
        "or an interrupt the new level masks gets in; and a raise and a lower cost one CR8 "
        "write each, no more (an interrupt handled in between writes none).",
    "irql.a_lower_with_interrupts_on_lets_a_held_interrupt_in":
        "with interrupts on a lower must reach CR8 at once: the APIC holds a masked interrupt "
        "pending and delivers it only when CR8 drops below its class.",
    "irql.raising_to_the_level_cr8_holds_writes_nothing":
        "write CR8 through program(), which skips a write of the value CR8 already holds and "
        "counts each write in cr8_writes (the self-tests read it).",
}
IRQL_QEMU_CASES = {
    "irql.raise_and_lower_round_trip":
        "the levels do not round-trip in the kernel: see the levels part's hints.",
    "irql.clock_level_holds_the_timer_back":
        "under QEMU the timer got through at CLOCK_LEVEL, or never came at DISPATCH_LEVEL: "
        "CR8 does not follow the level while interrupts are on.",
    "irql.the_hardware_catches_up_when_interrupts_are_enabled":
        "the self-test reads CR8 itself: nothing written while interrupts are off, the level "
        "there as soon as they are on, two writes in all (cr8_writes).",
    "irql.a_handler_that_enables_interrupts_gives_the_level_back":
        "after a timer handler that enabled interrupts, the interrupted code ran with CR8 at "
        "the handler's level: priority_leave_handler must write the interrupted level back.",
}

# The TLB shoot-down labs (guided and open) share their parts; the open one
# also owns the empty range's early return, which the guided lab gives.
TLB_BOOTS = {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=tlb. {FAST}")}
TLB_SET_CASES = {
    "tlb.each_cpu_of_the_set_flushes_the_page":
        "each CPU of the set, and the caller, flushes the page once, and no other CPU runs "
        "the worker: pass the set to ipi_generic_call_set, and flush in the worker only.",
    "tlb.a_cpu_outside_the_set_is_not_interrupted":
        "a CPU outside the set ran the worker: ipi_generic_call interrupts every online CPU; "
        "a shoot-down for a set calls ipi_generic_call_set(cpus, ...).",
    "tlb.the_caller_flushes_in_the_worker_even_outside_the_set":
        "the caller changed the tables and may hold the old entry too: it flushes in the "
        "worker, which the rendezvous runs on the caller whether it is in the set or not. A "
        "flush before or after the call, outside the worker, is not counted.",
    "tlb.no_set_means_every_online_cpu":
        "cpus NULL means every online CPU: call ipi_generic_call (ipi_generic_call_set with "
        "NULL does the same).",
}
TLB_RANGE_CASES = {
    "tlb.every_page_of_the_range_is_flushed_once":
        "every CPU flushes each of the pages, first, first + ARCH_PAGE_SIZE, ..., once: the "
        "worker loops over range->pages (an INVLPG drops one page's entry, SDM vol. 3A "
        "§4.10.4.1).",
    "tlb.one_rendezvous_per_shootdown":
        "the shoot-down made more (or fewer) than one rendezvous: one call whose worker "
        "flushes the whole range costs one round of IPIs, a call per page one per page.",
}
TLB_AP_CASES = {
    "tlb.a_shootdown_from_an_ap_flushes_that_ap_too":
        "called from CPU 2 for CPU 0, CPUs 0 and 2 must flush and no other: nothing in the "
        "shoot-down may assume the boot CPU calls.",
}
TLB_QEMU_CASES = {
    "tlb.every_online_cpu_has_flushed_the_page_when_it_returns":
        "when tlb_shootdown returned, a CPU had not flushed the page exactly once: flush in "
        "the worker only, and return after every worker has (the rendezvous waits for them; "
        "posting work to each CPU and going on does not).",
    "tlb.a_range_flushes_each_of_its_pages_once":
        "in QEMU a CPU flushed the wrong pages of a 3-page range, or some twice.",
    "tlb.cpus_outside_the_set_are_not_interrupted":
        ("in QEMU a CPU outside the set flushed, or the one CPU in it did not: pass the set to "
         "the rendezvous."),
    "tlb.the_caller_flushes_even_when_outside_the_set":
        "in QEMU the calling CPU, outside the set, did not flush its own TLB.",
    "tlb.a_shootdown_from_an_ap_reaches_every_cpu":
        "a shoot-down called on an AP did not reach every CPU, or did not return.",
    "tlb.a_cpu_that_reads_after_the_shootdown_sees_the_new_frame":
        "a CPU read the old frame through a page remapped and shot down: its TLB kept the "
        "old translation (QEMU's TCG keeps them until flushed, as a real CPU may).",
}


def tlb_parts(open_lab):
    range_cases = dict(TLB_RANGE_CASES)
    if open_lab:
        range_cases["tlb.an_empty_range_interrupts_nobody"] = (
            "a shoot-down of 0 pages must interrupt no CPU: return before the rendezvous.")
    return [Part("set", "the CPUs of the set and the caller flush, no other", 30,
                 TLB_SET_CASES, host="test_tlb"),
            Part("range", "each page of the range, in one rendezvous", 20, range_cases,
                 host="test_tlb"),
            Part("ap", "a shoot-down from an AP", 10, TLB_AP_CASES, host="test_tlb"),
            Part("qemu", "the shoot-down on four CPUs in QEMU, and a remapped page read", 40,
                 TLB_QEMU_CASES, boot="tcg4")]


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
    Lab("madt", "The MADT parser: entries, placeholders, NMI lists, x2APIC",
        {},
        [madt_part("walk", "every entry read, each by its own length", 10, MADT_WALK),
         madt_part("bad-input", "a corrupt entry ends the walk, in bounds and with a warning", 25,
                   MADT_BAD_INPUT),
         madt_part("placeholders", "broadcast-ID and duplicate placeholders are no CPU", 15,
                   MADT_PLACEHOLDERS),
         madt_part("possible", "disabled CPUs that could come online are possible", 15,
                   MADT_POSSIBLE),
         madt_part("duplicates", "one APIC ID, one CPU; the boot CPU counted once", 10,
                   MADT_DUPLICATES),
         madt_part("nmi", "NMI entries: the first 16 kept, 0xFF meaning every processor", 10,
                   MADT_NMI),
         madt_part("x2apic", "x2APIC entries: IDs above 254, and x2APIC-only tables", 15,
                   MADT_X2APIC)],
        [MADT_HUNG, MADT_OUT_OF_BOUNDS]),
    Lab("madt-open", "The MADT parser, from the contract alone",
        {},
        [madt_part("table", "the header and the fixed part checked; every entry type kept", 10,
                   MADT_TABLE),
         madt_part("walk", "every entry read, each by its own length", 10, MADT_WALK),
         madt_part("bad-input", "a corrupt entry ends the walk, in bounds and with a warning", 20,
                   MADT_BAD_INPUT),
         madt_part("placeholders", "broadcast-ID and duplicate placeholders are no CPU", 15,
                   MADT_PLACEHOLDERS),
         madt_part("possible", "disabled CPUs that could come online, by the FADT's version", 15,
                   {**MADT_POSSIBLE, **{f"online_capable.{c}": MADT_ONLINE_CAPABLE_HINT
                                        for c in MADT_ONLINE_CAPABLE_MORE}}),
         madt_part("duplicates", "one APIC ID, one CPU; the boot CPU counted once", 10,
                   MADT_DUPLICATES),
         madt_part("nmi", "NMI entries: the first 16 kept, 0xFF meaning every processor", 5,
                   MADT_NMI),
         madt_part("x2apic", "x2APIC entries: IDs above 254, and x2APIC-only tables", 15,
                   MADT_X2APIC)],
        [MADT_HUNG, MADT_OUT_OF_BOUNDS]),
    Lab("irql", "The IRQL and the lazy task priority (guided)", IRQL_BOOT,
        [Part("levels", "raise and lower return, refuse and set the right levels", 30,
              IRQL_LEVEL_CASES, host="test_irql"),
         Part("lazy", "CR8 written only with interrupts on, and then at once", 40,
              IRQL_LAZY_CASES, host="test_irql"),
         Part("qemu", "the IRQL self-tests on two CPUs in QEMU", 30, IRQL_QEMU_CASES,
              boot="tcg2")]),
    Lab("irql-open", "The IRQL and the lazy task priority (open)", IRQL_BOOT,
        [Part("levels", "raise and lower return, refuse and set the right levels", 20,
              IRQL_LEVEL_CASES, host="test_irql"),
         Part("lazy", "CR8 written only with interrupts on, and then at once", 25,
              dict(IRQL_LAZY_CASES, **{
                  "irql.without_an_apic_the_level_is_kept_in_memory":
                      "without an APIC (lapic_active() false) keep the level in the per-CPU "
                      "words as always, and never write CR8: it is the APIC's TPR."}),
              host="test_irql"),
         Part("enable", "CR8 brought up to date before every STI", 20, {
             "irql.enabling_interrupts_writes_cr8_before_sti":
                 "arch_interrupts_enable must write the recorded level to CR8 (priority_sync) "
                 "and then execute STI: in the other order an interrupt the level masks is "
                 "taken between the two.",
             "irql.restoring_interrupts_brings_cr8_up_to_date":
                 "arch_interrupts_restore(true) enables interrupts too: bring CR8 up to date "
                 "first (call arch_interrupts_enable)."},
              host="test_irql"),
         Part("handlers", "a handler runs at its vector's level and gives the level back", 15, {
             "irql.a_handler_runs_at_its_vectors_level_with_no_cr8_write":
                 "priority_enter_handler makes the vector's class (vector >> 4) the level, "
                 "with no CR8 write: the vector in service holds its class back (the "
                 "processor priority, SDM vol. 3A §11.8.3.1); it returns the interrupted "
                 "level for priority_leave_handler, which writes CR8 only if it does not hold "
                 "that level already.",
             "irql.a_handler_that_enables_interrupts_puts_the_interrupted_level_back_in_cr8":
                 "a handler that enabled interrupts wrote its own level to CR8; "
                 "priority_leave_handler must put the interrupted level back in CR8 (a write "
                 "only if it differs), before the IRETQ sets IF again."},
              host="test_irql"),
         Part("qemu", "the IRQL self-tests on two CPUs in QEMU", 20, IRQL_QEMU_CASES,
              boot="tcg2")]),
    Lab("tlb-shootdown", "The TLB shoot-down on the rendezvous", TLB_BOOTS, tlb_parts(False)),
    Lab("tlb-shootdown-open", "The TLB shoot-down on the rendezvous (open)", TLB_BOOTS,
        tlb_parts(True)),

]

# The participant's labs, guided and open: the same parts, and the same
# boot as the caller's lab.
PARTICIPANT_HOST_CASES_TOGETHER = {
    "rendezvous.central_2_cpus_all_calling":
        "a call came back wrong (the message says which check): a worker that started before "
        "every member had marked its arrival, a worker whose hand-off was not finished when "
        "the call returned, or a caller that got another value than its own worker's. Mark "
        "the arrival, wait at the arrival barrier, run the worker, record its result in "
        "me->ipi.result, and only then wait at the completion barrier.",
}
PARTICIPANT_HOST_CASES_SETS = {
    "rendezvous.central_5_cpus_one_caller_all_subset_self":
        "the calls alternate between everyone, a subset and the caller alone; the message "
        "says which check failed. \"ran N workers and got N IPIs\": a CPU ran a call it is not "
        "in, ran one twice, or missed one: take part only as a member that has not served the "
        "call yet (me->ipi.served), with the rank that the call's own set gives this CPU. "
        "\"started before CPU n arrived\": a worker ran before the arrival barrier.",
    "rendezvous.dissemination_5_cpus_one_caller_all_subset_self":
        "as with the central barrier; the dissemination barrier picks each round's partner "
        "by rank, so a rank taken from an older call's set waits for the wrong CPU.",
    "rendezvous.a_cpu_waiting_for_the_lock_stays_out_of_a_call_it_is_not_in":
        "CPU 2, queued for the call lock, looked at a call made for CPUs 0 and 1 and took part "
        "in it: a CPU that polls for calls sees every call, its own or not. Take part only "
        "when this CPU is in the call's members (and note the call seen either way).",
}
PARTICIPANT_HOST_CASES_TIMEOUT = {
    "rendezvous.a_cpu_arriving_during_the_report_is_named_and_said_late":
        "CPU 2 came to the arrival barrier after CPU 0 had declared the call timed out, and "
        "it (or CPU 1, which was waiting there) ran the worker anyway, or never said when it "
        "learned of the abort: on BARRIER_ABORTED store the time in me->ipi.aborted_at, then "
        "the call's number in me->ipi.aborted (release), and halt; on BARRIER_TIMED_OUT or "
        "BARRIER_LATE call report_timeout().",
    "rendezvous.a_cpu_stuck_in_the_worker_lets_nobody_past_the_exit":
        "a CPU stayed in its worker past the deadline, and a CPU went past the completion "
        "barrier (or the caller returned): an aborted completion barrier stops every "
        "participant where it is, exactly as an aborted arrival barrier does.",
}
PARTICIPANT_QEMU_CASES = {
    "ipi.every_cpu_runs_the_worker_exactly_once":
        "a CPU ran the worker twice or not at all: the IPI handler must take part once per "
        "call, and a CPU that already served a call by polling must ignore its late IPI.",
    "ipi.every_worker_starts_after_all_arrive_and_ends_before_any_returns":
        "the workers did not run together: the worker runs between the arrival barrier and "
        "the completion barrier, on every member.",
    "ipi.refused_inside_a_worker":
        "a worker's own call was not refused as nested: run the worker through "
        "run_worker(), which sets me->ipi.in_worker (and the worker and caller, which a "
        "fault's report names) just before it runs, and clears it when it returns.",
    "ipi.calls_complete_when_the_waiters_sleep":
        "with waiters that sleep at the barriers, calls did not complete or a worker ran a "
        "wrong number of times: every wait goes through barrier_wait, which wakes sleepers.",
}


def participant_lab(name, title):
    return Lab(name, title,
               {"tcg4": dict(accel="tcg", smp="4", cmdline=f"test=ipi. {FAST}")},
               [Part("together", "every member runs the worker once, between the two barriers, "
                     "and the caller gets its own result", 30, PARTICIPANT_HOST_CASES_TOGETHER,
                     host="test_rendezvous"),
                Part("sets", "members only, once per call, as the set changes from call to call",
                     20, PARTICIPANT_HOST_CASES_SETS, host="test_rendezvous"),
                Part("timeout", "an aborted call: no worker starts, nobody leaves", 25,
                     PARTICIPANT_HOST_CASES_TIMEOUT, host="test_rendezvous"),
                Part("qemu", "the rendezvous on four CPUs in QEMU, workers inside the rules", 25,
                     PARTICIPANT_QEMU_CASES, boot="tcg4")],
               [DATA_RACE, STOPPED_CASE])


LABS += [
    participant_lab("rendezvous-participant",
                    "The rendezvous, participant's side: the IPI handler and take_part"),
    participant_lab("rendezvous-participant-open",
                    "The rendezvous, participant's side, from the contract alone"),
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
