/*
 * test_ap_start.c - kernel/smp/smp.c and arch/x86_64/smp_start.c start the APs
 * against a fake local APIC that decodes every ICR write (delivery mode,
 * destination, SIPI vector) and records it and every delay, with fake APs that
 * behave as the Intel SDM says real ones may (vol. 3A §9.4.4, "MP
 * initialization protocol"): an AP starts only on a SIPI that follows an
 * INIT to its own APIC ID, some need the second SIPI, some never answer.
 * QEMU starts an AP on the first SIPI whatever came before, so only here
 * can a skipped SIPI, a short INIT delay or an INIT to the wrong CPU show.
 *
 * Time is a fake clock: arch_udelay advances it by what it is asked; every
 * other look at the clock or spin advances it by a microsecond.
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/trampoline.h"
#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/cmdline.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/inject.h"
#include "kernel/firmware/madt.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"

#include "tests/host/htest.h"

#define NS_PER_US 1000ull
#define MAX_EVENTS 256
#define FAKE_CPUS 8
#define TRAMPOLINE_PAGE 0x9F /* the SIPI vector the fake trampoline asks for */

/* ---- the fake clock ---- */
static uint64_t now_ns;
uint64_t arch_cycles(void) { return now_ns += NS_PER_US; }
uint64_t arch_cycles_per_second(void) { return 1000000000ull; }
void arch_cpu_relax(void) { now_ns += NS_PER_US; }

/* ---- the fake APIC and its APs ---- */
enum event_kind { EV_INIT, EV_SIPI, EV_DELAY };
struct event {
    enum event_kind kind;
    uint32_t apic_id; /* INIT, SIPI */
    uint64_t us;      /* DELAY */
    uint64_t at_ns;
};
static struct event events[MAX_EVENTS];
static size_t event_count;

/* AP_LATE_CHECK_IN: runs the trampoline on the first SIPI but reaches its
 * check-in only after the boot CPU has given up on it, as a vCPU that the
 * host stops for a while does; the INIT that gives up lands after that. */
enum ap_behaviour { AP_FIRST_SIPI, AP_SECOND_SIPI, AP_NEVER, AP_LATE_CHECK_IN };
struct fake_ap {
    uint32_t apic_id;
    enum ap_behaviour behaviour;
    bool initialised; /* has had an INIT: waits for a SIPI */
    uint64_t init_at_ns;
    unsigned sipis;
    struct cpu *becomes; /* the slot its trampoline claimed */
    bool checked_in;     /* what smp_ap_check_in told it */
};
static struct fake_ap aps[FAKE_CPUS];
static size_t ap_count;
static struct cpu *trampoline_target_cpu;
static struct cpu *parallel_table; /* trampoline_target_all: APs look themselves up */
static size_t parallel_count;
static uint64_t required_init_delay_us;
static uint32_t max_apic_id = 254;

static void record(enum event_kind kind, uint32_t apic_id, uint64_t us)
{
    if (event_count < MAX_EVENTS)
        events[event_count++] = (struct event){kind, apic_id, us, now_ns};
}

static struct fake_ap *ap_with(uint32_t apic_id)
{
    for (size_t i = 0; i < ap_count; i++)
        if (aps[i].apic_id == apic_id)
            return &aps[i];
    return NULL;
}

/* An IPI reaches every AP with its destination ID: two, if two share it. */
static void fake_init(uint32_t apic_id)
{
    record(EV_INIT, apic_id, 0);
    for (size_t i = 0; i < ap_count; i++) {
        if (aps[i].apic_id != apic_id)
            continue;
        aps[i].initialised = true;
        aps[i].init_at_ns = now_ns;
        aps[i].sipis = 0;
    }
}

/* What boot/trampoline.asm does, step for step: claim the slot it was
 * given (started alone) or the one with its APIC ID (all at once) from
 * CPU_STARTING to CPU_ENTERING, or count itself a stray and halt; then
 * smp_ap_entry's check-in, the kernel's own. */
