/*
 * test_ipi.c - the rendezvous keeps its promises (ipi.h), and the uses a
 * kernel has for it work: an MSR written everywhere, a TLB shoot-down, the
 * TSC read on every CPU at the release point.
 */
#include "kernel/arch.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"
#include "kernel/page_alloc.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/irql.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "tests/kernel/helpers.h"

/* Per-CPU records the workers fill in; each on its own cache line. */
struct record {
    uint64_t runs;
    uint64_t value;
    uint64_t extra;
} __attribute__((aligned(CACHE_LINE)));

static struct record rec[MAX_CPUS];
static volatile uint32_t inside; /* workers currently inside (simultaneity) */

static uint32_t me(void) { return arch_this_cpu()->index; }

static void clear_records(void)
{
    memset(rec, 0, sizeof(rec));
    inside = 0;
}

static uint32_t online(void) { return (uint32_t)smp_online_count(); }

/* The online CPUs by index, from `first` on. Not 0..online()-1: a CPU that
 * did not start leaves a hole (inject=late-ap and inject=phantom-cpu do). */
#define FOR_EACH_ONLINE_CPU(i, first)                                                              \
    for (uint32_t i = (first); i < smp_cpu_count(); i++)                                           \
        if (!cpu_online(smp_cpu(i))) {                                                             \
        } else

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
    uint64_t ran = 0, expected;
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        EXPECT_EQ(t, cpu_online(smp_cpu(i)) ? 1 : 0, rec[i].runs);
        ran += rec[i].runs;
    }
    /* Held against what the machine really has, where the runner says
     * (QEMU's CPU count): not against the kernel's own idea of online. */
    if ((expected = boot_options.expect_cpus) != 0) {
        if (boot_options.maxcpus != 0 && boot_options.maxcpus < expected)
            expected = boot_options.maxcpus; /* the rest are left halted on purpose */
        EXPECT_EQ(t, expected, ran);
    }
}

KTEST(ipi, a_subset_call_leaves_the_others_alone)
{
    if (online() < 3)
        KTEST_SKIP(t, "needs 3 CPUs");
    clear_records();
    struct cpu_set set = {{0}};
    uint32_t last = (uint32_t)smp_cpu_count() - 1;
    while (!cpu_online(smp_cpu(last))) /* the last CPU may have been left out */
        last--;
    cpu_set_add(&set, last); /* the caller (CPU 0) is added by the call */
    ipi_generic_call_set(&set, count_run, 1);
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, (i == 0 || i == last) ? 1 : 0, rec[i].runs);
}

/* ---- simultaneity ----
 * The barriers' promise, checked without waiting: a worker that waited for
 * the others would be a barrier itself and hide a missing one. When any
 * worker starts, every participant must be in the call already, at
 * IPI_LEVEL; when the call returns, every worker must have finished. */
static volatile uint32_t finished_worker[MAX_CPUS];
static volatile uint32_t early_start; /* 1 + index of a worker that started too early */

static uintptr_t check_everyone_arrived(uintptr_t generation)
{
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        /* Each participant marks its arrival before it waits at the barrier
         * (struct cpu_ipi); a worker that runs ahead of it sees the old mark. */
        if (__atomic_load_n(&smp_cpu(i)->ipi.arrived[0], __ATOMIC_ACQUIRE) < generation)
            __atomic_store_n(&early_start, me() + 1, __ATOMIC_RELEASE);
    }
    for (volatile int spin = 0; spin < 2000; spin++) {
    }
    __atomic_store_n(&finished_worker[me()], (uint32_t)generation, __ATOMIC_RELEASE);
    rec[me()].runs++;
    return 0;
}

