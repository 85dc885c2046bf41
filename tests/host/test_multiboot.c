/*
 * test_multiboot.c - the multiboot2 and multiboot 1 parsers on hand-built
 * information blobs: complete ones, truncated and corrupt ones, and many
 * random corruptions (run under AddressSanitizer, an out-of-bounds read is a
 * failure even when the result looks right).
 */
#include "kernel/boot/multiboot1.h"
#include "kernel/boot/multiboot2.h"

#include "tests/host/htest.h"

#include <stdint.h>

/* ---- building multiboot2 blobs ---- */

struct blob {
    _Alignas(8) uint8_t data[16384];
    size_t len;
};

static void blob_start(struct blob *b)
{
    memset(b, 0, sizeof(*b));
    b->len = sizeof(struct mb2_info_header);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t *add_tag(struct blob *b, uint32_t type, const void *payload, uint32_t len)
{
    uint8_t *tag = b->data + b->len;
    put32(tag, type);
    put32(tag + 4, 8 + len);
    if (payload != NULL)
        memcpy(tag + 8, payload, len);
    b->len += (8 + len + 7) & ~7u;
    return tag;
}

static void blob_finish(struct blob *b)
{
    add_tag(b, MB2_TAG_END, NULL, 0);
    put32(b->data, (uint32_t)b->len);
}

static void add_string(struct blob *b, uint32_t type, const char *s)
{
    add_tag(b, type, s, (uint32_t)strlen(s) + 1);
}

static void add_mmap(struct blob *b, const struct mb2_mmap_entry *e, int n, uint32_t entry_size)
{
    uint8_t payload[8 + 256 * 32];
    put32(payload, entry_size);
    put32(payload + 4, 0);
    for (int i = 0; i < n; i++)
        memcpy(payload + 8 + (size_t)i * entry_size, &e[i], sizeof(e[i]));
    add_tag(b, MB2_TAG_MMAP, payload, 8 + (uint32_t)n * entry_size);
}

static const struct mb2_mmap_entry sample_map[3] = {
    {0, 0x9fc00, MEM_AVAILABLE, 0},
    {0xf0000, 0x10000, MEM_RESERVED, 0},
    {0x100000, 0x7f00000, MEM_AVAILABLE, 0},
};

static void build_complete(struct blob *b)
{
    blob_start(b);
    add_string(b, MB2_TAG_CMDLINE, "test bench");
    add_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    uint32_t mem[2] = {639, 130048};
    add_tag(b, MB2_TAG_BASIC_MEMINFO, mem, sizeof(mem));
    add_mmap(b, sample_map, 3, sizeof(struct mb2_mmap_entry));
    uint8_t fb[30] = {0};
    uint64_t fb_addr = 0xfd000000;
    memcpy(fb, &fb_addr, 8);
    put32(fb + 8, 4096);  /* pitch */
    put32(fb + 12, 1024); /* width */
    put32(fb + 16, 768);  /* height */
    fb[20] = 32;          /* bpp */
    fb[21] = FB_RGB;
    fb[24] = 16; /* red position, size 8 */
    fb[25] = 8;
    fb[26] = 8;
    fb[27] = 8;
    fb[28] = 0;
    fb[29] = 8;
    add_tag(b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    uint8_t rsdp_new[36] = "RSD PTR ";
    rsdp_new[15] = 2;
    add_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
    uint8_t rsdp_old[20] = "RSD PTR ";
    add_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old)); /* must not replace the new one */
    uint64_t systab = 0x7fe00000;
    add_tag(b, MB2_TAG_EFI64, &systab, sizeof(systab));
    add_tag(b, 0x7777, "xyz", 3); /* unknown types are skipped */
    blob_finish(b);
}

static struct boot_info bi;

static int parse(const struct blob *b, size_t available)
{
    memset(&bi, 0, sizeof(bi));
    return mb2_parse(b->data, available, &bi);
}

static bool has_warning(const char *text)
{
    for (size_t i = 0; i < bi.warnings.count && i < WARNINGS_KEPT; i++) {
        if (strstr(bi.warnings.text[i], text) != NULL)
            return true;
    }
    return false;
}

