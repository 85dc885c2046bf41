/*
 * spinlock.h - a test-and-test-and-set spinlock.
 *
 * Waiters spin on a plain load (the cache line stays shared until the
 * holder releases it) with arch_cpu_relax(), and only then try the atomic
 * exchange. The holder must not sleep or wait for other CPUs.
 */
#ifndef KERNEL_SMP_SPINLOCK_H
#define KERNEL_SMP_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
    volatile uint32_t locked;
};

#define SPINLOCK_INIT                                                                              \
    {                                                                                              \
        0                                                                                          \
    }

/* Takes the lock, or gives up after max_spins failed looks and returns
 * false (the caller decides what a stuck holder means). */
bool spin_lock_bounded(struct spinlock *lock, uint64_t max_spins);
void spin_unlock(struct spinlock *lock);

#endif
