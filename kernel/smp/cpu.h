/*
 * cpu.h - the per-CPU block.
 *
 * Every CPU has one struct cpu, found through the GS segment base
 * (arch_this_cpu() in kernel/arch.h), cache-line aligned so that one CPU's writes to its
 * own block never slow down another's.
 */
#ifndef KERNEL_SMP_CPU_H
#define KERNEL_SMP_CPU_H

#include "kernel/arch.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/cpu_limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_LINE ARCH_CACHE_LINE_SIZE
#define KERNEL_STACK_SIZE 16384

enum cpu_state {
    CPU_ABSENT = 0,    /* slot unused */
    CPU_STARTING,      /* being started, not checked in yet */
    CPU_ONLINE,        /* running kernel code */
    CPU_NO_RESPONSE,   /* did not check in within the bound: left out */
    CPU_UNADDRESSABLE, /* a hardware number its IPIs cannot reach */
    CPU_NO_MEMORY,     /* no memory for its stacks */
    CPU_ENTERING,      /* its trampoline claimed the slot: on its stack, not checked in yet */
};

/* Written by the CPU in its probe interrupt, then published by the
 * release increment of interrupts: read them after an acquire of it. */
struct cpu_probe {
    uint32_t hw_id;          /* arch_cpu_hw_id(), read by the CPU itself */
    struct cpu *gs_block;    /* arch_this_cpu() on that CPU */
    uintptr_t stack_pointer; /* inside the interrupt handler */
    uint64_t interrupts;     /* probe interrupts taken (atomic) */
};

/* A set of CPUs by index. */
#define CPU_SET_WORDS (MAX_CPUS / 64)
struct cpu_set {
    uint64_t bits[CPU_SET_WORDS];
};

/* Bits set in v. (Written out: __builtin_popcountll may call libgcc, which
 * a freestanding kernel does not link.) */
static inline uint32_t popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (uint32_t)((v * 0x0101010101010101ull) >> 56);
}

static inline void cpu_set_add(struct cpu_set *s, uint32_t i)
{
    s->bits[i / 64] |= 1ull << (i % 64);
}
static inline void cpu_set_remove(struct cpu_set *s, uint32_t i)
{
    s->bits[i / 64] &= ~(1ull << (i % 64));
}
static inline bool cpu_set_has(const struct cpu_set *s, uint32_t i)
{
    return (s->bits[i / 64] >> (i % 64)) & 1;
}
static inline uint32_t cpu_set_count(const struct cpu_set *s)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < CPU_SET_WORDS; w++)
        n += popcount64(s->bits[w]);
    return n;
}
/* The number of members below index i: i's rank in the set. */
static inline uint32_t cpu_set_rank(const struct cpu_set *s, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < i / 64; w++)
        n += popcount64(s->bits[w]);
    uint64_t below = (i % 64) == 0 ? 0 : s->bits[i / 64] & ((1ull << (i % 64)) - 1);
    return n + popcount64(below);
}

/* The member of rank r (the r-th lowest index), or MAX_CPUS if the set has
 * r members or fewer. */
static inline uint32_t cpu_set_nth(const struct cpu_set *s, uint32_t r)
{
    for (uint32_t w = 0; w < CPU_SET_WORDS; w++) {
        uint64_t bits = s->bits[w];
        uint32_t here = popcount64(bits);
        if (r >= here) {
            r -= here;
            continue;
        }
        while (r-- > 0)
            bits &= bits - 1; /* drop the lowest member */
        uint32_t bit = 0;
        while ((bits & 1) == 0) {
            bits >>= 1;
            bit++;
        }
        return w * 64 + bit;
    }
    return MAX_CPUS;
}

/* What a CPU keeps about the rendezvous (kernel/smp/ipi.c). */
enum nmi_request { NMI_NONE, NMI_REPORT, NMI_STOP };

struct cpu_ipi {
    uint64_t served;      /* newest call this CPU ran the worker for */
    uint64_t seen;        /* newest call it has looked at */
    uint64_t arrived[2];  /* barrier episode reached, per phase (atomic) */
    uintptr_t result;     /* its worker's return value */
    uint64_t aborted;     /* a call that timed out while this CPU waited in it (atomic) */
    uint64_t aborted_at;  /* when it learned that, in cycles (published by aborted) */
    uint64_t in_worker;   /* the call whose worker runs here (a number, or alone); 0: none */
    uintptr_t worker;     /* the worker being run, while in_worker (for reports) */
    uint32_t caller;      /* and who called it */
    uint32_t nmi_request; /* enum nmi_request (atomic) */
    uint32_t nmi_ack;     /* the request answered, or NMI_NONE (atomic) */
    uint64_t worker_runs; /* statistics, and for the self-tests */
    uint64_t sleeps;      /* barrier waits that halted until woken */
} __attribute__((aligned(CACHE_LINE)));

/* A CPU that came to stop the machine after another CPU had claimed the
 * stop (kernel/stop.h): why, for the owner's report. */
#define STOP_WHY_MAX 160
struct cpu_stop {
    uint32_t waiting; /* (atomic) 1 once why is written */
    char why[STOP_WHY_MAX];
};

/* Work posted to an idle AP (smp_post_work), run at PASSIVE_LEVEL. */
struct cpu_work {
    void (*fn)(void *arg); /* fn and arg: published by the release of posted */
    void *arg;
    uint64_t posted, done; /* (atomic) */
} __attribute__((aligned(CACHE_LINE)));

struct cpu {
    struct cpu *self; /* first: arch_this_cpu() loads it from GS:0 */
    uint32_t index;   /* 0 is the boot CPU */
    uint32_t hw_id;   /* its hardware number (x86: APIC ID), from the MADT */
    uint32_t acpi_uid;
    uint32_t state;                   /* enum cpu_state: use cpu_state() */
    uintptr_t stack_lo, stack_hi;     /* its kernel stack */
    void *arch;                       /* the architecture's per-CPU tables */
    struct arch_cpu_words arch_words; /* the architecture's few per-CPU words */
    uint64_t start_cycles;            /* how long its start-up took */
    struct cpu_probe probe;
    uint64_t timer_ticks; /* (atomic) */
    struct cpu_ipi ipi;
    struct cpu_work work;
    struct cpu_stop stop;
} __attribute__((aligned(CACHE_LINE)));

/* A CPU's state, as another CPU may see it: the acquire pairs with the
 * release that set it, so what the CPU did before (checking in) is seen. */
static inline uint32_t cpu_state(const struct cpu *c) { return atomic_load_acquire(&c->state); }
static inline void cpu_set_state(struct cpu *c, uint32_t state)
{
    atomic_store_release(&c->state, state);
}
static inline bool cpu_online(const struct cpu *c) { return cpu_state(c) == CPU_ONLINE; }

/* Moves c from state `from` to `to` if nobody changed it first: the AP's
 * claim and check-in, and the boot CPU's giving up on it, race for the
 * same word, and exactly one of them must win. */
static inline bool cpu_change_state(struct cpu *c, uint32_t from, uint32_t to)
{
    return __atomic_compare_exchange_n(&c->state, &from, to, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* The boot CPU gives up on an AP that has not checked in: true if it did
 * (the AP's check-in will now fail), false if the AP checked in first. */
static inline bool cpu_give_up(struct cpu *c)
{
    return cpu_change_state(c, CPU_STARTING, CPU_NO_RESPONSE) ||
           cpu_change_state(c, CPU_ENTERING, CPU_NO_RESPONSE);
}

#endif
