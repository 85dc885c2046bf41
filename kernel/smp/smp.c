/*
 * smp.c - which CPUs there are, starting them, and what they do once up.
 *
 * The boot CPU becomes CPU 0, then each CPU the MADT lists as enabled, in
 * table order. They are started one at a time (arch_cpu_start knows how);
 * one that does not check in is left out, and the boot log says why. The
 * boot prints the total start-up time either way.
 */
#include "kernel/smp/smp.h"
#include "kernel/time.h"

#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"
#include "kernel/panic.h"
#include "kernel/smp/ipi.h"
#include "kernel/stop.h"
#include "lib/format.h"
#include "lib/string.h"

#define PROBE_TIMEOUT_US 5000000
#define STOP_TIMEOUT_MS 1000 /* for the others to take the stop NMI */

static struct cpu cpus[MAX_CPUS];
static size_t cpu_count; /* slots used */
static size_t online_count;
static size_t possible_count;
static size_t listed_count; /* enabled CPUs the firmware lists, kept or not */
static uint64_t bringup_us;
static uint64_t bringup_cycles;
static char start_delays[16] = "none"; /* ap_start='s value, for the summary */
static bool smp_started;               /* GS and the CPU table are set up */

size_t smp_cpu_count(void) { return cpu_count; }
size_t smp_online_count(void) { return online_count; }
uint64_t smp_start_cycles(void) { return bringup_cycles; }
size_t smp_possible_count(void) { return possible_count; }
size_t smp_listed_count(void) { return listed_count; }
struct cpu *smp_cpu(size_t index) { return index < cpu_count ? &cpus[index] : NULL; }

static void add_cpu(uint32_t hw_id, uint32_t acpi_uid)
{
    struct cpu *c = &cpus[cpu_count];
    c->self = c;
    c->index = (uint32_t)cpu_count;
    c->hw_id = hw_id;
    c->acpi_uid = acpi_uid;
    cpu_set_state(c, CPU_ABSENT);
    cpu_count++;
}

/* The boot CPU becomes index 0, then the MADT's enabled CPUs in table order. */
static void collect_cpus(const struct madt_info *madt, bool madt_ok)
{
    uint32_t bsp_id = arch_cpu_hw_id();
    cpu_count = 0;
    add_cpu(bsp_id, 0);
    possible_count = 1;
    listed_count = 1;
    if (!madt_ok)
        return;
    bool bsp_listed = false;
    size_t limit = boot_options.maxcpus != 0 ? boot_options.maxcpus : MAX_CPUS;
    size_t left_out = 0;
    for (size_t i = 0; i < madt->cpu_count; i++) {
        const struct madt_cpu *m = &madt->cpus[i];
        if (m->hw_id == bsp_id) {
            bsp_listed = true;
            cpus[0].acpi_uid = m->acpi_uid;
            continue;
        }
        if (!m->enabled)
            continue;
        if (cpu_count == limit && limit < MAX_CPUS) {
            left_out++; /* maxcpus= */
            continue;
        }
        if (cpu_count == MAX_CPUS) {
            kprintf("warning: smp: more than %d CPUs; " ARCH_HW_ID_NAME
                    " %u and later are not started\n",
                    MAX_CPUS, m->hw_id);
            break;
        }
        add_cpu(m->hw_id, m->acpi_uid);
    }
    if (left_out != 0)
        kprintf("smp: maxcpus=%zu: %zu more CPUs the firmware lists are left halted\n", limit,
                left_out);
    possible_count = madt->enabled_count + madt->hotpluggable_count;
    listed_count = madt->enabled_count;
    if (!bsp_listed) {
        kprintf("warning: smp: the boot CPU (" ARCH_HW_ID_NAME " %u) is not in the MADT\n", bsp_id);
        possible_count++;
        listed_count++;
    }
    if (inject_requested(INJECT_PHANTOM_CPU) && cpu_count < MAX_CPUS) {
        /* A CPU the firmware lists but that never answers. */
        uint32_t max_id = 0;
        for (size_t i = 0; i < cpu_count; i++)
            max_id = cpus[i].hw_id > max_id ? cpus[i].hw_id : max_id;
        kprintf("inject: adding a CPU with " ARCH_HW_ID_NAME " %u that does not exist\n",
                max_id + 1);
        add_cpu(max_id + 1, 0xFFFF);
        possible_count++;
        listed_count++;
    }
}

