/*
 * multiboot2.c - a defensive reader of the Multiboot2 boot information.
 *
 * Every size comes from outside the kernel, so each is checked before it is
 * used: the total size against the bound the caller gives, every tag against
 * the total, every tag's payload against the minimum its type needs, every
 * string for its terminating NUL. A bad tag is skipped with a warning; the
 * walk stops only when the tag chain itself cannot be trusted.
 */
#include "kernel/boot/multiboot2.h"

#include "lib/string.h"

/* Copies a NUL-terminated string from a tag payload of len bytes. */
static void copy_tag_string(struct boot_info *bi, const char *what, const char *s, size_t len,
                            char *dst, size_t dst_size, bool *truncated)
{
    size_t n = strnlen(s, len);
    if (n == len)
        warning_add(&bi->warnings, "multiboot2: %s tag has no terminating NUL; cut at %zu bytes",
                    what, len);
    if (n >= dst_size) {
        warning_add(&bi->warnings, "multiboot2: %s is %zu bytes; kept the first %zu", what, n,
                    dst_size - 1);
        n = dst_size - 1;
        if (truncated != NULL)
            *truncated = true;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void parse_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    struct mb2_tag_mmap head;
    if (size < sizeof(head)) {
        warning_add(&bi->warnings, "multiboot2: memory map tag too short (%u bytes)", size);
        return;
    }
    memcpy(&head, tag, sizeof(head));
    if (head.entry_size < sizeof(struct mb2_mmap_entry) || head.entry_size % 8 != 0) {
        warning_add(&bi->warnings, "multiboot2: memory map entry size %u is invalid",
                    head.entry_size);
        return;
    }
    /* A later tag replaces an earlier one rather than mixing with it. */
    bi->mmap_count = 0;
    bi->mmap_truncated = false;
    for (uint32_t off = sizeof(head); off + head.entry_size <= size; off += head.entry_size) {
        struct mb2_mmap_entry e;
        memcpy(&e, tag + off, sizeof(e));
        bootinfo_add_region(bi, e.base_addr, e.length, e.type);
    }
}

static void parse_framebuffer(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    struct mb2_tag_framebuffer fb;
    if (size < MB2_FRAMEBUFFER_COMMON_SIZE) {
        warning_add(&bi->warnings, "multiboot2: framebuffer tag too short (%u bytes)", size);
        return;
    }
    memset(&fb, 0, sizeof(fb));
    memcpy(&fb, tag, size < sizeof(fb) ? size : sizeof(fb));
    if (fb.type == FB_RGB && size < MB2_FRAMEBUFFER_RGB_SIZE) {
        warning_add(&bi->warnings, "multiboot2: RGB framebuffer tag lacks its colour fields");
        return;
    }
    bi->fb = (struct framebuffer_info){
        .present = true,
        .addr = fb.addr,
        .pitch = fb.pitch,
        .width = fb.width,
        .height = fb.height,
        .bpp = fb.bpp,
        .type = fb.type,
        .red_pos = fb.red_pos,
        .red_size = fb.red_size,
        .green_pos = fb.green_pos,
        .green_size = fb.green_size,
        .blue_pos = fb.blue_pos,
        .blue_size = fb.blue_size,
    };
}

static void parse_rsdp(struct boot_info *bi, const uint8_t *payload, uint32_t len, bool is_new)
{
    /* ACPI §5.2.5.3: 20 bytes for revision 0, 36 for 2.0 and later. */
    size_t need = is_new ? 36 : 20;
    if (len < need) {
        warning_add(&bi->warnings, "multiboot2: ACPI %s RSDP tag holds %u bytes, need %zu",
                    is_new ? "new" : "old", len, need);
        return;
    }
    if (bi->rsdp_is_new && !is_new)
        return; /* the 2.0+ copy, with the XSDT address, wins */
    memcpy(bi->rsdp, payload, need);
    bi->rsdp_length = need;
    bi->rsdp_is_new = is_new;
}

static void parse_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
    const uint8_t *payload = tag + sizeof(struct mb2_tag);
    uint32_t len = size - (uint32_t)sizeof(struct mb2_tag);

    switch (type) {
    case MB2_TAG_CMDLINE:
        copy_tag_string(bi, "command line", (const char *)payload, len, bi->cmdline,
                        sizeof(bi->cmdline), &bi->cmdline_truncated);
        break;
    case MB2_TAG_LOADER_NAME:
        copy_tag_string(bi, "boot loader name", (const char *)payload, len, bi->loader_name,
                        sizeof(bi->loader_name), NULL);
        break;
    case MB2_TAG_BASIC_MEMINFO:
        if (size < sizeof(struct mb2_tag_basic_meminfo)) {
            warning_add(&bi->warnings, "multiboot2: basic memory tag too short (%u bytes)", size);
            break;
        }
        memcpy(&bi->mem_lower_kib, payload, 4);
        memcpy(&bi->mem_upper_kib, payload + 4, 4);
        break;
    case MB2_TAG_MMAP: parse_mmap(bi, tag, size); break;
    case MB2_TAG_FRAMEBUFFER: parse_framebuffer(bi, tag, size); break;
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW: parse_rsdp(bi, payload, len, type == MB2_TAG_ACPI_NEW); break;
    case MB2_TAG_EFI32:
    case MB2_TAG_EFI64:
    case MB2_TAG_EFI_MMAP:
    case MB2_TAG_EFI_BS_NOT_TERMINATED:
    case MB2_TAG_EFI32_IMAGE_HANDLE:
    case MB2_TAG_EFI64_IMAGE_HANDLE: bi->uefi = true; break;
    default: break; /* tags the kernel does not use */
    }
}

int mb2_parse(const void *info, size_t available, struct boot_info *bi)
{
    const uint8_t *base = info;
    struct mb2_info_header head;

    bi->protocol = BOOT_MULTIBOOT2;
    if (info == NULL || available < sizeof(head)) {
        warning_add(&bi->warnings, "multiboot2: no boot information");
        return -1;
    }
    if ((uintptr_t)info % MB2_INFO_ALIGN != 0)
        warning_add(&bi->warnings, "multiboot2: boot information at %p is not 8-byte aligned",
                    info);

    memcpy(&head, base, sizeof(head));
    if (head.total_size < sizeof(head) + sizeof(struct mb2_tag) ||
        head.total_size > MB2_INFO_MAX_SIZE || head.total_size > available) {
        warning_add(&bi->warnings, "multiboot2: total size %u is implausible", head.total_size);
        return -1;
    }

    uint32_t off = sizeof(head);
    bool ended = false;
    while (off + sizeof(struct mb2_tag) <= head.total_size) {
        struct mb2_tag tag;
        memcpy(&tag, base + off, sizeof(tag));
        if (tag.size < sizeof(tag) || tag.size > head.total_size - off) {
            warning_add(&bi->warnings,
                        "multiboot2: tag type %u at offset %u has bad size %u; "
                        "ignoring the rest",
                        tag.type, off, tag.size);
            break;
        }
        bi->tag_count++;
        if (tag.type == MB2_TAG_END) {
            ended = true;
            break;
        }
        parse_tag(bi, base + off, tag.type, tag.size);
        /* Tags are padded to 8 bytes (§3.6.1). */
        uint32_t next = off + ((tag.size + 7u) & ~7u);
        if (next <= off)
            break;
        off = next;
    }
    if (!ended)
        warning_add(&bi->warnings, "multiboot2: no end tag within %u bytes", head.total_size);
    return 0;
}
