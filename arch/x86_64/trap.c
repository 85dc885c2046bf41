/*
 * trap.c - what happens on an exception or interrupt.
 *
 * Breakpoints (int3) are counted and resumed. A fault raised by the code an
 * arch_try_call called, on the CPU that called it, is turned into a return
 * from it. Any other exception is fatal: the full register state and a
 * symbolized backtrace are printed, then the kernel stops: the CPU claims
 * the stop (kernel/stop.h) first, so that a worker faulting on every CPU
 * gives one report, the first CPU's, and one line for each of the others.
 * Vectors 32-255 go to the handler registered for them.
 *
 * Exceptions and interrupts nest (SDM vol. 3A §6.12.1: a handler is entered
 * with only what the CPU pushed, on the same stack unless an IST is named),
 * so each CPU counts how many handlers it is inside (its trap depth). An
 * exception raised by a handler that interrupted an arch_try_call is the
 * handler's, not the try-call's: resuming it there would leave the handler
 * half done (a call IPI without its EOI, a rendezvous worker still marked
 * as running) and the stack under it abandoned.
 */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/priority.h"

#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ksyms.h"
#include "kernel/panic.h"
#include "kernel/smp/atomic.h"
#include "kernel/stop.h"

extern char arch_try_resume[];

static trap_handler *handlers[IDT_VECTORS];
static uint64_t breakpoints_taken; /* any CPU may take one: atomic updates */

static const char *const exception_names[EXCEPTION_VECTORS] = {
    [VECTOR_DIVIDE_ERROR] = "#DE divide error",
    [VECTOR_DEBUG] = "#DB debug",
    [VECTOR_NMI] = "NMI non-maskable interrupt",
    [VECTOR_BREAKPOINT] = "#BP breakpoint",
    [VECTOR_OVERFLOW] = "#OF overflow",
    [VECTOR_BOUND_RANGE] = "#BR bound range exceeded",
    [VECTOR_INVALID_OPCODE] = "#UD invalid opcode",
    [VECTOR_DEVICE_NOT_AVAILABLE] = "#NM device not available",
    [VECTOR_DOUBLE_FAULT] = "#DF double fault",
    [VECTOR_COPROCESSOR_OVERRUN] = "coprocessor segment overrun",
    [VECTOR_INVALID_TSS] = "#TS invalid TSS",
    [VECTOR_SEGMENT_NOT_PRESENT] = "#NP segment not present",
    [VECTOR_STACK_FAULT] = "#SS stack-segment fault",
    [VECTOR_GENERAL_PROTECTION] = "#GP general protection",
    [VECTOR_PAGE_FAULT] = "#PF page fault",
    [VECTOR_X87_FPU] = "#MF x87 floating-point error",
    [VECTOR_ALIGNMENT_CHECK] = "#AC alignment check",
    [VECTOR_MACHINE_CHECK] = "#MC machine check",
    [VECTOR_SIMD] = "#XM SIMD floating-point",
    [VECTOR_VIRTUALIZATION] = "#VE virtualization exception",
    [VECTOR_CONTROL_PROTECTION] = "#CP control protection",
    [VECTOR_HYPERVISOR_INJECTION] = "#HV hypervisor injection",
    [VECTOR_VMM_COMMUNICATION] = "#VC VMM communication",
    [VECTOR_SECURITY] = "#SX security exception",
};

const char *trap_vector_name(unsigned vector)
{
    if (vector < EXCEPTION_VECTORS)
        return exception_names[vector] != NULL ? exception_names[vector] : "reserved exception";
    return "interrupt";
}

void trap_set_handler(unsigned vector, trap_handler *handler)
{
    KASSERT(vector >= EXCEPTION_VECTORS && vector < IDT_VECTORS);
    handlers[vector] = handler;
}

static void print_symbol(uintptr_t addr)
{
    char where[KSYM_DESCRIBE_MAX];
    kprintf(" <%s>", ksym_describe(addr, false, where, sizeof(where)));
}

