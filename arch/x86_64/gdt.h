/*
 * gdt.h - the global descriptor table and task-state segment.
 *
 * In 64-bit mode segmentation is mostly off; the GDT still holds the code and
 * data descriptors and the TSS, whose interrupt stack table (IST) gives the
 * double-fault, NMI and machine-check handlers stacks of their own
 * (SDM vol. 3A §3.4.5, §8.7, §6.14.5).
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

/* IST slots (1-based, as the IDT gate's IST field names them). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_COUNT 3

#define IST_STACK_SIZE 16384

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "the 64-bit TSS is 104 bytes (SDM vol. 3A fig. 7-11)");

/* Installs the boot CPU's GDT and TSS and reloads the segment registers. */
void gdt_init(void);

/* An AP's tables and IST stacks (each stack with a guard page), allocated
 * by the boot CPU; NULL when memory is exhausted. */
struct gdt_cpu;
struct gdt_cpu *gdt_alloc_cpu(void);

/* Loads g's GDT and TSS on the calling CPU. */
void gdt_init_cpu(struct gdt_cpu *g);

/* Bounds of an IST stack of the boot CPU. */
void gdt_ist_stack(int ist, uintptr_t *lo, uintptr_t *hi);

#endif
