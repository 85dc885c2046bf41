/*
 * tlb.c - the TLB shoot-down (tlb.h): one rendezvous per shoot-down, whose
 * worker flushes the range on each CPU that takes part.
 */
#include "kernel/smp/tlb.h"

#include "kernel/arch.h"
#include "kernel/smp/ipi.h"

/* LAB(tlb-shootdown-open) begin: tlb_shootdown: the set and the caller flush before it returns */
/* What the worker is told: the pages to flush. It lives on the caller's
 * stack, which is safe because the rendezvous returns only after every
 * worker has returned (ipi.h): no CPU reads it after the caller moves on. */
struct tlb_range {
    uintptr_t first; /* page-aligned */
    size_t pages;
};

/* Runs on each CPU of the shoot-down at once, at IPI_LEVEL with interrupts
 * off (the rules of ipi.h: no locks, no waiting). */
static uintptr_t flush_range(uintptr_t argument)
{
    /* LAB(tlb-shootdown) begin: flush every page of the range on this CPU */
    const struct tlb_range *range = (const struct tlb_range *)argument;
    for (size_t i = 0; i < range->pages; i++)
        arch_tlb_flush_page(range->first + i * ARCH_PAGE_SIZE);
    /* LAB(tlb-shootdown) stub
    (void)argument;
    LAB(tlb-shootdown) end */
    return 0;
}

void tlb_shootdown(uintptr_t va, size_t pages, const struct cpu_set *cpus)
{
    if (pages == 0)
        return;
    struct tlb_range range = {va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1), pages};
    /* LAB(tlb-shootdown) begin: one rendezvous runs flush_range on the set and the caller */
    if (cpus == NULL)
        ipi_generic_call(flush_range, (uintptr_t)&range);
    else
        ipi_generic_call_set(cpus, flush_range, (uintptr_t)&range);
    /* LAB(tlb-shootdown) stub
    (void)cpus;
    flush_range((uintptr_t)&range); // this CPU alone: not yet a shoot-down
    LAB(tlb-shootdown) end */
}
/* LAB(tlb-shootdown-open) stub
void tlb_shootdown(uintptr_t va, size_t pages, const struct cpu_set *cpus)
{
    (void)va;
    (void)pages;
    (void)cpus;
}
LAB(tlb-shootdown-open) end */
