/*
 * smp_start.c - starts one AP with INIT-SIPI-SIPI and the Intel SDM's
 * delays (vol. 3A §9.4.4.1, "Typical BSP initialization sequence"): INIT,
 * wait 10 ms, SIPI, wait 200 us, second SIPI. The SDM's example broadcasts
 * the sequence to all APs and sends the second SIPI unconditionally, and
 * Linux sends both SIPIs to each AP as well; this file sends the second
 * only if the AP has not checked in yet, a variant of its own (an AP acts
 * on one SIPI per INIT, so the unconditional one is harmless, but it costs
 * an IPI). ap_start=fast waits 0 and 10 us instead, as Linux does on
 * CPUs that do not need the delays. Two ways to start them:
 * arch_cpus_start_parallel (ap_start=parallel, the default) sends INIT to
 * every AP, waits once, then a SIPI to each; each AP finds its own stack
 * from the APIC ID its local APIC reports, as in Linux's parallel start
 * since 6.5. ap_start=serial and fast start one AP at a time, through the
 * trampoline's one arguments block, so that a CPU that checks in before
 * the next is started cannot be confused with it.
 *
 * tests/host/test_ap_start.c runs this file against a fake local APIC that
 * decodes each ICR write, so the sequence is checked where QEMU cannot.
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/trampoline.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/time.h"

#define SDM_INIT_DELAY_US 10000
#define SDM_SIPI_DELAY_US 200
#define FAST_INIT_DELAY_US 0
#define FAST_SIPI_DELAY_US 10

const char *arch_cpu_start_delays(bool fast)
{
    return fast ? "0 us after INIT, 10 us after each SIPI"
                : "10000 us after INIT, 200 us after each SIPI";
}

static bool send_init(uint32_t apic_id)
{
    return lapic_send_ipi(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

static bool send_startup(uint32_t apic_id)
{
    return lapic_send_ipi(apic_id, ICR_DELIVERY_STARTUP | trampoline_sipi_vector());
}

/* Says what the APs that found no struct cpu to claim were (the
 * trampoline counts them), each once: a stray is an AP that woke up with an
 * APIC ID the boot CPU did not expect, or that lost its slot. */
static uint32_t strays_reported;
static void report_strays(struct cpu *cpus, size_t count)
{
    uint32_t id;
    uint32_t strays = trampoline_strays(&id);
    if (strays == strays_reported)
        return;
    const struct cpu *owner = NULL;
    for (size_t i = 0; i < count; i++)
        if (cpus[i].hw_id == id)
            owner = &cpus[i];
    kprintf("warning: smp: %u AP%s found no CPU slot to take, the latest with APIC ID %u: ",
            strays - strays_reported, strays - strays_reported == 1 ? "" : "s", id);
    if (owner == NULL)
        kprintf("no CPU being started has that ID (renumbered by the firmware, or not in the "
                "MADT); it halted\n");
    else if (cpu_state(owner) == CPU_NO_RESPONSE)
        kprintf("CPU %u's, which had been given up on; it halted\n", owner->index);
    else
        kprintf("CPU %u already had it: two CPUs answer to one APIC ID; the second halted\n",
                owner->index);
    strays_reported = strays;
}

/* LAB(init-sipi-sipi-open) begin: waiting for an AP's check-in, with a bound */
/* True once cpu has checked in (smp_ap_entry), within microseconds. */
static bool wait_for_checkin(struct cpu *cpu, uint64_t microseconds)
{
    uint64_t start = arch_cycles();
    uint64_t limit = cycles_from_us(microseconds);
    while (!cpu_online(cpu)) {
        if (arch_cycles() - start >= limit)
            return false;
        arch_cpu_relax();
    }
    return true;
}
/* LAB(init-sipi-sipi-open) stub
LAB(init-sipi-sipi-open) end */

uint32_t arch_cpu_start(struct cpu *cpu, const struct cpu_start_options *options)
{
    uint64_t init_us = options->fast ? FAST_INIT_DELAY_US : SDM_INIT_DELAY_US;
    uint64_t sipi_us = options->fast ? FAST_SIPI_DELAY_US : SDM_SIPI_DELAY_US;
    if (cpu->hw_id > lapic_max_addressable_id()) {
        kprintf("warning: smp: APIC ID %u cannot be addressed in %s mode; CPU %u left out\n",
                cpu->hw_id, lapic_mode_name(), cpu->index);
        return CPU_UNADDRESSABLE;
    }
    if (!trampoline_prepare_cpu(cpu)) {
        kprintf("warning: smp: no memory for CPU %u's stacks; left out\n", cpu->index);
        return CPU_NO_MEMORY;
    }
    cpu_set_state(cpu, CPU_STARTING);
    trampoline_target(cpu);

    /* LAB(init-sipi-sipi-open) begin: start the AP: the SDM's sequence, each step bounded */
    /* LAB(init-sipi-sipi) begin: INIT, wait, SIPI, a second SIPI if the AP is still silent */
    bool sent = send_init(cpu->hw_id);
    arch_udelay(init_us);
    sent = sent && send_startup(cpu->hw_id);
    if (sent && !wait_for_checkin(cpu, sipi_us)) {
        sent = send_startup(cpu->hw_id);
        if (sent && !wait_for_checkin(cpu, sipi_us))
            (void)wait_for_checkin(cpu, options->timeout_ms * US_PER_MS);
    }
    /* LAB(init-sipi-sipi) stub
    bool sent = true; // false: the local APIC refused to send one of the IPIs
    (void)init_us;
    (void)sipi_us;
    (void)wait_for_checkin;
    LAB(init-sipi-sipi) end */
    /* LAB(init-sipi-sipi-open) stub
    bool sent = true; // false: the local APIC refused to send one of the IPIs
    (void)init_us;
    (void)sipi_us;
    LAB(init-sipi-sipi-open) end */
    /* Give up on it, unless it checks in at this very moment: the state
     * decides, before the INIT, which lands when it lands (x2APIC has no
     * delivery status to wait for). INIT puts it back into wait-for-SIPI,
     * so a CPU that was only slow cannot wake later on the next CPU's
     * stack; its own check-in, should it get that far, fails. */
    if (!cpu_give_up(cpu)) {
        report_strays(cpu, 1);
        return CPU_ONLINE;
    }
    send_init(cpu->hw_id);
    report_strays(cpu, 1);
    kprintf("warning: smp: CPU %u (APIC ID %u) %s; left out\n", cpu->index, cpu->hw_id,
            sent ? "did not check in" : "was not sent its start-up IPIs (APIC busy)");
    if (sent)
        kprintf("  (waited %llu ms after the second SIPI; ap_timeout_ms= changes this)\n",
                (unsigned long long)options->timeout_ms);
    return CPU_NO_RESPONSE;
}

