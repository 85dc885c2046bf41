/*
 * test_rendezvous.c - kernel/barrier.c and kernel/ipi.c on the host, one
 * pthread per "CPU", under ThreadSanitizer.
 *
 * The kernel sources are compiled unchanged; this file supplies the arch_*
 * and smp_* functions they call. An IPI sets a pending flag on the target
 * thread, which takes the "interrupt" at its next spin (arch_cpu_relax)
 * if its simulated interrupt flag is on and its task priority is below the
 * IPI class, exactly the conditions the APIC applies.
 */
#include "kernel/arch.h"
#include "kernel/barrier.h"
#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/irql.h"
#include "kernel/ksyms.h"
#include "kernel/smp.h"

#include "tests/host/htest.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define HOST_CPUS 6
#define IPI_CLASS 14

/* ---- the simulated machine ---- */
static struct cpu cpus[HOST_CPUS];
static size_t cpu_count = HOST_CPUS;
static _Thread_local struct cpu *this_cpu;
static _Thread_local unsigned task_priority;
static _Thread_local bool interrupts_on;
static atomic_bool ipi_pending[HOST_CPUS];
static atomic_bool machine_running;

struct cpu *arch_this_cpu(void) { return this_cpu; }
size_t smp_cpu_count(void) { return cpu_count; }
size_t smp_online_count(void) { return cpu_count; }
struct cpu *smp_cpu(size_t i) { return i < cpu_count ? &cpus[i] : NULL; }

uint64_t arch_cycles(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
uint64_t arch_cycles_per_second(void) { return 1000000000u; }

unsigned arch_task_priority(void) { return task_priority; }
void arch_set_task_priority(unsigned p) { task_priority = p; }
bool arch_interrupts_enabled(void) { return interrupts_on; }
void arch_interrupts_enable(void) { interrupts_on = true; }
void arch_interrupts_disable(void) { interrupts_on = false; }
bool arch_interrupts_save_disable(void)
{
    bool was = interrupts_on;
    interrupts_on = false;
    return was;
}
void arch_interrupts_restore(bool enabled) { interrupts_on = enabled; }

/* Takes a pending IPI the way the CPU would: interrupts off, priority
 * raised to the vector's class for the handler, then restored. */
static void deliver_pending_ipi(void)
{
    if (this_cpu == NULL || !interrupts_on || task_priority >= IPI_CLASS)
        return;
    if (!atomic_exchange(&ipi_pending[this_cpu->index], false))
        return;
    unsigned old = task_priority;
    interrupts_on = false;
    task_priority = IPI_CLASS;
    kernel_call_interrupt();
    task_priority = old;
    interrupts_on = true;
}

void arch_cpu_relax(void)
{
    deliver_pending_ipi();
    sched_yield(); /* more threads than cores: let the others run */
}

bool arch_send_call_ipi(uint32_t apic_id)
{
    atomic_store(&ipi_pending[apic_id], true);
    return true;
}

bool arch_send_call_ipi_all_but_self(void)
{
    for (size_t i = 0; i < cpu_count; i++)
        if (&cpus[i] != this_cpu)
            atomic_store(&ipi_pending[i], true);
    return true;
}

bool arch_send_nmi(uint32_t apic_id)
{
    (void)apic_id;
    return false;
}

noreturn void arch_halt_forever(void)
{
    fprintf(stderr, "halt\n");
    abort();
}
void arch_print_backtrace_from(uintptr_t pc, bool r, uintptr_t fp)
{
    (void)pc;
    (void)r;
    (void)fp;
}
bool ksym_lookup(uintptr_t addr, const char **name, uintptr_t *offset)
{
    (void)addr;
    *name = "?";
    *offset = 0;
    return false;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}
int kvprintf(const char *fmt, va_list ap) { return vfprintf(stderr, fmt, ap); }

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "PANIC at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}



static void machine_reset(size_t n, const char *cmdline)
{
    cpu_count = n;
    memset(cpus, 0, sizeof(cpus));
    for (size_t i = 0; i < n; i++) {
        cpus[i].self = &cpus[i];
        cpus[i].index = (uint32_t)i;
        cpus[i].apic_id = (uint32_t)i;
        cpus[i].state = CPU_ONLINE;
        atomic_store(&ipi_pending[i], false);
    }
    cmdline_parse(&boot_cmdline, cmdline);
    ipi_init();
    /* The call numbers go on from the previous test: start from there. */
    for (size_t i = 0; i < n; i++)
        cpus[i].ipi.seen = cpus[i].ipi.served = ipi_calls_started();
}

/* ---- barrier tests ---- */
#define BARRIER_EPISODES 3000
static enum barrier_kind kind_under_test;
static atomic_uint_fast64_t progress[HOST_CPUS];
static atomic_int barrier_errors;

/* Episodes only grow, across tests too (the barriers keep the newest one
 * they saw); these start far above the rendezvous' call numbers. */
static uint64_t episode_base = 1ull << 40;

static void *barrier_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    for (uint64_t e = episode_base + 1; e <= episode_base + BARRIER_EPISODES; e++) {
        atomic_store(&progress[rank], e);
        if (!barrier_wait(kind_under_test, e, rank, (uint32_t)cpu_count, 10000000000ull)) {
            atomic_fetch_add(&barrier_errors, 1);
            return NULL;
        }
        /* Nobody passes an episode before everyone has arrived at it. */
        for (size_t j = 0; j < cpu_count; j++)
            if (atomic_load(&progress[j]) < e)
                atomic_fetch_add(&barrier_errors, 1);
        sched_yield();
    }
    return NULL;
}

