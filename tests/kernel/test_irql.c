/*
 * test_irql.c - the IRQL is the APIC task priority: raising it really holds
 * interrupts back.
 */
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/irql.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"

KTEST(irql, raise_and_lower_round_trip)
{
    EXPECT_EQ(t, PASSIVE_LEVEL, irql_current());
    irql_t old = irql_raise(DISPATCH_LEVEL);
    EXPECT_EQ(t, PASSIVE_LEVEL, old);
    EXPECT_EQ(t, DISPATCH_LEVEL, irql_current());
    irql_t mid = irql_raise(HIGH_LEVEL);
    EXPECT_EQ(t, DISPATCH_LEVEL, mid);
    irql_lower(mid);
    irql_lower(old);
    EXPECT_EQ(t, PASSIVE_LEVEL, irql_current());
}

/* Waits up to ms for a timer tick on this CPU, interrupts on; returns as
 * soon as one comes. */
static bool tick_arrives(unsigned ms)
{
    struct cpu *self = arch_this_cpu();
    uint64_t before = self->timer_ticks;
    uint64_t start = arch_cycles();
    uint64_t limit = cycles_from_ms(ms);
    arch_interrupts_enable();
    while (self->timer_ticks == before && arch_cycles() - start < limit)
        arch_cpu_relax();
    arch_interrupts_disable();
    return self->timer_ticks != before;
}

KTEST(irql, clock_level_holds_the_timer_back)
{
    KTEST_NEEDS_APIC(t);
    arch_timer_start(1);
    irql_t old = irql_raise(CLOCK_LEVEL);
    bool ticked_at_clock = tick_arrives(20);
    irql_lower(DISPATCH_LEVEL);
    bool ticked_at_dispatch = tick_arrives(5000);
    irql_lower(old);
    arch_timer_start(0);
    EXPECT_TRUE(t, !ticked_at_clock);
    EXPECT_TRUE(t, ticked_at_dispatch);
}

/* The task priority is programmed lazily (arch/x86_64/priority.h): while
 * interrupts are off a change is only recorded; the hardware catches up
 * the moment they are enabled, and not before. */
KTEST(irql, the_hardware_catches_up_when_interrupts_are_enabled)
{
    KTEST_NEEDS_APIC(t);
    bool was_enabled = arch_interrupts_save_disable();
    unsigned before = arch_test_programmed_priority();
    uint64_t writes = arch_test_access_counts().priority_writes;
    irql_t old = irql_raise(CLOCK_LEVEL);
    unsigned while_off = arch_test_programmed_priority();
    uint64_t writes_while_off = arch_test_access_counts().priority_writes - writes;
    arch_interrupts_enable();
    unsigned while_on = arch_test_programmed_priority();
    arch_interrupts_disable();
    irql_lower(old);
    unsigned lowered_while_off = arch_test_programmed_priority();
    arch_interrupts_enable();
    unsigned lowered_while_on = arch_test_programmed_priority();
    arch_interrupts_restore(was_enabled);
    EXPECT_EQ(t, before, while_off);
    EXPECT_EQ(t, 0, writes_while_off);
    EXPECT_EQ(t, CLOCK_LEVEL, while_on);
    EXPECT_EQ(t, CLOCK_LEVEL, lowered_while_off);
    EXPECT_EQ(t, old, lowered_while_on);
    EXPECT_EQ(t, 2, arch_test_access_counts().priority_writes - writes);
}

/* A handler that enables interrupts at its own level (nesting above it)
 * programs CR8; the interrupted code must get its own level back. */
static volatile uint32_t nested_enables;

static void enable_inside_the_handler(void)
{
    arch_interrupts_enable();
    arch_interrupts_disable();
    nested_enables++;
}

KTEST(irql, a_handler_that_enables_interrupts_gives_the_level_back)
{
    KTEST_NEEDS_APIC(t);
    nested_enables = 0;
    smp_set_timer_hook(enable_inside_the_handler);
    arch_timer_start(1);
    /* Read CR8 in the interrupted code, interrupts still on: the next
     * enable would put it right again and hide the fault. */
    uint64_t start = arch_cycles(), limit = cycles_from_ms(5000);
    arch_interrupts_enable();
    while (nested_enables == 0 && arch_cycles() - start < limit)
        arch_cpu_relax();
    unsigned after_handler = arch_test_programmed_priority();
    arch_interrupts_disable();
    smp_set_timer_hook(NULL);
    arch_timer_start(0);
    EXPECT_TRUE(t, nested_enables > 0);
    EXPECT_EQ(t, PASSIVE_LEVEL, after_handler);
}
