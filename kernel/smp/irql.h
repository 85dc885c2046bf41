/*
 * irql.h - interrupt request levels, the Windows x64 model.
 *
 * The IRQL is the class of the local APIC's task priority (on x86, CR8
 * holds it: CR8[3:0] = TPR[7:4]): at level L the CPU takes only interrupts
 * whose priority class (vector >> 4) is above L.
 * Each interrupt vector sits in the class equal to the IRQL its handler
 * runs at (arch/x86_64/vectors.h, docs/book/06-irql.md), so "raise to
 * CLOCK_LEVEL" means exactly "the timer cannot interrupt me now".
 *
 * Raising to a lower level, or lowering to a higher one, is a bug: the
 * kernel stops with a message naming both levels.
 */
#ifndef KERNEL_SMP_IRQL_H
#define KERNEL_SMP_IRQL_H

#include <stdint.h>

typedef uint8_t irql_t;

#define PASSIVE_LEVEL 0 /* ordinary code */
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2 /* the scheduler's level; no waiting */
#define CLOCK_LEVEL 13   /* the local APIC timer */
#define IPI_LEVEL 14     /* inter-processor interrupts: the rendezvous */
#define HIGH_LEVEL 15    /* everything masked (NMI and machine checks still arrive) */

irql_t irql_current(void);

/* Raises to new_irql (>= the current level); returns the previous level. */
irql_t irql_raise(irql_t new_irql);

/* Lowers to new_irql (<= the current level), usually what irql_raise returned. */
void irql_lower(irql_t new_irql);

const char *irql_name(irql_t irql);

#endif
