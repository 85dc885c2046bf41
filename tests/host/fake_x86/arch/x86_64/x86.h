/*
 * A stand-in for arch/x86_64/x86.h in the host build of arch/x86_64/lapic.c
 * (test_x2apic): the real header's constants, with the instructions that
 * reach the local APIC (RDMSR, WRMSR, the fence, the MMIO accesses, CPUID)
 * turned into calls that the test records and answers.
 *
 * The Makefile puts tests/host/fake_x86 on the quote search path of that
 * one object, so lapic.c's #include "arch/x86_64/x86.h" finds this file.
 * The real header is read through its relative path, with its inline
 * functions renamed out of the way; its constants stay the only copy.
 */
#ifndef TESTS_HOST_FAKE_X86_X86_H
#define TESTS_HOST_FAKE_X86_X86_H

#define rdmsr real_rdmsr
#define wrmsr real_wrmsr
#define cpuid real_cpuid
#define rdtsc real_rdtsc
#define read_rflags real_read_rflags
#define write_cr8 real_write_cr8
#define irq_disable real_irq_disable
#define irq_enable real_irq_enable
#define cpu_pause real_cpu_pause
#define memory_fence real_memory_fence
#define mmio_read32 real_mmio_read32
#define mmio_write32 real_mmio_write32
#include "../../../../../arch/x86_64/x86.h"
#undef rdmsr
#undef wrmsr
#undef cpuid
#undef rdtsc
#undef read_rflags
#undef write_cr8
#undef irq_disable
#undef irq_enable
#undef cpu_pause
#undef memory_fence
#undef mmio_read32
#undef mmio_write32

uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t value);
struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf);
uint64_t rdtsc(void);
uint64_t read_rflags(void);
void write_cr8(uint64_t value);
void irq_disable(void);
void irq_enable(void);
void cpu_pause(void);
void memory_fence(void);
uint32_t mmio_read32(volatile void *addr);
void mmio_write32(volatile void *addr, uint32_t value);

#endif
