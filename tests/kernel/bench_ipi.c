/*
 * bench_ipi.c - what the rendezvous costs, and the floors it is read
 * against, in cycles of the calling CPU (barrier=... picks the barrier):
 *
 *   cacheline_roundtrip  two CPUs bounce one cache line: one hand-off
 *                        each way, the floor of a barrier crossing
 *   ipi_roundtrip        an IPI to another CPU and back (its handler
 *                        writes a flag the sender waits for), the target
 *                        idle (halted) or busy (spinning, interrupts on);
 *                        _all: to every other CPU at once, until all answer;
 *                        _all_shorthand: the same by one all-excluding-self
 *                        IPI (when every CPU the firmware listed is online)
 *   barrier_<kind>       one crossing of a spin barrier when every CPU is
 *                        already spinning at it: no IPI; for every count of
 *                        CPUs from 2 to all (above 8 CPUs: up to 4, the
 *                        powers of two, and all)
 *   generic_call_empty   ipi_generic_call with an empty worker, on the
 *                        first n online CPUs for every n (above 8 CPUs, as
 *                        for the barriers), the others idle;
 *                        and on all of them with the others busy; _each:
 *                        on all, idle, one IPI per CPU instead of the
 *                        shorthand
 *   generic_call_concurrent  every CPU calls at once, over and over: the
 *                        cycles of the calling CPU per call, system-wide
 *                        (percentiles over the CPUs), and calls per second
 *
 * Every wait has a deadline: a CPU that does not answer ends the figure
 * with a message, never the benchmark run.
 */
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/bench.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/barrier.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/format.h"
#include "lib/string.h"

#define ANSWER_TIMEOUT_MS 1000 /* for one hand-off or one IPI */
#define WORK_TIMEOUT_MS 10000
#define FIGURE_BUDGET_MS 1500 /* fewer iterations where each is slow */
#define MAX_ITERATIONS 10000
#define MIN_ITERATIONS 50

static bool failed; /* a wait timed out: the figure's numbers are not printed */

/* Iterations that fit the time budget, from a few timed ops. */
static size_t iterations_for(void (*op)(void *), void *arg)
{
    uint64_t start = arch_cycles();
    for (int i = 0; i < 8; i++)
        op(arg);
    uint64_t per_op = (arch_cycles() - start) / 8 + 1;
    uint64_t n = cycles_from_ms(FIGURE_BUDGET_MS) / per_op;
    return n > MAX_ITERATIONS ? MAX_ITERATIONS : n < MIN_ITERATIONS ? MIN_ITERATIONS : n;
}

static void measure(const char *name, uint32_t cpus, void (*op)(void *), void *arg)
{
    failed = false;
    size_t n = iterations_for(op, arg);
    if (failed) {
        kprintf("bench: %s skipped: a CPU did not answer within %u ms\n", name, ANSWER_TIMEOUT_MS);
        return;
    }
    bench_measure(name, cpus, op, arg, n);
    if (failed)
        kprintf("bench: %s: a CPU stopped answering during it; the line above is not valid\n",
                name);
}

/* ---- a helper CPU, posted work that runs until told to stop ---- */
static uint64_t stop_helper;

static struct cpu *first_ap(void)
{
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            return smp_cpu(i);
    return NULL;
}

/* ---- cacheline_roundtrip ---- */
static uint64_t line __attribute__((aligned(CACHE_LINE)));

static void echo_line(void *arg)
{
    (void)arg;
    uint64_t deadline = arch_cycles() + cycles_from_ms(WORK_TIMEOUT_MS);
    while (!atomic_load_acquire(&stop_helper) && !cycles_past(deadline)) {
        uint64_t v = atomic_load_acquire(&line);
        if (v % 2 == 1)
            atomic_store_release(&line, v + 1);
        arch_cpu_relax();
    }
}

static void bounce_line(void *arg)
{
    (void)arg;
    if (failed)
        return;
    uint64_t next = atomic_load_relaxed(&line) + 1;
    atomic_store_release(&line, next);
    uint64_t deadline = arch_cycles() + cycles_from_ms(ANSWER_TIMEOUT_MS);
    while (atomic_load_acquire(&line) != next + 1) {
        if (cycles_past(deadline)) {
            failed = true;
            return;
        }
        arch_cpu_relax();
    }
}

