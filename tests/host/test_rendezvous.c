/*
 * test_rendezvous.c - kernel/smp/barrier.c and kernel/smp/ipi.c on the host, one
 * pthread per "CPU", under ThreadSanitizer.
 *
 * The kernel sources are compiled unchanged; this file supplies the arch_*
 * and smp_* functions they call. Each of those calls is a point where an
 * interrupt may arrive, as between any two instructions on a real CPU: a
 * pending IPI is taken if the simulated interrupt flag is on and the task
 * priority is below the IPI class; a simulated timer tick (class 13) the
 * same way, and its handler may itself call the rendezvous.
 *
 * What the checks hold the code to comes from outside it: each CPU's
 * simulated interrupt flag and priority, plain (non-atomic) data handed
 * between the caller and the workers (ThreadSanitizer sees any missing
 * ordering), and the interrupts the harness itself delivered. No test
 * worker waits for another CPU: a worker that did would be a barrier of
 * its own and hide a missing one.
 */
#define _GNU_SOURCE /* pthread_tryjoin_np */
#include "kernel/arch.h"
#include "kernel/boot/cmdline.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/ksyms.h"
#include "kernel/smp/barrier.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/irql.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"

#include "tests/host/htest.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define HOST_CPUS 6
#define IPI_CLASS 14
#define CLOCK_CLASS 13
#define TEST_HANG_SECONDS 120 /* a test that takes longer has hung: fail it by name */

/* Stops a missing barrier from surfacing only as a report at the end. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "halt_on_error=1:second_deadlock_stack=1"; }

/* ---- the simulated machine ---- */
struct sim_cpu {
    atomic_uint tpr;           /* task priority (CR8) */
    atomic_bool interrupts_on; /* RFLAGS.IF */
    atomic_bool ipi_pending;
    atomic_uint ipis_received; /* call IPIs sent to this CPU */
    atomic_uint handler_exits; /* call-IPI handlers that returned */
    atomic_bool halted;
};

static struct cpu cpus[HOST_CPUS];
static struct sim_cpu sim[HOST_CPUS];
static size_t cpu_count = HOST_CPUS;
static atomic_uint shorthands_sent;
static _Thread_local struct cpu *this_cpu;

/* A stopped machine: after a panic every CPU leaves (as the stop NMI
 * would halt it), once panic_linger_ms have passed. */
static atomic_bool machine_stopped;
static unsigned panic_linger_ms;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char report[8192]; /* what the kernel printed since the last reset */
static size_t report_len;
static atomic_bool panicked;

/* The simulated timer: fires at this thread's timer_at-th arch call. */
static _Thread_local uint64_t arch_calls;
static _Thread_local uint64_t timer_at = UINT64_MAX;
static _Thread_local bool timer_pending;
static void (*timer_handler)(void);
static void (*relax_hook)(void);  /* a test's say in when a spinning CPU moves on */
static void (*cycles_hook)(void); /* ... and in when it reads the clock */

static struct sim_cpu *me_sim(void) { return &sim[this_cpu->index]; }

static noreturn void leave_machine(void)
{
    if (this_cpu != NULL)
        atomic_store(&me_sim()->halted, true);
    pthread_exit(NULL);
}

static void take_interrupt(unsigned class, void (*handler)(void))
{
    struct sim_cpu *s = me_sim();
    unsigned old = atomic_load(&s->tpr);
    atomic_store(&s->interrupts_on, false);
    atomic_store(&s->tpr, class);
    handler();
    atomic_store(&s->tpr, old);
    atomic_store(&s->interrupts_on, true);
}

static void call_ipi_handler(void)
{
    kernel_call_interrupt();
    atomic_fetch_add(&me_sim()->handler_exits, 1);
}

/* Where an interrupt can arrive: every arch call the kernel makes. */
static void interrupt_point(void)
{
    if (this_cpu == NULL)
        return;
    if (atomic_load(&machine_stopped))
        leave_machine();
    if (++arch_calls == timer_at)
        timer_pending = true;
    struct sim_cpu *s = me_sim();
    if (!atomic_load(&s->interrupts_on))
        return;
    if (atomic_load(&s->tpr) < IPI_CLASS && atomic_exchange(&s->ipi_pending, false))
        take_interrupt(IPI_CLASS, call_ipi_handler);
    if (timer_pending && atomic_load(&s->tpr) < CLOCK_CLASS && atomic_load(&s->interrupts_on)) {
        timer_pending = false;
        take_interrupt(CLOCK_CLASS, timer_handler);
    }
}

struct cpu *arch_this_cpu(void) { return this_cpu; }
size_t smp_cpu_count(void) { return cpu_count; }
size_t smp_online_count(void) { return cpu_count; }
size_t smp_listed_count(void) { return cpu_count; }
uint64_t smp_wake_round_trip_cycles(void) { return 0; } /* the cases pass barrier_spin_us */
struct cpu *smp_cpu(size_t i) { return i < cpu_count ? &cpus[i] : NULL; }

uint64_t arch_cycles(void)
{
    if (cycles_hook != NULL)
        cycles_hook();
    interrupt_point();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
uint64_t arch_cycles_per_second(void) { return 1000000000u; }

unsigned arch_task_priority(void)
{
    interrupt_point();
    return atomic_load(&me_sim()->tpr);
}
void arch_set_task_priority(unsigned p)
{
    interrupt_point();
    atomic_store(&me_sim()->tpr, p);
    interrupt_point(); /* lowering lets a held-back interrupt in */
}
bool arch_interrupts_enabled(void)
{
    interrupt_point();
    return atomic_load(&me_sim()->interrupts_on);
}
void arch_interrupts_enable(void)
{
    atomic_store(&me_sim()->interrupts_on, true);
    interrupt_point();
}
void arch_interrupts_disable(void)
{
    interrupt_point();
    atomic_store(&me_sim()->interrupts_on, false);
}
bool arch_interrupts_save_disable(void)
{
    interrupt_point();
    return atomic_exchange(&me_sim()->interrupts_on, false);
}
void arch_interrupts_restore(bool enabled)
{
    atomic_store(&me_sim()->interrupts_on, enabled);
    interrupt_point();
}

void arch_udelay(uint64_t microseconds)
{
    interrupt_point();
    usleep(microseconds);
}

void arch_cpu_relax(void)
{
    if (relax_hook != NULL)
        relax_hook();
    interrupt_point();
    sched_yield(); /* more threads than cores: let the others run */
}

/* The simulated interrupt controller: only call IPIs arrive; NMIs are
 * refused (a CPU that does not answer them either). */
bool arch_send_ipi_to(uint32_t cpu, enum ipi_kind kind)
{
    interrupt_point();
    if (kind != IPI_CALL || cpu >= cpu_count)
        return false;
    atomic_fetch_add(&sim[cpu].ipis_received, 1);
    atomic_store(&sim[cpu].ipi_pending, true);
    return true;
}

bool arch_send_ipi(const struct cpu_set *targets, enum ipi_kind kind)
{
    bool all_sent = true;
    for (uint32_t i = 0; i < HOST_CPUS; i++)
        if (cpu_set_has(targets, i))
            all_sent &= arch_send_ipi_to(i, kind);
    return all_sent;
}

bool arch_send_ipi_all_others(enum ipi_kind kind)
{
    interrupt_point();
    if (kind != IPI_CALL)
        return false;
    atomic_fetch_add(&shorthands_sent, 1);
    for (size_t i = 0; i < cpu_count; i++) {
        if (&cpus[i] != this_cpu) {
            atomic_fetch_add(&sim[i].ipis_received, 1);
            atomic_store(&sim[i].ipi_pending, true);
        }
    }
    return true;
}

noreturn void arch_halt_forever(void) { leave_machine(); }
const char *arch_nmi_reason(void) { return "simulated"; }
/* ipi_init(..., 0): the rendezvous' waiters only spin here. */
bool arch_can_wait_for_wake(void) { return false; }
bool arch_wait_for_wake(uint64_t max_us)
{
    (void)max_us;
    return false;
}
void arch_print_backtrace_from(uintptr_t pc, bool r, uintptr_t fp)
{
    (void)pc;
    (void)r;
    (void)fp;
}
const char *ksym_describe(uintptr_t addr, bool is_return_address, char *buf, size_t size)
{
    (void)is_return_address;
    snprintf(buf, size, "%#lx", (unsigned long)addr);
    return buf;
}

void console_enter_panic_mode(void) {}

static void (*print_hook)(const char *text); /* a test's say in what happens as a line is printed */

int kvprintf(const char *fmt, va_list ap)
{
    char line[512];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (print_hook != NULL)
        print_hook(line);
    pthread_mutex_lock(&report_lock);
    size_t len = strlen(line);
    if (report_len + len < sizeof(report)) {
        memcpy(report + report_len, line, len + 1);
        report_len += len;
    }
    pthread_mutex_unlock(&report_lock);
    if (getenv("RENDEZVOUS_VERBOSE") != NULL)
        fputs(line, stderr);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

static noreturn void panic_v(const char *file, int line, const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    kprintf("PANIC: %s (%s:%d)\n", text, file, line);
    atomic_store(&panicked, true);
    usleep(panic_linger_ms * 1000u); /* the others may still move meanwhile */
    atomic_store(&machine_stopped, true);
    leave_machine();
}

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    panic_v(file, line, fmt, ap);
}

noreturn void panic_claimed_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    panic_v(file, line, fmt, ap);
}

