/*
 * madt.c - the MADT parser. Kept free of hardware access so the host unit
 * tests can run it on table blobs (tests/host/test_madt.c).
 *
 * Several hundred real PCs' tables taught it what to keep quiet about
 * (issue 21): a warning is for something a person must know. Entries that
 * firmware lists routinely and the kernel has no use for (local APIC NMI
 * entries past the first 16, x2APIC entries that repeat the local APIC
 * entries, disabled placeholders with an APIC ID already listed) are
 * counted in struct madt_info, and the `verbose` option prints the counts
 * in one line (kernel/firmware/acpi.c).
 */
#include "kernel/firmware/madt.h"

#include "kernel/firmware/acpi_tables.h"

#include "lib/format.h"
#include "lib/string.h"

/* LAB(madt-open) begin: the whole parser, madt_parse and everything it calls */
#define MADT_ONLINE_CAPABLE_REVISION 5 /* ACPI 6.3 */
#define FADT_ONLINE_CAPABLE_MAJOR 6    /* ACPI 6.3's FADT is version 6.3 */
#define FADT_ONLINE_CAPABLE_MINOR 3

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

/* Whether the firmware's flags say this processor could be brought online
 * later (hot-added), when it is not enabled now.
 *
 * Online Capable (flags bit 1, ACPI 6.5 §5.2.12.2, table 5.23) came with
 * ACPI 6.3. Before it the specification only calls a disabled processor
 * unusable; counting every disabled entry as one that could be hot-added
 * is Linux's convention, which QEMU relies on for the CPUs of
 * -smp N,maxcpus=M beyond N, and the kernel follows it. Which ACPI version
 * the firmware follows is read from the FADT, not from the MADT's own
 * revision: many laptops (AMD, Lenovo) write a revision 2 MADT beside a
 * FADT 6.3 and mean the new rule, and without it every empty placeholder
 * would count as a possible CPU. Linux decides the same way. Only without
 * a FADT is the MADT's revision (5 for ACPI 6.3) the guide. */
static bool online_capable_defined(const struct madt_info *info)
{
    const struct acpi_fadt_version *f = &info->fadt;
    if (f->major == 0)
        return info->revision >= MADT_ONLINE_CAPABLE_REVISION;
    return f->major > FADT_ONLINE_CAPABLE_MAJOR ||
           (f->major == FADT_ONLINE_CAPABLE_MAJOR && f->minor >= FADT_ONLINE_CAPABLE_MINOR);
}

static bool cpu_usable(const struct madt_info *info, uint32_t flags)
{
    if (flags & MADT_CPU_ENABLED)
        return true;
    return !online_capable_defined(info) || (flags & MADT_CPU_ONLINE_CAPABLE) != 0;
}

