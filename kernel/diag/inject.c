/*
 * inject.c - deliberate failures for testing the failure paths.
 */
#include "kernel/diag/inject.h"
#include "kernel/smp/atomic.h"

#include "kernel/arch.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/firmware/madt.h"
#include "kernel/panic.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/irql.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"
#include "kernel/time.h"
#include "lib/string.h"

#define RECURSE_FRAME_BYTES 256

unsigned inject_recurse(unsigned depth, unsigned limit)
{
    volatile char pad[RECURSE_FRAME_BYTES];
    pad[0] = (char)depth;
    if (depth >= limit)
        return pad[0];
    /* Not a tail call: the addition after it keeps every frame alive. */
    return inject_recurse(depth + 1, limit) + pad[0];
}

/* Writes past the end of a local array, over the canary the stack
 * protector put below the return address: the check in the epilogue must
 * report this function by name. Where the canary sits above the array
 * depends on the compiler (gcc: right above it; clang: after padding), so
 * it is found first, and only it is overwritten: the frame pointer and the
 * return address stay whole for the report's backtrace. */
#define SMASH_SEARCH_BYTES 64
extern uintptr_t __stack_chk_guard;
__attribute__((noinline)) unsigned inject_smash_stack(void)
{
    volatile unsigned char buffer[16] = {0};
    /* Through a pointer the compiler cannot follow, as a real overflow's
     * would be (else it refuses to build an out-of-bounds index). */
    volatile unsigned char *volatile past = buffer;
    for (unsigned at = sizeof(buffer); at + sizeof(uintptr_t) <= SMASH_SEARCH_BYTES; at++) {
        uintptr_t word = 0;
        for (unsigned i = 0; i < sizeof(word); i++)
            word |= (uintptr_t)past[at + i] << (8 * i);
        if (word == __stack_chk_guard) {
            past[at] ^= 0xA5; /* the overflow */
            break;
        }
    }
    return buffer[0];
}

/* A signed overflow, which C leaves undefined: a kernel built with
 * SANITIZE=1 must stop here and name this file and line. */
__attribute__((noinline)) int inject_signed_overflow(volatile int big) { return big + big; }

static const char *const kind_names[] = {[INJECT_NONE] = "",
#define INJECT_KIND_NAME(kind, name) [kind] = name,
                                         INJECT_KINDS(INJECT_KIND_NAME)
#undef INJECT_KIND_NAME
};
#define KIND_COUNT (sizeof(kind_names) / sizeof(kind_names[0]))

const char *inject_name(enum inject_kind kind)
{
    return (size_t)kind < KIND_COUNT ? kind_names[kind] : "";
}

/* What inject= asks for: looked up each time, since the steps that ask
 * come before and after the console, from any CPU. */
static enum inject_kind requested_kind(void)
{
    const char *value = boot_options.inject;
    for (size_t kind = 1; value != NULL && kind < KIND_COUNT; kind++)
        if (strcmp(value, kind_names[kind]) == 0)
            return (enum inject_kind)kind;
    return INJECT_NONE;
}

bool inject_requested(enum inject_kind kind)
{
    return kind != INJECT_NONE && requested_kind() == kind;
}

/* Whether kind acts where the boot comes to what it breaks, rather than
 * at once. Every kind is listed: a new one does not build until it is. */
static bool acts_later(enum inject_kind kind)
{
    switch (kind) {
    case INJECT_NONE:
    case INJECT_TEST_FAIL:
    case INJECT_BAD_MADT:
    case INJECT_PHANTOM_CPU:
    case INJECT_STUCK_CPU:
    case INJECT_STUCK_CPU_PRINTING:
    case INJECT_IRQL_MISUSE:
    case INJECT_NO_LOW_MEMORY:
    case INJECT_LATE_AP:
    case INJECT_STUCK_IN_WORKER:
    case INJECT_WORKER_PAGE_FAULT:
    case INJECT_WORKER_INVALID_OPCODE:
    case INJECT_PANIC_IN_WORKER:
    case INJECT_LOST_IPI:
    case INJECT_WORKER_FAULT_IN_TRY_CALL:
    case INJECT_PANIC_RACING_TIMEOUT:
    case INJECT_PANIC_DURING_CALLS:
    case INJECT_WORKER_FAULT_ON_EVERY_CPU:
    case INJECT_RENUMBERED_BOOT_CPU:
    case INJECT_EARLY_NMI: return true;
    case INJECT_PANIC:
    case INJECT_STACK_OVERFLOW:
    case INJECT_STACK_SMASH:
    case INJECT_UNDEFINED_BEHAVIOUR:
    case INJECT_FAULT_IN_KPRINTF:
    case INJECT_TRIPLE_FAULT:
    case INJECT_HANG: return false;
    }
    return true;
}

