/*
 * descriptors.h - the segment descriptors the kernel uses, built from the
 * named bits of the Intel SDM (vol. 3A §3.4.5, "Segment Descriptors";
 * §8.2.3 for the TSS), and their selectors. The boot GDT (boot/entry.asm),
 * the AP trampoline's GDT and each CPU's GDT (gdt.c) all take them from
 * here; assembly gets them through the generated constants.inc.
 */
#ifndef ARCH_X86_64_DESCRIPTORS_H
#define ARCH_X86_64_DESCRIPTORS_H

#define DESC_PRESENT (1ull << 47)
#define DESC_CODE_DATA (1ull << 44) /* S = 1: code or data, not system */
#define DESC_EXECUTABLE (1ull << 43)
#define DESC_WRITABLE (1ull << 41)        /* data: writable; code: readable */
#define DESC_LONG_MODE (1ull << 53)       /* L = 1: 64-bit code */
#define DESC_DEFAULT_SIZE_32 (1ull << 54) /* D/B = 1 */
#define DESC_GRANULARITY_4K (1ull << 55)
#define DESC_LIMIT_MAX (0xFFFFull | (0xFull << 48)) /* with 4 KiB granularity: 4 GiB */
#define DESC_TYPE_TSS_AVAILABLE (0x9ull << 40)

/* Flat (base 0, 4 GiB) code and data segments at privilege level 0. */
#define DESC_FLAT (DESC_PRESENT | DESC_CODE_DATA | DESC_GRANULARITY_4K | DESC_LIMIT_MAX)
#define DESC_KERNEL_CODE64 (DESC_FLAT | DESC_EXECUTABLE | DESC_WRITABLE | DESC_LONG_MODE)
#define DESC_KERNEL_CODE32 (DESC_FLAT | DESC_EXECUTABLE | DESC_WRITABLE | DESC_DEFAULT_SIZE_32)
#define DESC_KERNEL_DATA (DESC_FLAT | DESC_WRITABLE | DESC_DEFAULT_SIZE_32)

/* The kernel's GDT (boot and per-CPU): null, code, data, TSS (two slots). */
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_TSS 0x18

/* The AP trampoline's own GDT: null, 32-bit code, data, 64-bit code. */
#define SEL_TRAMPOLINE_CODE32 0x08
#define SEL_TRAMPOLINE_DATA 0x10
#define SEL_TRAMPOLINE_CODE64 0x18

#endif
