/*
 * acpi.h - finds the ACPI tables the kernel uses (ACPI 6.5 §5.2).
 *
 * The RSDP comes from the boot loader (the multiboot2 "ACPI new" tag, then
 * the "old" one), on a legacy BIOS from a scan of the EBDA and
 * 0xE0000-0xFFFFF, and else from a scan of the memory map's ACPI regions
 * (multiboot 1 under UEFI: no tag, no BIOS areas). Every checksum and length is checked; the XSDT
 * is preferred over the RSDT. A table that fails a check is reported and not used: the kernel then
 * runs on the boot CPU alone.
 */
#ifndef KERNEL_FIRMWARE_ACPI_H
#define KERNEL_FIRMWARE_ACPI_H

#include "kernel/firmware/acpi_platform.h"
#include "kernel/firmware/madt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boot_info;

enum acpi_rsdp_source {
    RSDP_NONE,
    RSDP_TAG_NEW,
    RSDP_TAG_OLD,
    RSDP_EBDA,
    RSDP_BIOS_AREA,
    RSDP_MEMORY_MAP, /* an ACPI region of the loader's memory map (multiboot 1 on UEFI) */
};

struct acpi_state {
    enum acpi_rsdp_source rsdp_source;
    uint64_t rsdp_phys;        /* 0 when it came from a tag (copied by the loader) */
    uint32_t rsdp_region_type; /* RSDP_MEMORY_MAP: the region's enum mem_type */
    uint8_t revision;          /* RSDP revision: 0 = ACPI 1.0, 2 = 2.0+ */
    char oem_id[7];
    bool use_xsdt;
    uint64_t root_phys; /* the XSDT or RSDT */
    uint64_t madt_phys; /* 0 if not found */
    size_t madt_length;
    uint64_t fadt_phys; /* 0 if not found */
    struct acpi_fadt_info fadt;
    uint64_t hpet_phys; /* the HPET description table, 0 if none */
    struct acpi_hpet_info hpet;
    uint64_t dmar_phys; /* 0 if none */
    struct acpi_dmar_info dmar;
};

/* Finds the RSDP, walks the root table and reads the MADT into *madt.
 * Prints what it found, and a clear message for anything wrong. Returns
 * true when *madt is usable. */
bool acpi_init(const struct boot_info *bi, struct madt_info *madt);

/* What acpi_init found (for self-tests and later subsystems). */
const struct acpi_state *acpi_state(void);

/* The MADT bytes as read (for "acpi_dump" and self-tests), or NULL. */
const uint8_t *acpi_madt_copy(size_t *length);

/* Prints the MADT as "acpi: madt <offset> <hex bytes>" lines, which
 * tools/capture_madt.py turns back into a file. */
void acpi_dump_madt(void);

/* Prints the loader's RSDP, the root table and every table it lists as
 * "acpi: table <SIG> <offset> <hex bytes>" lines (tools/capture_acpi.py
 * keeps them as seeds for the fuzzers). */
void acpi_dump_tables(const struct boot_info *bi);

/* Finds a table by signature through the root table; returns its physical
 * address after checking its length and checksum, or 0. */
uint64_t acpi_find_table(const char signature[4], size_t *length);

#endif
