/*
 * ipi.c - the rendezvous (see ipi.h for the contract, docs/book/08-rendezvous.md
 * for the protocol and why it cannot deadlock).
 *
 * One call runs at a time, system-wide: the caller owns the call lock (a
 * ticket lock, so callers go in the order they asked) from before it
 * publishes the call until every participant has passed the second
 * barrier. A CPU waits for the lock, and holds it, only at IPI_LEVEL with
 * interrupts off, so no interrupt handler on that CPU can ask for the lock
 * it is already queued for. The call itself is described in `current`,
 * published like a seqlock (odd sequence while it is written), so a CPU
 * that looks for work without holding anything never reads a half-written
 * call.
 */
#include "kernel/smp/ipi.h"

#include "kernel/arch.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/ksyms.h"
#include "kernel/diag/trace.h"
#include "kernel/panic.h"
#include "kernel/smp/irql.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"
#include "kernel/time.h"
#include "lib/string.h"

#define DEFAULT_TIMEOUT_MS 10000 /* long enough for -smp 8 on two host cores */
#define NMI_ACK_TIMEOUT_MS 1000
#define CHECK_CLOCK_EVERY 64
#define CALL_ALONE UINT64_MAX /* in_worker: a call whose only member is its caller */

enum phase { PHASE_ARRIVAL = 0, PHASE_COMPLETION = 1 };
static const char *const phase_name[] = {"arrival (before the worker)",
                                         "completion (after the worker)"};

struct call {
    ipi_broadcast_worker *worker;
    uintptr_t argument;
    uint32_t caller; /* CPU index */
    uint32_t count;  /* participants */
    struct cpu_set members;
};

static struct {
    uint64_t seq; /* 2 * call number, +1 while being written */
    struct call call;
} current __attribute__((aligned(CACHE_LINE)));

/* The ticket lock: a CPU takes the next ticket and waits until `serving`
 * reaches it. `holder` is only for the report of a lock that never moves. */
static struct {
    uint64_t next __attribute__((aligned(CACHE_LINE)));
    uint64_t serving __attribute__((aligned(CACHE_LINE)));
    uint32_t holder;
} call_lock;

static struct barrier rendezvous_barrier;
static uint64_t timeout_ms = DEFAULT_TIMEOUT_MS;
static uint64_t timeout_cycles; /* the same, converted once */

enum barrier_kind ipi_barrier_kind(void) { return rendezvous_barrier.kind; }
uint64_t ipi_timeout_ms(void) { return timeout_ms; }
static uint64_t boot_spin_us, wake_round_trip_us;
uint64_t ipi_barrier_spin_us(void) { return boot_spin_us; }
uint64_t ipi_wake_round_trip_us(void) { return wake_round_trip_us; }
uint64_t ipi_calls_started(void) { return __atomic_load_n(&current.seq, __ATOMIC_ACQUIRE) / 2; }

/* A CPU that has spun long enough at a barrier halts until the CPU that
 * lets it through sends IPI_WAKE: above IPI_LEVEL, so it gets through while
 * everything the rendezvous holds back stays held back. */
static uint32_t sleeper_id(void) { return arch_this_cpu()->index; }
static bool sleep_until_woken(uint64_t max_cycles)
{
    arch_this_cpu()->ipi.sleeps++;
    return arch_wait_for_wake(us_from_cycles(max_cycles));
}
static void wake_sleeper(uint32_t cpu) { (void)arch_send_ipi_to(cpu, IPI_WAKE); }
static struct barrier_sleep_ops sleep_ops = {0, sleeper_id, arch_can_wait_for_wake,
                                             sleep_until_woken, wake_sleeper};

static uint64_t spin_cycles_for(uint64_t spin_us)
{
    return spin_us != 0 ? cycles_from_us(spin_us) : BARRIER_SPIN_ONLY;
}

/* Only the spin changes: a CPU still asleep in the last call must be woken
 * by the CPU that lets it through, so the wake-ups stay installed. */
void ipi_test_set_barrier_spin_us(uint64_t spin_us)
{
    __atomic_store_n(&sleep_ops.spin_cycles, spin_cycles_for(spin_us), __ATOMIC_RELAXED);
}

uint64_t ipi_lost_wakeups(uint32_t cpu) { return barrier_lost_wakeups(&rendezvous_barrier, cpu); }