static uint32_t strays, stray_id;
static void fake_trampoline(struct fake_ap *ap)
{
    struct cpu *cpu = NULL;
    if (parallel_table == NULL) {
        if (trampoline_target_cpu->hw_id == ap->apic_id &&
            cpu_change_state(trampoline_target_cpu, CPU_STARTING, CPU_ENTERING))
            cpu = trampoline_target_cpu;
    } else {
        for (size_t i = 0; i < parallel_count && cpu == NULL; i++)
            if (parallel_table[i].hw_id == ap->apic_id &&
                cpu_change_state(&parallel_table[i], CPU_STARTING, CPU_ENTERING))
                cpu = &parallel_table[i];
    }
    if (cpu == NULL) {
        stray_id = ap->apic_id;
        strays++;
        return;
    }
    ap->becomes = cpu;
    if (ap->behaviour != AP_LATE_CHECK_IN)
        ap->checked_in = smp_ap_check_in(cpu);
}

/* The late APs reach their check-in: after smp_init has given up on them
 * (their INIT has not landed yet). */
static void late_aps_check_in(void)
{
    for (size_t i = 0; i < ap_count; i++)
        if (aps[i].behaviour == AP_LATE_CHECK_IN && aps[i].becomes != NULL)
            aps[i].checked_in = smp_ap_check_in(aps[i].becomes);
}

static void fake_sipi(uint32_t apic_id)
{
    record(EV_SIPI, apic_id, 0);
    for (size_t i = 0; i < ap_count; i++) {
        struct fake_ap *ap = &aps[i];
        if (ap->apic_id != apic_id || !ap->initialised || ap->behaviour == AP_NEVER)
            continue;
        /* The INIT must have had its time to settle before the SIPI counts. */
        if (now_ns - ap->init_at_ns < required_init_delay_us * NS_PER_US)
            continue;
        ap->sipis++;
        unsigned needed = ap->behaviour == AP_SECOND_SIPI ? 2 : 1;
        if (ap->sipis == needed) {
            ap->initialised = false;
            fake_trampoline(ap);
        }
    }
}

/* One write of the interrupt command register (SDM vol. 3A §11.6.1), as
 * the device sees it: anything but a plain INIT (level assert) or a SIPI
 * to the trampoline's page is recorded as a fault. */
static unsigned icr_faults;
bool lapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
    uint32_t mode = icr_low & ICR_DELIVERY_MODE_MASK;
    uint32_t shorthand = icr_low & ICR_SHORTHAND_ALL_EXCLUDING_SELF;
    if (shorthand != ICR_SHORTHAND_NONE)
        icr_faults++;
    else if (mode == ICR_DELIVERY_INIT && (icr_low & ICR_LEVEL_ASSERT))
        fake_init(dest);
    else if (mode == ICR_DELIVERY_STARTUP && (icr_low & 0xFF) == TRAMPOLINE_PAGE)
        fake_sipi(dest);
    else
        icr_faults++;
    return true;
}

void arch_udelay(uint64_t microseconds)
{
    record(EV_DELAY, 0, microseconds);
    now_ns += microseconds * NS_PER_US;
}

void trampoline_target(struct cpu *cpu)
{
    trampoline_target_cpu = cpu;
    parallel_table = NULL;
}
void trampoline_target_all(struct cpu *table, size_t count)
{
    trampoline_target_cpu = NULL;
    parallel_table = table;
    parallel_count = count;
}
uint8_t trampoline_sipi_vector(void) { return TRAMPOLINE_PAGE; }
uint32_t trampoline_strays(uint32_t *latest_id)
{
    *latest_id = stray_id;
    return strays;
}
bool arch_cpus_start_prepare(const struct boot_info *bi)
{
    (void)bi;
    return true;
}
bool trampoline_prepare_cpu(struct cpu *cpu)
{
    (void)cpu;
    return true;
}
uint32_t lapic_max_addressable_id(void) { return max_apic_id; }
const char *lapic_mode_name(void) { return "xapic"; }
const char *arch_apic_mode_name(void) { return "xapic"; }
/* The boot CPU's APIC ID, and where the MADT lists it: 0 and first on
 * QEMU; elsewhere on some real machines. */
