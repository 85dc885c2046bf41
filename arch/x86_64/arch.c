/*
 * arch.c - the x86-64 side of kernel/arch.h that needs no file of its own:
 * the start-up order, CPU identification, halting and idling, and what the
 * identity map reaches. The PC board's part is in platform/pc/.
 */
#include "kernel/arch.h"

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "lib/string.h"
#include "platform/pc/bios_data.h"
#include "platform/pc/consoles.h"
#include "platform/pc/pic.h"

#define CPUID_LEAF_VENDOR 0u
#define CPUID_LEAF_BRAND_FIRST 0x80000002u
#define CPUID_LEAF_BRAND_LAST 0x80000004u

void arch_init(void)
{
    /* Until smp_init gives the boot CPU its struct cpu, arch_this_cpu()
     * points here, so the per-CPU words are usable from the start. */
    static struct cpu early_boot_cpu = {.self = &early_boot_cpu};
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&early_boot_cpu);
    bios_data_read(); /* while page 0 is still mapped */
    paging_init();    /* W^X page tables, guard pages */
    consoles_map_high_framebuffer();
    gdt_init();    /* GDT, TSS with IST stacks */
    idt_init();    /* all 256 vectors */
    pic_disable(); /* legacy PICs off the exception vectors, all masked */
}

const char *arch_cpu_vendor(void)
{
    static char text[13 + 48 + 2];
    struct cpuid_regs r = cpuid(CPUID_LEAF_VENDOR, 0);
    memcpy(text, &r.ebx, 4);
    memcpy(text + 4, &r.edx, 4);
    memcpy(text + 8, &r.ecx, 4);
    text[12] = '\0';
    if (cpuid(CPUID_LEAF_EXT_MAX, 0).eax >= CPUID_LEAF_BRAND_LAST) {
        char *brand = text + 14;
        text[12] = ',';
        text[13] = ' ';
        for (uint32_t leaf = CPUID_LEAF_BRAND_FIRST; leaf <= CPUID_LEAF_BRAND_LAST; leaf++) {
            r = cpuid(leaf, 0);
            memcpy(brand, &r, 16);
            brand += 16;
        }
        *brand = '\0';
    }
    return text;
}

noreturn void arch_halt_forever(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void arch_cpu_relax(void) { cpu_pause(); }
void arch_full_fence(void) { mfence(); }
/* How an idle CPU waits (idle=hlt|mwait|poll, which kernel/main.c decodes). */
static enum idle_mode idle_mode = IDLE_HLT;

bool arch_idle_set_mode(enum idle_mode mode)
{
    /* MONITOR/MWAIT: CPUID.1:ECX[3] (SDM vol. 2B, MWAIT). */
    if (mode == IDLE_MWAIT && !(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_MONITOR))
        return false;
    idle_mode = mode;
    return true;
}

void arch_idle(const void *watch)
{
    priority_sync();
    /* sti takes effect after the next instruction, so an interrupt that
     * became pending before it is taken after that instruction: it wakes
     * the hlt or mwait instead of slipping in first. The nops give QEMU's
     * TCG, which looks for interrupts only between its translation blocks
     * and not right after an instruction that left its loop (pause, and
     * mwait with more than one CPU), a boundary to take it at. */
    if (idle_mode == IDLE_POLL) {
        __asm__ volatile("sti; nop; nop; cli; pause" ::: "memory");
    } else if (idle_mode == IDLE_MWAIT && watch != NULL) {
        /* A write between the caller's look and the monitor is missed, but
         * whoever posts work also sends an interrupt, which ends mwait. */
        __asm__ volatile("monitor" ::"a"(watch), "c"(0), "d"(0) : "memory");
        __asm__ volatile("sti; mwait; nop; cli" ::"a"(0), "c"(0) : "memory");
    } else {
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
}
uint64_t arch_cycles(void) { return rdtsc(); }

noreturn void arch_triple_fault(void)
{
    /* With an empty IDT every exception is a fault while delivering one:
     * #BP -> #GP -> #DF -> shutdown (SDM vol. 3A §6.15, "interrupt 8"). */
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0; int3" : : "m"(empty));
    arch_halt_forever();
}

const void *arch_phys_to_virt(uint64_t phys, size_t length)
{
    /* Page 0 is never mapped (NULL must fault); the rest of the low 4 GiB is. */
    if (phys < PAGE_SIZE || phys >= IDENTITY_MAP_LIMIT || length > IDENTITY_MAP_LIMIT - phys)
        return NULL;
    return phys_to_virt(phys);
}

uint64_t arch_phys_mapped_limit(void) { return IDENTITY_MAP_LIMIT; }

void arch_kernel_phys_range(uint64_t *lo, uint64_t *hi)
{
    extern char __load_phys_start[], __bss_phys_end[];
    *lo = (uint64_t)(uintptr_t)__load_phys_start;
    *hi = (uint64_t)(uintptr_t)__bss_phys_end;
}