void ipi_print_sleep_counts(const char *prefix)
{
    uint64_t sleeps = 0, lost = 0;
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        sleeps += smp_cpu(i)->ipi.sleeps;
        lost += ipi_lost_wakeups(i);
    }
    kprintf("%ssleeps=%llu lost_wakeups=%llu", prefix, (unsigned long long)sleeps,
            (unsigned long long)lost);
    for (uint32_t i = 0; i < smp_cpu_count() && lost != 0; i++)
        if (ipi_lost_wakeups(i) != 0)
            kprintf(" cpu%u=%llu", i, (unsigned long long)ipi_lost_wakeups(i));
    kprintf("\n");
}

/* barrier_spin_us=auto: spin as long as halting and being woken would take,
 * then halt. Whatever the wait turns out to be, that costs at most twice
 * what the better choice, had it been known, would have (competitive
 * spinning: Karlin, Li, Manasse and Owicki, SOSP 1991). What a wake-up
 * takes differs by a thousand between hardware (microseconds) and a
 * hypervisor that traps every APIC access (milliseconds), so it is measured,
 * and bounded: a measurement disturbed by the host must not make waiters
 * spin for long, nor halt at once. */
#define SPIN_AUTO_MIN_US 1
#define SPIN_AUTO_MAX_US 1000
#define SPIN_AUTO_FALLBACK_US 50 /* no other CPU to measure with */

static uint64_t spin_us_measured(uint64_t *round_trip_us)
{
    uint64_t cycles = smp_wake_round_trip_cycles();
    *round_trip_us = us_from_cycles(cycles);
    if (cycles == 0)
        return SPIN_AUTO_FALLBACK_US;
    if (*round_trip_us < SPIN_AUTO_MIN_US)
        return SPIN_AUTO_MIN_US;
    return *round_trip_us > SPIN_AUTO_MAX_US ? SPIN_AUTO_MAX_US : *round_trip_us;
}

void ipi_init(enum ipi_barrier barrier, uint64_t call_timeout_ms, uint64_t spin_us)
{
    /* auto: by the CPUs online now (all that can take part in a call). */
    bool automatic = barrier == IPI_BARRIER_AUTO;
    enum barrier_kind kind = automatic ? barrier_kind_for((uint32_t)smp_online_count())
                             : barrier == IPI_BARRIER_CENTRAL ? BARRIER_CENTRAL
                                                              : BARRIER_DISSEMINATION;
    timeout_ms = call_timeout_ms != 0 ? call_timeout_ms : DEFAULT_TIMEOUT_MS;
    timeout_cycles = cycles_from_ms(timeout_ms);
    /* Before any CPU can call: the state starts over. */
    barrier_init(&rendezvous_barrier, kind);
    bool measured = spin_us == OPTION_AUTO;
    uint64_t round_trip_us = 0;
    if (measured)
        spin_us = spin_us_measured(&round_trip_us);
    boot_spin_us = spin_us;
    wake_round_trip_us = round_trip_us;
    sleep_ops.spin_cycles = spin_cycles_for(spin_us);
    barrier_set_sleep(&rendezvous_barrier, &sleep_ops);
    memset(&call_lock, 0, sizeof(call_lock));
    kprintf("ipi: barrier=%s%s, timeout %llu ms, ", barrier_kind_name(kind),
            automatic ? " (auto)" : "", (unsigned long long)timeout_ms);
    if (spin_us == 0)
        kprintf("spin only\n");
    else if (!measured)
        kprintf("spin %llu us then halt until woken\n", (unsigned long long)spin_us);
    else if (round_trip_us == 0 && spin_us == SPIN_AUTO_FALLBACK_US)
        kprintf("spin %llu us then halt until woken (no other CPU to measure a wake-up with)\n",
                (unsigned long long)spin_us);
    else
        kprintf("spin %llu us then halt until woken (waking an idle CPU took %llu us)\n",
                (unsigned long long)spin_us, (unsigned long long)round_trip_us);
}

/* The call is published like a seqlock, word by word with atomics: a
 * reader may race with the next caller's writes, and the sequence check
 * then discards its copy. The reader's acquire loads keep its second look
 * at the sequence after the copy; the writer's release stores keep its
 * "being written" mark before the new words (C11 7.17.3). */
#define CALL_WORDS (sizeof(struct call) / sizeof(uint64_t))
#define CALL_HEADER_WORDS (offsetof(struct call, members) / sizeof(uint64_t))
_Static_assert(sizeof(struct call) % sizeof(uint64_t) == 0, "struct call is whole words");
_Static_assert(offsetof(struct call, members) % sizeof(uint64_t) == 0, "members start a word");

/* Only the member words that can hold a CPU are copied: on a small machine
 * one word instead of MAX_CPUS / 64. */
static size_t call_words(void)
{
    size_t words = CALL_HEADER_WORDS + (smp_cpu_count() + 63) / 64;
    return words < CALL_WORDS ? words : CALL_WORDS;
}

