/*
 * test_acpi.c - where kernel/firmware/acpi.c finds the RSDP, on a fake physical
 * memory: the BIOS areas (EBDA, 0xE0000-0xFFFFF), and the regions the
 * loader's memory map calls ACPI reclaimable or ACPI NVS.
 *
 * The second matters under GRUB's multiboot (version 1) command on UEFI:
 * multiboot 1 has no field for the RSDP (spec 0.6.96 §3.3), UEFI leaves
 * nothing in the BIOS areas, and the firmware's ACPI tables lie in memory
 * its map reports as type 3 or 4 (ACPI 6.5 §5.2.5.2: on UEFI the RSDP is
 * found through the EFI system table, which multiboot 1 does not pass on).
 */
#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"
#include "kernel/firmware/acpi.h"
#include "kernel/firmware/acpi_tables.h"

#include "tests/host/htest.h"

#include <stdint.h>

/* ---- the kernel services acpi.c calls ---- */

#define FAKE_MEMORY_SIZE 0x200000u /* 2 MiB from physical address 0 */
static uint8_t fake_memory[FAKE_MEMORY_SIZE];
static uint64_t fake_ebda;
static char log_text[16384];
static size_t log_used;

const void *arch_phys_to_virt(uint64_t phys, size_t length)
{
    /* Page 0 unmapped, as in the kernel. */
    if (phys < 0x1000 || phys >= FAKE_MEMORY_SIZE || length > FAKE_MEMORY_SIZE - phys)
        return NULL;
    return fake_memory + phys;
}

uint64_t arch_legacy_ebda_base(void) { return fake_ebda; }

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(log_text + log_used, sizeof(log_text) - log_used, fmt, ap);
    va_end(ap);
    if (n > 0)
        log_used +=
            (size_t)n < sizeof(log_text) - log_used ? (size_t)n : sizeof(log_text) - log_used - 1;
    return n;
}

void console_print_warnings(const struct warning_log *log) { (void)log; }

/* The kernel's options as parsed at boot: all off (acpi.c reads verbose). */
struct options boot_options;

bool inject_requested(enum inject_kind kind)
{
    (void)kind;
    return false;
}

/* ---- building the tables ---- */

#define REGION_BASE 0x180000u /* the firmware's ACPI region */
#define REGION_LENGTH 0x10000u
#define RSDP_AT (REGION_BASE + 0x40) /* 16-byte aligned, not the region's start */
#define XSDT_AT (REGION_BASE + 0x1000)
#define MADT_AT (REGION_BASE + 0x2000)
#define BIOS_RSDP_AT 0xE0010u

static void sdt_header(uint8_t *t, const char *signature, uint32_t length)
{
    struct acpi_sdt_header h = {.length = length, .revision = 1};
    memcpy(h.signature, signature, 4);
    memcpy(h.oem_id, "HTEST ", 6);
    memcpy(t, &h, sizeof(h));
}

static void sdt_finish(uint8_t *t, uint32_t length)
{
    t[offsetof(struct acpi_sdt_header, checksum)] = 0;
    t[offsetof(struct acpi_sdt_header, checksum)] = (uint8_t)-acpi_checksum(t, length);
}

static void put_rsdp(uint64_t at, const char oem[6])
{
    struct acpi_rsdp r = {.revision = 2, .length = sizeof(r), .xsdt_address = XSDT_AT};
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, oem, 6);
    r.checksum = (uint8_t)-acpi_checksum(&r, ACPI_RSDP_V1_LENGTH);
    r.extended_checksum = (uint8_t)-acpi_checksum(&r, sizeof(r));
    memcpy(fake_memory + at, &r, sizeof(r));
}

