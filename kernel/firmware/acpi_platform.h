/*
 * acpi_platform.h - what the kernel reads from the FADT, the HPET table and
 * the DMAR table: the PM timer, the reset register, the HPET's address and
 * the firmware's x2APIC opt-out. Pure parsers of table bytes (no hardware
 * access), so the host tests and fuzzers can run them on any blob.
 */
#ifndef KERNEL_FIRMWARE_ACPI_PLATFORM_H
#define KERNEL_FIRMWARE_ACPI_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Generic Address Structure (ACPI 6.5 §5.2.3.2), the spaces we use. */
enum acpi_address_space { ACPI_SPACE_MEMORY = 0, ACPI_SPACE_IO = 1, ACPI_SPACE_PCI_CONFIG = 2 };
struct acpi_address {
    uint8_t space; /* enum acpi_address_space, or another the kernel cannot use */
    uint8_t bit_width;
    uint64_t address;
};

/* The FADT's version, "major.minor" (ACPI 6.5 §5.2.9, table 5.9): the
 * table header's revision is the major version; from FADT 5.1 on, byte 131
 * (FADT Minor Version) holds the minor one. {0, 0}: no FADT was read. */
struct acpi_fadt_version {
    uint8_t major;
    uint8_t minor;
};

struct acpi_fadt_info {
    struct acpi_fadt_version version;
    uint16_t pm_timer_port; /* 0: none (or not in I/O space) */
    bool pm_timer_32bit;
    bool reset_supported; /* RESET_REG_SUP and a register we can write */
    struct acpi_address reset_register;
    uint8_t reset_value;
    bool hardware_reduced; /* HW_REDUCED_ACPI: no PM timer, no legacy devices */
    /* IAPC_BOOT_ARCH (FADT 3 and later): present, and its 8042 bit. Without
     * the field nothing says the keyboard controller is missing, so
     * has_8042 is true then. */
    bool boot_arch_present;
    bool has_8042;
};

struct acpi_hpet_info {
    uint64_t base; /* physical address of the register block, 0 if unusable */
    uint8_t number;
};

struct acpi_dmar_info {
    bool interrupt_remapping;
    bool x2apic_opt_out; /* the firmware asks the OS to stay in xAPIC mode */
};

/* Each reads a table whose header, length and checksum the caller checked
 * (acpi_find_table); a table too short for a field leaves it at "absent".
 * False when the table is too short to say anything. */
bool acpi_fadt_parse(const uint8_t *table, size_t length, struct acpi_fadt_info *out);
bool acpi_hpet_parse(const uint8_t *table, size_t length, struct acpi_hpet_info *out);
bool acpi_dmar_parse(const uint8_t *table, size_t length, struct acpi_dmar_info *out);

#endif
