/*
 * bootinfo.h - what the kernel keeps of the boot loader's information.
 *
 * The loader's structures live in memory the kernel will reuse (under OVMF,
 * GRUB puts the multiboot2 information as low as 0x5000), so kmain copies
 * everything it needs into one struct boot_info before anything else.
 */
#ifndef KERNEL_BOOT_BOOTINFO_H
#define KERNEL_BOOT_BOOTINFO_H

#include "kernel/warnings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTINFO_CMDLINE_MAX 512
#define BOOTINFO_LOADER_MAX 64
#define BOOTINFO_MMAP_MAX 128
#define BOOTINFO_RSDP_MAX 36 /* ACPI 2.0+ RSDP (ACPI §5.2.5.3) */

/* Memory region types, as both multiboot versions number them. */
enum mem_type {
    MEM_AVAILABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIMABLE = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
};

struct mem_region {
    uint64_t base;
    uint64_t length;
    uint32_t type; /* enum mem_type; other values are treated as reserved */
};

enum boot_protocol { BOOT_MULTIBOOT1 = 1, BOOT_MULTIBOOT2 = 2 };

enum fb_type { FB_INDEXED = 0, FB_RGB = 1, FB_EGA_TEXT = 2 };

struct framebuffer_info {
    bool present;
    uint64_t addr; /* physical */
    uint32_t pitch, width, height;
    uint8_t bpp;
    uint8_t type; /* enum fb_type */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
    enum boot_protocol protocol;
    char loader_name[BOOTINFO_LOADER_MAX];
    char cmdline[BOOTINFO_CMDLINE_MAX];
    bool cmdline_truncated;

    struct mem_region mmap[BOOTINFO_MMAP_MAX];
    size_t mmap_count;
    bool mmap_truncated;
    uint32_t mem_lower_kib, mem_upper_kib; /* the basic memory info, if given */

    uint8_t rsdp[BOOTINFO_RSDP_MAX]; /* a copy of the RSDP the loader passed */
    size_t rsdp_length;              /* 0: none passed (scan for it instead) */
    bool rsdp_is_new;                /* from the "ACPI new" (2.0+) tag */

    struct framebuffer_info fb;
    bool uefi; /* the loader reported EFI tables: booted through UEFI */

    size_t tag_count;            /* multiboot2 tags seen, including unknown ones */
    struct warning_log warnings; /* problems with the information (kmain prints them) */
};

/* Appends a region to the memory map; a map that is full keeps what it
 * has and says so once. */
void bootinfo_add_region(struct boot_info *bi, uint64_t base, uint64_t length, uint32_t type);

/* Bytes of MEM_AVAILABLE memory in the map. */
uint64_t bootinfo_available_bytes(const struct boot_info *bi);

/* The highest page-aligned page below limit that lies wholly in memory the
 * map says is available, never page 0 (the real-mode interrupt table); 0
 * when there is none. The AP start-up code needs one below 1 MiB. */
uint64_t bootinfo_highest_free_page_below(const struct boot_info *bi, uint64_t limit);

const char *bootinfo_mem_type_name(uint32_t type);

/* The firmware word of the boot banner: what the loader's information
 * tells of the firmware. */
const char *bootinfo_firmware_name(const struct boot_info *bi);

/* The boot information kmain copied (for self-tests and later subsystems). */
const struct boot_info *kernel_boot_info(void);

#endif
