/*
 * bench_basic.c - baselines the rendezvous numbers are read against: what
 * it costs to read the cycle counter, and to take and return from a trap.
 */
#include "kernel/arch.h"
#include "kernel/bench.h"

static void read_cycles(void *arg)
{
    (void)arg;
    (void)arch_cycles();
}

static void breakpoint_round_trip(void *arg)
{
    (void)arg;
    arch_breakpoint();
}

KBENCH(cycle_counter_read)
{
    bench_measure("cycle_counter_read", read_cycles, 0, 1000);
}

KBENCH(trap_round_trip)
{
    bench_measure("trap_round_trip", breakpoint_round_trip, 0, 1000);
}
