/*
 * test_options.c - kernel/boot/options.c on the host: the one parser of the
 * command line's options, and README.md's option table, which must be
 * what this table says (`test_options --markdown` prints it; `make
 * readme-options` puts it into README.md).
 */
#include "kernel/boot/options.h"

#include "tests/host/htest.h"

#include <stdarg.h>

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

static struct cmdline cl;
static struct options o;
static struct warning_log problems;

static void parse(const char *line)
{
    cmdline_parse(&cl, line);
    options_parse(&cl, &o, &problems);
}

/* The option's words for the table's first column. */
static void print_form(FILE *out, const struct option_def *d)
{
    switch (d->type) {
    case OPTION_FLAG: fprintf(out, "`%s`", d->name); break;
    case OPTION_TEXT: fprintf(out, "`%s`, `%s=%s`", d->name, d->name, d->values); break;
    case OPTION_NUMBER:
    case OPTION_CHOICE:
    case OPTION_ENUM:
        fprintf(out, "`%s=", d->name);
        for (const char *c = d->values; *c != '\0'; c++)
            fputs(*c == '|' ? "\\|" : (char[]){*c, '\0'}, out);
        fputs("`", out);
        break;
    }
}

static void print_default(FILE *out, const struct option_def *d)
{
    switch (d->type) {
    case OPTION_FLAG: fputs("off", out); break;
    case OPTION_TEXT: fputs("absent", out); break;
    case OPTION_CHOICE:
    case OPTION_ENUM:
        fprintf(out, d->default_text != NULL ? "`%s`" : "absent",
                d->default_text != NULL ? d->default_text : "");
        break;
    case OPTION_NUMBER:
        if (d->default_text != NULL)
            fprintf(out, "`%s` (or ", d->default_text);
        else if (d->default_number != 0)
            fprintf(out, "%llu (", (unsigned long long)d->default_number);
        else
            fputs("absent (", out);
        fprintf(out, "%llu to %llu)", (unsigned long long)d->min, (unsigned long long)d->max);
        break;
    }
}

static void print_table(FILE *out)
{
    fputs("| option | default | read by | meaning |\n", out);
    fputs("|--------|---------|---------|---------|\n", out);
    for (size_t i = 0; i < option_count; i++) {
        const struct option_def *d = &option_table[i];
        fputs("| ", out);
        print_form(out, d);
        fputs(" | ", out);
        print_default(out, d);
        fprintf(out, " | `%s` | %s |\n", d->used_by, d->help);
    }
}

#define BEGIN_MARK                                                                                 \
    "<!-- options: begin (generated from kernel/boot/options.c by make readme-options) -->\n"
#define END_MARK "<!-- options: end -->\n"

