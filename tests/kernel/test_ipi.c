/*
 * test_ipi.c - the rendezvous keeps its promises (ipi.h), and the uses a
 * kernel has for it work: an MSR written everywhere, a TLB shoot-down, the
 * TSC read on every CPU at the release point.
 */
#include "kernel/arch.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/ipi.h"
#include "kernel/irql.h"
#include "kernel/ktest.h"
#include "kernel/page_alloc.h"
#include "kernel/smp.h"
#include "lib/string.h"

#define ALL_CALLS_TIMEOUT_MS 600000

/* Per-CPU records the workers fill in; each on its own cache line. */
struct record {
    uint64_t runs;
    uint64_t value;
    uint64_t extra;
} __attribute__((aligned(CACHE_LINE)));

static struct record rec[MAX_CPUS];
static volatile uint32_t inside;   /* workers currently inside (simultaneity) */

static uint32_t me(void) { return arch_this_cpu()->index; }

static void clear_records(void)
{
    memset(rec, 0, sizeof(rec));
    inside = 0;
}

static uint32_t online(void) { return (uint32_t)smp_online_count(); }

/* ---- exactly once, participants only ---- */
static uintptr_t count_run(uintptr_t arg)
{
    rec[me()].runs++;
    rec[me()].value = arg;
    return 0;
}

KTEST(ipi, every_cpu_runs_the_worker_exactly_once)
{
    clear_records();
    ipi_generic_call(count_run, 7);
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, smp_cpu(i)->state == CPU_ONLINE ? 1 : 0, rec[i].runs);
}

KTEST(ipi, a_subset_call_leaves_the_others_alone)
{
    if (online() < 3)
        KTEST_SKIP(t, "needs 3 CPUs");
    clear_records();
    struct cpu_set set = {{0}};
    uint32_t last = (uint32_t)smp_cpu_count() - 1;
    cpu_set_add(&set, last); /* the caller (CPU 0) is added by the call */
    ipi_generic_call_set(&set, count_run, 1);
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, (i == 0 || i == last) ? 1 : 0, rec[i].runs);
}

/* ---- simultaneity ---- */
static uintptr_t meet_inside(uintptr_t count)
{
    __atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL);
    uint64_t start = arch_cycles();
    uint64_t limit = ipi_timeout_ms() * (arch_cycles_per_second() / 1000);
    /* Only possible if every participant is inside the worker at once. */
    while (__atomic_load_n(&inside, __ATOMIC_ACQUIRE) < count) {
        if (arch_cycles() - start > limit)
            return 0;
        arch_cpu_relax();
    }
    rec[me()].runs = 1;
    return 1;
}

KTEST(ipi, workers_run_at_the_same_time)
{
    clear_records();
    EXPECT_EQ(t, 1, ipi_generic_call(meet_inside, online()));
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, 1, rec[i].runs);
}

/* ---- result and argument ---- */
static uintptr_t distinct_result(uintptr_t arg)
{
    rec[me()].value = arg;
    return 0x1000u * (me() + 1) + 0x5;
}

KTEST(ipi, returns_the_callers_result_and_passes_the_argument)
{
    clear_records();
    const uintptr_t arg = 0xFEEDFACECAFEBEEFull;
    EXPECT_EQ(t, 0x1005, ipi_generic_call(distinct_result, arg));
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, arg, rec[i].value);
}

static uintptr_t ap_call_result;
static void call_from_ap(void *unused)
{
    (void)unused;
    ap_call_result = ipi_generic_call(distinct_result, 3);
}

KTEST(ipi, a_call_from_an_ap_returns_that_aps_result)
{
    if (online() < 2)
        KTEST_SKIP(t, "one CPU");
    struct cpu *ap = smp_cpu(smp_cpu_count() - 1);
    ap_call_result = 0;
    ASSERT_TRUE(t, smp_post_work(ap, call_from_ap, 0));
    ASSERT_TRUE(t, smp_wait_work(ap, ALL_CALLS_TIMEOUT_MS));
    EXPECT_EQ(t, 0x1000u * (ap->index + 1) + 0x5, ap_call_result);
}

/* ---- IRQL and interrupts inside ---- */
static uintptr_t record_irql(uintptr_t arg)
{
    (void)arg;
    rec[me()].value = irql_current();
    rec[me()].extra = arch_interrupts_enabled();
    rec[me()].runs = 1;
    return 0;
}

