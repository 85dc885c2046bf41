/*
 * spinlock.c - see spinlock.h.
 */
#include "kernel/smp/spinlock.h"

#include "kernel/arch.h"

bool spin_lock_bounded(struct spinlock *lock, uint64_t max_spins)
{
    for (uint64_t spins = 0;; spins++) {
        if (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) == 0 &&
            __atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE) == 0)
            return true;
        if (spins >= max_spins)
            return false;
        arch_cpu_relax();
    }
}

void spin_unlock(struct spinlock *lock) { __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE); }
