/*
 * madt.c - the MADT parser. Kept free of hardware access so the host unit
 * tests can run it on table blobs (tests/host/test_madt.c).
 */
#include "kernel/madt.h"

#include "lib/format.h"
#include "lib/string.h"

#define SDT_HEADER_SIZE 36
#define MADT_FIXED_SIZE (SDT_HEADER_SIZE + 8) /* + local APIC address, flags */
#define MADT_FLAG_PCAT_COMPAT (1u << 0)
#define MADT_ONLINE_CAPABLE_REVISION 5 /* ACPI 6.3 */

/* Unaligned little-endian reads: ACPI tables pack their fields. */
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}
static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

uint8_t acpi_checksum(const void *data, size_t length)
{
    const uint8_t *p = data;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum;
}

/* Minimum length of each entry type we read; shorter entries are corrupt. */
static size_t entry_min_length(uint8_t type)
{
    switch (type) {
    case MADT_LOCAL_APIC: return 8;
    case MADT_IO_APIC: return 12;
    case MADT_INTERRUPT_OVERRIDE: return 10;
    case MADT_LOCAL_APIC_NMI: return 6;
    case MADT_LOCAL_APIC_ADDRESS_OVERRIDE: return 12;
    case MADT_LOCAL_X2APIC: return 16;
    case MADT_LOCAL_X2APIC_NMI: return 12;
    default: return 2;
    }
}

static void add_cpu(struct madt_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    bool from_x2apic)
{
    bool enabled = (flags & MADT_CPU_ENABLED) != 0;
    /* Before revision 5 a disabled entry may still be hot-added later (that
     * is how QEMU lists the CPUs of -smp N,maxcpus=M); from revision 5 on,
     * only an entry marked online capable may (ACPI 6.3 §5.2.12.2). */
    bool hotpluggable = !enabled && (info->revision < MADT_ONLINE_CAPABLE_REVISION ||
                                     (flags & MADT_CPU_ONLINE_CAPABLE) != 0);
    if (!enabled && !hotpluggable)
        return;
    for (size_t i = 0; i < info->cpu_count; i++) {
        if (info->cpus[i].hw_id == apic_id) {
            warning_add(&info->warnings,
                        "madt: APIC ID %u is listed twice; the second entry is ignored", apic_id);
            return;
        }
    }
    if (info->cpu_count == MADT_MAX_CPUS) {
        warning_add(&info->warnings,
                    "madt: more than %d processors; APIC ID %u and later are ignored",
                    MADT_MAX_CPUS, apic_id);
        return;
    }
    info->cpus[info->cpu_count++] = (struct madt_cpu){apic_id, uid, enabled, from_x2apic};
    if (enabled)
        info->enabled_count++;
    else
        info->hotpluggable_count++;
}

static void add_nmi(struct madt_info *info, uint32_t uid, uint16_t flags, uint8_t lint)
{
    if (info->nmi_count < MADT_MAX_NMIS)
        info->nmis[info->nmi_count++] = (struct madt_nmi){uid, flags, lint};
    else
        warning_add(&info->warnings,
                    "madt: more than %d local APIC NMI entries; the rest are ignored",
                    MADT_MAX_NMIS);
}

static void parse_entry(struct madt_info *info, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LOCAL_APIC: add_cpu(info, e[3], e[2], get32(e + 4), false); break;
    case MADT_LOCAL_X2APIC: add_cpu(info, get32(e + 4), get32(e + 12), get32(e + 8), true); break;
    case MADT_IO_APIC:
        if (info->ioapic_count < MADT_MAX_IOAPICS)
            info->ioapics[info->ioapic_count++] =
                (struct madt_ioapic){e[2], get32(e + 4), get32(e + 8)};
        else
            warning_add(&info->warnings, "madt: more than %d I/O APICs; the rest are ignored",
                        MADT_MAX_IOAPICS);
        break;
    case MADT_INTERRUPT_OVERRIDE:
        if (info->override_count < MADT_MAX_OVERRIDES)
            info->overrides[info->override_count++] =
                (struct madt_override){e[2], e[3], get32(e + 4), get16(e + 8)};
        else
            warning_add(&info->warnings,
                        "madt: more than %d interrupt overrides; the rest are ignored",
                        MADT_MAX_OVERRIDES);
        break;
    case MADT_LOCAL_APIC_NMI: {
        uint32_t uid = e[2] == MADT_UID_ALL_XAPIC ? MADT_UID_ALL_X2APIC : e[2];
        add_nmi(info, uid, get16(e + 3), e[5]);
        break;
    }
    case MADT_LOCAL_X2APIC_NMI: add_nmi(info, get32(e + 4), get16(e + 2), e[8]); break;
    case MADT_LOCAL_APIC_ADDRESS_OVERRIDE: info->controller_address = get64(e + 4); break;
    default: break; /* types the kernel does not use (GIC, RINTC, ...) are skipped */
    }
}

bool madt_parse(const void *table, size_t length, struct madt_info *info)
{
    const uint8_t *t = table;
    memset(info, 0, sizeof(*info));

    if (table == NULL || length < MADT_FIXED_SIZE) {
        warning_add(&info->warnings,
                    "madt: table missing or shorter than its fixed part (%zu bytes)", length);
        return false;
    }
    if (memcmp(t, "APIC", 4) != 0) {
        warning_add(&info->warnings, "madt: signature is not \"APIC\"");
        return false;
    }
    uint32_t table_length = get32(t + 4);
    if (table_length < MADT_FIXED_SIZE || table_length > length) {
        warning_add(&info->warnings, "madt: length field %u is outside %d..%zu", table_length,
                    MADT_FIXED_SIZE, length);
        return false;
    }
    if (acpi_checksum(t, table_length) != 0) {
        warning_add(&info->warnings, "madt: checksum is wrong (bytes sum to %u, not 0)",
                    acpi_checksum(t, table_length));
        return false;
    }
    info->revision = t[8];
    info->controller_address = get32(t + SDT_HEADER_SIZE);
    info->pcat_compat = (get32(t + SDT_HEADER_SIZE + 4) & MADT_FLAG_PCAT_COMPAT) != 0;

    size_t offset = MADT_FIXED_SIZE;
    while (offset < table_length) {
        if (table_length - offset < 2) {
            warning_add(&info->warnings, "madt: stray byte at the end of the table (offset %zu)",
                        offset);
            break;
        }
        const uint8_t *e = t + offset;
        uint8_t entry_length = e[1];
        if (entry_length < entry_min_length(e[0]) || entry_length > table_length - offset) {
            warning_add(&info->warnings,
                        "madt: entry type %u at offset %zu has bad length %u; parsing stops", e[0],
                        offset, entry_length);
            break;
        }
        parse_entry(info, e);
        info->entry_count++;
        offset += entry_length;
    }
    if (info->enabled_count == 0)
        warning_add(&info->warnings, "madt: no enabled processor is listed");
    info->valid = true;
    return true;
}