static void read_call(struct call *dst)
{
    const uint64_t *from = (const uint64_t *)(const void *)&current.call;
    uint64_t *to = (uint64_t *)(void *)dst;
    size_t n = call_words();
    for (size_t i = 0; i < n; i++)
        to[i] = __atomic_load_n(&from[i], __ATOMIC_ACQUIRE);
}

static void write_call(const struct call *src)
{
    const uint64_t *from = (const uint64_t *)(const void *)src;
    uint64_t *to = (uint64_t *)(void *)&current.call;
    size_t n = call_words();
    for (size_t i = 0; i < n; i++)
        __atomic_store_n(&to[i], from[i], __ATOMIC_RELEASE);
}

/* ---- what goes wrong ---- */

static bool arrived(const struct cpu *cpu, enum phase phase, uint64_t episode)
{
    return __atomic_load_n(&cpu->ipi.arrived[phase], __ATOMIC_ACQUIRE) >= episode;
}

/* When a participant learned that the call was aborted, against the time
 * the reporting CPU gave up (it may still be on its way to the barrier). */
static void report_late_arrival(const struct cpu *cpu, uint64_t number, uint64_t gave_up_at)
{
    uint64_t learned_at = __atomic_load_n(&cpu->ipi.aborted_at, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&cpu->ipi.aborted, __ATOMIC_ACQUIRE) != number)
        kprintf("ipi: CPU %u arrived after the abort, and has not stopped yet\n", cpu->index);
    else if ((int64_t)(learned_at - gave_up_at) >= 0)
        kprintf("ipi: CPU %u arrived after the abort; it found the call aborted %llu us after "
                "this CPU gave up\n",
                cpu->index, (unsigned long long)us_from_cycles(learned_at - gave_up_at));
    else
        kprintf("ipi: CPU %u found the call aborted %llu us before this CPU's report began\n",
                cpu->index, (unsigned long long)us_from_cycles(gave_up_at - learned_at));
}

/* A participant's deadline passed at a barrier: say who is missing, have
 * each missing CPU say where it is (by NMI), and stop. The barrier lets
 * only one participant time out per episode; a second report (a later
 * call's) waits for the stop.
 *
 * Who is missing is looked at first, before anything is printed: printing
 * takes long, and a CPU that arrives meanwhile would otherwise be neither
 * named nor asked where it was, leaving "missing:" empty. A CPU that comes
 * after that look is still named, and said to have come after the abort. */