KTEST(ipi, every_worker_starts_after_all_arrive_and_ends_before_any_returns)
{
    if (online() < 2)
        KTEST_SKIP(t, "one CPU: a call alone has no barrier to check");
    clear_records();
    early_start = 0;
    uint32_t late_finish = 0;
    /* Many calls: a missing barrier shows up as a race, so give it chances
     * (100 calls, or 2 s of them on a slow machine, at least 3). */
    uint64_t start = arch_cycles();
    for (uint32_t n = 0; n < 100 && early_start == 0 && late_finish == 0 &&
                         (n < 3 || arch_cycles() - start < cycles_from_ms(2000));
         n++) {
        /* The arrival episode of the next call is twice its number. */
        uint64_t generation = (ipi_calls_started() + 1) * 2;
        ipi_generic_call(check_everyone_arrived, generation);
        for (uint32_t i = 0; i < smp_cpu_count(); i++)
            if (cpu_online(smp_cpu(i)) &&
                __atomic_load_n(&finished_worker[i], __ATOMIC_ACQUIRE) != (uint32_t)generation)
                late_finish = i + 1;
    }
    EXPECT_EQ(t, 0, early_start);
    EXPECT_EQ(t, 0, late_finish);
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
    FOR_EACH_ONLINE_CPU(i, 0)
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
    struct cpu *ap = NULL; /* the last online AP, not the last slot */
    for (uint32_t i = 1; i < smp_cpu_count(); i++)
        if (cpu_online(smp_cpu(i)))
            ap = smp_cpu(i);
    ASSERT_TRUE(t, ap != NULL);
    ap_call_result = 0;
    ASSERT_TRUE(t, smp_post_work(ap, call_from_ap, 0));
    ASSERT_TRUE(t, smp_wait_work(ap, test_work_timeout_ms()));
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
    FOR_EACH_ONLINE_CPU(i, 0)
    {
        EXPECT_EQ(t, 1, rec[i].runs);
        EXPECT_EQ(t, IPI_LEVEL, rec[i].value);
        EXPECT_EQ(t, 0, rec[i].extra);
    }
    EXPECT_EQ(t, PASSIVE_LEVEL, irql_current());
}

/* ---- what the path costs in accesses a hypervisor traps ---- */
static struct arch_access_counts at_worker[MAX_CPUS];

static uintptr_t record_access_counts(uintptr_t arg)
{
    (void)arg;
    at_worker[me()] = arch_test_access_counts();
    return 0;
}

/* Between one call's worker and the next call's, on each CPU: no CR8
 * write anywhere (the IRQL is lazy: interrupts are off on the whole path),
 * and on a CPU that was idle exactly one APIC access, its EOI. A wake-up
 * from an earlier test's sleeps (sent to a CPU that then did not sleep,
 * possibly late: a vCPU the host did not run) adds an EOI where it lands,
 * so the EOI count must hold in one of a few tries; the CR8 count in all. */
#define ACCESS_TRIES 4

static bool one_eoi_per_participant(struct ktest_ctx *t, int try)
{
    static struct arch_access_counts first[MAX_CPUS];
    ipi_generic_call(record_access_counts, 0);
    memcpy(first, at_worker, sizeof(first));
    ipi_generic_call(record_access_counts, 0);
    bool exact = true;
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        uint64_t writes = at_worker[i].priority_writes - first[i].priority_writes;
        uint64_t accesses = at_worker[i].controller_accesses - first[i].controller_accesses;
        kprintf("# try %d, CPU %u: %llu task-priority writes, %llu APIC accesses\n", try, i,
                (unsigned long long)writes, (unsigned long long)accesses);
        EXPECT_EQ(t, 0, writes);
        if (i != me() && accesses != 1)
            exact = false;
    }
    return exact;
}

KTEST(ipi, the_call_path_writes_no_task_priority_and_one_eoi_per_participant)
{
    KTEST_NEEDS_APIC(t);
    ipi_test_set_barrier_spin_us(0); /* the spinning path: a sleep adds its wake-up */
    bool exact = false;
    for (int try = 1; try <= ACCESS_TRIES && !exact; try++)
        exact = one_eoi_per_participant(t, try);
    ipi_test_set_barrier_spin_us(ipi_barrier_spin_us());
    EXPECT_TRUE(t, exact);
}

/* The caller's worker lingers, so the others wait at the exit barrier
 * long enough to sleep there. */
static uintptr_t bump_linger_on_caller(uintptr_t caller)
{
    rec[me()].runs++;
    if (me() == caller)
        arch_udelay(5000);
    return 0;
}

/* Waiters sleep after 1 us of spinning: the calls still complete, each
 * worker runs once, and the sleeps really happened. */
