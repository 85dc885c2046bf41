/*
 * apic_glue.c - kernel/arch.h's processor, interrupt and timing functions,
 * on top of the local APIC driver and the TSC.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/timing.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/vectors.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/smp.h"

/* The BIOS data area keeps the EBDA's segment at 0x40E (ACPI §5.2.5.1). */
#define BDA_EBDA_SEGMENT 0x40Eu
#define EBDA_MIN 0x80000u
#define EBDA_MAX 0xA0000u

static uint64_t ebda_base;

/* Runs while page 0 is still mapped (before paging_init). */
void arch_read_bios_data(void)
{
    uintptr_t addr = BDA_EBDA_SEGMENT;
    __asm__("" : "+r"(addr)); /* a computed address, not a NULL dereference */
    uint64_t base = (uint64_t)mmio_read16((volatile void *)addr) << 4;
    ebda_base = (base >= EBDA_MIN && base < EBDA_MAX) ? base : 0;
}

uint64_t arch_legacy_ebda_base(void) { return ebda_base; }

void arch_kernel_phys_range(uint64_t *lo, uint64_t *hi)
{
    extern char __load_phys_start[], __bss_phys_end[];
    *lo = (uint64_t)(uintptr_t)__load_phys_start;
    *hi = (uint64_t)(uintptr_t)__bss_phys_end;
}

static void spurious_interrupt(struct trap_frame *frame)
{
    (void)frame; /* no EOI for a spurious interrupt (SDM vol. 3A §11.9) */
}

static void probe_interrupt(struct trap_frame *frame)
{
    (void)frame;
    smp_probe_interrupt();
    lapic_eoi();
}

static void apic_error_interrupt(struct trap_frame *frame)
{
    (void)frame;
    lapic_write(LAPIC_REG_ESR, 0);
    kprintf("apic: error interrupt on APIC ID %u, ESR %#x\n", lapic_id(),
            lapic_read(LAPIC_REG_ESR));
    lapic_eoi();
}

static void call_interrupt(struct trap_frame *frame)
{
    (void)frame;
    kernel_call_interrupt();
    lapic_eoi();
}

static void timer_interrupt(struct trap_frame *frame)
{
    (void)frame;
    kernel_timer_interrupt();
    lapic_eoi();
}

bool arch_apic_init(const char *requested, uint64_t lapic_address)
{
    trap_set_handler(VECTOR_IPI_CALL, call_interrupt);
    trap_set_handler(VECTOR_TIMER, timer_interrupt);
    trap_set_handler(VECTOR_SPURIOUS, spurious_interrupt);
    trap_set_handler(VECTOR_IPI_PROBE, probe_interrupt);
    trap_set_handler(VECTOR_APIC_ERROR, apic_error_interrupt);
    return lapic_init_bsp(requested, lapic_address);
}

const char *arch_apic_mode_name(void) { return lapic_mode_name(); }
bool arch_apic_present(void) { return lapic_active(); }
uint32_t arch_apic_max_id(void) { return lapic_max_addressable_id(); }

uint32_t arch_cpu_apic_id(void)
{
    /* CPUID.1:EBX has only 8 bits; leaf 0xB gives all 32 (SDM vol. 3A §9.4.5). */
    if (cpuid(0, 0).eax >= CPUID_LEAF_TOPOLOGY) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_TOPOLOGY, 0);
        if (r.ebx != 0)
            return r.edx;
    }
    return cpuid(CPUID_LEAF_FEATURES, 0).ebx >> CPUID_1_EBX_APIC_ID_SHIFT;
}

void arch_timing_init(const char *source, uint16_t pm_timer_port, bool pm_timer_32bit)
{
    tsc_init(source, pm_timer_port, pm_timer_32bit);
    if (lapic_active()) {
        lapic_timer_calibrate();
        kprintf("timing: local APIC timer %llu ticks/ms (divide by 16)\n",
                (unsigned long long)lapic_timer_ticks_per_ms());
    }
}

uint64_t arch_cycles_per_second(void) { return tsc_hz(); }
const char *arch_cycles_source(void) { return tsc_source(); }
void arch_udelay(uint64_t microseconds) { tsc_udelay(microseconds); }
uint64_t arch_apic_timer_ticks_per_ms(void) { return lapic_timer_ticks_per_ms(); }

void arch_interrupts_enable(void) { irq_enable(); }
void arch_interrupts_disable(void) { irq_disable(); }

bool arch_interrupts_save_disable(void)
{
    bool enabled = (read_rflags() & RFLAGS_IF) != 0;
    irq_disable();
    return enabled;
}

void arch_interrupts_restore(bool enabled)
{
    if (enabled)
        irq_enable();
    else
        irq_disable();
}

bool arch_interrupts_enabled(void) { return (read_rflags() & RFLAGS_IF) != 0; }

/* CR8 is the local APIC's TPR (SDM vol. 3A §11.8.6): a CPU without an APIC
 * reads it back as 0. There, no interrupt comes through the APIC anyway
 * and only the boot CPU runs, so a plain copy keeps the IRQL model whole. */
static unsigned priority_without_apic;

unsigned arch_task_priority(void)
{
    return lapic_active() ? (unsigned)read_cr8() : priority_without_apic;
}

void arch_set_task_priority(unsigned priority)
{
    if (lapic_active())
        write_cr8(priority);
    else
        priority_without_apic = priority;
}

bool arch_send_call_ipi(uint32_t apic_id)
{
    return lapic_send_ipi(apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | VECTOR_IPI_CALL);
}

bool arch_send_call_ipi_all_but_self(void)
{
    return lapic_send_ipi(0, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT |
                                 ICR_SHORTHAND_ALL_EXCLUDING_SELF | VECTOR_IPI_CALL);
}

bool arch_send_nmi(uint32_t apic_id)
{
    return lapic_send_ipi(apic_id, ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

void arch_timer_start(unsigned ms)
{
    if (ms == 0) {
        lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED | VECTOR_TIMER);
        lapic_write(LAPIC_REG_TIMER_INITIAL, 0);
        return;
    }
    lapic_write(LAPIC_REG_TIMER_DIVIDE, LAPIC_TIMER_DIVIDE_BY_16);
    lapic_write(LAPIC_REG_LVT_TIMER, LAPIC_LVT_TIMER_PERIODIC | VECTOR_TIMER);
    uint64_t count = lapic_timer_ticks_per_ms() * ms;
    lapic_write(LAPIC_REG_TIMER_INITIAL, count > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)count);
}

void arch_scratch_msr_write(uint64_t value) { wrmsr(MSR_KERNEL_GS_BASE, value); }
uint64_t arch_scratch_msr_read(void) { return rdmsr(MSR_KERNEL_GS_BASE); }

uintptr_t arch_test_window_map(uint64_t phys)
{
    paging_set_page(TEST_WINDOW_VA, phys, PTE_PRESENT | PTE_WRITE | PTE_NX_IF_SUPPORTED);
    return TEST_WINDOW_VA;
}

void arch_tlb_flush_page(uintptr_t va) { invlpg(va); }
