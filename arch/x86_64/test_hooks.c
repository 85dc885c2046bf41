/*
 * test_hooks.c - kernel/diag/arch_test.h's machine access for the self-tests:
 * a per-CPU scratch register and a page whose mapping can be changed.
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/x86.h"
#include "kernel/diag/arch_test.h"

void arch_scratch_msr_write(uint64_t value) { wrmsr(MSR_KERNEL_GS_BASE, value); }
uint64_t arch_scratch_msr_read(void) { return rdmsr(MSR_KERNEL_GS_BASE); }

uintptr_t arch_test_window_map(uint64_t phys)
{
    paging_set_page(TEST_WINDOW_VA, phys, PTE_PRESENT | PTE_WRITE | PTE_NX_IF_SUPPORTED);
    return TEST_WINDOW_VA;
}

struct arch_access_counts arch_test_access_counts(void)
{
    const struct arch_cpu_words *w = cpu_words();
    return (struct arch_access_counts){w->cr8_writes, w->apic_accesses};
}

unsigned arch_test_programmed_priority(void) { return (unsigned)read_cr8(); }

void arch_test_invalid_opcode(void) { __asm__ volatile("ud2"); }

bool arch_test_set_hw_id(uint32_t id) { return lapic_test_set_id(id); }

bool arch_test_nmi_to_self(void)
{
    return lapic_send_ipi(lapic_id(), ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}
