/*
 * trace.c - the per-CPU rings of the rendezvous timeline (trace.h).
 *
 * Each CPU writes only its own ring, then publishes the new count with a
 * release store: a reader that acquires the count sees the entries below
 * it. Readers look once the calls they care about have completed.
 */
#include "kernel/diag/trace.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/string.h"

#define TRACE_WAIT_MS 1000

bool trace_on;

struct trace_ring {
    struct trace_entry entries[TRACE_ENTRIES];
    uint64_t count; /* events recorded since trace_start (atomic) */
} __attribute__((aligned(CACHE_LINE)));

static struct trace_ring rings[MAX_CPUS];

static const char *const event_names[TRACE_EVENT_COUNT] = {
    [TRACE_CALL_START] = "call_start",       [TRACE_IPI_SENT] = "ipi_sent",
    [TRACE_HANDLER_ENTER] = "handler_enter", [TRACE_ARRIVED] = "arrived",
    [TRACE_RELEASED] = "released",           [TRACE_WORKER_START] = "worker_start",
    [TRACE_WORKER_END] = "worker_end",       [TRACE_COMPLETED] = "completed",
    [TRACE_HANDLER_EXIT] = "handler_exit",   [TRACE_CALL_END] = "call_end",
};

const char *trace_event_name(uint32_t event)
{
    return event < TRACE_EVENT_COUNT ? event_names[event] : "?";
}

void trace_record(struct cpu *me, enum trace_event event, uint64_t call)
{
    struct trace_ring *r = &rings[me->index];
    uint64_t n = atomic_load_relaxed(&r->count); /* only this CPU writes it */
    r->entries[n % TRACE_ENTRIES] = (struct trace_entry){arch_cycles(), (uint32_t)call, event};
    atomic_store_release(&r->count, n + 1);
}

void trace_start(void)
{
    for (size_t i = 0; i < smp_cpu_count(); i++)
        atomic_store_relaxed(&rings[i].count, 0);
    atomic_store_release(&trace_on, true);
}

void trace_stop(void) { atomic_store_release(&trace_on, false); }

size_t trace_events(uint32_t cpu, struct trace_entry *out, size_t max)
{
    if (cpu >= MAX_CPUS)
        return 0;
    const struct trace_ring *r = &rings[cpu];
    uint64_t n = atomic_load_acquire(&r->count);
    uint64_t first = n > TRACE_ENTRIES ? n - TRACE_ENTRIES : 0;
    size_t copied = 0;
    for (uint64_t i = first; i < n && copied < max; i++)
        out[copied++] = r->entries[i % TRACE_ENTRIES];
    return copied;
}

static bool recorded(uint32_t cpu, uint64_t call, enum trace_event event)
{
    static struct trace_entry events[TRACE_ENTRIES];
    size_t n = trace_events(cpu, events, TRACE_ENTRIES);
    for (size_t i = 0; i < n; i++)
        if (events[i].call == (uint32_t)call && events[i].event == event)
            return true;
    return false;
}

bool trace_wait_for(uint64_t call, enum trace_event event, uint64_t timeout_ms)
{
    uint64_t deadline = arch_cycles() + cycles_from_ms(timeout_ms);
    for (uint32_t cpu = 0; cpu < smp_cpu_count(); cpu++) {
        while (cpu_online(smp_cpu(cpu)) && !recorded(cpu, call, event)) {
            if (cycles_past(deadline)) {
                kprintf("trace: CPU %u recorded no %s for call %llu within %llu ms\n", cpu,
                        trace_event_name(event), (unsigned long long)call,
                        (unsigned long long)timeout_ms);
                return false;
            }
            arch_cpu_relax();
        }
    }
    return true;
}

void trace_dump(void)
{
    static struct trace_entry events[TRACE_ENTRIES];
    for (uint32_t cpu = 0; cpu < smp_cpu_count(); cpu++) {
        size_t n = trace_events(cpu, events, TRACE_ENTRIES);
        for (size_t i = 0; i < n; i++)
            kprintf("trace: cpu=%u call=%u event=%s tsc=%llu\n", cpu, events[i].call,
                    trace_event_name(events[i].event), (unsigned long long)events[i].cycles);
    }
}

static uintptr_t empty_worker(uintptr_t argument) { return argument; }

void trace_calls(unsigned calls)
{
    trace_start();
    for (unsigned i = 0; i < calls; i++)
        ipi_generic_call(empty_worker, i);
    (void)trace_wait_for(ipi_calls_started(), TRACE_COMPLETED, TRACE_WAIT_MS);
    trace_stop();
    trace_dump();
    kprintf("trace: done\n");
}
