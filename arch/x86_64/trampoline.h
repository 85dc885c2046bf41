/*
 * trampoline.h - the AP start-up code's page and per-CPU set-up, as
 * smp_start.c uses them (trampoline.c; boot/trampoline.asm).
 */
#ifndef ARCH_X86_64_TRAMPOLINE_H
#define ARCH_X86_64_TRAMPOLINE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Gives cpu its kernel stack (with a guard page) and its GDT, TSS and IST
 * stacks. False when memory runs out. */
bool trampoline_prepare_cpu(struct cpu *cpu);

/* Points the trampoline at cpu: the next AP to start becomes it. */
void trampoline_target(struct cpu *cpu);

/* The SIPI vector that starts an AP in the trampoline (its page number). */
uint8_t trampoline_sipi_vector(void);

#endif
