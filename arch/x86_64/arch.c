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
#include "arch/x86_64/timing.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vga_text.h"
#include "arch/x86_64/x86.h"
#include "kernel/acpi_platform.h"
#include "kernel/arch_test.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "lib/string.h"

#define VGA_TEXT_COLUMNS 80
#define VGA_TEXT_ROWS 25

#define CPUID_LEAF_VENDOR 0u
#define CPUID_LEAF_BRAND_FIRST 0x80000002u
#define CPUID_LEAF_BRAND_LAST 0x80000004u

static struct console serial_console = {.name = "serial", .write = serial_write};
static struct console vga_console = {.name = "vga",
                                     .write = vga_text_write,
                                     .set_colour = vga_text_set_colour,
                                     .clear = vga_text_clear};
static struct console fb_console = {.name = "framebuffer",
                                    .write = fb_console_write,
                                    .set_colour = fb_console_set_colour,
                                    .clear = fb_console_clear};

void arch_console_init(const struct boot_info *bi)
{
    if (serial_init())
        console_register(&serial_console);

    /* Text mode is there when the loader says so, or under a multiboot 1
     * loader that says nothing of the screen (QEMU's -kernel and ISOLINUX's
     * mboot.c32 ignore the header's request for text mode, on a BIOS PC).
     * A graphical framebuffer (GRUB under UEFI) gets text drawn with the
     * kernel's own font. */
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

/* A framebuffer above 4 GiB (firmware puts 64-bit BARs there) can be
 * reached only once the kernel's own page tables exist. */
static void map_high_framebuffer(void)
{
    uint64_t bytes, phys = fb_console_pending_phys(&bytes);
    if (phys == 0)
        return;
    volatile void *mapped = paging_map_device(phys, bytes);
    if (mapped == NULL) {
        kprintf("warning: framebuffer at %#llx (%llu bytes) does not fit the device window; "
                "serial only\n",
                (unsigned long long)phys, (unsigned long long)bytes);
        return;
    }
    fb_console_map_high(mapped);
    kprintf("framebuffer: above 4 GiB at %#llx, mapped at %p\n", (unsigned long long)phys,
            (void *)mapped);
}

void arch_init(void)
{
    /* Until smp_init gives the boot CPU its struct cpu, arch_this_cpu()
     * points here, so the per-CPU words are usable from the start. */
    static struct cpu early_boot_cpu = {.self = &early_boot_cpu};
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&early_boot_cpu);
    bios_data_read(); /* while page 0 is still mapped */
    paging_init();    /* W^X page tables, guard pages */
    map_high_framebuffer();
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

/* System control port B latches the legacy NMI sources (platform.h). */
const char *arch_nmi_reason(void)
{
    uint8_t status = inb(PORT_SYSTEM_CONTROL_B);
    if (status & SCB_NMI_SERR)
        return "memory parity or PCI SERR# (port 0x61 bit 7)";
    if (status & SCB_NMI_IOCHK)
        return "I/O channel check (port 0x61 bit 6)";
    return "nothing latched in port 0x61 (a watchdog, another CPU, or a button)";
}

/* ---- Reset ---- */

/* The PCI reset control register of PC chipsets (ICH/PCH datasheets):
 * SYS_RST selects a full reset, RST_CPU starts it on a 0->1 transition. */
#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_SYS_RST (1u << 1)
#define RESET_CONTROL_RST_CPU (1u << 2)
/* The 8042 keyboard controller: "pulse the reset line" (IBM PC/AT
 * technical reference), once its input buffer is empty (status bit 1). */
#define PORT_KBC_STATUS 0x64
#define PORT_KBC_COMMAND 0x64
#define KBC_STATUS_INPUT_FULL (1u << 1)
#define KBC_COMMAND_PULSE_RESET 0xFE
#define KBC_WAIT_POLLS 100000u
/* Legacy PCI configuration mechanism #1. */
#define PORT_PCI_CONFIG_ADDRESS 0xCF8
#define PORT_PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE (1u << 31)
#define RESET_SETTLE_US 50000 /* how long each way gets before the next is tried */

/* The FADT's reset register (ACPI 6.5 §4.8.3.6): in memory, I/O or PCI
 * configuration space of bus 0 (§5.2.3.2: device in bits 47:32, function
 * in 31:16, offset in 15:0). */
static void acpi_reset_write(const struct acpi_fadt_info *f)
{
    const struct acpi_address *r = &f->reset_register;
    switch (r->space) {
    case ACPI_SPACE_IO: outb((uint16_t)r->address, f->reset_value); break;
    case ACPI_SPACE_MEMORY: {
        volatile uint8_t *p = r->address < IDENTITY_MAP_LIMIT ? phys_to_virt(r->address)
                                                              : paging_map_device(r->address, 1);
        if (p != NULL)
            mmio_write8(p, f->reset_value);
        break;
    }
    case ACPI_SPACE_PCI_CONFIG: {
        uint32_t device = (uint32_t)(r->address >> 32) & 0x1F;
        uint32_t function = (uint32_t)(r->address >> 16) & 0x7;
        uint32_t offset = (uint32_t)r->address & 0xFF;
        outl(PORT_PCI_CONFIG_ADDRESS,
             PCI_CONFIG_ENABLE | device << 11 | function << 8 | (offset & 0xFC));
        outb((uint16_t)(PORT_PCI_CONFIG_DATA + (offset & 3)), f->reset_value);
        break;
    }
    default: break;
    }
}

static bool reset_through_acpi(const struct acpi_fadt_info *fadt)
{
    if (fadt == NULL || !fadt->reset_supported) {
        kprintf("reset: the FADT names no reset register\n");
        return false;
    }
    kprintf("reset: through the ACPI reset register\n");
    acpi_reset_write(fadt);
    return true;
}

static bool reset_through_port_cf9(void)
{
    kprintf("reset: through port 0xCF9\n");
    outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST);
    tsc_udelay(10);
    outb(PORT_RESET_CONTROL, RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU);
    return true;
}

static bool reset_through_keyboard_controller(void)
{
    kprintf("reset: through the keyboard controller\n");
    for (uint32_t i = 0; i < KBC_WAIT_POLLS && (inb(PORT_KBC_STATUS) & KBC_STATUS_INPUT_FULL); i++)
        cpu_pause();
    outb(PORT_KBC_COMMAND, KBC_COMMAND_PULSE_RESET);
    return true;
}

/* first: the method reset=acpi|cf9|keyboard tries before the others. */
noreturn void arch_machine_reset(const struct acpi_fadt_info *fadt, const char *first)
{
    irq_disable();
    static const char *const names[] = {"acpi", "cf9", "keyboard"};
    size_t start = 0;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(first, names[i]) == 0)
            start = i;
    for (size_t n = 0; n < 3; n++) {
        size_t way = (start + n) % 3;
        bool tried = way == 0   ? reset_through_acpi(fadt)
                     : way == 1 ? reset_through_port_cf9()
                                : reset_through_keyboard_controller();
        if (tried) {
            tsc_udelay(RESET_SETTLE_US);
            kprintf("reset: that did not reset the machine\n");
        }
    }
    kprintf("reset: nothing worked; a triple fault\n");
    arch_triple_fault();
}
