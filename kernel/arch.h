/*
 * arch.h - everything portable code needs from the architecture, in one place.
 *
 * kernel/ and tests/ call only these functions (and the types they name);
 * arch/x86_64/ implements them. Nothing here names a register or a port.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

struct boot_info;

/* Bring up the consoles the machine has (serial, VGA text). Runs first. */
void arch_console_init(const struct boot_info *bi);

/* Descriptor tables, exception handling and the kernel's page tables. */
void arch_init(void);

/* A readable pointer to physical memory [phys, phys + length), or NULL when
 * that range is not mapped (it may be used before arch_init). */
const void *arch_phys_to_virt(uint64_t phys, size_t length);

/* CPU vendor and model string, for the banner. */
const char *arch_cpu_vendor(void);

noreturn void arch_halt_forever(void);
void arch_cpu_relax(void);  /* body of every spin-wait loop */
void arch_idle(void);       /* wait for the next interrupt */
uint64_t arch_cycles(void); /* a free-running cycle counter */

/* True when a hypervisor announces itself (CPUID); it enables the QEMU exit
 * device below, which does not exist on real PCs. */
bool arch_running_under_hypervisor(void);

/* Ends the virtual machine with status (code << 1) | 1 through QEMU's
 * isa-debug-exit device. Returns (doing nothing) on a real PC. */
void arch_vm_exit(uint32_t code);

/* Fills pcs[] with the return addresses of the current call chain (newest
 * first, starting with the caller's caller); returns how many. */
size_t arch_backtrace(uintptr_t *pcs, size_t max);

/* Prints a backtrace: pc first (an interrupted instruction, or a return
 * address, which is looked up as the call before it), then the chain of
 * callers that starts at frame pointer fp. */
void arch_print_backtrace_from(uintptr_t pc, bool pc_is_return_address, uintptr_t fp);

/*
 * Runs fn(arg) and catches any CPU exception it raises, like a tiny setjmp:
 * returns -1 if fn returned normally, else the exception vector, with the
 * details in *fault. The stack is reset to where arch_try_call was called, so
 * fn must hold no locks. Self-tests use it to prove faults are reported.
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

/* Page-table queries used by self-tests. */
bool arch_page_is_mapped(uintptr_t va);
bool arch_page_is_writable(uintptr_t va);
bool arch_page_is_executable(uintptr_t va);
bool arch_has_nx(void);

/* Address of the boot stack's guard page (unmapped). */
uintptr_t arch_boot_stack_guard(void);

/* ---- Memory ---- */

/* Physical bounds of the kernel image, .bss included. */
void arch_kernel_phys_range(uint64_t *lo, uint64_t *hi);

/* Where a legacy BIOS keeps its extended data area (from the BIOS data area,
 * read before page 0 is unmapped), or 0. */
uint64_t arch_legacy_ebda_base(void);

/* ---- Time ---- */

/* Calibrates the cycle counter (source: "auto", or the one to use:
 * "cpuid", "pit", "pm_timer"; pm_timer_port: the ACPI PM timer, 0 if none)
 * and the local APIC timer. */
void arch_timing_init(const char *source, uint16_t pm_timer_port, bool pm_timer_32bit);
uint64_t arch_cycles_per_second(void);
const char *arch_cycles_source(void);    /* what calibrated it */
void arch_udelay(uint64_t microseconds); /* busy-waits, with pause */
uint64_t arch_apic_timer_ticks_per_ms(void);

/* ---- Processors ---- */
struct cpu;

/* Chooses and enables the boot CPU's local APIC mode (requested: "auto",
 * "xapic", "x2apic"); lapic_address comes from the MADT (0: unknown).
 * Returns false, after saying why, when there is no usable APIC. */
bool arch_apic_init(const char *requested, uint64_t lapic_address);
const char *arch_apic_mode_name(void); /* "xapic", "x2apic", or "none" */
bool arch_apic_present(void);          /* false: no IPIs, no APIC timer */
uint32_t arch_apic_max_id(void);       /* highest APIC ID an IPI can reach */
uint32_t arch_cpu_apic_id(void);       /* the running CPU's ID, from CPUID */

/* Points GS at cpu on the boot CPU and records its boot stack. */
void arch_cpu_setup_boot(struct cpu *cpu);

/* Gives an AP its kernel stack (with a guard page) and per-CPU tables.
 * Returns false when memory runs out. */
bool arch_cpu_prepare(struct cpu *cpu);

/* Copies the AP start-up code to a free page below 1 MiB from the memory
 * map. Returns false, after saying why, when there is no such page. */
bool arch_ap_trampoline_install(const struct boot_info *bi);

/* Points the trampoline at cpu: the next AP to start will become it. */
void arch_ap_trampoline_target(struct cpu *cpu);

/* The start-up IPIs (SDM vol. 3A §9.4.4). False: the APIC refused them. */
bool arch_send_init(uint32_t apic_id);
bool arch_send_startup(uint32_t apic_id);

/* Sends the self-test probe interrupt to one CPU (itself included). */
bool arch_send_probe(uint32_t apic_id);

void arch_interrupts_enable(void);
void arch_interrupts_disable(void);
bool arch_interrupts_enabled(void);
bool arch_interrupts_save_disable(void); /* returns whether they were enabled */
void arch_interrupts_restore(bool enabled);

/* ---- Interrupt priority and inter-processor interrupts ---- */

/* The task priority (x86: CR8), 0-15: interrupts whose vector >> 4 is not
 * above it are held back. kernel/irql.h builds the IRQL model on it. */
unsigned arch_task_priority(void);
void arch_set_task_priority(unsigned priority);

/* The rendezvous IPI (vector class 14), to one CPU or to all but the
 * caller (the APIC's shorthand, which also reaches CPUs never started). */
bool arch_send_call_ipi(uint32_t apic_id);
bool arch_send_call_ipi_all_but_self(void);

/* NMIs, for reporting and stopping CPUs that do not answer IPIs. */
bool arch_send_nmi(uint32_t apic_id);

/* What the platform says caused an NMI (x86: the error bits latched in
 * system control port B), for the report of one the kernel did not send. */
const char *arch_nmi_reason(void);

/* The local APIC timer: periodic interrupts every `ms` milliseconds on the
 * calling CPU (0 stops it). */
void arch_timer_start(unsigned ms);

/* A register each CPU has its own copy of and the kernel does not otherwise
 * use (x86: IA32_KERNEL_GS_BASE), for the "write an MSR everywhere" test. */
void arch_scratch_msr_write(uint64_t value);
uint64_t arch_scratch_msr_read(void);

/* A page-sized window whose mapping can be changed, for the TLB
 * shoot-down test: maps it to phys (no TLB flush anywhere); returns its
 * address. arch_tlb_flush_page flushes one page on the calling CPU. */
uintptr_t arch_test_window_map(uint64_t phys);
void arch_tlb_flush_page(uintptr_t va);

/* ---- What the architecture calls in the kernel ---- */

/* The rendezvous IPI arrived (at IPI_LEVEL, interrupts off). */
void kernel_call_interrupt(void);
/* A local APIC timer tick (at CLOCK_LEVEL, interrupts off). */
void kernel_timer_interrupt(void);
/* An NMI at pc with frame pointer fp: true if the kernel asked for it (it
 * may then not return); false makes it an unexpected exception. */
bool kernel_nmi(uintptr_t pc, uintptr_t fp);

/* Deliberate failures, for checking that the test runner notices them. */
noreturn void arch_triple_fault(void);

#endif
