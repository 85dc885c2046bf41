/*
 * power.c - leaving the machine: the PC's three ways to reset it (the ACPI
 * reset register, the chipset's port 0xCF9, the 8042 keyboard controller),
 * each given a moment before the next, and QEMU's exit port.
 */
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/firmware/acpi_platform.h"
#include "lib/string.h"
#include "platform/pc/clock.h"
#include "platform/pc/platform.h"

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

/* first: the way reset=acpi|cf9|keyboard tries before the others (auto:
 * the ACPI register, then port 0xCF9, then the keyboard controller). */
noreturn void arch_machine_reset(const struct acpi_fadt_info *fadt, enum reset_way first)
{
    irq_disable();
    size_t start = first == RESET_CF9 ? 1 : first == RESET_KEYBOARD ? 2 : 0;
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
