/*
 * vectors.h - the interrupt vectors the kernel uses.
 *
 * The local APIC ranks an interrupt by its priority class, vector >> 4
 * (SDM vol. 3A §11.8.3), and the task-priority register (CR8) blocks every
 * class at or below it. The kernel's IRQL is CR8, so each vector is placed
 * in the class equal to the IRQL it runs at: the IPIs in class 14
 * (IPI_LEVEL), the timer in class 13 (CLOCK_LEVEL). docs/ has the table.
 */
#ifndef ARCH_X86_64_VECTORS_H
#define ARCH_X86_64_VECTORS_H

#define VECTOR_TIMER 0xD0      /* class 13: CLOCK_LEVEL */
#define VECTOR_IPI_CALL 0xE0   /* class 14: IPI_LEVEL, the rendezvous */
#define VECTOR_IPI_PROBE 0xE1  /* class 14: per-CPU self-test probe */
#define VECTOR_APIC_ERROR 0xFE /* class 15: HIGH_LEVEL */
#define VECTOR_SPURIOUS 0xFF   /* low nibble all ones, as P6-era APICs require */

#endif
