/*
 * acpi.c - RSDP discovery and the root table walk.
 */
#include "kernel/firmware/acpi.h"

#include "kernel/firmware/acpi_tables.h"

#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"
#include "lib/format.h"
#include "lib/string.h"

#define RSDP_SIGNATURE "RSD PTR "
#define RSDP_ALIGN 16             /* the RSDP sits on a 16-byte boundary */
#define SDT_MAX_LENGTH (1u << 20) /* sanity bound for any table we read */
#define MADT_COPY_MAX 32768       /* 1024 x2APIC entries fit */
#define EBDA_SCAN_LENGTH 1024     /* the first KiB of the EBDA (ACPI §5.2.5.1) */
#define BIOS_AREA_START 0xE0000u
#define BIOS_AREA_END 0x100000u
#define DUMP_BYTES_PER_LINE 32

static struct acpi_state state;
static uint8_t madt_copy[MADT_COPY_MAX];
static size_t madt_copy_length;

const struct acpi_state *acpi_state(void) { return &state; }

const uint8_t *acpi_madt_copy(size_t *length)
{
    *length = madt_copy_length;
    return madt_copy_length != 0 ? madt_copy : NULL;
}

/* A valid RSDP: signature, checksum, and for revision 2+ the extended one. */
static bool rsdp_valid(const uint8_t *r, size_t available)
{
    struct acpi_rsdp rsdp;
    if (available < ACPI_RSDP_V1_LENGTH || memcmp(r, RSDP_SIGNATURE, 8) != 0)
        return false;
    if (acpi_checksum(r, ACPI_RSDP_V1_LENGTH) != 0)
        return false;
    memcpy(&rsdp, r, ACPI_RSDP_V1_LENGTH);
    if (rsdp.revision >= 2) {
        if (available < sizeof(rsdp))
            return false;
        memcpy(&rsdp, r, sizeof(rsdp));
        if (rsdp.length < sizeof(rsdp) || rsdp.length > available ||
            acpi_checksum(r, rsdp.length) != 0)
            return false;
    }
    return true;
}

static const uint8_t *scan_for_rsdp(uint64_t start, uint64_t end, uint64_t *found)
{
    start = (start + RSDP_ALIGN - 1) & ~(uint64_t)(RSDP_ALIGN - 1);
    if (end <= start)
        return NULL;
    const uint8_t *area = arch_phys_to_virt(start, end - start);
    if (area == NULL)
        return NULL;
    for (uint64_t off = 0; off + ACPI_RSDP_V1_LENGTH <= end - start; off += RSDP_ALIGN) {
        if (rsdp_valid(area + off, end - start - off)) {
            *found = start + off;
            return area + off;
        }
    }
    return NULL;
}

/*
 * The last place to look: the regions the loader's memory map calls ACPI
 * reclaimable or ACPI NVS (types 3 and 4, multiboot 0.6.96 §3.3). On UEFI
 * the RSDP is found through the EFI system table (ACPI 6.5 §5.2.5.2), which
 * multiboot 1 does not pass on, nor does it have a field for the RSDP, so
 * under GRUB's multiboot command on OVMF this is the only way to it. The
 * firmware keeps its ACPI tables in such memory, and the RSDP on a 16-byte
 * boundary there as everywhere. The search is that of the BIOS areas: the
 * signature on the 16-byte grid, then the checksum(s). Regions that are not
 * wholly in the kernel's mapping (the low 4 GiB, arch_phys_to_virt) are
 * passed over; reserved memory is never read (it may be a device's).
 */
static const uint8_t *scan_memory_map(const struct boot_info *bi)
{
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *m = &bi->mmap[i];
        if (m->type != MEM_ACPI_RECLAIMABLE && m->type != MEM_ACPI_NVS)
            continue;
        if (m->length == 0 || m->length > UINT64_MAX - m->base)
            continue; /* empty, or wraps: not a region */
        const uint8_t *r = scan_for_rsdp(m->base, m->base + m->length, &state.rsdp_phys);
        if (r != NULL) {
            state.rsdp_source = RSDP_MEMORY_MAP;
            state.rsdp_region_type = m->type;
            return r;
        }
    }
    return NULL;
}

