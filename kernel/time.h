/*
 * time.h - durations in cycles of arch_cycles(), the one way the kernel
 * turns milliseconds and microseconds into cycles and back.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/arch.h"

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

#endif
