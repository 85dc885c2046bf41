/*
 * membarrier_init.c - the whole user space of make compare's Linux boot:
 * built static on the host (-static -pthread), it is /init of a small
 * initramfs (tools/compare.py writes it), times Linux's nearest relative of
 * the kernel's empty rendezvous call, and powers the machine off.
 *
 * The call timed is membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): Linux
 * sends an IPI, through smp_call_function_many(), to every other CPU whose
 * current task shares this process's memory, runs a full memory barrier
 * there, and returns once each has (kernel/sched/membarrier.c, Linux 6.1).
 * So what the call costs depends on what the other CPUs run:
 *
 *   membarrier_private_expedited_idle  the other CPUs idle; a second
 *       thread of the process exists but sleeps, so the call takes its whole
 *       path (both barriers, the walk over the online CPUs) and finds no CPU
 *       to interrupt: the system call with no IPI
 *   membarrier_private_expedited_busy  one thread spinning on every other
 *       CPU (like the kernel's generic_call_empty_<barrier>_busy): one IPI
 *       to each, and the wait for all of them
 *
 * This process runs on CPU 0. Each figure is printed in the form of the
 * kernel's bench: lines (kernel/diag/bench.h), cycles of this CPU's TSC per call:
 *   compare: name=<name> cpus=<n> iters=<k> min=<c> p50=<c> p90=<c> p99=<c> max=<c> tsc_mhz=<f>
 * followed by what the calls cost in interrupts, from the function-call
 * interrupts (the CAL row of /proc/interrupts) all CPUs took meanwhile,
 * which says whether Linux sent an IPI per call (-1: not readable):
 *   compare: ipis name=<name> calls=<k> function_call_interrupts=<m>
 * then "compare: done"; a problem is one line "compare: error <what>", and
 * the machine is powered off either way. Every wait has a deadline, and an
 * alarm powers the machine off should anything else hang.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* The same rules as kernel/diag/bench.c, so that both sides batch alike. */
#define MAX_ITERATIONS 10000
#define MIN_ITERATIONS 50
#define FIGURE_BUDGET_NS 1500000000ull
#define CLOCK_SHARE 10 /* batch until the clock costs under 1/10 of a sample */
#define MAX_BATCH 64
#define CLOCK_SAMPLES 1001

#define START_TIMEOUT_NS 10000000000ull /* for every spinner to reach its CPU */
#define WATCHDOG_SECONDS 240            /* the whole run; the host waits longer */

static uint64_t samples[MAX_ITERATIONS];

static _Atomic int spinners_running;
static _Atomic int spinners_stop;

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }

/* The console is the serial port the host reads: one whole line per write,
 * unbuffered, so that a line is never cut by the power-off. */
static void say(const char *format, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(line, sizeof(line), format, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n] = '\n';
    (void)!write(STDOUT_FILENO, line, (size_t)n + 1);
}

/* As init, the end of the run; run anywhere else (by mistake, or to try it
 * out), it must not switch the host off: it exits. */
static _Noreturn void power_off(int status)
{
    if (getpid() != 1)
        exit(status);
    reboot(RB_POWER_OFF);
    /* Only if the power-off failed: as init, returning would panic. */
    say("compare: error reboot(RB_POWER_OFF) failed: %s", strerror(errno));
    for (;;)
        pause();
}

static _Noreturn void fail(const char *format, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, format);
    vsnprintf(what, sizeof(what), format, ap);
    va_end(ap);
    say("compare: error %s", what);
    power_off(EXIT_FAILURE);
}

static void on_alarm(int signal)
{
    (void)signal;
    static const char line[] = "compare: error the run took longer than its watchdog\n";
    (void)!write(STDOUT_FILENO, line, sizeof(line) - 1);
    if (getpid() != 1)
        _exit(EXIT_FAILURE);
    reboot(RB_POWER_OFF);
}

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        fail("sched_setaffinity to CPU %d: %s", cpu, strerror(errno));
}

/* One per other CPU for the busy figure: runs there at user level until
 * told to stop, as the kernel's spin_busy helper runs at PASSIVE_LEVEL. */
static void *spin(void *arg)
{
    int cpu = (int)(intptr_t)arg;
    pin_to(cpu);
    if (sched_getcpu() != cpu)
        fail("a spinner pinned to CPU %d runs on CPU %d", cpu, sched_getcpu());
    atomic_fetch_add(&spinners_running, 1);
    while (!atomic_load_explicit(&spinners_stop, memory_order_relaxed))
        __builtin_ia32_pause();
    return NULL;
}

/* The second thread of the idle figure: asleep, so that the process has two
 * users of its memory (with one, membarrier returns at once) but no other
 * CPU runs it. It sleeps until the power-off. */
static void *sleep_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) of n sorted samples, as kernel/diag/bench.c. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned p)
{
    size_t rank = (n * p + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

static uint64_t clock_cost;
static uint64_t calls_made;
static double tsc_mhz; /* Linux's calibrated rate, as the kernel prints its own */

/* The TSC's rate as Linux calibrated it at boot: /proc/cpuinfo's "cpu MHz"
 * of the first CPU (x86 prints its calibrated cpu_khz where there is
 * neither APERF/MPERF nor a cpufreq driver, as under QEMU's TCG); 0 where it
 * cannot be read. */
static double linux_tsc_mhz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return 0;
    char line[512];
    double mhz = 0;
    while (mhz == 0 && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "cpu MHz", 7) == 0 && strchr(line, ':') != NULL)
            mhz = strtod(strchr(line, ':') + 1, NULL);
    fclose(f);
    return mhz;
}

