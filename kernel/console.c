/*
 * console.c - fan-out of kernel output to the registered devices.
 */
#include "kernel/console.h"

#include "lib/format.h"
#include "lib/string.h"

static struct console *consoles;

void console_register(struct console *c)
{
    c->next = consoles;
    consoles = c;
}

static void console_sink(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (struct console *c = consoles; c != NULL; c = c->next)
        c->write(s, n);
}

int kvprintf(const char *fmt, va_list ap)
{
    return format_v(console_sink, NULL, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

void kputs(const char *s)
{
    console_sink(NULL, s, strlen(s));
}