static void complete_blob(void)
{
    struct blob b;
    build_complete(&b);
    int rc = parse(&b, b.len);
    HCHECK("mb2_complete_parses_without_warnings", rc == 0 && bi.warnings.count == 0,
           "rc %d, %zu warnings, first: %s", rc, bi.warnings.count, bi.warnings.text[0]);
    HCHECK("mb2_cmdline", strcmp(bi.cmdline, "test bench") == 0, "got \"%s\"", bi.cmdline);
    HCHECK("mb2_loader_name", strcmp(bi.loader_name, "GRUB 2.06") == 0, "got \"%s\"",
           bi.loader_name);
    HCHECK("mb2_basic_meminfo", bi.mem_lower_kib == 639 && bi.mem_upper_kib == 130048, "got %u/%u",
           bi.mem_lower_kib, bi.mem_upper_kib);
    HCHECK("mb2_memory_map",
           bi.mmap_count == 3 && bi.mmap[2].base == 0x100000 && bi.mmap[2].length == 0x7f00000 &&
               bi.mmap[1].type == MEM_RESERVED,
           "count %zu", bi.mmap_count);
    HCHECK("mb2_available_bytes", bootinfo_available_bytes(&bi) == 0x9fc00 + 0x7f00000, "got %llu",
           (unsigned long long)bootinfo_available_bytes(&bi));
    HCHECK("mb2_framebuffer_rgb",
           bi.fb.present && bi.fb.width == 1024 && bi.fb.height == 768 && bi.fb.bpp == 32 &&
               bi.fb.pitch == 4096 && bi.fb.red_pos == 16 && bi.fb.blue_size == 8 &&
               bi.fb.addr == 0xfd000000,
           "wrong fields");
    HCHECK("mb2_new_rsdp_preferred_over_old",
           bi.rsdp_length == 36 && bi.rsdp_is_new && bi.rsdp[15] == 2, "length %zu new %d",
           bi.rsdp_length, bi.rsdp_is_new);
    HCHECK("mb2_efi_tag_means_uefi", bi.uefi, "uefi not set");
    HCHECK("mb2_all_tags_counted", bi.tag_count == 10, "got %zu", bi.tag_count);
}

static void bad_totals(void)
{
    struct blob b;
    build_complete(&b);
    HCHECK("mb2_total_beyond_available_refused",
           parse(&b, b.len - 8) == -1 && has_warning("implausible"), "accepted");
    put32(b.data, 8);
    HCHECK("mb2_total_too_small_refused", parse(&b, sizeof(b.data)) == -1, "accepted");
    put32(b.data, 0xFFFFFFF0u);
    HCHECK("mb2_total_huge_refused", parse(&b, SIZE_MAX) == -1, "accepted");
    HCHECK("mb2_null_info_refused", mb2_parse(NULL, 100, &bi) == -1, "accepted");
    HCHECK("mb2_tiny_available_refused", parse(&b, 4) == -1, "accepted");
}

