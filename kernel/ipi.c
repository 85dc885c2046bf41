/*
 * ipi.c - the rendezvous (see ipi.h for the contract, docs/rendezvous.md
 * for the protocol and why it cannot deadlock).
 *
 * One call runs at a time, system-wide: the caller owns call_lock from
 * before it publishes the call until every participant has passed the
 * second barrier. The call itself is described in `current`, published
 * like a seqlock (odd sequence while it is written), so a CPU that looks
 * for work without holding anything never reads a half-written call.
 */
#include "kernel/ipi.h"

#include "kernel/arch.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/irql.h"
#include "kernel/ksyms.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "lib/string.h"

#define DEFAULT_TIMEOUT_MS 10000   /* long enough for -smp 8 on two host cores */
#define NMI_ACK_TIMEOUT_MS 1000
#define LOCK_CHECK_CLOCK_EVERY 64
#define MS_PER_S 1000u

enum phase { PHASE_ARRIVAL = 0, PHASE_COMPLETION = 1 };
static const char *const phase_name[] = {"arrival (before the worker)",
                                         "completion (after the worker)"};

struct call {
    ipi_broadcast_worker *worker;
    uintptr_t argument;
    uint32_t caller;           /* CPU index */
    uint32_t count;            /* participants */
    struct cpu_set members;
};

static struct {
    uint64_t seq;              /* 2 * call number, +1 while being written */
    struct call call;
} current __attribute__((aligned(CACHE_LINE)));

static struct spinlock call_lock __attribute__((aligned(CACHE_LINE)));
static enum barrier_kind barrier = BARRIER_CENTRAL;
static uint64_t timeout_ms = DEFAULT_TIMEOUT_MS;
static uint32_t reporting;     /* 1 once a CPU has started a timeout report */

enum barrier_kind ipi_barrier_kind(void) { return barrier; }
uint64_t ipi_timeout_ms(void) { return timeout_ms; }
uint64_t ipi_calls_started(void) { return __atomic_load_n(&current.seq, __ATOMIC_ACQUIRE) / 2; }

static uint64_t ms_to_cycles(uint64_t ms) { return ms * (arch_cycles_per_second() / MS_PER_S); }

void ipi_init(void)
{
    const char *name = cmdline_value(&boot_cmdline, "barrier", "central");
    if (!barrier_kind_parse(name, &barrier))
        kprintf("warning: unknown barrier=%s (known: central dissemination); using central\n",
                name);
    const char *ms = cmdline_value(&boot_cmdline, "ipi_timeout_ms", NULL);
    if (ms != NULL) {
        uint64_t v = 0;
        bool ok = *ms != '\0';
        for (const char *p = ms; *p != '\0' && ok; p++) {
            ok = *p >= '0' && *p <= '9' && v < 100000000;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (ok && v > 0)
            timeout_ms = v;
        else
            kprintf("warning: ipi_timeout_ms=%s is not a positive number; using %llu\n", ms,
                    (unsigned long long)timeout_ms);
    }
    kprintf("ipi: barrier=%s, timeout %llu ms\n", barrier_kind_name(barrier),
            (unsigned long long)timeout_ms);
}

/* The call is published like a seqlock, word by word with atomics: a
 * reader may race with the next caller's writes, and the sequence check
 * then discards its copy. The reader's acquire loads keep its second look
 * at the sequence after the copy; the writer's release stores keep its
 * "being written" mark before the new words (C11 7.17.3). */
#define CALL_WORDS (sizeof(struct call) / sizeof(uint64_t))
_Static_assert(sizeof(struct call) % sizeof(uint64_t) == 0, "struct call is whole words");

static void read_call(struct call *dst)
{
    const uint64_t *from = (const uint64_t *)(const void *)&current.call;
    uint64_t *to = (uint64_t *)(void *)dst;
    for (size_t i = 0; i < CALL_WORDS; i++)
        to[i] = __atomic_load_n(&from[i], __ATOMIC_ACQUIRE);
}

static void write_call(const struct call *src)
{
    const uint64_t *from = (const uint64_t *)(const void *)src;
    uint64_t *to = (uint64_t *)(void *)&current.call;
    for (size_t i = 0; i < CALL_WORDS; i++)
        __atomic_store_n(&to[i], from[i], __ATOMIC_RELEASE);
}

/* ---- what goes wrong ---- */

static const char *symbol(uintptr_t addr)
{
    const char *name;
    uintptr_t offset;
    return ksym_lookup(addr, &name, &offset) ? name : "(unknown)";
}

/* A participant waited too long at a barrier: say who is missing, have each
 * missing CPU say where it is (by NMI), and stop. Only the first CPU to
 * time out reports; the others wait for the stop. */
static noreturn void report_timeout(const struct call *c, uint64_t number, enum phase phase,
                                    uint64_t episode)
{
    struct cpu *me = arch_this_cpu();
    if (__atomic_exchange_n(&reporting, 1, __ATOMIC_ACQ_REL) != 0)
        arch_halt_forever();
    kprintf("\nipi: call #%llu (worker %s, argument %#lx, from CPU %u) timed out: CPU %u "
            "waited %llu ms at the %s barrier\n", (unsigned long long)number,
            symbol((uintptr_t)c->worker), (unsigned long)c->argument, c->caller, me->index,
            (unsigned long long)timeout_ms, phase_name[phase]);
    kprintf("ipi: missing:");
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *cpu = smp_cpu(i);
        if (cpu_set_has(&c->members, i) && cpu->ipi.arrived[phase] < episode)
            kprintf(" CPU %u (APIC ID %u)", i, cpu->apic_id);
    }
    kprintf("\n");
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        struct cpu *cpu = smp_cpu(i);
        if (!cpu_set_has(&c->members, i) || cpu->ipi.arrived[phase] >= episode)
            continue;
        kprintf("ipi: sending an NMI to CPU %u to see where it is\n", i);
        cpu->ipi.nmi_request = NMI_REPORT;
        uint64_t start = arch_cycles();
        bool acked = arch_send_nmi(cpu->apic_id);
        while (acked && !__atomic_load_n(&cpu->ipi.nmi_ack, __ATOMIC_ACQUIRE)) {
            if (arch_cycles() - start > ms_to_cycles(NMI_ACK_TIMEOUT_MS)) {
                acked = false;
                break;
            }
            arch_cpu_relax();
        }
        if (!acked)
            kprintf("ipi: CPU %u did not answer the NMI either\n", i);
    }
    panic("ipi: the rendezvous timed out (ipi_timeout_ms=%llu); stopping",
          (unsigned long long)timeout_ms);
}

