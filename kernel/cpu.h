/*
 * cpu.h - the per-CPU block.
 *
 * Every CPU has one struct cpu, found through the GS segment base
 * (arch_this_cpu()), cache-line aligned so that one CPU's writes to its
 * own block never slow down another's.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CPUS 512
#define CACHE_LINE 64
#define KERNEL_STACK_SIZE 16384

enum cpu_state {
    CPU_ABSENT = 0,       /* slot unused */
    CPU_STARTING,         /* INIT/SIPI sent, not checked in yet */
    CPU_ONLINE,           /* running kernel code */
    CPU_NO_RESPONSE,      /* did not check in within the bound: left out */
    CPU_UNADDRESSABLE,    /* APIC ID beyond what the APIC mode can reach */
    CPU_NO_MEMORY,        /* no memory for its stacks */
};

struct cpu_probe {
    uint32_t apic_id;          /* from CPUID, read by the CPU itself */
    struct cpu *gs_block;      /* arch_this_cpu() on that CPU */
    uintptr_t stack_pointer;   /* inside the interrupt handler */
    uint64_t interrupts;       /* probe interrupts taken */
};

struct cpu {
    struct cpu *self;          /* first: arch_this_cpu() loads it from GS:0 */
    uint32_t index;            /* 0 is the boot CPU */
    uint32_t apic_id;          /* from the MADT */
    uint32_t acpi_uid;
    volatile uint32_t state;   /* enum cpu_state, written by its owner */
    uintptr_t stack_lo, stack_hi; /* its kernel stack */
    void *arch;                /* the architecture's per-CPU tables */
    uint64_t start_cycles;     /* how long its start-up took */
    volatile struct cpu_probe probe;
} __attribute__((aligned(CACHE_LINE)));

/* The CPU this code runs on. */
struct cpu *arch_this_cpu(void);

#endif