static void report_exception(const struct trap_frame *f)
{
    kprintf_colour(COLOUR_FAIL, "\nEXCEPTION: %s (vector %lu)\n",
                   trap_vector_name((unsigned)f->vector), (unsigned long)f->vector);
    kprintf("  error code %#lx", (unsigned long)f->error_code);
    if (f->vector == VECTOR_PAGE_FAULT)
        kprintf(" (%s, %s)",
                (f->error_code & PF_ERR_FETCH)   ? "instruction fetch"
                : (f->error_code & PF_ERR_WRITE) ? "write"
                                                 : "read",
                (f->error_code & PF_ERR_PRESENT) ? "protection violation" : "page not present");
    kprintf("\n  RIP    %016lx", (unsigned long)f->rip);
    print_symbol(f->rip);
    kprintf("\n  RSP    %016lx  RFLAGS %016lx  CS %04lx SS %04lx\n", (unsigned long)f->rsp,
            (unsigned long)f->rflags, (unsigned long)f->cs, (unsigned long)f->ss);
    kprintf("  CR2    %016lx  CR3    %016lx\n", (unsigned long)read_cr2(),
            (unsigned long)read_cr3());
    kprintf("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", (unsigned long)f->rax,
            (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
    kprintf("  RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx\n", (unsigned long)f->rsi,
            (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
    kprintf("  R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx\n", (unsigned long)f->r9,
            (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
    kprintf("  R13 %016lx  R14 %016lx  R15 %016lx\n", (unsigned long)f->r13, (unsigned long)f->r14,
            (unsigned long)f->r15);
    if (f->vector == VECTOR_DOUBLE_FAULT && !arch_page_is_mapped(f->rsp - 8))
        kprintf("  the stack pointer is at an unmapped page: kernel stack overflow\n");
    arch_print_backtrace_from(f->rip, false, f->rbp);
}

/* This CPU's innermost arch_try_call: one per CPU, because a fault is
 * resumed on the stack of the CPU that raised it. */
static struct try_frame **innermost_try_frame(void) { return &cpu_words()->try_frame; }

void try_frame_open(struct try_frame *frame, struct arch_fault *fault)
{
    frame->fault = fault;
    frame->trap_depth = cpu_words()->trap_depth;
    frame->outer = *innermost_try_frame();
    *innermost_try_frame() = frame;
}

void try_frame_close(struct try_frame *frame) { *innermost_try_frame() = frame->outer; }

const struct arch_fault *trap_try_call_record(void)
{
    const struct try_frame *frame = *innermost_try_frame();
    return frame != NULL ? frame->fault : NULL;
}

/* The try-call whose code raised the exception being handled, or NULL. The
 * exception's own handler is one level deeper than the code it
 * interrupted: any more, and the code was itself a handler. */
static struct try_frame *try_call_of(const struct arch_cpu_words *w)
{
    struct try_frame *frame = *innermost_try_frame();
    return frame != NULL && w->trap_depth == frame->trap_depth + 1 ? frame : NULL;
}

/* Turns the fault into a return from arch_try_call (see isr.asm), which
 * unlinks the frame. */
static void resume_try_call(struct trap_frame *f, struct try_frame *frame)
{
    struct arch_fault *fault = frame->fault;
    fault->vector = (uint32_t)f->vector;
    fault->error_code = f->error_code;
    fault->pc = f->rip;
    fault->fault_addr = f->vector == VECTOR_PAGE_FAULT ? read_cr2() : 0;
    fault->handler_sp = (uintptr_t)f;
    f->rip = (uintptr_t)arch_try_resume;
    f->rsp = (uintptr_t)frame;
    f->rax = f->vector;
}

static void dispatch(struct trap_frame *f, const struct arch_cpu_words *w)
{
    if (f->vector == VECTOR_BREAKPOINT) {
        /* int3 is a trap: RIP already points past it, so returning resumes. */
        atomic_add_relaxed(&breakpoints_taken, 1);
        return;
    }
    if (f->vector == VECTOR_NMI && kernel_nmi(f->rip, f->rbp))
        return;
    if (f->vector < EXCEPTION_VECTORS) {
        struct try_frame *frame = try_call_of(w);
        if (frame != NULL) {
            resume_try_call(f, frame);
            return;
        }
        /* The address's name is for the line other CPUs' reports give this
         * one; a fault while looking it up gets the bare address instead of
         * looking it up again, and again. */
        char where[KSYM_DESCRIBE_MAX] = "?";
        struct arch_cpu_words *words = cpu_words();
        if (!words->naming_a_fault) {
            words->naming_a_fault = 1;
            ksym_describe(f->rip, false, where, sizeof(where));
            words->naming_a_fault = 0;
        }
        enum stop_role role =
            stop_claim("exception %s at %#lx <%s>", trap_vector_name((unsigned)f->vector),
                       (unsigned long)f->rip, where);
        if (role == STOP_OWNER_AGAIN) {
            /* Raised by this CPU's own report (a fault in kprintf, in the
             * backtrace): the locks it holds are not coming back. */
            console_drop_locks();
            kprintf("\nEXCEPTION %s at %#lx <%s> while this CPU was already stopping the "
                    "kernel\n",
                    trap_vector_name((unsigned)f->vector), (unsigned long)f->rip, where);
            stop_end();
        }
        report_exception(f);
        stop_machine();
    }
    if (handlers[f->vector] != NULL) {
        /* A handler runs at the IRQL its vector's priority class stands for
         * (kernel/smp/irql.h), so irql_current() tells it where it is. */
        unsigned interrupted = priority_enter_handler((unsigned)f->vector);
        handlers[f->vector](f);
        priority_leave_handler(interrupted);
        return;
    }
    kprintf("trap: unexpected interrupt on vector %lu at %016lx; ignored\n",
            (unsigned long)f->vector, (unsigned long)f->rip);
}

void trap_dispatch(struct trap_frame *f)
{
    /* Counted around the whole handler: whatever it raises or lets in is
     * one level deeper. An NMI that arrives between the load and the store
     * of the count puts it back as it found it before returning. */
    struct arch_cpu_words *w = cpu_words();
    w->trap_depth++;
    dispatch(f, w);
    w->trap_depth--;
}

uint64_t arch_breakpoint_count(void) { return atomic_load_relaxed(&breakpoints_taken); }
void arch_breakpoint(void) { __asm__ volatile("int3" ::: "memory"); }
