/*
 * test_x2apic.c - arch/x86_64/lapic.c's IPI and EOI writes, checked on the
 * host against a fake MSR and MMIO interface that records every access and
 * every fence in order (tests/host/fake_x86/arch/x86_64/x86.h).
 *
 * A QEMU boot under KVM shows whether IPIs arrive, but not two mistakes
 * that KVM forgives and a real CPU does not:
 * - an ICR write with no fence before it. WRMSR to an x2APIC register is
 *   not serialising: it may take effect before earlier stores are globally
 *   visible, so the target can take the IPI and read the call's data
 *   before the caller's writes of it are seen (SDM vol. 3A §11.12.3; the
 *   SDM asks for MFENCE or a serialising instruction, and the kernel's
 *   memory_fence() is MFENCE; LFENCE, which also keeps the WRMSR from
 *   running ahead of earlier loads);
 * - an EOI of a non-zero value. In x2APIC mode the EOI register has no
 *   field: every bit is reserved, and a WRMSR that sets a reserved bit
 *   raises #GP (SDM vol. 3A §11.12.1.2, table 11-6; §11.12.1.3).
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/x86.h"
#include "kernel/console.h"
#include "kernel/smp/cpu.h"
#include "platform/pc/clock.h"

#include "tests/host/htest.h"

#define MAX_EVENTS 64
#define XAPIC_BASE 0xFEE00000ull /* inside the uncacheable window lapic.c accepts */
#define X2APIC_MSR(reg) (MSR_X2APIC_BASE + ((reg) >> 4))
#define TEST_VECTOR 0xFD

/* ---- the fake machine: one CPU, its APIC in the mode lapic.c chose ---- */
enum event_kind { EV_FENCE, EV_WRMSR, EV_MMIO_WRITE };
struct event {
    enum event_kind kind;
    uint32_t where; /* the MSR, or the MMIO offset from XAPIC_BASE */
    uint64_t value;
};
static struct event events[MAX_EVENTS];
static size_t event_count;
static uint64_t apic_base_msr = XAPIC_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP;
static bool interrupts_on;
static uint64_t tsc;
static struct cpu boot_cpu;

static void record(enum event_kind kind, uint32_t where, uint64_t value)
{
    if (event_count < MAX_EVENTS)
        events[event_count++] = (struct event){kind, where, value};
}

uint64_t rdmsr(uint32_t msr) { return msr == MSR_IA32_APIC_BASE ? apic_base_msr : 0; }
void wrmsr(uint32_t msr, uint64_t value)
{
    record(EV_WRMSR, msr, value);
    if (msr == MSR_IA32_APIC_BASE)
        apic_base_msr = value;
}
struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    (void)subleaf;
    struct cpuid_regs r = {0, 0, 0, 0};
    if (leaf == CPUID_LEAF_FEATURES) {
        r.ecx = CPUID_1_ECX_X2APIC;
        r.edx = CPUID_1_EDX_APIC;
    }
    return r;
}
uint64_t rdtsc(void) { return tsc += 1000; }
uint64_t read_rflags(void) { return interrupts_on ? RFLAGS_IF : 0; }
void write_cr8(uint64_t value) { (void)value; }
void irq_disable(void) { interrupts_on = false; }
void irq_enable(void) { interrupts_on = true; }
void cpu_pause(void) {}
void memory_fence(void) { record(EV_FENCE, 0, 0); }
/* Reads 0: the delivery status is idle and no register has a value to say. */
uint32_t mmio_read32(volatile void *addr)
{
    (void)addr;
    return 0;
}
void mmio_write32(volatile void *addr, uint32_t value)
{
    record(EV_MMIO_WRITE, (uint32_t)((uintptr_t)addr - XAPIC_BASE), value);
}

/* What else lapic.c calls, none of which the checks look at. */
struct cpu *arch_this_cpu(void) { return &boot_cpu; }
void priority_reset(void) {}
uint64_t tsc_hz(void) { return 1000000000ull; }
void tsc_udelay(uint64_t us) { tsc += us * 1000; }
/* The boot log's lines ("apic: x2apic mode, ...") are not KTAP: dropped. */
int kvprintf(const char *fmt, va_list ap) { return vsnprintf(NULL, 0, fmt, ap); }
int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

static bool start_in(const char *mode)
{
    apic_base_msr = XAPIC_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP;
    bool ok = lapic_init_bsp(strcmp(mode, "x2apic") == 0 ? APIC_REQUEST_X2APIC : APIC_REQUEST_XAPIC,
                             XAPIC_BASE, false);
    event_count = 0;
    return ok && strcmp(lapic_mode_name(), mode) == 0;
}

