/*
 * test_stop.c - kernel/stop.c, the one owner of ending the machine, with
 * one thread per CPU.
 *
 * The kernel's stop is only seen whole in QEMU (the inject-* configurations
 * of tests/runner/matrix.py); here each of its promises is checked alone,
 * with orders QEMU makes only by chance: four CPUs claiming at once, an
 * owner that falls silent, an owner that reports slowly but keeps printing,
 * and a second error inside the owner's own report.
 *
 * The clock is fake: each look at it moves it on by CLOCK_STEP cycles, so
 * the 5 s silence bound passes in a moment of real time and the same way on
 * every machine. A CPU "ends the machine" or "halts" by leaving its thread,
 * and the test records which of the two it did.
 */
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"
#include "tests/host/htest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CPUS 4
#define CYCLES_PER_SECOND 1000000000ull
#define CLOCK_STEP 10000000ull /* 10 ms per look: few looks, whatever a yield costs */
#define CLOCK_CRAWL 1ull       /* for a scene whose owner waits in real time */
#define REAL_BOUND_S 20        /* a scene that takes longer hangs: failed by name */

/* ---- the machine ---- */

static struct cpu cpus[CPUS];
static _Thread_local int this_index = -1;
static _Atomic uint64_t clock_now;
static uint64_t clock_step = CLOCK_STEP;
static _Atomic uint64_t printed;    /* kprintf calls */
static _Atomic int panic_mode_on;   /* console_enter_panic_mode was called */
static _Atomic int stops_sent;      /* smp_stop_other_cpus calls */
static _Atomic int waiting_at_stop; /* CPUs waiting when the others were stopped */

enum ending { RUNNING, VM_EXIT, HALTED };
static _Atomic int ending[CPUS];
static _Atomic bool interrupts_off[CPUS];

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char report[16384];

struct cpu *smp_cpu(size_t index) { return index < CPUS ? &cpus[index] : NULL; }
size_t smp_cpu_count(void) { return CPUS; }
int smp_this_cpu_index(void) { return this_index; }
uint32_t arch_cpu_hw_id(void) { return cpus[this_index].hw_id; }
uint64_t arch_cycles(void) { return atomic_fetch_add(&clock_now, clock_step) + clock_step; }
uint64_t arch_cycles_per_second(void) { return CYCLES_PER_SECOND; }
/* In a lock-step scene the waiting CPU's every pause is a turn the owner
 * can count: it lets the owner's time move only as fast as the waiter
 * looks, however the host schedules the two threads. */
static _Atomic bool lockstep;
static _Atomic uint64_t waiter_turns;
void arch_cpu_relax(void)
{
    if (atomic_load(&lockstep) && this_index == 1)
        atomic_fetch_add(&waiter_turns, 1);
    sched_yield();
}
void arch_interrupts_disable(void) { atomic_store(&interrupts_off[this_index], true); }
bool ktest_mode_active(void) { return true; }
void console_enter_panic_mode(void) { atomic_store(&panic_mode_on, 1); }
void console_drop_locks(void) {}
void ipi_report_if_in_worker(void) {}
void inject_hold_the_stop(void) {}

void smp_stop_other_cpus(void)
{
    int waiting = 0;
    for (uint32_t i = 0; i < CPUS; i++)
        waiting += stop_cpu_is_waiting(i, NULL);
    atomic_store(&waiting_at_stop, waiting);
    atomic_fetch_add(&stops_sent, 1);
}