void inject_now(void)
{
    enum inject_kind requested = requested_kind();
    if (acts_later(requested))
        return;
    kprintf("inject: %s\n", inject_name(requested));
    if (requested == INJECT_PANIC)
        panic("injected panic (inject=panic)");
    if (requested == INJECT_STACK_OVERFLOW)
        inject_recurse(0, ~0u);
    if (requested == INJECT_STACK_SMASH)
        inject_smash_stack();
    if (requested == INJECT_UNDEFINED_BEHAVIOUR) {
        int sum = inject_signed_overflow(0x7FFFFFFF);
        kprintf("inject: the signed overflow gave %d (this kernel has no SANITIZE=1 checks)\n",
                sum);
    }
    if (requested == INJECT_FAULT_IN_KPRINTF) {
        /* A %s argument that points nowhere: the fault comes inside
         * kprintf, with the console lock held, as a wrong argument's
         * would. The report must not wait for that lock. */
        kprintf("inject: printing from an unmapped page: %s\n",
                (const char *)arch_boot_stack_guard());
    }
    if (requested == INJECT_TRIPLE_FAULT)
        arch_triple_fault();
    if (requested == INJECT_HANG) {
        kprintf("inject: halting forever with interrupts off\n");
        arch_halt_forever();
    }
}

/* Spins with interrupts off and never answers an IPI: the NMI report of
 * the rendezvous timeout must name this function. */
static void inject_stuck_spin(void *unused)
{
    (void)unused;
    arch_interrupts_disable();
    kprintf("inject: CPU %u now spins with interrupts off\n", arch_this_cpu()->index);
    volatile uint64_t spins = 0;
    for (;;) /* no call inside: the NMI finds this very function */
        spins++;
}

/* The same, but stuck in the middle of printing: it holds the console
 * lock, which the timeout report must not wait for. */
static void inject_stuck_printing_spin(void *unused)
{
    (void)unused;
    arch_interrupts_disable();
    kprintf("inject: CPU %u now spins with interrupts off, holding the console lock\n",
            arch_this_cpu()->index);
    console_hold_lock_forever();
    volatile uint64_t spins = 0;
    for (;;)
        spins++;
}

static uintptr_t inject_noop_worker(uintptr_t argument) { return argument; }

#define EARLY_NMI_WAIT_US 100000

bool inject_firmware_extended_apic(void) { return arch_test_firmware_enables_extended_apic(); }

void inject_before_smp(struct madt_info *madt)
{
    if (inject_requested(INJECT_NO_LOW_MEMORY)) {
        arch_test_withhold_low_memory();
        return;
    }
    if (inject_requested(INJECT_EARLY_NMI)) {
        /* A watchdog's or a button's NMI, before the CPUs are counted: it
         * must be said and survived, not taken for a fatal exception. */
        kprintf("inject: sending the boot CPU an NMI before the CPUs are started\n");
        if (!arch_test_nmi_to_self())
            kprintf("inject: early-nmi: the NMI could not be sent\n");
        arch_udelay(EARLY_NMI_WAIT_US);
        kprintf("inject: the boot goes on after the NMI\n");
        return;
    }
    if (!inject_requested(INJECT_RENUMBERED_BOOT_CPU))
        return;
    uint32_t old_id = arch_cpu_hw_id(), new_id = 0;
    for (size_t i = 0; i < madt->cpu_count; i++) /* one no CPU has */
        if (madt->cpus[i].hw_id >= new_id)
            new_id = madt->cpus[i].hw_id + 1;
    if (!arch_test_set_hw_id(new_id)) {
        kprintf("inject: renumbered-boot-cpu: this APIC's ID cannot be written (x2APIC mode?)\n");
        return;
    }
    for (size_t i = 0; i < madt->cpu_count; i++)
        if (madt->cpus[i].hw_id == old_id)
            madt->cpus[i].hw_id = new_id;
    kprintf("inject: the boot CPU's APIC ID is now %u, in its APIC and in the MADT's copy; its "
            "CPUID still reports the ID it was reset with\n",
            new_id);
}

void inject_before_check_in(uint32_t cpu_index)
{
    /* Three times the deadline: the boot CPU has given up on it long before. */
    if (cpu_index == 1 && inject_requested(INJECT_LATE_AP))
        arch_udelay(3 * boot_options.ap_timeout_ms * 1000);
}