static void bad_tags(void)
{
    struct blob b;

    blob_start(&b);
    add_string(&b, MB2_TAG_CMDLINE, "ok");
    uint8_t *tag = add_tag(&b, MB2_TAG_LOADER_NAME, "x", 1);
    put32(tag + 4, 4); /* size below the 8-byte header */
    blob_finish(&b);
    int rc = parse(&b, b.len);
    HCHECK("mb2_tag_size_below_header",
           rc == 0 && has_warning("bad size") && strcmp(bi.cmdline, "ok") == 0, "rc %d", rc);

    blob_start(&b);
    tag = add_tag(&b, MB2_TAG_CMDLINE, "abc", 4);
    put32(tag + 4, 4000); /* runs past the end */
    blob_finish(&b);
    rc = parse(&b, b.len);
    HCHECK("mb2_tag_past_total_size", rc == 0 && has_warning("bad size") && bi.cmdline[0] == 0,
           "rc %d cmdline \"%s\"", rc, bi.cmdline);

    blob_start(&b);
    add_string(&b, MB2_TAG_LOADER_NAME, "loader");
    put32(b.data, (uint32_t)b.len); /* no end tag */
    rc = parse(&b, b.len);
    HCHECK("mb2_missing_end_tag_keeps_tags",
           rc == 0 && has_warning("no end tag") && strcmp(bi.loader_name, "loader") == 0, "rc %d",
           rc);

    blob_start(&b);
    add_tag(&b, MB2_TAG_CMDLINE, "abcdef", 6); /* no NUL */
    blob_finish(&b);
    rc = parse(&b, b.len);
    HCHECK("mb2_string_without_nul",
           has_warning("no terminating NUL") && strcmp(bi.cmdline, "abcdef") == 0, "cmdline \"%s\"",
           bi.cmdline);

    char longline[BOOTINFO_CMDLINE_MAX + 100];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    blob_start(&b);
    add_string(&b, MB2_TAG_CMDLINE, longline);
    blob_finish(&b);
    rc = parse(&b, b.len);
    HCHECK("mb2_overlong_cmdline_truncated",
           bi.cmdline_truncated && strlen(bi.cmdline) == BOOTINFO_CMDLINE_MAX - 1, "len %zu",
           strlen(bi.cmdline));

    blob_start(&b);
    add_mmap(&b, sample_map, 3, 0);
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_mmap_entry_size_zero", bi.mmap_count == 0 && has_warning("entry size"), "count %zu",
           bi.mmap_count);

    blob_start(&b);
    add_mmap(&b, sample_map, 3, 28);
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_mmap_entry_size_unaligned", bi.mmap_count == 0 && has_warning("entry size"),
           "count %zu", bi.mmap_count);

    blob_start(&b);
    add_mmap(&b, sample_map, 3, 32); /* larger entries are allowed: newer versions */
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_mmap_larger_entries",
           bi.mmap_count == 3 && bi.warnings.count == 0 && bi.mmap[2].base == 0x100000, "count %zu",
           bi.mmap_count);

    static struct mb2_mmap_entry many[200];
    for (int i = 0; i < 200; i++)
        many[i] = (struct mb2_mmap_entry){(uint64_t)i << 20, 1 << 20, MEM_AVAILABLE, 0};
    blob_start(&b);
    add_mmap(&b, many, 200, sizeof(struct mb2_mmap_entry));
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_mmap_too_many_entries", bi.mmap_count == BOOTINFO_MMAP_MAX && bi.mmap_truncated,
           "count %zu", bi.mmap_count);

    blob_start(&b);
    add_tag(&b, MB2_TAG_FRAMEBUFFER, "short", 5);
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_framebuffer_too_short", !bi.fb.present && has_warning("framebuffer"), "accepted");

    uint8_t fb[24] = {0};
    fb[21] = FB_RGB;
    blob_start(&b);
    add_tag(&b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_rgb_framebuffer_without_colours", !bi.fb.present && has_warning("colour"),
           "accepted");

    fb[21] = FB_EGA_TEXT;
    put32(fb + 12, 80);
    put32(fb + 16, 25);
    blob_start(&b);
    add_tag(&b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_ega_text_framebuffer",
           bi.fb.present && bi.fb.type == FB_EGA_TEXT && bi.fb.width == 80 && bi.fb.height == 25,
           "not parsed");

    blob_start(&b);
    add_tag(&b, MB2_TAG_ACPI_NEW, "RSD PTR ", 8);
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_short_new_rsdp", bi.rsdp_length == 0 && has_warning("RSDP"), "accepted");

    blob_start(&b);
    uint32_t mem = 5;
    add_tag(&b, MB2_TAG_BASIC_MEMINFO, &mem, sizeof(mem));
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_short_basic_meminfo", bi.mem_upper_kib == 0 && has_warning("basic memory"),
           "accepted");

    blob_start(&b);
    blob_finish(&b);
    parse(&b, b.len);
    HCHECK("mb2_only_end_tag", bi.warnings.count == 0 && bi.mmap_count == 0 && bi.tag_count == 1,
           "warnings %zu", bi.warnings.count);
}

/* xorshift: a fixed sequence, so a failure can be reproduced. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void random_corruptions(void)
{
    struct blob good;
    build_complete(&good);
    int crashes_would_show_as_asan_reports = 0;
    for (int i = 0; i < 5000; i++) {
        struct blob b = good;
        int flips = 1 + (int)(rng() % 8);
        for (int k = 0; k < flips; k++)
            b.data[rng() % good.len] = (uint8_t)rng();
        /* Exactly what the parser may read: ASan reports a byte beyond it. */
        size_t available = rng() % 2 ? good.len : rng() % (good.len + 1);
        uint8_t *copy = malloc(available ? available : 1);
        memcpy(copy, b.data, available);
        memset(&bi, 0, sizeof(bi));
        mb2_parse(available >= 8 ? copy : NULL, available, &bi);
        if (bi.mmap_count > BOOTINFO_MMAP_MAX || strlen(bi.cmdline) >= BOOTINFO_CMDLINE_MAX)
            crashes_would_show_as_asan_reports++;
        free(copy);
    }
    HCHECK("mb2_5000_random_corruptions_stay_in_bounds", crashes_would_show_as_asan_reports == 0,
           "%d results out of bounds", crashes_would_show_as_asan_reports);
}

