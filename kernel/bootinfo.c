/*
 * bootinfo.c - helpers shared by the multiboot 1 and multiboot2 parsers.
 */
#include "kernel/bootinfo.h"

#include "lib/format.h"

#include <stdarg.h>

void bootinfo_warn(struct boot_info *bi, const char *fmt, ...)
{
    if (bi->warning_count < BOOTINFO_WARN_MAX) {
        va_list ap;
        va_start(ap, fmt);
        fmt_vsnprintf(bi->warnings[bi->warning_count], BOOTINFO_WARN_LEN, fmt, ap);
        va_end(ap);
    }
    bi->warning_count++;
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
