/*
 * clock.c - TSC frequency discovery and calibration.
 *
 * The PIT, the HPET and the ACPI PM timer tick at known rates; counting TSC
 * cycles across a known number of their ticks gives the TSC rate. New PCs
 * often have no PIT (or gate it off), some no HPET either, and a
 * hardware-reduced ACPI machine has no PM timer: each is tried in turn, and
 * each measurement is bounded in port reads and in TSC cycles, so a missing
 * timer costs a moment, not a hang.
 */
#include "platform/pc/clock.h"

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "lib/string.h"
#include "platform/pc/platform.h"

/* The 8254 PIT (Intel 82C54 data sheet; ports as on every PC). */
#define PIT_HZ 1193182u
#define PIT_PORT_CHANNEL2 0x42
#define PIT_PORT_COMMAND 0x43
#define PIT_CMD_CHANNEL2 (2u << 6)
#define PIT_CMD_ACCESS_LOHI (3u << 4)
#define PIT_CMD_MODE0 (0u << 1) /* interrupt on terminal count: OUT goes high at 0 */

#define ACPI_PM_TIMER_HZ 3579545u /* ACPI §4.8.3.3 */

/* HPET registers (IA-PC HPET specification 1.0a, §2.3). */
#define HPET_GENERAL_CAPABILITIES 0x000
#define HPET_GENERAL_CONFIG 0x010
#define HPET_MAIN_COUNTER 0x0F0
#define HPET_CAP_COUNT_SIZE_64 (1ull << 13)
#define HPET_CAP_PERIOD_SHIFT 32 /* femtoseconds per tick in bits 63:32 */
#define HPET_CONFIG_ENABLE (1ull << 0)
#define HPET_MAX_PERIOD_FS 100000000ull /* §2.3.4: at most 100 ns */
#define HPET_REGISTER_BYTES 1024
#define FEMTOSECONDS_PER_MS 1000000000000ull

#define CALIBRATE_MS 10u
#define CALIBRATE_ROUNDS 3
#define POLL_BOUND 50000000u /* reads of a timer before it is declared absent */
/* ... or this many TSC cycles: 10 ms at 10 GHz is 10^8; a timer that has
 * not counted 10 ms after 5 x that is not there (or not counting). Port
 * reads trap to the hypervisor in a VM, so the poll count alone can take
 * minutes there. */
#define CALIBRATE_MAX_CYCLES 500000000ull

static uint64_t hz;
static bool invariant;
static const char *source = "none";

uint64_t tsc_hz(void) { return hz; }
const char *tsc_source(void) { return source; }

/* The TSC rate CPUID states: leaf 0x15 (crystal x ratio) when exact_only,
 * else leaf 0x16's nominal base frequency too. */
static uint64_t from_cpuid(bool exact_only)
{
    uint32_t max = cpuid(0, 0).eax;
    if (max >= CPUID_LEAF_TSC) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_TSC, 0);
        if (r.eax != 0 && r.ebx != 0 && r.ecx != 0) {
            source = "CPUID leaf 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax;
        }
    }
    if (!exact_only && max >= CPUID_LEAF_FREQUENCY) {
        uint32_t mhz = cpuid(CPUID_LEAF_FREQUENCY, 0).eax & 0xFFFF;
        if (mhz != 0) {
            source = "CPUID leaf 0x16";
            return (uint64_t)mhz * 1000000u;
        }
    }
    return 0;
}

/* TSC cycles during one CALIBRATE_MS countdown of PIT channel 2, or 0. */
static uint64_t pit_measure(void)
{
    uint16_t count = (uint16_t)(PIT_HZ / (1000 / CALIBRATE_MS));
    uint8_t scb = inb(PORT_SYSTEM_CONTROL_B);
    outb(PORT_SYSTEM_CONTROL_B, (uint8_t)((scb & ~(SCB_SPEAKER | SCB_GATE2))));
    outb(PIT_PORT_COMMAND, PIT_CMD_CHANNEL2 | PIT_CMD_ACCESS_LOHI | PIT_CMD_MODE0);
    outb(PIT_PORT_CHANNEL2, count & 0xFF);
    outb(PIT_PORT_CHANNEL2, count >> 8);
    outb(PORT_SYSTEM_CONTROL_B, (uint8_t)((scb & ~SCB_SPEAKER) | SCB_GATE2));
    uint64_t start = rdtsc();
    uint32_t polls = 0;
    while (!(inb(PORT_SYSTEM_CONTROL_B) & SCB_OUT2)) {
        if (++polls == POLL_BOUND || rdtsc() - start > CALIBRATE_MAX_CYCLES) {
            outb(PORT_SYSTEM_CONTROL_B, scb);
            return 0;
        }
    }
    uint64_t cycles = rdtsc() - start;
    outb(PORT_SYSTEM_CONTROL_B, scb);
    return polls == 0 ? 0 : cycles; /* OUT2 high at once: no PIT behind the port */
}

