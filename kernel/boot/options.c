/*
 * options.c - the table of command-line options, and its one parser.
 *
 * Adding an option: a field in struct options (options.h), a row here,
 * then `make readme-options` to bring README.md's table along (make test
 * fails until it is).
 */
#include "kernel/boot/options.h"

#include "kernel/diag/inject.h"
#include "kernel/smp/cpu_limits.h"
#include "lib/format.h"
#include "lib/string.h"

#define FIELD(name) offsetof(struct options, name)
#define FLAG(name, used_by, help)                                                                  \
    {                                                                                              \
#name, OPTION_FLAG, NULL, NULL, 0, 0, 0, FIELD(name), used_by, help                        \
    }
#define TEXT(name, form, used_by, help)                                                            \
    {                                                                                              \
#name, OPTION_TEXT, form, NULL, 0, 0, 0, FIELD(name), used_by, help                        \
    }
#define CHOICE(name, values, fallback, used_by, help)                                              \
    {                                                                                              \
#name, OPTION_CHOICE, values, fallback, 0, 0, 0, FIELD(name), used_by, help                \
    }
#define ENUM(name, values, fallback, used_by, help)                                                \
    {                                                                                              \
#name, OPTION_ENUM, values, fallback, 0, 0, 0, FIELD(name), used_by, help                  \
    }
#define NUMBER(name, form, fallback, min, max, used_by, help)                                      \
    {                                                                                              \
#name, OPTION_NUMBER, form, NULL, fallback, min, max, FIELD(name), used_by, help           \
    }

/* A number, or "auto" (the default): the kernel measures the value itself. */
#define NUMBER_OR_AUTO(name, form, min, max, used_by, help)                                        \
    {                                                                                              \
#name, OPTION_NUMBER, form, "auto", OPTION_AUTO, min, max, FIELD(name), used_by, help      \
    }

/* An ENUM option's field holds its value's place as an unsigned. */
_Static_assert(sizeof(enum apic_request) == sizeof(unsigned), "apic");
_Static_assert(sizeof(enum cpu_start_mode) == sizeof(unsigned), "ap_start");
_Static_assert(sizeof(enum clock_source) == sizeof(unsigned), "tsc_source");
_Static_assert(sizeof(enum reset_way) == sizeof(unsigned), "reset");
_Static_assert(sizeof(enum idle_mode) == sizeof(unsigned), "idle");
_Static_assert(sizeof(enum end_action) == sizeof(unsigned), "end");
_Static_assert(sizeof(enum ipi_barrier) == sizeof(unsigned), "barrier");
_Static_assert(sizeof(enum ipi_delivery) == sizeof(unsigned), "ipi_delivery");

struct options boot_options;