/* The CPU that injections pick to go wrong: the last one online, other than
 * the caller (the last slot of the table may never have come online, with
 * maxcpus= or a CPU that did not answer). The caller's index if none. */
static uint32_t victim_cpu(void)
{
    uint32_t me = arch_this_cpu()->index;
    for (size_t i = smp_cpu_count(); i-- > 0;)
        if (i != me && cpu_online(smp_cpu((uint32_t)i)))
            return (uint32_t)i;
    return me;
}

/* Workers that go wrong on one CPU, the victim (argument: its index). */
static uintptr_t inject_stuck_worker(uintptr_t victim)
{
    if (arch_this_cpu()->index == victim) {
        volatile uint64_t spins = 0;
        for (;;) /* interrupts are off in a worker: only an NMI gets in */
            spins++;
    }
    return 0;
}

static uintptr_t inject_page_fault_worker(uintptr_t victim)
{
    if (arch_this_cpu()->index == victim)
        return atomic_load_relaxed((const uintptr_t *)arch_boot_stack_guard()); /* never mapped */
    return 0;
}

static uintptr_t inject_invalid_opcode_worker(uintptr_t victim)
{
    if (arch_this_cpu()->index == victim)
        arch_test_invalid_opcode();
    return 0;
}

static uintptr_t inject_panic_worker(uintptr_t victim)
{
    if (arch_this_cpu()->index == victim)
        panic("injected panic in a rendezvous worker (inject=%s)", inject_name(requested_kind()));
    return 0;
}

static uintptr_t inject_fault_everywhere_worker(uintptr_t unused)
{
    (void)unused;
    return atomic_load_relaxed((const uintptr_t *)arch_boot_stack_guard()); /* a buggy worker */
}

/* inject=worker-fault-in-try-call: the victim is inside arch_try_call,
 * with interrupts on, when the call's IPI comes, and its worker
 * page-faults in the IPI handler. That fault is the worker's, not the
 * try-call's: it must stop the kernel like any worker's fault, with the
 * call named. Resumed into the try-call instead, it would leave the
 * handler without its EOI and the CPU marked as inside the worker. */
static uint32_t victim_in_try_call; /* (atomic) */
#define VICTIM_WAIT_MS 1000

static void spin_until_the_call(void *unused)
{
    (void)unused;
    __atomic_store_n(&victim_in_try_call, 1, __ATOMIC_RELEASE);
    for (;;) /* posted work runs with interrupts on: the call's IPI gets in */
        arch_cpu_relax();
}

static void sit_in_a_try_call(void *unused)
{
    (void)unused;
    struct arch_fault fault;
    int vector = arch_try_call(spin_until_the_call, NULL, &fault);
    panic("inject: CPU %u's arch_try_call caught vector %d raised in an interrupt handler",
          arch_this_cpu()->index, vector);
}

static bool put_in_a_try_call(uint32_t victim)
{
    if (!smp_post_work(smp_cpu(victim), sit_in_a_try_call, NULL))
        return false;
    for (unsigned ms = 0; ms < VICTIM_WAIT_MS; ms++) {
        if (__atomic_load_n(&victim_in_try_call, __ATOMIC_ACQUIRE))
            return true;
        arch_udelay(1000);
    }
    return false;
}

/* The injections that go wrong inside a call: which worker, how many
 * CPUs they need. */
static const struct {
    enum inject_kind kind;
    ipi_broadcast_worker *worker;
    size_t cpus;
} call_faults[] = {
    {INJECT_STUCK_IN_WORKER, inject_stuck_worker, 2},
    {INJECT_WORKER_PAGE_FAULT, inject_page_fault_worker, 2},
    {INJECT_WORKER_INVALID_OPCODE, inject_invalid_opcode_worker, 2},
    {INJECT_PANIC_IN_WORKER, inject_panic_worker, 2},
    {INJECT_WORKER_FAULT_IN_TRY_CALL, inject_page_fault_worker, 2},
    {INJECT_LOST_IPI, inject_noop_worker, 3},
    {INJECT_PANIC_RACING_TIMEOUT, inject_panic_worker, 3},
    {INJECT_WORKER_FAULT_ON_EVERY_CPU, inject_fault_everywhere_worker, 2},
};

/* inject=panic-racing-timeout: the victim's panic holds its report back
 * until another CPU of the call has timed out and come to stop the kernel
 * too; that order, made certain. inject=panic-during-calls: the same hold
 * shows that the panicking CPU takes no more calls (interrupts off), so
 * the calling CPU's next call times out. */
