/*
 * arch.h - everything portable code needs from the architecture, in one place.
 *
 * kernel/ calls the machine only through these functions, in its own words:
 * CPUs (struct cpu, by index), CPU sets and IPI kinds. arch/x86_64/
 * implements them, and only it knows about APIC IDs, delivery modes,
 * start-up delays, trampolines, registers or ports. What exists only for
 * self-tests and fault injection is in kernel/diag/arch_test.h.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* The architecture's few compile-time facts (cache line size). */
#include "arch/x86_64/params.h"

struct boot_info;
struct cpu;
struct cpu_set;

/* Bring up the consoles the machine has (serial, VGA text). Runs first. */
void arch_console_init(const struct boot_info *bi);

/* Descriptor tables, exception handling and the kernel's page tables. */
void arch_init(void);

/* A readable pointer to physical memory [phys, phys + length), or NULL when
 * that range is not mapped (it may be used before arch_init). */
const void *arch_phys_to_virt(uint64_t phys, size_t length);
/* Physical memory below this is what arch_phys_to_virt reaches. */
uint64_t arch_phys_mapped_limit(void);

/* CPU vendor and model string, for the banner. */
const char *arch_cpu_vendor(void);

noreturn void arch_halt_forever(void);

/* Resets the machine: through the ACPI reset register where the FADT
 * names one (fadt may be NULL), else the platform's own ways (x86: port
 * 0xCF9, then the keyboard controller, then a triple fault); first is the
 * way to try before the others (RESET_AUTO: that order). Says which it
 * tries, so a machine that ignores one is seen to. */
enum reset_way { RESET_AUTO, RESET_ACPI, RESET_CF9, RESET_KEYBOARD };
struct acpi_fadt_info;
noreturn void arch_machine_reset(const struct acpi_fadt_info *fadt, enum reset_way first);
void arch_cpu_relax(void); /* body of every spin-wait loop */

/* A full fence: every load and store before it is globally visible
 * before any load or store after it (x86: MFENCE, SDM vol. 3A §9.2.2).
 * C11's __atomic_thread_fence(__ATOMIC_SEQ_CST) orders the same for
 * ordinary memory, but the compiler picks the instruction (gcc 12 emits a
 * locked OR to the stack); this is the fence instruction itself, for the
 * store-buffering self-test and the book (docs/book/07a-memory-ordering.md). */
void arch_full_fence(void);

/* How an idle CPU waits (option idle=): halted until an interrupt; in
 * monitor/mwait on the word that announces its work, which a write or an
 * interrupt ends; or polling with interrupts on (no wake-up latency, a
 * busy host core). arch_idle_set_mode is false when the CPU cannot. */
enum idle_mode { IDLE_HLT, IDLE_MWAIT, IDLE_POLL };
bool arch_idle_set_mode(enum idle_mode mode);
/* Waits for the next interrupt (or, in mwait, a write to *watch, which
 * may be NULL). Call with interrupts off; returns with them off. */
void arch_idle(const void *watch);
uint64_t arch_cycles(void); /* a free-running cycle counter */

/* Marks that bound an instruction count (make bench ACCEL=icount, whose
 * QEMU plugin counts what each CPU executes between them): from
 * figure_begin to figure_end on every CPU, and on the CPU that marks, only
 * between call_begin and call_end. Each is a call that does nothing else,
 * on a real CPU too. */
void arch_count_figure_begin(void);
void arch_count_figure_end(void);
void arch_count_call_begin(void);
void arch_count_call_end(void);
void arch_count_nothing(void *unused); /* one return: the harness's operation */

/* Ends the virtual machine with status (code << 1) | 1 through QEMU's
 * isa-debug-exit device. Returns (doing nothing) on a real PC. */
void arch_vm_exit(uint32_t code);

/* Prints a backtrace: pc first (an interrupted instruction, or a return
 * address, which is looked up as the call before it), then the chain of
 * callers that starts at frame pointer fp. */
void arch_print_backtrace_from(uintptr_t pc, bool pc_is_return_address, uintptr_t fp);

