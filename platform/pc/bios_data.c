/*
 * bios_data.c - the extended BIOS data area's address, from the BIOS data
 * area, for the ACPI RSDP search (ACPI 6.5 §5.2.5.1).
 */
#include "platform/pc/bios_data.h"

#include "arch/x86_64/x86.h"
#include "kernel/arch.h"

#define BDA_EBDA_SEGMENT 0x40Eu /* a 16-bit real-mode segment */
#define EBDA_MIN 0x80000u
#define EBDA_MAX 0xA0000u

static uint64_t ebda_base;

void bios_data_read(void)
{
    uintptr_t addr = BDA_EBDA_SEGMENT;
    __asm__("" : "+r"(addr)); /* a computed address, not a NULL dereference */
    uint64_t base = (uint64_t)mmio_read16((void *)addr) << 4;
    ebda_base = (base >= EBDA_MIN && base < EBDA_MAX) ? base : 0;
}

uint64_t arch_legacy_ebda_base(void) { return ebda_base; }