/* ---- all at once ---- */

/* Gives up on cpu, as arch_cpu_start does: false if it checked in first. */
static bool leave_out(struct cpu *cpu, bool sent, uint64_t timeout_ms)
{
    if (!cpu_give_up(cpu))
        return false;
    send_init(cpu->hw_id);
    kprintf("warning: smp: CPU %u (APIC ID %u) %s; left out\n", cpu->index, cpu->hw_id,
            sent ? "did not check in" : "was not sent its start-up IPIs (APIC busy)");
    if (sent)
        kprintf("  (waited %llu ms after the second SIPI; ap_timeout_ms= changes this)\n",
                (unsigned long long)timeout_ms);
    return true;
}

/* Marks the APs that have checked in since the last look; returns how many
 * of those being started are not online yet. */
static size_t note_check_ins(struct cpu *cpus, size_t count, const bool *starting, uint64_t t0)
{
    size_t waiting = 0;
    for (size_t i = 0; i < count; i++) {
        if (!starting[i])
            continue;
        if (cpu_online(&cpus[i])) {
            if (cpus[i].start_cycles == 0)
                cpus[i].start_cycles = arch_cycles() - t0;
        } else {
            waiting++;
        }
    }
    return waiting;
}

void arch_cpus_start_parallel(struct cpu *cpus, size_t count,
                              const struct cpu_start_options *options)
{
    static bool starting[MAX_CPUS], sent[MAX_CPUS];
    uint64_t init_us = options->fast ? FAST_INIT_DELAY_US : SDM_INIT_DELAY_US;
    uint64_t sipi_us = options->fast ? FAST_SIPI_DELAY_US : SDM_SIPI_DELAY_US;
    size_t to_start = 0;
    for (size_t i = 0; i < count; i++) {
        struct cpu *cpu = &cpus[i];
        starting[i] = sent[i] = false;
        if (cpu->hw_id > lapic_max_addressable_id()) {
            kprintf("warning: smp: APIC ID %u cannot be addressed in %s mode; CPU %u left out\n",
                    cpu->hw_id, lapic_mode_name(), cpu->index);
            cpu_set_state(cpu, CPU_UNADDRESSABLE);
        } else if (!trampoline_prepare_cpu(cpu)) {
            kprintf("warning: smp: no memory for CPU %u's stacks; left out\n", cpu->index);
            cpu_set_state(cpu, CPU_NO_MEMORY);
        } else {
            cpu->start_cycles = 0;
            cpu_set_state(cpu, CPU_STARTING);
            starting[i] = true;
            to_start++;
        }
    }
    if (to_start == 0)
        return;
    /* Each AP finds its own struct cpu and stack from its APIC ID. */
    trampoline_target_all(cpus, count);

    uint64_t t0 = arch_cycles();
    for (size_t i = 0; i < count; i++)
        if (starting[i])
            sent[i] = send_init(cpus[i].hw_id);
    arch_udelay(init_us);
    for (size_t i = 0; i < count; i++)
        if (starting[i] && sent[i])
            sent[i] = send_startup(cpus[i].hw_id);
    arch_udelay(sipi_us);
    note_check_ins(cpus, count, starting, t0);
    for (size_t i = 0; i < count; i++)
        if (starting[i] && sent[i] && !cpu_online(&cpus[i]))
            sent[i] = send_startup(cpus[i].hw_id);

    /* One bound for all: each AP gets at least ap_timeout_ms after the
     * second SIPI, as when they start one at a time. */
    uint64_t deadline =
        arch_cycles() + cycles_from_us(sipi_us) + cycles_from_ms(options->timeout_ms);
    while (note_check_ins(cpus, count, starting, t0) != 0 && !cycles_past(deadline))
        arch_cpu_relax();
    for (size_t i = 0; i < count; i++)
        if (starting[i] && !cpu_online(&cpus[i]) &&
            !leave_out(&cpus[i], sent[i], options->timeout_ms))
            cpus[i].start_cycles = arch_cycles() - t0; /* checked in at the last moment */
    report_strays(cpus, count);
}
