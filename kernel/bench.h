/*
 * bench.h - benchmarks, run with the command-line option "bench".
 *
 * A benchmark is registered with KBENCH(name) and measures with
 * bench_measure(); the results are printed one line each, in the form
 *   bench: <name> cycles min=<n> median=<n> max=<n> samples=<n>
 * which tools read, so keep it.
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

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

#define BENCH_MAX_SAMPLES 1024

/* Times op(arg) `samples` times (at most BENCH_MAX_SAMPLES) in cycles of
 * arch_cycles(), after a warm-up, and prints the bench: line for name. */
void bench_measure(const char *name, void (*op)(void *), void *arg, size_t samples);

void bench_run_all(void);

#endif
