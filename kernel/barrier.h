/*
 * barrier.h - spin barriers for the rendezvous.
 *
 * Every use of a barrier is an *episode* with a number that only grows
 * (the rendezvous uses two per call). A participant knows the episode, its
 * rank (0..count-1) among the participants, and their count; it returns
 * once all `count` have arrived. Episodes may have different participants,
 * which is why the barriers compare episode numbers rather than flipping a
 * one-bit sense: a CPU that left one episode late must not be fooled by the
 * next two completing without it.
 *
 * Two algorithms, chosen with barrier=central|dissemination:
 *  - central: one shared counter; the last to arrive publishes the episode.
 *    O(n) traffic on one cache line, fine for a handful of CPUs.
 *  - dissemination (Hensgen, Finkel and Manber 1988): ceil(log2 n) rounds;
 *    in round k, rank r signals rank (r + 2^k) mod n and waits for a signal
 *    from rank (r - 2^k) mod n. Each flag has a cache line of its own and
 *    only one writer per episode, so no line is fought over.
 * Every spin uses arch_cpu_relax() and has a bound.
 */
#ifndef KERNEL_BARRIER_H
#define KERNEL_BARRIER_H

#include <stdbool.h>
#include <stdint.h>

enum barrier_kind { BARRIER_CENTRAL, BARRIER_DISSEMINATION };

/* Parses "central" or "dissemination"; false if neither. */
bool barrier_kind_parse(const char *name, enum barrier_kind *kind);
const char *barrier_kind_name(enum barrier_kind kind);

/* Waits for all `count` participants of `episode` (episode > 0). Returns
 * false if `limit_cycles` of arch_cycles() pass first (the barrier is then
 * unusable: the caller must stop). */
bool barrier_wait(enum barrier_kind kind, uint64_t episode, uint32_t rank, uint32_t count,
                  uint64_t limit_cycles);

#endif
