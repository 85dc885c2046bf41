/*
 * lapic.c - the local APIC driver, with an operations table per mode.
 *
 * xAPIC: 32-bit registers in a 4 KiB MMIO page, which paging.c maps
 * uncacheable (SDM vol. 3A §11.4.1). Sending an IPI takes two writes (the
 * destination in ICR_HIGH, then ICR_LOW, which sends) and the delivery
 * status bit says when the APIC has taken it.
 * x2APIC: the same registers as MSRs 0x800 + offset / 16 (SDM vol. 3A
 * §11.12.1), 32-bit APIC IDs, and one 64-bit ICR write with no delivery
 * status. WRMSR to these MSRs is not serialising, so a fence comes first:
 * the target must see the stores the IPI announces (SDM vol. 3A §11.12.3).
 */
#include "arch/x86_64/lapic.h"

#include "arch/x86_64/apic_mode.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/vectors.h"
#include "arch/x86_64/x86.h"
#include "kernel/console.h"
#include "lib/string.h"
#include "platform/pc/clock.h"

#define ICR_IDLE_SPINS 1000000 /* bound on waiting for delivery status */
#define CALIBRATE_US 10000     /* 10 ms of LAPIC timer counting */
#define LAPIC_MMIO_SIZE 0x1000ull

struct lapic_ops {
    const char *name;
    uint32_t (*read)(uint32_t reg);
    void (*write)(uint32_t reg, uint32_t value);
    bool (*send_ipi)(uint32_t dest, uint32_t icr_low);
    uint32_t (*id)(void);
    uint32_t max_id;
};

static const struct lapic_ops *ops;
static volatile uint8_t *xapic_mmio;
static uint64_t timer_ticks_per_ms;

/* ---- xAPIC ---- */
/* Every register access is counted (arch_cpu_words): each is a VM exit
 * where the hypervisor does not virtualise the APIC. */
static void count_access(void) { cpu_words()->apic_accesses++; }

static uint32_t xapic_read(uint32_t reg)
{
    count_access();
    return mmio_read32(xapic_mmio + reg);
}
static void xapic_write(uint32_t reg, uint32_t value)
{
    count_access();
    mmio_write32(xapic_mmio + reg, value);
}

static bool xapic_wait_idle(void)
{
    for (unsigned i = 0; i < ICR_IDLE_SPINS; i++) {
        if (!(xapic_read(LAPIC_REG_ICR_LOW) & ICR_DELIVERY_STATUS_PENDING))
            return true;
        cpu_pause();
    }
    return false;
}

static bool xapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    /* The two writes must not be split by an interrupt handler that sends
     * an IPI of its own. The APIC takes one IPI at a time: wait for the
     * previous one to leave before writing, and after writing only where
     * the sender acts on the delivery (INIT, SIPI, NMI), so that a loop of
     * fixed IPIs does not wait for each in turn. */
    uint64_t flags = read_rflags();
    irq_disable();
    bool ok = xapic_wait_idle();
    if (ok) {
        xapic_write(LAPIC_REG_ICR_HIGH, dest << ICR_XAPIC_DEST_SHIFT);
        xapic_write(LAPIC_REG_ICR_LOW, icr_low);
        if ((icr_low & ICR_DELIVERY_MODE_MASK) != ICR_DELIVERY_FIXED)
            ok = xapic_wait_idle();
    }
    if (flags & RFLAGS_IF)
        irq_enable();
    return ok;
}

static uint32_t xapic_id(void) { return xapic_read(LAPIC_REG_ID) >> XAPIC_ID_SHIFT; }

static const struct lapic_ops xapic_ops = {
    "xapic", xapic_read, xapic_write, xapic_send_ipi, xapic_id, XAPIC_MAX_ID,
};

/* ---- x2APIC ---- */
static uint32_t x2apic_msr(uint32_t reg) { return MSR_X2APIC_BASE + (reg >> 4); }
/* LAB(x2apic-open) begin: the x2APIC's registers: read, write, the ICR, the ID */
static uint32_t x2apic_read(uint32_t reg)
{
    count_access();
    return (uint32_t)rdmsr(x2apic_msr(reg));
}
static void x2apic_write(uint32_t reg, uint32_t value)
{
    count_access();
    wrmsr(x2apic_msr(reg), value);
}

