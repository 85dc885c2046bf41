/*
 * acpi_tables.h - the ACPI structures the kernel reads, laid out as the
 * specification gives them (ACPI 6.5, section numbers below). They are
 * packed: firmware puts them at any byte address. The parsers copy each
 * one out with memcpy, from bytes whose length they have checked, rather
 * than cast a pointer into a table.
 */
#ifndef KERNEL_FIRMWARE_ACPI_TABLES_H
#define KERNEL_FIRMWARE_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Root System Description Pointer (§5.2.5.3). The checksum covers the
 * first ACPI_RSDP_V1_LENGTH bytes; from revision 2 on, extended_checksum
 * covers all `length` bytes. */
struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    uint32_t length; /* revision 2+ */
    uint64_t xsdt_address;
    uint8_t extended_checksum;
    uint8_t reserved[3];
} __attribute__((packed));
#define ACPI_RSDP_V1_LENGTH offsetof(struct acpi_rsdp, length)
_Static_assert(ACPI_RSDP_V1_LENGTH == 20, "ACPI 1.0's RSDP is 20 bytes");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 2.0's RSDP is 36 bytes");

/* The header every system description table starts with (§5.2.6). The
 * checksum makes all `length` bytes of the table sum to 0. */
struct acpi_sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "§5.2.6");

/* The MADT's fixed part (§5.2.12); its entries follow. */
struct acpi_madt {
    struct acpi_sdt_header header; /* signature "APIC" */
    uint32_t local_apic_address;
    uint32_t flags; /* ACPI_MADT_PCAT_COMPAT */
} __attribute__((packed));
#define ACPI_MADT_PCAT_COMPAT (1u << 0)

/* Every MADT entry starts with its type and its length. */
struct acpi_madt_entry {
    uint8_t type;
    uint8_t length;
} __attribute__((packed));

struct acpi_madt_local_apic { /* type 0, §5.2.12.2 */
    struct acpi_madt_entry entry;
    uint8_t acpi_processor_uid;
    uint8_t apic_id;
    uint32_t flags;
} __attribute__((packed));

struct acpi_madt_io_apic { /* type 1, §5.2.12.3 */
    struct acpi_madt_entry entry;
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_interrupt_override { /* type 2, §5.2.12.5 */
    struct acpi_madt_entry entry;
    uint8_t bus;
    uint8_t source;
    uint32_t gsi;
    uint16_t flags;
} __attribute__((packed));

struct acpi_madt_local_apic_nmi { /* type 4, §5.2.12.7 */
    struct acpi_madt_entry entry;
    uint8_t acpi_processor_uid; /* 0xFF: all processors */
    uint16_t flags;
    uint8_t lint;
} __attribute__((packed));

struct acpi_madt_address_override { /* type 5, §5.2.12.8 */
    struct acpi_madt_entry entry;
    uint16_t reserved;
    uint64_t local_apic_address;
} __attribute__((packed));

struct acpi_madt_local_x2apic { /* type 9, §5.2.12.12 */
    struct acpi_madt_entry entry;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t acpi_processor_uid;
} __attribute__((packed));

struct acpi_madt_local_x2apic_nmi { /* type 10, §5.2.12.13 */
    struct acpi_madt_entry entry;
    uint16_t flags;
    uint32_t acpi_processor_uid; /* 0xFFFFFFFF: all processors */
    uint8_t lint;
    uint8_t reserved[3];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_madt) == 44, "§5.2.12");
_Static_assert(sizeof(struct acpi_madt_local_apic) == 8, "§5.2.12.2");
_Static_assert(sizeof(struct acpi_madt_io_apic) == 12, "§5.2.12.3");
_Static_assert(sizeof(struct acpi_madt_interrupt_override) == 10, "§5.2.12.5");
_Static_assert(sizeof(struct acpi_madt_local_apic_nmi) == 6, "§5.2.12.7");
_Static_assert(sizeof(struct acpi_madt_address_override) == 12, "§5.2.12.8");
_Static_assert(sizeof(struct acpi_madt_local_x2apic) == 16, "§5.2.12.12");
_Static_assert(sizeof(struct acpi_madt_local_x2apic_nmi) == 12, "§5.2.12.13");

/* The sum of length bytes (mod 256): 0 for a table that checks out. */
static inline uint8_t acpi_checksum(const void *data, size_t length)
{
    const uint8_t *p = data;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

/* Fields at byte offsets: ACPI is little-endian, as x86 is, and a table's
 * fields need not be aligned (the XSDT's 64-bit entries sit at offsets
 * 36, 44, ...), so each is read by bytes. */
static inline uint32_t acpi_read16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t acpi_read32(const uint8_t *p)
{
    return acpi_read16(p) | acpi_read16(p + 2) << 16;
}

static inline uint64_t acpi_read64(const uint8_t *p)
{
    return (uint64_t)acpi_read32(p) | (uint64_t)acpi_read32(p + 4) << 32;
}

#endif
