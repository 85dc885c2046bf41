/*
 * bench.c - the benchmark runner. Cycle counts only: wall-clock time in a
 * virtual machine says more about the host than about the kernel.
 */
#include "kernel/diag/bench.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/smp/ipi.h"
#include "kernel/time.h"
#include "lib/string.h"

#define MAX_FIGURES 128 /* a 256-CPU sweep makes about 40 */
#define NAME_LENGTH 48
#define CLOCK_SHARE 10 /* batch until the clock costs under 1/10 of a sample */
#define MAX_BATCH 64
#define COUNTED_CALLS 16 /* under -icount every call counts the same */
#define SETTLE_US 100    /* for the other CPUs to leave their handlers */

extern const struct kbench __kbench_start[], __kbench_end[];

static uint64_t samples[BENCH_MAX_SAMPLES];
static uint64_t clock_cost;

struct figure {
    char name[NAME_LENGTH];
    uint32_t cpus;
    size_t iterations;
    uint64_t p50, p99;
};
static struct figure figures[MAX_FIGURES];
static size_t figure_count;

/* Heap sort: 10 000 samples, no allocator, O(n log n) even under TCG. */
static void sift_down(uint64_t *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint64_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void sort(uint64_t *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end-- > 1;) {
        uint64_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

/* The p-th percentile (nearest rank) of n sorted samples. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned p)
{
    size_t rank = (n * p + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

static void print_line(const char *name, uint32_t cpus, size_t iterations, const uint64_t *v,
                       size_t n)
{
    uint64_t khz = arch_cycles_per_second() / 1000;
    kprintf("bench: name=%s cpus=%u iters=%zu min=%llu p50=%llu p90=%llu p99=%llu max=%llu "
            "tsc_mhz=%llu.%03llu\n",
            name, cpus, iterations, (unsigned long long)v[0],
            (unsigned long long)percentile(v, n, 50), (unsigned long long)percentile(v, n, 90),
            (unsigned long long)percentile(v, n, 99), (unsigned long long)v[n - 1],
            (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000));
    /* The distribution, for plots: nearest-rank quantiles every 5 %. */
    kprintf("bench: quantiles name=%s cpus=%u q=", name, cpus);
    for (unsigned p = 0; p <= 100; p += 5)
        kprintf("%s%llu", p == 0 ? "" : ",",
                (unsigned long long)(p == 0 ? v[0] : percentile(v, n, p)));
    kprintf("\n");
}

static size_t figures_not_kept;

static void record(const char *name, uint32_t cpus, size_t iterations, const uint64_t *v, size_t n)
{
    if (figure_count == MAX_FIGURES) {
        figures_not_kept++; /* its bench: line was printed; the table says so */
        return;
    }
    struct figure *f = &figures[figure_count++];
    strlcpy(f->name, name, sizeof(f->name));
    f->cpus = cpus;
    f->iterations = iterations;
    f->p50 = percentile(v, n, 50);
    f->p99 = percentile(v, n, 99);
}

/* Lets the other CPUs finish what the last op started (return from its
 * interrupt, go idle), outside the counted window. */
static void settle(void)
{
    uint64_t end = arch_cycles() + cycles_from_us(SETTLE_US);
    while (!cycles_past(end))
        arch_cpu_relax();
}

/*
 * The counted pass: COUNTED_CALLS ops between marks, for the QEMU plugin
 * of make bench ACCEL=icount to count each CPU's instructions (tools/
 * qemu_plugin/count_insns.c); on a CPU without it, the marks are NOPs.
 * The line says which figure the plugin's next lines belong to.
 */
static void count(const char *name, uint32_t cpus, void (*op)(void *), void *arg)
{
    op(arg);
    op(arg);
    settle();
    arch_count_figure_begin();
    for (size_t i = 0; i < COUNTED_CALLS; i++) {
        arch_count_call_begin();
        op(arg);
        arch_count_call_end();
    }
    settle();
    arch_count_figure_end();
    kprintf("bench: count name=%s cpus=%u calls=%u\n", name, cpus, COUNTED_CALLS);
}

uint64_t bench_measure(const char *name, uint32_t cpus, void (*op)(void *), void *arg,
                       size_t iterations)
{
    if (iterations > BENCH_MAX_SAMPLES)
        iterations = BENCH_MAX_SAMPLES;
    if (iterations == 0)
        return 0;
    /* Warm caches and TLBs, and see roughly what one op costs. */
    size_t warm = iterations / 10 + 1;
    uint64_t start = arch_cycles();
    for (size_t i = 0; i < warm; i++)
        op(arg);
    uint64_t per_op = (arch_cycles() - start) / warm + 1;
    size_t batch = 1;
    while (batch < MAX_BATCH && per_op * batch < CLOCK_SHARE * clock_cost)
        batch *= 2;
    size_t n = (iterations + batch - 1) / batch;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = arch_cycles();
        for (size_t k = 0; k < batch; k++)
            op(arg);
        samples[i] = (arch_cycles() - t0) / batch;
    }
    sort(samples, n);
    print_line(name, cpus, n * batch, samples, n);
    record(name, cpus, n * batch, samples, n);
    count(name, cpus, op, arg);
    return percentile(samples, n, 50);
}

void bench_report(const char *name, uint32_t cpus, uint64_t *v, size_t n)
{
    if (n == 0)
        return;
    sort(v, n);
    print_line(name, cpus, n, v, n);
    record(name, cpus, n, v, n);
}

static void read_clock(void *arg)
{
    (void)arg;
    (void)arch_cycles();
}

/* tsc_read: one clock read, timed unbatched (it is what batching is for). */
static void measure_clock(void)
{
    const size_t n = BENCH_MAX_SAMPLES;
    for (size_t i = 0; i < n / 10; i++)
        read_clock(0);
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = arch_cycles();
        read_clock(0);
        samples[i] = arch_cycles() - t0;
    }
    sort(samples, n);
    clock_cost = percentile(samples, n, 50);
    print_line("tsc_read", 1, n, samples, n);
    record("tsc_read", 1, n, samples, n);
}

static void print_table(void)
{
    kprintf("\n  %-40s %5s %7s %12s %12s\n", "figure", "cpus", "iters", "p50 cycles", "p99 cycles");
    for (size_t i = 0; i < figure_count; i++) {
        const struct figure *f = &figures[i];
        kprintf("  %-40s %5u %7zu %12llu %12llu\n", f->name, f->cpus, f->iterations,
                (unsigned long long)f->p50, (unsigned long long)f->p99);
    }
    if (figures_not_kept != 0)
        kprintf("  ... and %zu more figures (see their bench: lines)\n", figures_not_kept);
    kprintf("\n");
}

void bench_run_all(void)
{
    figure_count = figures_not_kept = 0;
    count("harness", 1, arch_count_nothing, 0); /* the marks and the op's call */
    measure_clock();
    for (const struct kbench *b = __kbench_start; b < __kbench_end; b++)
        b->fn();
    print_table();
    ipi_print_sleep_counts("bench: ");
    kprintf("bench: done\n");
}
