/*
 * apic_mode.c - the choice between xAPIC and x2APIC.
 *
 * Rules (SDM vol. 3A §11.12.5; Linux's x2apic_mode handling as the
 * reference for firmware behaviour):
 *  - x2APIC mode cannot be left without disabling the APIC, so a firmware
 *    that enabled it decides;
 *  - the DMAR table's X2APIC_OPT_OUT flag (Intel VT-d, DMA remapping
 *    reporting structure) asks the OS not to enable x2APIC, for the sake of
 *    firmware that is not x2APIC-aware (an SMI handler that drives the APIC
 *    in xAPIC mode, say): auto stays in xAPIC, and only an explicit
 *    apic=x2apic overrides it;
 *  - otherwise auto takes x2APIC when the CPU has it.
 */
#include "arch/x86_64/apic_mode.h"

#include "lib/string.h"

enum apic_mode apic_mode_choose(const struct apic_mode_facts *f, const char **why)
{
    *why = NULL;
    bool want_x2apic = f->requested == APIC_REQUEST_X2APIC;
    bool want_xapic = f->requested == APIC_REQUEST_XAPIC;
    if (f->firmware_enabled) {
        if (want_xapic)
            *why = "apic=xapic, but the firmware already enabled x2APIC mode, which cannot be "
                   "left without disabling the APIC; staying in x2APIC";
        return APIC_MODE_X2APIC;
    }
    if (!f->cpu_has_x2apic) {
        if (want_x2apic)
            *why = "apic=x2apic, but this CPU has no x2APIC (CPUID.1:ECX bit 21); using xAPIC";
        return APIC_MODE_XAPIC;
    }
    if (want_xapic)
        return APIC_MODE_XAPIC;
    if (f->firmware_opts_out) {
        if (want_x2apic) {
            *why = "the firmware opts out of x2APIC (ACPI DMAR flag), but apic=x2apic overrides it";
            return APIC_MODE_X2APIC;
        }
        *why = "the firmware opts out of x2APIC (ACPI DMAR flag X2APIC_OPT_OUT): staying in "
               "xAPIC mode (apic=x2apic overrides)";
        return APIC_MODE_XAPIC;
    }
    return APIC_MODE_X2APIC;
}