KTEST(ipi, calls_complete_when_the_waiters_sleep)
{
    KTEST_NEEDS_APIC(t);
    if (online() < 2) {
        ktest_skip(t, "one CPU: nobody waits");
        return;
    }
    uint64_t sleeps_before = 0, sleeps_after = 0;
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        sleeps_before += smp_cpu(i)->ipi.sleeps;
    clear_records();
    ipi_test_set_barrier_spin_us(1);
    for (int k = 0; k < 50; k++)
        ipi_generic_call(bump_linger_on_caller, me());
    ipi_test_set_barrier_spin_us(ipi_barrier_spin_us());
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        sleeps_after += smp_cpu(i)->ipi.sleeps;
        if (cpu_online(smp_cpu(i)))
            EXPECT_EQ(t, 50, rec[i].runs);
    }
    kprintf("# %llu sleeps in 50 calls on %u CPUs\n",
            (unsigned long long)(sleeps_after - sleeps_before), online());
    EXPECT_TRUE(t, sleeps_after > sleeps_before);
}

/* barrier_spin_us=auto (the default): the boot measured what waking an idle
 * CPU takes and spins that long, within its bounds. A measurement of the
 * same kind made here is printed beside it, not held against it: on a host
 * with fewer cores than vCPUs either one can take a thousand times longer
 * than the other (seen: 1 209 us at boot, 4 us here, at -smp 16 on two
 * cores), so only the wiring is checked: measured, and used. */
#define WAKE_TRIES 7

static uint64_t probe_round_trip_us(struct cpu *ap)
{
    uint64_t best = UINT64_MAX;
    for (int k = 0; k < WAKE_TRIES; k++) {
        arch_udelay(200); /* the AP back in its idle loop */
        uint64_t before = __atomic_load_n(&ap->probe.interrupts, __ATOMIC_ACQUIRE);
        uint64_t start = arch_cycles(), limit = cycles_from_ms(1000);
        if (!arch_send_ipi_to(ap->index, IPI_PROBE))
            return 0;
        while (__atomic_load_n(&ap->probe.interrupts, __ATOMIC_ACQUIRE) == before)
            if (arch_cycles() - start > limit)
                return 0;
        uint64_t took = us_from_cycles(arch_cycles() - start);
        best = took < best ? took : best;
    }
    return best;
}

KTEST(ipi, the_default_spin_is_an_idle_cpus_wake_up_measured_at_boot)
{
    KTEST_NEEDS_APIC(t);
    if (online() < 2)
        KTEST_SKIP(t, "one CPU: no wake-up to measure (the spin falls back to 50 us)");
    if (boot_options.barrier_spin_us != OPTION_AUTO)
        KTEST_SKIP(t, "barrier_spin_us was given a number");
    struct cpu *ap = NULL;
    FOR_EACH_ONLINE_CPU(i, 0)
    {
        if (i != me() && ap == NULL)
            ap = smp_cpu(i);
    }
    uint64_t boot = ipi_wake_round_trip_us(), spin = ipi_barrier_spin_us();
    uint64_t here = probe_round_trip_us(ap);
    kprintf("# boot measured %llu us, spins %llu us; the same measured now: %llu us\n",
            (unsigned long long)boot, (unsigned long long)spin, (unsigned long long)here);
    /* Under 1 us a wake-up rounds to 0, and then so does this test's. */
    EXPECT_TRUE(t, boot > 0 || here == 0);
    EXPECT_EQ(t, boot < 1 ? 1 : boot > 1000 ? 1000 : boot, spin);
}

static uintptr_t return_cpu(uintptr_t arg) { return arg + me(); }

KTEST(ipi, a_one_cpu_call_touches_neither_the_apic_nor_the_task_priority)
{
    struct cpu_set self = {{0}};
    cpu_set_add(&self, me());
    struct arch_access_counts before = arch_test_access_counts();
    uintptr_t result = ipi_generic_call_set(&self, return_cpu, 100);
    struct arch_access_counts after = arch_test_access_counts();
    EXPECT_EQ(t, 100 + me(), result);
    EXPECT_EQ(t, 0, after.priority_writes - before.priority_writes);
    EXPECT_EQ(t, 0, after.controller_accesses - before.controller_accesses);
}

