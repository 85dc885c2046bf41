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
#include "kernel/smp/cpu.h"
#include "kernel/time.h"

#define SDM_INIT_DELAY_US 10000
#define SDM_SIPI_DELAY_US 200
#define FAST_INIT_DELAY_US 0
#define FAST_SIPI_DELAY_US 10

const char *arch_cpu_start_delays(enum cpu_start_mode mode)
{
    return mode == CPU_START_FAST ? "0 us after INIT, 10 us after each SIPI"
                                  : "10000 us after INIT, 200 us after each SIPI";
}

static uint64_t init_delay_us(enum cpu_start_mode mode)
{
    return mode == CPU_START_FAST ? FAST_INIT_DELAY_US : SDM_INIT_DELAY_US;
}

static uint64_t sipi_delay_us(enum cpu_start_mode mode)
{
    return mode == CPU_START_FAST ? FAST_SIPI_DELAY_US : SDM_SIPI_DELAY_US;
}

/* Readies cpu to be started: CPU_STARTING, or why it cannot be, said. */
static uint32_t prepare(struct cpu *cpu)
{
    if (cpu->hw_id > lapic_max_addressable_id()) {
        kprintf("warning: smp: APIC ID %u cannot be addressed in %s mode; CPU %u left out\n",
                cpu->hw_id, lapic_mode_name(), cpu->index);
        return CPU_UNADDRESSABLE;
    }
    if (!trampoline_prepare_cpu(cpu)) {
        kprintf("warning: smp: no memory for CPU %u's stacks; left out\n", cpu->index);
        return CPU_NO_MEMORY;
    }
    return CPU_STARTING;
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
static bool checked_in(const void *cpu) { return cpu_online(cpu); }

/* True once cpu has checked in (smp_ap_entry), within microseconds. */
static bool wait_for_checkin(struct cpu *cpu, uint64_t microseconds)
{
    return wait_until(checked_in, cpu, arch_cycles() + cycles_from_us(microseconds));
}
/* LAB(init-sipi-sipi-open) stub
LAB(init-sipi-sipi-open) end */

/* Gives up on cpu: false if it checked in first. Its state decides, before
 * the INIT, which lands when it lands (x2APIC has no delivery status to
 * wait for). INIT puts it back into wait-for-SIPI, so a CPU that was only
 * slow cannot wake later on the next CPU's stack; its own check-in, should
 * it get that far, fails. */
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

uint32_t arch_cpu_start(struct cpu *cpu, const struct cpu_start_options *options)
{
    uint64_t init_us = init_delay_us(options->mode);
    uint64_t sipi_us = sipi_delay_us(options->mode);
    uint32_t state = prepare(cpu);
    if (state != CPU_STARTING)
        return state;
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
    /* Give up on it, unless it checks in at this very moment. */
    bool left_out = leave_out(cpu, sent, options->timeout_ms);
    report_strays(cpu, 1);
    return left_out ? CPU_NO_RESPONSE : CPU_ONLINE;
}

/* ---- all at once ---- */

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

/* The APs being started all at once, for wait_until. */
struct start_group {
    struct cpu *cpus;
    size_t count;
    const bool *starting;
    uint64_t t0;
};

static bool all_checked_in(const void *arg)
{
    const struct start_group *g = arg;
    return note_check_ins(g->cpus, g->count, g->starting, g->t0) == 0;
}

void arch_cpus_start_parallel(struct cpu *cpus, size_t count,
                              const struct cpu_start_options *options)
{
    static bool starting[MAX_CPUS], sent[MAX_CPUS];
    uint64_t init_us = init_delay_us(options->mode);
    uint64_t sipi_us = sipi_delay_us(options->mode);
    size_t to_start = 0;
    for (size_t i = 0; i < count; i++) {
        uint32_t state = prepare(&cpus[i]);
        cpus[i].start_cycles = 0;
        cpu_set_state(&cpus[i], state);
        starting[i] = state == CPU_STARTING;
        sent[i] = false;
        to_start += starting[i];
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
    struct start_group group = {cpus, count, starting, t0};
    (void)wait_until(all_checked_in, &group,
                     arch_cycles() + cycles_from_us(sipi_us) + cycles_from_ms(options->timeout_ms));
    for (size_t i = 0; i < count; i++)
        if (starting[i] && !cpu_online(&cpus[i]) &&
            !leave_out(&cpus[i], sent[i], options->timeout_ms))
            cpus[i].start_cycles = arch_cycles() - t0; /* checked in at the last moment */
    report_strays(cpus, count);
}