/* ---- multiboot 1: physical addresses through a fake memory ---- */

static uint8_t fake_memory[8192];

static const void *fake_map(uint64_t phys, size_t length)
{
    if (phys < 16 || phys >= sizeof(fake_memory) || length > sizeof(fake_memory) - phys)
        return NULL;
    return fake_memory + phys;
}

static void multiboot1(void)
{
    memset(fake_memory, 0, sizeof(fake_memory));
    uint32_t info[22] = {0};
    info[0] = (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9); /* mem, cmdline, mmap, loader */
    info[1] = 639;
    info[2] = 64512;
    info[4] = 0x100;   /* cmdline */
    info[11] = 2 * 24; /* mmap_length */
    info[12] = 0x200;  /* mmap_addr */
    info[16] = 0x300;  /* boot_loader_name */
    strcpy((char *)fake_memory + 0x100, "/kernel.elf test");
    strcpy((char *)fake_memory + 0x300, "qemu");
    struct {
        uint32_t size;
        uint64_t base, length;
        uint32_t type;
    } __attribute__((packed)) e[2] = {{20, 0, 0x9fc00, 1}, {20, 0x100000, 0x3f00000, 1}};
    memcpy(fake_memory + 0x200, e, sizeof(e));

    memset(&bi, 0, sizeof(bi));
    int rc = mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_parses", rc == 0 && bi.warnings.count == 0 && bi.protocol == BOOT_MULTIBOOT1,
           "rc %d warnings %zu", rc, bi.warnings.count);
    HCHECK("mb1_strings",
           strcmp(bi.cmdline, "/kernel.elf test") == 0 && strcmp(bi.loader_name, "qemu") == 0,
           "cmdline \"%s\"", bi.cmdline);
    HCHECK("mb1_memory_map",
           bi.mmap_count == 2 && bi.mmap[1].base == 0x100000 && bi.mmap[1].length == 0x3f00000,
           "count %zu", bi.mmap_count);

    info[4] = 0x7fffffff; /* unreadable cmdline */
    info[12] = 0x1fff0;   /* unreadable map */
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_unreadable_pointers_warn",
           bi.warnings.count == 2 && bi.cmdline[0] == '\0' && bi.mmap_count == 0, "warnings %zu",
           bi.warnings.count);

    info[0] = 1u << 0; /* only the basic fields */
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_basic_memory_without_map",
           bi.mmap_count == 2 && bi.mmap[1].length == 64512ull * 1024, "count %zu", bi.mmap_count);

    info[0] = (1u << 2);
    info[4] = sizeof(fake_memory) - 4; /* string runs off the end of readable memory */
    memcpy(fake_memory + sizeof(fake_memory) - 4, "abcd", 4);
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_string_at_end_of_memory", strcmp(bi.cmdline, "abcd") == 0, "got \"%s\"",
           bi.cmdline);
}

/* The framebuffer fields (spec 0.6.96 §3.3, flags bit 12): GRUB's multiboot
 * command fills them when the header asks for a video mode (bit 2), under
 * UEFI with a linear framebuffer, under a BIOS with EGA text. */
static void multiboot1_framebuffer(void)
{
    uint8_t info[120] = {0};
    uint32_t flags = 1u << 12;
    uint64_t addr = 0xFD000000u;
    uint32_t pitch = 4096, width = 1024, height = 768;
    memcpy(info, &flags, 4);
    memcpy(info + 88, &addr, 8);
    memcpy(info + 96, &pitch, 4);
    memcpy(info + 100, &width, 4);
    memcpy(info + 104, &height, 4);
    info[108] = 32;                                 /* bpp */
    info[109] = 1;                                  /* type: direct RGB */
    const uint8_t colours[6] = {16, 8, 8, 8, 0, 8}; /* red, green, blue: position, size */
    info[110] = 0xAA; /* padding: the colours start at 112 (see multiboot1.c) */
    info[111] = 0xAA;
    memcpy(info + 112, colours, sizeof(colours));
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    const struct framebuffer_info *fb = &bi.fb;
    HCHECK("mb1_framebuffer_rgb",
           fb->present && fb->addr == addr && fb->pitch == pitch && fb->width == width &&
               fb->height == height && fb->bpp == 32 && fb->type == FB_RGB && fb->red_pos == 16 &&
               fb->red_size == 8 && fb->green_pos == 8 && fb->green_size == 8 &&
               fb->blue_pos == 0 && fb->blue_size == 8 && bi.warnings.count == 0,
           "present %d %ux%u bpp %u type %u red %u/%u", fb->present, fb->width, fb->height, fb->bpp,
           fb->type, fb->red_pos, fb->red_size);

    addr = 0xB8000;
    pitch = 160;
    width = 80;
    height = 25;
    memcpy(info + 88, &addr, 8);
    memcpy(info + 96, &pitch, 4);
    memcpy(info + 100, &width, 4);
    memcpy(info + 104, &height, 4);
    info[108] = 16;
    info[109] = 2; /* EGA text */
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_framebuffer_ega_text",
           fb->present && fb->type == FB_EGA_TEXT && fb->addr == 0xB8000 && fb->width == 80 &&
               fb->height == 25,
           "present %d type %u %ux%u", fb->present, fb->type, fb->width, fb->height);

    flags = 0; /* the fields are there, the flag is not: not valid */
    memcpy(info, &flags, 4);
    memset(&bi, 0, sizeof(bi));
    mb1_parse(info, fake_map, &bi);
    HCHECK("mb1_framebuffer_needs_its_flag", !fb->present, "present %d", fb->present);
}