/* Where calibrate() measures: the PM timer's port, or the HPET's registers. */
struct timer {
    uint16_t port;
    bool wide;
    volatile uint8_t *hpet;
    uint64_t hpet_ticks; /* HPET ticks in CALIBRATE_MS */
};

static uint64_t pm_timer_measure(const struct timer *timer)
{
    uint32_t mask = timer->wide ? 0xFFFFFFFFu : 0xFFFFFFu;
    uint32_t ticks = ACPI_PM_TIMER_HZ / (1000 / CALIBRATE_MS);
    uint32_t start_ticks = inl(timer->port) & mask;
    uint64_t start = rdtsc();
    for (uint32_t polls = 0; polls < POLL_BOUND && rdtsc() - start < CALIBRATE_MAX_CYCLES;
         polls++) {
        uint32_t now = inl(timer->port) & mask;
        if (((now - start_ticks) & mask) >= ticks)
            return rdtsc() - start;
    }
    return 0;
}

static uint64_t hpet_read(const struct timer *timer, uint32_t reg)
{
    return mmio_read64(timer->hpet + reg);
}

/* The low 32 bits of the main counter are enough for a 10 ms span (a
 * 32-bit HPET at the slowest allowed rate wraps after 7 minutes), and a
 * 32-bit read is atomic on a counter of either size. */
static uint64_t hpet_measure(const struct timer *timer)
{
    volatile uint8_t *counter = timer->hpet + HPET_MAIN_COUNTER;
    uint32_t start_ticks = mmio_read32(counter);
    uint64_t start = rdtsc();
    for (uint32_t polls = 0; polls < POLL_BOUND && rdtsc() - start < CALIBRATE_MAX_CYCLES;
         polls++) {
        if (mmio_read32(counter) - start_ticks >= timer->hpet_ticks)
            return rdtsc() - start;
    }
    return 0;
}

/* Maps the HPET and starts its main counter if the firmware left it off;
 * false when the registers do not describe a working HPET. */
static bool hpet_prepare(uint64_t base, struct timer *timer)
{
    if (base == 0)
        return false;
    timer->hpet = base >= APIC_MMIO_START && base + HPET_REGISTER_BYTES <= APIC_MMIO_END
                      ? phys_to_virt(base) /* already mapped uncacheable */
                      : paging_map_device(base, HPET_REGISTER_BYTES);
    if (timer->hpet == NULL)
        return false;
    uint64_t caps = hpet_read(timer, HPET_GENERAL_CAPABILITIES);
    uint64_t period_fs = caps >> HPET_CAP_PERIOD_SHIFT;
    if (caps == ~0ull || period_fs == 0 || period_fs > HPET_MAX_PERIOD_FS) {
        kprintf("timing: the HPET at %#llx reads as absent (capabilities %#llx)\n",
                (unsigned long long)base, (unsigned long long)caps);
        return false;
    }
    timer->hpet_ticks = CALIBRATE_MS * FEMTOSECONDS_PER_MS / period_fs;
    uint64_t config = hpet_read(timer, HPET_GENERAL_CONFIG);
    if (!(config & HPET_CONFIG_ENABLE))
        mmio_write64(timer->hpet + HPET_GENERAL_CONFIG, config | HPET_CONFIG_ENABLE);
    return true;
}