bool ipi_nmi(uintptr_t pc, uintptr_t fp)
{
    struct cpu *me = arch_this_cpu();
    uint32_t request = me->ipi.nmi_request;
    if (request == NMI_NONE)
        return false;
    if (request == NMI_REPORT) {
        const char *name;
        uintptr_t offset;
        bool known = ksym_lookup(pc, &name, &offset);
        kprintf("nmi: CPU %u (APIC ID %u) was at %#lx %s+%#lx%s\n", me->index, me->apic_id,
                (unsigned long)pc, known ? name : "?", (unsigned long)(known ? offset : 0),
                me->ipi.in_worker ? ", inside the worker" : "");
        arch_print_backtrace_from(pc, false, fp);
    }
    __atomic_store_n(&me->ipi.nmi_ack, 1, __ATOMIC_RELEASE);
    arch_halt_forever(); /* the kernel is stopping */
}

/* ---- taking part ---- */

/* Copies the newest call if this CPU has not looked at it yet. */
static bool snapshot_new_call(struct cpu *me, struct call *out, uint64_t *number)
{
    for (;;) {
        uint64_t s1 = __atomic_load_n(&current.seq, __ATOMIC_ACQUIRE);
        if (s1 / 2 <= me->ipi.seen)
            return false;
        if (s1 & 1) { /* being written */
            arch_cpu_relax();
            continue;
        }
        read_call(out);
        if (__atomic_load_n(&current.seq, __ATOMIC_RELAXED) == s1) {
            *number = s1 / 2;
            return true;
        }
    }
}

static void wait_phase(const struct call *c, uint64_t number, enum phase phase, struct cpu *me,
                       uint32_t rank)
{
    uint64_t episode = number * 2 + phase;
    __atomic_store_n(&me->ipi.arrived[phase], episode, __ATOMIC_RELEASE);
    if (!barrier_wait(barrier, episode, rank, c->count, ms_to_cycles(timeout_ms)))
        report_timeout(c, number, phase, episode);
}

/* Runs one call on this CPU: at IPI_LEVEL, interrupts off, from a private
 * copy of the call (the shared one is rewritten by the next caller as soon
 * as the last participant has left the second barrier). */
static void take_part(const struct call *c, uint64_t number, struct cpu *me)
{
    uint32_t rank = cpu_set_rank(&c->members, me->index);
    me->ipi.served = number;
    wait_phase(c, number, PHASE_ARRIVAL, me, rank);
    me->ipi.in_worker = true;
    uintptr_t result = c->worker(c->argument);
    me->ipi.in_worker = false;
    me->ipi.result = result;
    me->ipi.worker_runs++;
    wait_phase(c, number, PHASE_COMPLETION, me, rank);
}

/* Takes part in the newest call if it includes this CPU and it has not
 * done so already. Must run at IPI_LEVEL with interrupts off. */