/* Alone (the caller the only member): nothing is published, so the call
 * has no number and no other CPU runs anything, and the worker still runs
 * at IPI_LEVEL with interrupts off, whatever the caller's state. */
KTEST(ipi, a_call_alone_runs_at_ipi_level_and_publishes_nothing)
{
    clear_records();
    struct cpu_set self = {{0}};
    cpu_set_add(&self, me());
    uint64_t calls_before = ipi_calls_started();
    arch_interrupts_enable();
    ipi_generic_call_set(&self, record_irql, 0);
    arch_interrupts_disable();
    EXPECT_EQ(t, calls_before, ipi_calls_started());
    FOR_EACH_ONLINE_CPU(i, 0) { EXPECT_EQ(t, i == me() ? 1 : 0, rec[i].runs); }
    EXPECT_EQ(t, IPI_LEVEL, rec[me()].value);
    EXPECT_EQ(t, 0, rec[me()].extra);
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
    FOR_EACH_ONLINE_CPU(i, 0)
    EXPECT_EQ(t, IPI_REFUSED_NESTED, rec[i].value);
}

KTEST(ipi, works_for_a_caller_with_interrupts_off)
{
    clear_records();
    arch_interrupts_disable();
    ipi_generic_call(count_run, 0);
    FOR_EACH_ONLINE_CPU(i, 0)
    EXPECT_EQ(t, 1, rec[i].runs);
}

/* ---- stress ---- */
static uintptr_t bump(uintptr_t arg)
{
    (void)arg;
    rec[me()].runs++;
    return 0;
}

/* 100 000 calls (stress_calls=<n>), or as many as fit in the time budget
 * (stress_ms=<n>, default 5 s): a virtual machine with more CPUs than its
 * host has cores runs spin barriers very slowly (a spinning vCPU holds a
 * host core the CPU it waits for needs). */
static uint64_t stress_calls(void) { return boot_options.stress_calls; }
static uint64_t stress_budget_ms(void) { return boot_options.stress_ms; }

KTEST(ipi, stress_back_to_back_calls)
{
    clear_records();
    uint64_t calls = stress_calls(), budget = cycles_from_ms(stress_budget_ms());
    uint64_t start = arch_cycles(), done = 0, longest = 0;
    for (uint64_t last = start, now; done < calls && (now = arch_cycles()) - start < budget;
         last = now) {
        longest = now - last > longest ? now - last : longest; /* the call before (and the loop) */
        ipi_generic_call(bump, done++);
    }
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        EXPECT_EQ(t, cpu_online(smp_cpu(i)) ? done : 0, rec[i].runs);
    kprintf("# %llu of %llu back-to-back calls on %u CPUs, longest call %llu us%s\n",
            (unsigned long long)done, (unsigned long long)calls, online(),
            (unsigned long long)us_from_cycles(longest),
            done < calls ? " (stress_ms time budget reached)" : "");
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
     * however fast the calls are. The first call is made whatever the
     * budget: a CPU with interrupts on may spend all of it serving the
     * others' calls before it makes its own (seen at -smp 100 on two host
     * cores), and every CPU must have called. */
    uint64_t start = arch_cycles();
    uint64_t span = cycles_from_ms(TIMER_PERIODS_AT_LEAST);
    uint64_t budget = cycles_from_ms(stress_budget_ms());
    budget = budget > span ? budget : span;
    uint64_t n = 0, longest = 0;
    for (;;) {
        uint64_t before = arch_cycles(), elapsed = before - start;
        if (n > 0 && ((n >= calls_per_cpu && elapsed >= span) || elapsed >= budget))
            break;
        ipi_generic_call(bump, n);
        uint64_t took = arch_cycles() - before;
        longest = took > longest ? took : longest;
        n++;
    }
    made[me()].runs = n;
    made[me()].value = longest;
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
    FOR_EACH_ONLINE_CPU(i, 0)
    ticks_before[i] = atomic_load_relaxed(&smp_cpu(i)->timer_ticks);
    ipi_generic_call(start_timer, 1); /* a 1 ms tick on every CPU */

    FOR_EACH_ONLINE_CPU(i, 1)
    EXPECT_TRUE(t, smp_post_work(smp_cpu(i), call_in_a_loop, 0));
    arch_interrupts_enable();
    call_in_a_loop(0);
    /* Past the budget each CPU has at most one call left, and calls go one
     * at a time, each within ipi_timeout_ms or the rendezvous panics: so
     * the others are done within one timeout per CPU (at -smp 100 on two
     * host cores that is minutes, not the usual deadline of 90 s). */
    uint64_t last_calls_ms = (uint64_t)online() * ipi_timeout_ms() + test_work_timeout_ms();
    bool all_done = true;
    FOR_EACH_ONLINE_CPU(i, 1)
    all_done &= smp_wait_work(smp_cpu(i), last_calls_ms);
    /* Every CPU's timer was running throughout: it has ticked by now, or
     * does so as soon as the CPU can take the interrupt (a tick held back
     * at IPI_LEVEL may still be pending; some hypervisors deliver it late). */
    uint64_t start = arch_cycles();
    FOR_EACH_ONLINE_CPU(i, 0)
    while (atomic_load_relaxed(&smp_cpu(i)->timer_ticks) == ticks_before[i] &&
           arch_cycles() - start < cycles_from_ms(TICK_WAIT_MS))
        arch_cpu_relax();
    arch_interrupts_disable();
    ipi_generic_call(start_timer, 0);
    ASSERT_TRUE(t, all_done);

    uint64_t total = 0, longest = 0;
    bool short_of_count = false;
    FOR_EACH_ONLINE_CPU(i, 0)
    {
        EXPECT_TRUE(t, made[i].runs >= 1);
        short_of_count |= made[i].runs < calls_per_cpu;
        total += made[i].runs;
        longest = made[i].value > longest ? made[i].value : longest;
    }
    kprintf("# %llu calls from %u CPUs at once, longest call %llu us%s\n",
            (unsigned long long)total, online(), (unsigned long long)us_from_cycles(longest),
            short_of_count ? " (stress_ms time budget reached)" : "");
    FOR_EACH_ONLINE_CPU(i, 0)
    {
        EXPECT_EQ(t, total, rec[i].runs); /* every call ran on every CPU, once */
        if (atomic_load_relaxed(&smp_cpu(i)->timer_ticks) == ticks_before[i])
            ktest_fail(t, __FILE__, __LINE__, "CPU %u took no timer tick", i);
    }
}

