/*
 * options.h - every command-line option the kernel knows, in one typed
 * table (options.c), parsed once at boot into struct options. kmain()
 * hands each subsystem its settings from there; README.md's option table
 * is generated from the same table (make readme-options) and checked
 * against it in make test.
 */
#ifndef KERNEL_BOOT_OPTIONS_H
#define KERNEL_BOOT_OPTIONS_H

#include "kernel/arch.h"
#include "kernel/boot/cmdline.h"
#include "kernel/finish.h"
#include "kernel/smp/ipi.h"
#include "kernel/warnings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum option_type {
    OPTION_FLAG,   /* "name": a bool, true when present */
    OPTION_TEXT,   /* "name=text" (or bare "name": ""); NULL when absent. Text and
                    * choices point into the parsed struct cmdline. */
    OPTION_CHOICE, /* "name=one of values"; the default (may be NULL) when absent */
    OPTION_ENUM,   /* "name=one of values", kept as the value's place in values
                    * (0 for the first), which is its enum's value: an unsigned
                    * field of an enum type, the default's place when absent */
    OPTION_NUMBER, /* "name=<decimal in [min, max]>" (cmdline_u64's rule); where
                    * default_text is "auto", also "name=auto": OPTION_AUTO */
};

#define OPTION_AUTO UINT64_MAX /* a NUMBER option's value "auto": the kernel measures it */

struct option_def {
    const char *name;
    enum option_type type;
    const char *values;       /* CHOICE: "a|b|c"; TEXT, NUMBER: the form, for the help */
    const char *default_text; /* TEXT, CHOICE; NUMBER: "auto" if it takes auto (its default) */
    uint64_t default_number;  /* NUMBER */
    uint64_t min, max;        /* NUMBER */
    size_t offset;            /* of its field in struct options */
    const char *used_by;      /* the code that reads it */
    const char *help;
};

/* The settings, one field per option (names as on the command line). */
struct options {
    const char *test; /* ktest: NULL, or a suite.name prefix ("": all) */
    const char *test_skip;
    bool bench;
    const char *inject;
    enum apic_request apic;
    enum cpu_start_mode ap_start;
    uint64_t ap_timeout_ms;
    enum clock_source tsc_source;
    uint64_t maxcpus; /* 0: no limit */
    bool verbose;
    enum end_action end;
    uint64_t reboot_delay_s;
    enum reset_way reset;
    bool firmware_x2apic;
    enum ipi_barrier barrier;
    uint64_t ipi_timeout_ms;
    uint64_t barrier_spin_us;
    enum ipi_delivery ipi_delivery;
    enum idle_mode idle;
    uint64_t stress_calls;
    uint64_t stress_ms;
    uint64_t expect_cpus; /* 0: not given */
    bool expect_no_acpi;
    const char *expect_apic;
    const char *expect_loader;
    const char *expect_firmware;
    const char *expect_clock;
    bool acpi_dump;
    bool trace;
};

/* The place of value in values ("a|b|c": a is 0), or -1 when it is not
 * one of them. An ENUM option's value is its place. */
int option_value_index(const char *values, const char *value);

/* Copies the name of an ENUM option's value (its place: index) into out,
 * "?" if it has no such value. */
void option_value_name(const char *option, unsigned index, char *out, size_t size);

/* The option named name, or NULL. */
const struct option_def *option_find(const char *name);

extern const struct option_def option_table[];
extern const size_t option_count;

/* Fills *out: every default, then what cl says. An unknown option, or a
 * value that is not of its option's form, is left out (the default stays)
 * and noted in *problems, one line each naming what would have been
 * accepted. Prints nothing: it runs before the console exists. */
void options_parse(const struct cmdline *cl, struct options *out, struct warning_log *problems);

/* The options the kernel booted with (filled once by kmain). */
extern struct options boot_options;

#endif