/* An XSDT listing one MADT with two enabled CPUs. */
static void put_tables(void)
{
    uint8_t *x = fake_memory + XSDT_AT;
    uint32_t xlen = sizeof(struct acpi_sdt_header) + 8;
    sdt_header(x, "XSDT", xlen);
    uint64_t madt_at = MADT_AT;
    memcpy(x + sizeof(struct acpi_sdt_header), &madt_at, 8);
    sdt_finish(x, xlen);

    uint8_t *m = fake_memory + MADT_AT;
    uint32_t mlen = sizeof(struct acpi_madt) + 2 * sizeof(struct acpi_madt_local_apic);
    sdt_header(m, "APIC", mlen);
    uint32_t lapic = 0xFEE00000u;
    memcpy(m + offsetof(struct acpi_madt, local_apic_address), &lapic, 4);
    for (uint8_t i = 0; i < 2; i++) {
        struct acpi_madt_local_apic e = {{0, sizeof(e)}, i, i, 1};
        memcpy(m + sizeof(struct acpi_madt) + i * sizeof(e), &e, sizeof(e));
    }
    sdt_finish(m, mlen);
}

static struct boot_info bi;
static struct madt_info madt;

/* A multiboot 1 boot: no RSDP from the loader, a map like OVMF's. */
static void machine(uint32_t acpi_region_type)
{
    memset(fake_memory, 0, sizeof(fake_memory));
    memset(&bi, 0, sizeof(bi));
    fake_ebda = 0;
    log_used = 0;
    log_text[0] = '\0';
    bi.protocol = BOOT_MULTIBOOT1;
    bootinfo_add_region(&bi, 0, 0xA0000, MEM_AVAILABLE);
    bootinfo_add_region(&bi, 0x100000, REGION_BASE - 0x100000, MEM_AVAILABLE);
    bootinfo_add_region(&bi, REGION_BASE, REGION_LENGTH, acpi_region_type);
    put_tables();
}

static const struct acpi_state *run(void)
{
    acpi_init(&bi, &madt);
    return acpi_state();
}

static bool logged(const char *text) { return strstr(log_text, text) != NULL; }

static void rsdp_in_the_memory_map(void)
{
    const uint32_t types[2] = {MEM_ACPI_NVS, MEM_ACPI_RECLAIMABLE};
    const char *names[2] = {"acpi.rsdp_found_in_an_acpi_nvs_region",
                            "acpi.rsdp_found_in_an_acpi_reclaimable_region"};
    for (int i = 0; i < 2; i++) {
        machine(types[i]);
        put_rsdp(RSDP_AT, "MAPPED");
        bool ok = acpi_init(&bi, &madt);
        const struct acpi_state *s = acpi_state();
        HCHECK(names[i],
               ok && s->rsdp_source != RSDP_NONE && s->rsdp_phys == RSDP_AT && s->use_xsdt &&
                   s->root_phys == XSDT_AT && madt.enabled_count == 2 &&
                   memcmp(s->oem_id, "MAPPED", 6) == 0,
               "ok %d source %d at %#llx, %zu CPUs; log: %s", ok, s->rsdp_source,
               (unsigned long long)s->rsdp_phys, madt.enabled_count, log_text);
    }
    HCHECK("acpi.rsdp_from_the_memory_map_is_named_so", logged("memory map"), "log: %s", log_text);

    /* GRUB's multiboot2 under UEFI passes the RSDP in a tag; a loader that
     * says UEFI but passes none still has the map. */
    machine(MEM_ACPI_RECLAIMABLE);
    put_rsdp(RSDP_AT, "MAPPED");
    bi.protocol = BOOT_MULTIBOOT2;
    bi.uefi = true;
    const struct acpi_state *s = run();
    HCHECK("acpi.rsdp_found_in_the_memory_map_under_uefi", s->rsdp_phys == RSDP_AT,
           "at %#llx; log: %s", (unsigned long long)s->rsdp_phys, log_text);
}

