/*
 * priority.h - the task priority (CR8), programmed lazily.
 *
 * The IRQL (kernel/smp/irql.h) is the class of the local APIC's task priority,
 * written through CR8 (CR8[3:0] = TPR[7:4]), but writing CR8 is not free:
 * a hypervisor without APIC virtualisation takes a VM exit for it. While
 * interrupts are off no maskable interrupt is delivered, whatever CR8 says,
 * so a change made then is only recorded, and CR8 catches up when
 * interrupts are enabled again. The rule that keeps the model whole:
 * whenever RFLAGS.IF is set, CR8 equals the level in effect. Every place
 * that sets IF calls priority_sync() just before.
 *
 * An interrupt handler needs no CR8 write either: while its vector is in
 * service, the APIC's processor priority already holds back its class and
 * every class below (SDM vol. 3A §11.8.3.1), and the handler runs with
 * interrupts off. Before any of this works the local APIC must be active;
 * until then the level is a plain variable.
 */
#ifndef ARCH_X86_64_PRIORITY_H
#define ARCH_X86_64_PRIORITY_H

#include "kernel/arch.h"
#include "kernel/smp/cpu.h"

static inline struct arch_cpu_words *cpu_words(void) { return &arch_this_cpu()->arch_words; }

/* Brings CR8 up to date; call with interrupts off, just before enabling them. */
void priority_sync(void);

/* Around an interrupt handler: the level becomes the vector's class, and
 * goes back to the interrupted one on the way out (a CR8 write only if the
 * handler enabled interrupts at its own level meanwhile). */
unsigned priority_enter_handler(unsigned vector);
void priority_leave_handler(unsigned interrupted);

/* The APIC was just set up with CR8 = 0 on this CPU. */
void priority_reset(void);

#endif
