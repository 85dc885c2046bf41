/*
 * time.h - durations in cycles of arch_cycles(), the one way the kernel
 * turns milliseconds and microseconds into cycles and back.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/arch.h"

#include <stdbool.h>
#include <stdint.h>

#define US_PER_MS 1000u
#define US_PER_S 1000000u
#define MS_PER_S 1000u

static inline uint64_t cycles_from_ms(uint64_t ms)
{
    return ms * (arch_cycles_per_second() / MS_PER_S);
}

static inline uint64_t cycles_from_us(uint64_t us)
{
    return us * (arch_cycles_per_second() / US_PER_S);
}

/* 0 before the cycle counter is calibrated. */
static inline uint64_t us_from_cycles(uint64_t cycles)
{
    uint64_t per_us = arch_cycles_per_second() / US_PER_S;
    return per_us != 0 ? cycles / per_us : 0;
}

/* True once the cycle counter has reached deadline (wrap-safe). */
static inline bool cycles_past(uint64_t deadline)
{
    return (int64_t)(arch_cycles() - deadline) >= 0;
}

/* The one shape of a bounded wait: spins (arch_cpu_relax, which lets an
 * overcommitted host run the CPU waited for) until done(arg) says so, or
 * until the cycle counter reaches deadline. Returns done's answer, asked
 * once more at the deadline, so that what happened at the last moment
 * counts. The caller says what it waited for when the answer is no. */
static inline bool wait_until(bool (*done)(const void *arg), const void *arg, uint64_t deadline)
{
    while (!done(arg)) {
        if (cycles_past(deadline))
            return done(arg);
        arch_cpu_relax();
    }
    return true;
}

#endif