static noreturn void report_timeout(const struct call *c, uint64_t number, enum phase phase,
                                    uint64_t episode, bool late)
{
    uint64_t gave_up_at = arch_cycles();
    struct cpu_set missing = {{0}};
    bool anyone_missing = false;
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        if (cpu_set_has(&c->members, i) && !arrived(smp_cpu(i), phase, episode)) {
            cpu_set_add(&missing, i);
            anyone_missing = true;
        }
    char where[KSYM_DESCRIBE_MAX];
    struct cpu *me = arch_this_cpu();
    /* One CPU stops the machine (kernel/stop.h): if another already does,
     * for a panic of its own or an earlier timeout, this one becomes a line
     * of its report. */
    if (stop_claim("ipi: call #%llu timed out at the %s barrier, on CPU %u",
                   (unsigned long long)number, phase_name[phase], me->index) == STOP_OWNER_AGAIN) {
        /* Cannot happen while stop_claim turns interrupts off: no call
         * reaches the CPU that stops the kernel. Said, should it. */
        console_drop_locks();
        kprintf("\nipi: call #%llu timed out on CPU %u, which was already stopping the kernel\n",
                (unsigned long long)number, me->index);
        stop_end();
    }
    kprintf("\nipi: call #%llu (worker %s, argument %#lx, from CPU %u) timed out: CPU %u "
            "waited %llu ms at the %s barrier\n",
            (unsigned long long)number,
            ksym_describe((uintptr_t)c->worker, false, where, sizeof(where)),
            (unsigned long)c->argument, c->caller, me->index,
            (unsigned long long)(late ? 2 * timeout_ms : timeout_ms), phase_name[phase]);
    if (late)
        kprintf("ipi: the barrier had released the others; this CPU's signals did not come\n");
    else
        kprintf("ipi: the call is aborted: no CPU starts its worker%s\n",
                phase == PHASE_ARRIVAL ? "" : " again or goes past its completion barrier");
    kprintf("ipi: missing:");
    for (uint32_t i = 0; i < smp_cpu_count(); i++)
        if (cpu_set_has(&missing, i))
            kprintf(" CPU %u (" ARCH_HW_ID_NAME " %u)", i, smp_cpu(i)->hw_id);
    kprintf(anyone_missing ? "\n"
                           : " none when this CPU gave up: the last arrived just after "
                             "its deadline had passed\n");
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *cpu = smp_cpu(i);
        if (!cpu_set_has(&missing, i))
            continue;
        if (arrived(cpu, phase, episode)) {
            report_late_arrival(cpu, number, gave_up_at);
            continue; /* it stops by itself, in wait_phase */
        }
        const char *why;
        if (stop_cpu_is_waiting(i, &why)) {
            /* It is not stuck: it has an error of its own to report, and an
             * NMI would only interrupt that (its wait ends with the stop). */
            (void)why; /* stop_machine prints it, once */
            kprintf("ipi: CPU %u is not stuck: it is stopping the kernel for an error of its own "
                    "(below)\n",
                    i);
            continue;
        }
        kprintf("ipi: sending an NMI to CPU %u to see where it is\n", i);
        /* The answer is the ack of this request, not one left from before. */
        __atomic_store_n(&cpu->ipi.nmi_ack, NMI_NONE, __ATOMIC_RELEASE);
        atomic_store_release(&cpu->ipi.nmi_request, NMI_REPORT);
        uint64_t deadline = arch_cycles() + cycles_from_ms(NMI_ACK_TIMEOUT_MS);
        bool acked = arch_send_ipi_to(i, IPI_NMI);
        while (acked && __atomic_load_n(&cpu->ipi.nmi_ack, __ATOMIC_ACQUIRE) != NMI_REPORT) {
            if (cycles_past(deadline)) {
                acked = false;
                break;
            }
            arch_cpu_relax();
        }
        if (!acked)
            kprintf("ipi: CPU %u did not answer the NMI either\n", i);
    }
    if (!anyone_missing)
        for (uint32_t i = 0; i < smp_cpu_count(); i++)
            if (i != me->index && cpu_set_has(&c->members, i))
                report_late_arrival(smp_cpu(i), number, gave_up_at);
    panic_claimed("ipi: the rendezvous timed out (ipi_timeout_ms=%llu); stopping",
                  (unsigned long long)timeout_ms);
}

void ipi_report_if_in_worker(void)
{
    struct cpu *me = arch_this_cpu();
    if (me == NULL || !me->ipi.in_worker)
        return;
    char where[KSYM_DESCRIBE_MAX];
    if (me->ipi.in_worker == CALL_ALONE)
        kprintf("ipi: CPU %u stopped inside the worker of its own call, which had no other CPU "
                "(worker %s)\n",
                me->index, ksym_describe(me->ipi.worker, false, where, sizeof(where)));
    else
        kprintf("ipi: CPU %u stopped inside the worker of call #%llu (worker %s, from CPU %u); "
                "the other CPUs of the call are stopped with it\n",
                me->index, (unsigned long long)me->ipi.in_worker,
                ksym_describe(me->ipi.worker, false, where, sizeof(where)), me->ipi.caller);
}

static uint64_t unexpected_nmis;

uint64_t ipi_unexpected_nmis(void) { return __atomic_load_n(&unexpected_nmis, __ATOMIC_ACQUIRE); }

bool ipi_nmi(uintptr_t pc, uintptr_t fp)
{
    char where[KSYM_DESCRIBE_MAX];
    struct cpu *me = arch_this_cpu();
    uint32_t request = atomic_load_acquire(&me->ipi.nmi_request);
    if (request == NMI_NONE) {
        /* Not ours: a watchdog, a front-panel button, a hardware error.
         * Say what the platform latched and go on; stopping a machine for
         * a button press would be worse than the NMI. */
        kprintf("nmi: CPU %u (" ARCH_HW_ID_NAME " %u) took an NMI the kernel did not ask for, "
                "at %#lx %s: %s; going on\n",
                me->index, me->hw_id, (unsigned long)pc,
                ksym_describe(pc, false, where, sizeof(where)), arch_nmi_reason());
        __atomic_add_fetch(&unexpected_nmis, 1, __ATOMIC_ACQ_REL);
        return true;
    }
    if (request == NMI_REPORT) {
        /* Say where it was, then go back there: the reporting CPU stops it
         * with the others (NMI_STOP). Going back matters to a CPU that was
         * itself on its way to stop the kernel: halted here, its report
         * would never come. */
        kprintf("nmi: CPU %u (" ARCH_HW_ID_NAME " %u) was at %#lx %s%s\n", me->index, me->hw_id,
                (unsigned long)pc, ksym_describe(pc, false, where, sizeof(where)),
                me->ipi.in_worker ? ", inside the worker" : "");
        arch_print_backtrace_from(pc, false, fp);
        /* The reporter may have given up waiting and asked for the stop
         * meanwhile (its NMI is held until this one returns): the stop
         * wins, or this CPU would clear it and run on. */
        uint32_t reported = NMI_REPORT;
        if (__atomic_compare_exchange_n(&me->ipi.nmi_request, &reported, NMI_NONE, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&me->ipi.nmi_ack, NMI_REPORT, __ATOMIC_RELEASE);
            return true;
        }
    }
    __atomic_store_n(&me->ipi.nmi_ack, NMI_STOP, __ATOMIC_RELEASE);
    arch_halt_forever(); /* NMI_STOP: the kernel is stopping */
}