/* Prints the backtrace of the function that called the caller: what a
 * panic shows, starting where panic() was called. */
void arch_print_caller_backtrace(void);

/* ---- Memory ---- */

/* Physical bounds of the kernel image, .bss included. */
void arch_kernel_phys_range(uint64_t *lo, uint64_t *hi);

/* Drops the calling CPU's cached translation of the page holding va, global
 * page or not, and any cached upper-level entries that could lead to it
 * (x86: INVLPG, SDM vol. 3A §4.10.4.1). This CPU's only: a change to a page
 * table reaches another CPU's TLB only when that CPU flushes too (§4.10.5),
 * which kernel/smp/tlb.h's shoot-down arranges. */
void arch_tlb_flush_page(uintptr_t va);

/* Where a legacy BIOS keeps its extended data area (from the BIOS data area,
 * read before page 0 is unmapped), or 0. */
uint64_t arch_legacy_ebda_base(void);

/* ---- Time ---- */

/* The platform timers the firmware describes (ACPI FADT and HPET table). */
struct clock_sources {
    uint16_t pm_timer_port; /* the ACPI PM timer's I/O port, 0 if none */
    bool pm_timer_32bit;
    uint64_t hpet_base; /* the HPET's registers (physical), 0 if none */
};

/* Calibrates the cycle counter against source (CLOCK_AUTO: the best one
 * there is) and the local APIC timer. */
enum clock_source { CLOCK_AUTO, CLOCK_CPUID, CLOCK_PIT, CLOCK_HPET, CLOCK_PM_TIMER };
void arch_timing_init(enum clock_source source, const struct clock_sources *clocks);
uint64_t arch_cycles_per_second(void);
/* What calibrated it, in words ("PIT channel 2", "HPET", "ACPI PM timer",
 * "CPUID leaf 0x15", ...). */
const char *arch_cycles_source(void);
void arch_udelay(uint64_t microseconds); /* busy-waits, with pause */

/* ---- Processors ---- */

/* Chooses and enables the boot CPU's interrupt controller (x86: the local
 * APIC, in the mode requested: its older one, its extended one, or AUTO:
 * the best the CPU and firmware allow); controller_address comes from the
 * MADT (0: unknown); firmware_opts_out: the firmware asks the OS to keep
 * the controller in its older mode (ACPI DMAR). Returns false, after
 * saying why, when there is none usable: no IPIs, no timer interrupts,
 * one CPU. */
enum apic_request { APIC_REQUEST_AUTO, APIC_REQUEST_XAPIC, APIC_REQUEST_X2APIC };
bool arch_apic_init(enum apic_request requested, uint64_t controller_address,
                    bool firmware_opts_out);

const char *arch_apic_mode_name(void); /* the mode in force, as the smp: line says it */
bool arch_apic_present(void);          /* false: no IPIs, no timer interrupts */

/* The running CPU's hardware number (x86: its APIC ID, from CPUID), as the
 * MADT lists it. */
uint32_t arch_cpu_hw_id(void); /* ARCH_HW_ID_NAME (params.h) names it */

/* Points this CPU's per-CPU pointer at cpu (the boot CPU, index 0). */
void arch_cpu_setup_boot(struct cpu *cpu);

/* The CPU this code runs on. */
struct cpu *arch_this_cpu(void);

/* Everything starting other CPUs needs that is done once (x86: the start-up
 * code copied below 1 MiB). False, after saying why: start none. */
bool arch_cpus_start_prepare(const struct boot_info *bi);

/* How the other CPUs are started (ap_start=): one at a time with the
 * manual's delays (SERIAL), one at a time with the shorter ones modern
 * CPUs accept (FAST), or all at once with the manual's delays paid once
 * (PARALLEL: arch_cpus_start_parallel); and how long each gets to check
 * in before it is given up on. */
enum cpu_start_mode { CPU_START_PARALLEL, CPU_START_SERIAL, CPU_START_FAST };
struct cpu_start_options {
    enum cpu_start_mode mode;
    uint64_t timeout_ms;
};

