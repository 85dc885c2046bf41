/*
 * trap.h - the interrupt descriptor table and the frame every interrupt and
 * exception handler receives.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include "arch/x86_64/vectors.h"

#include <stddef.h>
#include <stdint.h>

/* Saved state, laid out by isr.asm: general registers (pushed last, so
 * lowest), the vector and error code, then what the CPU pushed. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* SDM vol. 3A fig. 6-9 */
};

_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "isr.asm pushes rax first");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "isr.asm: vector after registers");
_Static_assert(offsetof(struct trap_frame, rip) == 17 * 8, "the CPU's frame follows");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "isr.asm frame size");

/* Page-fault error code bits (SDM vol. 3A §4.7). */
#define PF_ERR_PRESENT (1u << 0)
#define PF_ERR_WRITE (1u << 1)
#define PF_ERR_FETCH (1u << 4)

struct arch_fault; /* kernel/diag/arch_test.h */

/*
 * One arch_try_call in progress, built on the caller's stack by isr.asm
 * (which needs only its size: TRY_FRAME_SIZE in constants.inc). The fault
 * it catches must come from its own CPU (so the innermost frame is kept
 * per CPU, struct arch_cpu_words.try_frame) and from the code it called,
 * not from an interrupt handler that interrupted that code: a fault is
 * resumed only when the trap depth it is handled at is the frame's plus
 * one, the exception itself.
 */
struct try_frame {
    struct arch_fault *fault; /* where the fault's details go */
    uint64_t trap_depth;      /* the CPU's trap depth when arch_try_call was entered */
    struct try_frame *outer;  /* the arch_try_call it runs inside, on this CPU, or NULL */
};
/* isr.asm subtracts the size from RSP after six pushes, then calls C: the
 * call stays 16-byte aligned (SysV ABI §3.2.2) only if the size is 8 mod 16. */
_Static_assert(sizeof(struct try_frame) % 16 == 8, "isr.asm keeps the stack aligned");

/* isr.asm's arch_try_call around fn: links the frame in as this CPU's
 * innermost, and unlinks it when fn returns or faults. */
void try_frame_open(struct try_frame *frame, struct arch_fault *fault);
void try_frame_close(struct try_frame *frame);

/* For the self-tests: the fault record of the arch_try_call this CPU is
 * innermost inside, NULL outside any. */
const struct arch_fault *trap_try_call_record(void);

typedef void trap_handler(struct trap_frame *frame);

/* Builds the IDT (all 256 vectors point at isr.asm's stubs) and loads it. */
void idt_init(void);

/* Loads the (shared) IDT on the calling CPU; APs call it. */
void idt_load(void);

/* Routes a vector (32..255) to a handler; exceptions are handled in trap.c. */
void trap_set_handler(unsigned vector, trap_handler *handler);

void trap_dispatch(struct trap_frame *frame);
const char *trap_vector_name(unsigned vector);

#endif