/* ---- taking part ---- */

/* The worker, with what a report needs while it runs (ipi_report_if_in_worker,
 * ipi_nmi): which call, whose, and which function. */
static uintptr_t run_worker(const struct call *c, uint64_t number, struct cpu *me)
{
    me->ipi.worker = (uintptr_t)c->worker;
    me->ipi.caller = c->caller;
    me->ipi.in_worker = number;
    if (number != CALL_ALONE) /* the trace is of a rendezvous' phases; alone has none */
        trace_mark(me, TRACE_WORKER_START, number);
    uintptr_t result = c->worker(c->argument);
    if (number != CALL_ALONE)
        trace_mark(me, TRACE_WORKER_END, number);
    me->ipi.in_worker = 0;
    me->ipi.worker_runs++;
    return result;
}

/* LAB(rendezvous-participant-open) begin: the participant's side, from the IPI on */
/* Copies the newest call if this CPU has not looked at it yet. The writer
 * holds the sequence odd only while it copies a few words at IPI_LEVEL, so
 * a sequence that stays odd for a whole timeout means it stopped there. */
static bool snapshot_new_call(struct cpu *me, struct call *out, uint64_t *number)
{
    uint64_t deadline = 0;
    for (uint64_t spins = 0;; spins++) {
        uint64_t s1 = __atomic_load_n(&current.seq, __ATOMIC_ACQUIRE);
        if (s1 / 2 <= me->ipi.seen)
            return false;
        if ((s1 & 1) == 0) {
            read_call(out);
            if (__atomic_load_n(&current.seq, __ATOMIC_RELAXED) == s1) {
                *number = s1 / 2;
                return true;
            }
        }
        if (spins == 0)
            deadline = arch_cycles() + timeout_cycles;
        else if (spins % CHECK_CLOCK_EVERY == 0 && cycles_past(deadline))
            panic("ipi: CPU %u waited %llu ms for call #%llu to be published; its caller "
                  "stopped while writing it",
                  me->index, (unsigned long long)timeout_ms, (unsigned long long)(s1 / 2 + 1));
        arch_cpu_relax();
    }
}

static void wait_phase(const struct call *c, uint64_t number, enum phase phase, struct cpu *me,
                       uint32_t rank)
{
    /* LAB(rendezvous-participant) begin: mark the arrival, wait, act on the outcome */
    uint64_t episode = number * 2 + phase;
    __atomic_store_n(&me->ipi.arrived[phase], episode, __ATOMIC_RELEASE);
    switch (
        barrier_wait(&rendezvous_barrier, episode, &c->members, rank, c->count, timeout_cycles)) {
    case BARRIER_RELEASED: return;
    case BARRIER_TIMED_OUT: report_timeout(c, number, phase, episode, false);
    case BARRIER_LATE: report_timeout(c, number, phase, episode, true);
    case BARRIER_ABORTED: break;
    }
    /* Another participant declared the call timed out and reports it: this
     * CPU must not run (or finish) the worker. Say when it learned that (the
     * report says who came late), and wait for the stop. */
    __atomic_store_n(&me->ipi.aborted_at, arch_cycles(), __ATOMIC_RELAXED);
    __atomic_store_n(&me->ipi.aborted, number, __ATOMIC_RELEASE);
    arch_halt_forever();
    /* LAB(rendezvous-participant) stub
    (void)c; // no barrier at all: nobody waits for anybody
    (void)number;
    (void)phase;
    (void)me;
    (void)rank;
    (void)report_timeout; // for BARRIER_TIMED_OUT and BARRIER_LATE
    LAB(rendezvous-participant) end */
}

/* Runs one call on this CPU: at IPI_LEVEL, interrupts off, from a private
 * copy of the call (the shared one is rewritten by the next caller as soon
 * as the last participant has left the second barrier). */
