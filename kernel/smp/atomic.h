/*
 * atomic.h - the one way to touch a word that another CPU may read or
 * write at the same time.
 *
 * Such a field is a plain (not volatile) integer or pointer that is only
 * ever accessed through these, each naming its memory order (C11 §7.17.3):
 * relaxed for a value nothing else is ordered by (a counter, a word only its
 * owner writes), release/acquire for a word that hands over what was written
 * before it (a state, a flag, a sequence number). A plain access to such a
 * field, even by its only writer, would make it a data race; volatile does
 * not help, as it orders nothing between CPUs. The rendezvous (ipi.c,
 * barrier.c) states its orderings with the same builtins, spelled out.
 */
#ifndef KERNEL_SMP_ATOMIC_H
#define KERNEL_SMP_ATOMIC_H

#define atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_add_relaxed(p, v) ((void)__atomic_add_fetch((p), (v), __ATOMIC_RELAXED))
#define atomic_add_release(p, v) ((void)__atomic_add_fetch((p), (v), __ATOMIC_RELEASE))

#endif
