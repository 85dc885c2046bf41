/*
 * stop.c - one owner for ending the machine (see stop.h).
 *
 * Why one owner: before it, a panic and a rendezvous timeout each stopped
 * the machine on their own. A timeout report sent its NMI to a CPU that
 * was in the middle of its own panic; that CPU halted inside the NMI
 * handler, and the reporter's panic, finding a panic under way, halted
 * too: the machine hung instead of ending. Two CPUs stopping the others
 * at once could stop each other. Now the claim decides, once, which CPU
 * reports and stops the rest; nobody sends an NMI to a CPU that is itself
 * stopping, and a CPU that waits for the owner watches it, so that a
 * stuck owner cannot hang the machine either.
 */
#include "kernel/stop.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/format.h"

#define NOBODY 0

/* The owner's hardware ID plus one (NOBODY: no stop yet). Hardware, not
 * the per-CPU block: a broken GS may be what the report is about. */
static uint32_t owner;
static uint32_t finished;  /* (atomic) 1 once the owner has printed its last line */
static uint64_t progress;  /* (atomic) lines the owner has printed since its claim */
static uint32_t reentries; /* the owner's claims after the first (only it writes) */

static uint32_t my_token(void) { return arch_cpu_hw_id() + 1; }

/* This CPU's struct cpu, found by hardware ID; NULL before the CPUs are
 * counted or for a CPU without a slot. */
static struct cpu *my_cpu(void)
{
    if (smp_this_cpu_index() < 0)
        return NULL;
    uint32_t hw_id = arch_cpu_hw_id();
    for (size_t i = 0; i < smp_cpu_count(); i++)
        if (smp_cpu(i)->hw_id == hw_id)
            return smp_cpu(i);
    return NULL;
}

static uint32_t owner_index(void)
{
    uint32_t hw_id = __atomic_load_n(&owner, __ATOMIC_ACQUIRE) - 1;
    for (size_t i = 0; i < smp_cpu_count(); i++)
        if (smp_cpu(i)->hw_id == hw_id)
            return (uint32_t)i;
    return hw_id;
}

void stop_note_output(void)
{
    uint32_t who = __atomic_load_n(&owner, __ATOMIC_ACQUIRE);
    if (who != NOBODY && who == my_token())
        __atomic_add_fetch(&progress, 1, __ATOMIC_RELEASE);
}

/* The owner prints as it goes; a waiting CPU takes the owner's own output
 * (not another CPU's, which could hide a stuck owner) as the sign that it
 * is still working. */
static noreturn void wait_for_the_owner(struct cpu *me)
{
    uint64_t silence = cycles_from_ms(STOP_SILENCE_MS);
    uint64_t printed = __atomic_load_n(&progress, __ATOMIC_ACQUIRE);
    uint64_t quiet_since = arch_cycles();
    while (arch_cycles() - quiet_since < silence) {
        arch_cpu_relax();
        if (__atomic_load_n(&finished, __ATOMIC_ACQUIRE))
            arch_halt_forever(); /* a PC: the report stays on the screen */
        uint64_t now = __atomic_load_n(&progress, __ATOMIC_ACQUIRE);
        if (now != printed) {
            printed = now;
            quiet_since = arch_cycles();
        }
    }
    /* The owner may hold the console's panic lock for good, and may still
     * run: stop it and the others (best effort), then say why. */
    console_drop_locks();
    smp_stop_other_cpus();
    kprintf("\nstop: the report of CPU %u has printed nothing for %u ms; CPU %d ends the machine "
            "instead. It had come to stop it for: %s\n",
            owner_index(), STOP_SILENCE_MS, me != NULL ? (int)me->index : -1,
            me != NULL ? me->stop.why : "(no record)");
    stop_end();
}

enum stop_role stop_claim_v(const char *prefix, const char *fmt, va_list ap)
{
    arch_interrupts_disable(); /* no call IPI, no timer, from here on */
    uint32_t expected = NOBODY;
    uint32_t mine = my_token();
    if (__atomic_compare_exchange_n(&owner, &expected, mine, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        console_enter_panic_mode();
        return STOP_OWNER;
    }
    if (expected == mine) {
        /* An error in the report of an error: said once. A third means the
         * saying itself fails (a console that faults): end at once. */
        if (++reentries > 1)
            stop_end();
        return STOP_OWNER_AGAIN;
    }
    struct cpu *me = my_cpu();
    if (me != NULL) {
        size_t n = (size_t)fmt_snprintf(me->stop.why, sizeof(me->stop.why), "%s", prefix);
        if (n < sizeof(me->stop.why))
            fmt_vsnprintf(me->stop.why + n, sizeof(me->stop.why) - n, fmt, ap);
        __atomic_store_n(&me->stop.waiting, 1, __ATOMIC_RELEASE);
    }
    wait_for_the_owner(me);
}

enum stop_role stop_claim(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum stop_role role = stop_claim_v("", fmt, ap);
    va_end(ap);
    return role;
}

bool stop_cpu_is_waiting(uint32_t index, const char **why)
{
    struct cpu *c = smp_cpu(index);
    if (c == NULL || !__atomic_load_n(&c->stop.waiting, __ATOMIC_ACQUIRE))
        return false;
    if (why != NULL)
        *why = c->stop.why;
    return true;
}

noreturn void stop_machine(void)
{
    inject_hold_the_stop();    /* inject=panic-racing-timeout: others time out meanwhile */
    ipi_report_if_in_worker(); /* a fault in a worker: which call */
    smp_stop_other_cpus();     /* nothing else runs while the report is read */
    for (size_t i = 0; i < smp_cpu_count(); i++) {
        const char *why;
        if (stop_cpu_is_waiting((uint32_t)i, &why))
            kprintf("stop: CPU %zu had come to stop the kernel too: %s\n", i, why);
    }
    kprintf("kernel stopped.\n");
    __atomic_store_n(&finished, 1, __ATOMIC_RELEASE);
    stop_end();
}

noreturn void stop_end(void)
{
    if (ktest_mode_active())
        arch_vm_exit(KTEST_EXIT_CRASH);
    arch_halt_forever();
}
