/*
 * console.c - fan-out of kernel output to the registered devices.
 *
 * One lock keeps each kprintf call's text in one piece when several CPUs
 * print. Its wait is bounded: if the holder is stuck (it crashed while
 * printing, or this CPU re-entered from an exception), the output goes out
 * anyway, since a garbled report beats a silent one. A panic or timeout
 * report switches to a second lock (console_enter_panic_mode), so it does
 * not even wait for that bound when the stuck CPU holds the first.
 */
#include "kernel/console.h"
#include "kernel/stop.h"
#include "kernel/warnings.h"

#include "kernel/arch.h"
#include "kernel/smp/spinlock.h"
#include "lib/format.h"
#include "lib/string.h"

#define CONSOLE_LOCK_SPINS 20000000u

static struct console *consoles;
static struct spinlock console_lock = SPINLOCK_INIT;
static struct spinlock panic_lock = SPINLOCK_INIT;
enum { ORDINARY, PANIC_LOCK, NO_LOCK };
static uint32_t panic_mode; /* one of the three (atomic) */

void console_enter_panic_mode(void)
{
    uint32_t expected = ORDINARY;
    __atomic_compare_exchange_n(&panic_mode, &expected, PANIC_LOCK, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
}

void console_drop_locks(void) { __atomic_store_n(&panic_mode, NO_LOCK, __ATOMIC_RELEASE); }

void console_hold_lock_forever(void)
{
    while (!spin_lock_bounded(&console_lock, CONSOLE_LOCK_SPINS)) {
    }
}

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

static void set_colours(enum console_colour colour)
{
    for (struct console *c = consoles; c != NULL; c = c->next)
        if (c->set_colour != NULL)
            c->set_colour(colour);
}

static int print_locked(enum console_colour colour, const char *fmt, va_list ap)
{
    /* Interrupts off while holding it: a handler that prints on this CPU
     * would otherwise wait for itself. */
    bool was_enabled = arch_interrupts_save_disable();
    uint32_t mode = __atomic_load_n(&panic_mode, __ATOMIC_ACQUIRE);
    struct spinlock *lock = mode == ORDINARY ? &console_lock : &panic_lock;
    bool locked = mode != NO_LOCK && spin_lock_bounded(lock, CONSOLE_LOCK_SPINS);
    if (colour != COLOUR_NORMAL)
        set_colours(colour);
    int n = format_v(console_sink, NULL, fmt, ap);
    if (colour != COLOUR_NORMAL)
        set_colours(COLOUR_NORMAL);
    if (locked)
        spin_unlock(lock);
    if (mode != ORDINARY)
        stop_note_output(); /* a sign of life, if this CPU owns the stop */
    arch_interrupts_restore(was_enabled);
    return n;
}

int kvprintf(const char *fmt, va_list ap) { return print_locked(COLOUR_NORMAL, fmt, ap); }

int kprintf_colour(enum console_colour colour, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = print_locked(colour, fmt, ap);
    va_end(ap);
    return n;
}

void console_clear_screens(void)
{
    bool was_enabled = arch_interrupts_save_disable();
    bool locked = spin_lock_bounded(&console_lock, CONSOLE_LOCK_SPINS);
    for (struct console *c = consoles; c != NULL; c = c->next)
        if (c->clear != NULL)
            c->clear();
    if (locked)
        spin_unlock(&console_lock);
    arch_interrupts_restore(was_enabled);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

void console_print_warnings(const struct warning_log *log)
{
    for (size_t i = 0; i < log->count && i < WARNINGS_KEPT; i++)
        kprintf("warning: %s\n", log->text[i]);
    if (log->count > WARNINGS_KEPT)
        kprintf("warning: ... and %zu more\n", log->count - WARNINGS_KEPT);
}
