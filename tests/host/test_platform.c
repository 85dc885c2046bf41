/*
 * test_platform.c - the FADT, HPET and DMAR parsers (kernel/firmware/acpi_platform.c)
 * on hand-built tables laid out from the specifications, and the choice of
 * APIC mode (arch/x86_64/apic_mode.c) in every combination that matters.
 */
#include "arch/x86_64/apic_mode.h"
#include "kernel/firmware/acpi_platform.h"

#include "tests/host/htest.h"

#include <stdint.h>

static uint8_t table[512];

static void put32(size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        table[at + i] = (uint8_t)(v >> (8 * i));
}

static void put_gas(size_t at, uint8_t space, uint8_t width, uint64_t address)
{
    table[at] = space;
    table[at + 1] = width;
    put32(at + 4, (uint32_t)address);
    put32(at + 8, (uint32_t)(address >> 32));
}

/* An ACPI 6 FADT (276 bytes) as QEMU's q35 builds it: PM timer at 0x608,
 * 32 bits wide, reset register at I/O port 0xCF9 with value 0x0F. */
static size_t q35_like_fadt(uint32_t flags)
{
    memset(table, 0, sizeof(table));
    memcpy(table, "FACP", 4);
    put32(4, 276); /* the table's own length */
    table[8] = 6;  /* FADT major version */
    put32(76, 0x608);
    table[109] = 0x2; /* IAPC_BOOT_ARCH: 8042 */
    put32(112, flags);
    put_gas(116, 1, 8, 0xCF9);
    table[128] = 0x0F;
    return 276;
}

static void fadt(void)
{
    struct acpi_fadt_info f;
    size_t n = q35_like_fadt((1u << 8) | (1u << 10));
    bool ok = acpi_fadt_parse(table, n, &f); /* before HCHECK reads f */
    HCHECK("fadt.pm_timer", ok && f.pm_timer_port == 0x608 && f.pm_timer_32bit, "port %#x, %d",
           f.pm_timer_port, f.pm_timer_32bit);
    HCHECK("fadt.reset_register",
           f.reset_supported && f.reset_register.space == ACPI_SPACE_IO &&
               f.reset_register.address == 0xCF9 && f.reset_value == 0x0F,
           "supported %d, space %u, address %#llx, value %#x", f.reset_supported,
           f.reset_register.space, (unsigned long long)f.reset_register.address, f.reset_value);
    HCHECK("fadt.8042", f.has_8042, "IAPC_BOOT_ARCH bit 1 not seen");

    q35_like_fadt(1u << 8); /* RESET_REG_SUP clear */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.reset_needs_reset_reg_sup", !f.reset_supported, "used without the flag");

    q35_like_fadt((1u << 10) | (1u << 20)); /* hardware-reduced */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.hardware_reduced_has_no_pm_timer", f.hardware_reduced && f.pm_timer_port == 0,
           "port %#x", f.pm_timer_port);

    q35_like_fadt(1u << 10);
    put_gas(116, 1, 8, 0); /* flag set, register left empty */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.empty_reset_register_is_unusable", !f.reset_supported, "used address 0");

    q35_like_fadt(1u << 10);
    put_gas(116, 3, 8, 0xCF9); /* embedded controller space: not ours to write */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.unknown_space_is_unusable", !f.reset_supported, "used space 3");

    /* ACPI 1.0: 116 bytes, no reset register at all. */
    q35_like_fadt((1u << 8) | (1u << 10));
    acpi_fadt_parse(table, 116, &f);
    HCHECK("fadt.acpi1_short_table", f.pm_timer_port == 0x608 && !f.reset_supported,
           "port %#x, reset %d", f.pm_timer_port, f.reset_supported);
    HCHECK("fadt.too_short", !acpi_fadt_parse(table, 100, &f), "accepted 100 bytes");

    /* The version: major from the header, minor (from FADT 5.1 on) from byte 131. */
    q35_like_fadt(0);
    table[131] = 3;
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.version_6_3", f.version.major == 6 && f.version.minor == 3, "version %u.%u",
           f.version.major, f.version.minor);
    table[8] = 4; /* byte 131 is reserved in a FADT 4 */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.version_4_has_no_minor", f.version.major == 4 && f.version.minor == 0,
           "version %u.%u", f.version.major, f.version.minor);

    /* A FADT of revision 1 (ACPI 1.0) has no IAPC_BOOT_ARCH: bytes 109-110
     * are reserved there, and the 8042 flag came with revision 3 (ACPI 6.5
     * §5.2.9.3). Zeros there do not mean "no keyboard controller". */
    q35_like_fadt(1u << 8);
    put32(4, 116);
    table[8] = 1;
    table[109] = 0;
    acpi_fadt_parse(table, 116, &f);
    HCHECK("fadt.revision_1_does_not_say_no_8042", f.has_8042 && !f.boot_arch_present,
           "has_8042 %d, boot_arch_present %d", f.has_8042, f.boot_arch_present);
    table[8] = 2;   /* a FADT 2 has the field, but its 8042 bit is not defined yet */
    table[109] = 1; /* LEGACY_DEVICES */
    acpi_fadt_parse(table, 116, &f);
    HCHECK("fadt.revision_2_does_not_say_no_8042", f.has_8042, "no 8042 read from FADT 2");
    q35_like_fadt(1u << 8);
    table[8] = 3;
    table[109] = 1; /* legacy devices, but no 8042 */
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.revision_3_says_no_8042", !f.has_8042 && f.boot_arch_present,
           "has_8042 %d, boot_arch_present %d", f.has_8042, f.boot_arch_present);

    /* Nothing past the table's own length is read, whatever the buffer
     * holds: a 116-byte FADT in a larger buffer has no reset register. */
    q35_like_fadt((1u << 8) | (1u << 10));
    put32(4, 116);
    table[131] = 3;
    acpi_fadt_parse(table, n, &f);
    HCHECK("fadt.never_reads_past_its_own_length", !f.reset_supported && f.version.minor == 0,
           "reset %d, minor %u", f.reset_supported, f.version.minor);
    put32(4, 20); /* shorter than any FADT */
    HCHECK("fadt.own_length_too_short", !acpi_fadt_parse(table, n, &f), "accepted length 20");
}

