/*
 * bench_basic.c - a baseline the rendezvous numbers are read against: what
 * it costs to read the cycle counter. (bench_x86_traps.c times a trap.)
 */
#include "kernel/arch.h"
#include "kernel/bench.h"

static void read_cycles(void *arg)
{
    (void)arg;
    (void)arch_cycles();
}

KBENCH(cycle_counter_read) { bench_measure("cycle_counter_read", read_cycles, 0, 1000); }