/* ---- a caller in an interrupt handler ----
 * The local APIC timer runs at CLOCK_LEVEL, below IPI_LEVEL, so its handler
 * may call. Every caller here dawdles 1.5 ms with interrupts on just before
 * it queues for the call lock, so the 1 ms tick lands in the caller's path
 * again and again: a CPU must never wait for a lock it holds itself. */
#define TIMER_CALLS_WANTED 5
static volatile uint32_t timer_calls_made, timer_call_errors;

static uintptr_t count_timer_run(uintptr_t arg)
{
    rec[me()].extra++;
    return arg + me();
}

static void timer_that_calls(void)
{
    if (me() != 0 || timer_calls_made >= TIMER_CALLS_WANTED)
        return;
    if (ipi_generic_call(count_timer_run, 0x77) != 0x77)
        timer_call_errors++;
    timer_calls_made++;
}

KTEST(ipi, a_timer_interrupt_handler_may_call)
{
    KTEST_NEEDS_APIC(t);
    clear_records();
    timer_calls_made = timer_call_errors = 0;
    smp_set_timer_hook(timer_that_calls);
    ipi_test_set_caller_delay_us(1500);
    arch_timer_start(1); /* this CPU only */
    arch_interrupts_enable();
    uint64_t start = arch_cycles(), calls = 0;
    while (timer_calls_made < TIMER_CALLS_WANTED && arch_cycles() - start < cycles_from_ms(20000)) {
        ipi_generic_call(count_run, 0);
        calls++;
    }
    arch_interrupts_disable();
    arch_timer_start(0);
    ipi_test_set_caller_delay_us(0);
    smp_set_timer_hook(NULL);
    kprintf("# %u calls from the timer handler among %llu ordinary ones\n", timer_calls_made,
            (unsigned long long)calls);
    EXPECT_EQ(t, TIMER_CALLS_WANTED, timer_calls_made);
    EXPECT_EQ(t, 0, timer_call_errors);
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        bool on = cpu_online(smp_cpu(i));
        EXPECT_EQ(t, on ? calls : 0, rec[i].runs);
        EXPECT_EQ(t, on ? timer_calls_made : 0, rec[i].extra);
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
    FOR_EACH_ONLINE_CPU(i, 0)
    EXPECT_EQ(t, base + i, rec[i].value);
}

