/*
 * paging.c - builds the kernel's final page tables.
 *
 * The boot tables of entry.asm map everything writable and executable with
 * 2 MiB pages. These replace them with a layout that catches mistakes:
 *   - page 0 is not mapped, so a NULL dereference faults;
 *   - kernel text is read-only, everything else is no-execute (when the CPU
 *     has NX), and CR0.WP makes read-only binding for the kernel too;
 *   - stack guard pages are unmapped, so an overflow faults at once;
 *   - the APIC range is uncacheable (SDM vol. 3A §11.4.1 requires it).
 * Page-table pages come from a fixed pool in .bss until the page allocator
 * runs, then from it. All tables lie below 4 GiB and are reached through the
 * identity map.
 */
#include "arch/x86_64/paging.h"

#include "arch/x86_64/x86.h"
#include "kernel/diag/arch_test.h"
#include "kernel/page_alloc.h"
#include "kernel/panic.h"
#include "kernel/smp/cpu.h"

#include <stddef.h>

#define ENTRIES_PER_TABLE 512
#define PT_POOL_PAGES 24

static uint64_t pt_pool[PT_POOL_PAGES][ENTRIES_PER_TABLE] __attribute__((aligned(4096)));
static unsigned pt_pool_used;
static uint64_t *pml4;
static uint64_t nx_bit;

static uint64_t stack_region_next = STACK_REGION_START;

/* Physical address of a new, zeroed page table, or 0 when memory is out. */
static uint64_t table_alloc(void)
{
    if (pt_pool_used < PT_POOL_PAGES)
        return kernel_virt_to_phys(pt_pool[pt_pool_used++]);
    return page_alloc(1);
}

static unsigned index_at(uintptr_t va, int level)
{
    return (unsigned)(va >> (12 + 9 * (level - 1))) & (ENTRIES_PER_TABLE - 1);
}

/* The table that entry `index` of `table` points to, created if absent;
 * NULL when there is no memory for it. */
static uint64_t *next_table(uint64_t *table, unsigned index)
{
    if (!(table[index] & PTE_PRESENT)) {
        uint64_t pa = table_alloc();
        if (pa == 0)
            return NULL;
        table[index] = pa | PTE_PRESENT | PTE_WRITE;
    }
    KASSERT(!(table[index] & PTE_LARGE));
    return phys_to_virt(table[index] & PTE_ADDR_MASK);
}

/* False when a page table it needs could not be allocated. */
static bool try_map_page(uintptr_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pdpt = next_table(pml4, index_at(va, 4));
    uint64_t *pd = pdpt != NULL ? next_table(pdpt, index_at(va, 3)) : NULL;
    uint64_t *pt = pd != NULL ? next_table(pd, index_at(va, 2)) : NULL;
    if (pt == NULL)
        return false;
    pt[index_at(va, 1)] = pa | flags;
    return true;
}

/* For the mappings the kernel cannot run without. */
static void map_page(uintptr_t va, uint64_t pa, uint64_t flags)
{
    if (!try_map_page(va, pa, flags))
        panic("paging: out of memory for page tables");
}

static void map_large_page(uintptr_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pdpt = next_table(pml4, index_at(va, 4));
    uint64_t *pd = pdpt != NULL ? next_table(pdpt, index_at(va, 3)) : NULL;
    if (pd == NULL)
        panic("paging: out of memory for page tables");
    pd[index_at(va, 2)] = pa | flags | PTE_LARGE;
}

void paging_init(void)
{
    nx_bit = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
    pml4 = phys_to_virt(table_alloc());

    /* Identity map: 4 KiB pages in the first 2 MiB (skipping page 0), then 2 MiB pages. */
    for (uint64_t pa = PAGE_SIZE; pa < LARGE_PAGE_SIZE; pa += PAGE_SIZE)
        map_page(pa, pa, PTE_PRESENT | PTE_WRITE | nx_bit);
    for (uint64_t pa = LARGE_PAGE_SIZE; pa < IDENTITY_MAP_LIMIT; pa += LARGE_PAGE_SIZE) {
        uint64_t flags = PTE_PRESENT | PTE_WRITE | nx_bit;
        if (pa >= APIC_MMIO_START && pa < APIC_MMIO_END)
            flags |= PTE_UNCACHEABLE;
        map_large_page(pa, pa, flags);
    }

    /* The kernel image, section by section. */
    for (uintptr_t va = (uintptr_t)__text_start; va < (uintptr_t)__kernel_end; va += PAGE_SIZE) {
        uint64_t flags = PTE_PRESENT | PTE_GLOBAL;
        if (va >= (uintptr_t)__text_end && va < (uintptr_t)__rodata_end)
            flags |= nx_bit;
        else if (va >= (uintptr_t)__rodata_end)
            flags |= PTE_WRITE | nx_bit;
        map_page(va, kernel_virt_to_phys((void *)va), flags);
    }
    paging_unmap_page((uintptr_t)boot_stack_guard);

    write_cr4(read_cr4() | CR4_PGE);
    write_cr3((uint64_t)(uintptr_t)pml4); /* identity-mapped: virtual = physical */
}

