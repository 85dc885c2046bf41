/*
 * test_smp.c - every CPU the MADT lists is online and really is itself:
 * each takes a probe interrupt and records, on its own stack, its APIC ID
 * (from CPUID) and the per-CPU block GS points to.
 */
#include "kernel/arch.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"
#include "kernel/firmware/acpi.h"
#include "kernel/firmware/acpi_tables.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/string.h"

#define PAGE 4096u

static bool probed;

/* The probe runs once; the tests below read what it recorded. */
static void probe_once(struct ktest_ctx *t)
{
    if (!probed) {
        probed = true;
        EXPECT_EQ(t, 0, smp_probe_all());
    }
}

KTEST(smp, boot_cpu_is_index_0)
{
    struct cpu *self = arch_this_cpu();
    ASSERT_TRUE(t, self != 0);
    EXPECT_EQ(t, 0, self->index);
    EXPECT_TRUE(t, self == smp_cpu(0));
    EXPECT_EQ(t, arch_cpu_hw_id(), self->hw_id);
}

KTEST(smp, every_enabled_madt_cpu_is_online)
{
    KTEST_NEEDS_APIC(t); /* without one, the APs the MADT lists cannot be started */
    const struct madt_info *madt = kernel_madt();
    if (!madt->valid)
        KTEST_SKIP(t, "no usable MADT");
    /* maxcpus= leaves the rest halted on purpose. */
    size_t wanted = madt->enabled_count, limit = boot_options.maxcpus;
    if (limit != 0 && limit < wanted)
        wanted = limit;
    EXPECT_EQ(t, wanted, smp_online_count());
    EXPECT_EQ(t, madt->enabled_count + madt->hotpluggable_count, smp_possible_count());
    for (size_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, CPU_ONLINE, cpu_state(smp_cpu(i)));
    /* The MADT against itself proves little: where the runner says how
     * many CPUs QEMU made (expect_cpus=), every one of them must be online. */
    if (boot_options.expect_cpus != 0)
        EXPECT_EQ(t,
                  limit != 0 && limit < boot_options.expect_cpus ? limit : boot_options.expect_cpus,
                  smp_online_count());
}

/* Each online CPU's APIC ID as it reads it itself (CPUID, in the probe
 * interrupt), not as the kernel copied it from the MADT, must be one the
 * MADT lists as enabled; a slot that never came online is held to the ID
 * it was given. */
KTEST(smp, cpu_slots_match_madt_ids)
{
    KTEST_NEEDS_APIC(t);
    const struct madt_info *madt = kernel_madt();
    if (!madt->valid)
        KTEST_SKIP(t, "no usable MADT");
    probe_once(t);
    for (size_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *c = smp_cpu(i);
        uint32_t id = cpu_online(c) ? c->probe.hw_id : c->hw_id;
        bool found = false;
        for (size_t m = 0; m < madt->cpu_count; m++)
            found |= madt->cpus[m].enabled && madt->cpus[m].hw_id == id;
        EXPECT_TRUE(t, found);
    }
}