/* kernel/stop.c, as the rendezvous sees it: the first CPU to claim the
 * stop reports; any other says why it came and leaves the machine, as the
 * kernel's would wait for the owner's stop. */
static _Atomic(struct cpu *) stop_owner;

enum stop_role stop_claim(const char *fmt, ...)
{
    struct cpu *nobody = NULL;
    if (atomic_compare_exchange_strong(&stop_owner, &nobody, this_cpu))
        return STOP_OWNER;
    if (nobody == this_cpu)
        return STOP_OWNER_AGAIN;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    kprintf("stop: CPU %u waits for the owner's stop: %s\n", this_cpu->index, text);
    leave_machine();
}

bool stop_cpu_is_waiting(uint32_t index, const char **why)
{
    (void)index;
    (void)why;
    return false;
}

noreturn void stop_end(void) { leave_machine(); }
void console_drop_locks(void) {}

static bool report_has(const char *text)
{
    pthread_mutex_lock(&report_lock);
    bool found = strstr(report, text) != NULL;
    pthread_mutex_unlock(&report_lock);
    return found;
}

static void machine_reset(size_t n, const char *cmdline)
{
    cpu_count = n;
    memset(cpus, 0, sizeof(cpus));
    for (size_t i = 0; i < HOST_CPUS; i++) {
        cpus[i].self = &cpus[i];
        cpus[i].index = (uint32_t)i;
        cpus[i].hw_id = (uint32_t)i;
        cpu_set_state(&cpus[i], i < n ? CPU_ONLINE : CPU_ABSENT);
        atomic_store(&sim[i].tpr, PASSIVE_LEVEL);
        atomic_store(&sim[i].interrupts_on, false);
        atomic_store(&sim[i].ipi_pending, false);
        atomic_store(&sim[i].ipis_received, 0);
        atomic_store(&sim[i].handler_exits, 0);
        atomic_store(&sim[i].halted, false);
    }
    atomic_store(&shorthands_sent, 0);
    atomic_store(&machine_stopped, false);
    atomic_store(&panicked, false);
    atomic_store(&stop_owner, NULL);
    panic_linger_ms = 0;
    report_len = 0;
    report[0] = '\0';
    timer_handler = NULL;
    relax_hook = NULL;
    cycles_hook = NULL;
    print_hook = NULL;
    static struct options options;
    static struct warning_log problems;
    cmdline_parse(&boot_cmdline, cmdline);
    options_parse(&boot_cmdline, &options, &problems);
    ipi_init(options.barrier, options.ipi_timeout_ms, 0);
    /* The call numbers go on from the previous test: start from there. */
    for (size_t i = 0; i < n; i++)
        cpus[i].ipi.seen = cpus[i].ipi.served = ipi_calls_started();
}

/* limit, or HTEST_HANG_SECONDS from the environment where that is less:
 * make grade, which runs a lab's few cases, need not wait two minutes for
 * one that hangs. */
static int hang_limit_seconds(int limit)
{
    const char *text = getenv("HTEST_HANG_SECONDS");
    int seconds = text != NULL ? atoi(text) : 0;
    return seconds > 0 && seconds < limit ? seconds : limit;
}

/* Runs body(i) on n threads, one per CPU, and fails the test by name if
 * they do not all finish in time (a hang is a failure, not a stuck run).
 * False, with nothing run, for a case HTEST_ONLY leaves out. */
static atomic_int threads_done;
static void *(*thread_body)(void *);
static void *thread_start(void *arg)
{
    this_cpu = &cpus[(uintptr_t)arg];
    arch_calls = 0;
    timer_at = UINT64_MAX;
    timer_pending = false;
    void *r = thread_body(arg);
    atomic_fetch_add(&threads_done, 1);
    return r;
}

static bool run_cpus_within(const char *name, size_t n, void *(*body)(void *), int limit)
{
    if (!htest_selected(name))
        return false;
    htest_begin(name);
    int hang_seconds = hang_limit_seconds(limit);
    pthread_t th[HOST_CPUS];
    atomic_store(&threads_done, 0);
    thread_body = body;
    for (size_t i = 0; i < n; i++)
        pthread_create(&th[i], NULL, thread_start, (void *)(uintptr_t)i);
    bool joined[HOST_CPUS] = {false};
    size_t left = n;
    for (int waited = 0; left > 0 && waited < hang_seconds * 100; waited++) {
        for (size_t i = 0; i < n; i++) {
            if (!joined[i] && pthread_tryjoin_np(th[i], NULL) == 0) {
                joined[i] = true;
                left--;
            }
        }
        if (left > 0)
            usleep(10000);
    }
    for (size_t i = 0; i < n; i++) {
        if (!joined[i]) {
            printf("not ok 1 %s # hung: CPU %zu still running after %d s\n", name, i, hang_seconds);
            fflush(stdout);
            _exit(1);
        }
    }
    return true;
}

static bool run_cpus(const char *name, size_t n, void *(*body)(void *))
{
    return run_cpus_within(name, n, body, TEST_HANG_SECONDS);
}

/* A test whose waits all have deadlines of a second or less: a thread
 * still there this much later is in a wait that ignores its deadline. */
#define DEADLINE_TEST_HANG_SECONDS 5

/* A test that holds a barrier at some point (a hook in arch_cpu_relax or
 * arch_cycles) waits for the barrier to get there; a wrong barrier may
 * never get there. Such a wait gives up after STAGE_WAIT_SECONDS and says
 * so, and the test fails at once instead of hanging. */
#define STAGE_WAIT_SECONDS 3
static atomic_bool stage_missed; /* a wait for a stage gave up: reset by each such test */

static void wait_for_stage(atomic_int *stage, int want)
{
    for (int i = 0; i < STAGE_WAIT_SECONDS * 10000; i++) {
        if (atomic_load(stage) == want)
            return;
        usleep(100);
    }
    atomic_store(&stage_missed, true);
}

/* ---- barriers alone ---- */
#define BARRIER_EPISODES 3000
static struct barrier test_barrier;
static atomic_uint_fast64_t progress[HOST_CPUS];
static atomic_int barrier_errors;

