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
