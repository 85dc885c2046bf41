/*
 * test_tlb.c - kernel/smp/tlb.c's shoot-down, on the host, against a fake
 * rendezvous and a fake TLB that record what each CPU was made to do.
 *
 * The QEMU self-tests (tests/kernel/test_tlb.c) see a shoot-down whole,
 * on real (emulated) TLBs; here each promise of kernel/smp/tlb.h is checked
 * alone, the same way every run: which CPUs ran the worker, which pages
 * each flushed and how often, how many rendezvous a shoot-down took, and
 * that the caller flushed too, whether or not it was in the set. The fake
 * rendezvous runs the worker on each member in turn, the caller last, as
 * the CPU arch_tlb_flush_page then charges; its members are what
 * ipi_generic_call_set promises: the online CPUs of the set, and the
 * caller.
 */
#include "kernel/arch.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/tlb.h"

#include "tests/host/htest.h"

#define CPUS 4
#define MAX_FLUSHES 64
#define PAGE ARCH_PAGE_SIZE
#define BASE 0x40000000ull /* any page-aligned address: nothing is mapped */

/* ---- the fake machine ---- */
static uint32_t current_cpu; /* whose TLB a flush reaches */
static bool online[CPUS];
static uintptr_t flushed[CPUS][MAX_FLUSHES]; /* the pages each CPU flushed, in order */
static size_t flush_count[CPUS];
static size_t flushes_outside_a_worker;
static bool ran_worker[CPUS];
static unsigned rendezvous_calls;
static bool in_worker, nested_call;

void arch_tlb_flush_page(uintptr_t va)
{
    if (!in_worker)
        flushes_outside_a_worker++;
    if (flush_count[current_cpu] < MAX_FLUSHES)
        flushed[current_cpu][flush_count[current_cpu]] = va & ~(uintptr_t)(PAGE - 1);
    flush_count[current_cpu]++;
}

uintptr_t ipi_generic_call_set(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                               uintptr_t argument)
{
    if (in_worker) {
        nested_call = true; /* ipi.h forbids it: the kernel would stop */
        return 0;
    }
    rendezvous_calls++;
    uint32_t caller = current_cpu;
    in_worker = true;
    for (uint32_t i = 0; i < CPUS; i++) {
        if (i == caller || !online[i] || (targets != NULL && !cpu_set_has(targets, i)))
            continue;
        current_cpu = i;
        ran_worker[i] = true;
        worker(argument);
    }
    current_cpu = caller;
    ran_worker[caller] = true;
    uintptr_t result = worker(argument);
    in_worker = false;
    return result;
}

uintptr_t ipi_generic_call(ipi_broadcast_worker *worker, uintptr_t argument)
{
    return ipi_generic_call_set(NULL, worker, argument);
}

static void reset(uint32_t caller)
{
    current_cpu = caller;
    for (uint32_t i = 0; i < CPUS; i++) {
        online[i] = true;
        flush_count[i] = 0;
        ran_worker[i] = false;
    }
    flushes_outside_a_worker = 0;
    rendezvous_calls = 0;
    in_worker = nested_call = false;
}

static struct cpu_set set_of(uint32_t a, uint32_t b)
{
    struct cpu_set s = {{0}};
    if (a < CPUS)
        cpu_set_add(&s, a);
    if (b < CPUS)
        cpu_set_add(&s, b);
    return s;
}
#define NONE CPUS

/* Whether cpu flushed exactly the pages [first, first + pages * PAGE), each
 * once (in any order); if not, says what it did into why. */
static bool flushed_exactly(uint32_t cpu, uintptr_t first, size_t pages, char *why, size_t len)
{
    size_t n = flush_count[cpu];
    bool ok = n == pages && n <= MAX_FLUSHES;
    for (size_t p = 0; ok && p < pages; p++) {
        size_t times = 0;
        for (size_t k = 0; k < n; k++)
            times += flushed[cpu][k] == first + p * PAGE;
        ok = times == 1;
    }
    if (!ok) {
        int used = snprintf(why, len, "CPU %u flushed %zu pages, not the %zu from %#lx%s", cpu, n,
                            pages, (unsigned long)first, n != 0 ? ":" : "");
        for (size_t k = 0; k < n && k < 6 && used > 0 && (size_t)used < len; k++)
            used +=
                snprintf(why + used, len - (size_t)used, " %#lx", (unsigned long)flushed[cpu][k]);
    }
    return ok;
}

/* Every CPU in `expected` flushed exactly the range, the others nothing. */
static bool flushes_match(const struct cpu_set *expected, uintptr_t first, size_t pages, char *why,
                          size_t len)
{
    for (uint32_t i = 0; i < CPUS; i++) {
        if (cpu_set_has(expected, i)) {
            if (!flushed_exactly(i, first, pages, why, len))
                return false;
        } else if (flush_count[i] != 0 || ran_worker[i]) {
            snprintf(why, len, "CPU %u is outside the set and not the caller, but %s", i,
                     ran_worker[i] ? "it ran the worker (it was interrupted)" : "it flushed pages");
            return false;
        }
    }
    return true;
}

