/*
 * test_trace.c - the rendezvous timeline (kernel/diag/trace.c): every CPU of a
 * call records each phase, in order, and the cycle counter shows the
 * barriers doing their job: no CPU was released before the last one
 * arrived, and none completed before the last worker ended. The times
 * come from each CPU's own TSC (the smp self-tests check they agree), not
 * from the barrier's bookkeeping.
 */
#include "kernel/arch.h"
#include "kernel/diag/ktest.h"
#include "kernel/diag/trace.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"

static uintptr_t empty_worker(uintptr_t argument) { return argument; }

static const enum trace_event participant_phases[] = {
    TRACE_ARRIVED, TRACE_RELEASED, TRACE_WORKER_START, TRACE_WORKER_END, TRACE_COMPLETED,
};
#define PHASES (sizeof(participant_phases) / sizeof(participant_phases[0]))

KTEST(trace, every_cpu_records_each_phase_and_the_barriers_order_them)
{
    static struct trace_entry events[TRACE_ENTRIES];
    if (smp_online_count() < 2)
        KTEST_SKIP(t, "one CPU: a call alone is not traced (it has no phases)");
    trace_start();
    ipi_generic_call(empty_worker, 0);
    uint32_t call = (uint32_t)ipi_calls_started();
    /* The others record their last phase after this CPU has returned. */
    EXPECT_TRUE(t, trace_wait_for(call, TRACE_COMPLETED, 1000));
    trace_stop();

    uint64_t last_arrival = 0, first_release = UINT64_MAX;
    uint64_t last_worker_end = 0, first_completion = UINT64_MAX;
    for (uint32_t cpu = 0; cpu < smp_cpu_count(); cpu++) {
        if (!cpu_online(smp_cpu(cpu)))
            continue;
        uint64_t at[PHASES] = {0};
        size_t n = trace_events(cpu, events, TRACE_ENTRIES);
        size_t next = 0;
        for (size_t i = 0; i < n && next < PHASES; i++)
            if (events[i].call == call && events[i].event == participant_phases[next])
                at[next++] = events[i].cycles;
        EXPECT_EQ(t, PHASES, next); /* every phase, in this order */
        if (next != PHASES)
            continue;
        for (size_t k = 1; k < PHASES; k++)
            EXPECT_TRUE(t, at[k] >= at[k - 1]);
        last_arrival = at[0] > last_arrival ? at[0] : last_arrival;
        first_release = at[1] < first_release ? at[1] : first_release;
        last_worker_end = at[3] > last_worker_end ? at[3] : last_worker_end;
        first_completion = at[4] < first_completion ? at[4] : first_completion;
    }
    EXPECT_TRUE(t, last_arrival <= first_release);
    EXPECT_TRUE(t, last_worker_end <= first_completion);
}
