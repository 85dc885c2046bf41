/*
 * bench.c - the benchmark runner. Cycle counts only: wall-clock time in a
 * virtual machine says more about the host than about the kernel.
 */
#include "kernel/bench.h"

#include "kernel/arch.h"
#include "kernel/console.h"

extern const struct kbench __kbench_start[], __kbench_end[];

static uint64_t samples_buf[BENCH_MAX_SAMPLES];

static void sort(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion sort: n is small */
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

void bench_measure(const char *name, void (*op)(void *), void *arg, size_t samples)
{
    if (samples > BENCH_MAX_SAMPLES)
        samples = BENCH_MAX_SAMPLES;
    if (samples == 0)
        return;
    for (size_t i = 0; i < samples / 8 + 1; i++) /* warm caches and TLBs */
        op(arg);
    for (size_t i = 0; i < samples; i++) {
        uint64_t start = arch_cycles();
        op(arg);
        samples_buf[i] = arch_cycles() - start;
    }
    sort(samples_buf, samples);
    kprintf("bench: %s cycles min=%llu median=%llu max=%llu samples=%zu\n", name,
            (unsigned long long)samples_buf[0], (unsigned long long)samples_buf[samples / 2],
            (unsigned long long)samples_buf[samples - 1], samples);
}

void bench_run_all(void)
{
    for (const struct kbench *b = __kbench_start; b < __kbench_end; b++)
        b->fn();
    kprintf("bench: done\n");
}
