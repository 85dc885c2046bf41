/*
 * ipi.c - kernel/arch.h's IPI kinds on the local APIC: which vector and
 * delivery mode each kind is, and the CPU index -> APIC ID mapping.
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/vectors.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/smp.h"

/* The ICR's low half for each kind, without a shorthand (SDM vol. 3A
 * §11.6.1). Fixed interrupts land at their vector's priority class:
 * IPI_CALL at IPI_LEVEL, IPI_PROBE just above the idle class. */
static uint32_t icr_for(enum ipi_kind kind)
{
    switch (kind) {
    case IPI_CALL: return ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | VECTOR_IPI_CALL;
    case IPI_PROBE: return ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | VECTOR_IPI_PROBE;
    case IPI_WAKE: return ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | VECTOR_IPI_WAKE;
    case IPI_NMI: return ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT;
    }
    return ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT; /* not reached: every kind is above */
}

static const char *kind_name(enum ipi_kind kind)
{
    return kind == IPI_CALL    ? "call"
           : kind == IPI_PROBE ? "probe"
           : kind == IPI_WAKE  ? "wake"
                               : "NMI";
}

bool arch_send_ipi_to(uint32_t index, enum ipi_kind kind)
{
    const struct cpu *cpu = smp_cpu(index);
    if (cpu == NULL)
        return false;
    uint32_t icr = icr_for(kind);
    bool sent;
    /* A fixed interrupt to itself goes by the self shorthand, which needs
     * no destination (the NMI and start-up modes may not use it). */
    if (kind != IPI_NMI && cpu == arch_this_cpu())
        sent = lapic_send_ipi(0, icr | ICR_SHORTHAND_SELF);
    else
        sent = lapic_send_ipi(cpu->hw_id, icr);
    if (!sent)
        kprintf("ipi: the APIC did not accept the %s IPI for CPU %u (APIC ID %u)\n",
                kind_name(kind), index, cpu->hw_id);
    return sent;
}

bool arch_send_ipi(const struct cpu_set *targets, enum ipi_kind kind)
{
    bool all_sent = true;
    for (uint32_t w = 0; w < CPU_SET_WORDS; w++) {
        for (uint64_t bits = targets->bits[w]; bits != 0; bits &= bits - 1) {
            uint32_t index = w * 64 + (uint32_t)__builtin_ctzll(bits);
            all_sent &= arch_send_ipi_to(index, kind);
        }
    }
    return all_sent;
}

bool arch_send_ipi_all_others(enum ipi_kind kind)
{
    return lapic_send_ipi(0, icr_for(kind) | ICR_SHORTHAND_ALL_EXCLUDING_SELF);
}

uint32_t arch_cpu_hw_id(void)
{
    /* The APIC's own ID register: the ID IPIs are addressed to and the MADT
     * lists. CPUID's is the ID the CPU came out of reset with, which
     * firmware may have changed since (and leaf 1 holds only 8 bits). */
    uint32_t id;
    if (lapic_active() && lapic_read_own_id(&id))
        return id;
    /* Before the APIC is set up: CPUID. Leaf 1 has only 8 bits; leaf 0xB
     * gives all 32 (SDM vol. 3A §9.4.5). */
    if (cpuid(0, 0).eax >= CPUID_LEAF_TOPOLOGY) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_TOPOLOGY, 0);
        if (r.ebx != 0)
            return r.edx;
    }
    return cpuid(CPUID_LEAF_FEATURES, 0).ebx >> CPUID_1_EBX_APIC_ID_SHIFT;
}

uint32_t arch_hw_id_max(void) { return lapic_max_addressable_id(); }
