/*
 * smp_start.c - starts one AP with the Intel SDM's INIT-SIPI-SIPI sequence
 * (vol. 3A §9.4.4.1, "Typical BSP initialization sequence"): INIT, wait
 * 10 ms, SIPI, wait 200 us, and a second SIPI only if the AP has not
 * checked in yet. ap_start=fast waits 0 and 10 us instead, as Linux does on
 * CPUs that do not need the delays. APs are started one at a time: the
 * trampoline has one arguments block, and a CPU that checks in before the
 * next is started cannot be confused with it.
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

    bool sent = send_init(cpu->hw_id);
    arch_udelay(init_us);
    sent = sent && send_startup(cpu->hw_id);
    if (sent && !wait_for_checkin(cpu, sipi_us)) {
        sent = send_startup(cpu->hw_id);
        if (sent && !wait_for_checkin(cpu, sipi_us))
            (void)wait_for_checkin(cpu, options->timeout_ms * US_PER_MS);
    }
    if (cpu_online(cpu))
        return CPU_ONLINE;
    /* Give up on it. INIT puts it back into wait-for-SIPI, so a CPU that
     * was only slow cannot wake later on the next CPU's stack. */
    send_init(cpu->hw_id);
    kprintf("warning: smp: CPU %u (APIC ID %u) %s; left out\n", cpu->index, cpu->hw_id,
            sent ? "did not check in" : "was not sent its start-up IPIs (APIC busy)");
    if (sent)
        kprintf("  (waited %llu ms after the second SIPI; ap_timeout_ms= changes this)\n",
                (unsigned long long)options->timeout_ms);
    return CPU_NO_RESPONSE;
}