static void add_cpu(struct madt_info *info, uint32_t apic_id, uint32_t uid, uint32_t flags,
                    bool from_x2apic)
{
    /* LAB(madt) begin: keep a processor entry: placeholders, possible CPUs, duplicates */
    bool enabled = (flags & MADT_CPU_ENABLED) != 0;
    if (apic_id == (from_x2apic ? X2APIC_BROADCAST_ID : XAPIC_BROADCAST_ID)) {
        if (enabled)
            warning_add(&info->warnings,
                        "madt: an enabled processor entry has the broadcast APIC ID %#x; "
                        "ignored",
                        apic_id);
        return;
    }
    if (!cpu_usable(info, flags))
        return;
    for (size_t i = 0; i < info->cpu_count; i++) {
        struct madt_cpu *c = &info->cpus[i];
        if (c->hw_id != apic_id)
            continue;
        /* A disabled entry with an APIC ID already listed is no second CPU
         * (one ID, one local APIC) and no problem either: AMI firmware
         * fills its unused slots with copies of one disabled entry,
         * APIC ID 0 included, twenty of them on one Ryzen board. */
        if (!enabled) {
            info->disabled_duplicates++;
            return;
        }
        /* Such placeholders may also come before the enabled entry: the
         * enabled one is the CPU, in the placeholder's place. */
        if (!c->enabled) {
            *c = (struct madt_cpu){apic_id, uid, true, from_x2apic};
            info->hotpluggable_count--;
            info->enabled_count++;
            info->disabled_duplicates++;
            return;
        }
        /* Two enabled entries with one ID: the firmware contradicts itself
         * about a CPU it asks the OS to start. */
        warning_add(&info->warnings,
                    "madt: APIC ID %u is listed twice; the second entry is ignored", apic_id);
        return;
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
    /* LAB(madt) stub
    (void)info;
    (void)apic_id;
    (void)uid;
    (void)flags;
    (void)from_x2apic; // no processor is kept
    LAB(madt) end */
}

static void add_nmi(struct madt_info *info, uint32_t uid, uint16_t flags, uint8_t lint)
{
    /* Firmware lists one entry per processor entry, placeholders included
     * (20-24 on 4-CPU laptops), and nothing reads them: the kernel keeps
     * LINT0 and LINT1 masked. Past the first 16, they are only counted. */
    /* LAB(madt) begin: keep the first MADT_MAX_NMIS NMI entries, count the rest */
    if (info->nmi_count < MADT_MAX_NMIS)
        info->nmis[info->nmi_count++] = (struct madt_nmi){uid, flags, lint};
    else
        info->nmis_unused++;
    /* LAB(madt) stub
    (void)info;
    (void)uid;
    (void)flags;
    (void)lint; // no NMI entry is kept
    LAB(madt) end */
}

/* e has at least entry_min_length(e[0]) bytes. local_apic_cpus: some type 0
 * entry lists a processor (see lists_local_apic_cpus). */
static void parse_entry(struct madt_info *info, const uint8_t *e, bool local_apic_cpus)
{
    switch (e[0]) {
    case MADT_LOCAL_APIC: {
        struct acpi_madt_local_apic a;
        memcpy(&a, e, sizeof(a));
        add_cpu(info, a.apic_id, a.acpi_processor_uid, a.flags, false);
        break;
    }
    case MADT_LOCAL_X2APIC: {
        /* LAB(madt) begin: a processor local x2APIC entry (which ones are CPUs) */
        struct acpi_madt_local_x2apic a;
        memcpy(&a, e, sizeof(a));
        /* x2APIC entries are for IDs that do not fit in a type 0 entry's 8
         * bits; processors with smaller IDs are described by type 0 entries
         * (ACPI 6.5 §5.2.12.12). Firmware that lists them in both gives
         * each CPU a "twin", or an x2APIC entry for a CPU the type 0 entries
         * do not start. Linux ignores such entries when type 0 entries list
         * processors, and so does this kernel; without type 0 entries
         * (firmware in x2APIC mode) they are the CPUs. */
        if (local_apic_cpus && a.x2apic_id < XAPIC_BROADCAST_ID) {
            info->x2apic_small_ids++;
            break;
        }
        add_cpu(info, a.x2apic_id, a.acpi_processor_uid, a.flags, true);
        /* LAB(madt) stub
        (void)local_apic_cpus; // x2APIC entries are not read
        LAB(madt) end */
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
        /* LAB(madt) begin: a local APIC NMI entry, its UID 0xFF meaning every processor */
        struct acpi_madt_local_apic_nmi a;
        memcpy(&a, e, sizeof(a));
        uint32_t uid =
            a.acpi_processor_uid == MADT_UID_ALL_XAPIC ? MADT_UID_ALL_X2APIC : a.acpi_processor_uid;
        add_nmi(info, uid, a.flags, a.lint);
        /* LAB(madt) stub
        LAB(madt) end */
        break;
    }
    case MADT_LOCAL_X2APIC_NMI: {
        struct acpi_madt_local_x2apic_nmi a;
        memcpy(&a, e, sizeof(a));
        add_nmi(info, a.acpi_processor_uid, a.flags, a.lint); /* 0xFFFFFFFF: all already */
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

/* The length of the entry at offset, or 0 where it is malformed: a stray
 * byte, shorter than its type needs, or running past the table. */
static size_t entry_length_at(const uint8_t *t, uint32_t table_length, size_t offset)
{
    if (table_length - offset < 2)
        return 0;
    uint8_t length = t[offset + 1];
    /* LAB(madt) begin: refuse a length too short for the entry's type, or running past the end */
    if (length < entry_min_length(t[offset]) || length > table_length - offset)
        return 0;
    /* LAB(madt) stub
    (void)entry_min_length; // every length byte is believed
    LAB(madt) end */
    return length;
}

/* Whether a type 0 entry lists a processor the kernel would take: not the
 * broadcast ID, enabled or able to come online. Only then are x2APIC
 * entries with small IDs redundant (a table whose only type 0 entries are
 * broadcast-ID placeholders describes its CPUs in x2APIC entries). */
static bool lists_local_apic_cpus(const struct madt_info *info, const uint8_t *t,
                                  uint32_t table_length)
{
    size_t length;
    for (size_t offset = sizeof(struct acpi_madt); offset < table_length; offset += length) {
        if ((length = entry_length_at(t, table_length, offset)) == 0)
            return false; /* the walk stops there too, with a warning */
        if (t[offset] != MADT_LOCAL_APIC)
            continue;
        struct acpi_madt_local_apic a;
        memcpy(&a, t + offset, sizeof(a));
        if (a.apic_id != XAPIC_BROADCAST_ID && cpu_usable(info, a.flags))
            return true;
    }
    return false;
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

    bool local_apic_cpus = lists_local_apic_cpus(info, t, table_length);
    /* LAB(madt) begin: walk the entries, each by its length, to the table's end */
    size_t offset = sizeof(m);
    while (offset < table_length) {
        if (table_length - offset < 2) {
            warning_add(&info->warnings, "madt: stray byte at the end of the table (offset %zu)",
                        offset);
            break;
        }
        const uint8_t *e = t + offset;
        size_t entry_length = entry_length_at(t, table_length, offset);
        if (entry_length == 0) {
            warning_add(&info->warnings,
                        "madt: entry type %u at offset %zu has bad length %u; parsing stops", e[0],
                        offset, e[1]);
            break;
        }
        parse_entry(info, e, local_apic_cpus);
        info->entry_count++;
        offset += entry_length;
    }
    /* LAB(madt) stub
    (void)local_apic_cpus;
    (void)parse_entry; // no entry is read
    LAB(madt) end */
    if (info->enabled_count == 0)
        warning_add(&info->warnings, "madt: no enabled processor is listed");
    info->valid = true;
    return true;
}

/* LAB(madt-open) stub
bool madt_parse(const void *table, size_t length, struct acpi_fadt_version fadt,
                struct madt_info *info)
{
    (void)table;
    (void)length;
    (void)fadt;
    memset(info, 0, sizeof(*info));
    return false; // every table is refused
}
LAB(madt-open) end */
