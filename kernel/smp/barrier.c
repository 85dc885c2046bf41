/*
 * barrier.c - the two spin barriers (see barrier.h for the contract).
 *
 * The outcome word holds (episode << 1) | aborted for the newest episode
 * decided. Releasing and aborting an episode are both compare-and-swaps
 * from "undecided" on that one word, so exactly one of them happens, and
 * every participant learns which from the same word.
 */
#include "kernel/smp/barrier.h"

#include "kernel/arch.h"
#include "lib/string.h"

/* LAB(barrier-open) begin: the deadline of a wait */
#define CHECK_CLOCK_EVERY 64 /* spins between reads of the cycle counter */

/* A wait's deadline, started at its first look at the clock rather than on
 * entry: a crossing that does not have to wait never reads the clock
 * (which traps under some hypervisors), and a wait that does is late by at
 * most CHECK_CLOCK_EVERY spins more than its limit. */
struct deadline {
    uint64_t at;    /* 0: not started */
    uint64_t limit; /* cycles */
};

static bool deadline_passed(struct deadline *d, uint64_t now)
{
    if (d->at == 0) {
        d->at = now + d->limit;
        return d->limit == 0;
    }
    return (int64_t)(now - d->at) >= 0;
}
/* LAB(barrier-open) stub
LAB(barrier-open) end */

_Static_assert((1u << BARRIER_DISSEMINATION_ROUNDS) >= MAX_CPUS, "enough rounds for every CPU");

/* A central crossing moves the counter's line through every arrival one
 * after another, then the release to every waiter: about 2n hand-offs on
 * the critical path. A dissemination crossing takes ceil(log2 n) rounds of
 * one hand-off each, all pairs at once, but touches more lines. With few
 * CPUs the central barrier's single line wins (it was cheaper at two CPUs
 * in every measurement, docs/book/09-measuring.md); from about 2n > 2 log2(n) + a
 * few hand-offs, that is beyond four CPUs, dissemination's rounds do. */
enum barrier_kind barrier_kind_for(uint32_t cpus)
{
    return cpus <= BARRIER_CENTRAL_UP_TO ? BARRIER_CENTRAL : BARRIER_DISSEMINATION;
}

const char *barrier_kind_name(enum barrier_kind kind)
{
    return kind == BARRIER_CENTRAL ? "central" : "dissemination";
}

void barrier_init(struct barrier *b, enum barrier_kind kind)
{
    memset(b, 0, sizeof(*b));
    b->kind = kind;
}

/* Participants of one episode may still be leaving (and waking) when the
 * next is set up: each reads the pointer once, and ops stay valid. */
void barrier_set_sleep(struct barrier *b, const struct barrier_sleep_ops *ops)
{
    __atomic_store_n(&b->sleep, ops, __ATOMIC_RELEASE);
}

static const struct barrier_sleep_ops *sleep_ops_of(struct barrier *b)
{
    return __atomic_load_n(&b->sleep, __ATOMIC_ACQUIRE);
}

uint64_t barrier_lost_wakeups(const struct barrier *b, uint32_t id)
{
    return __atomic_load_n(&b->sleeper[id].lost_wakeups, __ATOMIC_RELAXED);
}

/* LAB(barrier-open) begin: both barriers: arrive, decide, wait with a deadline, sleep, wake */
/* ---- sleeping and waking ----
 * A sleeper announces itself in its own word (the episode it sleeps in),
 * then looks at what it waits for once more; a waker changes what the
 * sleeper waits for, then looks at the sleeper's word. Both stores and both
 * second looks are sequentially consistent, so they are in one total order
 * (C11 7.17.3) and at least one side sees the other: the sleeper does not
 * sleep, or the waker wakes it. A wake that comes before the sleep makes
 * the sleep return at once.
 *
 * Why nothing can be lost: a CPU's word is written by that CPU alone, so no
 * announcement is overwritten or cleared by another CPU, whichever episode
 * either is in (ranks move between calls; ids do not). A waker finds the
 * sleepers of its episode through the episode's own participant list, and
 * wakes a CPU only if the word names that episode: a CPU that has moved on
 * is left alone. A wake that lands late or twice ends some later sleep
 * early: the CPU looks again and sleeps again, which costs time, not
 * correctness. docs/book/07-barriers.md tells the whole argument. */