/* Runs the helper work on `ap` around measuring name. */
static void with_helper(struct cpu *ap, void (*work)(void *), const char *name, uint32_t cpus,
                        void (*op)(void *), void *arg)
{
    atomic_store_release(&stop_helper, 0);
    if (!smp_post_work(ap, work, 0)) {
        kprintf("bench: %s skipped: CPU %u is busy\n", name, ap->index);
        return;
    }
    measure(name, cpus, op, arg);
    atomic_store_release(&stop_helper, 1);
    if (!smp_wait_work(ap, WORK_TIMEOUT_MS))
        kprintf("bench: CPU %u did not finish its helper work\n", ap->index);
}

KBENCH(cacheline_roundtrip)
{
    struct cpu *ap = first_ap();
    if (ap == NULL)
        return;
    atomic_store_release(&line, 0);
    with_helper(ap, echo_line, "cacheline_roundtrip", 2, bounce_line, 0);
}

/* ---- ipi_roundtrip ---- */
static void probe_round_trip(void *arg)
{
    struct cpu *target = arg;
    if (failed)
        return;
    uint64_t before = atomic_load_acquire(&target->probe.interrupts);
    if (!arch_send_ipi_to(target->index, IPI_PROBE)) {
        failed = true;
        return;
    }
    uint64_t deadline = arch_cycles() + cycles_from_ms(ANSWER_TIMEOUT_MS);
    while (atomic_load_acquire(&target->probe.interrupts) == before) {
        if (cycles_past(deadline)) {
            failed = true;
            return;
        }
        arch_cpu_relax();
    }
}

static void spin_busy(void *arg)
{
    (void)arg;
    uint64_t deadline = arch_cycles() + cycles_from_ms(WORK_TIMEOUT_MS);
    while (!atomic_load_acquire(&stop_helper) && !cycles_past(deadline))
        arch_cpu_relax();
}

/* To every other online CPU: one IPI each, then until each has answered. */
static void probe_all_round_trip(void *arg)
{
    (void)arg;
    static uint64_t before[MAX_CPUS];
    static struct cpu_set others;
    if (failed)
        return;
    memset(&others, 0, sizeof(others));
    for (uint32_t i = 1; i < smp_cpu_count(); i++) {
        if (cpu_online(smp_cpu(i))) {
            before[i] = atomic_load_acquire(&smp_cpu(i)->probe.interrupts);
            cpu_set_add(&others, i);
        }
    }
    if (!arch_send_ipi(&others, IPI_PROBE)) {
        failed = true;
        return;
    }
    uint64_t deadline = arch_cycles() + cycles_from_ms(ANSWER_TIMEOUT_MS);
    for (uint32_t i = 1; i < smp_cpu_count(); i++) {
        while (cpu_set_has(&others, i) &&
               atomic_load_acquire(&smp_cpu(i)->probe.interrupts) == before[i]) {
            if (cycles_past(deadline)) {
                failed = true;
                return;
            }
            arch_cpu_relax();
        }
    }
}

/* The same by the shorthand: one ICR write however many CPUs. */
static void probe_all_by_shorthand(void *arg)
{
    static uint64_t before[MAX_CPUS];
    (void)arg;
    if (failed)
        return;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        before[i] = atomic_load_acquire(&smp_cpu(i)->probe.interrupts);
    if (!arch_send_ipi_all_others(IPI_PROBE)) {
        failed = true;
        return;
    }
    uint64_t deadline = arch_cycles() + cycles_from_ms(ANSWER_TIMEOUT_MS);
    for (uint32_t i = 1; i < smp_cpu_count(); i++) {
        while (atomic_load_acquire(&smp_cpu(i)->probe.interrupts) == before[i]) {
            if (cycles_past(deadline)) {
                failed = true;
                return;
            }
            arch_cpu_relax();
        }
    }
}

/* The shorthand reaches every CPU the firmware listed, started or not. */
static bool every_listed_cpu_online(void) { return smp_online_count() == smp_listed_count(); }

