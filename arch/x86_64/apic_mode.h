/*
 * apic_mode.h - which local APIC mode to run in, decided from what the CPU
 * has, what the firmware did and asked, and the command line. A pure
 * function, so the host tests hold every combination to account.
 */
#ifndef ARCH_X86_64_APIC_MODE_H
#define ARCH_X86_64_APIC_MODE_H

#include "kernel/arch.h"

#include <stdbool.h>

enum apic_mode { APIC_MODE_XAPIC, APIC_MODE_X2APIC };

struct apic_mode_facts {
    enum apic_request requested; /* option apic= */
    bool cpu_has_x2apic;         /* CPUID.1:ECX[21] */
    bool firmware_enabled;       /* IA32_APIC_BASE.EXTD was already set */
    bool firmware_opts_out;      /* ACPI DMAR flag X2APIC_OPT_OUT */
};

/* The mode, and in *why a sentence for the boot log when the choice is not
 * the plain one asked for (else NULL). */
enum apic_mode apic_mode_choose(const struct apic_mode_facts *f, const char **why);

#endif
