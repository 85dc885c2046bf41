/*
 * tlb.h - the TLB shoot-down: after a change to the page tables, every CPU
 * that may hold the old translation drops it, and the caller goes on only
 * once all have.
 *
 * A CPU caches translations in its own TLB, and a write to a page-table
 * entry does not reach the TLBs of the other CPUs (SDM vol. 3A §4.10.5):
 * each must flush the page itself. tlb_shootdown runs that flush on each
 * CPU through the rendezvous (kernel/smp/ipi.h), which returns only after
 * every worker has returned, so when tlb_shootdown returns no CPU of the
 * set can still use the old translation. docs/book/08-rendezvous.md, "A
 * use: the TLB shoot-down", tells the story.
 *
 * Rules for the caller: those of ipi_generic_call (below IPI_LEVEL, not
 * from a worker). Change the entries first, then shoot down: a CPU that
 * flushed before the change could load the old entry again.
 */
#ifndef KERNEL_SMP_TLB_H
#define KERNEL_SMP_TLB_H

#include "kernel/smp/cpu.h"

#include <stddef.h>
#include <stdint.h>

/* Flushes the pages [va, va + pages * ARCH_PAGE_SIZE) (va rounded down to
 * its page) on every CPU in cpus (offline ones ignored; NULL: every online
 * CPU) and on the caller, whether it is in cpus or not: the caller changed
 * the tables and may hold the old entries too. Returns after every one of
 * them has flushed. pages 0 interrupts nobody. */
void tlb_shootdown(uintptr_t va, size_t pages, const struct cpu_set *cpus);

#endif
