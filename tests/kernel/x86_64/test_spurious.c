/*
 * test_spurious.c - what arrives during a rendezvous that nobody sent on
 * purpose: a spurious interrupt (simulated with "int $0xFF", which runs the
 * spurious vector's handler as the APIC would, without an EOI to take) and
 * an NMI the kernel did not ask for. Both must be counted and reported,
 * and the call must complete with the right result on every CPU.
 */
#include "arch/x86_64/vectors.h"
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"

#define RESULT_BASE 0x5900u
#define NMI_WAIT_MS 1000

static uint64_t ran[MAX_CPUS];
static uint32_t nmi_target;

static uintptr_t disturbed_worker(uintptr_t caller)
{
    struct cpu *me = arch_this_cpu();
    if (me->index == caller) {
        __asm__ volatile("int %0" ::"i"(VECTOR_SPURIOUS) : "memory");
        if (nmi_target != me->index)
            arch_send_ipi_to(nmi_target, IPI_NMI);
    }
    ran[me->index]++;
    return RESULT_BASE + me->index;
}

KTEST(ipi, a_spurious_interrupt_and_an_unasked_nmi_in_a_call_are_survived)
{
    KTEST_NEEDS_APIC(t);
    uint32_t self = arch_this_cpu()->index;
    nmi_target = self; /* with one CPU, the NMI part is left out */
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        ran[i] = 0;
        if (i != self && cpu_online(smp_cpu(i)))
            nmi_target = i;
    }
    uint64_t spurious_before = arch_spurious_interrupts();
    uint64_t nmis_before = ipi_unexpected_nmis();
    EXPECT_EQ(t, RESULT_BASE + self, ipi_generic_call(disturbed_worker, self));
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, cpu_online(smp_cpu(i)) ? 1 : 0, ran[i]);
    EXPECT_EQ(t, spurious_before + 1, arch_spurious_interrupts());
    if (nmi_target == self)
        return;
    /* The NMI may land after the worker: wait for it, boundedly. */
    uint64_t deadline = arch_cycles() + arch_cycles_per_second() / 1000 * NMI_WAIT_MS;
    while (ipi_unexpected_nmis() == nmis_before && (int64_t)(arch_cycles() - deadline) < 0)
        arch_cpu_relax();
    EXPECT_EQ(t, nmis_before + 1, ipi_unexpected_nmis());
}
