/*
 * stop.h - ending the machine after a fatal error, with one CPU in charge.
 *
 * A panic, an unexpected exception and a rendezvous timeout all end the
 * machine, and several can happen at once: a worker that faults on every
 * CPU, a panic on a CPU that another CPU's timeout is giving up on. The
 * first CPU to claim the stop owns it: it reports, stops the others and
 * ends the machine (stop_machine). A CPU that comes later does not print
 * and is not stopped by the owner: it keeps a one-line reason, which the
 * owner prints, and waits. If the owner prints nothing for STOP_SILENCE_MS
 * (it was stopped or hangs), the waiting CPU stops the others and ends the
 * machine itself, so whatever the order of faults, the machine ends within
 * a bound. An error inside the owner's own report is said in one line; a
 * second one ends the machine without a word.
 */
#ifndef KERNEL_STOP_H
#define KERNEL_STOP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* How long the owner may print nothing before a waiting CPU ends the
 * machine itself: longer than any silent step of a report (an NMI's
 * answer is awaited 1 s; the stop of the others, 1 s). */
#define STOP_SILENCE_MS 5000

enum stop_role {
    STOP_OWNER,       /* this CPU now owns the stop: report, then stop_machine() */
    STOP_OWNER_AGAIN, /* it already did: an error inside its own report (once) */
};

/* Claims the stop, with interrupts off from here on. Returns to the owner
 * only (with the console in panic mode); any other CPU keeps the reason,
 * given as printf text, and waits as said above: it never returns. */
enum stop_role stop_claim(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum stop_role stop_claim_v(const char *prefix, const char *fmt, va_list ap);

/* The console calls it for each line it prints in panic mode: the owner's
 * lines are what a waiting CPU watches. */
void stop_note_output(void);
/* True if CPU `index` is waiting for another CPU's stop; *why gets its reason. */
bool stop_cpu_is_waiting(uint32_t index, const char **why);

/* The owner's end: the worker it was in, every other CPU stopped, the
 * waiting CPUs' reasons, "kernel stopped.", then the end (stop_end). */
noreturn void stop_machine(void);

/* The end itself: in test mode the virtual machine exits with the crash
 * status; otherwise the CPU halts for good. */
noreturn void stop_end(void);

#endif