static bool x2apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    count_access();
    /* LAB(x2apic) begin: send icr_low to the APIC ID dest with one write of the x2APIC ICR */
    memory_fence();
    wrmsr(x2apic_msr(LAPIC_REG_ICR_LOW), (uint64_t)dest << 32 | icr_low);
    /* LAB(x2apic) stub
    (void)dest;
    (void)icr_low;
    LAB(x2apic) end */
    return true;
}

static uint32_t x2apic_id(void) { return x2apic_read(LAPIC_REG_ID); }
/* LAB(x2apic-open) stub
static uint32_t x2apic_read(uint32_t reg)
{
    (void)reg;
    return 0;
}
static void x2apic_write(uint32_t reg, uint32_t value)
{
    (void)reg;
    (void)value;
}
static bool x2apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    (void)dest;
    (void)icr_low;
    return true; // "sent": nothing is
}
static uint32_t x2apic_id(void) { return 0; } // every CPU would be APIC ID 0
LAB(x2apic-open) end */

static const struct lapic_ops x2apic_ops = {
    "x2apic", x2apic_read, x2apic_write, x2apic_send_ipi, x2apic_id, 0xFFFFFFFEu,
};

/* ---- common ---- */
uint32_t lapic_read(uint32_t reg) { return ops != NULL ? ops->read(reg) : 0; }
void lapic_write(uint32_t reg, uint32_t value)
{
    if (ops != NULL)
        ops->write(reg, value);
}
/* Without an APIC (none found, or -cpu ...,-apic) there is no IPI to send:
 * say so to the caller instead of following a NULL table. */
bool lapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    return ops != NULL && ops->send_ipi(dest, icr_low);
}
uint32_t lapic_id(void) { return ops != NULL ? ops->id() : 0; }

bool lapic_read_own_id(uint32_t *id)
{
    /* The mode this CPU's APIC is in now, not the one ops stands for: an AP
     * not set up yet may still be in xAPIC mode while the boot CPU runs in
     * x2APIC mode (INIT keeps the mode, SDM vol. 3A §11.12.5.1). */
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (base & APIC_BASE_X2APIC_ENABLE) {
        *id = (uint32_t)rdmsr(x2apic_msr(LAPIC_REG_ID));
        return true;
    }
    if (!(base & APIC_BASE_ENABLE) || xapic_mmio == NULL ||
        (base & APIC_BASE_ADDR_MASK) != (uint64_t)(uintptr_t)xapic_mmio)
        return false;
    *id = mmio_read32(xapic_mmio + LAPIC_REG_ID) >> XAPIC_ID_SHIFT;
    return true;
}

bool lapic_test_set_id(uint32_t id)
{
    /* Only xAPIC's ID register is writable, and only on some CPUs (QEMU's
     * is; SDM vol. 3A §11.4.6 leaves it model-specific). */
    if (ops != &xapic_ops || id > XAPIC_MAX_ID)
        return false;
    xapic_write(LAPIC_REG_ID, id << XAPIC_ID_SHIFT);
    return lapic_id() == id;
}
uint32_t lapic_max_addressable_id(void) { return ops != NULL ? ops->max_id : 0; }
bool lapic_active(void) { return ops != NULL; }
const char *lapic_mode_name(void) { return ops != NULL ? ops->name : "none"; }

void lapic_eoi(void)
{
    /* LAB(x2apic-open) begin: end the interrupt in service, in either mode */
    /* LAB(x2apic) begin: tell the local APIC that the interrupt in service has been handled */
    if (ops != NULL)
        ops->write(LAPIC_REG_EOI, 0);
    /* LAB(x2apic) stub
    LAB(x2apic) end */
    /* LAB(x2apic-open) stub
    LAB(x2apic-open) end */
}

/* Turns the APIC on in the chosen mode. Going from x2APIC back to xAPIC
 * needs a full disable, and going from disabled straight to x2APIC is
 * invalid: EN first, then EXTD (SDM vol. 3A §11.12.5, fig. 11-27). */
static void enable_mode(void)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        base |= APIC_BASE_ENABLE;
        wrmsr(MSR_IA32_APIC_BASE, base);
    }
    if (ops == &x2apic_ops && !(base & APIC_BASE_X2APIC_ENABLE))
        wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_X2APIC_ENABLE);
}

/* Software-enables the APIC with the spurious vector, masks every local
 * interrupt source the kernel does not use, clears errors, accepts all
 * priorities (SDM vol. 3A §11.4.7, §11.5). */
