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
void arch_cpu_relax(void);          /* body of every spin-wait loop */
void arch_idle(void);               /* wait for the next interrupt */
uint64_t arch_cycles(void);         /* a free-running cycle counter */

/* True when a hypervisor announces itself (CPUID); it enables the QEMU exit
 * device below, which does not exist on real PCs. */
bool arch_running_under_hypervisor(void);

/* Ends the virtual machine with status (code << 1) | 1 through QEMU's
 * isa-debug-exit device. Returns (doing nothing) on a real PC. */
void arch_vm_exit(uint32_t code);

/* Fills pcs[] with the return addresses of the current call chain (newest
 * first, starting with the caller's caller); returns how many. */
size_t arch_backtrace(uintptr_t *pcs, size_t max);

/* Prints a backtrace of the call chain that starts at frame pointer fp. */
void arch_print_backtrace_from(uintptr_t pc, uintptr_t fp);

/*
 * Runs fn(arg) and catches any CPU exception it raises, like a tiny setjmp:
 * returns -1 if fn returned normally, else the exception vector, with the
 * details in *fault. The stack is reset to where arch_try_call was called, so
 * fn must hold no locks. Self-tests use it to prove faults are reported.
 */
struct arch_fault {
    uint32_t vector;
    uint64_t error_code;
    uintptr_t pc;           /* the faulting instruction */
    uintptr_t fault_addr;   /* CR2 for page faults */
    uintptr_t handler_sp;   /* where the handler's frame was: proves IST use */
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

/* Deliberate failures, for checking that the test runner notices them. */
noreturn void arch_triple_fault(void);

#endif