static void start_ap(struct cpu *cpu, const struct cpu_start_options *options)
{
    uint64_t start = arch_cycles();
    uint32_t state = arch_cpu_start(cpu, options);
    if (state == CPU_ONLINE) {
        cpu->start_cycles = arch_cycles() - start;
        online_count++;
    }
    cpu_set_state(cpu, state);
}

static const char *state_name(uint32_t s)
{
    switch (s) {
    case CPU_ONLINE: return "online";
    case CPU_STARTING: return "starting";
    case CPU_ENTERING: return "entering";
    case CPU_NO_RESPONSE: return "no response";
    case CPU_UNADDRESSABLE: return "unaddressable";
    case CPU_NO_MEMORY: return "no memory";
    default: return "absent";
    }
}

static int compare_ids(uint32_t a, uint32_t b) { return a < b ? -1 : a > b; }

/* Prints the smp: line (its form is a contract with tests/run.py) and the table. */
static void print_summary(void)
{
    static uint32_t ids[MAX_CPUS];
    size_t n = 0;
    for (size_t i = 0; i < cpu_count; i++)
        if (cpu_online(&cpus[i]))
            ids[n++] = cpus[i].hw_id;
    for (size_t i = 1; i < n; i++) { /* insertion sort, ascending */
        uint32_t x = ids[i];
        size_t j = i;
        for (; j > 0 && compare_ids(ids[j - 1], x) > 0; j--)
            ids[j] = ids[j - 1];
        ids[j] = x;
    }
    kprintf("smp: online=%zu possible=%zu apic=%s ids=", online_count, possible_count,
            arch_apic_mode_name());
    for (size_t i = 0; i < n; i++)
        kprintf("%s%u", i == 0 ? "" : ",", ids[i]);
    kprintf("\n");
    smp_print_table(cpu_count);
}

void smp_print_table(size_t max_rows)
{
    kprintf("  cpu  " ARCH_HW_ID_NAME "  state          start-up\n");
    size_t shown = 0;
    for (size_t i = 0; i < cpu_count; i++) {
        const struct cpu *c = &cpus[i];
        /* Past max_rows, only the CPUs that did not come up are listed. */
        if (shown == max_rows && cpu_online(c))
            continue;
        char took[24] = "boot CPU";
        if (i != 0)
            fmt_snprintf(took, sizeof(took), cpu_online(c) ? "%llu us" : "-",
                         (unsigned long long)us_from_cycles(c->start_cycles));
        kprintf_colour(cpu_online(c) ? COLOUR_NORMAL : COLOUR_FAIL, "  %3zu  %7u  %-13s  %s\n", i,
                       c->hw_id, state_name(cpu_state(c)), took);
        shown += shown < max_rows;
    }
    if (shown < cpu_count)
        kprintf("  ... %zu more, all online\n", cpu_count - shown);
}

void smp_init(const struct boot_info *bi, const struct madt_info *madt, bool madt_ok,
              const struct cpu_start_options *plan)
{
    collect_cpus(madt, madt_ok);
    arch_cpu_setup_boot(&cpus[0]);
    cpu_set_state(&cpus[0], CPU_ONLINE);
    online_count = 1;
    smp_started = true;
    option_value_name("ap_start", plan->mode, start_delays, sizeof(start_delays));

    if (cpu_count > 1 && arch_cpus_start_prepare(bi)) {
        uint64_t start = arch_cycles();
        if (plan->mode == CPU_START_PARALLEL) {
            /* All at once: the manual's delays are paid once for all. */
            arch_cpus_start_parallel(&cpus[1], cpu_count - 1, plan);
            for (size_t i = 1; i < cpu_count; i++)
                online_count += cpu_online(&cpus[i]);
        } else {
            for (size_t i = 1; i < cpu_count; i++)
                start_ap(&cpus[i], plan);
        }
        bringup_cycles = arch_cycles() - start;
        bringup_us = us_from_cycles(bringup_cycles);
        kprintf("smp: started %zu of %zu APs in %llu us (ap_start=%s: %s%s)\n", online_count - 1,
                cpu_count - 1, (unsigned long long)bringup_us, start_delays,
                arch_cpu_start_delays(plan->mode),
                plan->mode == CPU_START_PARALLEL ? ", once for all" : "");
    }
    print_summary();
}

bool smp_ap_check_in(struct cpu *cpu)
{
    /* Against the boot CPU's give-up (cpu_give_up): whichever changes the
     * state first wins. A plain store here could mark ONLINE a CPU that the
     * boot CPU has already left out and sent INIT, which lands later. */
    return cpu_change_state(cpu, CPU_ENTERING, CPU_ONLINE);
}