static const uint8_t *find_rsdp(const struct boot_info *bi)
{
    if (bi->rsdp_length != 0) {
        if (rsdp_valid(bi->rsdp, bi->rsdp_length)) {
            state.rsdp_source = bi->rsdp_is_new ? RSDP_TAG_NEW : RSDP_TAG_OLD;
            return bi->rsdp;
        }
        kprintf("acpi: the RSDP passed by the loader fails its checksum; ignoring it\n");
    }
    const uint8_t *r;
    if (!bi->uefi) { /* UEFI leaves nothing in the legacy BIOS areas */
        uint64_t ebda = arch_legacy_ebda_base();
        if (ebda != 0 && (r = scan_for_rsdp(ebda, ebda + EBDA_SCAN_LENGTH, &state.rsdp_phys))) {
            state.rsdp_source = RSDP_EBDA;
            return r;
        }
        if ((r = scan_for_rsdp(BIOS_AREA_START, BIOS_AREA_END, &state.rsdp_phys))) {
            state.rsdp_source = RSDP_BIOS_AREA;
            return r;
        }
    }
    return scan_memory_map(bi);
}

/* Maps and checks a system description table header; returns it or NULL. */
static const uint8_t *table_at(uint64_t phys, const char *expect_signature, size_t *length)
{
    struct acpi_sdt_header header;
    const uint8_t *h = arch_phys_to_virt(phys, sizeof(header));
    if (h == NULL)
        return NULL;
    memcpy(&header, h, sizeof(header));
    if (expect_signature != NULL && memcmp(h, expect_signature, 4) != 0) {
        kprintf("acpi: table at %#llx should be \"%.4s\" but is \"%.4s\"\n",
                (unsigned long long)phys, expect_signature, (const char *)h);
        return NULL;
    }
    uint32_t len = header.length;
    if (len < sizeof(header) || len > SDT_MAX_LENGTH) {
        kprintf("acpi: table \"%.4s\" at %#llx has impossible length %u\n", (const char *)h,
                (unsigned long long)phys, len);
        return NULL;
    }
    const uint8_t *t = arch_phys_to_virt(phys, len);
    if (t == NULL) {
        kprintf("acpi: table \"%.4s\" at %#llx is outside mapped memory\n", (const char *)h,
                (unsigned long long)phys);
        return NULL;
    }
    if (acpi_checksum(t, len) != 0) {
        kprintf("acpi: table \"%.4s\" at %#llx fails its checksum\n", (const char *)h,
                (unsigned long long)phys);
        return NULL;
    }
    *length = len;
    return t;
}

/* The root table (XSDT or RSDT) and how many tables it lists; NULL when
 * there is none that checks out. */
static const uint8_t *root_table(size_t *length, size_t *entries)
{
    if (state.root_phys == 0)
        return NULL;
    const uint8_t *root = table_at(state.root_phys, state.use_xsdt ? "XSDT" : "RSDT", length);
    if (root != NULL)
        *entries = (*length - sizeof(struct acpi_sdt_header)) / (state.use_xsdt ? 8 : 4);
    return root;
}

/* The physical address of the root table's entry i (8 bytes in the XSDT,
 * 4 in the RSDT: ACPI 6.5 §5.2.7, §5.2.8). */
static uint64_t root_entry(const uint8_t *root, size_t i)
{
    const uint8_t *e = root + sizeof(struct acpi_sdt_header);
    return state.use_xsdt ? acpi_read64(e + 8 * i) : acpi_read32(e + 4 * i);
}

uint64_t acpi_find_table(const char signature[4], size_t *length)
{
    size_t root_length, count;
    const uint8_t *root = root_table(&root_length, &count);
    if (root == NULL)
        return 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t phys = root_entry(root, i);
        const uint8_t *h = arch_phys_to_virt(phys, sizeof(struct acpi_sdt_header));
        if (h == NULL || memcmp(h, signature, 4) != 0)
            continue;
        if (table_at(phys, signature, length) != NULL)
            return phys;
    }
    return 0;
}

static const char *space_name(uint8_t space)
{
    switch (space) {
    case ACPI_SPACE_MEMORY: return "memory";
    case ACPI_SPACE_IO: return "I/O port";
    case ACPI_SPACE_PCI_CONFIG: return "PCI configuration";
    default: return "unknown space";
    }
}

