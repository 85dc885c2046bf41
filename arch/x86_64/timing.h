/*
 * timing.h - the TSC as the kernel's clock, and what calibrated it.
 */
#ifndef ARCH_X86_64_TIMING_H
#define ARCH_X86_64_TIMING_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the TSC frequency: CPUID leaf 0x15 (or 0x16), else a measurement
 * against the PIT's channel 2, else against the ACPI PM timer at
 * pm_timer_port (0: none). `only` is "auto" or names the one source to try
 * ("cpuid", "pit", "pm_timer"). Prints the result. */
void tsc_init(const char *only, uint16_t pm_timer_port, bool pm_timer_32bit);

uint64_t tsc_hz(void);
const char *tsc_source(void);

/* Spins (with pause) for at least us microseconds. */
void tsc_udelay(uint64_t us);

#endif
