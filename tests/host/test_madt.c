/*
 * test_madt.c - kernel/firmware/madt.c on hand-built tables and on MADTs captured from
 * QEMU boots (tests/host/data/madt/, made by tools/capture_madt.py).
 */
#include "kernel/firmware/acpi_tables.h"
#include "kernel/firmware/madt.h"

#include "tests/host/htest.h"

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef MADT_DATA_DIR
#error "MADT_DATA_DIR must name tests/host/data/madt"
#endif

/* ---- a tiny MADT builder ---- */
struct blob {
    uint8_t b[65536];
    size_t len;
};

static void put8(struct blob *t, uint8_t v) { t->b[t->len++] = v; }
static void put16(struct blob *t, uint16_t v)
{
    put8(t, v & 0xFF);
    put8(t, v >> 8);
}
static void put32(struct blob *t, uint32_t v)
{
    put16(t, v & 0xFFFF);
    put16(t, v >> 16);
}
static void put64(struct blob *t, uint64_t v)
{
    put32(t, (uint32_t)v);
    put32(t, v >> 32);
}

static void begin(struct blob *t, uint8_t revision, uint32_t lapic, uint32_t flags)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->b, "APIC", 4);
    t->b[8] = revision;
    memcpy(t->b + 10, "IPIKRN", 6);
    t->len = 36;
    put32(t, lapic);
    put32(t, flags);
}

static void lapic(struct blob *t, uint8_t uid, uint8_t id, uint32_t flags)
{
    put8(t, 0);
    put8(t, 8);
    put8(t, uid);
    put8(t, id);
    put32(t, flags);
}

static void x2apic(struct blob *t, uint32_t id, uint32_t flags, uint32_t uid)
{
    put8(t, 9);
    put8(t, 16);
    put16(t, 0);
    put32(t, id);
    put32(t, flags);
    put32(t, uid);
}

/* Writes the length and checksum. */
static void finish(struct blob *t)
{
    t->b[4] = t->len & 0xFF;
    t->b[5] = (t->len >> 8) & 0xFF;
    t->b[6] = 0;
    t->b[7] = 0;
    t->b[9] = 0;
    t->b[9] = (uint8_t)(0x100 - acpi_checksum(t->b, t->len));
}

/* No FADT: the parser then goes by the MADT's own revision. */
#define NO_FADT ((struct acpi_fadt_version){0, 0})

static struct blob t;
static struct madt_info info;

static bool has_warning(const char *text)
{
    for (size_t i = 0; i < info.warnings.count && i < WARNINGS_KEPT; i++)
        if (strstr(info.warnings.text[i], text) != NULL)
            return true;
    return false;
}

/* ---- every parse is bounded, and reads only the bytes it is given ----
 *
 * A wrong parser can loop forever: an entry of length 0 "skipped" by its
 * own length never moves the walk on. Each parse may use PARSE_CPU_MS of
 * CPU time, more than twenty times what the largest table here takes
 * (ITIMER_PROF: a loaded host does not make a correct parse look hung, as
 * a wall-clock bound would); past that, the handler fails every selected
 * case judged on that parse, by name, and ends the program. make grade (HTEST_ONLY) then
 * runs it again for the cases left, and a parse none of whose cases is
 * selected is not run, so it cannot hang that run too.
 *
 * A parse's cases are its group: the case named as the group, and those
 * named "<group>.<check>". */
#define PARSE_CPU_MS 200

static char hang_report[8192];
static size_t hang_report_length;
static char running_group[200];

static void on_parse_hang(int signal_number)
{
    (void)signal_number;
    ssize_t written = write(STDOUT_FILENO, hang_report, hang_report_length);
    (void)written;
    _exit(1);
}

static void add_hung_case(const char *name, size_t name_length)
{
    hang_report_length += (size_t)snprintf(
        hang_report + hang_report_length, sizeof(hang_report) - hang_report_length,
        "# hung: madt_parse used %d ms of CPU time and did not return (a walk that never "
        "moves on?)\n# not ok %.*s\n",
        PARSE_CPU_MS, (int)name_length, name);
    if (hang_report_length >= sizeof(hang_report))
        hang_report_length = sizeof(hang_report) - 1;
}

/* Whether HTEST_ONLY selects a case of group (every group, where it is
 * unset); writes the report a hang would print, and says which case runs. */
