/*
 * bench_smp.c - what starting the APs cost at boot, as bench figures:
 *
 *   ap_start_each  per AP, from the start of the sequence until it checked
 *                  in (percentiles over the APs; ap_start=serial: each
 *                  AP's own start, one after another)
 *   ap_start_all   starting every AP, from the first INIT until the last
 *                  checked in (or timed out)
 */
#include "kernel/diag/bench.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/smp.h"

KBENCH(ap_start)
{
    static uint64_t each[MAX_CPUS];
    size_t n = 0;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            each[n++] = smp_cpu(i)->start_cycles;
    if (n == 0)
        return;
    uint32_t online = (uint32_t)smp_online_count();
    bench_report("ap_start_each", online, each, n);
    uint64_t all = smp_start_cycles();
    bench_report("ap_start_all", online, &all, 1);
}