static void *barrier_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    for (uint64_t e = 1; e <= BARRIER_EPISODES; e++) {
        atomic_store(&progress[rank], e);
        if (barrier_wait(&test_barrier, e, NULL, rank, (uint32_t)cpu_count, 10000000000ull) !=
            BARRIER_RELEASED) {
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
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_%zu_threads", barrier_kind_name(kind), n);
    machine_reset(n, "");
    barrier_init(&test_barrier, kind);
    atomic_store(&barrier_errors, 0);
    for (size_t i = 0; i < n; i++)
        atomic_store(&progress[i], 0);
    run_cpus(name, n, barrier_thread);
    HCHECK(name, atomic_load(&barrier_errors) == 0, "%d errors", atomic_load(&barrier_errors));
}

/* Spinning, then sleeping: every waiter sleeps at its first look at the
 * clock (spin_cycles 0), and the last rank comes late to every episode, so
 * the others do wait. A sleep that is not woken within SLEEP_BOUND_NS (far
 * longer than any wake-up takes, even on a loaded host) is a lost wake-up:
 * counted, and the test stops there instead of losing one per episode. */
#define SLEEP_EPISODES 200
#define SLEEP_BOUND_NS 1000000000ull
#define SLEEP_LATE_US 100
static atomic_bool wake_flag[HOST_CPUS];
static atomic_int sleeps, lost_wakeups;

static uint32_t host_self_id(void) { return this_cpu->index; }

static atomic_int spinner = -1; /* a CPU that may not sleep, for a while */
static bool host_can_sleep(void) { return (int)this_cpu->index != atomic_load(&spinner); }

static atomic_bool asleep[HOST_CPUS]; /* inside host_sleep: what the held-waker test waits for */
static atomic_int sleeps_ended;       /* host_sleep returns, all CPUs */

static bool host_sleep(uint64_t max_cycles)
{
    (void)max_cycles; /* SLEEP_BOUND_NS instead: a wake-up that late was lost */
    atomic_fetch_add(&sleeps, 1);
    atomic_store(&asleep[this_cpu->index], true);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool bound = false;
    while (!atomic_exchange(&wake_flag[this_cpu->index], false)) {
        if (atomic_load(&lost_wakeups) != 0) {
            bound = true;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t.tv_nsec -
                (uint64_t)t0.tv_nsec >
            SLEEP_BOUND_NS) {
            atomic_fetch_add(&lost_wakeups, 1);
            bound = true;
            break;
        }
        sched_yield();
    }
    atomic_store(&asleep[this_cpu->index], false);
    atomic_fetch_add(&sleeps_ended, 1);
    return bound;
}

/* The held-waker test below stops one waker after its first wake-up, as a
 * host stops a vCPU, until the test lets it go on. */
static atomic_int held_waker = -1;
static atomic_bool waker_held, waker_let_go;

static void host_wake(uint32_t id)
{
    atomic_store(&wake_flag[id], true);
    if ((int)this_cpu->index == atomic_load(&held_waker) && !atomic_exchange(&waker_held, true))
        while (!atomic_load(&waker_let_go))
            sched_yield();
}

static const struct barrier_sleep_ops host_sleep_ops = {0, host_self_id, host_can_sleep, host_sleep,
                                                        host_wake};

/* The last rank arrives only once every other rank is asleep in this
 * episode (or after a bound): every episode then needs each wake-up path,
 * whatever the host's scheduler does. Asleep means inside host_sleep with
 * no wake pending and announced for episode e: a count of announcements
 * would not do, since a CPU woken in the previous episode may not have
 * taken its own back yet, and the release would then come before some
 * CPU's announcement, which only the look after it can see. The others
 * were all asleep at once when no sleep ended during the looks. */
static bool asleep_in(uint32_t id, uint64_t e)
{
    return atomic_load(&asleep[id]) && !atomic_load(&wake_flag[id]) &&
           __atomic_load_n(&test_barrier.sleeper[id].episode, __ATOMIC_SEQ_CST) == e;
}

static void wait_until_the_others_sleep(uint64_t e)
{
    if (atomic_load(&stage_missed))
        return; /* they never slept before: a barrier whose waiters do not sleep */
    for (int waited = 0; waited < 100000; waited++) {
        int ended = atomic_load(&sleeps_ended);
        bool all = true;
        for (uint32_t id = 0; id + 1 < cpu_count && all; id++)
            all = asleep_in(id, e);
        if (all && atomic_load(&sleeps_ended) == ended)
            return;
        usleep(SLEEP_LATE_US / 10);
    }
    atomic_store(&stage_missed, true);
}

static void *sleeping_barrier_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    for (uint64_t e = 1; e <= SLEEP_EPISODES && atomic_load(&lost_wakeups) == 0; e++) {
        if (rank == cpu_count - 1)
            wait_until_the_others_sleep(e);
        atomic_store(&progress[rank], e);
        if (barrier_wait(&test_barrier, e, NULL, rank, (uint32_t)cpu_count, 2 * SLEEP_BOUND_NS) !=
            BARRIER_RELEASED) {
            atomic_fetch_add(&barrier_errors, 1);
            return NULL;
        }
        for (size_t j = 0; j < cpu_count; j++)
            if (atomic_load(&progress[j]) < e)
                atomic_fetch_add(&barrier_errors, 1);
    }
    return NULL;
}

static void barrier_sleep_test(enum barrier_kind kind, size_t n)
{
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_%zu_threads_sleeping_waiters_are_woken",
             barrier_kind_name(kind), n);
    machine_reset(n, "");
    barrier_init(&test_barrier, kind);
    barrier_set_sleep(&test_barrier, &host_sleep_ops);
    atomic_store(&barrier_errors, 0);
    atomic_store(&sleeps, 0);
    atomic_store(&lost_wakeups, 0);
    atomic_store(&stage_missed, false);
    for (size_t i = 0; i < n; i++) {
        atomic_store(&progress[i], 0);
        atomic_store(&wake_flag[i], false);
    }
    run_cpus(name, n, sleeping_barrier_thread);
    HCHECK(name,
           atomic_load(&barrier_errors) == 0 && atomic_load(&lost_wakeups) == 0 &&
               atomic_load(&sleeps) > 0,
           "%d errors, %d lost wake-ups in %d sleeps", atomic_load(&barrier_errors),
           atomic_load(&lost_wakeups), atomic_load(&sleeps));
}

/* The release comes between a waiter's last look and its announcement:
 * the look it takes after announcing must see it, or it would sleep with
 * nobody left to wake it. The clock check before the sleep is held until
 * the other CPU has been released and gone. */
static atomic_int race_stage;

static void release_before_the_sleep(void)
{
    if (this_cpu->index != 1 || atomic_load(&race_stage) != 0)
        return;
    atomic_store(&race_stage, 1); /* CPU 0 may arrive now */
    wait_for_stage(&race_stage, 2);
}

static enum barrier_result race_results[2];

static void *release_race_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    if (rank == 0)
        wait_for_stage(&race_stage, 1);
    race_results[rank] = barrier_wait(&test_barrier, 1, NULL, rank, 2, 10000000000ull);
    if (rank == 0)
        atomic_store(&race_stage, 2);
    return NULL;
}

static void barrier_sleep_race_test(enum barrier_kind kind)
{
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_a_release_just_before_the_sleep_is_seen",
             barrier_kind_name(kind));
    machine_reset(2, "");
    barrier_init(&test_barrier, kind);
    barrier_set_sleep(&test_barrier, &host_sleep_ops);
    atomic_store(&race_stage, 0);
    atomic_store(&stage_missed, false);
    atomic_store(&lost_wakeups, 0);
    atomic_store(&wake_flag[0], false);
    atomic_store(&wake_flag[1], false);
    cycles_hook = release_before_the_sleep;
    run_cpus(name, 2, release_race_thread);
    cycles_hook = NULL;
    HCHECK(name,
           race_results[0] == BARRIER_RELEASED && race_results[1] == BARRIER_RELEASED &&
               atomic_load(&lost_wakeups) == 0 && atomic_load(&race_stage) == 2 &&
               !atomic_load(&stage_missed),
           "results %d, %d; %d lost wake-ups%s", (int)race_results[0], (int)race_results[1],
           atomic_load(&lost_wakeups),
           atomic_load(&stage_missed) ? "; CPU 1 never read the clock while it waited" : "");
}