static void setup_registers(void)
{
    uint32_t max_lvt = LAPIC_VERSION_MAX_LVT(lapic_read(LAPIC_REG_VERSION));
    lapic_write(LAPIC_REG_SVR, LAPIC_SVR_ENABLE | VECTOR_SPURIOUS);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_TIMER);
    lapic_write(LAPIC_REG_LVT_LINT0, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_REG_LVT_LINT1, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_REG_LVT_ERROR, LAPIC_LVT_MASKED | VECTOR_APIC_ERROR);
    if (max_lvt >= 4)
        lapic_write(LAPIC_REG_LVT_PERF, LAPIC_LVT_MASKED);
    if (max_lvt >= 5)
        lapic_write(LAPIC_REG_LVT_THERMAL, LAPIC_LVT_MASKED);
    /* The ESR is written before it is read (SDM vol. 3A §11.5.3). */
    lapic_write(LAPIC_REG_ESR, 0);
    lapic_write(LAPIC_REG_ESR, 0);
    lapic_write(LAPIC_REG_TPR, 0);
    write_cr8(0);
    priority_reset();
    lapic_eoi(); /* in case the firmware left one in service */
}

bool lapic_init_bsp(enum apic_request requested, uint64_t mmio_base, bool firmware_opts_out)
{
    struct cpuid_regs r = cpuid(CPUID_LEAF_FEATURES, 0);
    if (!(r.edx & CPUID_1_EDX_APIC)) {
        kprintf("apic: this CPU has no local APIC\n");
        return false;
    }
    bool firmware_x2apic = (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC_ENABLE) != 0;
    struct apic_mode_facts facts = {requested, (r.ecx & CPUID_1_ECX_X2APIC) != 0, firmware_x2apic,
                                    firmware_opts_out};
    const char *why;
    ops = apic_mode_choose(&facts, &why) == APIC_MODE_X2APIC ? &x2apic_ops : &xapic_ops;
    if (why != NULL)
        kprintf("apic: %s\n", why);

    if (ops == &xapic_ops) {
        uint64_t base =
            mmio_base != 0 ? mmio_base : (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR_MASK);
        if (base < APIC_MMIO_START || base + LAPIC_MMIO_SIZE > APIC_MMIO_END) {
            kprintf("apic: the local APIC registers at %#llx are outside the uncacheable "
                    "window %#llx-%#llx; not using the APIC\n",
                    (unsigned long long)base, APIC_MMIO_START, APIC_MMIO_END - 1);
            ops = NULL;
            return false;
        }
        xapic_mmio = phys_to_virt(base);
    }
    enable_mode();
    setup_registers();
    kprintf("apic: %s mode%s, boot CPU APIC ID %u\n", ops->name,
            firmware_x2apic ? " (already enabled by the firmware)" : "", lapic_id());
    return true;
}

void lapic_init_ap(void)
{
    enable_mode();
    setup_registers();
}

/* The timer's count against the TSC over about CALIBRATE_US. The TSC is
 * read on both sides of the count, and the rate comes from what it says
 * elapsed, not from the delay asked for: a vCPU the host stops during the
 * delay overshoots it (under a loaded TCG host, by ten times), and the
 * count goes on meanwhile. */
void lapic_timer_calibrate(void)
{
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_TIMER);
    uint64_t start = rdtsc();
    lapic_write(LAPIC_REG_TIMER_INITIAL, 0xFFFFFFFFu);
    tsc_udelay(CALIBRATE_US);
    uint32_t elapsed = 0xFFFFFFFFu - lapic_read(LAPIC_REG_TIMER_CURRENT);
    uint64_t cycles = rdtsc() - start;
    lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
    uint64_t cycles_per_ms = tsc_hz() / 1000;
    timer_ticks_per_ms = cycles != 0 ? elapsed * cycles_per_ms / cycles : 0;
}

uint64_t lapic_timer_ticks_per_ms(void) { return timer_ticks_per_ms; }

bool arch_test_firmware_enables_extended_apic(void)
{
    if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_X2APIC))
        return false;
    /* As firmware does it: EN, then EXTD (SDM vol. 3A §11.12.5). */
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_ENABLE;
    wrmsr(MSR_IA32_APIC_BASE, base);
    wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_X2APIC_ENABLE);
    return true;
}
