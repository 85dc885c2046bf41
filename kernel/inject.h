/*
 * inject.h - deliberate failures (command-line option inject=...), so that
 * the test runner's handling of failing, crashing and hanging kernels is
 * itself tested.
 */
#ifndef KERNEL_INJECT_H
#define KERNEL_INJECT_H

#include <stdbool.h>
#include <stdint.h>

/* Performs the named failure (one of option inject='s values). Returns for
 * the failures that act later (test-fail, bad-madt, phantom-cpu,
 * stuck-cpu, stuck-cpu-printing, irql-misuse), or after a warning for a
 * name it does not know. */
void inject_fault(const char *what);

/* True when the kernel booted with inject=<what>. The failures that act
 * later in the boot ask this way. */
bool inject_requested(const char *what);

/* The deliberate faults, named so that reports can be checked for them:
 * a write through a local array onto its stack canary, and a signed
 * addition of big to itself. */
unsigned inject_smash_stack(void);
int inject_signed_overflow(volatile int big);

/* inject=renumbered-boot-cpu: before the CPUs are counted, gives the boot
 * CPU an APIC ID its CPUID does not report, and the MADT's copy the same
 * (firmware that renumbers the CPUs changes both). */
struct madt_info;
void inject_before_smp(struct madt_info *madt);

/* inject=late-ap: called by an AP before it checks in; the chosen one
 * waits past its start-up deadline first. */
void inject_before_check_in(uint32_t cpu_index);

/* The failures that need the other CPUs: stuck-cpu (one CPU spins with
 * interrupts off, then a rendezvous is called) and irql-misuse. */
void inject_after_smp(void);

/* inject=panic-racing-timeout and panic-during-calls: called by the CPU that owns the stop
 * (kernel/stop.c) before it stops the others; holds it, bounded, until
 * another CPU has come to stop the kernel too. Returns at once otherwise. */
void inject_hold_the_stop(void);

/* Recurses, 256 bytes of stack a level, until depth reaches limit: with a
 * huge limit it runs into the stack's guard page. */
unsigned inject_recurse(unsigned depth, unsigned limit);

#endif
