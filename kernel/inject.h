/*
 * inject.h - deliberate failures (command-line option inject=...), so that
 * the test runner's handling of failing, crashing and hanging kernels is
 * itself tested.
 */
#ifndef KERNEL_INJECT_H
#define KERNEL_INJECT_H

#include <stdbool.h>

/* Performs the named failure; returns only for "test-fail" (a self-test
 * fails instead) or an unknown name (after a warning). */
void inject_fault(const char *what);

/* True when inject=<what> is on the command line. The failures that act
 * later in the boot (bad-madt, phantom-cpu) are asked for this way. */
bool inject_requested(const char *what);

/* The failures that need the other CPUs: stuck-cpu (one CPU spins with
 * interrupts off, then a rendezvous is called) and irql-misuse. */
void inject_after_smp(void);

/* Recurses, 256 bytes of stack a level, until depth reaches limit: with a
 * huge limit it runs into the stack's guard page. */
unsigned inject_recurse(unsigned depth, unsigned limit);

#endif