const struct option_def option_table[] = {
    TEXT(test, "<prefix>", "kernel/diag/ktest.c",
         "run the self-tests (with a value: those whose `suite.name` starts with it, e.g. "
         "`test=exceptions.`), print KTAP, then end QEMU with the result (on a real PC: print the "
         "summary and halt)"),
    TEXT(test_skip, "<suite.name>[,...]", "kernel/diag/ktest.c",
         "report these self-tests as skipped instead of running them; `ipi.stress_*` names every "
         "test starting with `ipi.stress_`"),
    FLAG(bench, "kernel/diag/bench.c",
         "run the benchmarks; each figure prints `bench: name=<name> cpus=<n> iters=<k> min= p50= "
         "p90= p99= max= tsc_mhz=` (cycles) and its quantiles, then a table"),
    CHOICE(inject, INJECT_VALUES, NULL, "kernel/diag/inject.c",
           "fail on purpose, to test the test runner: `bad-madt` corrupts the MADT's copy (the "
           "kernel must run on one CPU), `phantom-cpu` adds a CPU that does not exist (reported "
           "and left out), `stuck-cpu` has one CPU spin with interrupts off while the rendezvous "
           "is called, `stuck-cpu-printing` the same holding the console lock, `irql-misuse` "
           "raises to a lower IRQL, `no-low-memory` finds no free page below 1 MiB for the AP "
           "start-up code (the kernel must say so and run on one CPU), `stack-smash` overwrites "
           "a function's stack canary (the stack protector must name it), "
           "`undefined-behaviour` overflows a signed int (a `SANITIZE=1` kernel must report "
           "the file and line), `late-ap` has CPU 1 check in only after its start-up deadline, "
           "`stuck-in-worker`, `worker-page-fault`, `worker-invalid-opcode` and "
           "`panic-in-worker` go wrong in a rendezvous worker on the last CPU, `lost-ipi` "
           "leaves the last CPU out of a call's IPIs, `worker-fault-in-try-call` page-faults in "
           "the worker on the last CPU while the call's IPI interrupted it inside "
           "`arch_try_call`, `panic-racing-timeout` panics in the worker on the last CPU and "
           "holds its report until another CPU has timed out, `panic-during-calls` panics on "
           "the last CPU, interrupts on, while CPU 0 calls again and again, "
           "`worker-fault-on-every-cpu` page-faults in the worker on every CPU, "
           "`fault-in-kprintf` faults inside kprintf with the console lock held, "
           "`renumbered-boot-cpu` gives the boot CPU a new xAPIC ID, in its APIC and the MADT, "
           "that its CPUID does not report, `early-nmi` sends the boot CPU an NMI before the "
           "CPUs are started (it must be reported and survived) "
           "(docs/testing.md, the fault matrix)"),
    ENUM(apic, "auto|xapic|x2apic", "auto", "arch/x86_64/apic_mode.c",
         "local APIC mode; `auto` takes x2APIC when the CPU has it. `x2apic` on a CPU without "
         "it falls back to xAPIC with a message; `xapic` when the firmware already enabled "
         "x2APIC stays in x2APIC (leaving it would need the APIC disabled)"),
    ENUM(ap_start, "parallel|serial|fast", "parallel", "arch/x86_64/smp_start.c",
         "how the APs are started: `parallel` sends INIT to all, waits 10 ms once, then a SIPI "
         "to each (and a second SIPI only to those not yet up, where the SDM's example and "
         "Linux send it to all); as in Linux's parallel start since 6.5, each AP finds its own "
         "stack from the APIC ID its local APIC reports. `serial` starts one at a "
         "time with the Intel "
         "SDM's delays (10 ms after INIT, 200 us after each SIPI); `fast` one at a time with "
         "0 and 10 us, as Linux does on modern CPUs. The boot prints the total start-up time"),
    NUMBER(ap_timeout_ms, "<ms>", 10000, 1, 3600000, "arch/x86_64/smp_start.c",
           "how long to wait for each AP to check in after its second SIPI"),
    ENUM(tsc_source, "auto|cpuid|pit|hpet|pm_timer", "auto", "platform/pc/clock.c",
         "what the TSC frequency is measured with; `auto` takes CPUID leaf 0x15 where it names "
         "the crystal, else measures against the PIT, then the HPET (ACPI HPET table), then the "
         "ACPI PM timer, and only then trusts CPUID leaf 0x16's nominal frequency"),
    NUMBER(maxcpus, "<n>", 0, 1, MAX_CPUS, "kernel/smp/smp.c",
           "use at most n CPUs, the boot CPU included (as Linux's `maxcpus=`): the others the "
           "firmware lists are reported and left halted"),
    FLAG(verbose, "kernel/main.c",
         "print each boot step as it starts (`boot: step ...`), and one line counting the MADT "
         "entries the kernel does not use (`acpi: MADT entries not used: ...`)"),
    ENUM(end, "auto|halt|reboot", "auto", "kernel/finish.c",
         "what happens after the self-tests or benchmarks: `auto` ends QEMU with the result "
         "(through its exit device) and on a real PC shows the summary and halts; `halt` always "
         "halts; `reboot` shows the summary, waits `reboot_delay_s`, then resets the machine "
         "(ACPI FADT reset register, then port 0xCF9, then the keyboard controller)"),
    ENUM(reset, "auto|acpi|cf9|keyboard", "auto", "platform/pc/power.c",
         "how `end=reboot` resets the machine: `auto` tries the ACPI FADT reset register, port "
         "0xCF9, the keyboard controller and a triple fault in turn (as Linux's `reboot=` "
         "does); a name tries that way first"),
    NUMBER(reboot_delay_s, "<s>", 10, 0, 3600, "kernel/finish.c",
           "with `end=reboot`: how long the summary stays on screen before the reset"),
    FLAG(firmware_x2apic, "kernel/main.c",
         "test: switch the local APIC to x2APIC mode at the very start of kmain, before the "
         "APIC driver looks, as the firmware of many new PCs does"),
    ENUM(barrier, "auto|central|dissemination", "auto", "kernel/smp/ipi.c",
         "the rendezvous' spin barrier: a central counter, or the dissemination barrier "
         "(log2 n rounds, no shared counter); `auto` picks central up to 4 online CPUs and "
         "dissemination beyond (docs/performance.md has the measurements)"),
    NUMBER(ipi_timeout_ms, "<ms>", 10000, 1, 3600000, "kernel/smp/ipi.c",
           "bound on every rendezvous wait; past it the missing CPUs are reported and the kernel "
           "stops"),
    ENUM(ipi_delivery, "auto|each", "auto", "kernel/smp/ipi.c",
         "how a call reaches the other CPUs: `auto` sends one all-excluding-self IPI when "
         "every CPU the firmware listed is online and taking part, else one IPI per CPU; "
         "`each` always one per CPU"),
    ENUM(idle, "hlt|mwait|poll", "hlt", "arch/x86_64/arch.c",
         "how an idle CPU waits for work: halted until an interrupt, in monitor/mwait on its "
         "work word (falls back to `hlt` with a warning where the CPU has no MONITOR), or "
         "polling with interrupts on (no wake-up latency, a busy host core)"),
    NUMBER_OR_AUTO(barrier_spin_us, "<us>|auto", 0, 3600000000ull, "kernel/smp/ipi.c",
                   "how long a CPU spins at a rendezvous barrier before it halts until woken "
                   "(giving a host with fewer cores than CPUs its core back); 0: spin only; "
                   "`auto`: as long as waking an idle CPU takes on this machine, measured at "
                   "boot (1 to 1000 us; 50 where there is no other CPU to measure with)"),
    NUMBER(stress_calls, "<n>", 100000, 1, 1000000000, "tests/kernel/test_ipi.c",
           "calls in the rendezvous stress self-test (the test runner asks for fewer where QEMU "
           "has more vCPUs than the host has cores)"),
    NUMBER(stress_ms, "<ms>", 5000, 1, 3600000, "tests/kernel/test_ipi.c",
           "time budget of each rendezvous stress self-test: it stops there and prints the count "
           "reached, so `make run CPUS=8 CMDLINE=test` ends in well under a minute"),
    NUMBER(expect_cpus, "<n>", 0, 1, MADT_MAX_CPUS, "tests/kernel/",
           "the CPUs the machine really has (the test runner passes what QEMU made): the "
           "self-tests hold the kernel's own count against it"),
    FLAG(expect_no_acpi, "tests/kernel/test_smp.c",
         "the machine has no ACPI tables (the runner says so for `-no-acpi`): the ACPI self-test "
         "is skipped, by name, instead of failing"),
    CHOICE(expect_apic, "xapic|x2apic", NULL, "tests/kernel/test_smp.c",
           "the APIC mode the machine gives (the test runner knows): the self-tests hold the "
           "kernel's choice against it"),
    TEXT(expect_loader, "<name>", "tests/kernel/test_boot.c",
         "how the boot loader's name starts (the test runner knows): held against what the "
         "loader says"),
    CHOICE(expect_firmware, "BIOS|UEFI|unknown", NULL, "tests/kernel/test_boot.c",
           "the firmware word the boot banner must say (the test runner knows): `unknown` under "
           "multiboot 1, which cannot tell"),
    TEXT(expect_clock, "<source>", "tests/kernel/test_smp.c",
         "how the name of the clock the TSC was calibrated from starts, where the test runner "
         "knows what the machine has (`HPET` with `-machine pit=off`, `nothing` with no timer "
         "at all)"),
    FLAG(trace, "kernel/diag/trace.c",
         "record the rendezvous' timeline (every phase of each CPU, in cycles) for a few empty "
         "calls, print it as `trace:` lines and end QEMU; `make trace` turns it into a Chrome "
         "trace-event file and an SVG picture"),
    FLAG(acpi_dump, "kernel/firmware/acpi.c",
         "print the MADT, and every ACPI table the root table lists, in hex "
         "(`tools/capture_madt.py` and `tools/capture_acpi.py` turn them back into files for "
         "the host tests and the fuzzers)"),
};
const size_t option_count = sizeof(option_table) / sizeof(option_table[0]);