#define PATTERN_OLD 0x01D01D01D01D01D0ull
#define PATTERN_NEW 0x0E110E110E110E11ull

static uintptr_t read_window(uintptr_t va)
{
    rec[me()].value = atomic_load_relaxed((const uint64_t *)va);
    return 0;
}

static uintptr_t flush_and_read_window(uintptr_t va)
{
    arch_tlb_flush_page(va);
    rec[me()].value = atomic_load_relaxed((const uint64_t *)va);
    return 0;
}

KTEST(ipi, use_tlb_shootdown)
{
    uint64_t *old_page = page_alloc_ptr(1), *new_page = page_alloc_ptr(1);
    if (old_page == NULL || new_page == NULL) /* a machine with a few MiB: the APs took it */
        KTEST_SKIP(t, "no free page left for the test's two pages");
    *old_page = PATTERN_OLD;
    *new_page = PATTERN_NEW;
    uintptr_t va = arch_test_window_map((uint64_t)(uintptr_t)old_page);
    arch_tlb_flush_page(va);
    clear_records();
    ipi_generic_call(flush_and_read_window, va); /* every CPU caches the old mapping */
    ipi_generic_call(read_window, va);
    FOR_EACH_ONLINE_CPU(i, 0)
    EXPECT_EQ(t, PATTERN_OLD, rec[i].value);

    arch_test_window_map((uint64_t)(uintptr_t)new_page); /* no flush yet */
    ipi_generic_call(flush_and_read_window, va);         /* the shoot-down */
    ipi_generic_call(read_window, va);
    FOR_EACH_ONLINE_CPU(i, 0)
    EXPECT_EQ(t, PATTERN_NEW, rec[i].value);
}

static uintptr_t read_tsc(uintptr_t unused)
{
    (void)unused;
    rec[me()].value = arch_cycles(); /* first thing after the arrival barrier */
    return 0;
}

/* Linux's check_tsc_warp: every CPU reads the clock in turn, under a lock,
 * and compares it with the newest reading of any CPU. A clock that runs
 * behind another CPU's shows up as a reading older than one already taken,
 * however slowly the CPUs take turns (an overcommitted host only makes it
 * slower). */
#define WARP_ROUNDS 100
#define WARP_LOCK_SPINS 100000000ull
static volatile uint32_t warp_lock;
static volatile uint64_t warp_last;
static volatile uint32_t warps, warp_lock_timeouts;

static uintptr_t check_tsc_warp(uintptr_t unused)
{
    (void)unused;
    for (int round = 0; round < WARP_ROUNDS; round++) {
        uint64_t spins = 0;
        while (__atomic_exchange_n(&warp_lock, 1, __ATOMIC_ACQUIRE) != 0) {
            if (++spins == WARP_LOCK_SPINS) {
                __atomic_add_fetch(&warp_lock_timeouts, 1, __ATOMIC_RELAXED);
                return 0;
            }
            arch_cpu_relax();
        }
        uint64_t now = arch_cycles();
        if (now < warp_last)
            warps++;
        warp_last = now;
        __atomic_store_n(&warp_lock, 0, __ATOMIC_RELEASE);
    }
    return 0;
}

KTEST(ipi, use_tsc_read_at_the_release_point)
{
    clear_records();
    ipi_generic_call(read_tsc, 0);
    uint64_t lo = ~0ull, hi = 0;
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        lo = rec[i].value < lo ? rec[i].value : lo;
        hi = rec[i].value > hi ? rec[i].value : hi;
    }
    kprintf("# TSC skew at the release point: %llu cycles across %u CPUs\n",
            (unsigned long long)(hi - lo), online());
    warp_lock = 0;
    warp_last = 0;
    warps = warp_lock_timeouts = 0;
    ipi_generic_call(check_tsc_warp, 0);
    EXPECT_EQ(t, 0, warp_lock_timeouts);
    EXPECT_EQ(t, 0, warps);
}