/* The median of three measurements resists one disturbed by the host. */
static uint64_t median3(uint64_t a, uint64_t b, uint64_t c)
{
    if ((a <= b && b <= c) || (c <= b && b <= a))
        return b;
    if ((b <= a && a <= c) || (c <= a && a <= b))
        return a;
    return c;
}

static uint64_t calibrate(uint64_t (*measure)(const struct timer *), const struct timer *timer)
{
    uint64_t m[CALIBRATE_ROUNDS];
    for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
        m[i] = measure(timer);
        if (m[i] == 0)
            return 0;
    }
    return median3(m[0], m[1], m[2]) * (1000 / CALIBRATE_MS);
}

static uint64_t pit_adapter(const struct timer *timer)
{
    (void)timer;
    return pit_measure();
}

/* only: tsc_source=, CLOCK_AUTO or the one source to try. Each source is
 * tried when any is, or it is the one; it says why it did not work. */
void tsc_init(enum clock_source only, const struct clock_sources *clocks)
{
    bool any = only == CLOCK_AUTO;
    if (cpuid(CPUID_LEAF_EXT_MAX, 0).eax >= CPUID_LEAF_POWER)
        invariant = (cpuid(CPUID_LEAF_POWER, 0).edx & CPUID_80000007_EDX_INVARIANT_TSC) != 0;
    /* Leaf 0x15 with the crystal's frequency is exact; leaf 0x16 is only
     * the nominal base frequency, so a measurement is preferred to it. */
    if (any || only == CLOCK_CPUID)
        hz = from_cpuid(true);
    struct timer timer = {0};
    if (hz == 0 && (any || only == CLOCK_PIT)) {
        if ((hz = calibrate(pit_adapter, &timer)) != 0)
            source = "PIT channel 2";
        else
            kprintf("timing: no PIT (channel 2 does not count)\n");
    }
    if (hz == 0 && (any || only == CLOCK_HPET)) {
        if (clocks->hpet_base == 0)
            kprintf("timing: no HPET (the ACPI tables list none)\n");
        else if (hpet_prepare(clocks->hpet_base, &timer) &&
                 (hz = calibrate(hpet_measure, &timer)) != 0)
            source = "HPET";
    }
    if (hz == 0 && (any || only == CLOCK_PM_TIMER)) {
        timer.port = clocks->pm_timer_port;
        timer.wide = clocks->pm_timer_32bit;
        if (timer.port == 0)
            kprintf("timing: no ACPI PM timer (the FADT lists none)\n");
        else if ((hz = calibrate(pm_timer_measure, &timer)) != 0)
            source = "ACPI PM timer";
    }
    if (hz == 0 && (any || only == CLOCK_CPUID))
        hz = from_cpuid(false);
    if (hz == 0) {
        hz = 1000000000ull; /* a guess: delays may be off, but they stay bounded */
        source = "nothing (assuming 1 GHz)";
        kprintf("warning: timing: no timer to calibrate the TSC against (no PIT, HPET or ACPI PM "
                "timer, and CPUID states no frequency); assuming 1 GHz, so delays and timeouts "
                "may be off by that factor\n");
    }
    kprintf("timing: TSC %llu.%03llu MHz from %s, %s\n", (unsigned long long)(hz / 1000000),
            (unsigned long long)(hz / 1000 % 1000), source,
            invariant ? "invariant" : "not invariant (may change with power states)");
}

void tsc_udelay(uint64_t us)
{
    uint64_t start = rdtsc();
    uint64_t cycles = us * (hz / 1000000);
    while (rdtsc() - start < cycles)
        cpu_pause();
}

/* ---- kernel/arch.h's time functions ---- */

void arch_timing_init(enum clock_source source, const struct clock_sources *clocks)
{
    tsc_init(source, clocks);
    if (lapic_active()) {
        lapic_timer_calibrate();
        kprintf("timing: local APIC timer %llu ticks/ms (divide by 16)\n",
                (unsigned long long)lapic_timer_ticks_per_ms());
    }
}

uint64_t arch_cycles_per_second(void) { return tsc_hz(); }
const char *arch_cycles_source(void) { return tsc_source(); }
void arch_udelay(uint64_t microseconds) { tsc_udelay(microseconds); }
uint64_t arch_timer_ticks_per_ms(void) { return lapic_timer_ticks_per_ms(); }
