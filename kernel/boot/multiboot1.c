/*
 * multiboot1.c - reads the Multiboot (version 0.6.96) information that QEMU's
 * -kernel loader, GRUB's multiboot command and ISOLINUX's mboot.c32 pass
 * (multiboot spec §3.3 "Boot information format").
 *
 * Unlike multiboot2, the structure holds physical addresses of the strings
 * and the memory map; the caller's map() makes them readable.
 */
#include "kernel/boot/multiboot1.h"

#include "lib/string.h"

/* Flag bits saying which fields are valid. */
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)
#define MB1_INFO_FRAMEBUFFER (1u << 12)

struct mb1_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
    /* Valid with flags bit 12 only: older loaders end the block above. */
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type; /* 0 indexed, 1 direct RGB, 2 EGA text: enum fb_type */
    /* The spec's table puts the colour fields at offset 110, but its own
     * example header (multiboot.h, §4), from which GRUB is built, declares
     * them in a union with a 32-bit palette address and no packing: they
     * sit at 112, and that is where GRUB writes them (read at 110, red
     * came out as green and green as blue on the screen). */
    uint16_t colour_alignment;
    /* Type 1: red, green, blue field position and mask size (type 0 puts
     * a palette's address and size here, which the kernel does not use). */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} __attribute__((packed));
#define MB1_INFO_BASE_SIZE offsetof(struct mb1_info, framebuffer_addr)
_Static_assert(MB1_INFO_BASE_SIZE == 88, "spec 0.6.96 §3.3: framebuffer_addr at offset 88");
_Static_assert(offsetof(struct mb1_info, red_pos) == 112, "multiboot.h of spec 0.6.96 §4");
_Static_assert(sizeof(struct mb1_info) == MB1_INFO_SIZE, "through the blue mask size");

/* Each map entry is preceded by its own size, which excludes the size field. */
struct mb1_mmap_entry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
} __attribute__((packed));

#define MB1_STRING_MAX 4096

static void copy_phys_string(struct boot_info *bi, mb_map_fn *map, uint32_t phys, char *dst,
                             size_t dst_size, const char *what, bool *truncated)
{
    const char *s = map(phys, 1);
    if (s == NULL) {
        warning_add(&bi->warnings, "multiboot: %s at %#x is not readable", what, phys);
        return;
    }
    /* The length is unknown until the NUL is found: map it a byte at a time. */
    size_t n = 0;
    while (n < MB1_STRING_MAX) {
        const char *c = map(phys + n, 1);
        if (c == NULL || *c == '\0')
            break;
        if (n + 1 < dst_size)
            dst[n] = *c;
        else if (truncated != NULL)
            *truncated = true;
        n++;
    }
    dst[n < dst_size ? n : dst_size - 1] = '\0';
}

int mb1_parse(const void *info_ptr, mb_map_fn *map, struct boot_info *bi)
{
    struct mb1_info info;

    bi->protocol = BOOT_MULTIBOOT1;
    if (info_ptr == NULL) {
        warning_add(&bi->warnings, "multiboot: no boot information");
        return -1;
    }
    memset(&info, 0, sizeof(info));
    memcpy(&info, info_ptr, MB1_INFO_BASE_SIZE);
    if (info.flags & MB1_INFO_FRAMEBUFFER)
        memcpy(&info, info_ptr, sizeof(info));

    if (info.flags & MB1_INFO_MEMORY) {
        bi->mem_lower_kib = info.mem_lower;
        bi->mem_upper_kib = info.mem_upper;
    }
    if (info.flags & MB1_INFO_CMDLINE)
        copy_phys_string(bi, map, info.cmdline, bi->cmdline, sizeof(bi->cmdline), "command line",
                         &bi->cmdline_truncated);
    if (info.flags & MB1_INFO_LOADER_NAME)
        copy_phys_string(bi, map, info.boot_loader_name, bi->loader_name, sizeof(bi->loader_name),
                         "boot loader name", NULL);

    if (info.flags & MB1_INFO_FRAMEBUFFER)
        bi->fb = (struct framebuffer_info){
            .present = true,
            .addr = info.framebuffer_addr,
            .pitch = info.framebuffer_pitch,
            .width = info.framebuffer_width,
            .height = info.framebuffer_height,
            .bpp = info.framebuffer_bpp,
            .type = info.framebuffer_type,
            .red_pos = info.red_pos,
            .red_size = info.red_size,
            .green_pos = info.green_pos,
            .green_size = info.green_size,
            .blue_pos = info.blue_pos,
            .blue_size = info.blue_size,
        };

    if (info.flags & MB1_INFO_MMAP) {
        const uint8_t *mmap = map(info.mmap_addr, info.mmap_length);
        if (mmap == NULL) {
            warning_add(&bi->warnings, "multiboot: memory map at %#x is not readable",
                        info.mmap_addr);
        } else {
            /* 64-bit: an entry's size field near 2^32 must end the walk, not
             * wrap the offset back to where it was (the fuzzer found that
             * hang: tests/host/data/crashes/multiboot1/). */
            uint64_t off = 0;
            while (off + sizeof(struct mb1_mmap_entry) <= info.mmap_length) {
                struct mb1_mmap_entry e;
                memcpy(&e, mmap + off, sizeof(e));
                if (e.size < sizeof(e) - sizeof(e.size)) {
                    warning_add(&bi->warnings, "multiboot: memory map entry size %u is invalid",
                                e.size);
                    break;
                }
                bootinfo_add_region(bi, e.base_addr, e.length, e.type);
                off += (uint64_t)e.size + sizeof(e.size);
            }
        }
    } else if (info.flags & MB1_INFO_MEMORY) {
        /* No map: describe what the basic fields say (spec §3.3). */
        bootinfo_add_region(bi, 0, (uint64_t)info.mem_lower * 1024, MEM_AVAILABLE);
        bootinfo_add_region(bi, 0x100000, (uint64_t)info.mem_upper * 1024, MEM_AVAILABLE);
    }
    return 0;
}
