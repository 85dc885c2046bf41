/*
 * bootinfo.c - helpers shared by the multiboot 1 and multiboot2 parsers.
 */
#include "kernel/boot/bootinfo.h"

#include "lib/format.h"

void bootinfo_add_region(struct boot_info *bi, uint64_t base, uint64_t length, uint32_t type)
{
    if (bi->mmap_count == BOOTINFO_MMAP_MAX) {
        if (!bi->mmap_truncated)
            warning_add(&bi->warnings, "memory map has more than %d entries; the rest are ignored",
                        BOOTINFO_MMAP_MAX);
        bi->mmap_truncated = true;
        return;
    }
    bi->mmap[bi->mmap_count++] = (struct mem_region){base, length, type};
}

uint64_t bootinfo_available_bytes(const struct boot_info *bi)
{
    uint64_t total = 0;
    for (size_t i = 0; i < bi->mmap_count; i++) {
        if (bi->mmap[i].type == MEM_AVAILABLE)
            total += bi->mmap[i].length;
    }
    return total;
}

const char *bootinfo_mem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_AVAILABLE: return "available";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case MEM_ACPI_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    default: return "reserved (unknown type)";
    }
}

uint64_t bootinfo_highest_free_page_below(const struct boot_info *bi, uint64_t limit)
{
    const uint64_t page_size = 4096;
    uint64_t best = 0;
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *r = &bi->mmap[i];
        if (r->type != MEM_AVAILABLE || r->base >= limit)
            continue;
        uint64_t end = r->base + r->length < limit ? r->base + r->length : limit;
        if (end < page_size)
            continue;
        uint64_t page = (end - page_size) & ~(page_size - 1);
        if (page < r->base || page == 0)
            continue; /* the region holds no whole page */
        if (page > best)
            best = page;
    }
    return best;
}

const char *bootinfo_firmware_name(const struct boot_info *bi)
{
    /* Multiboot 1 (spec 0.6.96 §3.3) has no field that tells UEFI from a
     * BIOS: QEMU's -kernel and ISOLINUX are BIOS boots, GRUB's multiboot
     * command runs on both. Under multiboot2, GRUB passes EFI tags (the
     * system table, types 11 and 12) under UEFI and none under a BIOS. */
    if (bi->protocol != BOOT_MULTIBOOT2)
        return "unknown";
    return bi->uefi ? "UEFI" : "BIOS";
}
