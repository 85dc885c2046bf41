/*
 * console.h - kernel text output.
 *
 * Output devices (the serial port, the VGA text screen) register a write
 * function; kprintf formats once and hands the text to each of them.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

struct console {
    const char *name;
    /* Writes n bytes; '\n' is a newline (the device adds '\r' if it needs). */
    void (*write)(const char *s, size_t n);
    struct console *next;
};

void console_register(struct console *c);

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
void kputs(const char *s);

#endif
