/*
 * test_litmus.c - the store-buffering litmus test, on two CPUs at once.
 *
 *   CPU A: x = 1; r1 = y;        CPU B: y = 1; r2 = x;
 *
 * x86 lets a load pass an earlier store to another location: the store
 * waits in the CPU's store buffer while the load reads memory (SDM vol. 3A
 * §9.2.2, example §9.2.3.4). So r1 = r2 = 0 is allowed, though no
 * interleaving of the four instructions gives it. A full fence between the
 * store and the load (MFENCE, or a locked instruction, §9.2.3.9) forbids
 * it. docs/book/07a-memory-ordering.md explains why the barrier's sleep
 * and wake-up (kernel/smp/barrier.c) has this very shape.
 *
 * Each round starts the two sides at the same cycle-counter value, and
 * each store writes the round's own number, so no word is ever reset and
 * a side that falls behind (a vCPU the host descheduled) reads a newer
 * number, never a false 0: lateness can only turn a round into 01 or 10.
 * The test prints the four outcomes of every variant; it fails only if a
 * fenced variant ever reads 00. The plain variant's 00 count is what the
 * hardware (or emulator) happened to show: TCG may show none.
 */
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/string.h"

#define LITMUS_ROUNDS 100000
#define ROUNDS_PER_CALL 1000 /* each rendezvous call runs this many rounds */
#define ROUND_PERIOD_NS 2000 /* time between round starts: a round takes far less */
#define START_LEAD_NS 20000  /* from A's publication of the start to round 0 */
#define START_WAIT_MS 1000   /* how long B waits for that publication */
/* A variant stops early after this long (it prints the rounds it ran):
 * where the host runs the two vCPUs by turns, every round waits for a
 * time slice. */
#define VARIANT_BUDGET_MS 10000

enum sb_variant { SB_PLAIN, SB_MFENCE, SB_SEQ_CST };
#define SB_VARIANTS 3

static const char *const variant_name[SB_VARIANTS] = {"plain", "mfence", "seq_cst"};

/* x, y and the start word each on a line of their own: no round is
 * ordered by a line it happens to share. */
struct line_word {
    uint64_t value; /* atomic */
} __attribute__((aligned(CACHE_LINE)));

static struct line_word x, y;
/* The start of the current call's rounds (cycles), published by A with
 * the call's number in start_call. */
static struct line_word start_at, start_call;

/* What one call asks of the two sides. */
struct sb_call {
    enum sb_variant variant;
    uint32_t cpu_a;      /* side A: stores x, loads y; the other side is B */
    uint64_t number;     /* this call's number, from 1 */
    uint64_t first;      /* the number stored in round 0; round i stores first + i */
    uint64_t period;     /* cycles between round starts */
    uint64_t lead;       /* cycles from the publication to round 0 */
    uint64_t start_wait; /* cycles B waits for the publication */
};

/* saw[side][i]: in round i, that side's load found the other side's store
 * of the same round (or a later one). Each side writes only its own row;
 * the caller reads both after the call, which the rendezvous orders. */
static uint8_t saw[2][ROUNDS_PER_CALL] __attribute__((aligned(CACHE_LINE)));
static bool start_missed; /* B never saw the start time (atomic) */

/* One side of one round: store round in mine, then load theirs. Only the
 * instructions between the two differ. The plain variant has a compiler
 * barrier only, so the compiler keeps the program order (C11 7.17.4) and
 * the CPU is free to let the load pass the store; on x86 a release store
 * and an acquire load would compile to the same two MOVs. seq_cst compiles
 * the store to XCHG, a locked instruction (what barrier.c's announcements
 * are). */
