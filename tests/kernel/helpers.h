/*
 * helpers.h - what several self-test files need alike: which AP to post
 * work to, and how long to wait for it.
 */
#ifndef TESTS_KERNEL_HELPERS_H
#define TESTS_KERNEL_HELPERS_H

#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"

#include <stdint.h>

/* The last online AP (not the last slot: a CPU that did not start leaves
 * a hole), or NULL on one CPU. */
static inline struct cpu *test_last_online_ap(void)
{
    struct cpu *ap = NULL;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            ap = smp_cpu(i);
    return ap;
}

/* Posted work ends within a few rendezvous bounds, or something is stuck:
 * a bounded wait that fails by name instead of a long hang. */
static inline uint64_t test_work_timeout_ms(void) { return 3 * ipi_timeout_ms() + 60000; }

#endif