/* A waker stopped between two wake-ups while the sets change (the
 * preempted vCPU of issue 19). Episode 1 has the CPUs {0, 2, 3}; 0 and 2
 * sleep, 3 comes last, releases, wakes CPU 0 and is stopped there. CPU 0
 * goes on to episode 2 with {0, 1, 3}, where CPU 1 has CPU 2's old rank
 * and sleeps too. Only then does CPU 3 go on. Every sleeper must be woken
 * by a waker: CPU 2 by CPU 3's wake-ups of episode 1, CPU 0 and 1 by
 * CPU 3's release of episode 2. (Dissemination: CPU 3's first wake-up is
 * CPU 0's, in its first round, before it signals CPU 2; CPU 2, released by
 * CPU 0, still waits for that signal and keeps looking meanwhile, at the
 * rank CPU 1 now sleeps at.) The sleeps are bounded by SLEEP_BOUND_NS
 * only to count a wake-up that never came. */
#define HELD_WAKER 3
static struct cpu_set held_sets[3]; /* [1], [2]: the members of episodes 1 and 2 */
static enum barrier_result held_results[HOST_CPUS][3];

static void wait_for(atomic_bool *flag)
{
    for (int i = 0; i < 200000 && !atomic_load(flag); i++)
        usleep(10);
}

static void cross(uint32_t id, uint64_t episode)
{
    const struct cpu_set *m = &held_sets[episode];
    held_results[id][episode] = barrier_wait(&test_barrier, episode, m, cpu_set_rank(m, id),
                                             cpu_set_count(m), 4 * SLEEP_BOUND_NS);
}

static void *held_waker_thread(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    switch (id) {
    case 0:
        cross(0, 1);
        cross(0, 2);
        break;
    case 1: /* comes to episode 2 once CPU 3 is stopped in episode 1 */
        wait_for(&waker_held);
        cross(1, 2);
        break;
    case 2: cross(2, 1); break;
    case HELD_WAKER: /* comes last, once 0 and 2 sleep for good (for it) */
        for (int settled = 0, i = 0; settled < 2 && i < 2000; i++) {
            settled = atomic_load(&asleep[0]) && atomic_load(&asleep[2]) ? settled + 1 : 0;
            usleep(5000);
        }
        cross(HELD_WAKER, 1);
        cross(HELD_WAKER, 2);
        break;
    default: /* the host: lets CPU 3 go once CPU 1 sleeps in episode 2 */
        wait_for(&waker_held);
        wait_for(&asleep[1]);
        /* Meanwhile (dissemination) CPU 2, released but still waiting for
         * CPU 3's signal to it, goes on looking and announcing: give it time
         * to do so over CPU 1's sleep. */
        usleep(20000);
        atomic_store(&waker_let_go, true);
        break;
    }
    return NULL;
}

/* Sets the two episodes' members up, runs body on the CPUs and the host
 * thread, and checks every member of both was released with no wake-up
 * lost, neither seen by the host nor counted by the barrier. */
static void run_held_waker(const char *name, enum barrier_kind kind, const uint32_t *first,
                           const uint32_t *second, int cannot_sleep, void *(*body)(void *))
{
    machine_reset(HELD_WAKER + 2, "");
    barrier_init(&test_barrier, kind);
    barrier_set_sleep(&test_barrier, &host_sleep_ops);
    memset(held_sets, 0, sizeof(held_sets));
    for (int k = 0; k < 3; k++) {
        cpu_set_add(&held_sets[1], first[k]);
        cpu_set_add(&held_sets[2], second[k]);
    }
    atomic_store(&lost_wakeups, 0);
    atomic_store(&sleeps, 0);
    atomic_store(&waker_held, false);
    atomic_store(&waker_let_go, false);
    for (int i = 0; i < HOST_CPUS; i++) {
        atomic_store(&wake_flag[i], false);
        atomic_store(&asleep[i], false);
        for (int e = 0; e < 3; e++)
            held_results[i][e] = BARRIER_TIMED_OUT;
    }
    atomic_store(&spinner, cannot_sleep);
    atomic_store(&held_waker, HELD_WAKER);
    run_cpus(name, HELD_WAKER + 2, body);
    atomic_store(&held_waker, -1);
    atomic_store(&spinner, -1);
    uint64_t counted = 0;
    for (uint32_t i = 0; i <= HELD_WAKER; i++)
        counted += barrier_lost_wakeups(&test_barrier, i);
    bool released = true;
    for (uint32_t e = 1; e <= 2; e++)
        for (uint32_t i = 0; i <= HELD_WAKER; i++)
            if (cpu_set_has(&held_sets[e], i) && held_results[i][e] != BARRIER_RELEASED)
                released = false;
    HCHECK(name,
           released && atomic_load(&waker_held) && atomic_load(&lost_wakeups) == 0 && counted == 0,
           "%s; waker stopped: %s; lost wake-ups: %d seen by the host, %llu counted by the "
           "barrier, in %d sleeps",
           released ? "all released" : "not all released", atomic_load(&waker_held) ? "yes" : "no",
           atomic_load(&lost_wakeups), (unsigned long long)counted, atomic_load(&sleeps));
}

static void barrier_held_waker_test(enum barrier_kind kind)
{
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_a_waker_stopped_between_wake_ups_loses_no_sleeper",
             barrier_kind_name(kind));
    static const uint32_t first[3] = {0, 2, 3}, second[3] = {0, 1, 3};
    run_held_waker(name, kind, first, second, -1, held_waker_thread);
}

/* The same stopped waker, seen from a CPU that has moved on: episode 1 has
 * {0, 1, 3}, CPU 1 spins there (it cannot sleep) and CPU 0 sleeps; CPU 3
 * releases, wakes CPU 0 and is stopped. CPU 1, let through by the release,
 * sleeps in episode 2 ({1, 2, 3}) beside CPU 2. When CPU 3 goes on, its
 * episode-1 wake-ups reach CPU 1's episode-2 announcement: they must leave
 * it alone, or CPU 3's release of episode 2 finds nobody to wake. (Central
 * only: in a dissemination barrier of three, CPU 1 cannot leave episode 1
 * before CPU 3's second-round signal, so it cannot have moved on.) */
static void *moved_on_thread(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    switch (id) {
    case 0: cross(0, 1); break;
    case 1:
        cross(1, 1);
        atomic_store(&spinner, -1);
        cross(1, 2);
        break;
    case 2:
        wait_for(&waker_held);
        cross(2, 2);
        break;
    case HELD_WAKER:
        wait_for(&asleep[0]);
        usleep(10000);
        cross(HELD_WAKER, 1);
        cross(HELD_WAKER, 2);
        break;
    default:
        wait_for(&waker_held);
        wait_for(&asleep[1]);
        wait_for(&asleep[2]);
        atomic_store(&waker_let_go, true);
        break;
    }
    return NULL;
}

static void barrier_moved_on_test(enum barrier_kind kind)
{
    char name[112];
    snprintf(name, sizeof(name),
             "barrier.%s_a_late_wake_up_leaves_a_newer_episodes_announcement_alone",
             barrier_kind_name(kind));
    static const uint32_t first[3] = {0, 1, 3}, second[3] = {1, 2, 3};
    run_held_waker(name, kind, first, second, 1, moved_on_thread);
}

/* One participant does not come in time: exactly one of the others times
 * out, the rest are told the episode was aborted, nobody is released, and
 * the latecomer is told too. */
#define ABSENT_LIMIT_NS 50000000ull
static atomic_int outcome_count[4];
static enum barrier_result latecomer_result;

static void *absent_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    uint32_t n = (uint32_t)cpu_count;
    if (rank == n - 1) { /* comes once the others have returned, whatever they returned */
        while (atomic_load(&outcome_count[0]) + atomic_load(&outcome_count[1]) +
                   atomic_load(&outcome_count[2]) + atomic_load(&outcome_count[3]) <
               (int)n - 1)
            usleep(1000);
        latecomer_result = barrier_wait(&test_barrier, 7, NULL, rank, n, ABSENT_LIMIT_NS);
        return NULL;
    }
    atomic_fetch_add(&outcome_count[barrier_wait(&test_barrier, 7, NULL, rank, n, ABSENT_LIMIT_NS)],
                     1);
    return NULL;
}