int kvprintf(const char *fmt, va_list ap)
{
    char line[512];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    pthread_mutex_lock(&report_lock);
    strncat(report, line, sizeof(report) - strlen(report) - 1);
    pthread_mutex_unlock(&report_lock);
    atomic_fetch_add(&printed, 1);
    stop_note_output(); /* as the console does in panic mode */
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

static noreturn void leave(enum ending how)
{
    atomic_store(&ending[this_index], how);
    pthread_exit(NULL);
}

void arch_vm_exit(uint32_t code)
{
    (void)code;
    leave(VM_EXIT);
}
noreturn void arch_halt_forever(void) { leave(HALTED); }

static size_t report_count(const char *text)
{
    size_t n = 0;
    pthread_mutex_lock(&report_lock);
    for (const char *p = strstr(report, text); p != NULL; p = strstr(p + 1, text))
        n++;
    pthread_mutex_unlock(&report_lock);
    return n;
}

static void reset(void)
{
    memset(cpus, 0, sizeof(cpus));
    for (uint32_t i = 0; i < CPUS; i++) {
        cpus[i].self = &cpus[i];
        cpus[i].index = i;
        cpus[i].hw_id = 10 + 2 * i; /* not the index: stop.c must look it up */
        atomic_store(&ending[i], RUNNING);
        atomic_store(&interrupts_off[i], false);
    }
    atomic_store(&clock_now, 0);
    atomic_store(&printed, 0);
    report[0] = '\0';
}

/* ---- the scenes ---- */

static pthread_barrier_t start_line;
static _Atomic int owners;

/* Everyone claims at once; the owner waits (in real time, bounded) until
 * the other three wait too, so the report must name all of them. The
 * clock crawls meanwhile: this scene is not about the silence bound. */
static void *claim_at_once(void *arg)
{
    this_index = (int)(intptr_t)arg;
    pthread_barrier_wait(&start_line);
    if (stop_claim("error number %d", this_index) == STOP_OWNER) {
        atomic_fetch_add(&owners, 1);
        kprintf("owner's report from CPU %d\n", this_index);
        for (int tries = 0; tries < 10000; tries++) { /* 10 s: a loaded host */
            int waiting = 0;
            for (uint32_t i = 0; i < CPUS; i++)
                waiting += stop_cpu_is_waiting(i, NULL);
            if (waiting == CPUS - 1)
                break;
            usleep(1000);
        }
        stop_machine();
    }
    return NULL; /* never: a non-owner waits inside stop_claim */
}

/* CPU 0 claims and then stops printing for good (stopped by mistake, or
 * stuck); CPU 1 comes later and must end the machine itself. */
static _Atomic bool owner_claimed;
static void *silent_owner(void *arg)
{
    this_index = (int)(intptr_t)arg;
    if (this_index == 0) {
        stop_claim("the owner's error");
        atomic_store(&owner_claimed, true);
        for (;;)
            pause(); /* silent; ended with the process */
    }
    while (!atomic_load(&owner_claimed))
        sched_yield();
    stop_claim("a later error");
    return NULL;
}

/* CPU 0 claims and stays silent while CPU 2, which has not come to stop
 * the kernel, prints a line every fake second: not the owner's sign of
 * life. CPU 1 comes later and must still end the machine in time. */
static void *silent_owner_noisy_other(void *arg)
{
    this_index = (int)(intptr_t)arg;
    if (this_index == 2) {
        while (!atomic_load(&owner_claimed))
            sched_yield();
        uint64_t last = arch_cycles();
        for (;;) {
            if (arch_cycles() - last >= CYCLES_PER_SECOND) {
                kprintf("CPU 2 still prints\n");
                last = arch_cycles();
            }
            sched_yield();
        }
    }
    return silent_owner(arg);
}

/* Waits (in real time, bounded) until the waiting CPU has paused twice
 * more: after the second pause it has read the owner's progress at least
 * once since this call began. */
static bool waiter_has_looked(void)
{
    uint64_t from = atomic_load(&waiter_turns);
    for (int ms = 0; ms < 5000; ms++) {
        if (atomic_load(&waiter_turns) >= from + 2)
            return true;
        usleep(1000);
    }
    return false;
}

/* The owner prints a line every fake second for 20 fake seconds, four
 * times the silence bound, then stops the machine. Looks do not move the
 * clock here (the scene sets clock_step to 0): the owner moves it a tenth
 * of a second at a time, each time after the waiter has looked, so the
 * waiter sees every line within a fake second of its printing on any
 * host, loaded or not. */
static _Atomic bool lockstep_broken;
static void *slow_owner(void *arg)
{
    this_index = (int)(intptr_t)arg;
    if (this_index == 0) {
        stop_claim("the owner's error");
        atomic_store(&owner_claimed, true);
        for (int lines = 0; lines < 20; lines++) {
            for (int tenth = 0; tenth < 10; tenth++) {
                if (!waiter_has_looked())
                    atomic_store(&lockstep_broken, true);
                atomic_fetch_add(&clock_now, CYCLES_PER_SECOND / 10);
            }
            kprintf("a slow report's line %d\n", lines);
        }
        stop_machine();
    }
    while (!atomic_load(&owner_claimed))
        sched_yield();
    stop_claim("a later error");
    return NULL;
}

/* A second error on the owner's CPU, inside its own report. */
static enum stop_role first_role, second_role;
static void *error_in_the_report(void *arg)
{
    this_index = (int)(intptr_t)arg;
    first_role = stop_claim("the first error");
    second_role = stop_claim("an error in the report");
    return NULL;
}

static bool run_scene(void *(*body)(void *), int n)
{
    pthread_t threads[CPUS];
    pthread_barrier_init(&start_line, NULL, (unsigned)n);
    for (int i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, body, (void *)(intptr_t)i);
    /* Done when every CPU that is not meant to stay (a silent owner) has
     * left its thread, or the scene's real-time bound has passed. */
    for (int waited_ms = 0; waited_ms < REAL_BOUND_S * 1000; waited_ms++) {
        int left = 0;
        for (int i = 0; i < n; i++)
            left += atomic_load(&ending[i]) != RUNNING;
        if (left == n || (body == silent_owner && left == n - 1) ||
            (body == silent_owner_noisy_other && atomic_load(&ending[1]) != RUNNING))
            return true;
        if (body == error_in_the_report && second_role != 0)
            return true;
        usleep(1000);
    }
    return false;
}

static void scene_claims_at_once(void)
{
    clock_step = CLOCK_CRAWL;
    const char *name = "stop.one_owner_among_four_cpus_claiming_at_once";
    bool ended = run_scene(claim_at_once, CPUS);
    int exits = 0, halts = 0, off = 0;
    for (int i = 0; i < CPUS; i++) {
        exits += atomic_load(&ending[i]) == VM_EXIT;
        halts += atomic_load(&ending[i]) == HALTED;
        off += atomic_load(&interrupts_off[i]);
    }
    HCHECK(name, ended && atomic_load(&owners) == 1 && exits == 1 && halts == CPUS - 1,
           "ended %d, owners %d, machine ended by %d, halted %d", ended, atomic_load(&owners),
           exits, halts);
    HCHECK("stop.the_owner_names_every_waiting_cpu_once_and_stops_the_rest",
           report_count("had come to stop the kernel too: error number") == CPUS - 1 &&
               report_count("kernel stopped.") == 1 && atomic_load(&stops_sent) == 1 &&
               atomic_load(&waiting_at_stop) == CPUS - 1,
           "%zu lines, %zu ends, %d stops, %d waiting at the stop; report:\n%s",
           report_count("had come to stop the kernel too"), report_count("kernel stopped."),
           atomic_load(&stops_sent), atomic_load(&waiting_at_stop), report);
    HCHECK("stop.every_claim_turns_interrupts_off_and_the_owner_takes_the_panic_lock",
           off == CPUS && atomic_load(&panic_mode_on) == 1, "%d of %d with interrupts off", off,
           CPUS);
}

static void scene_silent_owner(void)
{
    const char *name = "stop.a_silent_owner_is_replaced_after_the_silence_bound";
    bool ended = run_scene(silent_owner, 2);
    uint64_t waited_ms = atomic_load(&clock_now) / (CYCLES_PER_SECOND / 1000);
    HCHECK(name,
           ended && atomic_load(&ending[1]) == VM_EXIT &&
               report_count("the report of CPU 0 has printed nothing for 5000 ms; CPU 1 ends the "
                            "machine instead. It had come to stop it for: a later error") == 1,
           "ended %d, CPU 1 %d; report:\n%s", ended, atomic_load(&ending[1]), report);
    HCHECK("stop.the_silence_bound_is_kept",
           waited_ms >= STOP_SILENCE_MS && waited_ms < STOP_SILENCE_MS + 1000, "%llu fake ms",
           (unsigned long long)waited_ms);
}

static void scene_silent_owner_noisy_other(void)
{
    bool ended = run_scene(silent_owner_noisy_other, 3);
    HCHECK("stop.another_cpus_output_does_not_keep_a_silent_owner_alive",
           ended && atomic_load(&ending[1]) == VM_EXIT &&
               report_count("has printed nothing for 5000 ms; CPU 1 ends the machine") == 1 &&
               atomic_load(&stops_sent) == 1,
           "ended %d, CPU 1 %d, %d stops; report:\n%s", ended, atomic_load(&ending[1]),
           atomic_load(&stops_sent), report);
}

static void scene_slow_owner(void)
{
    const char *name = "stop.an_owner_that_keeps_printing_is_waited_for";
    clock_step = 0;
    atomic_store(&lockstep, true);
    bool ended = run_scene(slow_owner, 2);
    HCHECK(name,
           ended && !atomic_load(&lockstep_broken) && atomic_load(&ending[0]) == VM_EXIT &&
               atomic_load(&ending[1]) == HALTED && report_count("has printed nothing") == 0 &&
               report_count("stop: CPU 1 had come to stop the kernel too: a later error") == 1,
           "ended %d, lock-step broken %d, CPU 0 %d, CPU 1 %d; report:\n%s", ended,
           atomic_load(&lockstep_broken), atomic_load(&ending[0]), atomic_load(&ending[1]), report);
}

static void scene_error_in_the_report(void)
{
    bool ended = run_scene(error_in_the_report, 1);
    HCHECK("stop.an_error_inside_the_owners_report_is_its_own_again",
           ended && first_role == STOP_OWNER && second_role == STOP_OWNER_AGAIN, "roles %d then %d",
           first_role, second_role);
}

/* stop.c's owner is set once per process, as in the kernel (one boot, one
 * stop), so each scene runs in a child of its own, which sends its verdicts
 * back through a pipe. */
static void in_a_child(const char *name, void (*scene)(void))
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(2);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        reset();
        int before = htest_count;
        scene();
        for (int i = before; i < htest_count; i++)
            if (write(fds[1], &htest_results[i], sizeof(htest_results[i])) !=
                (ssize_t)sizeof(htest_results[i]))
                _exit(2);
        _exit(0); /* a silent owner's thread is still there: leave at once */
    }
    close(fds[1]);
    struct htest_result r;
    while (read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r) && htest_count < HTEST_MAX_CASES)
        htest_results[htest_count++] = r;
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    HCHECK(name, WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "the scene's process ended with %#x", status);
}

int main(void)
{
    in_a_child("stop.scene_claims_at_once_ran", scene_claims_at_once);
    in_a_child("stop.scene_silent_owner_ran", scene_silent_owner);
    in_a_child("stop.scene_silent_owner_noisy_other_ran", scene_silent_owner_noisy_other);
    in_a_child("stop.scene_slow_owner_ran", scene_slow_owner);
    in_a_child("stop.scene_error_in_the_report_ran", scene_error_in_the_report);
    return htest_finish();
}