static bool group_begin(const char *group)
{
    const char *only = getenv("HTEST_ONLY");
    size_t group_length = strlen(group);
    const char *first = NULL;
    size_t first_length = 0;
    hang_report_length = 0;
    if (only == NULL) {
        first = group;
        first_length = group_length;
        add_hung_case(group, group_length);
    }
    for (const char *p = only; p != NULL && *p != '\0';) {
        size_t length = strcspn(p, ",");
        if (length >= group_length && strncmp(p, group, group_length) == 0 &&
            (length == group_length || p[group_length] == '.')) {
            if (first == NULL) {
                first = p;
                first_length = length;
            }
            add_hung_case(p, length);
        }
        p += length + (p[length] == ',');
    }
    if (first == NULL)
        return false;
    if (strcmp(running_group, group) != 0) {
        snprintf(running_group, sizeof(running_group), "%s", group);
        printf("# test: %.*s\n", (int)first_length, first);
        fflush(stdout);
    }
    return true;
}

/* madt_parse on a copy of exactly length bytes (AddressSanitizer stops a
 * read past them), bounded as above; the result is in info. A group none
 * of whose cases is selected is not parsed: info is left zeroed. */
static bool parse(const char *group, const void *table, size_t length,
                  struct acpi_fadt_version fadt)
{
    if (!group_begin(group)) {
        memset(&info, 0, sizeof(info));
        return false;
    }
    uint8_t *copy = NULL;
    if (table != NULL) {
        copy = malloc(length > 0 ? length : 1);
        memcpy(copy, table, length);
    }
    signal(SIGPROF, on_parse_hang);
    struct itimerval limit = {
        .it_value = {.tv_sec = PARSE_CPU_MS / 1000, .tv_usec = PARSE_CPU_MS % 1000 * 1000}};
    setitimer(ITIMER_PROF, &limit, NULL);
    bool ok = madt_parse(copy, length, fadt, &info);
    struct itimerval off = {0};
    setitimer(ITIMER_PROF, &off, NULL);
    free(copy);
    return ok;
}

