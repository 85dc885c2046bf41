/*
 * arch_test.h - what the architecture offers self-tests and fault
 * injection only. tests/ and kernel/diag/inject.c include it; the rest of
 * kernel/ must not (tools/check_layering.py holds it to that).
 */
#ifndef KERNEL_DIAG_ARCH_TEST_H
#define KERNEL_DIAG_ARCH_TEST_H

#include "kernel/arch.h"

/* Fills pcs[] with the return addresses of the current call chain (newest
 * first, starting with the caller's caller); returns how many. */
size_t arch_backtrace(uintptr_t *pcs, size_t max);

/*
 * Runs fn(arg) and catches any CPU exception it raises, like a tiny setjmp:
 * returns -1 if fn returned normally, else the exception vector, with the
 * details in *fault. The stack is reset to where arch_try_call was called, so
 * fn must hold no locks. Self-tests use it to prove faults are reported.
 * Every CPU may be inside one at once, and one may be made inside another
 * (from an interrupt handler, say): a fault goes to the innermost of its
 * own CPU's. An exception raised by an interrupt handler that interrupted
 * fn is not fn's: it is reported and stops the kernel.
 */
struct arch_fault {
    uint32_t vector;
    uint64_t error_code;
    uintptr_t pc;         /* the faulting instruction */
    uintptr_t fault_addr; /* CR2 for page faults */
    uintptr_t handler_sp; /* where the handler's frame was: proves IST use */
};
int arch_try_call(void (*fn)(void *), void *arg, struct arch_fault *fault);

/* The stack the double-fault handler runs on (self-tests check it is used). */
void arch_double_fault_stack(uintptr_t *lo, uintptr_t *hi);

/* Counts breakpoints taken and resumed (int3): a resumable exception. */
uint64_t arch_breakpoint_count(void);
void arch_breakpoint(void);

/* Page-table queries. */
bool arch_page_is_mapped(uintptr_t va);
bool arch_page_is_writable(uintptr_t va);
bool arch_page_is_executable(uintptr_t va);
bool arch_has_nx(void);

/* Address of the boot stack's guard page (unmapped). */
uintptr_t arch_boot_stack_guard(void);

/* Spurious interrupts taken so far (all CPUs). */
uint64_t arch_spurious_interrupts(void);

/* Executes an instruction the CPU does not know (x86: ud2). */
void arch_test_invalid_opcode(void);

/* The timer's rate, for the self-tests that check it against the cycle
 * counter. */
uint64_t arch_timer_ticks_per_ms(void);

/* The highest hardware number (x86: APIC ID) an IPI can reach in the
 * interrupt controller's mode. */
uint32_t arch_hw_id_max(void);

/* Gives this CPU a new hardware number (x86: writes its xAPIC ID
 * register), as firmware that renumbers the CPUs does; false where the
 * hardware does not allow it (x2APIC mode). For inject=renumbered-boot-cpu. */
bool arch_test_set_hw_id(uint32_t id);

/* Puts the interrupt controller in its extended mode (x86: x2APIC) before
 * arch_apic_init, as the firmware of many new PCs does; false (nothing
 * changed) where the CPU has no such mode. For firmware_x2apic. */
bool arch_test_firmware_enables_extended_apic(void);

/* Makes arch_cpus_start_prepare find no free memory where a starting CPU
 * can begin (x86: below 1 MiB), as on a machine whose firmware used it
 * all. For inject=no-low-memory. */
void arch_test_withhold_low_memory(void);

/* Sends this CPU an NMI through its interrupt controller, before any CPU
 * table exists (inject=early-nmi); false if it could not be sent. */
bool arch_test_nmi_to_self(void);

/* A register each CPU has its own copy of and the kernel does not otherwise
 * use (x86: IA32_KERNEL_GS_BASE), for the "write an MSR everywhere" test. */
void arch_scratch_msr_write(uint64_t value);
uint64_t arch_scratch_msr_read(void);

/* A page-sized window whose mapping can be changed, for the TLB
 * shoot-down tests: maps it to phys (no TLB flush anywhere); returns its
 * address. */
uintptr_t arch_test_window_map(uint64_t phys);

/* What arch_tlb_flush_page did on one CPU since the last reset: how many
 * pages it flushed, and the lowest and highest of them (for the tlb.
 * self-tests, which check that a shoot-down reached every CPU it should,
 * for the right pages, and no other). */
struct arch_tlb_flush_record {
    uint64_t flushes;
    uintptr_t lowest;
    uintptr_t highest;
};
struct arch_tlb_flush_record arch_test_tlb_flushes(uint32_t cpu);
void arch_test_tlb_flushes_reset(void); /* call while no flush is under way */

/* This CPU's counts of the accesses a hypervisor without APIC
 * virtualisation traps: task-priority (CR8) writes and interrupt-controller
 * register accesses. The rendezvous' self-tests hold its path to them. */
struct arch_access_counts {
    uint64_t priority_writes;
    uint64_t controller_accesses;
};
struct arch_access_counts arch_test_access_counts(void);

/* The task priority the hardware holds right now (x86: CR8 itself), which
 * may lag arch_task_priority() while interrupts are off. */
unsigned arch_test_programmed_priority(void);

/* Deliberate failures, for checking that the test runner notices them. */
noreturn void arch_triple_fault(void);

#endif