static void hpet(void)
{
    struct acpi_hpet_info h;
    memset(table, 0, sizeof(table));
    memcpy(table, "HPET", 4);
    put_gas(40, 0, 64, 0xFED00000ull);
    table[52] = 0;
    bool ok = acpi_hpet_parse(table, 56, &h);
    HCHECK("hpet.base", ok && h.base == 0xFED00000ull, "base %#llx", (unsigned long long)h.base);
    put_gas(40, 1, 64, 0xFED00000ull); /* I/O space: not an HPET */
    acpi_hpet_parse(table, 56, &h);
    HCHECK("hpet.io_space_rejected", h.base == 0, "base %#llx", (unsigned long long)h.base);
    put_gas(40, 0, 64, 0xFED00010ull); /* not 1 KiB aligned */
    acpi_hpet_parse(table, 56, &h);
    HCHECK("hpet.misaligned_rejected", h.base == 0, "base %#llx", (unsigned long long)h.base);
    HCHECK("hpet.too_short", !acpi_hpet_parse(table, 55, &h), "accepted 55 bytes");
}

static void dmar(void)
{
    struct acpi_dmar_info d;
    memset(table, 0, sizeof(table));
    memcpy(table, "DMAR", 4);
    table[37] = 0x3;
    bool ok = acpi_dmar_parse(table, 48, &d);
    HCHECK("dmar.flags", ok && d.interrupt_remapping && d.x2apic_opt_out, "remap %d, opt-out %d",
           d.interrupt_remapping, d.x2apic_opt_out);
    table[37] = 0x1;
    acpi_dmar_parse(table, 48, &d);
    HCHECK("dmar.no_opt_out", !d.x2apic_opt_out, "opt-out seen in flags 0x1");
    HCHECK("dmar.too_short", !acpi_dmar_parse(table, 37, &d), "accepted 37 bytes");
}

static void apic_mode(void)
{
    static const struct {
        const char *name;
        struct apic_mode_facts facts;
        enum apic_mode want;
        bool explained;
    } cases[] = {
        {"auto_takes_x2apic", {APIC_REQUEST_AUTO, true, false, false}, APIC_MODE_X2APIC, false},
        {"auto_without_x2apic", {APIC_REQUEST_AUTO, false, false, false}, APIC_MODE_XAPIC, false},
        {"xapic_asked", {APIC_REQUEST_XAPIC, true, false, false}, APIC_MODE_XAPIC, false},
        {"x2apic_missing", {APIC_REQUEST_X2APIC, false, false, false}, APIC_MODE_XAPIC, true},
        {"firmware_enabled_wins_over_xapic",
         {APIC_REQUEST_XAPIC, true, true, false},
         APIC_MODE_X2APIC,
         true},
        {"firmware_enabled_auto", {APIC_REQUEST_AUTO, true, true, false}, APIC_MODE_X2APIC, false},
        {"firmware_enabled_wins_over_opt_out",
         {APIC_REQUEST_AUTO, true, true, true},
         APIC_MODE_X2APIC,
         false},
        {"opt_out_keeps_auto_in_xapic",
         {APIC_REQUEST_AUTO, true, false, true},
         APIC_MODE_XAPIC,
         true},
        {"x2apic_overrides_opt_out",
         {APIC_REQUEST_X2APIC, true, false, true},
         APIC_MODE_X2APIC,
         true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why;
        enum apic_mode got = apic_mode_choose(&cases[i].facts, &why);
        char name[96];
        snprintf(name, sizeof(name), "apic_mode.%s", cases[i].name);
        HCHECK(name, got == cases[i].want && (why != NULL) == cases[i].explained,
               "mode %d, explanation \"%s\"", got, why != NULL ? why : "(none)");
    }
}

int main(void)
{
    fadt();
    hpet();
    dmar();
    apic_mode();
    return htest_finish();
}
