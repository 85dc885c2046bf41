/*
 * arch.c - the x86-64 side of kernel/arch.h that needs no file of its own:
 * start-up order, consoles, CPU identification, halting, and QEMU's exit port.
 */
#include "kernel/arch.h"

#include "arch/x86_64/bios_data.h"
#include "arch/x86_64/fb_console.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/platform.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/serial.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vga_text.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch_test.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "lib/string.h"

#define VGA_TEXT_COLUMNS 80
#define VGA_TEXT_ROWS 25

#define CPUID_LEAF_VENDOR 0u
#define CPUID_LEAF_BRAND_FIRST 0x80000002u
#define CPUID_LEAF_BRAND_LAST 0x80000004u

static struct console serial_console = {"serial", serial_write, NULL};
static struct console vga_console = {"vga", vga_text_write, NULL};
static struct console fb_console = {"framebuffer", fb_console_write, NULL};

void arch_console_init(const struct boot_info *bi)
{
    if (serial_init())
        console_register(&serial_console);

    /* Text mode is there when GRUB says so, or under multiboot 1 (QEMU's
     * -kernel, always a BIOS boot). A graphical framebuffer (UEFI) gets
     * text drawn with the kernel's own font. */
    if (bi->fb.present && bi->fb.type == FB_RGB) {
        if (fb_console_init(&bi->fb))
            console_register(&fb_console);
    } else if (bi->fb.present && bi->fb.type == FB_EGA_TEXT) {
        vga_text_init(bi->fb.addr, bi->fb.width, bi->fb.height);
        console_register(&vga_console);
    } else if (bi->protocol == BOOT_MULTIBOOT1 && !bi->fb.present) {
        vga_text_init(VGA_TEXT_PHYS, VGA_TEXT_COLUMNS, VGA_TEXT_ROWS);
        console_register(&vga_console);
    }
}

void arch_init(void)
{
    /* Until smp_init gives the boot CPU its struct cpu, arch_this_cpu()
     * points here, so the per-CPU words are usable from the start. */
    static struct cpu early_boot_cpu = {.self = &early_boot_cpu};
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&early_boot_cpu);
    bios_data_read(); /* while page 0 is still mapped */
    paging_init();    /* W^X page tables, guard pages */
    gdt_init();       /* GDT, TSS with IST stacks */
    idt_init();       /* all 256 vectors */
    pic_disable();    /* legacy PICs off the exception vectors, all masked */
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

static bool running_under_hypervisor(void)
{
    return (cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_HYPERVISOR) != 0;
}

void arch_vm_exit(uint32_t code)
{
    /* On a real PC this port may belong to anything: only write it in a VM. */
    if (running_under_hypervisor())
        outl(QEMU_DEBUG_EXIT_PORT, code);
}

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

/* System control port B latches the legacy NMI sources: bit 7 for a
 * memory parity error or SERR# on the bus, bit 6 for an I/O channel check
 * (the PC/AT's NMI status and control register, ICH/PCH datasheets). */
#define PORT_SYSTEM_CONTROL_B 0x61
#define NMI_SOURCE_SERR (1u << 7)
#define NMI_SOURCE_IOCHK (1u << 6)

const char *arch_nmi_reason(void)
{
    uint8_t status = inb(PORT_SYSTEM_CONTROL_B);
    if (status & NMI_SOURCE_SERR)
        return "memory parity or PCI SERR# (port 0x61 bit 7)";
    if (status & NMI_SOURCE_IOCHK)
        return "I/O channel check (port 0x61 bit 6)";
    return "nothing latched in port 0x61 (a watchdog, another CPU, or a button)";
}