static void hand_built(void)
{
    /* Every entry type the kernel reads. */
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 2, 1);
    put8(&t, 1);
    put8(&t, 12);
    put8(&t, 7);
    put8(&t, 0);
    put32(&t, 0xFEC00000);
    put32(&t, 0);
    put8(&t, 2);
    put8(&t, 10);
    put8(&t, 0);
    put8(&t, 0);
    put32(&t, 2);
    put16(&t, 0);
    put8(&t, 2);
    put8(&t, 10);
    put8(&t, 0);
    put8(&t, 9);
    put32(&t, 9);
    put16(&t, 0xD);
    put8(&t, 4);
    put8(&t, 6);
    put8(&t, 0xFF);
    put16(&t, 5);
    put8(&t, 1);
    put8(&t, 0xA);
    put8(&t, 12);
    put16(&t, 5);
    put32(&t, 3);
    put8(&t, 1);
    put8(&t, 0);
    put16(&t, 0);
    put8(&t, 5);
    put8(&t, 12);
    put16(&t, 0);
    put64(&t, 0xFED00000ull);
    x2apic(&t, 300, 1, 3);
    put8(&t, 0x7F);
    put8(&t, 4);
    put16(&t, 0); /* an unknown type is skipped */
    finish(&t);
    bool ok = parse("all_types", t.b, t.len, NO_FADT);
    HCHECK("all_types.valid", ok && info.warnings.count == 0, "ok %d, %zu warnings: %s", ok,
           info.warnings.count, info.warnings.text[0]);
    HCHECK("all_types.entries", info.entry_count == 10, "got %zu", info.entry_count);
    HCHECK("all_types.cpus",
           info.cpu_count == 3 && info.enabled_count == 3 && info.cpus[0].hw_id == 0 &&
               info.cpus[1].hw_id == 2 && info.cpus[2].hw_id == 300 && info.cpus[2].from_x2apic &&
               !info.cpus[1].from_x2apic && info.cpus[2].acpi_uid == 3,
           "count %zu", info.cpu_count);
    HCHECK("all_types.ioapic",
           info.ioapic_count == 1 && info.ioapics[0].id == 7 &&
               info.ioapics[0].address == 0xFEC00000,
           "count %zu", info.ioapic_count);
    HCHECK("all_types.overrides",
           info.override_count == 2 && info.overrides[1].source == 9 &&
               info.overrides[1].gsi == 9 && info.overrides[1].flags == 0xD,
           "count %zu", info.override_count);
    HCHECK("all_types.nmis",
           info.nmi_count == 2 && info.nmis[0].acpi_uid == MADT_UID_ALL_X2APIC &&
               info.nmis[0].lint == 1 && info.nmis[1].acpi_uid == 3 && info.nmis[1].flags == 5,
           "count %zu", info.nmi_count);
    HCHECK("all_types.address_override", info.controller_address == 0xFED00000ull, "got %llx",
           (unsigned long long)info.controller_address);
    HCHECK("all_types.pcat_compat", info.pcat_compat && info.revision == 4, "rev %u",
           info.revision);

    /* Flags: disabled CPUs are hot-pluggable before revision 5, and from
     * revision 5 only when online capable. */
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 1, 0);
    finish(&t);
    parse("flags.rev4_disabled_is_hotpluggable", t.b, t.len, NO_FADT);
    HCHECK("flags.rev4_disabled_is_hotpluggable",
           info.enabled_count == 1 && info.hotpluggable_count == 1 && !info.cpus[1].enabled,
           "enabled %zu hot %zu", info.enabled_count, info.hotpluggable_count);
    begin(&t, 5, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 1, 0);
    lapic(&t, 2, 2, 2);
    x2apic(&t, 300, 3, 3); /* enabled and online capable: enabled wins */
    finish(&t);
    parse("flags.rev5_online_capable", t.b, t.len, NO_FADT);
    HCHECK("flags.rev5_online_capable",
           info.enabled_count == 2 && info.hotpluggable_count == 1 && info.cpu_count == 3 &&
               info.cpus[1].hw_id == 2 && !info.pcat_compat,
           "enabled %zu hot %zu", info.enabled_count, info.hotpluggable_count);

    /* Duplicates (an x2APIC entry with an ID below 255 beside type 0 CPUs
     * is no duplicate but ignored: x2apic_small_ids below). */
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    x2apic(&t, 300, 1, 1);
    x2apic(&t, 300, 1, 2);
    finish(&t);
    parse("duplicate_apic_id_skipped", t.b, t.len, NO_FADT);
    HCHECK("duplicate_apic_id_skipped",
           info.valid && info.enabled_count == 2 && has_warning("APIC ID 300 is listed twice"),
           "enabled %zu", info.enabled_count);

    /* Zero CPUs: valid but warned. */
    begin(&t, 4, 0xFEE00000, 0);
    finish(&t);
    parse("zero_cpus", t.b, t.len, NO_FADT);
    HCHECK("zero_cpus", info.valid && info.cpu_count == 0 && has_warning("no enabled processor"),
           "valid %d", info.valid);

    /* Bad checksum. */
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    finish(&t);
    t.b[40] ^= 1;
    HCHECK("bad_checksum", !parse("bad_checksum", t.b, t.len, NO_FADT) && has_warning("checksum"),
           "%s", info.warnings.text[0]);

    /* Wrong signature. */
    begin(&t, 4, 0xFEE00000, 0);
    finish(&t);
    t.b[0] = 'X';
    HCHECK("bad_signature",
           !parse("bad_signature", t.b, t.len, NO_FADT) && has_warning("signature"), "%s",
           info.warnings.text[0]);

    /* Length field longer than the bytes we have, and shorter than the fixed part. */
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    finish(&t);
    HCHECK("truncated_buffer",
           !parse("truncated_buffer", t.b, t.len - 1, NO_FADT) && has_warning("length field"), "%s",
           info.warnings.text[0]);
    HCHECK("tiny_buffer", !parse("tiny_buffer", t.b, 10, NO_FADT), "parsed 10 bytes");
    HCHECK("null_table", !parse("null_table", NULL, 100, NO_FADT), "parsed NULL");
    t.b[4] = 20;
    HCHECK("length_below_fixed_part", !parse("length_below_fixed_part", t.b, t.len, NO_FADT),
           "accepted");

    /* An entry whose length runs past the end, or is too short for its type. */
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 1, 1);
    t.b[t.len - 7] = 40;
    finish(&t);
    parse("entry_past_end", t.b, t.len, NO_FADT);
    HCHECK("entry_past_end", info.valid && info.enabled_count == 1 && has_warning("bad length"),
           "enabled %zu", info.enabled_count);
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    put8(&t, 9);
    put8(&t, 8);
    put16(&t, 0);
    put32(&t, 7);
    finish(&t);
    parse("entry_too_short_for_type", t.b, t.len, NO_FADT);
    HCHECK("entry_too_short_for_type", info.enabled_count == 1 && has_warning("bad length"),
           "enabled %zu", info.enabled_count);
    begin(&t, 4, 0xFEE00000, 0);
    put8(&t, 0x80);
    put8(&t, 0);
    finish(&t);
    parse("zero_length_entry_stops", t.b, t.len, NO_FADT);
    HCHECK("zero_length_entry_stops", info.valid && has_warning("bad length"), "no warning");
    begin(&t, 4, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    put8(&t, 0);
    finish(&t);
    parse("stray_byte", t.b, t.len, NO_FADT);
    HCHECK("stray_byte", info.enabled_count == 1 && has_warning("stray byte"), "no warning");

    /* The full xAPIC range plus x2APIC IDs above it. */
    begin(&t, 4, 0xFEE00000, 0);
    for (unsigned i = 0; i < 255; i++)
        lapic(&t, (uint8_t)i, (uint8_t)i, 1);
    for (unsigned i = 255; i < 288; i++)
        x2apic(&t, i, 1, i);
    finish(&t);
    parse("cpus_288", t.b, t.len, NO_FADT);
    HCHECK("cpus_288",
           info.valid && info.enabled_count == 288 && info.cpus[287].hw_id == 287 &&
               info.warnings.count == 0,
           "enabled %zu", info.enabled_count);

    /* Overflow of the CPU array is reported, not written past. */
    begin(&t, 4, 0xFEE00000, 0);
    for (unsigned i = 0; i < MADT_MAX_CPUS + 3; i++)
        x2apic(&t, i, 1, i);
    finish(&t);
    parse("cpu_array_full", t.b, t.len, NO_FADT);
    HCHECK("cpu_array_full", info.cpu_count == MADT_MAX_CPUS && has_warning("more than"),
           "count %zu", info.cpu_count);

    /* Random corruption never crashes the parser (ASan watches the reads). */
    unsigned seed = 12345;
    bool sane = true;
    for (int round = 0; round < 3000; round++) {
        begin(&t, 4, 0xFEE00000, 1);
        for (unsigned i = 0; i < 8; i++)
            lapic(&t, (uint8_t)i, (uint8_t)i, 1);
        x2apic(&t, 500, 1, 9);
        finish(&t);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245 + 12345;
            t.b[36 + (seed >> 8) % (t.len - 36)] = (uint8_t)(seed >> 20);
        }
        finish(&t);
        size_t avail = t.len - (round % 3 == 0 ? (seed >> 4) % 8 : 0);
        uint8_t *copy = malloc(avail);
        memcpy(copy, t.b, avail);
        parse("random_corruption", copy, avail, NO_FADT);
        if (info.cpu_count > MADT_MAX_CPUS ||
            info.enabled_count + info.hotpluggable_count != info.cpu_count)
            sane = false;
        free(copy);
    }
    HCHECK("random_corruption", sane, "inconsistent counts");
}

