/*
 * test_paging.c - the page tables paging.c builds protect what they should.
 */
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ktest.h"

extern char __data_start[];

KTEST(paging, null_page_is_unmapped) { EXPECT_TRUE(t, !arch_page_is_mapped(0)); }

KTEST(paging, text_is_read_only_and_executable)
{
    uintptr_t text = (uintptr_t)arch_page_is_mapped;
    EXPECT_TRUE(t, arch_page_is_mapped(text));
    EXPECT_TRUE(t, !arch_page_is_writable(text));
    EXPECT_TRUE(t, arch_page_is_executable(text));
}

KTEST(paging, data_is_writable_and_not_executable)
{
    uintptr_t data = (uintptr_t)__data_start;
    EXPECT_TRUE(t, arch_page_is_writable(data));
    if (!arch_has_nx())
        KTEST_SKIP(t, "the CPU has no NX bit");
    EXPECT_TRUE(t, !arch_page_is_executable(data));
}

KTEST(paging, boot_stack_guard_is_unmapped)
{
    uintptr_t guard = arch_boot_stack_guard();
    EXPECT_TRUE(t, !arch_page_is_mapped(guard));
    EXPECT_TRUE(t, arch_page_is_mapped(guard + 4096));
}

KTEST(paging, double_fault_stack_has_a_guard)
{
    uintptr_t lo, hi;
    arch_double_fault_stack(&lo, &hi);
    EXPECT_TRUE(t, arch_page_is_mapped(lo));
    EXPECT_TRUE(t, !arch_page_is_mapped(lo - 1));
}