/* The function-call interrupts all CPUs have taken (the sum of the CAL row
 * of /proc/interrupts), or -1 where it cannot be read. */
static long long function_call_interrupts(void)
{
    FILE *f = fopen("/proc/interrupts", "r");
    if (f == NULL)
        return -1;
    char line[4096];
    long long total = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line + strspn(line, " ");
        if (strncmp(p, "CAL:", 4) != 0)
            continue;
        total = 0;
        for (p += 4;;) {
            char *end;
            long long count = strtoll(p, &end, 10);
            if (end == p)
                break;
            total += count;
            p = end;
        }
    }
    fclose(f);
    return total;
}

/* What one TSC read costs here (p50): in a guest it may trap. */
static void measure_clock_cost(void)
{
    static uint64_t reads[CLOCK_SAMPLES];
    for (size_t i = 0; i < CLOCK_SAMPLES; i++) {
        uint64_t t0 = rdtsc();
        reads[i] = rdtsc() - t0;
    }
    qsort(reads, CLOCK_SAMPLES, sizeof(reads[0]), compare_u64);
    clock_cost = percentile(reads, CLOCK_SAMPLES, 50);
}

static void call_once(void)
{
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
        fail("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): %s", strerror(errno));
    calls_made++;
}

/* Times the call as kernel/diag/bench.c's bench_measure() times an op: a warm-up
 * of a tenth, then batches sized so that the clock is under a tenth of a
 * sample, the percentiles over batch means. */
static void measure(const char *name, int cpus)
{
    calls_made = 0;
    long long interrupts_before = function_call_interrupts();
    uint64_t start_ns = now_ns();
    for (int i = 0; i < 8; i++)
        call_once();
    uint64_t per_op_ns = (now_ns() - start_ns) / 8 + 1;
    uint64_t iterations = FIGURE_BUDGET_NS / per_op_ns;
    if (iterations > MAX_ITERATIONS)
        iterations = MAX_ITERATIONS;
    if (iterations < MIN_ITERATIONS)
        iterations = MIN_ITERATIONS;

    size_t warm = iterations / 10 + 1;
    uint64_t t = rdtsc();
    for (size_t i = 0; i < warm; i++)
        call_once();
    uint64_t per_op = (rdtsc() - t) / warm + 1;
    size_t batch = 1;
    while (batch < MAX_BATCH && per_op * batch < CLOCK_SHARE * clock_cost)
        batch *= 2;
    size_t n = (iterations + batch - 1) / batch;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = rdtsc();
        for (size_t k = 0; k < batch; k++)
            call_once();
        samples[i] = (rdtsc() - t0) / batch;
    }
    qsort(samples, n, sizeof(samples[0]), compare_u64);
    say("compare: name=%s cpus=%d iters=%zu min=%llu p50=%llu p90=%llu p99=%llu max=%llu "
        "tsc_mhz=%.3f",
        name, cpus, n * batch, (unsigned long long)samples[0],
        (unsigned long long)percentile(samples, n, 50),
        (unsigned long long)percentile(samples, n, 90),
        (unsigned long long)percentile(samples, n, 99), (unsigned long long)samples[n - 1],
        tsc_mhz);
    long long interrupts_after = function_call_interrupts();
    say("compare: ipis name=%s calls=%llu function_call_interrupts=%lld", name,
        (unsigned long long)calls_made,
        interrupts_before < 0 || interrupts_after < 0 ? -1 : interrupts_after - interrupts_before);
}

static void start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t thread;
    int error = pthread_create(&thread, NULL, fn, arg);
    if (error != 0)
        fail("pthread_create: %s", strerror(error));
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(WATCHDOG_SECONDS);

    /* Only for /proc/interrupts: nothing else here needs a file system. */
    mkdir("/proc", 0555);
    mount("proc", "/proc", "proc", 0, NULL);

    struct utsname name;
    uname(&name);
    cpu_set_t online;
    if (sched_getaffinity(0, sizeof(online), &online) != 0)
        fail("sched_getaffinity: %s", strerror(errno));
    int cpus = CPU_COUNT(&online);
    tsc_mhz = linux_tsc_mhz();
    say("compare: linux=%s cpus=%d", name.release, cpus);
    if (!CPU_ISSET(0, &online))
        fail("CPU 0, where the calls are made, is not online");
    if (cpus < 2)
        fail("one CPU: there is no other CPU to interrupt");

    long commands = membarrier(MEMBARRIER_CMD_QUERY);
    if (commands < 0)
        fail("membarrier is not available (MEMBARRIER_CMD_QUERY: %s)", strerror(errno));
    if (!(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
        fail("membarrier has no MEMBARRIER_CMD_PRIVATE_EXPEDITED (commands %#lx)", commands);
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
        fail("MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: %s", strerror(errno));

    pin_to(0);
    measure_clock_cost();

    start_thread(sleep_forever, NULL);
    measure("membarrier_private_expedited_idle", cpus);

    int expected = 0;
    for (int cpu = 1; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &online)) {
            start_thread(spin, (void *)(intptr_t)cpu);
            expected++;
        }
    }
    uint64_t deadline = now_ns() + START_TIMEOUT_NS;
    while (atomic_load(&spinners_running) < expected) {
        if (now_ns() > deadline)
            fail("only %d of %d spinning threads reached their CPUs in %llu s",
                 atomic_load(&spinners_running), expected, START_TIMEOUT_NS / 1000000000ull);
        sched_yield();
    }
    measure("membarrier_private_expedited_busy", cpus);
    atomic_store(&spinners_stop, 1);

    say("compare: done");
    power_off(EXIT_SUCCESS);
}