/* ---- captured tables: <name>.bin with <name>.expect beside it ---- */
static void captured(void)
{
    DIR *d = opendir(MADT_DATA_DIR);
    HCHECK("captured.directory_exists", d != NULL, "cannot open %s", MADT_DATA_DIR);
    if (d == NULL)
        return;
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".bin") != 0)
            continue;
        found++;
        char path[512], name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(n - 4), de->d_name);
        snprintf(path, sizeof(path), "%s/%s.bin", MADT_DATA_DIR, name);
        FILE *f = fopen(path, "rb");
        static uint8_t buf[65536];
        size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
        if (f)
            fclose(f);
        /* The expectation is what QEMU reported over QMP when the table was
         * captured: "online=<n> possible=<p> ids=<a,b,...>". */
        snprintf(path, sizeof(path), "%s/%s.expect", MADT_DATA_DIR, name);
        char expect[8192] = "";
        f = fopen(path, "r");
        if (f) {
            if (fgets(expect, sizeof(expect), f) == NULL)
                expect[0] = '\0';
            fclose(f);
        }
        expect[strcspn(expect, "\n")] = '\0';

        char label[300];
        snprintf(label, sizeof(label), "captured.%s", name);
        char got[8192];
        int pos = 0;
        parse(label, buf, len, NO_FADT);
        pos += snprintf(got + pos, sizeof(got) - pos,
                        "online=%zu possible=%zu ids=", info.enabled_count,
                        info.enabled_count + info.hotpluggable_count);
        bool first = true;
        for (size_t i = 0; i < info.cpu_count && pos < (int)sizeof(got) - 16; i++) {
            if (!info.cpus[i].enabled)
                continue;
            pos += snprintf(got + pos, sizeof(got) - pos, "%s%u", first ? "" : ",",
                            info.cpus[i].hw_id);
            first = false;
        }
        HCHECK(label, info.valid && info.warnings.count == 0 && strcmp(got, expect) == 0,
               "expected \"%.60s\", got \"%.60s\"", expect, got);
    }
    closedir(d);
    HCHECK("captured.tables_present", found > 0, "no .bin files in %s", MADT_DATA_DIR);
}

