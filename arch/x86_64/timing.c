/*
 * timing.c - TSC frequency discovery and calibration.
 *
 * The PIT and the ACPI PM timer tick at fixed, known rates; counting TSC
 * cycles across a known number of their ticks gives the TSC rate. Each
 * measurement is bounded, so a missing timer (some PCs have no PIT) costs a
 * moment, not a hang.
 */
#include "arch/x86_64/timing.h"

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/arch_test.h"
#include "kernel/console.h"
#include "lib/string.h"

/* The 8254 PIT (Intel 82C54 data sheet; ports as on every PC). */
#define PIT_HZ 1193182u
#define PIT_PORT_CHANNEL2 0x42
#define PIT_PORT_COMMAND 0x43
#define PIT_CMD_CHANNEL2 (2u << 6)
#define PIT_CMD_ACCESS_LOHI (3u << 4)
#define PIT_CMD_MODE0 (0u << 1) /* interrupt on terminal count: OUT goes high at 0 */
#define PORT_SYSTEM_CONTROL_B 0x61
#define SCB_GATE2 (1u << 0)
#define SCB_SPEAKER (1u << 1)
#define SCB_OUT2 (1u << 5)

#define ACPI_PM_TIMER_HZ 3579545u /* ACPI §4.8.3.3 */
#define CALIBRATE_MS 10u
#define CALIBRATE_ROUNDS 3
#define POLL_BOUND 50000000u /* port reads before a timer is declared absent */

static uint64_t hz;
static bool invariant;
static const char *source = "none";

uint64_t tsc_hz(void) { return hz; }
const char *tsc_source(void) { return source; }

static uint64_t from_cpuid(void)
{
    uint32_t max = cpuid(0, 0).eax;
    if (max >= CPUID_LEAF_TSC) {
        struct cpuid_regs r = cpuid(CPUID_LEAF_TSC, 0);
        if (r.eax != 0 && r.ebx != 0 && r.ecx != 0) {
            source = "CPUID leaf 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax;
        }
    }
    if (max >= CPUID_LEAF_FREQUENCY) {
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
        if (++polls == POLL_BOUND)
            return 0;
    }
    uint64_t cycles = rdtsc() - start;
    outb(PORT_SYSTEM_CONTROL_B, scb);
    return polls == 0 ? 0 : cycles; /* OUT2 high at once: no PIT behind the port */
}

static uint64_t pm_timer_measure(uint16_t port, bool wide)
{
    uint32_t mask = wide ? 0xFFFFFFFFu : 0xFFFFFFu;
    uint32_t ticks = ACPI_PM_TIMER_HZ / (1000 / CALIBRATE_MS);
    uint32_t start_ticks = inl(port) & mask;
    uint64_t start = rdtsc();
    for (uint32_t polls = 0; polls < POLL_BOUND; polls++) {
        uint32_t now = inl(port) & mask;
        if (((now - start_ticks) & mask) >= ticks)
            return rdtsc() - start;
    }
    return 0;
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

static uint64_t calibrate(uint64_t (*measure)(uint16_t, bool), uint16_t port, bool wide)
{
    uint64_t m[CALIBRATE_ROUNDS];
    for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
        m[i] = measure(port, wide);
        if (m[i] == 0)
            return 0;
    }
    return median3(m[0], m[1], m[2]) * (1000 / CALIBRATE_MS);
}

static uint64_t pit_adapter(uint16_t port, bool wide)
{
    (void)port;
    (void)wide;
    return pit_measure();
}

void tsc_init(const char *only, uint16_t pm_timer_port, bool pm_timer_32bit)
{
    bool any = strcmp(only, "auto") == 0;
    if (!any && strcmp(only, "cpuid") != 0 && strcmp(only, "pit") != 0 &&
        strcmp(only, "pm_timer") != 0) {
        kprintf("warning: unknown tsc_source=%s (known: auto cpuid pit pm_timer); using auto\n",
                only);
        any = true;
    }
    if (cpuid(CPUID_LEAF_EXT_MAX, 0).eax >= CPUID_LEAF_POWER)
        invariant = (cpuid(CPUID_LEAF_POWER, 0).edx & CPUID_80000007_EDX_INVARIANT_TSC) != 0;
    if (any || strcmp(only, "cpuid") == 0)
        hz = from_cpuid();
    if (hz == 0 && (any || strcmp(only, "pit") == 0) &&
        (hz = calibrate(pit_adapter, 0, false)) != 0)
        source = "PIT channel 2";
    if (hz == 0 && (any || strcmp(only, "pm_timer") == 0) && pm_timer_port != 0 &&
        (hz = calibrate(pm_timer_measure, pm_timer_port, pm_timer_32bit)) != 0)
        source = "ACPI PM timer";
    if (hz == 0) {
        hz = 1000000000ull; /* a guess: delays may be off, but they stay bounded */
        source = "nothing (assuming 1 GHz)";
        kprintf("warning: timing: no timer to calibrate the TSC against\n");
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
uint64_t arch_timer_ticks_per_ms(void) { return lapic_timer_ticks_per_ms(); }
