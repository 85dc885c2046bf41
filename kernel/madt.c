/*
 * madt.c - the MADT parser. Kept free of hardware access so the host unit
 * tests can run it on table blobs (tests/host/test_madt.c).
 */
#include "kernel/madt.h"

#include "kernel/acpi_tables.h"

#include "lib/format.h"
#include "lib/string.h"

#define MADT_ONLINE_CAPABLE_REVISION 5 /* ACPI 6.3 */

/* Minimum length of each entry type we read; shorter entries are corrupt. */
static size_t entry_min_length(uint8_t type)
{
    switch (type) {
    case MADT_LOCAL_APIC: return sizeof(struct acpi_madt_local_apic);
    case MADT_IO_APIC: return sizeof(struct acpi_madt_io_apic);
    case MADT_INTERRUPT_OVERRIDE: return sizeof(struct acpi_madt_interrupt_override);
    case MADT_LOCAL_APIC_NMI: return sizeof(struct acpi_madt_local_apic_nmi);
    case MADT_LOCAL_APIC_ADDRESS_OVERRIDE: return sizeof(struct acpi_madt_address_override);
    case MADT_LOCAL_X2APIC: return sizeof(struct acpi_madt_local_x2apic);
    case MADT_LOCAL_X2APIC_NMI: return sizeof(struct acpi_madt_local_x2apic_nmi);
    default: return sizeof(struct acpi_madt_entry);
    }
}

/* The all-ones ID is the broadcast address (SDM vol. 3A §11.6.1, §11.12.9),
 * never a CPU's: firmware lists it in placeholder entries for sockets that
 * are empty, usually disabled, sometimes (wrongly) enabled. */
#define XAPIC_BROADCAST_ID 0xFFu
#define X2APIC_BROADCAST_ID 0xFFFFFFFFu

static void add_cpu(struct madt_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    bool from_x2apic)
{
    bool enabled = (flags & MADT_CPU_ENABLED) != 0;
    if (apic_id == (from_x2apic ? X2APIC_BROADCAST_ID : XAPIC_BROADCAST_ID)) {
        if (enabled)
            warning_add(&info->warnings,
                        "madt: an enabled processor entry has the broadcast APIC ID %#x; "
                        "ignored",
                        apic_id);
        return;
    }
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

/* e has at least entry_min_length(e[0]) bytes. */
static void parse_entry(struct madt_info *info, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LOCAL_APIC: {
        struct acpi_madt_local_apic a;
        memcpy(&a, e, sizeof(a));
        add_cpu(info, a.apic_id, a.acpi_processor_uid, a.flags, false);
        break;
    }
    case MADT_LOCAL_X2APIC: {
        struct acpi_madt_local_x2apic a;
        memcpy(&a, e, sizeof(a));
        add_cpu(info, a.x2apic_id, a.acpi_processor_uid, a.flags, true);
        break;
    }
    case MADT_IO_APIC: {
        struct acpi_madt_io_apic a;
        memcpy(&a, e, sizeof(a));
        if (info->ioapic_count < MADT_MAX_IOAPICS)
            info->ioapics[info->ioapic_count++] =
                (struct madt_ioapic){a.io_apic_id, a.address, a.gsi_base};
        else
            warning_add(&info->warnings, "madt: more than %d I/O APICs; the rest are ignored",
                        MADT_MAX_IOAPICS);
        break;
    }
    case MADT_INTERRUPT_OVERRIDE: {
        struct acpi_madt_interrupt_override a;
        memcpy(&a, e, sizeof(a));
        if (info->override_count < MADT_MAX_OVERRIDES)
            info->overrides[info->override_count++] =
                (struct madt_override){a.bus, a.source, a.gsi, a.flags};
        else
            warning_add(&info->warnings,
                        "madt: more than %d interrupt overrides; the rest are ignored",
                        MADT_MAX_OVERRIDES);
        break;
    }
    case MADT_LOCAL_APIC_NMI: {
        struct acpi_madt_local_apic_nmi a;
        memcpy(&a, e, sizeof(a));
        uint32_t uid =
            a.acpi_processor_uid == MADT_UID_ALL_XAPIC ? MADT_UID_ALL_X2APIC : a.acpi_processor_uid;
        add_nmi(info, uid, a.flags, a.lint);
        break;
    }
    case MADT_LOCAL_X2APIC_NMI: {
        struct acpi_madt_local_x2apic_nmi a;
        memcpy(&a, e, sizeof(a));
        add_nmi(info, a.acpi_processor_uid, a.flags, a.lint);
        break;
    }
    case MADT_LOCAL_APIC_ADDRESS_OVERRIDE: {
        struct acpi_madt_address_override a;
        memcpy(&a, e, sizeof(a));
        info->controller_address = a.local_apic_address;
        break;
    }
    default: break; /* types the kernel does not use (GIC, RINTC, ...) are skipped */
    }
}

bool madt_parse(const void *table, size_t length, struct acpi_fadt_version fadt,
                struct madt_info *info)
{
    const uint8_t *t = table;
    memset(info, 0, sizeof(*info));

    struct acpi_madt m;
    if (table == NULL || length < sizeof(m)) {
        warning_add(&info->warnings,
                    "madt: table missing or shorter than its fixed part (%zu bytes)", length);
        return false;
    }
    memcpy(&m, t, sizeof(m));
    if (memcmp(m.header.signature, "APIC", 4) != 0) {
        warning_add(&info->warnings, "madt: signature is not \"APIC\"");
        return false;
    }
    uint32_t table_length = m.header.length;
    if (table_length < sizeof(m) || table_length > length) {
        warning_add(&info->warnings, "madt: length field %u is outside %zu..%zu", table_length,
                    sizeof(m), length);
        return false;
    }
    if (acpi_checksum(t, table_length) != 0) {
        warning_add(&info->warnings, "madt: checksum is wrong (bytes sum to %u, not 0)",
                    acpi_checksum(t, table_length));
        return false;
    }
    info->revision = m.header.revision;
    info->fadt = fadt;
    info->controller_address = m.local_apic_address;
    info->pcat_compat = (m.flags & ACPI_MADT_PCAT_COMPAT) != 0;

    size_t offset = sizeof(m);
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