/* ---- what several hundred real PCs' tables look like (issue 21) ---- */

static void lapic_nmi(struct blob *b, uint8_t uid, uint8_t lint)
{
    put8(b, 4);
    put8(b, 6);
    put8(b, uid);
    put16(b, 5); /* edge, active high */
    put8(b, lint);
}

/* n enabled type 0 entries, APIC IDs and UIDs 0..n-1. */
static void enabled_cpus(struct blob *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        lapic(b, (uint8_t)i, (uint8_t)i, 1);
}

/* A 4-CPU laptop: one local APIC NMI entry per processor entry, the
 * placeholders' included (24 of them). Nothing reads them (LINT0/1 stay
 * masked): no warning. */
static void many_nmi_entries(void)
{
    begin(&t, 4, 0xFEE00000, 1);
    enabled_cpus(&t, 4);
    for (unsigned i = 0; i < 24; i++)
        lapic_nmi(&t, (uint8_t)(i + 1), 1);
    finish(&t);
    parse("nmi", t.b, t.len, NO_FADT);
    HCHECK("nmi.more_than_16_local_apic_nmi_entries_give_no_warning",
           info.valid && info.warnings.count == 0, "%zu warnings: %s", info.warnings.count,
           info.warnings.text[0]);
    HCHECK("nmi.more_than_16_local_apic_nmi_entries_keep_the_first_16",
           info.nmi_count == MADT_MAX_NMIS && info.nmis[15].acpi_uid == 16 &&
               info.enabled_count == 4 && info.nmis_unused == 8,
           "%zu NMI entries kept", info.nmi_count);
}

/* An AMI board with a Ryzen: enabled APIC IDs 0-13, then twenty disabled
 * placeholders `00 08 0c 00 00 00 00 00` (UID 0x0c, APIC ID 0, flags 0).
 * Before ACPI 6.3 the kernel counts a disabled entry as one that could be
 * hot-added (Linux's convention; the specification calls it unusable), but
 * not one whose APIC ID an enabled CPU already has: 14 CPUs, none possible
 * later, nothing to warn about. */
static void ami_ryzen_placeholders(void)
{
    static const uint8_t placeholder[8] = {0x00, 0x08, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00};
    for (int before = 0; before <= 1; before++) {
        begin(&t, 4, 0xFEE00000, 1);
        if (!before)
            enabled_cpus(&t, 14);
        for (int i = 0; i < 20; i++) {
            memcpy(t.b + t.len, placeholder, sizeof(placeholder));
            t.len += sizeof(placeholder);
        }
        if (before)
            enabled_cpus(&t, 14);
        finish(&t);
        const char *order = before ? "placeholders_first" : "placeholders_last";
        char name[128];
        snprintf(name, sizeof(name), "ami_ryzen_placeholders.%s", order);
        parse(name, t.b, t.len, NO_FADT);
        snprintf(name, sizeof(name), "ami_ryzen_placeholders.%s.fourteen_cpus", order);
        bool ids_ok = info.cpu_count == 14;
        for (size_t i = 0; ids_ok && i < 14; i++)
            ids_ok = info.cpus[i].enabled && info.cpus[i].hw_id == i;
        HCHECK(name, info.valid && info.enabled_count == 14 && ids_ok,
               "%zu enabled, %zu entries kept", info.enabled_count, info.cpu_count);
        snprintf(name, sizeof(name), "ami_ryzen_placeholders.%s.none_hotpluggable", order);
        HCHECK(name, info.hotpluggable_count == 0 && info.disabled_duplicates == 20,
               "%zu hot-pluggable, %zu duplicates dropped", info.hotpluggable_count,
               info.disabled_duplicates);
        snprintf(name, sizeof(name), "ami_ryzen_placeholders.%s.no_warning", order);
        HCHECK(name, info.warnings.count == 0, "%zu warnings: %s", info.warnings.count,
               info.warnings.text[0]);
    }

    /* Two enabled entries with one APIC ID are still a firmware bug worth a line. */
    begin(&t, 4, 0xFEE00000, 1);
    enabled_cpus(&t, 2);
    lapic(&t, 7, 1, 1);
    finish(&t);
    parse("two_enabled_entries_with_one_apic_id_are_reported", t.b, t.len, NO_FADT);
    HCHECK("two_enabled_entries_with_one_apic_id_are_reported",
           info.enabled_count == 2 && info.warnings.count == 1 &&
               has_warning("APIC ID 1 is listed twice"),
           "%zu enabled, %zu warnings", info.enabled_count, info.warnings.count);
}

