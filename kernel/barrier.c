/*
 * barrier.c - the two spin barriers (see barrier.h for the contract).
 */
#include "kernel/barrier.h"

#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "lib/string.h"

#define DISSEMINATION_MAX_ROUNDS 10 /* 2^10 = 1024 >= MAX_CPUS */
#define CHECK_CLOCK_EVERY 64        /* spins between reads of the cycle counter */

_Static_assert((1u << DISSEMINATION_MAX_ROUNDS) >= MAX_CPUS, "enough rounds for every CPU");

struct padded_u64 {
    uint64_t value;
} __attribute__((aligned(CACHE_LINE)));

/* Central: the arrival counter and the release word on separate lines, so
 * that arrivals do not disturb the spinners' cached copy of the release. */
static struct padded_u64 central_arrived;
static struct padded_u64 central_released;

/* Dissemination: flag[rank][round] holds the newest episode signalled. */
static struct padded_u64 dissemination_flag[MAX_CPUS][DISSEMINATION_MAX_ROUNDS];

bool barrier_kind_parse(const char *name, enum barrier_kind *kind)
{
    if (strcmp(name, "central") == 0)
        *kind = BARRIER_CENTRAL;
    else if (strcmp(name, "dissemination") == 0)
        *kind = BARRIER_DISSEMINATION;
    else
        return false;
    return true;
}

const char *barrier_kind_name(enum barrier_kind kind)
{
    return kind == BARRIER_CENTRAL ? "central" : "dissemination";
}

/* Spins until *word >= episode; false when limit_cycles pass. */
static bool wait_until_reached(uint64_t *word, uint64_t episode, uint64_t limit_cycles)
{
    uint64_t start = 0;
    for (uint32_t spins = 0;; spins++) {
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) >= episode)
            return true;
        if (spins % CHECK_CLOCK_EVERY == 0) {
            uint64_t now = arch_cycles();
            if (spins == 0)
                start = now;
            else if (now - start >= limit_cycles)
                return false;
        }
        arch_cpu_relax();
    }
}

static bool central_wait(uint64_t episode, uint32_t count, uint64_t limit_cycles)
{
    /* The last to arrive resets the counter before it publishes the
     * episode: nobody can arrive for the next episode until someone has
     * seen this one released. */
    if (__atomic_add_fetch(&central_arrived.value, 1, __ATOMIC_ACQ_REL) == count) {
        __atomic_store_n(&central_arrived.value, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&central_released.value, episode, __ATOMIC_RELEASE);
        return true;
    }
    return wait_until_reached(&central_released.value, episode, limit_cycles);
}

/* Stores episode in *flag unless a newer one is there already: a late
 * signal from an older episode must not hide a newer one. */
static void signal_at_least(uint64_t *flag, uint64_t episode)
{
    uint64_t seen = __atomic_load_n(flag, __ATOMIC_RELAXED);
    while (seen < episode &&
           !__atomic_compare_exchange_n(flag, &seen, episode, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)) {
    }
}

static bool dissemination_wait(uint64_t episode, uint32_t rank, uint32_t count,
                               uint64_t limit_cycles)
{
    for (uint32_t round = 0, distance = 1; distance < count; round++, distance <<= 1) {
        uint32_t partner = (rank + distance) % count;
        signal_at_least(&dissemination_flag[partner][round].value, episode);
        if (!wait_until_reached(&dissemination_flag[rank][round].value, episode, limit_cycles))
            return false;
    }
    return true;
}

bool barrier_wait(enum barrier_kind kind, uint64_t episode, uint32_t rank, uint32_t count,
                  uint64_t limit_cycles)
{
    if (count <= 1)
        return true;
    if (kind == BARRIER_CENTRAL)
        return central_wait(episode, count, limit_cycles);
    return dissemination_wait(episode, rank, count, limit_cycles);
}
