/*
 * trap.h - the interrupt descriptor table and the frame every interrupt and
 * exception handler receives.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

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

/* Exception vectors (SDM vol. 3A §6.3.1, table 6-1). */
enum exception_vector {
    VEC_DIVIDE_ERROR = 0,
    VEC_DEBUG = 1,
    VEC_NMI = 2,
    VEC_BREAKPOINT = 3,
    VEC_OVERFLOW = 4,
    VEC_BOUND_RANGE = 5,
    VEC_INVALID_OPCODE = 6,
    VEC_DEVICE_NOT_AVAILABLE = 7,
    VEC_DOUBLE_FAULT = 8,
    VEC_COPROCESSOR_OVERRUN = 9,
    VEC_INVALID_TSS = 10,
    VEC_SEGMENT_NOT_PRESENT = 11,
    VEC_STACK_FAULT = 12,
    VEC_GENERAL_PROTECTION = 13,
    VEC_PAGE_FAULT = 14,
    VEC_X87_FPU = 16,
    VEC_ALIGNMENT_CHECK = 17,
    VEC_MACHINE_CHECK = 18,
    VEC_SIMD = 19,
    VEC_VIRTUALIZATION = 20,
    VEC_CONTROL_PROTECTION = 21,
    VEC_HYPERVISOR_INJECTION = 28,
    VEC_VMM_COMMUNICATION = 29,
    VEC_SECURITY = 30,
    EXCEPTION_VECTORS = 32,
    IDT_VECTORS = 256,
};

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