/* The id of the participant of rank r (rank < count, so there is one). */
static uint32_t id_of(const struct cpu_set *members, uint32_t rank)
{
    return members == NULL ? rank : cpu_set_nth(members, rank);
}

static bool wait_is_over(struct barrier *b, const uint64_t *word, uint64_t target, uint64_t episode)
{
    return __atomic_load_n(word, __ATOMIC_SEQ_CST) >= target ||
           (__atomic_load_n(&b->outcome.value, __ATOMIC_SEQ_CST) >> 1) >= episode;
}

static void sleep_once(struct barrier *b, const struct barrier_sleep_ops *ops, const uint64_t *word,
                       uint64_t target, uint64_t episode, uint64_t max_cycles)
{
    if (!ops->can_sleep())
        return;
    struct barrier_sleeper *me = &b->sleeper[ops->self_id()];
    __atomic_store_n(&me->episode, episode, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&b->sleepers.value, 1, __ATOMIC_SEQ_CST);
    if (!wait_is_over(b, word, target, episode) && ops->sleep(max_cycles) &&
        wait_is_over(b, word, target, episode))
        __atomic_add_fetch(&me->lost_wakeups, 1, __ATOMIC_RELAXED); /* the bound, not a waker */
    /* Sequentially consistent like the announcement: the argument above
     * needs all four in one total order, and a sleep costs far more. */
    __atomic_store_n(&me->episode, 0, __ATOMIC_SEQ_CST);
    __atomic_sub_fetch(&b->sleepers.value, 1, __ATOMIC_SEQ_CST);
}

/* Wakes the CPU id if it announced a sleep in episode. */
static void wake_id(struct barrier *b, const struct barrier_sleep_ops *ops, uint32_t id,
                    uint64_t episode)
{
    if (id < MAX_CPUS && __atomic_load_n(&b->sleeper[id].episode, __ATOMIC_SEQ_CST) == episode)
        ops->wake(id);
}

/* After a seq_cst change of what the waiters of episode wait for: wake
 * every participant asleep in it (one load when nobody sleeps). */
static void wake_sleepers(struct barrier *b, uint64_t episode, const struct cpu_set *members,
                          uint32_t count)
{
    const struct barrier_sleep_ops *ops = sleep_ops_of(b);
    if (ops == NULL || __atomic_load_n(&b->sleepers.value, __ATOMIC_SEQ_CST) == 0)
        return;
    if (members == NULL) {
        for (uint32_t id = 0; id < count; id++)
            wake_id(b, ops, id, episode);
        return;
    }
    /* Up to the count-th member: a copy of the call holds only the words
     * that can name a CPU of this machine (read_call), not the rest. */
    uint32_t found = 0;
    for (uint32_t w = 0; w < CPU_SET_WORDS && found < count; w++)
        for (uint64_t bits = members->bits[w]; bits != 0 && found < count; bits &= bits - 1) {
            uint32_t bit = 0;
            while (((bits >> bit) & 1) == 0)
                bit++;
            wake_id(b, ops, w * 64 + bit, episode);
            found++;
        }
}

/* The same for the one participant of rank r. */
static void wake_one(struct barrier *b, uint64_t episode, const struct cpu_set *members,
                     uint32_t rank)
{
    const struct barrier_sleep_ops *ops = sleep_ops_of(b);
    if (ops != NULL && __atomic_load_n(&b->sleepers.value, __ATOMIC_SEQ_CST) != 0)
        wake_id(b, ops, id_of(members, rank), episode);
}

#define OUTCOME_RELEASED(e) ((e) << 1)
#define OUTCOME_ABORTED(e) (((e) << 1) | 1)