/* README.md's table as it is, and as the table says it should be. */
static bool readme_matches(char *why, size_t why_len)
{
    static char readme[1 << 17], want[1 << 15];
    FILE *f = fopen(README_PATH, "r");
    if (f == NULL) {
        snprintf(why, why_len, "cannot open %s", README_PATH);
        return false;
    }
    size_t n = fread(readme, 1, sizeof(readme) - 1, f);
    fclose(f);
    readme[n] = '\0';
    const char *begin = strstr(readme, BEGIN_MARK);
    const char *end = begin != NULL ? strstr(begin, END_MARK) : NULL;
    if (begin == NULL || end == NULL) {
        snprintf(why, why_len, "README.md has no %.*s ... %.*s section",
                 (int)strlen(BEGIN_MARK) - 1, BEGIN_MARK, (int)strlen(END_MARK) - 1, END_MARK);
        return false;
    }
    begin += strlen(BEGIN_MARK);
    FILE *m = fmemopen(want, sizeof(want), "w");
    print_table(m);
    fclose(m);
    if ((size_t)(end - begin) != strlen(want) || strncmp(begin, want, strlen(want)) != 0) {
        snprintf(why, why_len,
                 "README.md's option table differs from kernel/boot/options.c's: "
                 "run make readme-options");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        print_table(stdout);
        return 0;
    }

    parse("");
    HCHECK("defaults",
           o.test == NULL && !o.bench && o.apic == APIC_REQUEST_AUTO &&
               o.barrier == IPI_BARRIER_AUTO && o.ipi_timeout_ms == 10000 &&
               o.barrier_spin_us == OPTION_AUTO && o.stress_calls == 100000 && o.inject == NULL &&
               o.expect_cpus == 0 && problems.count == 0,
           "problems %zu", problems.count);

    parse("test bench apic=x2apic ipi_timeout_ms=300 barrier=dissemination inject=hang");
    HCHECK("values_taken",
           o.test != NULL && o.test[0] == '\0' && o.bench && o.apic == APIC_REQUEST_X2APIC &&
               o.ipi_timeout_ms == 300 && o.barrier == IPI_BARRIER_DISSEMINATION &&
               strcmp(o.inject, "hang") == 0 && problems.count == 0,
           "problems %zu: %s", problems.count, problems.text[0]);

    parse("test=ipi. tset test_skip=a,b");
    HCHECK("unknown_option_is_reported_not_fatal",
           strcmp(o.test, "ipi.") == 0 && strcmp(o.test_skip, "a,b") == 0 && problems.count == 1 &&
               strstr(problems.text[0], "\"tset\"") != NULL &&
               strstr(problems.text[0], "known: test test_skip bench") != NULL,
           "problems %zu: %s", problems.count, problems.text[0]);

    parse("stress_calls=-5 ap_timeout_ms=0 ipi_timeout_ms=99999999999999999999 stress_ms=12x");
    HCHECK("bad_numbers_keep_their_defaults",
           o.stress_calls == 100000 && o.ap_timeout_ms == 10000 && o.ipi_timeout_ms == 10000 &&
               o.stress_ms == 5000 && problems.count == 4 &&
               strstr(problems.text[0], "stress_calls=-5 is not a number from 1 to") != NULL,
           "problems %zu: %s", problems.count, problems.text[0]);

    parse("barrier_spin_us=7");
    HCHECK("a_number_or_auto_takes_a_number", o.barrier_spin_us == 7 && problems.count == 0,
           "got %llu", (unsigned long long)o.barrier_spin_us);
    parse("barrier_spin_us=0");
    HCHECK("a_number_or_auto_takes_0", o.barrier_spin_us == 0 && problems.count == 0, "got %llu",
           (unsigned long long)o.barrier_spin_us);
    parse("barrier_spin_us=9 barrier_spin_us=auto");
    HCHECK("a_number_or_auto_takes_auto", o.barrier_spin_us == OPTION_AUTO && problems.count == 0,
           "got %llu", (unsigned long long)o.barrier_spin_us);
    parse("barrier_spin_us=soon");
    HCHECK("a_number_or_auto_refuses_a_word_and_keeps_auto",
           o.barrier_spin_us == OPTION_AUTO && problems.count == 1 &&
               strstr(problems.text[0], "barrier_spin_us=soon is neither auto nor a number") !=
                   NULL,
           "problems %zu: %s", problems.count, problems.text[0]);

    parse("apic=x3apic inject=nope barrier");
    HCHECK("bad_choices_keep_their_defaults",
           o.apic == APIC_REQUEST_AUTO && o.inject == NULL && o.barrier == IPI_BARRIER_AUTO &&
               problems.count == 3 &&
               strstr(problems.text[0], "apic=x3apic is not one of auto|xapic|x2apic") != NULL,
           "problems %zu: %s", problems.count, problems.text[0]);

    /* An ENUM option keeps its value's place in the values list, which must
     * be the enumerator's value: the values and the enum are checked
     * against each other here, each enumerator by name. */
    static const struct {
        const char *option, *value;
        unsigned want;
    } enums[] = {
        {"apic", "auto", APIC_REQUEST_AUTO},
        {"apic", "xapic", APIC_REQUEST_XAPIC},
        {"apic", "x2apic", APIC_REQUEST_X2APIC},
        {"ap_start", "parallel", CPU_START_PARALLEL},
        {"ap_start", "serial", CPU_START_SERIAL},
        {"ap_start", "fast", CPU_START_FAST},
        {"tsc_source", "auto", CLOCK_AUTO},
        {"tsc_source", "cpuid", CLOCK_CPUID},
        {"tsc_source", "pit", CLOCK_PIT},
        {"tsc_source", "hpet", CLOCK_HPET},
        {"tsc_source", "pm_timer", CLOCK_PM_TIMER},
        {"reset", "auto", RESET_AUTO},
        {"reset", "acpi", RESET_ACPI},
        {"reset", "cf9", RESET_CF9},
        {"reset", "keyboard", RESET_KEYBOARD},
        {"idle", "hlt", IDLE_HLT},
        {"idle", "mwait", IDLE_MWAIT},
        {"idle", "poll", IDLE_POLL},
        {"end", "auto", END_AUTO},
        {"end", "halt", END_HALT},
        {"end", "reboot", END_REBOOT},
        {"barrier", "auto", IPI_BARRIER_AUTO},
        {"barrier", "central", IPI_BARRIER_CENTRAL},
        {"barrier", "dissemination", IPI_BARRIER_DISSEMINATION},
        {"ipi_delivery", "auto", IPI_DELIVERY_AUTO},
        {"ipi_delivery", "each", IPI_DELIVERY_EACH},
    };
    size_t enum_options = 0, listed = sizeof(enums) / sizeof(enums[0]);
    for (size_t i = 0; i < option_count; i++)
        if (option_table[i].type == OPTION_ENUM)
            for (int k = 0; k < 32; k++) {
                char name[32];
                option_value_name(option_table[i].name, (unsigned)k, name, sizeof(name));
                enum_options += strcmp(name, "?") != 0;
            }
    for (size_t i = 0; i < listed; i++) {
        const struct option_def *d = option_find(enums[i].option);
        char line[64], name[32];
        snprintf(line, sizeof(line), "%s=%s", enums[i].option, enums[i].value);
        parse(line);
        unsigned got = d != NULL ? *(const unsigned *)((const char *)&o + d->offset) : ~0u;
        option_value_name(enums[i].option, enums[i].want, name, sizeof(name));
        char case_name[96];
        snprintf(case_name, sizeof(case_name), "enum_value_%s_%s_is_its_enumerator",
                 enums[i].option, enums[i].value);
        HCHECK(case_name,
               d != NULL && d->type == OPTION_ENUM && got == enums[i].want &&
                   strcmp(name, enums[i].value) == 0 && problems.count == 0,
               "%s: kept %u, want %u; the enumerator's name is \"%s\"", line, got, enums[i].want,
               name);
    }
    HCHECK("every_enum_value_is_checked", enum_options == listed,
           "%zu values of ENUM options, %zu checked here", enum_options, listed);

    parse("bench=yes");
    HCHECK("flag_with_a_value_is_reported", o.bench && problems.count == 1, "problems %zu",
           problems.count);

    parse("barrier=central barrier=dissemination");
    HCHECK("last_occurrence_wins", o.barrier == IPI_BARRIER_DISSEMINATION && problems.count == 0,
           "got %u", (unsigned)o.barrier);

    parse("a b c d e f g h i j k");
    HCHECK("problems_counted_past_the_kept_ones", problems.count == 11, "count %zu",
           problems.count);

    bool documented = true, typed = true;
    for (size_t i = 0; i < option_count; i++) {
        const struct option_def *d = &option_table[i];
        documented &= d->help != NULL && d->help[0] != '\0' && d->used_by != NULL;
        typed &= d->type == OPTION_FLAG || d->values != NULL;
        typed &=
            d->type != OPTION_NUMBER ||
            (d->min <= d->max && (d->default_number == 0 ||
                                  (d->default_text != NULL && d->default_number == OPTION_AUTO &&
                                   d->max < OPTION_AUTO) ||
                                  (d->default_number >= d->min && d->default_number <= d->max)));
    }
    HCHECK("every_option_has_help_and_a_reader", documented, "an option lacks help or used_by");
    HCHECK("every_option_has_its_form_and_a_default_in_range", typed, "see the table");

    char why[200] = "";
    HCHECK("readme_table_matches_the_options_table", readme_matches(why, sizeof(why)), "%s", why);
    return htest_finish();
}
