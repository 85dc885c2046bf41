/*
 * trampoline.c - what an AP needs before and just after its start-up IPIs:
 * the trampoline page below 1 MiB it starts in, its stacks and per-CPU
 * tables, and its first steps in C. smp_start.c sends the IPIs.
 */
#include "arch/x86_64/trampoline.h"
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/console.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/smp.h"
#include "lib/string.h"

#define LOW_MEMORY_LIMIT 0x100000ull /* a SIPI vector names a page below 1 MiB */

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_args[];
extern const char ap_trampoline_pm32[], ap_trampoline_lm64[];
extern char boot_pml4[];
extern void ap_entry64(void);

static uint64_t trampoline_phys;
static volatile struct trampoline_args *args;

noreturn void arch_ap_main(struct cpu *cpu);

/* ---- per-CPU setup ---- */
struct cpu *arch_this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

void arch_cpu_setup_boot(struct cpu *cpu)
{
    cpu->stack_lo = (uintptr_t)boot_stack_bottom;
    cpu->stack_hi = (uintptr_t)boot_stack_top;
    cpu->arch_words = arch_this_cpu()->arch_words; /* from arch_init's stand-in */
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)cpu);
}

bool trampoline_prepare_cpu(struct cpu *cpu)
{
    cpu->arch = gdt_alloc_cpu();
    if (cpu->arch == NULL)
        return false;
    cpu->stack_lo = paging_map_stack(KERNEL_STACK_SIZE);
    if (cpu->stack_lo == 0)
        return false;
    cpu->stack_hi = cpu->stack_lo + KERNEL_STACK_SIZE;
    return true;
}

/* ---- the trampoline ---- */

static bool low_memory_withheld;
void arch_test_withhold_low_memory(void) { low_memory_withheld = true; }

bool arch_cpus_start_prepare(const struct boot_info *bi)
{
    size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
    trampoline_phys = size <= PAGE_SIZE && !low_memory_withheld
                          ? bootinfo_highest_free_page_below(bi, LOW_MEMORY_LIMIT)
                          : 0;
    if (trampoline_phys == 0) {
        kprintf("smp: the memory map has no free page below 1 MiB for the AP start-up code "
                "(a SIPI can only start a CPU there); running on the boot CPU alone\n");
        return false;
    }
    uint8_t *page = phys_to_virt(trampoline_phys);
    memcpy(page, ap_trampoline_start, size);
    args = (struct trampoline_args *)(page + (ap_trampoline_args - ap_trampoline_start));

    /* The trampoline's own GDT: null, 32-bit code, data, 64-bit code
     * (SDM vol. 3A §3.4.5). */
    args->gdt[0] = 0;
    args->gdt[SEL_TRAMPOLINE_CODE32 / 8] = DESC_KERNEL_CODE32;
    args->gdt[SEL_TRAMPOLINE_DATA / 8] = DESC_KERNEL_DATA;
    args->gdt[SEL_TRAMPOLINE_CODE64 / 8] = DESC_KERNEL_CODE64;
    args->gdtr_limit = sizeof(args->gdt) - 1;
    args->gdtr_base = (uint32_t)(trampoline_phys + (ap_trampoline_args - ap_trampoline_start) +
                                 offsetof(struct trampoline_args, gdt));
    args->far32_offset = (uint32_t)(trampoline_phys + (ap_trampoline_pm32 - ap_trampoline_start));
    args->far32_sel = SEL_TRAMPOLINE_CODE32;
    args->far64_offset = (uint32_t)(trampoline_phys + (ap_trampoline_lm64 - ap_trampoline_start));
    args->far64_sel = SEL_TRAMPOLINE_CODE64;
    args->boot_cr3 = (uint32_t)kernel_virt_to_phys(boot_pml4);
    args->efer_bits = (uint32_t)(EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE));
    args->kernel_cr3 = paging_kernel_cr3();
    args->entry64 = (uint64_t)(uintptr_t)ap_entry64;
    kprintf("smp: AP start-up code at %#llx (%zu bytes)\n", (unsigned long long)trampoline_phys,
            size);
    return true;
}

void trampoline_target(struct cpu *cpu)
{
    args->cpu = (uint64_t)(uintptr_t)cpu;
    memory_fence();
}

void trampoline_target_all(struct cpu *table, size_t count)
{
    args->cpu = 0;
    args->cpu_table = (uint64_t)(uintptr_t)table;
    args->cpu_count = count;
    memory_fence();
}

uint32_t trampoline_strays(uint32_t *latest_id)
{
    /* args is volatile, and the APs write these with locked instructions:
     * plain reads see them (x86 keeps loads in order, SDM vol. 3A §9.2.2). */
    if (args == NULL) {
        *latest_id = 0;
        return 0;
    }
    uint32_t strays = args->strays; /* first: the AP wrote the ID before its count */
    *latest_id = args->stray_id;
    return strays;
}

uint8_t trampoline_sipi_vector(void)
{
    /* The vector is the page number: the AP starts at vector * 4096. */
    return (uint8_t)(trampoline_phys >> 12);
}

/* ---- the AP's first C code ---- */
noreturn void arch_ap_main(struct cpu *cpu)
{
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)cpu); /* arch_this_cpu() works from here */
    gdt_init_cpu(cpu->arch);                      /* its own GDT, TSS and IST stacks */
    idt_load();                                   /* the shared IDT */
    lapic_init_ap();                              /* its APIC, in the boot CPU's mode */
    smp_ap_entry(cpu);                            /* check in, then idle */
    arch_halt_forever();
}
