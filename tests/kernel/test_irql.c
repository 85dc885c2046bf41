/*
 * test_irql.c - the IRQL is the APIC task priority: raising it really holds
 * interrupts back.
 */
#include "kernel/arch.h"
#include "kernel/irql.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"
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
