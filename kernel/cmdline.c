/*
 * cmdline.c - command-line splitting and the table of known options.
 */
#include "kernel/cmdline.h"

#include "lib/string.h"

/* Keep in step with the "Command-line options" section of README.md. */
const struct cmdline_option_def cmdline_known_options[] = {
    {"test", "<filter>",
     "run the self-tests (those whose suite.name starts with filter), "
     "print KTAP, then exit QEMU with the result"},
    {"test_skip", "<suite.name>[,...] (a trailing * matches a prefix)",
     "report these self-tests as skipped instead of running "
     "them"},
    {"bench", NULL, "run the benchmarks and print bench: lines"},
    {"inject",
     "test-fail|panic|stack-overflow|triple-fault|hang|bad-madt|phantom-cpu|"
     "stuck-cpu|stuck-cpu-printing|irql-misuse",
     "fail on purpose, to check that the test runner notices"},
    {"apic", "auto|xapic|x2apic", "local APIC mode (auto: x2APIC when the CPU has it)"},
    {"ap_start", "sdm|fast",
     "AP start-up delays: the SDM's 10 ms after INIT and 200 us after "
     "each SIPI, or short ones"},
    {"ap_timeout_ms", "<n>", "how long to wait for each AP to check in (default 10000)"},
    {"tsc_source", "auto|cpuid|pit|pm_timer", "what to measure the TSC frequency with"},
    {"barrier", "central|dissemination", "the rendezvous' spin barrier (default central)"},
    {"ipi_timeout_ms", "<n>", "bound on every rendezvous wait (default 10000)"},
    {"stress_calls", "<n>", "back-to-back rendezvous calls in the stress self-test"},
    {"stress_ms", "<n>", "time budget of each rendezvous stress self-test (default 5000)"},
    {"expect_no_acpi", NULL,
     "the machine has no ACPI tables (the test runner says so): the "
     "ACPI self-test is skipped instead of failing"},
    {"expect_apic", "xapic|x2apic",
     "the APIC mode the machine gives (the test runner knows): "
     "the self-tests hold the kernel's choice against it"},
    {"expect_loader", "<name>",
     "how the boot loader's name starts (the test runner knows): "
     "held against what the loader says"},
    {"expect_cpus", "<n>",
     "CPUs the machine really has (the test runner passes what QEMU "
     "made): the self-tests hold the kernel's count against it"},
    {"acpi_dump", NULL, "print the MADT in hex (tools/capture_madt.py reads it)"},
};
const size_t cmdline_known_count = sizeof(cmdline_known_options) / sizeof(cmdline_known_options[0]);

struct cmdline boot_cmdline;

static bool is_known(const char *name)
{
    for (size_t i = 0; i < cmdline_known_count; i++) {
        if (strcmp(cmdline_known_options[i].name, name) == 0)
            return true;
    }
    return false;
}

static bool looks_like_path(const char *word)
{
    return strchr(word, '/') != NULL && strchr(word, '=') == NULL;
}

void cmdline_parse(struct cmdline *cl, const char *line)
{
    memset(cl, 0, sizeof(*cl));
    strlcpy(cl->buffer, line != NULL ? line : "", sizeof(cl->buffer));

    char *p = cl->buffer;
    bool first = true;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        char *word = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (*p != '\0')
            *p++ = '\0';

        if (first && looks_like_path(word)) {
            first = false;
            continue;
        }
        first = false;

        if (cl->count == CMDLINE_MAX_OPTIONS) {
            cl->dropped++;
            continue;
        }
        char *eq = strchr(word, '=');
        if (eq != NULL)
            *eq = '\0';
        struct cmdline_arg *a = &cl->args[cl->count++];
        a->name = word;
        a->value = eq != NULL ? eq + 1 : NULL;
        a->known = is_known(word);
        if (!a->known)
            cl->unknown_count++;
    }
}

const struct cmdline_arg *cmdline_find(const struct cmdline *cl, const char *name)
{
    for (size_t i = cl->count; i > 0; i--) {
        if (strcmp(cl->args[i - 1].name, name) == 0)
            return &cl->args[i - 1];
    }
    return NULL;
}

bool cmdline_has(const struct cmdline *cl, const char *name)
{
    return cmdline_find(cl, name) != NULL;
}

const char *cmdline_value(const struct cmdline *cl, const char *name, const char *fallback)
{
    const struct cmdline_arg *a = cmdline_find(cl, name);
    return a != NULL && a->value != NULL ? a->value : fallback;
}

bool cmdline_u64(const struct cmdline *cl, const char *name, uint64_t *value)
{
    const char *text = cmdline_value(cl, name, NULL);
    if (text == NULL)
        return false;
    uint64_t v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            break;
        v = v * 10 + digit;
    }
    if (p == text || *p != '\0')
        return false;
    *value = v;
    return true;
}
