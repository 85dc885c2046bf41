/*
 * cpu_limits.h - how many CPUs the kernel runs and how many it reads from
 * the firmware: the one source of both (cpu.h's per-CPU table, madt.h's
 * list, options.c's bounds on maxcpus= and expect_cpus=).
 */
#ifndef KERNEL_SMP_CPU_LIMITS_H
#define KERNEL_SMP_CPU_LIMITS_H

/* CPUs the kernel starts and runs calls on (its per-CPU table). */
#define MAX_CPUS 512

/* CPUs read from the MADT: more than MAX_CPUS, so that a machine with more
 * is reported by its real count, and those past MAX_CPUS are left out by
 * name rather than unseen. */
#define MADT_MAX_CPUS (2 * MAX_CPUS)

#endif