static void barrier_absent_test(enum barrier_kind kind, size_t n)
{
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_%zu_threads_one_absent_aborts_for_all",
             barrier_kind_name(kind), n);
    machine_reset(n, "");
    barrier_init(&test_barrier, kind);
    for (int i = 0; i < 4; i++)
        atomic_store(&outcome_count[i], 0);
    latecomer_result = BARRIER_RELEASED;
    run_cpus_within(name, n, absent_thread, DEADLINE_TEST_HANG_SECONDS);
    HCHECK(name,
           atomic_load(&outcome_count[BARRIER_TIMED_OUT]) == 1 &&
               atomic_load(&outcome_count[BARRIER_ABORTED]) == (int)n - 2 &&
               atomic_load(&outcome_count[BARRIER_RELEASED]) == 0 &&
               latecomer_result == BARRIER_ABORTED,
           "timed out %d, aborted %d, released %d (want 1, %zu, 0); latecomer %d",
           atomic_load(&outcome_count[BARRIER_TIMED_OUT]),
           atomic_load(&outcome_count[BARRIER_ABORTED]),
           atomic_load(&outcome_count[BARRIER_RELEASED]), n - 2, (int)latecomer_result);
}

/* A participant that looks for the release only after later episodes
 * (without it: a subset call) have come and gone must still see its own
 * episode as released. SPIN found this one (tests/model/). */
static atomic_int late_stage, late_done;
static enum barrier_result late_results[3][3];

static void hold_the_first_spinner(void)
{
    if (this_cpu->index == 2 && atomic_load(&late_stage) == 0) {
        atomic_store(&late_stage, 1); /* CPU 2 arrived first and spins */
        wait_for_stage(&late_stage, 2);
    }
}

static void *late_look_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    const uint64_t limit = 10000000000ull;
    if (rank == 2) {
        late_results[2][0] = barrier_wait(&test_barrier, 1, NULL, 2, 3, limit);
        return NULL;
    }
    wait_for_stage(&late_stage, 1);
    late_results[rank][0] = barrier_wait(&test_barrier, 1, NULL, rank, 3, limit);
    late_results[rank][1] = barrier_wait(&test_barrier, 2, NULL, rank, 2, limit);
    late_results[rank][2] = barrier_wait(&test_barrier, 3, NULL, rank, 2, limit);
    if (atomic_fetch_add(&late_done, 1) == 1)
        atomic_store(&late_stage, 2); /* both done with episodes 1-3: let CPU 2 look */
    return NULL;
}

static void barrier_late_look_test(void)
{
    const char *name = "barrier.central_a_late_look_after_newer_episodes_sees_the_release";
    machine_reset(3, "");
    barrier_init(&test_barrier, BARRIER_CENTRAL);
    atomic_store(&late_stage, 0);
    atomic_store(&late_done, 0);
    atomic_store(&stage_missed, false);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            late_results[i][j] = (enum barrier_result)99;
    relax_hook = hold_the_first_spinner;
    run_cpus(name, 3, late_look_thread);
    bool ok = late_results[2][0] == BARRIER_RELEASED && !atomic_load(&stage_missed);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            ok &= late_results[i][j] == BARRIER_RELEASED;
    HCHECK(name, ok, "the late CPU's episode 1 ended %d (want %d, released)%s",
           (int)late_results[2][0], (int)BARRIER_RELEASED,
           atomic_load(&stage_missed) ? "; CPU 2 never spun in its wait" : "");
}

/* A deadline that passes just as the last participant releases the
 * episode: the waiter finds it released when it goes to abort it, goes on,
 * and must then see what the releaser wrote before arriving. */
static atomic_int race_stage;
static _Thread_local int clock_reads;
static uint64_t released_payload; /* plain: ordered by the release alone */
static enum barrier_result race_result;
static uint64_t race_seen;

/* The hand-shake is relaxed on purpose: only the barrier may order the
 * payload (ThreadSanitizer sees no other happens-before edge). */
static void hold_the_clock_check(void)
{
    /* CPU 1's first read sets its deadline; its second is the deadline
     * check after a look that found nothing: hold it there until CPU 0
     * has released the episode, then let the deadline be past. */
    if (this_cpu->index != 1 || ++clock_reads != 2)
        return;
    atomic_store_explicit(&race_stage, 1, memory_order_relaxed);
    while (atomic_load_explicit(&race_stage, memory_order_relaxed) != 2)
        usleep(1000);
    usleep(2000);
}

static void *timeout_race_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    clock_reads = 0;
    if (rank == 1) {
        race_result = barrier_wait(&test_barrier, 1, NULL, 1, 2, 1000000); /* 1 ms */
        race_seen = released_payload;
        return NULL;
    }
    while (atomic_load_explicit(&race_stage, memory_order_relaxed) != 1)
        usleep(1000);
    released_payload = 0x5EED;
    barrier_wait(&test_barrier, 1, NULL, 0, 2, 10000000000ull);
    atomic_store_explicit(&race_stage, 2, memory_order_relaxed);
    return NULL;
}

static void barrier_timeout_race_test(void)
{
    const char *name = "barrier.central_a_timeout_that_loses_to_the_release_sees_its_data";
    machine_reset(2, "");
    barrier_init(&test_barrier, BARRIER_CENTRAL);
    atomic_store(&race_stage, 0);
    released_payload = 0;
    race_seen = 0;
    race_result = (enum barrier_result)99;
    cycles_hook = hold_the_clock_check;
    run_cpus(name, 2, timeout_race_thread);
    HCHECK(name, race_result == BARRIER_RELEASED && race_seen == 0x5EED,
           "result %d (want %d, released), saw %#llx", (int)race_result, (int)BARRIER_RELEASED,
           (unsigned long long)race_seen);
}

/* Two participants whose deadlines pass together both go to abort the
 * episode: one of them aborts it, and only that one may hear it timed out
 * (the other is told it was aborted), or two CPUs would report the one
 * timeout. The clock hook holds each at its first deadline check until
 * both are there and both deadlines are past. */
static atomic_int at_deadline_check, gave_up;
static enum barrier_result together_results[3];

static void hold_until_both_are_late(void)
{
    if (this_cpu->index > 1 || ++clock_reads != 2)
        return;
    atomic_fetch_add(&at_deadline_check, 1);
    while (atomic_load(&at_deadline_check) < 2)
        usleep(100);
    usleep(2000); /* both deadlines (1 us) are long past */
}

static void *together_thread(void *arg)
{
    uint32_t rank = (uint32_t)(uintptr_t)arg;
    clock_reads = 0;
    if (rank < 2) {
        together_results[rank] = barrier_wait(&test_barrier, 1, NULL, rank, 3, 1000);
        atomic_fetch_add(&gave_up, 1);
        return NULL;
    }
    while (atomic_load(&gave_up) < 2) /* absent until both others have given up */
        usleep(1000);
    together_results[2] = barrier_wait(&test_barrier, 1, NULL, 2, 3, 1000000);
    return NULL;
}

static void barrier_timeouts_together_test(enum barrier_kind kind)
{
    char name[96];
    snprintf(name, sizeof(name), "barrier.%s_two_timeouts_at_once_one_reports",
             barrier_kind_name(kind));
    machine_reset(3, "");
    barrier_init(&test_barrier, kind);
    atomic_store(&at_deadline_check, 0);
    atomic_store(&gave_up, 0);
    for (int i = 0; i < 3; i++)
        together_results[i] = BARRIER_RELEASED;
    cycles_hook = hold_until_both_are_late;
    run_cpus_within(name, 3, together_thread, DEADLINE_TEST_HANG_SECONDS);
    int timed_out = 0, aborted = 0;
    for (int i = 0; i < 2; i++) {
        timed_out += together_results[i] == BARRIER_TIMED_OUT;
        aborted += together_results[i] == BARRIER_ABORTED;
    }
    HCHECK(name, timed_out == 1 && aborted == 1 && together_results[2] == BARRIER_ABORTED,
           "CPU 0 got %d, CPU 1 got %d, latecomer %d (want one %d and one %d, latecomer %d)",
           (int)together_results[0], (int)together_results[1], (int)together_results[2],
           (int)BARRIER_TIMED_OUT, (int)BARRIER_ABORTED, (int)BARRIER_ABORTED);
}