/* ---- the checks ---- */

/* The ICR writes of one IPI: 0x830 with the destination in bits 63:32, and
 * nothing to 0x831, which would be xAPIC's ICR_HIGH (it has no MSR: #GP). */
static void one_icr_write(const char *name, uint32_t dest)
{
    char why[200] = "";
    bool ok = start_in("x2apic");
    uint32_t icr_low = ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | TEST_VECTOR;
    ok = ok && lapic_send_ipi(dest, icr_low);
    size_t icr_writes = 0;
    for (size_t i = 0; i < event_count; i++) {
        const struct event *e = &events[i];
        if (e->kind == EV_WRMSR && e->where == X2APIC_MSR(LAPIC_REG_ICR_LOW)) {
            icr_writes++;
            if (e->value != ((uint64_t)dest << 32 | icr_low)) {
                ok = false;
                snprintf(why, sizeof(why), "ICR written %#llx, want %#llx",
                         (unsigned long long)e->value,
                         (unsigned long long)((uint64_t)dest << 32 | icr_low));
            }
        } else if (e->kind == EV_WRMSR && e->where == X2APIC_MSR(LAPIC_REG_ICR_HIGH)) {
            ok = false;
            snprintf(why, sizeof(why), "a WRMSR to %#x, which x2APIC mode does not have", e->where);
        }
    }
    if (icr_writes != 1 && why[0] == '\0')
        snprintf(why, sizeof(why), "%zu WRMSRs of the ICR (MSR %#x), want 1", icr_writes,
                 X2APIC_MSR(LAPIC_REG_ICR_LOW));
    HCHECK(name, ok && icr_writes == 1, "%s", why[0] != '\0' ? why : "lapic_send_ipi failed");
}

/* Every ICR write has a fence between it and the start of the send. */
static void fence_before_the_icr_write(void)
{
    bool ok = start_in("x2apic") && lapic_send_ipi(1, ICR_DELIVERY_FIXED | TEST_VECTOR);
    bool fenced = false, written = false, unfenced = false;
    for (size_t i = 0; i < event_count; i++) {
        if (events[i].kind == EV_FENCE)
            fenced = true;
        if (events[i].kind == EV_WRMSR && events[i].where == X2APIC_MSR(LAPIC_REG_ICR_LOW)) {
            written = true;
            unfenced |= !fenced;
            fenced = false; /* the next IPI needs a fence of its own */
        }
    }
    HCHECK("x2apic.a_fence_comes_before_the_icr_write", ok && written && !unfenced, "%s",
           !written ? "no ICR write at all" : "the WRMSR of the ICR had no fence before it");
}

/* lapic_eoi(): one write of 0 to the mode's EOI register, nothing else. */
static void eoi_writes_zero(const char *name, const char *mode, enum event_kind kind,
                            uint32_t where)
{
    bool ok = start_in(mode);
    lapic_eoi();
    size_t right = 0;
    char why[200] = "";
    for (size_t i = 0; i < event_count; i++) {
        const struct event *e = &events[i];
        if (e->kind == kind && e->where == where && e->value == 0) {
            right++;
        } else if (e->kind != EV_FENCE) {
            ok = false;
            snprintf(why, sizeof(why), "%s %#x written with %#llx",
                     e->kind == EV_WRMSR ? "MSR" : "MMIO offset", e->where,
                     (unsigned long long)e->value);
        }
    }
    if (right != 1 && why[0] == '\0')
        snprintf(why, sizeof(why), "%zu writes of 0 to the EOI register (%s %#x), want 1", right,
                 kind == EV_WRMSR ? "MSR" : "MMIO offset", where);
    HCHECK(name, ok && right == 1, "%s", why);
}

int main(void)
{
    one_icr_write("x2apic.an_ipi_is_one_icr_write_with_the_destination_in_bits_63_32", 1);
    /* Beyond xAPIC's 8 bits: all of bits 63:32 carry the destination. */
    one_icr_write("x2apic.a_destination_above_255_reaches_the_icr_whole", 0x12345);
    fence_before_the_icr_write();
    eoi_writes_zero("x2apic.the_eoi_in_x2apic_mode_is_one_write_of_0_to_msr_0x80b", "x2apic",
                    EV_WRMSR, X2APIC_MSR(LAPIC_REG_EOI));
    eoi_writes_zero("x2apic.the_eoi_in_xapic_mode_is_one_write_of_0_at_offset_0xb0", "xapic",
                    EV_MMIO_WRITE, LAPIC_REG_EOI);
    return htest_finish();
}