KTEST(smp, every_cpu_takes_a_probe_interrupt)
{
    KTEST_NEEDS_APIC(t);
    probe_once(t);
    for (size_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_TRUE(t, atomic_load_acquire(&smp_cpu(i)->probe.interrupts) >= 1);
}

KTEST(smp, every_cpu_reads_its_own_apic_id)
{
    KTEST_NEEDS_APIC(t);
    probe_once(t);
    for (size_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, smp_cpu(i)->hw_id, smp_cpu(i)->probe.hw_id);
}

KTEST(smp, every_cpu_has_its_own_gs_block)
{
    KTEST_NEEDS_APIC(t);
    probe_once(t);
    for (size_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *c = smp_cpu(i);
        EXPECT_TRUE(t, c->probe.gs_block == c);
        EXPECT_TRUE(t, c->self == c);
    }
}

KTEST(smp, every_cpu_runs_on_its_own_stack)
{
    KTEST_NEEDS_APIC(t);
    probe_once(t);
    for (size_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *c = smp_cpu(i);
        uintptr_t sp = c->probe.stack_pointer;
        EXPECT_TRUE(t, sp >= c->stack_lo && sp < c->stack_hi);
        for (size_t j = 0; j < i; j++) /* no two stacks overlap */
            EXPECT_TRUE(t,
                        c->stack_hi <= smp_cpu(j)->stack_lo || c->stack_lo >= smp_cpu(j)->stack_hi);
    }
}

KTEST(smp, ap_stacks_have_guard_pages)
{
    if (smp_cpu_count() < 2)
        KTEST_SKIP(t, "one CPU");
    for (size_t i = 1; i < smp_cpu_count(); i++) {
        struct cpu *c = smp_cpu(i);
        EXPECT_TRUE(t, !arch_page_is_mapped(c->stack_lo - PAGE));
        EXPECT_TRUE(t, arch_page_is_mapped(c->stack_lo));
        EXPECT_TRUE(t, arch_page_is_mapped(c->stack_hi - PAGE));
    }
}

KTEST(apic, mode_follows_the_command_line)
{
    KTEST_NEEDS_APIC(t);
    const char *want = boot_options.apic == APIC_REQUEST_XAPIC    ? "xapic"
                       : boot_options.apic == APIC_REQUEST_X2APIC ? "x2apic"
                                                                  : "auto";
    const char *mode = arch_apic_mode_name();
    EXPECT_TRUE(t, strcmp(mode, "xapic") == 0 || strcmp(mode, "x2apic") == 0);
    /* A firmware that enabled x2APIC (firmware_x2apic stands in for one)
     * decides: the mode cannot be left. expect_apic still holds then. */
    if (boot_options.firmware_x2apic && strcmp(mode, "x2apic") == 0)
        want = "x2apic";
    if (strcmp(want, "xapic") == 0 || strcmp(want, "x2apic") == 0)
        EXPECT_STREQ(t, want, mode);
    /* Most boots pass no apic=: hold "auto" against the mode the runner
     * knows the machine gives (QEMU's TCG has no x2APIC, its KVM has). */
    const char *expected = boot_options.expect_apic;
    if (expected != NULL)
        EXPECT_STREQ(t, expected, mode);
}

KTEST(apic, addressable_range_fits_the_mode)
{
    KTEST_NEEDS_APIC(t);
    uint32_t max = arch_hw_id_max();
    if (strcmp(arch_apic_mode_name(), "xapic") == 0)
        EXPECT_EQ(t, 0xFE, max);
    else
        EXPECT_TRUE(t, max > 0xFF);
}

KTEST(timing, tsc_frequency_is_plausible)
{
    uint64_t hz = arch_cycles_per_second();
    EXPECT_TRUE(t, hz >= 100000000ull && hz <= 20000000000ull);
}

KTEST(timing, source_follows_the_command_line)
{
    enum clock_source want = boot_options.tsc_source;
    const char *got = arch_cycles_source();
    if (want == CLOCK_PIT)
        EXPECT_STREQ(t, "PIT channel 2", got);
    else if (want == CLOCK_PM_TIMER)
        EXPECT_STREQ(t, "ACPI PM timer", got);
    else if (want == CLOCK_HPET)
        EXPECT_STREQ(t, "HPET", got);
    /* What the runner knows the machine has; without it, a guess is wrong. */
    const char *expected = boot_options.expect_clock;
    if (expected != NULL)
        EXPECT_TRUE(t, strncmp(got, expected, strlen(expected)) == 0);
    else
        EXPECT_TRUE(t, strstr(got, "assuming") == 0);
}

KTEST(timing, udelay_waits_at_least_as_long_as_asked)
{
    uint64_t start = arch_cycles();
    arch_udelay(2000);
    uint64_t elapsed = arch_cycles() - start;
    EXPECT_TRUE(t, elapsed >= cycles_from_ms(2));
}

/* The calibration held against the TSC: ticks of a 1 ms periodic timer
 * cannot come faster than one a millisecond. A calibration that counted
 * too few APIC ticks per millisecond makes them come early. */
#define CALIBRATION_TICKS 5

KTEST(timing, apic_timer_is_calibrated)
{
    KTEST_NEEDS_APIC(t);
    ASSERT_TRUE(t, arch_timer_ticks_per_ms() > 0);
    struct cpu *me = arch_this_cpu();
    uint64_t per_ms = arch_cycles_per_second() / 1000;
    arch_interrupts_enable();
    arch_timer_start(1);
    uint64_t first = me->timer_ticks, start = 0;
    uint64_t give_up = arch_cycles() + 10000 * per_ms;
    while (me->timer_ticks == first && (int64_t)(arch_cycles() - give_up) < 0)
        arch_cpu_relax(); /* line up with a tick */
    start = arch_cycles();
    uint64_t from = me->timer_ticks;
    while (me->timer_ticks < from + CALIBRATION_TICKS && (int64_t)(arch_cycles() - give_up) < 0)
        arch_cpu_relax();
    uint64_t elapsed = arch_cycles() - start, ticks = me->timer_ticks - from;
    arch_timer_start(0);
    arch_interrupts_disable();
    kprintf("# %llu ticks of 1 ms took %llu us by the TSC\n", (unsigned long long)ticks,
            (unsigned long long)(elapsed / (per_ms / 1000)));
    /* A loaded host may deliver ticks late, several at once, or merge
     * them, but a 1 ms timer never gives more ticks than milliseconds
     * passed (plus the one the start was lined up with). 80 %: room for
     * the TSC's own calibration error. */
    EXPECT_TRUE(t, ticks >= CALIBRATION_TICKS);
    EXPECT_TRUE(t, elapsed >= (ticks - 1) * per_ms * 8 / 10);
}

KTEST(acpi, rsdp_and_root_table_found)
{
    const struct acpi_state *s = acpi_state();
    if (s->rsdp_source == RSDP_NONE && boot_options.expect_no_acpi)
        KTEST_SKIP(t, "the machine has no ACPI tables (the runner says so)");
    EXPECT_TRUE(t, s->rsdp_source != RSDP_NONE);
    EXPECT_TRUE(t, s->root_phys != 0);
    EXPECT_TRUE(t, s->madt_phys != 0);
    /* ACPI 2.0+ firmware has an XSDT, and the kernel must prefer it. */
    if (s->revision >= 2)
        EXPECT_TRUE(t, s->use_xsdt);
}

KTEST(acpi, madt_copy_parses_again_identically)
{
    size_t length;
    if (!kernel_madt()->valid)
        KTEST_SKIP(t, "no usable MADT");
    const uint8_t *copy = acpi_madt_copy(&length);
    ASSERT_TRUE(t, copy != 0);
    static struct madt_info again;
    EXPECT_TRUE(t, madt_parse(copy, length, kernel_madt()->fadt, &again));
    EXPECT_EQ(t, kernel_madt()->enabled_count, again.enabled_count);
    EXPECT_EQ(t, kernel_madt()->hotpluggable_count, again.hotpluggable_count);
    EXPECT_EQ(t, 0, acpi_checksum(copy, length));
    /* The copy against the firmware's own table, still in memory. */
    const void *firmware = arch_phys_to_virt(acpi_state()->madt_phys, length);
    ASSERT_TRUE(t, firmware != 0);
    EXPECT_EQ(t, 0, memcmp(firmware, copy, length));
}

/* An NMI the kernel did not send (a watchdog, a front-panel button):
 * reported and survived, not a panic. This CPU sends it to itself. */
static volatile uint64_t nmi_witness;

KTEST(smp, an_nmi_nobody_asked_for_is_reported_and_survived)
{
    KTEST_NEEDS_APIC(t);
    uint64_t before = ipi_unexpected_nmis();
    ASSERT_TRUE(t, arch_send_ipi_to(arch_this_cpu()->index, IPI_NMI));
    uint64_t deadline = arch_cycles() + arch_cycles_per_second(); /* 1 s */
    while (ipi_unexpected_nmis() == before && (int64_t)(arch_cycles() - deadline) < 0)
        arch_cpu_relax();
    nmi_witness++; /* still running here */
    EXPECT_EQ(t, before + 1, ipi_unexpected_nmis());
    EXPECT_EQ(t, 1, nmi_witness);
}