/* MADT revision 2 (AMD and Lenovo laptops) beside a FADT 6.3 or later: the
 * FADT says Online Capable is defined, so a disabled entry without it can
 * never come online. Beside an older FADT a disabled entry stays possible. */
static void online_capable_by_fadt(void)
{
    static const struct {
        const char *name;
        uint8_t madt_revision;
        struct acpi_fadt_version fadt;
        uint32_t disabled_flags;
        size_t hotpluggable;
    } cases[] = {
        {"madt_rev2_fadt_6_3_disabled_is_not_possible", 2, {6, 3}, 0, 0},
        {"madt_rev2_fadt_6_5_disabled_is_not_possible", 2, {6, 5}, 0, 0},
        {"madt_rev2_fadt_7_0_disabled_is_not_possible", 2, {7, 0}, 0, 0},
        {"madt_rev2_fadt_6_3_online_capable_is_possible", 2, {6, 3}, MADT_CPU_ONLINE_CAPABLE, 4},
        {"madt_rev2_fadt_6_2_disabled_is_possible", 2, {6, 2}, 0, 4},
        {"madt_rev2_fadt_5_1_disabled_is_possible", 2, {5, 1}, 0, 4},
        {"madt_rev2_fadt_5_0_disabled_is_possible", 2, {5, 0}, 0, 4},
        {"madt_rev5_fadt_6_2_disabled_is_possible", 5, {6, 2}, 0, 4},
        {"madt_rev5_fadt_6_3_disabled_is_not_possible", 5, {6, 3}, 0, 0},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        begin(&t, cases[c].madt_revision, 0xFEE00000, 1);
        enabled_cpus(&t, 4);
        for (unsigned i = 4; i < 8; i++)
            lapic(&t, (uint8_t)i, (uint8_t)i, cases[c].disabled_flags);
        finish(&t);
        char name[128];
        snprintf(name, sizeof(name), "online_capable.%s", cases[c].name);
        parse(name, t.b, t.len, cases[c].fadt);
        HCHECK(name,
               info.valid && info.enabled_count == 4 &&
                   info.hotpluggable_count == cases[c].hotpluggable && info.warnings.count == 0,
               "enabled %zu, hot-pluggable %zu (want %zu), %zu warnings", info.enabled_count,
               info.hotpluggable_count, cases[c].hotpluggable, info.warnings.count);
    }
}

/* x2APIC entries are for IDs that do not fit in 8 bits (ACPI 6.5
 * §5.2.12.12). Beside usable local APIC entries, those with IDs below 255
 * are ignored, silently, wherever they are in the table. */
static void x2apic_small_ids(void)
{
    begin(&t, 4, 0xFEE00000, 1);
    x2apic(&t, 9, 1, 9); /* before the type 0 entries */
    enabled_cpus(&t, 4);
    for (unsigned i = 0; i < 4; i++)
        x2apic(&t, i, 1, 100 + i); /* "twins" of the type 0 entries */
    x2apic(&t, 8, 1, 8);
    x2apic(&t, 300, 1, 300); /* does not fit in 8 bits: a CPU */
    finish(&t);
    parse("x2apic_below_255_beside_local_apic_entries", t.b, t.len, NO_FADT);
    HCHECK("x2apic_below_255_beside_local_apic_entries.ignored",
           info.valid && info.enabled_count == 5 && info.cpu_count == 5 &&
               info.cpus[3].hw_id == 3 && !info.cpus[3].from_x2apic && info.cpus[4].hw_id == 300 &&
               info.x2apic_small_ids == 6,
           "%zu enabled", info.enabled_count);
    HCHECK("x2apic_below_255_beside_local_apic_entries.no_warning", info.warnings.count == 0,
           "%zu warnings: %s", info.warnings.count, info.warnings.text[0]);

    /* Only x2APIC entries (firmware that hands over in x2APIC mode): they
     * are the CPUs, whatever their IDs. A type 0 placeholder with the
     * broadcast ID is no usable local APIC entry. */
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0xFF, 0xFF, 0);
    for (unsigned i = 0; i < 6; i++)
        x2apic(&t, i, 1, i);
    x2apic(&t, 6, 0, 6);
    finish(&t);
    parse("x2apic_only_table_is_used", t.b, t.len, NO_FADT);
    HCHECK("x2apic_only_table_is_used",
           info.valid && info.enabled_count == 6 && info.hotpluggable_count == 1 &&
               info.cpus[5].from_x2apic && info.warnings.count == 0,
           "%zu enabled, %zu hot-pluggable, %zu warnings", info.enabled_count,
           info.hotpluggable_count, info.warnings.count);
}

