/*
 * bench.h - benchmarks, run with the command-line option "bench".
 *
 * A benchmark is registered with KBENCH(name) and measures with
 * bench_measure(); each figure is printed as one line, in exactly this
 * form (cycles of the calling CPU's cycle counter), which tools/bench.py
 * and the test runner read:
 *   bench: name=<name> cpus=<n> iters=<k> min=<c> p50=<c> p90=<c> p99=<c> max=<c> tsc_mhz=<f>
 * each followed by its distribution, 21 quantiles (0, 5, ..., 100 %):
 *   bench: quantiles name=<name> cpus=<n> q=<c>,<c>,...,<c>
 * and, after each figure measured by bench_measure, the line of its
 * counted pass (see bench_measure):
 *   bench: count name=<name> cpus=<n> calls=<k>
 * and, after all of them, a table for people, then "bench: done".
 */
#ifndef KERNEL_DIAG_BENCH_H
#define KERNEL_DIAG_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct kbench {
    const char *name;
    void (*fn)(void);
};

#define KBENCH(bname)                                                                              \
    static void kbench_fn_##bname(void);                                                           \
    static const struct kbench kbench_rec_##bname                                                  \
        __attribute__((used, section(".kbench." #bname), aligned(8))) = {#bname,                   \
                                                                         kbench_fn_##bname};       \
    static void kbench_fn_##bname(void)

#define BENCH_MAX_SAMPLES 10000

/*
 * Times op(arg) `iterations` times (at most BENCH_MAX_SAMPLES) in cycles of
 * arch_cycles(), after a warm-up, and prints the bench: line for name, with
 * cpus CPUs taking part. Where reading the clock costs a large part of one
 * op (it traps under some hypervisors), ops are timed in batches and the
 * percentiles are over batch means. Then runs op 16 more times between
 * the marks of arch_count_* (kernel/arch.h), which QEMU's plugin under
 * make bench ACCEL=icount counts in instructions per CPU; the first
 * counted pass, of an op that does nothing, is named "harness". Returns
 * the p50.
 */
uint64_t bench_measure(const char *name, uint32_t cpus, void (*op)(void *), void *arg,
                       size_t iterations);

/* Prints and records a figure from n samples measured some other way
 * (sorts them in place). */
void bench_report(const char *name, uint32_t cpus, uint64_t *samples, size_t n);

void bench_run_all(void);

#endif
