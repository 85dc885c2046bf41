/*
 * x86.h - the one header with inline access to x86 instructions, ports,
 * MSRs, control registers and MMIO (Intel SDM vol. 2 for each instruction).
 *
 * Only code under arch/x86_64/ includes this file; kernel/ goes through the
 * arch_* functions of kernel/arch.h.
 */
#ifndef ARCH_X86_64_X86_H
#define ARCH_X86_64_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
    return value;
}

static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port) : "memory");
    return value;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr"
                     :
                     : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                                     \
    static inline uint64_t read_cr##n(void)                                                        \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                          \
        return v;                                                                                  \
    }                                                                                              \
    static inline void write_cr##n(uint64_t v)                                                     \
    {                                                                                              \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                 \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
DEFINE_CR_ACCESSORS(8)
#undef DEFINE_CR_ACCESSORS

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

/* Every earlier load and store is globally visible before any later one
 * (SDM vol. 3A §9.2.2; vol. 2B MFENCE). */
static inline void mfence(void) { __asm__ volatile("mfence" ::: "memory"); }

/* Orders earlier loads and stores before a later WRMSR to an x2APIC
 * register, which is not serialising (SDM vol. 3A §11.12.3). */
static inline void memory_fence(void) { __asm__ volatile("mfence; lfence" ::: "memory"); }

static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void invlpg(uintptr_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

/* Device registers and memory-mapped framebuffers: every volatile access
 * to them goes through these, so that a reader finds each in one place. */
static inline uint8_t mmio_read8(volatile void *addr) { return *(volatile uint8_t *)addr; }
static inline void mmio_write8(volatile void *addr, uint8_t value)
{
    *(volatile uint8_t *)addr = value;
}
static inline uint64_t mmio_read64(volatile void *addr) { return *(volatile uint64_t *)addr; }

static inline void mmio_write64(volatile void *addr, uint64_t value)
{
    *(volatile uint64_t *)addr = value;
}
static inline uint32_t mmio_read32(volatile void *addr) { return *(volatile uint32_t *)addr; }

static inline void mmio_write32(volatile void *addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static inline uint16_t mmio_read16(volatile void *addr) { return *(volatile uint16_t *)addr; }
/* Control register, RFLAGS and MSR bits used by C code (SDM vol. 3A §2.3, §2.5). */
#define RFLAGS_IF (1ull << 9)
#define CR0_WP (1ull << 16)
#define CR4_PGE (1ull << 7)
#define MSR_EFER 0xC0000080u
#define EFER_LME (1ull << 8)
#define EFER_NXE (1ull << 11)
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_IA32_APIC_BASE 0x1Bu
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_X2APIC_ENABLE (1ull << 10) /* EXTD */
#define APIC_BASE_ENABLE (1ull << 11)        /* EN */
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define MSR_X2APIC_BASE 0x800u /* x2APIC register = 0x800 + (MMIO offset >> 4) */

/* CPUID leaves and bits (SDM vol. 2A, CPUID). */
#define CPUID_LEAF_FEATURES 1u
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_ECX_MONITOR (1u << 3)
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_EDX_APIC (1u << 9)
#define CPUID_1_EBX_APIC_ID_SHIFT 24
#define CPUID_LEAF_TOPOLOGY 0x0Bu  /* EDX: the full 32-bit x2APIC ID */
#define CPUID_LEAF_TSC 0x15u       /* EAX/EBX: TSC/crystal ratio, ECX: crystal Hz */
#define CPUID_LEAF_FREQUENCY 0x16u /* EAX: base frequency in MHz */
#define CPUID_LEAF_EXT_MAX 0x80000000u
#define CPUID_LEAF_POWER 0x80000007u
#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)
#define CPUID_LEAF_HYPERVISOR 0x40000000u

#endif