const struct option_def *option_find(const char *name)
{
    for (size_t i = 0; i < option_count; i++)
        if (strcmp(option_table[i].name, name) == 0)
            return &option_table[i];
    return NULL;
}

/* Steps through a values list, "a|b|c": the value at *cursor and its
 * length, with *cursor moved past it and its bar; false at the end. */
static bool next_value(const char **cursor, const char **value, size_t *length)
{
    const char *v = *cursor;
    if (*v == '\0')
        return false;
    const char *bar = strchr(v, '|');
    *value = v;
    *length = bar != NULL ? (size_t)(bar - v) : strlen(v);
    *cursor = bar != NULL ? bar + 1 : v + *length;
    return true;
}

void option_value_name(const char *option, unsigned index, char *out, size_t size)
{
    const struct option_def *d = option_find(option);
    const char *cursor = d != NULL && d->values != NULL ? d->values : "", *value;
    size_t length;
    for (unsigned i = 0; next_value(&cursor, &value, &length); i++) {
        if (i == index && length > 0) {
            fmt_snprintf(out, size, "%.*s", (int)length, value);
            return;
        }
    }
    fmt_snprintf(out, size, "?");
}

int option_value_index(const char *values, const char *value)
{
    const char *cursor = values, *v;
    size_t length, wanted = strlen(value);
    for (int index = 0; next_value(&cursor, &v, &length); index++)
        if (length == wanted && strncmp(v, value, length) == 0)
            return index;
    return -1;
}