static uint32_t bsp_apic_id;
static size_t bsp_madt_position;
uint32_t arch_cpu_hw_id(void) { return bsp_apic_id; }
void arch_cpu_setup_boot(struct cpu *cpu) { (void)cpu; }

/* ---- what smp.c needs besides, unused by these tests ---- */
static struct cpu *current_cpu;
struct cpu *arch_this_cpu(void) { return current_cpu; }
bool arch_send_ipi_to(uint32_t cpu, enum ipi_kind kind)
{
    (void)cpu;
    (void)kind;
    return false;
}
void arch_idle(const void *watch) { (void)watch; }
void arch_interrupts_enable(void) {}
void arch_interrupts_disable(void) {}
bool arch_interrupts_save_disable(void) { return false; }
void arch_interrupts_restore(bool enabled) { (void)enabled; }
bool inject_requested(enum inject_kind kind)
{
    (void)kind;
    return false;
}
void inject_before_check_in(uint32_t cpu_index) { (void)cpu_index; }
bool ipi_nmi(uintptr_t pc, uintptr_t fp)
{
    (void)pc;
    (void)fp;
    return false;
}
const char *arch_nmi_reason(void) { return "simulated"; }
noreturn void arch_halt_forever(void) { abort(); } /* smp_ap_entry: not run here */
bool stop_cpu_is_waiting(uint32_t index, const char **why)
{
    (void)index;
    (void)why;
    return false;
}
static char printed[4096]; /* what the boot printed, for the checks of its warnings */
int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t used = strlen(printed);
    int n = vsnprintf(printed + used, sizeof(printed) - used, fmt, ap);
    va_end(ap);
    if (getenv("AP_START_VERBOSE") != NULL)
        fputs(printed + used, stderr);
    return n;
}
int kprintf_colour(enum console_colour colour, const char *fmt, ...)
{
    (void)colour;
    va_list ap;
    va_start(ap, fmt);
    int n = getenv("AP_START_VERBOSE") != NULL ? vfprintf(stderr, fmt, ap) : 0;
    va_end(ap);
    return n;
}
noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    fprintf(stderr, "PANIC at %s:%d: %s\n", file, line, fmt);
    abort();
}

/* ---- the machine under test ---- */
static struct madt_info madt;

static bool twin; /* machine(): a second AP with the first AP's APIC ID */
static void machine(const char *cmdline, const enum ap_behaviour *behaviour, size_t n,
                    uint64_t init_delay_us)
{
    memset(&madt, 0, sizeof(madt));
    memset(aps, 0, sizeof(aps));
    event_count = 0;
    printed[0] = '\0'; /* strays only grow, as the trampoline's count does */
    icr_faults = 0;
    parallel_table = NULL;
    trampoline_target_cpu = NULL;
    now_ns = 1000000000ull;
    ap_count = n;
    required_init_delay_us = init_delay_us;
    madt.valid = true;
    madt.cpu_count = n + 1;
    madt.enabled_count = n + 1;
    for (size_t i = 0, m = 0; m <= n; m++) {
        if (m == bsp_madt_position) {
            madt.cpus[m] = (struct madt_cpu){bsp_apic_id, (uint32_t)m, true, false};
            continue;
        }
        uint32_t id = (uint32_t)(i + 1) * 2; /* not contiguous, not the index */
        madt.cpus[m] = (struct madt_cpu){id, (uint32_t)m, true, false};
        aps[i] = (struct fake_ap){id, behaviour[i], false, 0, 0, NULL, false};
        i++;
    }
    if (twin) { /* one more AP, not in the MADT, answering to the first AP's ID */
        aps[n] = (struct fake_ap){aps[0].apic_id, AP_FIRST_SIPI, false, 0, 0, NULL, false};
        ap_count = n + 1;
    }
    static struct options options;
    static struct warning_log problems;
    cmdline_parse(&boot_cmdline, cmdline);
    options_parse(&boot_cmdline, &options, &problems);
    struct cpu_start_options plan = {options.ap_start, options.ap_timeout_ms};
    smp_init(NULL, &madt, true, &plan);
}

