/*
 * bench_x86_traps.c - what an exception costs: ud2, the #UD handler, and
 * the way back through arch_try_call. (Not int3: some hypervisors cannot
 * deliver it to a guest; #UD works everywhere.)
 */
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/bench.h"

static void raise_invalid_opcode(void *arg)
{
    (void)arg;
    __asm__ volatile("ud2");
}

static void fault_round_trip(void *arg)
{
    (void)arg;
    struct arch_fault fault;
    (void)arch_try_call(raise_invalid_opcode, 0, &fault);
}

KBENCH(fault_round_trip) { bench_measure("fault_round_trip", 1, fault_round_trip, 0, 1000); }
