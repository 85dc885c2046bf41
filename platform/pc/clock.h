/*
 * clock.h - the TSC as the kernel's clock, and what calibrated it.
 */
#ifndef PLATFORM_PC_CLOCK_H
#define PLATFORM_PC_CLOCK_H

#include "kernel/arch.h"

#include <stdbool.h>
#include <stdint.h>

struct clock_sources;

/* Finds the TSC frequency: CPUID leaf 0x15 when it names the crystal, else
 * a measurement against the PIT's channel 2, the HPET, the ACPI PM timer
 * (in that order), else CPUID leaf 0x16. `only` is CLOCK_AUTO or the one
 * source to try. Prints the result, and why each source it tried was not
 * there. */
void tsc_init(enum clock_source only, const struct clock_sources *clocks);

uint64_t tsc_hz(void);
const char *tsc_source(void);

/* Spins (with pause) for at least us microseconds. */
void tsc_udelay(uint64_t us);

#endif
