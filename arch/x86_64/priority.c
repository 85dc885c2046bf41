/*
 * priority.c - kernel/arch.h's interrupt flag and task priority: the IRQL
 * of kernel/smp/irql.h on CR8, programmed lazily (priority.h says why).
 *
 * The two live in one file because one rule ties them: whenever RFLAGS.IF
 * is set, CR8 holds the level in effect. Every way to set IF here brings
 * CR8 up to date first. tests/host/test_irql.c builds this file against a
 * fake CPU and local APIC that deliver interrupts the way the hardware
 * does (SDM vol. 3A §11.8.3), and counts the CR8 writes.
 */
#include "arch/x86_64/priority.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"

bool arch_interrupts_enabled(void) { return (read_rflags() & RFLAGS_IF) != 0; }
void arch_interrupts_disable(void) { irq_disable(); }

bool arch_interrupts_save_disable(void)
{
    bool enabled = arch_interrupts_enabled();
    irq_disable();
    return enabled;
}

/* LAB(irql-open) begin: the lazy task priority and the ways to enable interrupts */
/* The level lives in the per-CPU byte `priority`, with or without a local
 * APIC, so reading it is one load. CR8 reads and writes the class of the
 * local APIC's TPR (CR8[3:0] = TPR[7:4]; a write clears TPR[3:0], SDM vol.
 * 3A §11.8.6.1), and only while the APIC is enabled: without one, no
 * interrupt comes through an APIC anyway and only the boot CPU runs, so the
 * byte alone keeps the IRQL model whole and CR8 is left alone.
 *
 * program() is the one place CR8 is written: not at all when it already
 * holds the level, since each write may be a VM exit; counted for the
 * self-tests. The record comes first: a write that lowers the level can let
 * an interrupt in at once, and its handler, on the way out, must find CR8's
 * record current, or it writes the same value again. */
static void program(struct arch_cpu_words *w, unsigned priority)
{
    if (w->programmed == priority || !lapic_active())
        return;
    w->programmed = (unsigned char)priority;
    w->cr8_writes++;
    write_cr8(priority);
}

unsigned arch_task_priority(void) { return cpu_words()->priority; }

void arch_set_task_priority(unsigned priority)
{
    /* LAB(irql) begin: record the level; write CR8 now only if interrupts are on */
    struct arch_cpu_words *w = cpu_words();
    w->priority = (unsigned char)priority;
    if (arch_interrupts_enabled())
        program(w, priority);
    /* LAB(irql) stub
    (void)priority;
    LAB(irql) end */
}

void priority_sync(void)
{
    struct arch_cpu_words *w = cpu_words();
    program(w, w->priority);
}

unsigned priority_enter_handler(unsigned vector)
{
    /* No CR8 write: the vector in service holds its class and those below
     * back (the processor priority, SDM vol. 3A §11.8.3.1), and IF is off. */
    struct arch_cpu_words *w = cpu_words();
    unsigned interrupted = w->priority;
    w->priority = (unsigned char)(vector >> 4);
    return interrupted;
}

void priority_leave_handler(unsigned interrupted)
{
    /* The interrupted code had interrupts on, so CR8 held its level then;
     * it still does unless the handler enabled interrupts meanwhile, and
     * then the IRETQ that sets IF again must find it put back. */
    struct arch_cpu_words *w = cpu_words();
    w->priority = (unsigned char)interrupted;
    program(w, interrupted);
}

void priority_reset(void)
{
    struct arch_cpu_words *w = cpu_words();
    w->priority = 0;
    w->programmed = 0;
}

/* CR8 before STI: the other way round, an interrupt that the level holds
 * back but CR8 does not yet could be taken right after STI's one-
 * instruction delay (SDM vol. 2B, STI). */
void arch_interrupts_enable(void)
{
    priority_sync();
    irq_enable();
}

void arch_interrupts_restore(bool enabled)
{
    if (enabled)
        arch_interrupts_enable();
    else
        irq_disable();
}
/* LAB(irql-open) stub
static unsigned level;

unsigned arch_task_priority(void) { return level; }
void arch_set_task_priority(unsigned priority) { level = priority; }
void priority_sync(void) {}
unsigned priority_enter_handler(unsigned vector)
{
    (void)vector;
    return level;
}
void priority_leave_handler(unsigned interrupted) { (void)interrupted; }
void priority_reset(void) {}
void arch_interrupts_enable(void) { irq_enable(); }
void arch_interrupts_restore(bool enabled)
{
    if (enabled)
        irq_enable();
    else
        irq_disable();
}
LAB(irql-open) end */
