/*
 * layout.h - the kernel's address-space layout (docs/book/01-boot.md draws
 * it). The one source: the assembly (boot/) and linker.ld get these values from the
 * constants generated out of arch/x86_64/shared/constants.c.
 */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#include <stdint.h>

#define KERNEL_VMA 0xFFFFFFFF80000000ull /* virtual = physical + KERNEL_VMA in the image */
#define KERNEL_PHYS_BASE 0x100000ull     /* the loaders put the image at 1 MiB */
#define BOOT_STACK_SIZE 0x4000ull        /* boot/entry.asm's stack; a guard page below */
#define IDENTITY_MAP_LIMIT (4ull << 30)  /* physical 0..4 GiB is also mapped 1:1 */
#define PAGE_SIZE 4096ull
#define LARGE_PAGE_SIZE (2ull << 20)

/* The range holding the I/O APIC (0xFEC00000), HPET and local APIC
 * (0xFEE00000) registers: mapped uncacheable (SDM vol. 3A §11.4.1). */
#define APIC_MMIO_START 0xFEC00000ull
#define APIC_MMIO_END 0xFF000000ull

/* Device memory outside the identity map (a framebuffer above 4 GiB) is
 * mapped here, uncacheable, by paging_map_device. */
#define DEVICE_WINDOW_START 0xFFFF800000000000ull
#define DEVICE_WINDOW_END 0xFFFF801000000000ull /* 64 GiB */

/* Per-CPU stacks (each with an unmapped guard page below) are mapped in the
 * last GiB of the address space, above the kernel image's window. */
#define STACK_REGION_START 0xFFFFFFFFC0000000ull
#define STACK_REGION_END 0xFFFFFFFFFFE00000ull
/* One page whose mapping the TLB shoot-down self-test changes. */
#define TEST_WINDOW_VA 0xFFFFFFFFFFE00000ull

/* Symbols from linker.ld and boot/entry.asm. */
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __kernel_start[], __kernel_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

static inline uint64_t kernel_virt_to_phys(const void *va)
{
    return (uint64_t)(uintptr_t)va - KERNEL_VMA;
}

#endif