/* Starts cpu (hw_id from the MADT), which runs smp_ap_entry(cpu) and there
 * marks itself CPU_ONLINE. Returns the state it ended in: CPU_ONLINE, or
 * why it was left out (CPU_NO_RESPONSE, CPU_UNADDRESSABLE, CPU_NO_MEMORY),
 * which a warning has then named. */
uint32_t arch_cpu_start(struct cpu *cpu, const struct cpu_start_options *options);

/* Starts cpus[0..count) all at once, with the manual's delays paid once
 * for all. Each ends in a state as above
 * (set in cpu->state); an online one's cpu->start_cycles says how long it
 * took from the first INIT. cpus must be consecutive struct cpus. */
void arch_cpus_start_parallel(struct cpu *cpus, size_t count,
                              const struct cpu_start_options *options);

/* The delays arch_cpu_start uses, in words, for the boot log. */
const char *arch_cpu_start_delays(enum cpu_start_mode mode);

void arch_interrupts_enable(void);
void arch_interrupts_disable(void);
bool arch_interrupts_enabled(void);
bool arch_interrupts_save_disable(void); /* returns whether they were enabled */
void arch_interrupts_restore(bool enabled);

/* ---- Interrupt priority and inter-processor interrupts ---- */

/* The task priority (x86: CR8), 0-15: interrupts whose vector >> 4 is not
 * above it are held back. kernel/smp/irql.h builds the IRQL model on it. */
unsigned arch_task_priority(void);
void arch_set_task_priority(unsigned priority);

/* The interrupts one CPU sends another. IPI_CALL is the rendezvous (taken
 * at IPI_LEVEL); IPI_PROBE a self-test interrupt that also wakes an idle
 * CPU; IPI_WAKE, above IPI_LEVEL, does nothing but end an
 * arch_wait_for_wake(); IPI_NMI cannot be masked, for CPUs that do not
 * answer the others. */
enum ipi_kind { IPI_CALL, IPI_PROBE, IPI_WAKE, IPI_NMI };

/* Gives the CPU up (x86: halts) until an IPI_WAKE, or another interrupt
 * above the current level, arrives, or max_us have passed, whichever is
 * first. It may return early (x86: after an eighth of max_us, so that an
 * error in the timer's calibration does not make it late): the caller
 * looks again and waits again for what is left. A wake sent before the call ends it at
 * once. Returns true when the bound ended the wait; false when something else did, or when max_us
 * was too short to wait at all. Call with interrupts off, below HIGH_LEVEL;
 * returns with them off. arch_can_wait_for_wake() says whether this CPU can
 * bound such a wait now (x86: its APIC timer is free). */
bool arch_can_wait_for_wake(void);
bool arch_wait_for_wake(uint64_t max_us);

/* Sends kind to every CPU in targets (by index; the caller may be one).
 * Returns false when the interrupt controller refused any of them, after
 * naming which. */
bool arch_send_ipi(const struct cpu_set *targets, enum ipi_kind kind);
bool arch_send_ipi_to(uint32_t cpu, enum ipi_kind kind); /* one CPU, by index */

/* Sends kind to every other CPU the machine has, started or not, in one
 * go (x86: the all-excluding-self shorthand). Use it only when all of them
 * are meant. */
bool arch_send_ipi_all_others(enum ipi_kind kind);

/* What the platform says caused an NMI (x86: the error bits latched in
 * system control port B), for the report of one the kernel did not send. */
const char *arch_nmi_reason(void);

/* The CPU's own timer (x86: the local APIC timer): an interrupt every `ms`
 * milliseconds on the calling CPU, at CLOCK_LEVEL (0 stops it). */
void arch_timer_start(unsigned ms);

/* ---- What the architecture calls in the kernel ---- */

/* The rendezvous IPI arrived (at IPI_LEVEL, interrupts off). */
void kernel_call_interrupt(void);
/* A timer tick (at CLOCK_LEVEL, interrupts off). */
void kernel_timer_interrupt(void);
/* An NMI at pc with frame pointer fp: true if the kernel asked for it (it
 * may then not return); false makes it an unexpected exception. */
bool kernel_nmi(uintptr_t pc, uintptr_t fp);

#endif
