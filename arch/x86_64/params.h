/*
 * params.h - the x86-64 facts the portable kernel needs at compile time.
 * kernel/arch.h includes it; nothing in kernel/ includes it directly.
 */
#ifndef ARCH_X86_64_PARAMS_H
#define ARCH_X86_64_PARAMS_H

/* Every x86-64 CPU we target has 64-byte cache lines (CPUID leaf 1,
 * EBX[15:8] * 8 reports it; the Intel optimization manual, §2.x, and AMD's
 * agree). Per-CPU blocks are aligned to it so CPUs do not share lines. */
#define ARCH_CACHE_LINE_SIZE 64

/* The smallest page (SDM vol. 3A §4.5): the unit a TLB shoot-down
 * (kernel/smp/tlb.h) counts in. */
#define ARCH_PAGE_SIZE 4096

/* What x86 calls a CPU's hardware number, for messages. */
#define ARCH_HW_ID_NAME "APIC ID"

struct try_frame; /* arch/x86_64/trap.h */

/* The words x86-64 keeps in each struct cpu (kernel/smp/cpu.h), one GS-relative
 * load away. The task priority is programmed lazily (arch/x86_64/
 * interrupts.c): `priority` is the level in effect, `programmed` what CR8
 * holds, and the two are equal whenever interrupts are enabled. The
 * counters are of the accesses that cost a VM exit on a hypervisor without
 * APIC virtualisation, for the self-tests and the benchmark. `trap_depth`
 * and `try_frame` are arch/x86_64/trap.c's: how many interrupt and
 * exception handlers this CPU is inside, and the arch_try_call it is
 * inside, innermost first. Both are per CPU because a fault belongs to the
 * CPU that raised it: two CPUs may be in arch_try_call at once. */
struct arch_cpu_words {
    unsigned char priority;
    unsigned char programmed;
    unsigned char timer_in_use;   /* arch_timer_start: a sleep may not borrow the APIC timer */
    unsigned char naming_a_fault; /* trap.c: inside the symbol lookup of a fatal fault */
    unsigned trap_depth;
    struct try_frame *try_frame;
    unsigned long long cr8_writes;
    unsigned long long apic_accesses;
};

#endif
