/*
 * page_alloc.c - the boot-time bump allocator.
 */
#include "kernel/page_alloc.h"

#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "lib/string.h"

#define LOW_MEMORY_END 0x100000ull /* below 1 MiB: trampoline, BIOS */
#define MAX_RANGES 64

struct range {
    uint64_t next, end;
};

static struct range ranges[MAX_RANGES];
static size_t range_count;

static uint64_t align_up(uint64_t v)
{
    return (v + PAGE_ALLOC_PAGE - 1) & ~(uint64_t)(PAGE_ALLOC_PAGE - 1);
}
static uint64_t align_down(uint64_t v) { return v & ~(uint64_t)(PAGE_ALLOC_PAGE - 1); }

static void add_range(uint64_t start, uint64_t end)
{
    start = align_up(start);
    end = align_down(end);
    if (start < end && range_count < MAX_RANGES)
        ranges[range_count++] = (struct range){start, end};
}

void page_alloc_init(const struct boot_info *bi)
{
    uint64_t kernel_lo, kernel_hi;
    arch_kernel_phys_range(&kernel_lo, &kernel_hi);
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *r = &bi->mmap[i];
        if (r->type != MEM_AVAILABLE)
            continue;
        uint64_t start = r->base < LOW_MEMORY_END ? LOW_MEMORY_END : r->base;
        uint64_t end = r->base + r->length;
        if (end > arch_phys_mapped_limit())
            end = arch_phys_mapped_limit();
        if (start >= end)
            continue;
        /* Cut the kernel image out of the region. */
        if (kernel_hi <= start || kernel_lo >= end) {
            add_range(start, end);
        } else {
            add_range(start, kernel_lo);
            add_range(kernel_hi, end);
        }
    }
}

uint64_t page_alloc(size_t pages)
{
    uint64_t bytes = (uint64_t)pages * PAGE_ALLOC_PAGE;
    for (size_t i = 0; i < range_count; i++) {
        struct range *r = &ranges[i];
        if (r->end - r->next >= bytes) {
            uint64_t pa = r->next;
            r->next += bytes;
            memset((void *)arch_phys_to_virt(pa, bytes), 0, bytes);
            return pa;
        }
    }
    return 0;
}

void *page_alloc_ptr(size_t pages)
{
    uint64_t pa = page_alloc(pages);
    return pa != 0 ? (void *)arch_phys_to_virt(pa, (uint64_t)pages * PAGE_ALLOC_PAGE) : NULL;
}