/* Decides episode's outcome as wanted unless it is decided already.
 * Returns true when this call made the decision; *outcome is the word as
 * it then stands. Two CPUs whose deadlines pass together both try to
 * abort: only the one whose swap succeeded may call itself the one that
 * timed out, or both would report. */
static bool decide(struct barrier *b, uint64_t episode, uint64_t wanted, uint64_t *outcome)
{
    uint64_t seen = __atomic_load_n(&b->outcome.value, __ATOMIC_ACQUIRE);
    while ((seen >> 1) < episode) {
        if (__atomic_compare_exchange_n(&b->outcome.value, &seen, wanted, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_ACQUIRE)) {
            *outcome = wanted;
            return true;
        }
    }
    *outcome = seen;
    return false;
}

/* What outcome says about episode. A newer episode decided means this one
 * was released: after an abort nobody starts another (the kernel stops),
 * while a CPU left out of the next call may look only after it ended. */
static enum barrier_result result_of(uint64_t outcome, uint64_t episode)
{
    return outcome == OUTCOME_ABORTED(episode) ? BARRIER_ABORTED : BARRIER_RELEASED;
}

static bool decided(struct barrier *b, uint64_t episode)
{
    return (__atomic_load_n(&b->outcome.value, __ATOMIC_ACQUIRE) >> 1) >= episode;
}

/*
 * Spins until *word >= target (*value: what it read). Returns true when it
 * got there; false when the deadline passed (*timed_out then says so) or,
 * if watch_outcome, when the episode was decided (released or aborted) by
 * someone else first.
 * If may_sleep, it sleeps once it has spun for the sleep ops' spin_cycles.
 */
static bool spin_until(struct barrier *b, const uint64_t *word, uint64_t target, uint64_t episode,
                       struct deadline *deadline, bool watch_outcome, bool may_sleep,
                       bool *timed_out, uint64_t *value)
{
    *timed_out = false;
    for (uint64_t spins = 1;; spins++) {
        if ((*value = __atomic_load_n(word, __ATOMIC_ACQUIRE)) >= target)
            return true;
        if (spins % CHECK_CLOCK_EVERY == 0) {
            if (watch_outcome && decided(b, episode))
                return false;
            uint64_t now = arch_cycles();
            if (deadline_passed(deadline, now)) {
                *timed_out = true;
                return false;
            }
            const struct barrier_sleep_ops *ops = sleep_ops_of(b);
            if (may_sleep && ops != NULL &&
                now - (deadline->at - deadline->limit) >=
                    __atomic_load_n(&ops->spin_cycles, __ATOMIC_RELAXED))
                sleep_once(b, ops, word, target, episode, deadline->at - now);
        }
        arch_cpu_relax();
    }
}

/* The deadline passed: abort the episode unless it was decided meanwhile. */
static enum barrier_result give_up(struct barrier *b, uint64_t episode,
                                   const struct cpu_set *members, uint32_t count)
{
    uint64_t outcome;
    if (decide(b, episode, OUTCOME_ABORTED(episode), &outcome)) {
        wake_sleepers(b, episode, members, count); /* they must see the abort */
        return BARRIER_TIMED_OUT;
    }
    return result_of(outcome, episode);
}

static enum barrier_result central_wait(struct barrier *b, uint64_t episode,
                                        const struct cpu_set *members, uint32_t count,
                                        struct deadline *deadline)
{
    /* LAB(central-barrier) begin: count the arrivals; the last one releases the episode */
    /* The last to arrive resets the counter before it decides the episode:
     * nobody can arrive for the next one until someone has seen this one
     * released. */
    if (__atomic_add_fetch(&b->arrived.value, 1, __ATOMIC_ACQ_REL) == count) {
        __atomic_store_n(&b->arrived.value, 0, __ATOMIC_RELAXED);
        uint64_t outcome;
        decide(b, episode, OUTCOME_RELEASED(episode), &outcome);
        wake_sleepers(b, episode, members, count);
        return result_of(outcome, episode);
    }
    bool timed_out;
    uint64_t outcome;
    if (!spin_until(b, &b->outcome.value, OUTCOME_RELEASED(episode), episode, deadline, false, true,
                    &timed_out, &outcome))
        return give_up(b, episode, members, count);
    return result_of(outcome, episode);
    /* LAB(central-barrier) stub
    (void)b;
    (void)episode;
    (void)members;
    (void)count;
    (void)deadline;
    return BARRIER_RELEASED; // everyone through at once: no barrier at all
    LAB(central-barrier) end */
}

