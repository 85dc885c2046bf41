/*
 * trace.h - a timeline of the rendezvous: each CPU records the cycle
 * counter at every phase of the calls it takes part in, in a ring of its
 * own, while tracing is on (option trace, or a self-test).
 *
 * trace_dump prints one line per event, in this form, which tools/trace.py
 * turns into a Chrome trace-event file and an SVG swim-lane picture:
 *   trace: cpu=<i> call=<n> event=<name> tsc=<cycles>
 */
#ifndef KERNEL_DIAG_TRACE_H
#define KERNEL_DIAG_TRACE_H

#include "kernel/smp/cpu.h"

#include <stdbool.h>
#include <stdint.h>

enum trace_event {
    TRACE_CALL_START,    /* the caller holds the call lock */
    TRACE_IPI_SENT,      /* the caller has sent the IPIs */
    TRACE_HANDLER_ENTER, /* a participant found the call (its IPI, or polling) */
    TRACE_ARRIVED,       /* at the entry barrier */
    TRACE_RELEASED,      /* past the entry barrier */
    TRACE_WORKER_START,
    TRACE_WORKER_END,
    TRACE_COMPLETED,    /* past the exit barrier */
    TRACE_HANDLER_EXIT, /* ... and is done with it */
    TRACE_CALL_END,     /* the caller releases the call lock */
    TRACE_EVENT_COUNT
};

#define TRACE_ENTRIES 64 /* per CPU: the newest are kept */

struct trace_entry {
    uint64_t cycles;
    uint32_t call;
    uint32_t event; /* enum trace_event */
};

extern bool trace_on;

void trace_record(struct cpu *me, enum trace_event event, uint64_t call);

/* Records event for call on this CPU when tracing is on; costs one load
 * and a branch when it is off. */
static inline void trace_mark(struct cpu *me, enum trace_event event, uint64_t call)
{
    if (__builtin_expect(__atomic_load_n(&trace_on, __ATOMIC_RELAXED), 0))
        trace_record(me, event, call);
}

/* Empties every CPU's ring and starts recording; stops it. Call them with
 * no rendezvous under way. */
void trace_start(void);
void trace_stop(void);

const char *trace_event_name(uint32_t event);

/* Copies up to max of cpu's events, oldest first; returns how many. */
size_t trace_events(uint32_t cpu, struct trace_entry *out, size_t max);

/* Waits (at most timeout_ms) until every online CPU has recorded event for
 * call: a participant records its last phases after the caller has
 * already returned. False when one has not. */
bool trace_wait_for(uint64_t call, enum trace_event event, uint64_t timeout_ms);

/* Prints every CPU's events as trace: lines. */
void trace_dump(void);

/* Option trace: records `calls` empty rendezvous calls on every online
 * CPU, prints them, then "trace: done". */
void trace_calls(unsigned calls);

#endif