static void set_default(const struct option_def *d, struct options *out)
{
    char *field = (char *)out + d->offset;
    switch (d->type) {
    case OPTION_FLAG: *(bool *)field = false; break;
    case OPTION_TEXT:
    case OPTION_CHOICE: *(const char **)field = d->default_text; break;
    case OPTION_ENUM:
        *(unsigned *)field = (unsigned)option_value_index(d->values, d->default_text);
        break;
    case OPTION_NUMBER: *(uint64_t *)field = d->default_number; break;
    }
}

static void set(const struct option_def *d, const struct cmdline_arg *a, const struct cmdline *cl,
                struct options *out, struct warning_log *problems)
{
    char *field = (char *)out + d->offset;
    switch (d->type) {
    case OPTION_FLAG:
        if (a->value != NULL)
            warning_add(problems, "%s takes no value (%s=%s); taken as %s", d->name, d->name,
                        a->value, d->name);
        *(bool *)field = true;
        return;
    case OPTION_TEXT: *(const char **)field = a->value != NULL ? a->value : ""; return;
    case OPTION_CHOICE:
    case OPTION_ENUM: {
        int index = a->value != NULL ? option_value_index(d->values, a->value) : -1;
        if (index >= 0 && d->type == OPTION_ENUM) {
            *(unsigned *)field = (unsigned)index;
            return;
        }
        if (index >= 0) {
            *(const char **)field = a->value;
            return;
        }
        warning_add(problems, "%s=%s is not one of %s; %s%s", d->name,
                    a->value != NULL ? a->value : "", d->values,
                    d->default_text != NULL ? "using " : "ignored",
                    d->default_text != NULL ? d->default_text : "");
        return;
    }
    case OPTION_NUMBER: {
        uint64_t v;
        bool takes_auto = d->default_text != NULL;
        if (takes_auto && a->value != NULL && strcmp(a->value, "auto") == 0) {
            *(uint64_t *)field = OPTION_AUTO;
            return;
        }
        if (cmdline_u64(cl, d->name, &v) && v >= d->min && v <= d->max) {
            *(uint64_t *)field = v;
            return;
        }
        if (takes_auto)
            warning_add(problems,
                        "%s=%s is neither auto nor a number from %llu to %llu; using auto", d->name,
                        a->value != NULL ? a->value : "", (unsigned long long)d->min,
                        (unsigned long long)d->max);
        else
            warning_add(problems, "%s=%s is not a number from %llu to %llu; using %llu", d->name,
                        a->value != NULL ? a->value : "", (unsigned long long)d->min,
                        (unsigned long long)d->max, (unsigned long long)d->default_number);
        return;
    }
    }
}

void options_parse(const struct cmdline *cl, struct options *out, struct warning_log *problems)
{
    memset(problems, 0, sizeof(*problems));
    for (size_t i = 0; i < option_count; i++)
        set_default(&option_table[i], out);
    for (size_t i = 0; i < cl->count; i++) {
        const struct cmdline_arg *a = &cl->args[i];
        const struct option_def *d = option_find(a->name);
        if (d == NULL) {
            char known[WARNING_LENGTH - 48];
            size_t used = 0;
            for (size_t k = 0; k < option_count && used < sizeof(known); k++)
                used += (size_t)fmt_snprintf(known + used, sizeof(known) - used, " %s",
                                             option_table[k].name);
            warning_add(problems, "unknown option \"%s\" ignored; known:%s", a->name, known);
            continue;
        }
        /* The last occurrence wins, as cmdline_find has it: only it counts. */
        if (cmdline_find(cl, a->name) == a)
            set(d, a, cl, out, problems);
    }
    if (cl->dropped != 0)
        warning_add(problems, "%zu command-line words beyond the first %d were ignored",
                    cl->dropped, CMDLINE_MAX_OPTIONS);
}
