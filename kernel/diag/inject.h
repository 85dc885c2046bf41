/*
 * inject.h - deliberate failures (command-line option inject=...), so that
 * the test runner's handling of failing, crashing and hanging kernels is
 * itself tested.
 */
#ifndef KERNEL_DIAG_INJECT_H
#define KERNEL_DIAG_INJECT_H

#include <stdbool.h>
#include <stdint.h>

/* Every failure inject= can ask for, in one list: its name in C and its
 * value on the command line (options.c takes the option's values from
 * here). inject_start's switch says when each acts: at once, or where a
 * step of the boot asks inject_requested for it. */
#define INJECT_KINDS(X)                                                                            \
    X(INJECT_TEST_FAIL, "test-fail")                                                               \
    X(INJECT_PANIC, "panic")                                                                       \
    X(INJECT_STACK_OVERFLOW, "stack-overflow")                                                     \
    X(INJECT_TRIPLE_FAULT, "triple-fault")                                                         \
    X(INJECT_HANG, "hang")                                                                         \
    X(INJECT_BAD_MADT, "bad-madt")                                                                 \
    X(INJECT_PHANTOM_CPU, "phantom-cpu")                                                           \
    X(INJECT_STUCK_CPU, "stuck-cpu")                                                               \
    X(INJECT_STUCK_CPU_PRINTING, "stuck-cpu-printing")                                             \
    X(INJECT_IRQL_MISUSE, "irql-misuse")                                                           \
    X(INJECT_NO_LOW_MEMORY, "no-low-memory")                                                       \
    X(INJECT_STACK_SMASH, "stack-smash")                                                           \
    X(INJECT_UNDEFINED_BEHAVIOUR, "undefined-behaviour")                                           \
    X(INJECT_LATE_AP, "late-ap")                                                                   \
    X(INJECT_STUCK_IN_WORKER, "stuck-in-worker")                                                   \
    X(INJECT_WORKER_PAGE_FAULT, "worker-page-fault")                                               \
    X(INJECT_WORKER_INVALID_OPCODE, "worker-invalid-opcode")                                       \
    X(INJECT_PANIC_IN_WORKER, "panic-in-worker")                                                   \
    X(INJECT_LOST_IPI, "lost-ipi")                                                                 \
    X(INJECT_WORKER_FAULT_IN_TRY_CALL, "worker-fault-in-try-call")                                 \
    X(INJECT_PANIC_RACING_TIMEOUT, "panic-racing-timeout")                                         \
    X(INJECT_PANIC_DURING_CALLS, "panic-during-calls")                                             \
    X(INJECT_WORKER_FAULT_ON_EVERY_CPU, "worker-fault-on-every-cpu")                               \
    X(INJECT_FAULT_IN_KPRINTF, "fault-in-kprintf")                                                 \
    X(INJECT_RENUMBERED_BOOT_CPU, "renumbered-boot-cpu")                                           \
    X(INJECT_EARLY_NMI, "early-nmi")

enum inject_kind {
    INJECT_NONE,
#define INJECT_KIND_ENUM(kind, name) kind,
    INJECT_KINDS(INJECT_KIND_ENUM)
#undef INJECT_KIND_ENUM
};

/* "test-fail|panic|...": the values of option inject=, for its table. */
#define INJECT_KIND_VALUE(kind, name) "|" name
#define INJECT_VALUES (&("" INJECT_KINDS(INJECT_KIND_VALUE))[1])

/* Performs the failure inject= names if it is one that acts at once (a
 * panic, a fault, a hang); returns for the others, which act where the
 * boot comes to what they break, asking inject_requested. options_parse
 * lets through only the names above. */
void inject_now(void);

/* True when the kernel booted with inject=<kind>. */
bool inject_requested(enum inject_kind kind);

/* The failure's name on the command line ("" for INJECT_NONE). */
const char *inject_name(enum inject_kind kind);

/* The deliberate faults, named so that reports can be checked for them:
 * a write through a local array onto its stack canary, and a signed
 * addition of big to itself. */
unsigned inject_smash_stack(void);
int inject_signed_overflow(volatile int big);

/* firmware_x2apic: plays the firmware of many new PCs, which leaves the
 * interrupt controller in its extended mode (x2APIC); false where the CPU
 * has none. Before anything looks at the controller. */
bool inject_firmware_extended_apic(void);

/* Before the CPUs are counted. inject=renumbered-boot-cpu gives the boot
 * CPU an APIC ID its CPUID does not report, and the MADT's copy the same
 * (firmware that renumbers the CPUs changes both); no-low-memory hides the
 * free pages below 1 MiB from the AP start-up; early-nmi sends an NMI. */
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