void smp_ap_entry(struct cpu *cpu)
{
    inject_before_check_in(cpu->index);
    /* Checked in: from here the boot CPU may reuse the trampoline. */
    if (!smp_ap_check_in(cpu))
        arch_halt_forever(); /* left out: the boot CPU's INIT is on its way */
    /* The idle loop. Its body runs with interrupts off, and arch_idle
     * enables them only as it halts (sti; hlt), so an interrupt that posts
     * work cannot slip in between the check and the halt. */
    for (;;) {
        uint64_t posted = atomic_load_acquire(&cpu->work.posted);
        if (posted != atomic_load_relaxed(&cpu->work.done)) { /* only this CPU writes it */
            arch_interrupts_enable();
            cpu->work.fn(cpu->work.arg);
            arch_interrupts_disable();
            atomic_store_release(&cpu->work.done, posted);
            continue;
        }
        arch_idle(&cpu->work.posted);
    }
}

static bool wait_work_done(struct cpu *cpu, uint64_t timeout_ms);

bool smp_post_work(struct cpu *cpu, void (*fn)(void *), void *arg)
{
    uint64_t posted = atomic_load_relaxed(&cpu->work.posted); /* only the poster writes it */
    if (cpu->index == 0 || !cpu_online(cpu) || atomic_load_acquire(&cpu->work.done) != posted)
        return false;
    cpu->work.fn = fn;
    cpu->work.arg = arg;
    atomic_store_release(&cpu->work.posted, posted + 1);
    return arch_send_ipi_to(cpu->index, IPI_PROBE); /* wakes it from hlt */
}

bool smp_wait_work(struct cpu *cpu, uint64_t timeout_ms)
{
    /* Interrupts on while waiting: the work may make rendezvous calls,
     * which need this CPU too. */
    bool enabled = arch_interrupts_save_disable();
    arch_interrupts_enable();
    bool done = wait_work_done(cpu, timeout_ms);
    arch_interrupts_restore(enabled);
    return done;
}

static bool work_done(const void *cpu_arg)
{
    const struct cpu *cpu = cpu_arg;
    return atomic_load_acquire(&cpu->work.done) == atomic_load_relaxed(&cpu->work.posted);
}

static bool wait_work_done(struct cpu *cpu, uint64_t timeout_ms)
{
    if (wait_until(work_done, cpu, arch_cycles() + cycles_from_ms(timeout_ms)))
        return true;
    kprintf("smp: CPU %u has not finished its posted work after %llu ms\n", cpu->index,
            (unsigned long long)timeout_ms);
    return false;
}

static void (*timer_hook)(void);

void smp_set_timer_hook(void (*hook)(void)) { atomic_store_release(&timer_hook, hook); }

void kernel_timer_interrupt(void)
{
    atomic_add_relaxed(&arch_this_cpu()->timer_ticks, 1);
    void (*hook)(void) = atomic_load_acquire(&timer_hook);
    if (hook != NULL)
        hook();
}

bool kernel_nmi(uintptr_t pc, uintptr_t fp)
{
    if (smp_started)
        return ipi_nmi(pc, fp);
    /* Nobody asks for an NMI before the CPUs are counted: this one is the
     * platform's (a watchdog, a button). Fatal, it would end a boot for a
     * button press; taken as an exception, a self-test's arch_try_call
     * would report it as its own fault. */
    kprintf("nmi: an NMI the kernel did not ask for, before the CPUs were started, at %#lx: %s; "
            "going on\n",
            (unsigned long)pc, arch_nmi_reason());
    (void)fp;
    return true;
}

int smp_this_cpu_index(void) { return smp_started ? (int)arch_this_cpu()->index : -1; }

static bool took_the_stop(const void *cpu_arg)
{
    const struct cpu *c = cpu_arg;
    return atomic_load_acquire(&c->ipi.nmi_ack) == NMI_STOP;
}