#define HOLD_EXTRA_MS 2000
void inject_hold_the_stop(void)
{
    if (!inject_requested(INJECT_PANIC_RACING_TIMEOUT) &&
        !inject_requested(INJECT_PANIC_DURING_CALLS))
        return;
    kprintf("inject: holding the stop until another CPU comes to stop the kernel\n");
    uint64_t deadline = arch_cycles() + cycles_from_ms(2 * ipi_timeout_ms() + HOLD_EXTRA_MS);
    while (!cycles_past(deadline)) {
        for (size_t i = 0; i < smp_cpu_count(); i++)
            if (stop_cpu_is_waiting((uint32_t)i, NULL))
                return;
        arch_cpu_relax();
    }
    kprintf("inject: no other CPU came to stop the kernel\n");
}

/* inject=panic-during-calls: the victim panics from posted work, with
 * interrupts on, while CPU 0 calls the rendezvous again and again; the
 * panic must not take a call's IPI while it stops the others. */
#define CALLS_BEFORE_THE_PANIC 20
#define CALLS_AT_MOST 100000
static uint64_t calls_made; /* (atomic) */

static void panic_after_some_calls(void *unused)
{
    (void)unused;
    while (__atomic_load_n(&calls_made, __ATOMIC_ACQUIRE) < CALLS_BEFORE_THE_PANIC)
        arch_cpu_relax(); /* interrupts on: it takes part in the calls */
    panic("injected panic during calls (inject=panic-during-calls)");
}

static void call_until_stopped(uint32_t victim)
{
    if (!smp_post_work(smp_cpu(victim), panic_after_some_calls, NULL)) {
        kprintf("inject: CPU %u took no work\n", victim);
        return;
    }
    kprintf("inject: CPU %u panics during CPU %u's calls\n", victim, arch_this_cpu()->index);
    for (uint64_t i = 0; i < CALLS_AT_MOST; i++) {
        ipi_generic_call(inject_noop_worker, i);
        __atomic_add_fetch(&calls_made, 1, __ATOMIC_ACQ_REL);
    }
    kprintf("inject: %u calls returned; the panic did not stop the kernel\n", CALLS_AT_MOST);
}

void inject_after_smp(void)
{
    for (size_t i = 0; i < sizeof(call_faults) / sizeof(call_faults[0]); i++) {
        enum inject_kind kind = call_faults[i].kind;
        if (!inject_requested(kind))
            continue;
        if (smp_online_count() < call_faults[i].cpus) {
            kprintf("inject: %s needs %zu CPUs\n", inject_name(kind), call_faults[i].cpus);
            return;
        }
        uint32_t victim = victim_cpu();
        if (kind == INJECT_LOST_IPI)
            ipi_test_lose_next_ipi_to(victim); /* decided here, so the send path tests nothing */
        if (kind == INJECT_WORKER_FAULT_IN_TRY_CALL && !put_in_a_try_call(victim)) {
            kprintf("inject: CPU %u did not get into arch_try_call\n", victim);
            return;
        }
        kprintf("inject: %s on CPU %u, in a call from CPU %u\n", inject_name(kind), victim,
                arch_this_cpu()->index);
        ipi_generic_call(call_faults[i].worker, victim);
        kprintf("inject: the call returned; %s did not stop the kernel\n", inject_name(kind));
        return;
    }
    if (inject_requested(INJECT_PANIC_DURING_CALLS)) {
        if (smp_online_count() < 2)
            kprintf("inject: panic-during-calls needs 2 CPUs\n");
        else
            call_until_stopped(victim_cpu());
        return;
    }
    if (inject_requested(INJECT_IRQL_MISUSE)) {
        kprintf("inject: raising to DISPATCH_LEVEL, then \"raising\" to PASSIVE_LEVEL\n");
        irql_raise(DISPATCH_LEVEL);
        irql_raise(PASSIVE_LEVEL);
    }
    bool printing = inject_requested(INJECT_STUCK_CPU_PRINTING);
    if (inject_requested(INJECT_STUCK_CPU) || printing) {
        struct cpu *victim = smp_cpu(victim_cpu());
        kprintf("inject: calling the rendezvous; CPU %u will not come\n", victim->index);
        if (smp_online_count() < 2 ||
            !smp_post_work(victim, printing ? inject_stuck_printing_spin : inject_stuck_spin,
                           NULL)) {
            kprintf("inject: stuck-cpu needs a second CPU\n");
            return;
        }
        arch_udelay(100000); /* let it get stuck */
        ipi_generic_call(inject_noop_worker, 42);
    }
}