/* ---- the rendezvous ---- */

/* What a worker checks and leaves behind. Plain data on purpose: the
 * barriers' orderings are what makes these accesses race-free. */
struct handoff {
    uint64_t token_in; /* written by the caller before the call */
    uint64_t token_seen[HOST_CPUS];
    uint64_t done[HOST_CPUS];
};
/* One per calling CPU and depth (0: a call, 1: a call from a timer
 * interrupt that came in while that CPU was on its way to a call). */
#define SLOTS (HOST_CPUS * 2)
static struct handoff handoff[SLOTS];
static _Thread_local unsigned call_depth;
static uint64_t runs[HOST_CPUS]; /* written only by the owning CPU's worker */
static atomic_int errors;
static atomic_int finished;
static char first_error[256];

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (atomic_fetch_add(&errors, 1) == 0)                                                     \
            snprintf(first_error, sizeof(first_error), __VA_ARGS__);                               \
    } while (0)

/* The participants of the call in flight, as its caller chose them. */
static struct cpu_set expected_members[SLOTS];

/* Every participant must already be in the call when any worker starts:
 * at IPI_LEVEL with interrupts off, and past its arrival mark. */
static void check_everyone_arrived(uintptr_t slot)
{
    uint64_t episode = ipi_calls_started() * 2;
    for (uint32_t p = 0; p < cpu_count; p++) {
        if (!cpu_set_has(&expected_members[slot], p))
            continue;
        if (atomic_load(&sim[p].tpr) != IPI_LEVEL || atomic_load(&sim[p].interrupts_on))
            FAIL("worker on CPU %u started while CPU %u was at priority %u, interrupts %s",
                 this_cpu->index, p, atomic_load(&sim[p].tpr),
                 atomic_load(&sim[p].interrupts_on) ? "on" : "off");
        if (__atomic_load_n(&cpus[p].ipi.arrived[0], __ATOMIC_ACQUIRE) < episode)
            FAIL("worker on CPU %u started before CPU %u arrived", this_cpu->index, p);
    }
}

static uintptr_t worker(uintptr_t slot)
{
    uint32_t me = this_cpu->index;
    runs[me]++;
    check_everyone_arrived(slot);
    if (atomic_load(&sim[me].tpr) != IPI_LEVEL || atomic_load(&sim[me].interrupts_on))
        FAIL("worker on CPU %u ran at priority %u with interrupts %s", me,
             atomic_load(&sim[me].tpr), atomic_load(&sim[me].interrupts_on) ? "on" : "off");
    struct handoff *h = &handoff[slot];
    h->token_seen[me] = h->token_in;
    sched_yield(); /* let a CPU that left too early get ahead */
    h->done[me] = h->token_in;
    return 1000 + me;
}

/* One call from this CPU, checked from outside: the result, the workers'
 * hand-off, and that every worker had returned before the call did. */
static void checked_call(const struct cpu_set *targets, uint64_t token)
{
    uint32_t me = this_cpu->index;
    uintptr_t slot = me * 2 + call_depth;
    struct handoff *h = &handoff[slot];
    h->token_in = token;
    struct cpu_set members = {{0}};
    for (uint32_t i = 0; i < cpu_count; i++)
        if (targets == NULL || cpu_set_has(targets, i) || i == me)
            cpu_set_add(&members, i);
    expected_members[slot] = members;
    uintptr_t r = ipi_generic_call_set(targets, worker, slot);
    if (r != 1000 + me)
        FAIL("CPU %u got %lu back, its worker returned %u", me, (unsigned long)r, 1000 + me);
    for (uint32_t p = 0; p < cpu_count; p++) {
        if (!cpu_set_has(&members, p))
            continue;
        if (h->token_seen[p] != token || h->done[p] != token)
            FAIL("call %llu from CPU %u returned with CPU %u's worker at %llu/%llu",
                 (unsigned long long)token, me, p, (unsigned long long)h->token_seen[p],
                 (unsigned long long)h->done[p]);
    }
}

static void serve_until_all_finished(void)
{
    atomic_store(&me_sim()->tpr, PASSIVE_LEVEL);
    atomic_store(&me_sim()->interrupts_on, true);
    atomic_fetch_add(&finished, 1);
    while (atomic_load(&finished) < (int)cpu_count)
        arch_cpu_relax();
}

static void reset_counts(void)
{
    memset(runs, 0, sizeof(runs));
    memset(handoff, 0, sizeof(handoff));
    atomic_store(&errors, 0);
    atomic_store(&finished, 0);
    first_error[0] = '\0';
}

#define CALLS_PER_CPU 1500