static void take_part(const struct call *c, uint64_t number, struct cpu *me)
{
    /* LAB(rendezvous-participant) begin: arrive, run the worker, record its result, complete */
    uint32_t rank = cpu_set_rank(&c->members, me->index);
    me->ipi.served = number;
    trace_mark(me, TRACE_ARRIVED, number);
    wait_phase(c, number, PHASE_ARRIVAL, me, rank);
    trace_mark(me, TRACE_RELEASED, number);
    me->ipi.result = run_worker(c, number, me);
    wait_phase(c, number, PHASE_COMPLETION, me, rank);
    trace_mark(me, TRACE_COMPLETED, number);
    /* LAB(rendezvous-participant) stub
    (void)c; // this CPU takes no part: no worker runs, no result
    (void)number;
    (void)me;
    (void)wait_phase;
    LAB(rendezvous-participant) end */
}

/* Takes part in the newest call if it includes this CPU and it has not
 * done so already; true if it did. Must run at IPI_LEVEL with interrupts
 * off. */
static bool serve_pending_call(struct cpu *me)
{
    struct call c;
    uint64_t number;
    if (!snapshot_new_call(me, &c, &number))
        return false;
    /* LAB(rendezvous-participant) begin: note the call seen; take part if due */
    me->ipi.seen = number;
    if (!cpu_set_has(&c.members, me->index) || me->ipi.served >= number)
        return false;
    trace_mark(me, TRACE_HANDLER_ENTER, number);
    take_part(&c, number, me);
    trace_mark(me, TRACE_HANDLER_EXIT, number);
    return true;
    /* LAB(rendezvous-participant) stub
    (void)c; // the call is ignored: no CPU but the caller ever takes part
    (void)number;
    (void)take_part;
    return false;
    LAB(rendezvous-participant) end */
}

void kernel_call_interrupt(void)
{
    /* arch runs this handler at IPI_LEVEL with interrupts off. A late IPI
     * for a call this CPU already served by polling finds nothing new. */
    struct cpu *me = arch_this_cpu();
    (void)serve_pending_call(me);
}
/* LAB(rendezvous-participant-open) stub
// The functions the rest of the file calls: keep their names and types.
static bool serve_pending_call(struct cpu *me)
{
    (void)me; // the new call is never looked at
    (void)read_call;      // copies the published call's words (the seqlock's reader)
    (void)report_timeout; // reports a barrier that timed out, and stops
    return false;
}

static void take_part(const struct call *c, uint64_t number, struct cpu *me)
{
    (void)number; // this CPU alone, no barriers: not a rendezvous
    me->ipi.result = c->worker(c->argument);
}

void kernel_call_interrupt(void) {}
LAB(rendezvous-participant-open) end */

/* LAB(rendezvous-caller-open) begin: the call lock: a queue that serves the calls ahead */
/* Waits for this CPU's turn, at IPI_LEVEL with interrupts off, taking part
 * in the calls of those ahead of it meanwhile (it may be one of their
 * participants, and cannot take their IPI now). The bound is on progress:
 * it ends only when neither the lock nor the calls moved for twice the
 * barrier bound (a stuck call is reported by its own participants first),
 * however long the queue. */
static void acquire_call_lock(struct cpu *me)
{
    uint64_t ticket = __atomic_fetch_add(&call_lock.next, 1, __ATOMIC_RELAXED);
    uint64_t limit = 2 * timeout_cycles;
    uint64_t deadline = 0; /* set on the first look that finds the lock taken */
    uint64_t last_serving = ~0ull, last_seq = ~0ull;
    for (uint64_t spins = 0;; spins++) {
        uint64_t serving = __atomic_load_n(&call_lock.serving, __ATOMIC_ACQUIRE);
        if (serving == ticket)
            break;
        /* The clock is read every so many spins, and after every call
         * served meanwhile: serving one can take long. */
        bool served = serve_pending_call(me);
        if (served || spins % CHECK_CLOCK_EVERY == 0) {
            uint64_t seq = __atomic_load_n(&current.seq, __ATOMIC_RELAXED);
            if (serving != last_serving || seq != last_seq) {
                last_serving = serving;
                last_seq = seq;
                deadline = arch_cycles() + limit;
            } else if (cycles_past(deadline)) {
                uint32_t holder = __atomic_load_n(&call_lock.holder, __ATOMIC_RELAXED);
                /* A call alone is not published: the newest call may be
                 * the holder's last one, long finished. */
                bool alone = __atomic_load_n(&smp_cpu(holder)->ipi.in_worker, __ATOMIC_RELAXED) ==
                             CALL_ALONE;
                bool published = !alone && (seq & 1) == 0 &&
                                 __atomic_load_n(&current.call.caller, __ATOMIC_RELAXED) == holder;
                if (holder == me->index)
                    kprintf("ipi: CPU %u is waiting for a lock it holds itself: an interrupt "
                            "handler called while its own call was under way\n",
                            me->index);
                panic("ipi: CPU %u waited %llu ms for its turn (ticket %llu) with no call "
                      "finishing; CPU %u holds the rendezvous (ticket %llu)%s%llu",
                      me->index, (unsigned long long)(2 * timeout_ms), (unsigned long long)ticket,
                      holder, (unsigned long long)serving,
                      alone       ? " and runs the worker of a call alone; newest published #"
                      : published ? " in call #"
                                  : " and has not published its call; newest #",
                      (unsigned long long)(seq / 2));
            }
        }
        arch_cpu_relax();
    }
    __atomic_store_n(&call_lock.holder, me->index, __ATOMIC_RELAXED);
}

