/*
 * page_alloc.h - physical pages for per-CPU stacks, tables and data.
 *
 * A bump allocator over the available regions of the memory map, above
 * 1 MiB (low memory is kept for the AP trampoline) and outside the kernel
 * image. Memory handed out is never returned: the kernel only allocates
 * while it boots. Pages come back zeroed.
 */
#ifndef KERNEL_PAGE_ALLOC_H
#define KERNEL_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct boot_info;

#define PAGE_ALLOC_PAGE 4096u

void page_alloc_init(const struct boot_info *bi);

/* Physical address of `pages` contiguous zeroed pages, or 0 when memory is
 * exhausted. */
uint64_t page_alloc(size_t pages);

/* The same, as a kernel pointer (identity-mapped), or NULL. */
void *page_alloc_ptr(size_t pages);

#endif
