/*
 * acpi_platform.c - FADT, HPET and DMAR fields. Offsets are the ACPI 6.5
 * specification's (§5.2.9 FADT), the IA-PC HPET specification 1.0a's
 * (§3.2.4, the HPET description table) and the Intel VT-d specification's
 * (§8.1, DMA remapping reporting structure).
 */
#include "kernel/firmware/acpi_platform.h"

#include "kernel/firmware/acpi_tables.h"
#include "lib/string.h"

/* FADT */
#define FADT_LENGTH 4   /* the header's length: the table's own */
#define FADT_REVISION 8 /* the header's revision: the FADT's major version */
#define FADT_PM_TMR_BLK 76
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_MINOR_VERSION 131 /* from FADT 5.1 on; reserved before */
#define FADT_MINOR_VERSION_MAJOR 5
#define FADT_FLAG_TMR_VAL_EXT (1u << 8)
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
#define FADT_FLAG_HW_REDUCED_ACPI (1u << 20)
#define IAPC_BOOT_ARCH_8042 (1u << 1)
#define FADT_8042_FLAG_MAJOR 3 /* ACPI 2.0's FADT */

/* HPET */
#define HPET_TABLE_ADDRESS 40 /* a Generic Address Structure */
#define HPET_TABLE_NUMBER 52
#define HPET_TABLE_LENGTH 56

/* DMAR */
#define DMAR_FLAGS 37
#define DMAR_FLAG_INTR_REMAP (1u << 0)
#define DMAR_FLAG_X2APIC_OPT_OUT (1u << 1)

static struct acpi_address read_gas(const uint8_t *p)
{
    struct acpi_address a = {p[0], p[1], 0};
    memcpy(&a.address, p + 4, sizeof(a.address));
    return a;
}

bool acpi_fadt_parse(const uint8_t *t, size_t length, struct acpi_fadt_info *out)
{
    memset(out, 0, sizeof(*out));
    out->has_8042 = true; /* until the firmware says otherwise (below) */
    if (t == NULL || length < FADT_FLAGS + 4)
        return false; /* an ACPI 1.0 FADT is 116 bytes: every field below is there */
    /* The caller checked the header's length against the memory it mapped;
     * a buffer longer than the table (the host tests, the fuzzers) still
     * holds nothing of the FADT beyond it. */
    uint32_t own_length = acpi_read32(t + FADT_LENGTH);
    if (own_length < FADT_FLAGS + 4)
        return false;
    if (own_length < length)
        length = own_length;
    uint32_t flags = acpi_read32(t + FADT_FLAGS);
    uint32_t port = acpi_read32(t + FADT_PM_TMR_BLK);
    out->hardware_reduced = (flags & FADT_FLAG_HW_REDUCED_ACPI) != 0;
    /* A hardware-reduced machine has no PM timer, whatever the field says. */
    if (!out->hardware_reduced && port != 0 && port <= 0xFFFF) {
        out->pm_timer_port = (uint16_t)port;
        out->pm_timer_32bit = (flags & FADT_FLAG_TMR_VAL_EXT) != 0;
    }
    out->version.major = t[FADT_REVISION];
    if (out->version.major >= FADT_MINOR_VERSION_MAJOR && length > FADT_MINOR_VERSION)
        out->version.minor = t[FADT_MINOR_VERSION];
    /* Bytes 109-110 are reserved in a revision 1 FADT (ACPI 1.0); the 8042
     * flag is defined from FADT major version 3 on (ACPI 6.5 §5.2.9.3, the
     * IA-PC boot architecture flags and the version each came with). An
     * older FADT says nothing about the keyboard controller, so the PC/AT
     * default stands: it is there. */
    if (out->version.major >= FADT_8042_FLAG_MAJOR) {
        out->boot_arch_present = true;
        out->has_8042 = (acpi_read16(t + FADT_IAPC_BOOT_ARCH) & IAPC_BOOT_ARCH_8042) != 0;
    }
    if (length >= FADT_RESET_VALUE + 1 && (flags & FADT_FLAG_RESET_REG_SUP)) {
        out->reset_register = read_gas(t + FADT_RESET_REG);
        out->reset_value = t[FADT_RESET_VALUE];
        const struct acpi_address *r = &out->reset_register;
        /* §4.8.3.6: the register is 8 bits wide, in memory, I/O or PCI
         * configuration space; an address of 0 means the firmware did not
         * fill it in. */
        out->reset_supported =
            r->address != 0 &&
            (r->space == ACPI_SPACE_MEMORY || (r->space == ACPI_SPACE_IO && r->address <= 0xFFFF) ||
             r->space == ACPI_SPACE_PCI_CONFIG);
    }
    return true;
}

bool acpi_hpet_parse(const uint8_t *t, size_t length, struct acpi_hpet_info *out)
{
    memset(out, 0, sizeof(*out));
    if (t == NULL || length < HPET_TABLE_LENGTH)
        return false;
    struct acpi_address a = read_gas(t + HPET_TABLE_ADDRESS);
    /* The registers are memory-mapped (HPET spec §3.2.4); a block that is
     * not 1 KiB aligned, or an address of 0, is a broken table. */
    if (a.space == ACPI_SPACE_MEMORY && a.address != 0 && (a.address & 0x3FF) == 0)
        out->base = a.address;
    out->number = t[HPET_TABLE_NUMBER];
    return true;
}

bool acpi_dmar_parse(const uint8_t *t, size_t length, struct acpi_dmar_info *out)
{
    memset(out, 0, sizeof(*out));
    if (t == NULL || length < DMAR_FLAGS + 1)
        return false;
    out->interrupt_remapping = (t[DMAR_FLAGS] & DMAR_FLAG_INTR_REMAP) != 0;
    out->x2apic_opt_out = (t[DMAR_FLAGS] & DMAR_FLAG_X2APIC_OPT_OUT) != 0;
    return true;
}
