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
#include <stdint.h>

/* Colours say what a line means; a screen picks what they look like and
 * the serial port ignores them (it stays plain text for tools). */
enum console_colour {
    COLOUR_NORMAL,
    COLOUR_PASS,  /* a test that passed, a good result */
    COLOUR_FAIL,  /* a failure, a crash */
    COLOUR_NOTE,  /* skipped, or worth a look */
    COLOUR_TITLE, /* a heading */
};

struct console {
    const char *name;
    /* Writes n bytes; '\n' is a newline (the device adds '\r' if it needs). */
    void (*write)(const char *s, size_t n);
    /* Optional (screens): the colour of the text written from now on, and
     * an empty screen with the cursor at the top left. */
    void (*set_colour)(enum console_colour colour);
    void (*clear)(void);
    struct console *next;
};

void console_register(struct console *c);

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);

/* kprintf in a colour, on the screens that have colours: one call, so the
 * colour cannot leak into another CPU's text. */
int kprintf_colour(enum console_colour colour, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empties every screen (the serial log keeps everything): the summary at
 * the end of a run starts on a clean page and stays readable. */
void console_clear_screens(void);

/* From now on kprintf serialises on a lock of its own that no CPU held
 * before: a CPU stopped (by NMI, or stuck) while holding the ordinary lock
 * cannot hold up the panic or timeout report. Called by the CPU that
 * starts such a report. */
void console_enter_panic_mode(void);

/* From now on kprintf takes no lock at all: for an error raised inside the
 * report itself, whose CPU may hold the panic lock. */
void console_drop_locks(void);

/* Self-test support: takes the ordinary lock and keeps it (never
 * released), as a CPU that stops in the middle of printing would. */
void console_hold_lock_forever(void);

/* Prints each warning the log kept as a "warning:" line, then how many
 * more there were. */
struct warning_log;
void console_print_warnings(const struct warning_log *log);

#endif