static void *all_calling_thread(void *arg)
{
    (void)arg;
    /* Odd CPUs call with interrupts off: they must serve others' calls by
     * polling while they wait. */
    atomic_store(&me_sim()->interrupts_on, this_cpu->index % 2 == 0);
    for (uint64_t i = 1; i <= CALLS_PER_CPU; i++)
        checked_call(NULL, i);
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_all_calling(const char *barrier, size_t n)
{
    char cmdline[64], name[96];
    snprintf(cmdline, sizeof(cmdline), "barrier=%s", barrier);
    snprintf(name, sizeof(name), "rendezvous.%s_%zu_cpus_all_calling", barrier, n);
    machine_reset(n, cmdline);
    reset_counts();
    run_cpus(name, n, all_calling_thread);
    bool counts_ok = true;
    for (size_t i = 0; i < n; i++)
        counts_ok &= runs[i] == (uint64_t)CALLS_PER_CPU * n;
    HCHECK(name, counts_ok && atomic_load(&errors) == 0 && !atomic_load(&panicked),
           "runs[0]=%llu (want %llu), %d errors, first: %s", (unsigned long long)runs[0],
           (unsigned long long)CALLS_PER_CPU * n, atomic_load(&errors), first_error);
}

/* One caller, the others idle with interrupts on: they join only through
 * the IPIs the harness delivers. Calls alternate between everyone, a
 * subset (unicast IPIs to its members only) and the caller alone (no IPI
 * at all). */
#define ONE_CALLER_CALLS 300
static struct cpu_set subset;

static void *one_caller_thread(void *arg)
{
    (void)arg;
    if (this_cpu->index != 0) {
        serve_until_all_finished();
        return NULL;
    }
    struct cpu_set nobody = {{0}};
    for (uint64_t i = 1; i <= ONE_CALLER_CALLS; i++)
        checked_call(i % 3 == 0 ? NULL : i % 3 == 1 ? &subset : &nobody, i);
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_one_caller(const char *barrier, size_t n)
{
    char cmdline[64], name[96];
    snprintf(cmdline, sizeof(cmdline), "barrier=%s", barrier);
    snprintf(name, sizeof(name), "rendezvous.%s_%zu_cpus_one_caller_all_subset_self", barrier, n);
    machine_reset(n, cmdline);
    reset_counts();
    memset(&subset, 0, sizeof(subset));
    for (uint32_t i = 2; i < n; i += 2)
        cpu_set_add(&subset, i);
    run_cpus(name, n, one_caller_thread);
    const uint64_t everyone = ONE_CALLER_CALLS / 3, in_subset = ONE_CALLER_CALLS / 3;
    bool ok = runs[0] == ONE_CALLER_CALLS;
    for (uint32_t i = 1; i < n; i++) {
        uint64_t want = everyone + (cpu_set_has(&subset, i) ? in_subset : 0);
        uint64_t ipis = atomic_load(&sim[i].ipis_received);
        if (runs[i] != want || ipis != want) {
            ok = false;
            FAIL("CPU %u ran %llu workers and got %llu IPIs (want %llu of each)", i,
                 (unsigned long long)runs[i], (unsigned long long)ipis, (unsigned long long)want);
        }
    }
    HCHECK(name,
           ok && atomic_load(&errors) == 0 && !atomic_load(&panicked) &&
               atomic_load(&sim[0].ipis_received) == 0,
           "runs[0]=%llu (want %d), %d errors, first: %s", (unsigned long long)runs[0],
           ONE_CALLER_CALLS, atomic_load(&errors), first_error);
}

/* ---- an interrupt at every arch call of the caller's path ---- */
static atomic_int nested_done;

static void timer_that_calls(void)
{
    /* A CLOCK_LEVEL handler may call (ipi.h): the rendezvous must not wait
     * for a lock its own CPU holds or is queued for. */
    call_depth++;
    checked_call(NULL, 1000000 + arch_calls);
    call_depth--;
    atomic_fetch_add(&nested_done, 1);
}

static uint64_t path_length;

static void *interrupted_caller_thread(void *arg)
{
    (void)arg;
    if (this_cpu->index != 0) {
        serve_until_all_finished();
        return NULL;
    }
    atomic_store(&me_sim()->interrupts_on, true);
    /* Measure the caller's path once, then interrupt it at each point. */
    arch_calls = 0;
    checked_call(NULL, 1);
    path_length = arch_calls;
    for (uint64_t k = 1; k <= path_length + 2; k++) {
        arch_calls = 0;
        timer_at = k;
        checked_call(NULL, 10 + k);
        /* A tick due later than the call's path comes now, at the
         * caller's own level with interrupts on. */
        if (arch_calls < timer_at)
            timer_pending = true;
        timer_at = UINT64_MAX;
        interrupt_point();
    }
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_interrupted_caller(size_t n)
{
    const char *name = "rendezvous.timer_interrupt_that_calls_at_every_arch_call_of_the_caller";
    machine_reset(n, "ipi_timeout_ms=300");
    reset_counts();
    atomic_store(&nested_done, 0);
    timer_handler = timer_that_calls;
    run_cpus(name, n, interrupted_caller_thread);
    HCHECK(name,
           !atomic_load(&panicked) && atomic_load(&errors) == 0 &&
               (uint64_t)atomic_load(&nested_done) == path_length + 2 && path_length > 5,
           "path of %llu arch calls, %d nested calls done, %d errors (%s)%s",
           (unsigned long long)path_length, atomic_load(&nested_done), atomic_load(&errors),
           first_error, atomic_load(&panicked) ? "; the kernel panicked" : "");
}

/* ---- a CPU that comes back after the timeout ----
 * CPU 1 is slow but within the bound; CPU 2 is away for longer than the
 * bound and comes back while CPU 0 reports it, before CPU 1's own
 * deadline: the moment a release would let CPUs 1 and 2 run (or finish)
 * the worker that CPU 0 declared timed out. */
/* Wide margins around each moment (250 ms or more): a host loaded with
 * other builds may not run a thread for tens of milliseconds, and CI once
 * missed CPU 0's deadline check in an 80 ms window. */
#define STUCK_TIMEOUT_MS 1000
#define SLOW_CPU_MS 500  /* CPU 1: back before CPU 0's deadline; its own at about 1500 ms */
#define LATE_CPU_MS 1250 /* CPU 2: back after CPU 0's deadline (1000 ms), before CPU 1's */
static atomic_bool caller_returned;
static atomic_uint worker_starts;
static bool stuck_in_worker;

static unsigned away_ms(uint32_t cpu)
{
    return cpu == 1 ? SLOW_CPU_MS : cpu == 2 ? LATE_CPU_MS : 0;
}

static uintptr_t counting_worker(uintptr_t arg)
{
    (void)arg;
    atomic_fetch_add(&worker_starts, 1);
    if (stuck_in_worker)
        usleep(away_ms(this_cpu->index) * 1000); /* interrupts off, not answering */
    return 0;
}

static void *stuck_thread(void *arg)
{
    (void)arg;
    if (this_cpu->index != 0) {
        if (!stuck_in_worker)
            usleep(away_ms(this_cpu->index) * 1000); /* interrupts off */
        serve_until_all_finished();
        return NULL;
    }
    atomic_store(&me_sim()->interrupts_on, true);
    ipi_generic_call(counting_worker, 0);
    atomic_store(&caller_returned, true);
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_stuck_cpu(bool in_worker)
{
    const char *name = in_worker ? "rendezvous.a_cpu_stuck_in_the_worker_lets_nobody_past_the_exit"
                                 : "rendezvous.a_cpu_back_after_the_timeout_starts_no_worker";
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "ipi_timeout_ms=%d", STUCK_TIMEOUT_MS);
    machine_reset(3, cmdline);
    reset_counts();
    panic_linger_ms = LATE_CPU_MS + 400; /* CPU 2 comes back during the report */
    stuck_in_worker = in_worker;
    atomic_store(&caller_returned, false);
    atomic_store(&worker_starts, 0);
    run_cpus(name, 3, stuck_thread);
    unsigned starts = atomic_load(&worker_starts);
    unsigned exits = atomic_load(&sim[0].handler_exits) + atomic_load(&sim[1].handler_exits) +
                     atomic_load(&sim[2].handler_exits);
    bool named = report_has("missing: CPU 2 (APIC ID 2)") && report_has("timed out");
    /* Arrival: no worker at all. Completion: every worker had started
     * before the timeout, and nobody went past the exit barrier. */
    HCHECK(name,
           named && atomic_load(&panicked) && !atomic_load(&caller_returned) && exits == 0 &&
               starts == (in_worker ? 3u : 0u),
           "report names CPU 2: %s; %u worker starts (want %u); %u handlers and %s went past "
           "the barrier",
           named ? "yes" : "no", starts, in_worker ? 3u : 0u, exits,
           atomic_load(&caller_returned) ? "the caller" : "not the caller");
}

/* ---- a CPU that comes while the timeout is being reported ----
 * CPU 2 is away (interrupts off) past the deadline and comes back just as
 * the report begins to print, before the report has listed anybody: the
 * report must still name it as missing when the deadline passed, and say
 * it arrived after the abort, instead of printing an empty list. */
static atomic_bool come_back;

static void let_cpu_2_arrive_now(const char *text)
{
    if (strstr(text, "timed out:") == NULL || atomic_exchange(&come_back, true))
        return;
    for (int i = 0; i < 100000 && __atomic_load_n(&cpus[2].ipi.aborted, __ATOMIC_SEQ_CST) == 0; i++)
        usleep(10); /* until it has found the call aborted */
}

static void *late_arrival_thread(void *arg)
{
    (void)arg;
    if (this_cpu->index == 2)
        for (int i = 0; i < 500000 && !atomic_load(&come_back); i++)
            usleep(10); /* interrupts off, not answering */
    else if (this_cpu->index == 0) {
        atomic_store(&me_sim()->interrupts_on, true);
        ipi_generic_call(counting_worker, 0);
    }
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_arrival_during_the_report(void)
{
    const char *name = "rendezvous.a_cpu_arriving_during_the_report_is_named_and_said_late";
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "ipi_timeout_ms=%d", STUCK_TIMEOUT_MS);
    machine_reset(3, cmdline);
    reset_counts();
    panic_linger_ms = 200;
    stuck_in_worker = false;
    atomic_store(&come_back, false);
    atomic_store(&worker_starts, 0);
    print_hook = let_cpu_2_arrive_now;
    run_cpus(name, 3, late_arrival_thread);
    print_hook = NULL;
    bool named = report_has("missing: CPU 2 (APIC ID 2)\n");
    bool said_late = report_has("CPU 2 arrived after the abort; it found the call aborted ");
    HCHECK(name, atomic_load(&panicked) && named && said_late && atomic_load(&worker_starts) == 0,
           "panicked: %s; CPU 2 named missing: %s; said to have come after the abort: %s; %u "
           "workers started",
           atomic_load(&panicked) ? "yes" : "no", named ? "yes" : "no", said_late ? "yes" : "no",
           atomic_load(&worker_starts));
}

/* ---- a long queue of long calls is progress, not a stuck lock ---- */
#define SLOW_TIMEOUT_MS 200
#define SLOW_WORKER_MS 120
#define SLOW_CALLS_PER_CPU 2

static uintptr_t slow_worker(uintptr_t caller)
{
    if (this_cpu->index == caller)
        usleep(SLOW_WORKER_MS * 1000);
    runs[this_cpu->index]++;
    return 0;
}

static void *slow_calls_thread(void *arg)
{
    (void)arg;
    atomic_store(&me_sim()->interrupts_on, true);
    for (int i = 0; i < SLOW_CALLS_PER_CPU; i++)
        ipi_generic_call(slow_worker, this_cpu->index);
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_long_queue(size_t n)
{
    const char *name = "rendezvous.a_queue_longer_than_the_timeout_still_moves";
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "ipi_timeout_ms=%d", SLOW_TIMEOUT_MS);
    machine_reset(n, cmdline);
    reset_counts();
    run_cpus(name, n, slow_calls_thread);
    HCHECK(name, !atomic_load(&panicked) && runs[0] == n * SLOW_CALLS_PER_CPU,
           "runs[0]=%llu (want %zu)%s", (unsigned long long)runs[0], n * SLOW_CALLS_PER_CPU,
           atomic_load(&panicked) ? "; the kernel panicked" : "");
}

/* ---- a CPU waiting for the lock stays out of a call it is not in ----
 * CPU 0 calls itself and CPU 1. While their worker runs, CPU 2 queues for
 * the call lock, and so looks at the call in flight (acquire_call_lock
 * serves the calls of those ahead of it): not a member, it must leave that
 * call alone, then make its own. CPU 0's worker holds the call until CPU 2
 * has spun once in its queue, which it does only after that look. The
 * worker waits for a CPU outside the call, so it hides no barrier. */
static atomic_int queue_stage; /* 1: the subset's worker runs; 2: CPU 2 has spun since */
static uint64_t subset_runs[HOST_CPUS];

static void note_cpu_2_spinning(void)
{
    int running = 1;
    if (this_cpu->index == 2)
        atomic_compare_exchange_strong(&queue_stage, &running, 2);
}

static uintptr_t subset_worker(uintptr_t unused)
{
    (void)unused;
    subset_runs[this_cpu->index]++;
    if (this_cpu->index == 0) {
        atomic_store(&queue_stage, 1);
        wait_for_stage(&queue_stage, 2);
    }
    return 0;
}

static uintptr_t everyone_worker(uintptr_t unused)
{
    (void)unused;
    runs[this_cpu->index]++;
    return 0;
}

static void *queue_beside_a_subset_thread(void *arg)
{
    (void)arg;
    atomic_store(&me_sim()->interrupts_on, true);
    if (this_cpu->index == 0) {
        struct cpu_set cpu_1 = {{0}};
        cpu_set_add(&cpu_1, 1);
        ipi_generic_call_set(&cpu_1, subset_worker, 0);
    } else if (this_cpu->index == 2) {
        wait_for_stage(&queue_stage, 1);
        ipi_generic_call(everyone_worker, 0);
    }
    serve_until_all_finished();
    return NULL;
}

static void rendezvous_queue_beside_a_subset(void)
{
    const char *name = "rendezvous.a_cpu_waiting_for_the_lock_stays_out_of_a_call_it_is_not_in";
    machine_reset(3, "ipi_timeout_ms=1000");
    reset_counts();
    memset(subset_runs, 0, sizeof(subset_runs));
    atomic_store(&queue_stage, 0);
    atomic_store(&stage_missed, false);
    relax_hook = note_cpu_2_spinning;
    run_cpus_within(name, 3, queue_beside_a_subset_thread, DEADLINE_TEST_HANG_SECONDS);
    relax_hook = NULL;
    bool ok = !atomic_load(&panicked) && !atomic_load(&stage_missed) && subset_runs[0] == 1 &&
              subset_runs[1] == 1 && subset_runs[2] == 0 && runs[0] == 1 && runs[1] == 1 &&
              runs[2] == 1;
    HCHECK(name, ok,
           "the subset's worker ran %llu/%llu/%llu times on CPUs 0/1/2 (want 1/1/0), CPU 2's "
           "%llu/%llu/%llu (want 1/1/1)%s%s",
           (unsigned long long)subset_runs[0], (unsigned long long)subset_runs[1],
           (unsigned long long)subset_runs[2], (unsigned long long)runs[0],
           (unsigned long long)runs[1], (unsigned long long)runs[2],
           atomic_load(&stage_missed) ? "; CPU 2 never spun in the queue" : "",
           atomic_load(&panicked) ? "; the kernel panicked" : "");
}

/* barrier=auto: central up to BARRIER_CENTRAL_UP_TO CPUs, dissemination
 * beyond, whatever the threshold is set to. */
static void barrier_auto_choice_test(void)
{
    const char *name = "barrier.auto_picks_central_for_few_cpus_and_dissemination_beyond";
    HCHECK(name,
           barrier_kind_for(1) == BARRIER_CENTRAL &&
               barrier_kind_for(BARRIER_CENTRAL_UP_TO) == BARRIER_CENTRAL &&
               barrier_kind_for(BARRIER_CENTRAL_UP_TO + 1) == BARRIER_DISSEMINATION &&
               barrier_kind_for(MAX_CPUS) == BARRIER_DISSEMINATION,
           "1: %d, %d: %d, %d: %d, %d: %d", (int)barrier_kind_for(1), BARRIER_CENTRAL_UP_TO,
           (int)barrier_kind_for(BARRIER_CENTRAL_UP_TO), BARRIER_CENTRAL_UP_TO + 1,
           (int)barrier_kind_for(BARRIER_CENTRAL_UP_TO + 1), MAX_CPUS,
           (int)barrier_kind_for(MAX_CPUS));
}

int main(void)
{
    rendezvous_all_calling("central", 2);
    rendezvous_all_calling("central", HOST_CPUS);
    rendezvous_all_calling("dissemination", 5);
    rendezvous_all_calling("dissemination", HOST_CPUS);
    rendezvous_one_caller("central", 5);
    rendezvous_one_caller("dissemination", 5);
    rendezvous_interrupted_caller(3);
    rendezvous_stuck_cpu(false);
    rendezvous_stuck_cpu(true);
    rendezvous_arrival_during_the_report();
    rendezvous_long_queue(HOST_CPUS); /* waits of 5 calls: 600 ms, over twice the timeout */
    rendezvous_queue_beside_a_subset();
    barrier_test(BARRIER_CENTRAL, 2);
    barrier_test(BARRIER_CENTRAL, HOST_CPUS);
    barrier_test(BARRIER_DISSEMINATION, 3);
    barrier_test(BARRIER_DISSEMINATION, HOST_CPUS);
    barrier_sleep_test(BARRIER_CENTRAL, 3);
    barrier_sleep_test(BARRIER_CENTRAL, HOST_CPUS);
    barrier_sleep_test(BARRIER_DISSEMINATION, 5);
    barrier_sleep_test(BARRIER_DISSEMINATION, HOST_CPUS);
    barrier_sleep_race_test(BARRIER_CENTRAL);
    barrier_sleep_race_test(BARRIER_DISSEMINATION);
    barrier_held_waker_test(BARRIER_CENTRAL);
    barrier_held_waker_test(BARRIER_DISSEMINATION);
    barrier_moved_on_test(BARRIER_CENTRAL);
    barrier_absent_test(BARRIER_CENTRAL, 4);
    barrier_absent_test(BARRIER_DISSEMINATION, 5);
    barrier_late_look_test();
    barrier_timeout_race_test();
    barrier_timeouts_together_test(BARRIER_CENTRAL);
    barrier_timeouts_together_test(BARRIER_DISSEMINATION);
    barrier_auto_choice_test();
    return htest_finish();
}
