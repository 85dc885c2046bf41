/*
 * barrier.h - spin barriers for the rendezvous.
 *
 * A struct barrier belongs to its user (the rendezvous has one); two users
 * never share one. Every use of a barrier is an *episode* with a number
 * that only grows. A participant knows the episode, its rank (0..count-1)
 * among the participants, and their count; it returns once all `count`
 * have arrived. Episodes may have different participants, which is why the
 * barriers compare episode numbers rather than flipping a one-bit sense: a
 * CPU that left one episode late must not be fooled by the next two
 * completing without it.
 *
 * Two algorithms, chosen when the barrier is set up:
 *  - central: one shared counter; the last to arrive publishes the episode.
 *    O(n) traffic on one cache line, fine for a handful of CPUs.
 *  - dissemination (Hensgen, Finkel and Manber 1988): ceil(log2 n) rounds;
 *    in round k, rank r signals rank (r + 2^k) mod n and waits for a signal
 *    from rank (r - 2^k) mod n. Each flag has a cache line of its own and
 *    only one writer per episode, so no line is fought over.
 *
 * An episode ends in exactly one of two ways, for every participant alike:
 * it is *released* (everyone arrived) or it is *aborted* (a participant's
 * deadline passed first and it said so before anyone was released). So a
 * timeout never lets some participants go on and stops the others.
 * Every spin uses arch_cpu_relax() and has one deadline.
 */
#ifndef KERNEL_SMP_BARRIER_H
#define KERNEL_SMP_BARRIER_H

#include "kernel/smp/cpu.h"

#include <stdbool.h>
#include <stdint.h>

enum barrier_kind { BARRIER_CENTRAL, BARRIER_DISSEMINATION };

#define BARRIER_DISSEMINATION_ROUNDS 10 /* 2^10 = 1024 >= MAX_CPUS */
_Static_assert((1u << BARRIER_DISSEMINATION_ROUNDS) >= MAX_CPUS, "a round per doubling");

struct barrier_word {
    uint64_t value;
} __attribute__((aligned(CACHE_LINE)));

/*
 * Spinning, then sleeping (optional: barrier_set_sleep). A waiter that has
 * spun for spin_cycles without being let through announces itself and calls
 * sleep(), which returns when wake(its id) was called, or earlier, and at the
 * latest when the waiter's own deadline comes (it then looks again), so a
 * participant that never comes is still reported in time. Whoever changes
 * what a sleeper waits for wakes it. On a host with fewer cores than CPUs
 * this gives the core back to the CPU being waited for, instead of spinning
 * out a whole host time slice.
 *
 * Ids are what self_id() returns, the same numbers as in the members set
 * passed to barrier_wait (the kernel's CPU indexes).
 */
#define BARRIER_SPIN_ONLY UINT64_MAX /* spin_cycles: never sleep */

struct barrier_sleep_ops {
    uint64_t spin_cycles;      /* atomic: may change between episodes */
    uint32_t (*self_id)(void); /* who is sleeping, for wake() */
    bool (*can_sleep)(void);   /* false: this CPU cannot bound a sleep now; it spins */
    /* Sleeps at most max_cycles. True when that bound ended the sleep;
     * false when a wake() did (one sent before the sleep counts), or
     * something else that ends a sleep, or when the bound was too short to
     * sleep at all. Either way the waiter looks again. */
    bool (*sleep)(uint64_t max_cycles);
    void (*wake)(uint32_t id);
};

/* What one CPU has announced. Written only by that CPU: no waker, and no
 * CPU of an older or newer episode, overwrites or clears it. */
struct barrier_sleeper {
    uint64_t episode;      /* the episode it is about to sleep in; 0: none (atomic) */
    uint64_t lost_wakeups; /* sleeps its bound ended after the wait was over (atomic) */
} __attribute__((aligned(CACHE_LINE)));

struct barrier {
    enum barrier_kind kind;
    const struct barrier_sleep_ops *sleep;    /* NULL: spin only */
    struct barrier_word sleepers;             /* how many are announced (atomic) */
    struct barrier_sleeper sleeper[MAX_CPUS]; /* by id */
    /* Central: arrivals, and the outcome word (episode << 1 | aborted),
     * on separate lines so arrivals do not disturb the spinners. */
    struct barrier_word arrived;
    struct barrier_word outcome;
    /* Dissemination: flag[rank][round] holds the newest episode signalled;
     * the outcome word above decides released-or-aborted once per episode. */
    struct barrier_word flag[MAX_CPUS][BARRIER_DISSEMINATION_ROUNDS];
};

/* Lets waiters of b sleep after spinning. Set it once, before the first
 * episode; ops stays valid from then on. To stop sleeping for a while, set
 * ops->spin_cycles to BARRIER_SPIN_ONLY instead: sleepers still waiting
 * must be woken, so the wakers must keep their ops. */
void barrier_set_sleep(struct barrier *b, const struct barrier_sleep_ops *ops);

/* Sleeps of CPU id that ended by their bound although what it waited for
 * had already happened: wake-ups that never came. A correct barrier has
 * none, whatever the timing. */
uint64_t barrier_lost_wakeups(const struct barrier *b, uint32_t id);

enum barrier_result {
    BARRIER_RELEASED,  /* everyone arrived */
    BARRIER_TIMED_OUT, /* this CPU's deadline passed and it aborted the episode */
    BARRIER_ABORTED,   /* another participant aborted the episode */
    BARRIER_LATE,      /* released for the others, but this CPU's share of the
                          signals did not come within twice the bound */
};

/* The kind for a rendezvous of up to cpus CPUs (barrier=auto): central up
 * to BARRIER_CENTRAL_UP_TO CPUs, dissemination beyond (barrier.c says why). */
#define BARRIER_CENTRAL_UP_TO 4
enum barrier_kind barrier_kind_for(uint32_t cpus);
const char *barrier_kind_name(enum barrier_kind kind);

/* Makes b an unused barrier of the given kind (no episode seen yet). */
void barrier_init(struct barrier *b, enum barrier_kind kind);

/* Waits for all `count` participants of `episode` (> every earlier one).
 * members lists them by id; this CPU is the rank-th lowest among them
 * (NULL: the participants are ids 0..count-1, rank = id). The barrier
 * reads members only to wake sleepers, and only while the wait lasts.
 * The wait ends at the latest `limit_cycles` of arch_cycles() after it
 * starts (BARRIER_TIMED_OUT or BARRIER_ABORTED), except when the episode
 * was released for someone else meanwhile: then this CPU keeps waiting for
 * its signals, at most as long again (BARRIER_LATE). After anything but
 * BARRIER_RELEASED the barrier is unusable: the caller must stop. */
enum barrier_result barrier_wait(struct barrier *b, uint64_t episode, const struct cpu_set *members,
                                 uint32_t rank, uint32_t count, uint64_t limit_cycles);

#endif