/* What real firmware gets wrong: placeholder entries with the broadcast ID
 * (disabled, and one wrongly enabled), a CPU listed twice, and a boot CPU
 * whose APIC ID is not 0 (it is listed first, with ID 4). */
static void firmware_quirks(void)
{
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0, 4, 1);
    lapic(&t, 1, 5, 1);
    lapic(&t, 2, 0xFF, 0);
    lapic(&t, 3, 0xFF, 1);
    lapic(&t, 4, 5, 1);
    x2apic(&t, 0xFFFFFFFFu, 1, 9);
    lapic(&t, 5, 6, 1);
    finish(&t);
    bool ok = parse("quirks", t.b, t.len, NO_FADT);
    HCHECK("quirks.still_valid", ok, "the table was rejected");
    HCHECK("quirks.cpus",
           info.enabled_count == 3 && info.cpu_count == 3 && info.cpus[0].hw_id == 4 &&
               info.cpus[1].hw_id == 5 && info.cpus[2].hw_id == 6,
           "%zu enabled: %u %u %u", info.enabled_count, info.cpus[0].hw_id, info.cpus[1].hw_id,
           info.cpus[2].hw_id);
    HCHECK("quirks.broadcast_id_enabled_is_reported", has_warning("broadcast APIC ID 0xff"),
           "no warning about ID 0xFF");
    HCHECK("quirks.broadcast_x2apic_id_is_reported", has_warning("broadcast APIC ID 0xffffffff"),
           "no warning about ID 0xFFFFFFFF");
    HCHECK("quirks.duplicate_is_reported", has_warning("APIC ID 5 is listed twice"),
           "no warning about the duplicate");
    HCHECK("quirks.disabled_placeholder_is_silent", info.warnings.count == 3, "%zu warnings",
           info.warnings.count);
}

/* Input a wrong walk gets wrong: each is a table the parser must stop in
 * with a warning, keeping the entries before the bad one, in bounded time
 * and without a read past the bytes it was given (parse() above). */
static void hostile_entries(void)
{
    /* A local APIC entry whose length byte is 0: "skip it by its length"
     * never moves on; taking its length from its type reads the next
     * entry's bytes as this one's. */
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    put8(&t, MADT_LOCAL_APIC);
    put8(&t, 0);
    lapic(&t, 1, 1, 1);
    finish(&t);
    parse("bad_input.a_zero_length_local_apic_entry_stops_the_walk", t.b, t.len, NO_FADT);
    HCHECK("bad_input.a_zero_length_local_apic_entry_stops_the_walk",
           info.valid && info.enabled_count == 1 && info.cpu_count == 1 &&
               has_warning("bad length"),
           "valid %d, %zu enabled, %zu warnings: %s", info.valid, info.enabled_count,
           info.warnings.count, info.warnings.text[0]);

    /* The table ends 4 bytes into a local APIC entry whose length byte
     * says 8: its flags are not there to read. */
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 1, 1);
    t.len -= 4;
    finish(&t);
    parse("bad_input.an_entry_cut_short_by_the_table_end_is_not_read", t.b, t.len, NO_FADT);
    HCHECK("bad_input.an_entry_cut_short_by_the_table_end_is_not_read",
           info.valid && info.enabled_count == 1 && has_warning("bad length"),
           "valid %d, %zu enabled, %zu warnings: %s", info.valid, info.enabled_count,
           info.warnings.count, info.warnings.text[0]);

    /* The table's length field, not the bytes the caller has, ends the
     * walk: what follows the table in memory is not its entries. */
    begin(&t, 4, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    finish(&t);
    lapic(&t, 1, 1, 1);
    lapic(&t, 2, 2, 1);
    parse("bad_input.bytes_past_the_length_field_are_not_entries", t.b, t.len, NO_FADT);
    HCHECK("bad_input.bytes_past_the_length_field_are_not_entries",
           info.valid && info.enabled_count == 1 && info.cpu_count == 1 && info.warnings.count == 0,
           "valid %d, %zu enabled, %zu warnings: %s", info.valid, info.enabled_count,
           info.warnings.count, info.warnings.text[0]);
}