static void serve_pending_call(struct cpu *me)
{
    struct call c;
    uint64_t number;
    if (!snapshot_new_call(me, &c, &number))
        return;
    me->ipi.seen = number;
    if (cpu_set_has(&c.members, me->index) && me->ipi.served < number)
        take_part(&c, number, me);
}

void kernel_call_interrupt(void)
{
    /* arch runs this handler at IPI_LEVEL with interrupts off. A late IPI
     * for a call this CPU already served by polling finds nothing new. */
    serve_pending_call(arch_this_cpu());
}

/* Polls for a call while this CPU waits for call_lock: the only way to
 * answer it when interrupts are off. */
static void serve_while_waiting(struct cpu *me)
{
    /* The cheap look first: changing the IRQL writes CR8, which some
     * hypervisors trap, and this runs on every turn of the wait. */
    if (__atomic_load_n(&current.seq, __ATOMIC_ACQUIRE) / 2 <= me->ipi.seen)
        return;
    bool enabled = arch_interrupts_save_disable();
    irql_t old = irql_raise(IPI_LEVEL);
    serve_pending_call(me);
    irql_lower(old);
    arch_interrupts_restore(enabled);
}

static void acquire_call_lock(struct cpu *me)
{
    /* Twice the barrier bound: a stuck call is reported by its own
     * participants first. */
    uint64_t limit = 2 * ms_to_cycles(timeout_ms);
    uint64_t start = arch_cycles();
    for (uint32_t tries = 0; !spin_lock_bounded(&call_lock, 0); tries++) {
        serve_while_waiting(me);
        if (tries % LOCK_CHECK_CLOCK_EVERY == 0 && arch_cycles() - start > limit) {
            panic("ipi: CPU %u waited %llu ms to start a call; call #%llu from CPU %u still "
                  "holds the rendezvous", me->index, (unsigned long long)(2 * timeout_ms),
                  (unsigned long long)(current.seq / 2), current.call.caller);
        }
        arch_cpu_relax();
    }
}

/* ---- calling ---- */

static void send_ipis(const struct call *c, uint32_t self, bool everyone)
{
    /* The shorthand reaches every APIC, started or not: use it only when
     * every CPU the firmware listed is online and taking part. */
    if (everyone && smp_online_count() == smp_cpu_count() && c->count == smp_cpu_count()) {
        if (arch_send_call_ipi_all_but_self())
            return;
    }
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (i != self && cpu_set_has(&c->members, i) && !arch_send_call_ipi(smp_cpu(i)->apic_id))
            kprintf("ipi: the APIC did not accept the IPI for CPU %u\n", i);
    }
}

enum ipi_status ipi_call_checked(const struct cpu_set *targets, ipi_broadcast_worker *worker,
                                 uintptr_t argument, uintptr_t *result)
{
    struct cpu *me = arch_this_cpu();
    irql_t entry_irql = irql_current();
    if (me->ipi.in_worker) {
        kprintf("ipi: refused: CPU %u called ipi_generic_call from inside a worker\n",
                me->index);
        return IPI_REFUSED_NESTED;
    }
    if (entry_irql >= IPI_LEVEL) {
        kprintf("ipi: refused: CPU %u called ipi_generic_call at %s; callers must be below "
                "IPI_LEVEL\n", me->index, irql_name(entry_irql));
        return IPI_REFUSED_IRQL;
    }

    struct call c = {worker, argument, me->index, 0, {{0}}};
    bool everyone = true;
    for (uint32_t i = 0; i < smp_cpu_count(); i++) {
        if (smp_cpu(i)->state != CPU_ONLINE)
            continue;
        if (i == me->index || targets == NULL || cpu_set_has(targets, i))
            cpu_set_add(&c.members, i);
        else
            everyone = false;
    }
    c.count = cpu_set_count(&c.members);

    acquire_call_lock(me);
    /* From here nothing but the rendezvous may delay this CPU: interrupts
     * off, IPI_LEVEL, before the others are asked to spin. */
    bool enabled = arch_interrupts_save_disable();
    irql_t old = irql_raise(IPI_LEVEL);

    uint64_t seq = current.seq;
    __atomic_store_n(&current.seq, seq + 1, __ATOMIC_RELAXED);
    write_call(&c);
    __atomic_store_n(&current.seq, seq + 2, __ATOMIC_RELEASE);
    uint64_t number = (seq + 2) / 2;

    me->ipi.seen = number;
    send_ipis(&c, me->index, everyone);
    take_part(&c, number, me);
    *result = me->ipi.result;

    spin_unlock(&call_lock);
    irql_lower(old);
    arch_interrupts_restore(enabled);
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
