/*
 * panic.h - stopping the kernel when something is wrong.
 *
 * panic() prints the message, where it was raised and a backtrace, then
 * stops: in test mode it ends the virtual machine with the crash status so
 * the test runner reports it at once instead of waiting for a timeout.
 * Interrupts are off from its first instruction on. If another CPU is
 * already stopping the kernel, the message becomes one line of that CPU's
 * report instead (kernel/stop.h).
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdnoreturn.h>

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* The same, for a CPU that has already claimed the stop (stop_claim) and
 * printed a report of its own first: the rendezvous timeout. */
noreturn void panic_claimed_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define panic_claimed(...) panic_claimed_at(__FILE__, __LINE__, __VA_ARGS__)

/* Asserts stay on in every build: a wrong kernel should stop, loudly. */
#define KASSERT(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            panic("assertion failed: %s", #cond);                                                  \
    } while (0)

#endif