uint64_t paging_kernel_cr3(void) { return read_cr3(); }

void paging_set_page(uintptr_t va, uint64_t pa, uint64_t flags)
{
    if (flags & PTE_NX_IF_SUPPORTED)
        flags = (flags & ~PTE_NX_IF_SUPPORTED) | nx_bit;
    map_page(va, pa, flags);
}

static uintptr_t device_window_next = DEVICE_WINDOW_START;

volatile void *paging_map_device(uint64_t phys, uint64_t bytes)
{
    uint64_t first = phys & ~(LARGE_PAGE_SIZE - 1);
    uint64_t end = (phys + bytes + LARGE_PAGE_SIZE - 1) & ~(LARGE_PAGE_SIZE - 1);
    if (bytes == 0 || end < phys || end - first > DEVICE_WINDOW_END - device_window_next)
        return NULL;
    uintptr_t va = device_window_next;
    for (uint64_t pa = first; pa < end; pa += LARGE_PAGE_SIZE)
        map_large_page(va + (pa - first), pa, PTE_PRESENT | PTE_WRITE | PTE_PCD | nx_bit);
    device_window_next += end - first;
    return (void *)(va + (phys - first));
}

uintptr_t paging_map_stack(size_t bytes)
{
    size_t pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    uintptr_t guard = stack_region_next;
    if (guard + (pages + 1) * PAGE_SIZE > STACK_REGION_END)
        return 0;
    uint64_t pa = page_alloc(pages);
    if (pa == 0)
        return 0;
    /* The guard page below is simply never mapped. Pages of a stack whose
     * tables ran out are lost (the allocator never takes pages back); the
     * region's next stack reuses its addresses. */
    for (size_t i = 0; i < pages; i++)
        if (!try_map_page(guard + (i + 1) * PAGE_SIZE, pa + i * PAGE_SIZE,
                          PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | nx_bit))
            return 0;
    stack_region_next = guard + (pages + 1) * PAGE_SIZE;
    return guard + PAGE_SIZE;
}

/* Walks to the entry that maps va; *level is 1 for a 4 KiB page, 2 for 2 MiB. */
static uint64_t *leaf_entry_ptr(uintptr_t va, int *level)
{
    uint64_t *table = pml4;
    for (int l = 4; l >= 1; l--) {
        uint64_t *e = &table[index_at(va, l)];
        if (l == 1 || !(*e & PTE_PRESENT) || (*e & PTE_LARGE)) {
            *level = l;
            return e;
        }
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return NULL;
}

void paging_unmap_page(uintptr_t va)
{
    int level;
    uint64_t *e = leaf_entry_ptr(va, &level);
    if (level != 1)
        panic("paging: %p is not mapped with a 4 KiB page", (void *)va);
    *e = 0;
    invlpg(va);
}

uint64_t paging_leaf_entry(uintptr_t va)
{
    int level;
    uint64_t *e = leaf_entry_ptr(va, &level);
    return (e != NULL && (*e & PTE_PRESENT)) ? *e : 0;
}

/* Each CPU's flushes, on its own cache line: the self-tests read them to
 * see that a shoot-down reached the right CPUs for the right pages. One
 * increment and two compares beside an INVLPG, which costs far more. */
static struct tlb_flush_slot {
    struct arch_tlb_flush_record record;
} __attribute__((aligned(ARCH_CACHE_LINE_SIZE))) tlb_flushes[MAX_CPUS];

void arch_tlb_flush_page(uintptr_t va)
{
    /* INVLPG drops the TLB entries for va's page, global ones included,
     * and every paging-structure-cache entry of the current PCID, whatever
     * its address (SDM vol. 3A §4.10.4.1): on this CPU only (§4.10.5). */
    invlpg(va);
    struct arch_tlb_flush_record *r = &tlb_flushes[arch_this_cpu()->index].record;
    uintptr_t page = va & ~(uintptr_t)(PAGE_SIZE - 1);
    if (r->flushes == 0 || page < r->lowest)
        r->lowest = page;
    if (r->flushes == 0 || page > r->highest)
        r->highest = page;
    r->flushes++;
}

struct arch_tlb_flush_record arch_test_tlb_flushes(uint32_t cpu)
{
    return cpu < MAX_CPUS ? tlb_flushes[cpu].record : (struct arch_tlb_flush_record){0, 0, 0};
}

void arch_test_tlb_flushes_reset(void)
{
    for (size_t i = 0; i < MAX_CPUS; i++)
        tlb_flushes[i].record = (struct arch_tlb_flush_record){0, 0, 0};
}

bool arch_page_is_mapped(uintptr_t va) { return paging_leaf_entry(va) != 0; }
bool arch_page_is_writable(uintptr_t va) { return (paging_leaf_entry(va) & PTE_WRITE) != 0; }
bool arch_has_nx(void) { return nx_bit != 0; }

bool arch_page_is_executable(uintptr_t va)
{
    uint64_t e = paging_leaf_entry(va);
    return e != 0 && !(e & PTE_NX);
}

uintptr_t arch_boot_stack_guard(void) { return (uintptr_t)boot_stack_guard; }
