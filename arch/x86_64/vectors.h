/*
 * vectors.h - the interrupt vectors the kernel uses.
 *
 * The local APIC ranks an interrupt by its priority class, vector >> 4
 * (SDM vol. 3A §11.8.3), and the class of the task priority, TPR[7:4],
 * blocks every class at or below it. CR8 reads and writes that class
 * (CR8[3:0] = TPR[7:4], §11.8.6.1), and the kernel's IRQL is the value it
 * writes there, so each vector is placed in the class equal to the IRQL it
 * runs at: the IPIs in class 14 (IPI_LEVEL), the timer in class 13
 * (CLOCK_LEVEL). docs/ has the table.
 */
#ifndef ARCH_X86_64_VECTORS_H
#define ARCH_X86_64_VECTORS_H

#define VECTOR_TIMER 0xD0      /* class 13: CLOCK_LEVEL */
#define VECTOR_IPI_CALL 0xE0   /* class 14: IPI_LEVEL, the rendezvous */
#define VECTOR_IPI_PROBE 0xE1  /* class 14: per-CPU self-test probe */
#define VECTOR_IPI_WAKE 0xF0   /* class 15: wakes a CPU sleeping inside a rendezvous */
#define VECTOR_APIC_ERROR 0xFE /* class 15: HIGH_LEVEL */
#define VECTOR_SPURIOUS 0xFF   /* low nibble all ones, as P6-era APICs require */

/* Exception vectors (SDM vol. 3A §6.3.1, table 6-1). */
enum exception_vector {
    VECTOR_DIVIDE_ERROR = 0,
    VECTOR_DEBUG = 1,
    VECTOR_NMI = 2,
    VECTOR_BREAKPOINT = 3,
    VECTOR_OVERFLOW = 4,
    VECTOR_BOUND_RANGE = 5,
    VECTOR_INVALID_OPCODE = 6,
    VECTOR_DEVICE_NOT_AVAILABLE = 7,
    VECTOR_DOUBLE_FAULT = 8,
    VECTOR_COPROCESSOR_OVERRUN = 9,
    VECTOR_INVALID_TSS = 10,
    VECTOR_SEGMENT_NOT_PRESENT = 11,
    VECTOR_STACK_FAULT = 12,
    VECTOR_GENERAL_PROTECTION = 13,
    VECTOR_PAGE_FAULT = 14,
    VECTOR_X87_FPU = 16,
    VECTOR_ALIGNMENT_CHECK = 17,
    VECTOR_MACHINE_CHECK = 18,
    VECTOR_SIMD = 19,
    VECTOR_VIRTUALIZATION = 20,
    VECTOR_CONTROL_PROTECTION = 21,
    VECTOR_HYPERVISOR_INJECTION = 28,
    VECTOR_VMM_COMMUNICATION = 29,
    VECTOR_SECURITY = 30,
    EXCEPTION_VECTORS = 32,
    IDT_VECTORS = 256,
};

#endif