#define CASE(name) if (htest_selected(name) && (htest_begin(name), true))

int main(void)
{
    char why[240] = "";

    CASE("tlb.each_cpu_of_the_set_flushes_the_page")
    {
        reset(0);
        struct cpu_set set = set_of(1, 3), expected = set_of(1, 3);
        cpu_set_add(&expected, 0);
        tlb_shootdown(BASE + 5 * PAGE, 1, &set);
        HCHECK("tlb.each_cpu_of_the_set_flushes_the_page",
               flushes_match(&expected, BASE + 5 * PAGE, 1, why, sizeof(why)), "%s", why);
    }
    CASE("tlb.a_cpu_outside_the_set_is_not_interrupted")
    {
        reset(0);
        struct cpu_set set = set_of(2, NONE);
        tlb_shootdown(BASE, 1, &set);
        bool ok = !ran_worker[1] && !ran_worker[3] && flush_count[1] == 0 && flush_count[3] == 0;
        HCHECK("tlb.a_cpu_outside_the_set_is_not_interrupted", ok,
               "a shoot-down for CPU 2 from CPU 0 ran the worker on%s%s and flushed %zu and %zu "
               "pages there",
               ran_worker[1] ? " CPU 1" : "", ran_worker[3] ? " CPU 3" : "", flush_count[1],
               flush_count[3]);
    }
    CASE("tlb.the_caller_flushes_in_the_worker_even_outside_the_set")
    {
        reset(0);
        struct cpu_set set = set_of(2, NONE);
        tlb_shootdown(BASE + PAGE, 1, &set);
        HCHECK("tlb.the_caller_flushes_in_the_worker_even_outside_the_set",
               flushed_exactly(0, BASE + PAGE, 1, why, sizeof(why)) &&
                   flushes_outside_a_worker == 0,
               "%s",
               flushes_outside_a_worker != 0
                   ? "the caller flushed outside the rendezvous: its own flush belongs in the "
                     "worker, which the rendezvous runs on the caller too"
                   : why);
    }
    CASE("tlb.no_set_means_every_online_cpu")
    {
        reset(1);
        online[2] = false; /* the rendezvous leaves it out; nothing to do in tlb.c */
        struct cpu_set expected = set_of(0, 1);
        cpu_set_add(&expected, 3);
        tlb_shootdown(BASE + 7 * PAGE, 1, NULL);
        HCHECK("tlb.no_set_means_every_online_cpu",
               flushes_match(&expected, BASE + 7 * PAGE, 1, why, sizeof(why)), "%s", why);
    }
    CASE("tlb.every_page_of_the_range_is_flushed_once")
    {
        reset(0);
        tlb_shootdown(BASE + 3 * PAGE + 0x123, 5, NULL); /* not page-aligned: rounded down */
        struct cpu_set all = set_of(0, 1);
        cpu_set_add(&all, 2);
        cpu_set_add(&all, 3);
        HCHECK("tlb.every_page_of_the_range_is_flushed_once",
               flushes_match(&all, BASE + 3 * PAGE, 5, why, sizeof(why)), "%s", why);
    }
    CASE("tlb.one_rendezvous_per_shootdown")
    {
        reset(0);
        tlb_shootdown(BASE, 8, NULL);
        HCHECK("tlb.one_rendezvous_per_shootdown", rendezvous_calls == 1 && !nested_call,
               "a shoot-down of 8 pages made %u rendezvous calls%s", rendezvous_calls,
               nested_call ? ", one of them from inside a worker" : "");
    }
    CASE("tlb.an_empty_range_interrupts_nobody")
    {
        reset(0);
        tlb_shootdown(BASE, 0, NULL);
        size_t total = flush_count[0] + flush_count[1] + flush_count[2] + flush_count[3];
        HCHECK("tlb.an_empty_range_interrupts_nobody", rendezvous_calls == 0 && total == 0,
               "a shoot-down of 0 pages made %u rendezvous calls and %zu flushes", rendezvous_calls,
               total);
    }
    CASE("tlb.a_shootdown_from_an_ap_flushes_that_ap_too")
    {
        reset(2);
        struct cpu_set set = set_of(0, NONE), expected = set_of(0, 2);
        tlb_shootdown(BASE + 9 * PAGE, 1, &set); /* one page: the range has its own case */
        HCHECK("tlb.a_shootdown_from_an_ap_flushes_that_ap_too",
               flushes_match(&expected, BASE + 9 * PAGE, 1, why, sizeof(why)), "%s", why);
    }
    return htest_finish();
}