/* What the banner says of the firmware: multiboot2 tells (GRUB passes the
 * EFI system table under UEFI, nothing under a BIOS); multiboot 1 cannot. */
static void firmware_word(void)
{
    struct boot_info b;
    memset(&b, 0, sizeof(b));
    b.protocol = BOOT_MULTIBOOT1;
    HCHECK("banner.firmware_unknown_under_multiboot1",
           strcmp(bootinfo_firmware_name(&b), "unknown") == 0, "got \"%s\"",
           bootinfo_firmware_name(&b));
    b.protocol = BOOT_MULTIBOOT2;
    HCHECK("banner.firmware_bios_under_multiboot2_without_efi_tags",
           strcmp(bootinfo_firmware_name(&b), "BIOS") == 0, "got \"%s\"",
           bootinfo_firmware_name(&b));
    b.uefi = true;
    HCHECK("banner.firmware_uefi_under_multiboot2_with_efi_tags",
           strcmp(bootinfo_firmware_name(&b), "UEFI") == 0, "got \"%s\"",
           bootinfo_firmware_name(&b));
}

/* The AP start-up page: the highest whole free page below 1 MiB. */
static void low_page(void)
{
    struct boot_info bi;
    const uint64_t mib = 0x100000;
    memset(&bi, 0, sizeof(bi));
    bootinfo_add_region(&bi, 0, 0x9FC00, MEM_AVAILABLE); /* a BIOS PC: up to the EBDA */
    bootinfo_add_region(&bi, 0x9FC00, 0x400, MEM_RESERVED);
    bootinfo_add_region(&bi, 0xF0000, 0x10000, MEM_RESERVED);
    bootinfo_add_region(&bi, mib, 64 * mib, MEM_AVAILABLE);
    uint64_t got = bootinfo_highest_free_page_below(&bi, mib);
    HCHECK("low_page.below_the_ebda", got == 0x9E000, "got %#llx", (unsigned long long)got);

    memset(&bi, 0, sizeof(bi)); /* UEFI: scattered free pages, one straddling 1 MiB */
    bootinfo_add_region(&bi, 0x1000, 0x7000, MEM_AVAILABLE);
    bootinfo_add_region(&bi, 0x58800, 0x800, MEM_AVAILABLE); /* no whole page */
    bootinfo_add_region(&bi, 0xFF800, 0x10000, MEM_AVAILABLE);
    got = bootinfo_highest_free_page_below(&bi, mib);
    HCHECK("low_page.whole_pages_only", got == 0x7000, "got %#llx", (unsigned long long)got);

    memset(&bi, 0, sizeof(bi)); /* firmware that keeps all low memory for itself */
    bootinfo_add_region(&bi, 0, mib, MEM_RESERVED);
    bootinfo_add_region(&bi, 0, 0x1000, MEM_AVAILABLE); /* page 0 only: not usable */
    bootinfo_add_region(&bi, mib, 64 * mib, MEM_AVAILABLE);
    got = bootinfo_highest_free_page_below(&bi, mib);
    HCHECK("low_page.none_free", got == 0, "got %#llx", (unsigned long long)got);
}

int main(void)
{
    low_page();
    complete_blob();
    bad_totals();
    bad_tags();
    random_corruptions();
    multiboot1();
    multiboot1_framebuffer();
    firmware_word();
    return htest_finish();
}
