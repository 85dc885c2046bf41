/*
 * interrupts.c - kernel/arch.h's timer and the bounded wait for a wake-up,
 * and the local APIC's interrupt handlers that lead into the kernel (the
 * interrupt flag and the task priority are priority.c's).
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"

static uint64_t spurious_count;

uint64_t arch_spurious_interrupts(void) { return atomic_load_relaxed(&spurious_count); }

/* The APIC delivers its spurious vector when an interrupt it was about to
 * deliver went away (the priority rose in between). Harmless, but worth
 * knowing about once: counted always, reported the first time. */
static void spurious_interrupt(struct trap_frame *frame)
{
    (void)frame; /* no EOI for a spurious interrupt (SDM vol. 3A §11.9) */
    if (__atomic_fetch_add(&spurious_count, 1, __ATOMIC_RELAXED) == 0)
        kprintf("apic: a spurious interrupt on CPU %u (counted; only the first is reported)\n",
                arch_this_cpu()->index);
}

static void probe_interrupt(struct trap_frame *frame)
{
    (void)frame;
    smp_probe_interrupt();
    lapic_eoi();
}

static void apic_error_interrupt(struct trap_frame *frame)
{
    (void)frame;
    lapic_write(LAPIC_REG_ESR, 0);
    kprintf("apic: error interrupt on APIC ID %u, ESR %#x\n", lapic_id(),
            lapic_read(LAPIC_REG_ESR));
    lapic_eoi();
}

static void call_interrupt(struct trap_frame *frame)
{
    (void)frame;
    kernel_call_interrupt();
    lapic_eoi();
}

/* Only ends the halt in arch_wait_for_wake. */
static void wake_interrupt(struct trap_frame *frame)
{
    (void)frame;
    lapic_eoi();
}

bool arch_can_wait_for_wake(void) { return lapic_active() && !cpu_words()->timer_in_use; }

/* The bound is an eighth of the time the waiter has left. The timer's rate
 * was measured once, on the boot CPU, against the TSC that the waiter's
 * deadline is kept in, and under a loaded hypervisor that measurement was
 * seen to be off by more than twice: a bound of the whole time left fired
 * well after the deadline. An eighth stays before it for any error below
 * eight times; the waiter then looks at the TSC and sleeps again for an
 * eighth of what is left, so a long wait costs a few dozen wake-ups. */
#define WAKE_BOUND_FRACTION 8

bool arch_wait_for_wake(uint64_t max_us)
{
    /* The bound is a one-shot of the APIC timer on the wake vector (the
     * timer's own class is below IPI_LEVEL and would not get through). */
    uint64_t ticks = lapic_timer_ticks_per_ms() * max_us / US_PER_MS / WAKE_BOUND_FRACTION;
    if (ticks == 0)
        return false; /* too short to bound: the caller looks again */
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_REG_LVT_TIMER, VECTOR_IPI_WAKE);
    lapic_write(LAPIC_REG_TIMER_INITIAL, ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)ticks);
    /* The hardware must hold the current level while halted, or an
     * interrupt this level masks would come in; sti's one-instruction delay
     * keeps a wake that is already pending from being taken before hlt. */
    priority_sync();
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    /* A one-shot count stops at zero (SDM vol. 3A, 11.5.4): zero means the
     * bound ran out, whatever else came with it. */
    bool bound = lapic_read(LAPIC_REG_TIMER_CURRENT) == 0;
    lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_TIMER);
    return bound;
}

static void timer_interrupt(struct trap_frame *frame)
{
    (void)frame;
    kernel_timer_interrupt();
    lapic_eoi();
}

bool arch_apic_init(enum apic_request requested, uint64_t controller_address,
                    bool firmware_opts_out)
{
    trap_set_handler(VECTOR_IPI_CALL, call_interrupt);
    trap_set_handler(VECTOR_TIMER, timer_interrupt);
    trap_set_handler(VECTOR_SPURIOUS, spurious_interrupt);
    trap_set_handler(VECTOR_IPI_PROBE, probe_interrupt);
    trap_set_handler(VECTOR_IPI_WAKE, wake_interrupt);
    trap_set_handler(VECTOR_APIC_ERROR, apic_error_interrupt);
    return lapic_init_bsp(requested, controller_address, firmware_opts_out);
}

const char *arch_apic_mode_name(void) { return lapic_mode_name(); }
bool arch_apic_present(void) { return lapic_active(); }

void arch_timer_start(unsigned ms)
{
    cpu_words()->timer_in_use = ms != 0;
    if (ms == 0) {
        lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_TIMER);
        lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
        return;
    }
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_TIMER_PERIODIC | VECTOR_TIMER);
    uint64_t count = lapic_timer_ticks_per_ms() * ms;
    lapic_write(LAPIC_REG_TIMER_INITIAL, count > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)count);
}
