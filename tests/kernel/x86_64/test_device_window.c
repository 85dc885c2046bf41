/*
 * test_device_window.c - memory the identity map does not reach (a
 * framebuffer above 4 GiB, where firmware puts 64-bit BARs) is reached
 * through the device window. QEMU cannot place a framebuffer there, so the
 * test maps RAM above 4 GiB instead and reads what it wrote back through a
 * second, independent mapping (the test window).
 */
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"

#define FOUR_GIB (4ull << 30)
#define TWO_MIB (2ull << 20)
#define PAGES 3
#define ODD_OFFSET 0x3000 /* a framebuffer need not start on a 2 MiB boundary */

static uint64_t ram_above_4_gib(void)
{
    const struct boot_info *bi = kernel_boot_info();
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *r = &bi->mmap[i];
        uint64_t end = r->base + r->length;
        if (r->type != MEM_AVAILABLE || end <= FOUR_GIB)
            continue;
        uint64_t start = r->base > FOUR_GIB ? r->base : FOUR_GIB;
        start = (start + TWO_MIB - 1) & ~(TWO_MIB - 1);
        if (start + TWO_MIB <= end)
            return start + ODD_OFFSET;
    }
    return 0;
}

KTEST(paging, the_device_window_reaches_memory_above_4_gib)
{
    uint64_t phys = ram_above_4_gib();
    if (phys == 0)
        KTEST_SKIP(t, "no memory above 4 GiB (the test runner gives one boot -m 5G)");
    volatile uint32_t *words = paging_map_device(phys, PAGES * PAGE_SIZE);
    ASSERT_TRUE(t, words != NULL);
    uintptr_t va = (uintptr_t)words;
    EXPECT_TRUE(t, va >= DEVICE_WINDOW_START && va < DEVICE_WINDOW_END);
    EXPECT_EQ(t, phys % TWO_MIB, va % TWO_MIB);
    const size_t per_page = PAGE_SIZE / sizeof(uint32_t);
    for (size_t i = 0; i < PAGES * per_page; i++)
        words[i] = 0xC0DE0000u + (uint32_t)i;
    for (size_t p = 0; p < PAGES; p++) {
        uintptr_t window = arch_test_window_map(phys + p * PAGE_SIZE);
        arch_tlb_flush_page(window);
        const volatile uint32_t *seen = (const uint32_t *)window;
        size_t wrong = 0;
        for (size_t i = 0; i < per_page; i++)
            wrong += seen[i] != 0xC0DE0000u + (uint32_t)(p * per_page + i);
        EXPECT_EQ(t, 0, wrong);
    }
}
