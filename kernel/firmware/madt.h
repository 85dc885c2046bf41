/*
 * madt.h - the ACPI Multiple APIC Description Table, read into plain C
 * (ACPI 6.5 §5.2.12). The parser trusts nothing in the table: it is given a
 * copy and its length, checks the checksum and every entry's length, and
 * reports problems as warnings rather than failing the boot.
 */
#ifndef KERNEL_FIRMWARE_MADT_H
#define KERNEL_FIRMWARE_MADT_H

#include "kernel/firmware/acpi_platform.h"
#include "kernel/smp/cpu_limits.h"
#include "kernel/warnings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MADT_MAX_IOAPICS 16
#define MADT_MAX_OVERRIDES 24
#define MADT_MAX_NMIS 16

/* Interrupt controller structure types (ACPI 6.5 table 5.21). */
enum madt_entry_type {
    MADT_LOCAL_APIC = 0,
    MADT_IO_APIC = 1,
    MADT_INTERRUPT_OVERRIDE = 2,
    MADT_NMI_SOURCE = 3,
    MADT_LOCAL_APIC_NMI = 4,
    MADT_LOCAL_APIC_ADDRESS_OVERRIDE = 5,
    MADT_LOCAL_X2APIC = 9,
    MADT_LOCAL_X2APIC_NMI = 10,
};

/* Processor flags (ACPI 6.5 table 5.23). */
#define MADT_CPU_ENABLED (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1) /* meaningful from ACPI 6.3 (see madt.c) */

/* "All processors" in a local APIC NMI entry. */
#define MADT_UID_ALL_XAPIC 0xFFu
#define MADT_UID_ALL_X2APIC 0xFFFFFFFFu

struct madt_cpu {
    uint32_t hw_id; /* its (x2)APIC ID: struct cpu's hw_id */
    uint32_t acpi_uid;
    bool enabled;     /* firmware says: start it */
    bool from_x2apic; /* described by a type 9 entry */
};

struct madt_ioapic {
    uint32_t id;
    uint32_t address;
    uint32_t gsi_base;
};

struct madt_override {
    uint8_t bus, source;
    uint32_t gsi;
    uint16_t flags;
};

struct madt_nmi {
    uint32_t acpi_uid; /* MADT_UID_ALL_* for every processor */
    uint16_t flags;
    uint8_t lint;
};

struct madt_info {
    bool valid; /* false: the table was unusable, see warnings */
    uint8_t revision;
    struct acpi_fadt_version fadt; /* as passed to madt_parse */
    uint64_t controller_address;   /* local APIC registers, after any type 5 override */
    bool pcat_compat;              /* dual 8259 PICs present (must be masked) */

    /* CPUs the kernel may start (enabled), and those that could come later
     * (disabled, and online capable where the firmware's ACPI version
     * defines that bit): possible = enabled + hotpluggable. */
    struct madt_cpu cpus[MADT_MAX_CPUS];
    size_t cpu_count; /* entries kept in cpus[] */
    size_t enabled_count;
    size_t hotpluggable_count;

    struct madt_ioapic ioapics[MADT_MAX_IOAPICS];
    size_t ioapic_count;
    struct madt_override overrides[MADT_MAX_OVERRIDES];
    size_t override_count;
    struct madt_nmi nmis[MADT_MAX_NMIS];
    size_t nmi_count;

    size_t entry_count; /* entries walked, of every type */

    /* Entries walked and not used that need no warning (madt.c says why
     * each is harmless); the `verbose` option prints them in one line. */
    size_t nmis_unused;         /* local APIC NMI entries past MADT_MAX_NMIS */
    size_t x2apic_small_ids;    /* x2APIC entries with IDs below 255 beside type 0 CPUs */
    size_t disabled_duplicates; /* disabled entries with an APIC ID already listed */
    struct warning_log warnings;
};

/* Parses the table at `table` (length bytes available there; the table's own
 * length field is checked against it). Never reads outside [table,
 * table + length). `fadt` is the FADT's version ({0, 0} when there is
 * none): it decides which disabled processors could come online (madt.c).
 * Returns info->valid. */
bool madt_parse(const void *table, size_t length, struct acpi_fadt_version fadt,
                struct madt_info *info);

#endif