static void release_call_lock(void)
{
    uint64_t next = __atomic_load_n(&call_lock.serving, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&call_lock.serving, next, __ATOMIC_RELEASE);
}
/* LAB(rendezvous-caller-open) stub
LAB(rendezvous-caller-open) end */

/* ---- calling ---- */

/* How a call is made, decided before any call and read once per call
 * (atomic). SEND_SHORTHAND: the one-go broadcast where it fits
 * (ipi_delivery=auto). For tests only: SEND_LOSE_ONE (inject=lost-ipi),
 * the next call leaves lost_ipi_cpu out of its IPIs; CALL_CALLER_DELAY
 * (a self-test), every caller first waits caller_delay_us. Folding them
 * into the one word a call reads anyway keeps test code off a normal
 * call's path: no call, no extra load. */
#define SEND_SHORTHAND 1u
#define SEND_LOSE_ONE 2u
#define CALL_CALLER_DELAY 4u
static uint32_t send_flags = SEND_SHORTHAND;
static uint32_t lost_ipi_cpu;    /* published by the release that sets SEND_LOSE_ONE */
static uint64_t caller_delay_us; /* ... and by the one that sets CALL_CALLER_DELAY */

void ipi_test_set_caller_delay_us(uint64_t microseconds)
{
    __atomic_store_n(&caller_delay_us, microseconds, __ATOMIC_RELAXED);
    if (microseconds != 0)
        __atomic_or_fetch(&send_flags, CALL_CALLER_DELAY, __ATOMIC_RELEASE);
    else
        __atomic_and_fetch(&send_flags, ~CALL_CALLER_DELAY, __ATOMIC_RELAXED);
}

void ipi_set_delivery_each(bool each)
{
    if (each)
        __atomic_and_fetch(&send_flags, ~SEND_SHORTHAND, __ATOMIC_RELAXED);
    else
        __atomic_or_fetch(&send_flags, SEND_SHORTHAND, __ATOMIC_RELAXED);
}

void ipi_test_lose_next_ipi_to(uint32_t cpu)
{
    lost_ipi_cpu = cpu;
    __atomic_or_fetch(&send_flags, SEND_LOSE_ONE, __ATOMIC_RELEASE);
}

/* inject=lost-ipi: leaves its CPU out, once (a call it is not in keeps
 * the loss for the next one). */
static void lose_one_ipi(struct cpu_set *others)
{
    if (!cpu_set_has(others, lost_ipi_cpu))
        return;
    kprintf("inject: not sending the call's IPI to CPU %u\n", lost_ipi_cpu);
    cpu_set_remove(others, lost_ipi_cpu);
    __atomic_and_fetch(&send_flags, ~SEND_LOSE_ONE, __ATOMIC_RELAXED);
}

static void send_ipis(const struct call *c, uint32_t self, uint32_t flags)
{
    /* The one-go broadcast reaches every CPU, started or not: use it only
     * when every CPU the firmware listed is online and taking part (and
     * no injection wants one of them left out). */
    if ((flags & (SEND_SHORTHAND | SEND_LOSE_ONE)) == SEND_SHORTHAND &&
        c->count == smp_listed_count() && smp_online_count() == smp_listed_count()) {
        if (arch_send_ipi_all_others(IPI_CALL))
            return;
    }
    struct cpu_set others = c->members;
    cpu_set_remove(&others, self);
    if (flags & SEND_LOSE_ONE)
        lose_one_ipi(&others);
    (void)arch_send_ipi(&others, IPI_CALL); /* a refusal is named there; the barrier times out */
}