void smp_stop_other_cpus(void)
{
    if (!smp_started)
        return;
    uint32_t self = arch_cpu_hw_id(); /* GS may be what broke: ask the hardware */
    for (size_t i = 0; i < cpu_count; i++) {
        struct cpu *c = &cpus[i];
        /* A CPU waiting for this stop (kernel/stop.h) is left to wait: it
         * has interrupts off, and it watches that this report goes on. */
        if (!cpu_online(c) || c->hw_id == self || stop_cpu_is_waiting((uint32_t)i, NULL))
            continue;
        /* The answer is this request's: the ack names the request it answers,
         * so a late answer to the timeout report's NMI_REPORT is not it. */
        atomic_store_release(&c->ipi.nmi_ack, NMI_NONE);
        atomic_store_release(&c->ipi.nmi_request, NMI_STOP);
        arch_send_ipi_to((uint32_t)i, IPI_NMI);
    }
    /* Wait (bounded) until each has taken its NMI, so that nothing else
     * runs while the report is read; name any that did not. */
    uint64_t deadline = arch_cycles() + cycles_from_ms(STOP_TIMEOUT_MS);
    for (size_t i = 0; i < cpu_count; i++) {
        struct cpu *c = &cpus[i];
        if (!cpu_online(c) || c->hw_id == self ||
            atomic_load_acquire(&c->ipi.nmi_request) != NMI_STOP)
            continue;
        if (!wait_until(took_the_stop, c, deadline))
            kprintf("smp: CPU %zu (" ARCH_HW_ID_NAME " %u) did not take the stop NMI\n", i,
                    c->hw_id);
    }
}

void smp_probe_interrupt(void)
{
    struct cpu *cpu = arch_this_cpu();
    uintptr_t marker = (uintptr_t)&marker; /* an address on this CPU's stack */
    cpu->probe.hw_id = arch_cpu_hw_id();
    cpu->probe.gs_block = cpu;
    cpu->probe.stack_pointer = marker;
    atomic_add_release(&cpu->probe.interrupts, 1);
}

#define WAKE_SAMPLES 7
#define WAKE_ANSWER_MS 20 /* twenty times barrier_spin_us=auto's upper bound */

/* A probe IPI sent to cpu when its count of them stood at before. */
struct probe_wait {
    const struct cpu *cpu;
    uint64_t before;
};

static bool probe_answered(const void *arg)
{
    const struct probe_wait *wait = arg;
    return atomic_load_acquire(&wait->cpu->probe.interrupts) != wait->before;
}

uint64_t smp_wake_round_trip_cycles(void)
{
    struct cpu *ap = NULL;
    for (size_t i = 0; i < cpu_count && ap == NULL; i++)
        if (&cpus[i] != arch_this_cpu() && cpu_online(&cpus[i]))
            ap = &cpus[i];
    if (ap == NULL) /* no other CPU online (and none without an APIC) */
        return 0;
    /* The fastest: a host that runs other vCPUs meanwhile only adds to a
     * sample (seen at -smp 16 on two cores: a median of 1.2 ms at boot,
     * where the fastest was 4 us later), and a spin too short costs less
     * than one too long when the host is that busy. */
    uint64_t fastest = UINT64_MAX;
    /* Past a spin's upper bound many times over, a sample says all it can:
     * one that does not answer in time counts as that long, and ends the
     * measurement (boot waits for no lost CPU). */
    uint64_t limit = cycles_from_ms(WAKE_ANSWER_MS);
    for (size_t k = 0; k < WAKE_SAMPLES; k++) {
        /* A pause first, so that the AP is idle again (halted, in hlt). */
        arch_udelay(100);
        struct probe_wait wait = {ap, atomic_load_acquire(&ap->probe.interrupts)};
        uint64_t start = arch_cycles();
        if (!arch_send_ipi_to(ap->index, IPI_PROBE))
            return 0;
        bool answered = wait_until(probe_answered, &wait, start + limit);
        uint64_t took = arch_cycles() - start;
        if (!answered) {
            kprintf("smp: CPU %u (" ARCH_HW_ID_NAME " %u) did not answer a probe IPI within "
                    "%u ms; its wake-up is taken to be that long\n",
                    ap->index, ap->hw_id, WAKE_ANSWER_MS);
            return took;
        }
        fastest = took < fastest ? took : fastest;
    }
    return fastest;
}

size_t smp_probe_all(void)
{
    size_t missing = 0;
    uint64_t limit = cycles_from_us(PROBE_TIMEOUT_US);
    for (size_t i = 0; i < cpu_count; i++) {
        struct cpu *c = &cpus[i];
        if (!cpu_online(c))
            continue;
        struct probe_wait wait = {c, atomic_load_acquire(&c->probe.interrupts)};
        bool answered = false;
        if (arch_send_ipi_to((uint32_t)i, IPI_PROBE)) {
            arch_interrupts_enable(); /* the boot CPU probes itself too */
            answered = wait_until(probe_answered, &wait, arch_cycles() + limit);
            arch_interrupts_disable();
        }
        if (!answered) {
            kprintf("smp: CPU %zu (" ARCH_HW_ID_NAME " %u) did not take the probe interrupt\n", i,
                    c->hw_id);
            missing++;
        }
    }
    return missing;
}