/* The FADT (PM timer, reset register), HPET and DMAR tables, where there. */
static void read_platform_tables(void)
{
    size_t length;
    if ((state.fadt_phys = acpi_find_table("FACP", &length)) != 0 &&
        acpi_fadt_parse(arch_phys_to_virt(state.fadt_phys, length), length, &state.fadt)) {
        const struct acpi_fadt_info *f = &state.fadt;
        char timer[48] = "none", reset[72] = "none";
        if (f->pm_timer_port != 0)
            fmt_snprintf(timer, sizeof(timer), "at I/O port %#x, %u bits", f->pm_timer_port,
                         f->pm_timer_32bit ? 32 : 24);
        else if (f->hardware_reduced)
            strlcpy(timer, "none (hardware-reduced ACPI)", sizeof(timer));
        if (f->reset_supported)
            fmt_snprintf(reset, sizeof(reset), "%s %#llx, value %#x",
                         space_name(f->reset_register.space),
                         (unsigned long long)f->reset_register.address, f->reset_value);
        kprintf("acpi: FADT: PM timer %s; reset register %s\n", timer, reset);
    }
    if ((state.hpet_phys = acpi_find_table("HPET", &length)) != 0) {
        acpi_hpet_parse(arch_phys_to_virt(state.hpet_phys, length), length, &state.hpet);
        if (state.hpet.base != 0)
            kprintf("acpi: HPET %u at %#llx\n", state.hpet.number,
                    (unsigned long long)state.hpet.base);
        else
            kprintf("acpi: the HPET table gives no usable register address; ignoring it\n");
    }
    if ((state.dmar_phys = acpi_find_table("DMAR", &length)) != 0 &&
        acpi_dmar_parse(arch_phys_to_virt(state.dmar_phys, length), length, &state.dmar))
        kprintf("acpi: DMAR: interrupt remapping %s, x2APIC opt-out %s\n",
                state.dmar.interrupt_remapping ? "supported" : "not supported",
                state.dmar.x2apic_opt_out ? "set" : "clear");
}

static const char *source_name(enum acpi_rsdp_source s)
{
    switch (s) {
    case RSDP_TAG_NEW: return "multiboot2 ACPI new tag";
    case RSDP_TAG_OLD: return "multiboot2 ACPI old tag";
    case RSDP_EBDA: return "EBDA scan";
    case RSDP_BIOS_AREA: return "BIOS area scan";
    case RSDP_MEMORY_MAP:
        return state.rsdp_region_type == MEM_ACPI_NVS ? "memory map's ACPI NVS region scan"
                                                      : "memory map's ACPI reclaimable region scan";
    default: return "none";
    }
}