static void barrier_test(enum barrier_kind kind, size_t n)
{
    cpu_count = n;
    kind_under_test = kind;
    atomic_store(&barrier_errors, 0);
    for (size_t i = 0; i < n; i++)
        atomic_store(&progress[i], 0);
    pthread_t th[HOST_CPUS];
    for (size_t i = 0; i < n; i++)
        pthread_create(&th[i], NULL, barrier_thread, (void *)(uintptr_t)i);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    episode_base += BARRIER_EPISODES;
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_%zu_threads", barrier_kind_name(kind), n);
    HCHECK(name, atomic_load(&barrier_errors) == 0, "%d errors", atomic_load(&barrier_errors));
}

/* ---- rendezvous tests ---- */
#define CALLS_PER_CPU 2000
static uint64_t runs[HOST_CPUS];        /* written only by the owning CPU's worker */
static atomic_uint inside;
static atomic_int rendezvous_errors;
static atomic_int finished;

static uintptr_t worker(uintptr_t arg)
{
    uint32_t me = arch_this_cpu()->index;
    runs[me]++;
    if (arch_task_priority() != IPI_LEVEL || arch_interrupts_enabled())
        atomic_fetch_add(&rendezvous_errors, 1);
    /* Simultaneity: all participants are inside together. */
    uint32_t count = (uint32_t)(arg & 0xFF);
    atomic_fetch_add(&inside, 1);
    while (atomic_load(&inside) % count != 0)
        sched_yield();
    return 1000 + me;
}

static void *cpu_thread(void *arg)
{
    this_cpu = &cpus[(uintptr_t)arg];
    task_priority = PASSIVE_LEVEL;
    interrupts_on = true;
    /* Odd CPUs call with interrupts off: they must serve others' calls by
     * polling while they wait. */
    if (this_cpu->index % 2 == 1)
        interrupts_on = false;
    for (int i = 0; i < CALLS_PER_CPU; i++) {
        uintptr_t r = ipi_generic_call(worker, cpu_count);
        if (r != 1000 + this_cpu->index)
            atomic_fetch_add(&rendezvous_errors, 1);
    }
    /* Stay available for the others' calls until everyone is done. */
    interrupts_on = true;
    atomic_fetch_add(&finished, 1);
    while (atomic_load(&finished) < (int)cpu_count)
        arch_cpu_relax();
    return NULL;
}

static void rendezvous_test(const char *barrier, size_t n)
{
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "barrier=%s", barrier);
    machine_reset(n, cmdline);
    memset(runs, 0, sizeof(runs));
    atomic_store(&inside, 0);
    atomic_store(&rendezvous_errors, 0);
    atomic_store(&finished, 0);
    pthread_t th[HOST_CPUS];
    for (size_t i = 0; i < n; i++)
        pthread_create(&th[i], NULL, cpu_thread, (void *)(uintptr_t)i);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    bool counts_ok = true;
    for (size_t i = 0; i < n; i++)
        counts_ok &= runs[i] == (uint64_t)CALLS_PER_CPU * n;
    char name[96];
    snprintf(name, sizeof(name), "rendezvous.%s_%zu_cpus_all_calling", barrier, n);
    HCHECK(name, counts_ok && atomic_load(&rendezvous_errors) == 0,
           "runs[0]=%llu (want %llu), %d errors", (unsigned long long)runs[0],
           (unsigned long long)CALLS_PER_CPU * n, atomic_load(&rendezvous_errors));
}

int main(void)
{
    atomic_store(&machine_running, true);
    /* The rendezvous first: the barrier tests' episode numbers are far
     * larger than any call number. */
    rendezvous_test("central", 2);
    rendezvous_test("central", HOST_CPUS);
    rendezvous_test("dissemination", 5);
    rendezvous_test("dissemination", HOST_CPUS);
    barrier_test(BARRIER_CENTRAL, 2);
    barrier_test(BARRIER_CENTRAL, HOST_CPUS);
    barrier_test(BARRIER_DISSEMINATION, 3);
    barrier_test(BARRIER_DISSEMINATION, HOST_CPUS);
    return htest_finish();
}
