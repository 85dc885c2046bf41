/*
 * trampoline.h - the AP start-up code's page and per-CPU set-up, as
 * smp_start.c uses them (trampoline.c; boot/trampoline.asm).
 */
#ifndef ARCH_X86_64_TRAMPOLINE_H
#define ARCH_X86_64_TRAMPOLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpu;

/*
 * The arguments block at the end of boot/trampoline.asm, filled in before
 * each SIPI. The assembly takes every offset and the size from this struct
 * (TRAMPOLINE_ARGS_* in the generated constants.inc), so the two cannot
 * drift; the asserts pin what the instructions themselves require.
 */
struct trampoline_args {
    uint16_t gdtr_limit; /* lgdt's pseudo-descriptor: limit, then base */
    uint32_t gdtr_base;
    uint16_t pad0;
    uint32_t far32_offset; /* jmp far m16:32: offset, then selector */
    uint16_t far32_sel, pad1;
    uint32_t far64_offset;
    uint16_t far64_sel, pad2;
    uint32_t boot_cr3;  /* page tables the AP can reach in 32-bit mode */
    uint32_t efer_bits; /* LME, and NXE when the boot CPU has it on */
    uint64_t kernel_cr3;
    uint64_t entry64;
    uint64_t cpu;       /* struct cpu * to claim, if its hw_id is the AP's; 0: find it */
    uint64_t cpu_table; /* parallel start: smp_cpu(0), the first of cpu_count */
    uint64_t cpu_count; /* struct cpus, each AP looks for its own hardware ID */
    uint32_t strays;    /* APs that found no slot to claim (lock inc) */
    uint32_t stray_id;  /* the APIC ID of the latest of them */
    uint64_t gdt[4];
} __attribute__((packed));

/* SDM vol. 3A §3.5.1 (the GDTR pseudo-descriptor) and vol. 2A JMP (m16:32). */
_Static_assert(offsetof(struct trampoline_args, gdtr_base) ==
                   offsetof(struct trampoline_args, gdtr_limit) + 2,
               "lgdt reads the base right after the limit");
_Static_assert(offsetof(struct trampoline_args, far32_sel) ==
                   offsetof(struct trampoline_args, far32_offset) + 4,
               "a far pointer's selector follows its offset");
_Static_assert(offsetof(struct trampoline_args, far64_sel) ==
                   offsetof(struct trampoline_args, far64_offset) + 4,
               "a far pointer's selector follows its offset");
_Static_assert(offsetof(struct trampoline_args, gdt) % 8 == 0, "the GDT is 8-byte aligned");

/* Gives cpu its kernel stack (with a guard page) and its GDT, TSS and IST
 * stacks. False when memory runs out. */
bool trampoline_prepare_cpu(struct cpu *cpu);

/* Points the trampoline at cpu: the next AP to start becomes it. */
void trampoline_target(struct cpu *cpu);

/* Lets every AP that starts find its own struct cpu among table[0..count)
 * by its hardware ID, read from its local APIC as the IPIs that started it
 * saw it, taking its stack from there: for starting them all at once.
 *
 * Either way the AP claims its struct cpu with one locked compare-and-swap
 * from CPU_STARTING to CPU_ENTERING before it touches the stack: of two APs
 * that answer to one APIC ID, or an AP the boot CPU has already given up
 * on, only one gets it. An AP that claims nothing counts itself a stray
 * (trampoline_strays) and halts. */
void trampoline_target_all(struct cpu *table, size_t count);

/* How many APs have found no struct cpu to claim so far, and the APIC ID
 * of the latest. */
uint32_t trampoline_strays(uint32_t *latest_id);

/* The SIPI vector that starts an AP in the trampoline (its page number). */
uint8_t trampoline_sipi_vector(void);

#endif