/* The events for one APIC ID, with the delays that came between them. */
static bool sequence_for(uint32_t apic_id, uint64_t min_init_us, uint64_t min_sipi_us,
                         unsigned sipis_wanted, char *why, size_t why_len)
{
    uint64_t init_at = 0, last_sipi_at = 0;
    unsigned inits = 0, sipis = 0;
    for (size_t i = 0; i < event_count; i++) {
        const struct event *e = &events[i];
        if (e->kind == EV_DELAY || e->apic_id != apic_id)
            continue;
        if (e->kind == EV_INIT) {
            if (sipis > 0)
                break; /* a later INIT: the give-up, not the start */
            inits++;
            init_at = e->at_ns;
            continue;
        }
        if (inits == 0) {
            snprintf(why, why_len, "SIPI to %u before any INIT", apic_id);
            return false;
        }
        uint64_t gap = (e->at_ns - (sipis == 0 ? init_at : last_sipi_at)) / NS_PER_US;
        uint64_t min = sipis == 0 ? min_init_us : min_sipi_us;
        if (gap < min) {
            snprintf(why, why_len, "SIPI %u to %u came %llu us after the %s (want >= %llu)",
                     sipis + 1, apic_id, (unsigned long long)gap, sipis == 0 ? "INIT" : "SIPI",
                     (unsigned long long)min);
            return false;
        }
        sipis++;
        last_sipi_at = e->at_ns;
    }
    if (inits != 1 || sipis != sipis_wanted) {
        snprintf(why, why_len, "APIC ID %u got %u INITs and %u SIPIs (want 1 and %u)", apic_id,
                 inits, sipis, sipis_wanted);
        return false;
    }
    return true;
}

static bool only_known_destinations(char *why, size_t why_len)
{
    for (size_t i = 0; i < event_count; i++) {
        if (events[i].kind != EV_DELAY && ap_with(events[i].apic_id) == NULL) {
            snprintf(why, why_len, "%s sent to APIC ID %u, which no CPU has",
                     events[i].kind == EV_INIT ? "INIT" : "SIPI", events[i].apic_id);
            return false;
        }
    }
    return true;
}