/* The processor UID of a local APIC NMI entry is 8 bits, 0xFF meaning
 * every processor (ACPI 6.5 §5.2.12.7); an x2APIC NMI entry's is 32 bits,
 * 0xFFFFFFFF meaning the same (§5.2.12.13). Both are kept as
 * MADT_UID_ALL_X2APIC, so that a reader asks one question. */
static void nmi_for_every_processor(void)
{
    begin(&t, 4, 0xFEE00000, 1);
    enabled_cpus(&t, 2);
    lapic_nmi(&t, 0xFF, 1);
    lapic_nmi(&t, 1, 0);
    put8(&t, MADT_LOCAL_X2APIC_NMI);
    put8(&t, 12);
    put16(&t, 0xD);
    put32(&t, 0xFFFFFFFFu);
    put8(&t, 1);
    put8(&t, 0);
    put16(&t, 0);
    finish(&t);
    parse("nmi_for_every_processor", t.b, t.len, NO_FADT);
    HCHECK("nmi_for_every_processor.local_apic_uid_0xff_means_all",
           info.nmi_count == 3 && info.nmis[0].acpi_uid == MADT_UID_ALL_X2APIC &&
               info.nmis[0].lint == 1 && info.nmis[0].flags == 5,
           "%zu NMI entries, the first for UID %#x LINT%u", info.nmi_count, info.nmis[0].acpi_uid,
           info.nmis[0].lint);
    HCHECK("nmi_for_every_processor.a_single_processor_uid_is_kept",
           info.nmi_count == 3 && info.nmis[1].acpi_uid == 1 && info.nmis[1].lint == 0,
           "%zu NMI entries, the second for UID %#x", info.nmi_count, info.nmis[1].acpi_uid);
    HCHECK("nmi_for_every_processor.x2apic_uid_0xffffffff_means_all",
           info.nmi_count == 3 && info.nmis[2].acpi_uid == MADT_UID_ALL_X2APIC &&
               info.nmis[2].flags == 0xD && info.nmis[2].lint == 1 && info.warnings.count == 0,
           "%zu NMI entries, the third for UID %#x; %zu warnings", info.nmi_count,
           info.nmis[2].acpi_uid, info.warnings.count);
}

/* Firmware that hands over in x2APIC mode may list the boot CPU in an
 * x2APIC entry before the local APIC entries that list it again: whether
 * type 0 entries list processors is a question about the whole table, not
 * about the entries read so far. */
static void boot_cpu_listed_twice(void)
{
    begin(&t, 4, 0xFEE00000, 1);
    x2apic(&t, 0, 1, 0);
    enabled_cpus(&t, 2);
    finish(&t);
    parse("boot_cpu_in_an_x2apic_entry_then_a_local_apic_entry", t.b, t.len, NO_FADT);
    HCHECK("boot_cpu_in_an_x2apic_entry_then_a_local_apic_entry.counts_once",
           info.valid && info.enabled_count == 2 && info.cpu_count == 2 &&
               info.cpus[0].hw_id == 0 && !info.cpus[0].from_x2apic,
           "%zu enabled, %zu kept; the first APIC ID %u, from an x2APIC entry: %d",
           info.enabled_count, info.cpu_count, info.cpus[0].hw_id, info.cpus[0].from_x2apic);
    HCHECK("boot_cpu_in_an_x2apic_entry_then_a_local_apic_entry.no_warning",
           info.warnings.count == 0, "%zu warnings: %s", info.warnings.count,
           info.warnings.text[0]);
}

int main(void)
{
    hand_built();
    firmware_quirks();
    many_nmi_entries();
    ami_ryzen_placeholders();
    online_capable_by_fadt();
    x2apic_small_ids();
    hostile_entries();
    nmi_for_every_processor();
    boot_cpu_listed_twice();
    captured();
    return htest_finish();
}
