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

/* From now on kprintf serialises on a lock of its own that no CPU held
 * before: a CPU stopped (by NMI, or stuck) while holding the ordinary lock
 * cannot hold up the panic or timeout report. Called by the CPU that
 * starts such a report. */
void console_enter_panic_mode(void);

/* Self-test support: takes the ordinary lock and keeps it (never
 * released), as a CPU that stops in the middle of printing would. */
void console_hold_lock_forever(void);

/* Prints each warning the log kept as a "warning:" line, then how many
 * more there were. */
struct warning_log;
void console_print_warnings(const struct warning_log *log);

#endif