KTEST(ipi, workers_run_at_ipi_level_with_interrupts_off)
{
    clear_records();
    arch_interrupts_enable(); /* the caller's state must not leak into the worker */
    ipi_generic_call(record_irql, 0);
    arch_interrupts_disable();
    for (uint32_t i = 0; i < online(); i++) {
        EXPECT_EQ(t, 1, rec[i].runs);
        EXPECT_EQ(t, IPI_LEVEL, rec[i].value);
        EXPECT_EQ(t, 0, rec[i].extra);
    }
    EXPECT_EQ(t, PASSIVE_LEVEL, irql_current());
}

/* ---- refusals ---- */
KTEST(ipi, refused_at_ipi_level)
{
    uintptr_t result;
    irql_t old = irql_raise(IPI_LEVEL);
    enum ipi_status status = ipi_call_checked(NULL, count_run, 0, &result);
    irql_lower(old);
    EXPECT_EQ(t, IPI_REFUSED_IRQL, status);
}

static uintptr_t nested_call(uintptr_t arg)
{
    (void)arg;
    uintptr_t result;
    rec[me()].value = ipi_call_checked(NULL, count_run, 0, &result);
    rec[me()].runs = 1;
    return 0;
}

KTEST(ipi, refused_inside_a_worker)
{
    clear_records();
    ipi_generic_call(nested_call, 0);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, IPI_REFUSED_NESTED, rec[i].value);
}

KTEST(ipi, works_for_a_caller_with_interrupts_off)
{
    clear_records();
    arch_interrupts_disable();
    ipi_generic_call(count_run, 0);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, 1, rec[i].runs);
}

/* ---- stress ---- */
static uintptr_t bump(uintptr_t arg)
{
    (void)arg;
    rec[me()].runs++;
    return 0;
}

/* 100 000 calls, or stress_calls=<n>: a virtual machine with more CPUs
 * than its host has cores runs spin barriers very slowly (a spinning vCPU
 * holds a host core the CPU it waits for needs), so the test runner asks
 * for fewer there. */
static uint64_t stress_calls(void)
{
    const char *v = cmdline_value(&boot_cmdline, "stress_calls", NULL);
    if (v != NULL) {
        uint64_t n = 0;
        for (const char *p = v; *p >= '0' && *p <= '9'; p++)
            n = n * 10 + (uint64_t)(*p - '0');
        if (n > 0)
            return n;
    }
    return 100000;
}

KTEST(ipi, stress_back_to_back_calls)
{
    clear_records();
    uint64_t calls = stress_calls();
    for (uint64_t i = 0; i < calls; i++)
        ipi_generic_call(bump, i);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, calls, rec[i].runs);
    kprintf("# %llu back-to-back calls on %u CPUs\n", (unsigned long long)calls, online());
}

static uint64_t calls_per_cpu;
static struct record made[MAX_CPUS]; /* calls each CPU made, in .runs */

#define TIMER_PERIODS_AT_LEAST 3 /* so that every CPU's timer fires meanwhile */
#define TICK_WAIT_MS 5000

static void call_in_a_loop(void *unused)
{
    (void)unused;
    /* Odd CPUs call with interrupts off: they must serve the others' calls
     * by looking for them while they wait for their turn. */
    bool interrupts_off = (me() % 2) == 1;
    if (interrupts_off)
        arch_interrupts_disable();
    /* The calls asked for, and then more until a few timer periods have
     * passed: the timer must have fired on every CPU during the stress,
     * however fast the calls are. */
    uint64_t start = arch_cycles();
    uint64_t span = TIMER_PERIODS_AT_LEAST * (arch_cycles_per_second() / 1000);
    uint64_t n = 0;
    while (n < calls_per_cpu || arch_cycles() - start < span) {
        ipi_generic_call(bump, n);
        n++;
    }
    made[me()].runs = n;
    if (interrupts_off)
        arch_interrupts_enable(); /* the tick held back meanwhile arrives here */
}

static uintptr_t start_timer(uintptr_t ms)
{
    arch_timer_start((unsigned)ms);
    return 0;
}