/* Stores episode in *flag unless a newer one is there already: a late
 * signal from an older episode must not hide a newer one. */
static void signal_at_least(uint64_t *flag, uint64_t episode)
{
    uint64_t seen = __atomic_load_n(flag, __ATOMIC_RELAXED);
    while (seen < episode && !__atomic_compare_exchange_n(flag, &seen, episode, true,
                                                          __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
    }
}

static enum barrier_result dissemination_wait(struct barrier *b, uint64_t episode,
                                              const struct cpu_set *members, uint32_t rank,
                                              uint32_t count, struct deadline *deadline)
{
    /* LAB(dissemination-barrier) begin: ceil(log2(count)) rounds of signal-and-wait */
    bool watch_outcome = true, extended = false;
    for (uint32_t round = 0, distance = 1; distance < count; round++, distance <<= 1) {
        uint32_t partner = (rank + distance) % count;
        signal_at_least(&b->flag[partner][round].value, episode);
        wake_one(b, episode, members, partner);
        bool timed_out;
        uint64_t signal;
        /* Once released (watch_outcome false) it does not sleep: what it
         * would sleep for is over, and its signals are on their way. */
        while (!spin_until(b, &b->flag[rank][round].value, episode, episode, deadline,
                           watch_outcome, watch_outcome, &timed_out, &signal)) {
            enum barrier_result r =
                timed_out
                    ? give_up(b, episode, members, count)
                    : result_of(__atomic_load_n(&b->outcome.value, __ATOMIC_ACQUIRE), episode);
            if (r != BARRIER_RELEASED)
                return r;
            /* Released by someone who saw everyone arrive: this CPU's
             * remaining signals are on their way. Wait for them (still
             * signalling its own partners), at most as long again. */
            watch_outcome = false;
            if (timed_out) {
                if (extended)
                    return BARRIER_LATE;
                extended = true;
                deadline->at += deadline->limit;
            }
        }
    }
    /* Every participant has arrived: release the episode, unless a
     * participant that had not seen that yet gave up first. */
    uint64_t outcome;
    if (decide(b, episode, OUTCOME_RELEASED(episode), &outcome))
        wake_sleepers(b, episode, members, count); /* those still watching for the decision */
    return result_of(outcome, episode);
    /* LAB(dissemination-barrier) stub
    (void)b;
    (void)episode;
    (void)members;
    (void)rank;
    (void)count;
    (void)deadline;
    (void)signal_at_least; // the helpers you will want
    (void)wake_one;
    return BARRIER_RELEASED; // everyone through at once: no barrier at all
    LAB(dissemination-barrier) end */
}

enum barrier_result barrier_wait(struct barrier *b, uint64_t episode, const struct cpu_set *members,
                                 uint32_t rank, uint32_t count, uint64_t limit_cycles)
{
    if (count <= 1)
        return BARRIER_RELEASED;
    struct deadline deadline = {0, limit_cycles};
    if (b->kind == BARRIER_CENTRAL)
        return central_wait(b, episode, members, count, &deadline);
    return dissemination_wait(b, episode, members, rank, count, &deadline);
}
/* LAB(barrier-open) stub
enum barrier_result barrier_wait(struct barrier *b, uint64_t episode, const struct cpu_set *members,
                                 uint32_t rank, uint32_t count, uint64_t limit_cycles)
{
    (void)b;
    (void)episode;
    (void)members;
    (void)rank;
    (void)count;
    (void)limit_cycles;
    (void)sleep_ops_of; // what barrier_set_sleep stored: NULL, or how to sleep and wake
    return BARRIER_RELEASED; // everyone through at once, of either kind: no barrier at all
}
LAB(barrier-open) end */