enum ipi_status ipi_call_checked(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                                 uintptr_t argument, uintptr_t *result)
{
    struct cpu *me = arch_this_cpu();
    irql_t entry_irql = irql_current();
    if (me->ipi.in_worker) {
        kprintf("ipi: refused: CPU %u called ipi_generic_call from inside a worker\n", me->index);
        return IPI_REFUSED_NESTED;
    }
    if (entry_irql >= IPI_LEVEL) {
        kprintf("ipi: refused: CPU %u called ipi_generic_call at %s; callers must be below "
                "IPI_LEVEL\n",
                me->index, irql_name(entry_irql));
        return IPI_REFUSED_IRQL;
    }

    /* LAB(rendezvous-caller-open) begin: queue, choose the members, publish, send, take part */
    /* LAB(rendezvous-caller) begin: lock, choose, publish, send, take part, unlock */
    /* From here until the lock is released nothing but the rendezvous may
     * delay this CPU, and no interrupt handler of its own may ask for the
     * lock it is queued for: interrupts off, IPI_LEVEL, then the ticket. */
    uint32_t flags = __atomic_load_n(&send_flags, __ATOMIC_ACQUIRE);
    if (flags & CALL_CALLER_DELAY)
        arch_udelay(__atomic_load_n(&caller_delay_us, __ATOMIC_RELAXED));
    bool enabled = arch_interrupts_save_disable();
    irql_t old = irql_raise(IPI_LEVEL);
    acquire_call_lock(me);

    /* Participants are chosen under the lock: a CPU that came online
     * before this point takes part, one that comes later waits for the
     * next call. */
    struct call c = {worker, argument, me->index, 0, {{0}}};
    /* LAB(measuring-open) begin: choose the participants and count them */
    /* LAB(measuring) begin: count the participants as they are chosen */
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        if (i == me->index || targets == NULL || cpu_set_has(targets, i)) {
            cpu_set_add(&c.members, i);
            c.count++; /* counted here: a popcount of the whole set costs more */
        }
    }
    /* LAB(measuring) stub
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        if (i == me->index || targets == NULL || cpu_set_has(targets, i))
            cpu_set_add(&c.members, i);
    }
    c.count = cpu_set_count(&c.members); // a popcount of every word of the MAX_CPUS-bit set
    LAB(measuring) end */
    /* LAB(measuring-open) stub
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (!cpu_online(smp_cpu(i)))
            continue;
        if (i == me->index || targets == NULL || cpu_set_has(targets, i))
            cpu_set_add(&c.members, i);
    }
    c.count = cpu_set_count(&c.members);
    LAB(measuring-open) end */

    if (c.count == 1) {
        /* The caller alone: no CPU to tell, interrupt or wait for, so the
         * call is not published (it has no number) and has no barrier.
         * The lock still keeps its worker apart from every other call's. */
        *result = run_worker(&c, CALL_ALONE, me);
    } else {
        uint64_t seq = current.seq;
        __atomic_store_n(&current.seq, seq + 1, __ATOMIC_RELAXED);
        write_call(&c);
        __atomic_store_n(&current.seq, seq + 2, __ATOMIC_RELEASE);
        uint64_t number = (seq + 2) / 2;

        me->ipi.seen = number;
        trace_mark(me, TRACE_CALL_START, number);
        send_ipis(&c, me->index, flags);
        trace_mark(me, TRACE_IPI_SENT, number);
        take_part(&c, number, me);
        *result = me->ipi.result;
        trace_mark(me, TRACE_CALL_END, number);
    }

    release_call_lock();
    irql_lower(old);
    arch_interrupts_restore(enabled);
    /* LAB(rendezvous-caller) stub
    (void)targets; // the helpers you will want:
    (void)acquire_call_lock;
    (void)release_call_lock;
    (void)write_call;
    (void)send_ipis;
    (void)take_part;
    *result = worker(argument); // only this CPU runs the worker: not a rendezvous
    LAB(rendezvous-caller) end */
    /* LAB(rendezvous-caller-open) stub
    (void)targets;
    (void)me;
    (void)write_call; // the seqlock's writer (read_call is the participants' side)
    (void)send_ipis;
    (void)take_part;
    *result = worker(argument); // only this CPU runs the worker: not a rendezvous
    LAB(rendezvous-caller-open) end */
    return IPI_OK;
}

uintptr_t ipi_generic_call_set(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                               uintptr_t argument)
{
    uintptr_t result = 0;
    enum ipi_status status = ipi_call_checked(targets, worker, argument, &result);
    if (status != IPI_OK)
        panic("ipi_generic_call refused (see above)");
    return result;
}

uintptr_t ipi_generic_call(ipi_broadcast_worker *worker, uintptr_t argument)
{
    return ipi_generic_call_set(NULL, worker, argument);
}
