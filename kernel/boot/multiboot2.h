/*
 * multiboot2.h - the parts of the Multiboot2 boot information the kernel reads
 * (Multiboot2 specification, version 2.0, §3.6 "Boot information format").
 */
#ifndef KERNEL_BOOT_MULTIBOOT2_H
#define KERNEL_BOOT_MULTIBOOT2_H

#include "kernel/boot/bootinfo.h"

#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36D76289u

/* Tag types (§3.6.2 onwards). */
enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_VBE = 7,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_APM = 10,
    MB2_TAG_EFI32 = 11,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_SMBIOS = 13,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_NETWORK = 16,
    MB2_TAG_EFI_MMAP = 17,
    MB2_TAG_EFI_BS_NOT_TERMINATED = 18,
    MB2_TAG_EFI32_IMAGE_HANDLE = 19,
    MB2_TAG_EFI64_IMAGE_HANDLE = 20,
    MB2_TAG_LOAD_BASE_ADDR = 21,
};

struct mb2_info_header {
    uint32_t total_size;
    uint32_t reserved;
};

struct mb2_tag {
    uint32_t type;
    uint32_t size; /* including this header, excluding padding to 8 bytes */
};

struct mb2_tag_basic_meminfo {
    struct mb2_tag tag;
    uint32_t mem_lower; /* KiB */
    uint32_t mem_upper; /* KiB */
};

struct mb2_tag_mmap {
    struct mb2_tag tag;
    uint32_t entry_size;
    uint32_t entry_version;
    /* entries follow */
};

struct mb2_mmap_entry {
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};

struct mb2_tag_framebuffer {
    struct mb2_tag tag;
    uint64_t addr;
    uint32_t pitch;
    uint32_t width;
    uint32_t height;
    uint8_t bpp;
    uint8_t type;
    uint16_t reserved;
    /* For type 1 (RGB): the colour fields below. */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define MB2_FRAMEBUFFER_COMMON_SIZE 32 /* the tag up to and including reserved */
#define MB2_FRAMEBUFFER_RGB_SIZE 38    /* plus the six colour-field bytes */
#define MB2_INFO_ALIGN 8
#define MB2_INFO_MAX_SIZE (1u << 20) /* larger is taken as corrupt */

/*
 * Copies what the kernel uses from the information at info into *bi.
 * available: how many bytes may be read at info (a bound for corrupt sizes).
 * Returns 0, or -1 when the information is unusable as a whole; problems with
 * single tags are recorded as warnings in bi and the rest is still used.
 */
int mb2_parse(const void *info, size_t available, struct boot_info *bi);

#endif