KBENCH(ipi_roundtrip)
{
    struct cpu *ap = first_ap();
    if (ap == NULL || !arch_apic_present())
        return;
    measure("ipi_roundtrip_idle", 2, probe_round_trip, ap);
    with_helper(ap, spin_busy, "ipi_roundtrip_busy", 2, probe_round_trip, ap);
    measure("ipi_roundtrip_all", (uint32_t)smp_online_count(), probe_all_round_trip, 0);
    if (every_listed_cpu_online())
        measure("ipi_roundtrip_all_shorthand", (uint32_t)smp_online_count(), probe_all_by_shorthand,
                0);
    else
        kprintf("bench: ipi_roundtrip_all_shorthand skipped: not every listed CPU is online\n");
}

/* ---- barrier crossings ---- */
#define CROSSING_LIMIT_MS 200 /* a helper left waiting when the figure ends */

static struct barrier crossing;
static uint32_t crossing_count;

/* A helper crosses until told to stop; the last crossing it waits in then
 * times out (or is aborted), which is how it learns the figure ended. */
static void cross_repeatedly(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    for (uint64_t episode = 1; !atomic_load_acquire(&stop_helper); episode++)
        if (barrier_wait(&crossing, episode, NULL, rank, crossing_count,
                         cycles_from_ms(CROSSING_LIMIT_MS)) != BARRIER_RELEASED)
            return;
}

static void cross_once(void *arg)
{
    uint64_t *episode = arg;
    if (failed)
        return;
    if (barrier_wait(&crossing, ++*episode, NULL, 0, crossing_count,
                     cycles_from_ms(ANSWER_TIMEOUT_MS)) != BARRIER_RELEASED)
        failed = true;
}

/* One crossing with the first n helpers spinning at the barrier too. */
static void measure_crossing(struct cpu *const *helpers, uint32_t n)
{
    crossing_count = n + 1;
    barrier_init(&crossing, ipi_barrier_kind());
    atomic_store_release(&stop_helper, 0);
    uint32_t started = 0;
    for (uint32_t k = 0; k < n; k++)
        started += smp_post_work(helpers[k], cross_repeatedly, (void *)(uintptr_t)(k + 1));
    char name[48];
    fmt_snprintf(name, sizeof(name), "barrier_%s", barrier_kind_name(ipi_barrier_kind()));
    uint64_t episode = 0;
    if (started == n)
        measure(name, n + 1, cross_once, &episode);
    else
        kprintf("bench: %s skipped: a CPU was busy\n", name);
    atomic_store_release(&stop_helper, 1);
    for (uint32_t k = 0; k < n; k++)
        if (!smp_wait_work(helpers[k], WORK_TIMEOUT_MS))
            kprintf("bench: CPU %u did not finish its helper work\n", helpers[k]->index);
}

/* The counts of CPUs a sweep measures, out of `online`: every count up
 * to 8 CPUs; on a bigger machine 1 to 4, the powers of two and all of
 * them, so that 64 CPUs cost some 12 figures per sweep, not 64, and the
 * growth against log2 n is still drawn. */
static bool swept(uint32_t n, uint32_t online)
{
    return online <= 8 || n <= 4 || n == online || (n & (n - 1)) == 0;
}

/* For every count of CPUs from 2 to all online: how a crossing grows. */
KBENCH(barrier_crossing)
{
    static struct cpu *helpers[MAX_CPUS];
    uint32_t n = 0;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            helpers[n++] = smp_cpu(i);
    for (uint32_t k = 1; k <= n; k++)
        if (swept(k + 1, n + 1))
            measure_crossing(helpers, k);
}

/* ---- generic_call_empty ---- */
static uintptr_t empty_worker(uintptr_t argument) { return argument; }

static void call_set(void *arg) { ipi_generic_call_set(arg, empty_worker, 0); }

/* The caller and the next n - 1 online CPUs (the bench runs on CPU 0). */
static uint32_t first_online(struct cpu_set *set, uint32_t n)
{
    memset(set, 0, sizeof(*set));
    uint32_t count = 0;
    for (uint32_t i = 0; i < smp_cpu_count() && count < n; i++) {
        if (cpu_online(smp_cpu(i))) {
            cpu_set_add(set, i);
            count++;
        }
    }
    return count;
}

