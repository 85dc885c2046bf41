/*
 * warnings.h - a bounded log of warnings, for the code that finds problems
 * before it can print them (the boot information, the MADT, the options)
 * or that the host tests run without a console. Each warning is one line.
 */
#ifndef KERNEL_WARNINGS_H
#define KERNEL_WARNINGS_H

#include <stddef.h>

#define WARNINGS_KEPT 8
#define WARNING_LENGTH 256

struct warning_log {
    size_t count; /* all warnings added; only the first WARNINGS_KEPT are kept */
    char text[WARNINGS_KEPT][WARNING_LENGTH];
};

void warning_add(struct warning_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
