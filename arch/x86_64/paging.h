/*
 * paging.h - the kernel's page tables (4-level paging, SDM vol. 3A §4.5).
 */
#ifndef ARCH_X86_64_PAGING_H
#define ARCH_X86_64_PAGING_H

#include "arch/x86_64/layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Page-table entry bits (SDM vol. 3A §4.5, tables 4-15 to 4-20). */
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_LARGE (1ull << 7)
#define PTE_GLOBAL (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define PTE_UNCACHEABLE (PTE_PCD | PTE_PWT) /* PAT entry 3: UC with the reset PAT */

/* Physical memory below IDENTITY_MAP_LIMIT is mapped at the same address. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }

/* Replaces the boot page tables: identity map (page 0 left out, the APIC
 * range uncacheable, nothing executable) and the kernel image in 4 KiB pages
 * with per-section permissions (W^X). */
void paging_init(void);

/* Removes the 4 KiB mapping of va (used for stack guard pages). */
void paging_unmap_page(uintptr_t va);

/* Maps a new stack of `bytes` (rounded up to pages) in the stack region,
 * with an unmapped guard page below it; returns its lowest address, or 0
 * when memory (or the region) has run out: the CPU it was for is left out,
 * the boot goes on. */
uintptr_t paging_map_stack(size_t bytes);

/* Maps the 4 KiB page at va to pa with flags (PTE_NX_IF_SUPPORTED becomes
 * NX when the CPU has it). No TLB flush: that is the caller's business. */
#define PTE_NX_IF_SUPPORTED (1ull << 62) /* software marker, never written */
void paging_set_page(uintptr_t va, uint64_t pa, uint64_t flags);

/* Maps [phys, phys + bytes) into the device window with 2 MiB pages,
 * uncached (PAT UC-: an MTRR that says write-combining still wins, as a
 * framebuffer wants); returns the address of phys there, or NULL when the
 * window is full. For memory the identity map does not reach. */
volatile void *paging_map_device(uint64_t phys, uint64_t bytes);

/* CR3 of the kernel's page tables (the APs load it too). */
uint64_t paging_kernel_cr3(void);

/* The leaf entry mapping va, or 0 when unmapped. */
uint64_t paging_leaf_entry(uintptr_t va);

#endif