KBENCH(generic_call_empty)
{
    static struct cpu_set members;
    char name[64];
    const char *barrier = barrier_kind_name(ipi_barrier_kind());
    uint32_t online = (uint32_t)smp_online_count();
    for (uint32_t n = 1; n <= online; n++) {
        if (!swept(n, online))
            continue;
        first_online(&members, n);
        fmt_snprintf(name, sizeof(name), "generic_call_empty_%s_idle", barrier);
        measure(name, n, call_set, &members);
    }
    if (online < 2)
        return;
    /* One IPI per CPU where the shorthand would do (with ipi_delivery=each
     * the line above is per CPU already). */
    if (every_listed_cpu_online() && boot_options.ipi_delivery == IPI_DELIVERY_AUTO) {
        ipi_set_delivery_each(true);
        fmt_snprintf(name, sizeof(name), "generic_call_empty_%s_idle_each", barrier);
        measure(name, online, call_set, &members);
        ipi_set_delivery_each(false);
    }
    /* The others busy: spinning at PASSIVE_LEVEL with interrupts on. */
    atomic_store_release(&stop_helper, 0);
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)) && !smp_post_work(smp_cpu(i), spin_busy, 0))
            kprintf("bench: CPU %u is busy; it stays idle\n", i);
    fmt_snprintf(name, sizeof(name), "generic_call_empty_%s_busy", barrier);
    measure(name, online, call_set, &members);
    atomic_store_release(&stop_helper, 1);
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)) && !smp_wait_work(smp_cpu(i), WORK_TIMEOUT_MS))
            kprintf("bench: CPU %u did not finish its helper work\n", i);
}

/* ---- generic_call_concurrent ---- */
#define CONCURRENT_CALLS 200 /* per CPU */

static uint64_t concurrent_cycles[MAX_CPUS]; /* per CPU: its calls' mean */
static uint64_t concurrent_go;

static void call_repeatedly(void *arg)
{
    uint32_t cpu = (uint32_t)(uintptr_t)arg;
    while (!atomic_load_acquire(&concurrent_go))
        arch_cpu_relax();
    uint64_t start = arch_cycles();
    for (int k = 0; k < CONCURRENT_CALLS; k++)
        ipi_generic_call(empty_worker, 0);
    concurrent_cycles[cpu] = (arch_cycles() - start) / CONCURRENT_CALLS;
}

KBENCH(generic_call_concurrent)
{
    static uint64_t per_cpu[MAX_CPUS];
    uint32_t online = (uint32_t)smp_online_count();
    if (online < 2)
        return;
    memset(concurrent_cycles, 0, sizeof(concurrent_cycles));
    atomic_store_release(&concurrent_go, 0);
    uint32_t posted = 0;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            posted += smp_post_work(smp_cpu(i), call_repeatedly, (void *)(uintptr_t)i);
    uint64_t start = arch_cycles();
    atomic_store_release(&concurrent_go, 1);
    call_repeatedly(0);
    bool all_done = true;
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)) && !smp_wait_work(smp_cpu(i), WORK_TIMEOUT_MS))
            all_done = false;
    uint64_t elapsed = arch_cycles() - start;
    if (!all_done || posted != online - 1) {
        kprintf("bench: generic_call_concurrent skipped: a CPU was busy or did not finish\n");
        return;
    }
    /* Each CPU's mean cycles per call of its own, while all call: one
     * sample per CPU. */
    size_t n = 0;
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            per_cpu[n++] = concurrent_cycles[i];
    bench_report("generic_call_concurrent", online, per_cpu, n);
    uint64_t calls = (uint64_t)CONCURRENT_CALLS * online;
    kprintf("bench: generic_call_concurrent: %llu calls from %u CPUs in %llu us: %llu calls/s "
            "system-wide\n",
            (unsigned long long)calls, online, (unsigned long long)us_from_cycles(elapsed),
            (unsigned long long)(calls * arch_cycles_per_second() / (elapsed + 1)));
}