KTEST(ipi, stress_every_cpu_calling_at_once_with_timer_interrupts)
{
    if (online() < 2)
        KTEST_SKIP(t, "one CPU");
    clear_records();
    memset(made, 0, sizeof(made));
    /* 4000 calls in all for the default 100 000, and at least 5 per CPU. */
    calls_per_cpu = stress_calls() / (25 * online());
    if (calls_per_cpu < 5)
        calls_per_cpu = 5;
    uint64_t ticks_before[MAX_CPUS];
    for (uint32_t i = 0; i < online(); i++)
        ticks_before[i] = smp_cpu(i)->timer_ticks;
    ipi_generic_call(start_timer, 1); /* a 1 ms tick on every CPU */

    for (uint32_t i = 1; i < online(); i++)
        EXPECT_TRUE(t, smp_post_work(smp_cpu(i), call_in_a_loop, 0));
    arch_interrupts_enable();
    call_in_a_loop(0);
    bool all_done = true;
    for (uint32_t i = 1; i < online(); i++)
        all_done &= smp_wait_work(smp_cpu(i), ALL_CALLS_TIMEOUT_MS);
    /* Every CPU's timer was running throughout: it has ticked by now, or
     * does so as soon as the CPU can take the interrupt (a tick held back
     * at IPI_LEVEL may still be pending; some hypervisors deliver it late). */
    uint64_t start = arch_cycles();
    for (uint32_t i = 0; i < online(); i++)
        while (smp_cpu(i)->timer_ticks == ticks_before[i] &&
               arch_cycles() - start < TICK_WAIT_MS * (arch_cycles_per_second() / 1000))
            arch_cpu_relax();
    arch_interrupts_disable();
    ipi_generic_call(start_timer, 0);
    ASSERT_TRUE(t, all_done);

    uint64_t total = 0;
    for (uint32_t i = 0; i < online(); i++) {
        EXPECT_TRUE(t, made[i].runs >= calls_per_cpu);
        total += made[i].runs;
    }
    kprintf("# %llu calls from %u CPUs at once\n", (unsigned long long)total, online());
    for (uint32_t i = 0; i < online(); i++) {
        EXPECT_EQ(t, total, rec[i].runs); /* every call ran on every CPU, once */
        if (smp_cpu(i)->timer_ticks == ticks_before[i])
            ktest_fail(t, __FILE__, __LINE__, "CPU %u took no timer tick", i);
    }
}

/* ---- what a kernel uses it for ---- */
static uintptr_t write_msr(uintptr_t value)
{
    arch_scratch_msr_write(value + me());
    return 0;
}

static uintptr_t read_msr(uintptr_t unused)
{
    (void)unused;
    rec[me()].value = arch_scratch_msr_read();
    return 0;
}

KTEST(ipi, use_write_an_msr_on_every_cpu)
{
    clear_records();
    const uint64_t base = 0xFFFF800012340000ull; /* canonical: the MSR holds an address */
    ipi_generic_call(write_msr, base);
    ipi_generic_call(read_msr, 0);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, base + i, rec[i].value);
}

#define PATTERN_OLD 0x01D01D01D01D01D0ull
#define PATTERN_NEW 0x0E110E110E110E11ull

static uintptr_t read_window(uintptr_t va)
{
    rec[me()].value = *(volatile uint64_t *)va;
    return 0;
}

static uintptr_t flush_and_read_window(uintptr_t va)
{
    arch_tlb_flush_page(va);
    rec[me()].value = *(volatile uint64_t *)va;
    return 0;
}

KTEST(ipi, use_tlb_shootdown)
{
    uint64_t *old_page = page_alloc_ptr(1), *new_page = page_alloc_ptr(1);
    ASSERT_TRUE(t, old_page != 0 && new_page != 0);
    *old_page = PATTERN_OLD;
    *new_page = PATTERN_NEW;
    uintptr_t va = arch_test_window_map((uint64_t)(uintptr_t)old_page);
    arch_tlb_flush_page(va);
    clear_records();
    ipi_generic_call(flush_and_read_window, va); /* every CPU caches the old mapping */
    ipi_generic_call(read_window, va);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, PATTERN_OLD, rec[i].value);

    arch_test_window_map((uint64_t)(uintptr_t)new_page); /* no flush yet */
    ipi_generic_call(flush_and_read_window, va);          /* the shoot-down */
    ipi_generic_call(read_window, va);
    for (uint32_t i = 0; i < online(); i++)
        EXPECT_EQ(t, PATTERN_NEW, rec[i].value);
}

static uintptr_t read_tsc(uintptr_t unused)
{
    (void)unused;
    rec[me()].value = arch_cycles(); /* first thing after the arrival barrier */
    return 0;
}

KTEST(ipi, use_tsc_read_at_the_release_point)
{
    clear_records();
    ipi_generic_call(read_tsc, 0);
    uint64_t lo = ~0ull, hi = 0;
    for (uint32_t i = 0; i < online(); i++) {
        EXPECT_TRUE(t, rec[i].value != 0);
        lo = rec[i].value < lo ? rec[i].value : lo;
        hi = rec[i].value > hi ? rec[i].value : hi;
    }
    kprintf("# TSC skew at the release point: %llu cycles across %u CPUs\n",
            (unsigned long long)(hi - lo), online());
}
