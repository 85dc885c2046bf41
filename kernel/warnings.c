/*
 * warnings.c - the bounded warning log (see warnings.h).
 */
#include "kernel/warnings.h"

#include "lib/format.h"

#include <stdarg.h>

void warning_add(struct warning_log *log, const char *fmt, ...)
{
    if (log->count < WARNINGS_KEPT) {
        va_list ap;
        va_start(ap, fmt);
        fmt_vsnprintf(log->text[log->count], WARNING_LENGTH, fmt, ap);
        va_end(ap);
    }
    log->count++;
}
