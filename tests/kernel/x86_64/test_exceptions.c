/*
 * test_x86_exceptions.c - the exception paths: int3 resumes, every fault is
 * caught with the right vector and details, and a stack overflow ends on the
 * double-fault handler's own stack instead of triple-faulting.
 */
#include "arch/x86_64/trap.h"
#include "kernel/arch.h"
#include "kernel/arch_test.h"
#include "kernel/inject.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "lib/string.h"

KTEST(exceptions, int3_is_resumable)
{
    uint64_t before = arch_breakpoint_count();
    arch_breakpoint();
    arch_breakpoint();
    EXPECT_EQ(t, before + 2, arch_breakpoint_count());
}

static void do_ud2(void *arg)
{
    (void)arg;
    __asm__ volatile("ud2");
}

KTEST(exceptions, invalid_opcode_is_caught)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_INVALID_OPCODE, arch_try_call(do_ud2, NULL, &f));
    const char *name = NULL;
    uintptr_t offset;
    EXPECT_TRUE(t, ksym_lookup(f.pc, &name, &offset));
    EXPECT_STREQ(t, "do_ud2", name);
}

static void do_divide_by_zero(void *arg)
{
    (void)arg;
    uint32_t zero = 0;
    __asm__ volatile("xor %%edx, %%edx; mov $1, %%eax; divl %0" : : "r"(zero) : "eax", "edx");
}

KTEST(exceptions, divide_error_is_caught)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_DIVIDE_ERROR, arch_try_call(do_divide_by_zero, NULL, &f));
}

/* These fault on purpose: a sanitized build (make SANITIZE=1) must let the
 * hardware see the access instead of reporting it first. */
KTEST_NO_SANITIZE static void read_address(void *addr) { (void)*(volatile uint8_t *)addr; }
KTEST_NO_SANITIZE static void write_address(void *addr) { *(volatile uint8_t *)addr = 0xC3; }

KTEST(exceptions, null_dereference_is_a_page_fault)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(read_address, NULL, &f));
    EXPECT_EQ(t, 0, f.fault_addr);
    EXPECT_EQ(t, 0, f.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)); /* read of a missing page */
}

KTEST(exceptions, write_to_kernel_text_faults)
{
    struct arch_fault f;
    void *text = (void *)(uintptr_t)read_address;
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(write_address, text, &f));
    EXPECT_EQ(t, (uintptr_t)text, f.fault_addr);
    EXPECT_EQ(t, PF_ERR_PRESENT | PF_ERR_WRITE, f.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE));
}

static uint8_t data_code[16] __attribute__((aligned(16)));

static void call_data(void *arg)
{
    void (*fn)(void) = (void (*)(void))arg;
    fn();
}

KTEST(exceptions, executing_data_faults)
{
    if (!arch_has_nx())
        KTEST_SKIP(t, "the CPU has no NX bit");
    struct arch_fault f;
    data_code[0] = 0xC3; /* ret: harmless if it did run */
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(call_data, data_code, &f));
    EXPECT_TRUE(t, (f.error_code & PF_ERR_FETCH) != 0);
    EXPECT_EQ(t, (uintptr_t)data_code, f.pc);
}

KTEST(exceptions, non_canonical_address_is_gp)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_GENERAL_PROTECTION,
              arch_try_call(read_address, (void *)0x8000000000000000ull, &f));
}

static void overflow_the_stack(void *arg)
{
    (void)arg;
    inject_recurse(0, ~0u);
}

KTEST(exceptions, stack_overflow_double_faults_on_ist)
{
    struct arch_fault f;
    uintptr_t lo, hi;
    arch_double_fault_stack(&lo, &hi);
    EXPECT_EQ(t, VECTOR_DOUBLE_FAULT, arch_try_call(overflow_the_stack, NULL, &f));
    /* The handler's frame must be on the double-fault stack, not the
     * overflowed one: that is what keeps this from being a triple fault. */
    EXPECT_TRUE(t, f.handler_sp >= lo && f.handler_sp < hi);
}

KTEST(exceptions, try_call_without_fault_returns_minus_one)
{
    struct arch_fault f;
    uint8_t byte = 0;
    EXPECT_EQ(t, (uint64_t)-1, (uint64_t)(int64_t)arch_try_call(write_address, &byte, &f));
    EXPECT_EQ(t, 0xC3, byte);
}