static inline __attribute__((always_inline)) uint64_t
store_then_load(enum sb_variant variant, uint64_t *mine, const uint64_t *theirs, uint64_t round)
{
    switch (variant) {
    case SB_PLAIN:
        __atomic_store_n(mine, round, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        return __atomic_load_n(theirs, __ATOMIC_RELAXED);
    case SB_MFENCE:
        __atomic_store_n(mine, round, __ATOMIC_RELAXED);
        arch_full_fence();
        return __atomic_load_n(theirs, __ATOMIC_RELAXED);
    case SB_SEQ_CST:
        __atomic_store_n(mine, round, __ATOMIC_SEQ_CST);
        return __atomic_load_n(theirs, __ATOMIC_SEQ_CST);
    }
    return 0;
}

/* A publishes when round 0 starts; B waits for it (bounded). */
static bool agree_on_start(const struct sb_call *c, bool side_a, uint64_t *t0)
{
    if (side_a) {
        *t0 = arch_cycles() + c->lead;
        __atomic_store_n(&start_at.value, *t0, __ATOMIC_RELAXED);
        __atomic_store_n(&start_call.value, c->number, __ATOMIC_RELEASE);
        return true;
    }
    uint64_t deadline = arch_cycles() + c->start_wait;
    while (__atomic_load_n(&start_call.value, __ATOMIC_ACQUIRE) != c->number) {
        if (cycles_past(deadline))
            return false;
        arch_cpu_relax();
    }
    *t0 = __atomic_load_n(&start_at.value, __ATOMIC_RELAXED);
    return true;
}

static uintptr_t run_rounds(uintptr_t argument)
{
    const struct sb_call *c = (const struct sb_call *)argument;
    bool side_a = arch_this_cpu()->index == c->cpu_a;
    uint64_t *mine = side_a ? &x.value : &y.value;
    const uint64_t *theirs = side_a ? &y.value : &x.value;
    uint8_t *seen = saw[side_a ? 0 : 1];
    uint64_t t0;
    if (!agree_on_start(c, side_a, &t0)) {
        __atomic_store_n(&start_missed, true, __ATOMIC_RELAXED);
        return 0;
    }
    for (uint32_t i = 0; i < ROUNDS_PER_CALL; i++) {
        uint64_t at = t0 + i * c->period, round = c->first + i;
        /* No pause in this wait: it can hold the loop for over a hundred
         * cycles after the time has come, and the two sides must leave
         * it within a few tens of cycles of each other. */
        while ((int64_t)(arch_cycles() - at) < 0) {
        }
        seen[i] = store_then_load(c->variant, mine, theirs, round) >= round;
    }
    return 0;
}

/* The first online CPU other than this one; this one's index if none. */
static uint32_t other_cpu(void)
{
    uint32_t self = arch_this_cpu()->index;
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        if (i != self && cpu_online(smp_cpu(i)))
            return i;
    return self;
}

/* Outcome counts indexed by r1 * 2 + r2: 00, 01, 10, 11. */
struct sb_counts {
    uint64_t rounds;
    uint64_t outcome[4];
};

/* Runs LITMUS_ROUNDS rounds of variant on this CPU (side A) and cpu_b
 * (side B), fewer if VARIANT_BUDGET_MS runs out; false if B missed a
 * start. */
static bool run_variant(enum sb_variant variant, uint32_t cpu_b, uint64_t *next_round,
                        uint64_t *next_call, struct sb_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    struct cpu_set pair = {{0}};
    cpu_set_add(&pair, cpu_b); /* the caller, CPU 0, takes part anyway */
    uint64_t cycles_per_us = cycles_from_us(1);
    struct sb_call c = {
        .variant = variant,
        .cpu_a = arch_this_cpu()->index,
        .period = cycles_per_us * ROUND_PERIOD_NS / 1000,
        .lead = cycles_per_us * START_LEAD_NS / 1000,
        .start_wait = cycles_from_ms(START_WAIT_MS),
    };
    uint64_t budget_end = arch_cycles() + cycles_from_ms(VARIANT_BUDGET_MS);
    while (counts->rounds < LITMUS_ROUNDS && (counts->rounds == 0 || !cycles_past(budget_end))) {
        c.number = ++*next_call;
        c.first = *next_round;
        *next_round += ROUNDS_PER_CALL;
        ipi_generic_call_set(&pair, run_rounds, (uintptr_t)&c);
        if (__atomic_load_n(&start_missed, __ATOMIC_RELAXED))
            return false;
        for (uint32_t i = 0; i < ROUNDS_PER_CALL; i++)
            counts->outcome[saw[0][i] * 2 + saw[1][i]]++;
        counts->rounds += ROUNDS_PER_CALL;
    }
    return true;
}

KTEST(litmus, store_buffering_with_a_fence_never_reads_0_0)
{
    if (smp_online_count() < 2)
        KTEST_SKIP(t, "needs 2 CPUs (store buffering is between two)");
    uint32_t cpu_b = other_cpu();
    ASSERT_TRUE(t, cpu_b != arch_this_cpu()->index);
    ASSERT_TRUE(t, arch_cycles_per_second() != 0);
    __atomic_store_n(&x.value, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&y.value, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&start_missed, false, __ATOMIC_RELAXED);
    uint64_t next_round = 1, next_call = 0;
    for (enum sb_variant v = SB_PLAIN; v < SB_VARIANTS; v++) {
        struct sb_counts n;
        if (!run_variant(v, cpu_b, &next_round, &next_call, &n)) {
            ktest_fail(t, __FILE__, __LINE__,
                       "sb %s: CPU %u did not see the start time within %u ms", variant_name[v],
                       cpu_b, START_WAIT_MS);
            return;
        }
        kprintf("litmus: sb %s rounds=%llu 00=%llu 01=%llu 10=%llu 11=%llu cpus=%u,%u\n",
                variant_name[v], (unsigned long long)n.rounds, (unsigned long long)n.outcome[0],
                (unsigned long long)n.outcome[1], (unsigned long long)n.outcome[2],
                (unsigned long long)n.outcome[3], arch_this_cpu()->index, cpu_b);
        if (v != SB_PLAIN && n.outcome[0] != 0)
            ktest_fail(t, __FILE__, __LINE__,
                       "sb %s: both loads missed the other CPU's store in %llu rounds: the "
                       "fence did not order the store before the load",
                       variant_name[v], (unsigned long long)n.outcome[0]);
    }
}
