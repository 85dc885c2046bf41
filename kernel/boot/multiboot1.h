/*
 * multiboot1.h - the multiboot 1 boot information (multiboot spec 0.6.96
 * §3.3), which QEMU's -kernel, GRUB's multiboot command and ISOLINUX's
 * mboot.c32 hand over; multiboot2.h has GRUB's multiboot2.
 */
#ifndef KERNEL_BOOT_MULTIBOOT1_H
#define KERNEL_BOOT_MULTIBOOT1_H

#include "kernel/boot/bootinfo.h"

#include <stddef.h>
#include <stdint.h>

#define MB1_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry (spec §3.2) */
/* The information block's size with the framebuffer fields (flags bit 12);
 * without them it is 88 bytes, and mb1_parse reads no further. */
#define MB1_INFO_SIZE 118

/* Turns a physical address range into a readable pointer, or NULL. */
typedef const void *mb_map_fn(uint64_t phys, size_t length);

/* Copies what the kernel uses from the information at info (readable for
 * MB1_INFO_SIZE bytes, or NULL) into *bi. It holds physical addresses,
 * which map() makes readable. Returns 0, or -1
 * when the information is unusable as a whole (problems with one part are
 * warnings in bi, and the rest is used). */
int mb1_parse(const void *info, mb_map_fn *map, struct boot_info *bi);

#endif
