/*
 * gdt.c - GDT, TSS and interrupt stacks, one set per CPU.
 *
 * Each CPU needs its own TSS (its IST stacks must be its own: two CPUs
 * taking an NMI at once would otherwise share a stack), and a TSS
 * descriptor is marked busy by LTR, so each CPU needs its own GDT too.
 */
#include "arch/x86_64/gdt.h"

#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/page_alloc.h"
#include "lib/string.h"

#define GDT_ENTRIES 5 /* null, code, data, TSS (two slots) */

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Each IST stack has an unmapped guard page below it. */
struct guarded_stack {
    uint8_t guard[PAGE_SIZE];
    uint8_t stack[IST_STACK_SIZE];
} __attribute__((aligned(4096)));

struct gdt_cpu {
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    struct tss tss __attribute__((aligned(16)));
    uintptr_t ist_bottom[IST_COUNT];
};

_Static_assert(sizeof(struct gdt_cpu) <= PAGE_SIZE, "one page per CPU");

static struct gdt_cpu boot_cpu_tables;
static struct guarded_stack boot_ist_stacks[IST_COUNT];

_Static_assert(SEL_TSS == 3 * 8, "the TSS descriptor follows null, code and data");

static void load_gdt_and_tss(const uint64_t *gdt)
{
    struct descriptor_pointer p = {GDT_ENTRIES * sizeof(uint64_t) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     /* Reload CS with a far return, then the data segments. */
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(p), "i"(SEL_KERNEL_CODE), "i"(SEL_KERNEL_DATA), "r"((uint16_t)SEL_TSS)
                     : "rax", "memory");
}

static void build_and_load(struct gdt_cpu *g)
{
    uint64_t *gdt = g->gdt;
    struct tss *tss = &g->tss;
    gdt[0] = 0;
    gdt[SEL_KERNEL_CODE / 8] = DESC_KERNEL_CODE64;
    gdt[SEL_KERNEL_DATA / 8] = DESC_KERNEL_DATA;

    memset(tss, 0, sizeof(*tss));
    for (int i = 0; i < IST_COUNT; i++)
        tss->ist[i] = g->ist_bottom[i] + IST_STACK_SIZE;
    tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap */

    /* A 64-bit TSS descriptor takes two GDT slots (SDM vol. 3A fig. 7-4). */
    uint64_t base = (uint64_t)(uintptr_t)tss;
    uint64_t limit = sizeof(*tss) - 1;
    gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | DESC_TYPE_TSS_AVAILABLE |
                       DESC_PRESENT | (((limit >> 16) & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
    gdt[SEL_TSS / 8 + 1] = base >> 32;

    load_gdt_and_tss(gdt);
}

void gdt_init(void)
{
    for (int i = 0; i < IST_COUNT; i++) {
        paging_unmap_page((uintptr_t)boot_ist_stacks[i].guard);
        boot_cpu_tables.ist_bottom[i] = (uintptr_t)boot_ist_stacks[i].stack;
    }
    build_and_load(&boot_cpu_tables);
}

struct gdt_cpu *gdt_alloc_cpu(void)
{
    struct gdt_cpu *g = page_alloc_ptr(1);
    if (g == NULL)
        return NULL;
    for (int i = 0; i < IST_COUNT; i++) {
        g->ist_bottom[i] = paging_map_stack(IST_STACK_SIZE); /* guard page included */
        if (g->ist_bottom[i] == 0)
            return NULL; /* out of memory: the page is lost, the CPU left out */
    }
    return g;
}

void gdt_init_cpu(struct gdt_cpu *g) { build_and_load(g); }

void gdt_ist_stack(int ist, uintptr_t *lo, uintptr_t *hi)
{
    *lo = boot_cpu_tables.ist_bottom[ist - 1];
    *hi = *lo + IST_STACK_SIZE;
}

void arch_double_fault_stack(uintptr_t *lo, uintptr_t *hi)
{
    gdt_ist_stack(IST_DOUBLE_FAULT, lo, hi);
}
