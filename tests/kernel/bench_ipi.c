/*
 * bench_ipi.c - what a rendezvous costs, in cycles of the calling CPU, with
 * the barrier chosen on the command line (barrier=...).
 */
#include "kernel/bench.h"
#include "kernel/ipi.h"
#include "kernel/smp.h"
#include "lib/format.h"

static uintptr_t empty_worker(uintptr_t argument) { return argument; }

static void one_call(void *arg)
{
    (void)arg;
    ipi_generic_call(empty_worker, 0);
}

KBENCH(ipi_generic_call)
{
    char name[64];
    fmt_snprintf(name, sizeof(name), "ipi_generic_call_%s_%zucpus",
                 barrier_kind_name(ipi_barrier_kind()), smp_online_count());
    bench_measure(name, one_call, 0, 200);
}
