/*
 * panic.c - the kernel's single way to stop on an error.
 *
 * The stop itself belongs to kernel/stop.c: a panic claims it first, so a
 * second error elsewhere (another CPU's panic, a rendezvous timeout) waits
 * for this report instead of interrupting it.
 */
#include "kernel/panic.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/smp/smp.h"
#include "kernel/stop.h"

#include <stdarg.h>
#include <stdint.h>

static void print_message(const char *title, const char *file, int line, const char *fmt,
                          va_list ap)
{
    kprintf_colour(COLOUR_FAIL, "\n%s", title);
    kvprintf(fmt, ap);
    int cpu = smp_this_cpu_index();
    if (cpu >= 0)
        kprintf("\n  on CPU %d at %s:%d\n", cpu, file, line);
    else
        kprintf("\n  at %s:%d (before the CPUs were counted)\n", file, line);
}

static noreturn void report_and_stop(const char *file, int line, const char *fmt, va_list ap)
{
    print_message("PANIC: ", file, line, fmt, ap);
    arch_print_caller_backtrace(); /* starting where panic() was called */
    stop_machine();
}

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap, why;
    va_start(ap, fmt);
    va_copy(why, ap);
    enum stop_role role = stop_claim_v("panic: ", fmt, why);
    va_end(why);
    if (role == STOP_OWNER_AGAIN) {
        /* Raised by the report itself: say so briefly, without the locks
         * the report may hold, and end at once. */
        console_drop_locks();
        print_message("PANIC while this CPU was already stopping the kernel: ", file, line, fmt,
                      ap);
        stop_end();
    }
    report_and_stop(file, line, fmt, ap);
}

noreturn void panic_claimed_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_and_stop(file, line, fmt, ap);
}