bool acpi_init(const struct boot_info *bi, struct madt_info *madt)
{
    memset(madt, 0, sizeof(*madt));
    memset(&state, 0, sizeof(state)); /* nothing kept from an earlier call (tests) */
    madt_copy_length = 0;
    const uint8_t *rsdp = find_rsdp(bi);
    if (rsdp == NULL) {
        kprintf("acpi: no valid RSDP found: the firmware has no ACPI tables (QEMU -no-acpi, "
                "or a PC from before ACPI); running on the boot CPU alone. This kernel finds "
                "CPUs only in the ACPI MADT, not in the older Intel MP table\n");
        return false;
    }
    struct acpi_rsdp r;
    memcpy(&r, rsdp, ACPI_RSDP_V1_LENGTH); /* rsdp_valid checked the rest if revision >= 2 */
    if (r.revision >= 2)
        memcpy(&r, rsdp, sizeof(r));
    state.revision = r.revision;
    memcpy(state.oem_id, r.oem_id, sizeof(r.oem_id));
    uint64_t xsdt = state.revision >= 2 ? r.xsdt_address : 0;
    size_t length;
    if (xsdt != 0 && table_at(xsdt, "XSDT", &length) != NULL) {
        state.use_xsdt = true;
        state.root_phys = xsdt;
    } else {
        if (xsdt != 0)
            kprintf("acpi: the XSDT is unusable; trying the RSDT\n");
        if (table_at(r.rsdt_address, "RSDT", &length) != NULL)
            state.root_phys = r.rsdt_address;
    }
    char where[24] = "";
    if (state.rsdp_phys != 0)
        fmt_snprintf(where, sizeof(where), " at %#llx", (unsigned long long)state.rsdp_phys);
    kprintf("acpi: RSDP revision %u, OEM \"%s\", from the %s%s; root table %s at %#llx\n",
            state.revision, state.oem_id, source_name(state.rsdp_source), where,
            state.root_phys == 0 ? "(none usable)"
            : state.use_xsdt     ? "XSDT"
                                 : "RSDT",
            (unsigned long long)state.root_phys);
    if (state.root_phys == 0) {
        kprintf("acpi: no usable root table; running on the boot CPU alone\n");
        return false;
    }
    read_platform_tables();
    state.madt_phys = acpi_find_table("APIC", &state.madt_length);
    if (state.madt_phys == 0) {
        kprintf("acpi: no usable MADT (\"APIC\" table) in the root table; running on the "
                "boot CPU alone\n");
        return false;
    }
    if (state.madt_length > MADT_COPY_MAX) {
        kprintf("acpi: the MADT (\"APIC\" table) is %llu bytes, more than the %u this kernel "
                "copies; running on the boot CPU alone\n",
                (unsigned long long)state.madt_length, (unsigned)MADT_COPY_MAX);
        return false;
    }
    memcpy(madt_copy, arch_phys_to_virt(state.madt_phys, state.madt_length), state.madt_length);
    madt_copy_length = state.madt_length;
    if (inject_requested(INJECT_BAD_MADT))
        madt_copy[offsetof(struct acpi_madt, flags)] ^= 0x5A; /* now the checksum fails */

    bool ok = madt_parse(madt_copy, madt_copy_length, state.fadt.version, madt);
    console_print_warnings(&madt->warnings);
    if (!ok) {
        kprintf("acpi: the MADT is unusable; running on the boot CPU alone\n");
        return false;
    }
    kprintf("acpi: MADT revision %u: %zu CPUs enabled, %zu hot-pluggable, %zu I/O APICs, "
            "local APIC at %#llx%s\n",
            madt->revision, madt->enabled_count, madt->hotpluggable_count, madt->ioapic_count,
            (unsigned long long)madt->controller_address,
            madt->pcat_compat ? ", 8259 PICs present" : "");
    /* Entries real firmware lists routinely and the kernel does not use:
     * no warning (madt.c says why each is harmless), one line on request. */
    if (boot_options.verbose &&
        madt->nmis_unused + madt->x2apic_small_ids + madt->disabled_duplicates != 0)
        kprintf("acpi: MADT entries not used: %zu local APIC NMI past the first %d, %zu x2APIC "
                "with IDs below 255, %zu disabled with an APIC ID already listed\n",
                madt->nmis_unused, MADT_MAX_NMIS, madt->x2apic_small_ids,
                madt->disabled_duplicates);
    return true;
}

/* Lines of "acpi: <what> <offset> <hex bytes>", which
 * tools/capture_acpi.py reads back into tables. */
static void dump_bytes(const char *what, const uint8_t *bytes, size_t length)
{
    for (size_t off = 0; off < length; off += DUMP_BYTES_PER_LINE) {
        kprintf("acpi: %s %04zx ", what, off);
        for (size_t i = off; i < off + DUMP_BYTES_PER_LINE && i < length; i++)
            kprintf("%02x", bytes[i]);
        kprintf("\n");
    }
}

void acpi_dump_tables(const struct boot_info *bi)
{
    if (bi->rsdp_length != 0)
        dump_bytes("table RSDP", bi->rsdp, bi->rsdp_length);
    size_t root_length, count;
    const uint8_t *root = root_table(&root_length, &count);
    if (root == NULL)
        return;
    dump_bytes(state.use_xsdt ? "table XSDT" : "table RSDT", root, root_length);
    for (size_t i = 0; i < count; i++) {
        size_t length;
        const uint8_t *t = table_at(root_entry(root, i), NULL, &length);
        char what[] = "table ????";
        if (t != NULL) {
            memcpy(what + 6, t, 4);
            dump_bytes(what, t, length);
        }
    }
}

void acpi_dump_madt(void) { dump_bytes("madt", madt_copy, madt_copy_length); }