int main(void)
{
    char why[160] = "";
    const enum ap_behaviour first[3] = {AP_FIRST_SIPI, AP_FIRST_SIPI, AP_FIRST_SIPI};
    const enum ap_behaviour second[3] = {AP_SECOND_SIPI, AP_FIRST_SIPI, AP_SECOND_SIPI};
    const enum ap_behaviour silent[3] = {AP_FIRST_SIPI, AP_NEVER, AP_FIRST_SIPI};

    /* The SDM's sequence: INIT, 10 ms, SIPI, (200 us, SIPI if it has not
     * checked in), each AP becoming the CPU it was set up as. */
    machine("ap_start=serial", first, 3, 10000);
    bool ok = smp_online_count() == 4;
    for (size_t i = 0; i < 3 && ok; i++)
        ok = sequence_for(aps[i].apic_id, 10000, 200, 1, why, sizeof(why)) &&
             aps[i].becomes == smp_cpu(i + 1) && smp_cpu(i + 1)->hw_id == aps[i].apic_id;
    ok = ok && only_known_destinations(why, sizeof(why));
    if (ok && icr_faults != 0) {
        ok = false;
        snprintf(why, sizeof(why), "%u ICR writes were neither INIT nor a SIPI to page %#x",
                 icr_faults, TRAMPOLINE_PAGE);
    }
    HCHECK("ap_start.sdm_init_10ms_then_sipi_to_each_ap", ok, "online %zu; %s", smp_online_count(),
           why);

    why[0] = '\0';
    machine("ap_start=serial", second, 3, 10000);
    ok = smp_online_count() == 4 && sequence_for(aps[0].apic_id, 10000, 200, 2, why, sizeof(why)) &&
         sequence_for(aps[1].apic_id, 10000, 200, 1, why, sizeof(why)) &&
         sequence_for(aps[2].apic_id, 10000, 200, 2, why, sizeof(why));
    HCHECK("ap_start.an_ap_that_needs_the_second_sipi_gets_it", ok, "online %zu; %s",
           smp_online_count(), why);

    /* One that never answers: left out, put back to sleep with an INIT so it
     * cannot wake later on another CPU's stack, and the next still starts. */
    why[0] = '\0';
    machine("ap_start=serial ap_timeout_ms=50", silent, 3, 10000);
    size_t inits = 0, last_init = 0, last_sipi = 0;
    for (size_t i = 0; i < event_count; i++) {
        if (events[i].kind == EV_INIT && events[i].apic_id == aps[1].apic_id) {
            inits++;
            last_init = i;
        }
        if (events[i].kind == EV_SIPI && events[i].apic_id == aps[1].apic_id)
            last_sipi = i;
    }
    bool final_init = inits == 2 && last_init > last_sipi;
    ok = smp_online_count() == 3 && cpu_state(smp_cpu(2)) == CPU_NO_RESPONSE &&
         cpu_state(smp_cpu(1)) == CPU_ONLINE && cpu_state(smp_cpu(3)) == CPU_ONLINE && final_init &&
         aps[2].becomes == smp_cpu(3);
    HCHECK("ap_start.a_silent_ap_is_left_out_and_sent_back_to_init", ok,
           "online %zu, CPU 2 state %u, final INIT %s", smp_online_count(), cpu_state(smp_cpu(2)),
           final_init ? "yes" : "no");

    /* ap_start=fast: Linux's delays on modern CPUs (none after INIT, 10 us). */
    why[0] = '\0';
    machine("ap_start=fast", second, 3, 0);
    ok = smp_online_count() == 4 && sequence_for(aps[0].apic_id, 0, 10, 2, why, sizeof(why));
    HCHECK("ap_start.fast_delays", ok, "online %zu; %s", smp_online_count(), why);

    /* An APIC ID the mode cannot address gets no INIT at all. */
    max_apic_id = 3;
    machine("ap_start=serial", first, 3, 10000);
    max_apic_id = 254;
    bool untouched = true;
    for (size_t i = 0; i < event_count; i++)
        untouched &= events[i].kind == EV_DELAY || events[i].apic_id <= 3;
    HCHECK("ap_start.unaddressable_ids_get_no_ipi",
           untouched && cpu_state(smp_cpu(2)) == CPU_UNADDRESSABLE &&
               cpu_state(smp_cpu(3)) == CPU_UNADDRESSABLE && smp_online_count() == 2,
           "online %zu", smp_online_count());
    /* All at once (the default): every INIT before any SIPI, the 10 ms
     * paid once for all, each AP's own SDM sequence, each becoming the CPU
     * with its APIC ID (it looks itself up). */
    why[0] = '\0';
    machine("", second, 3, 10000);
    ok = smp_online_count() == 4;
    uint64_t delayed_us = 0;
    size_t inits_end = 0, first_sipi = event_count;
    for (size_t i = 0; i < event_count; i++) {
        delayed_us += events[i].kind == EV_DELAY ? events[i].us : 0;
        if (events[i].kind == EV_INIT && i < first_sipi)
            inits_end = i;
        if (events[i].kind == EV_SIPI && first_sipi == event_count)
            first_sipi = i;
    }
    for (size_t i = 0; i < 3 && ok; i++)
        ok = sequence_for(aps[i].apic_id, 10000, 200, i == 1 ? 1 : 2, why, sizeof(why)) &&
             aps[i].becomes != NULL && aps[i].becomes->hw_id == aps[i].apic_id;
    ok = ok && only_known_destinations(why, sizeof(why));
    HCHECK("ap_start.parallel_one_init_delay_for_all_each_ap_finds_its_own_cpu",
           ok && inits_end < first_sipi && delayed_us < 2 * 10000 && icr_faults == 0,
           "online %zu, %llu us of delays, %u bad ICR writes; %s", smp_online_count(),
           (unsigned long long)delayed_us, icr_faults, why);

    machine("ap_timeout_ms=50", silent, 3, 10000);
    size_t silent_inits = 0;
    for (size_t i = 0; i < event_count; i++)
        silent_inits += events[i].kind == EV_INIT && events[i].apic_id == aps[1].apic_id;
    HCHECK("ap_start.parallel_a_silent_ap_is_left_out_and_the_others_start",
           smp_online_count() == 3 && cpu_state(smp_cpu(2)) == CPU_NO_RESPONSE &&
               silent_inits == 2 && aps[0].becomes == smp_cpu(1) && aps[2].becomes == smp_cpu(3),
           "online %zu, CPU 2 state %u, %zu INITs to it", smp_online_count(), cpu_state(smp_cpu(2)),
           silent_inits);

    /* A boot CPU that is not APIC ID 0 and not first in the MADT (some
     * multi-socket boards boot from another package): it stays CPU 0, no
     * INIT or SIPI goes to it, and each AP is started once. */
    bsp_apic_id = 5;
    bsp_madt_position = 2;
    machine("", first, 3, 10000);
    ok = smp_online_count() == 4 && smp_cpu(0)->hw_id == 5 &&
         only_known_destinations(why, sizeof(why));
    for (size_t i = 0; i < 3 && ok; i++)
        ok = sequence_for(aps[i].apic_id, 10000, 200, 1, why, sizeof(why)) &&
             aps[i].becomes != NULL && aps[i].becomes->hw_id == aps[i].apic_id;
    HCHECK("ap_start.boot_cpu_not_apic_id_0_nor_first_in_the_madt", ok,
           "online %zu, CPU 0 has ID %u; %s", smp_online_count(), smp_cpu(0)->hw_id, why);
    bsp_apic_id = 0;
    bsp_madt_position = 0;

    /* Issue 20, defect 6: an AP that reaches its check-in only after the
     * boot CPU gave up on it (the INIT that gives up lands later). The
     * state decides once: its check-in fails, it is not online, and it is
     * not counted, started alone or with the others. */
    const enum ap_behaviour late[3] = {AP_FIRST_SIPI, AP_LATE_CHECK_IN, AP_FIRST_SIPI};
    const char *late_modes[2][2] = {
        {"ap_start=serial ap_timeout_ms=50", "ap_start.serial_a_check_in_after_the_give_up_fails"},
        {"ap_timeout_ms=50", "ap_start.parallel_a_check_in_after_the_give_up_fails"}};
    for (size_t m = 0; m < 2; m++) {
        machine(late_modes[m][0], late, 3, 10000);
        size_t online_then = smp_online_count();
        late_aps_check_in();
        HCHECK(late_modes[m][1],
               online_then == 3 && aps[1].becomes == smp_cpu(2) && !aps[1].checked_in &&
                   cpu_state(smp_cpu(2)) == CPU_NO_RESPONSE && aps[0].checked_in &&
                   aps[2].checked_in && smp_online_count() == 3,
               "online %zu then %zu; the late AP claimed %s, checked in %d, CPU 2 state %u",
               online_then, smp_online_count(), aps[1].becomes == smp_cpu(2) ? "CPU 2" : "not it",
               aps[1].checked_in, cpu_state(smp_cpu(2)));
    }

    /* Issue 20, defect 5: two APs answer to one APIC ID. The first to claim
     * the slot gets it; the second takes nothing (no shared stack, no
     * shared struct cpu), and the boot says so. */
    const char *twin_modes[2][2] = {
        {"ap_start=serial", "ap_start.serial_a_second_ap_with_one_apic_id_takes_nothing"},
        {"", "ap_start.parallel_a_second_ap_with_one_apic_id_takes_nothing"}};
    for (size_t m = 0; m < 2; m++) {
        uint32_t strays_before = strays;
        twin = true;
        machine(twin_modes[m][0], first, 3, 10000);
        twin = false;
        HCHECK(twin_modes[m][1],
               smp_online_count() == 4 && aps[0].becomes == smp_cpu(1) && aps[0].checked_in &&
                   aps[3].becomes == NULL && strays == strays_before + 1 &&
                   strstr(printed, "two CPUs answer to one APIC ID") != NULL,
               "online %zu, twin claimed %s, %u strays; printed:\n%s", smp_online_count(),
               aps[3].becomes != NULL ? "a slot" : "nothing", strays - strays_before, printed);
    }

    return htest_finish();
}
