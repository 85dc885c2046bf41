/*
 * ipi.h - the rendezvous: run a function on every processor at once.
 *
 * Modelled on Windows' KeIpiGenericCall. The calling CPU interrupts the
 * others with an IPI; every participant raises to IPI_LEVEL with
 * interrupts off and waits at a barrier until all have arrived; then all
 * run worker(argument) at the same time; they wait at a second barrier
 * until every worker has returned. The call returns what the worker
 * returned on the calling CPU. docs/book/08-rendezvous.md gives the protocol.
 *
 * Rules for the worker (those of a bug-check callback): it runs at
 * IPI_LEVEL with interrupts disabled on every CPU at once, so it must not
 * take a lock another CPU might hold, allocate, print in a loop, or wait
 * for anything but the other participants. It must not call
 * ipi_generic_call itself.
 *
 * Rules for the caller: run below IPI_LEVEL, in ordinary code or in an
 * interrupt handler below IPI_LEVEL (the timer's). Interrupts may be on or off:
 * a CPU that waits for another CPU's call to finish before starting its own
 * takes part in that call while it waits (through the IPI when interrupts
 * are on, by looking for it when they are off), so calls from many CPUs at
 * once never deadlock.
 */
#ifndef KERNEL_SMP_IPI_H
#define KERNEL_SMP_IPI_H

#include "kernel/smp/barrier.h"
#include "kernel/smp/cpu.h"

#include <stdint.h>

typedef uintptr_t ipi_broadcast_worker(uintptr_t argument);

/* Runs worker(argument) on every online CPU; returns the calling CPU's result. */
uintptr_t ipi_generic_call(ipi_broadcast_worker *worker, uintptr_t argument);

/* The same on the CPUs in targets (offline ones are ignored); the calling
 * CPU always takes part, whether it is in targets or not. */
uintptr_t ipi_generic_call_set(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                               uintptr_t argument);

enum ipi_status {
    IPI_OK,
    IPI_REFUSED_IRQL,   /* called at IPI_LEVEL or above */
    IPI_REFUSED_NESTED, /* called from inside a worker */
};

/* Like ipi_generic_call_set, but a refused call returns its reason (after
 * printing it) instead of stopping the kernel. targets NULL: all CPUs. */
enum ipi_status ipi_call_checked(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                                 uintptr_t argument, uintptr_t *result);

/* The barrier asked for (option barrier=): AUTO chooses by the number of
 * CPUs (barrier_kind_for). */
enum ipi_barrier { IPI_BARRIER_AUTO, IPI_BARRIER_CENTRAL, IPI_BARRIER_DISSEMINATION };

/* Sets the rendezvous up before any CPU calls: the barrier, the bound on
 * every wait, and how long a CPU spins at a barrier before it halts until
 * woken, 0 for never (options barrier=, ipi_timeout_ms= and
 * barrier_spin_us=, which kmain passes; OPTION_AUTO: as long as waking an
 * idle CPU takes, measured now). */
void ipi_init(enum ipi_barrier barrier, uint64_t timeout_ms, uint64_t spin_us);

enum barrier_kind ipi_barrier_kind(void);
uint64_t ipi_timeout_ms(void);
uint64_t ipi_barrier_spin_us(void);    /* as ipi_init chose it (measured for auto); 0: spin only */
uint64_t ipi_wake_round_trip_us(void); /* what auto measured; 0: not measured */
uint64_t ipi_calls_started(void);      /* calls made so far, system-wide */

/* Self-test support: every caller busy-waits this long, interrupts still
 * as it came, just before it disables them to queue for the call lock: it
 * widens the window in which an interrupt handler that calls can arrive. */
void ipi_test_set_caller_delay_us(uint64_t microseconds);

/* ipi_delivery=each: one IPI per CPU even where the all-excluding-self
 * shorthand would do (kmain sets it from the option; the benchmark
 * compares the two). Call while no call is under way. */
enum ipi_delivery { IPI_DELIVERY_AUTO, IPI_DELIVERY_EACH };
void ipi_set_delivery_each(bool each);

/* Fault injection (inject=lost-ipi): the next call that would send cpu
 * its IPI sends it none, once. Call before the call, at boot. */
void ipi_test_lose_next_ipi_to(uint32_t cpu);

/* Self-test support: changes barrier_spin_us= (0: spin only), so a test
 * can hold the spinning path or force sleeps. It may be called at any
 * time, even from a worker: a CPU already asleep is still woken. */
void ipi_test_set_barrier_spin_us(uint64_t spin_us);

/* Sleeps of a CPU at the rendezvous' barriers that their bound ended after
 * the barrier had already let it through: wake-ups that never came. Zero
 * in a correct kernel; the self-tests, make bench and make soak check it. */
uint64_t ipi_lost_wakeups(uint32_t cpu);

/* Prints "<prefix>sleeps=<n> lost_wakeups=<n>", then " cpu<i>=<n>" for each
 * CPU that lost any: the whole system's, since boot (make bench and make
 * soak read the line). */
void ipi_print_sleep_counts(const char *prefix);

/* Every NMI after start-up: the part of a timeout report that runs on a CPU
 * that did not arrive, or the stop; one the kernel did not ask for is
 * reported (with what the platform says caused it) and survived. */
bool ipi_nmi(uintptr_t pc, uintptr_t fp);
uint64_t ipi_unexpected_nmis(void); /* NMIs reported and survived so far */

/* For a panic or an exception: if this CPU is running a rendezvous
 * worker, says so (the call's number, worker and caller). */
void ipi_report_if_in_worker(void);

#endif