static void rsdp_scan_limits(void)
{
    /* Only the ACPI regions are searched: reserved memory may be a device. */
    machine(MEM_RESERVED);
    put_rsdp(RSDP_AT, "MAPPED");
    const struct acpi_state *s = run();
    HCHECK("acpi.reserved_regions_are_not_searched", s->rsdp_source == RSDP_NONE,
           "source %d at %#llx", s->rsdp_source, (unsigned long long)s->rsdp_phys);

    /* A signature with a wrong checksum is not an RSDP; one off the 16-byte
     * grid is not either (ACPI 6.5 §5.2.5.1). */
    machine(MEM_ACPI_NVS);
    put_rsdp(RSDP_AT, "MAPPED");
    fake_memory[RSDP_AT + offsetof(struct acpi_rsdp, checksum)] ^= 1;
    put_rsdp(RSDP_AT + 0x28, "OFFGRD");
    s = run();
    HCHECK("acpi.rsdp_in_the_map_needs_its_checksum_and_alignment", s->rsdp_source == RSDP_NONE,
           "source %d at %#llx", s->rsdp_source, (unsigned long long)s->rsdp_phys);

    /* The BIOS areas come first (ACPI 6.5 §5.2.5.1); the map is the fallback. */
    machine(MEM_ACPI_NVS);
    put_rsdp(RSDP_AT, "MAPPED");
    put_rsdp(BIOS_RSDP_AT, "BIOSAR");
    s = run();
    HCHECK("acpi.bios_area_rsdp_comes_before_the_map",
           s->rsdp_source == RSDP_BIOS_AREA && s->rsdp_phys == BIOS_RSDP_AT, "source %d at %#llx",
           s->rsdp_source, (unsigned long long)s->rsdp_phys);

    /* Regions outside what the kernel maps are passed over, not read. */
    machine(MEM_ACPI_NVS);
    bi.mmap_count--; /* the good region goes last, after these */
    bootinfo_add_region(&bi, FAKE_MEMORY_SIZE - 0x1000, 0x100000, MEM_ACPI_NVS);
    bootinfo_add_region(&bi, 0x100000000ull, 0x100000, MEM_ACPI_RECLAIMABLE);
    bootinfo_add_region(&bi, UINT64_MAX - 0xFFF, 0x2000, MEM_ACPI_NVS); /* wraps */
    bootinfo_add_region(&bi, 0, 0x1000, MEM_ACPI_NVS);                  /* page 0 */
    bootinfo_add_region(&bi, REGION_BASE, REGION_LENGTH, MEM_ACPI_NVS);
    put_rsdp(RSDP_AT, "MAPPED");
    s = run();
    HCHECK("acpi.unmapped_acpi_regions_are_skipped", s->rsdp_phys == RSDP_AT, "source %d at %#llx",
           s->rsdp_source, (unsigned long long)s->rsdp_phys);
}

/* A MADT larger than the kernel copies is named for its size, not called
 * absent; one the root table does not list is called absent. */
static void madt_too_large_or_missing(void)
{
    machine(MEM_ACPI_RECLAIMABLE);
    put_rsdp(RSDP_AT, "MAPPED");
    uint32_t big = 40 * 1024; /* past the 32 KiB copy, inside the region */
    uint8_t *m = fake_memory + MADT_AT;
    sdt_header(m, "APIC", big);
    sdt_finish(m, big);
    bool ok = acpi_init(&bi, &madt);
    HCHECK("acpi.a_madt_too_large_to_copy_is_named_by_its_size",
           !ok && logged("is 40960 bytes, more than the 32768") && !logged("no usable MADT"),
           "ok %d; log: %s", ok, log_text);

    machine(MEM_ACPI_RECLAIMABLE);
    put_rsdp(RSDP_AT, "MAPPED");
    memcpy(fake_memory + MADT_AT, "FACS", 4); /* the root table's one entry is not an MADT */
    ok = acpi_init(&bi, &madt);
    HCHECK("acpi.a_missing_madt_is_called_absent", !ok && logged("no usable MADT"),
           "ok %d; log: %s", ok, log_text);
}

int main(void)
{
    rsdp_in_the_memory_map();
    rsdp_scan_limits();
    madt_too_large_or_missing();
    return htest_finish();
}
