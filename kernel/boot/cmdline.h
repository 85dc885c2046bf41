/*
 * cmdline.h - the kernel command line: words "name" or "name=value",
 * separated by spaces. This splits them; kernel/boot/options.h knows which
 * options there are and what their values mean.
 */
#ifndef KERNEL_BOOT_CMDLINE_H
#define KERNEL_BOOT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_OPTIONS 32
#define CMDLINE_BUFFER 512

struct cmdline_arg {
    const char *name;
    const char *value; /* NULL when written without '=' */
};

struct cmdline {
    char buffer[CMDLINE_BUFFER]; /* words are cut out of this copy */
    struct cmdline_arg args[CMDLINE_MAX_OPTIONS];
    size_t count;
    size_t dropped; /* words beyond CMDLINE_MAX_OPTIONS */
};

/* Splits line into arguments. A first word that looks like a file path (QEMU
 * and GRUB's multiboot 1 pass the kernel's own path first) is skipped. */
void cmdline_parse(struct cmdline *cl, const char *line);

/* The last occurrence of an option wins. */
const struct cmdline_arg *cmdline_find(const struct cmdline *cl, const char *name);
bool cmdline_has(const struct cmdline *cl, const char *name);
/* The value of name=value, or fallback when absent or given without a value. */
const char *cmdline_value(const struct cmdline *cl, const char *name, const char *fallback);

/* name=<decimal number>: true and *value set when present and a number
 * that fits in 64 bits; false (*value untouched) when absent or not such a
 * number, which the caller should say. */
bool cmdline_u64(const struct cmdline *cl, const char *name, uint64_t *value);

/* The command line the kernel booted with (set once by kmain). */
extern struct cmdline boot_cmdline;

#endif
