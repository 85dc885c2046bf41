/*
 * test_backtrace.c - the embedded symbol table and frame-pointer backtraces.
 */
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ksyms.h"
#include "kernel/diag/ktest.h"
#include "lib/string.h"

KTEST(backtrace, symbol_lookup_finds_function_and_offset)
{
    const char *name = NULL;
    uintptr_t offset = 0;
    uintptr_t addr = ksym_address("ksym_lookup");
    ASSERT_TRUE(t, addr != 0);
    EXPECT_EQ(t, (uintptr_t)ksym_lookup, addr);
    EXPECT_TRUE(t, ksym_lookup(addr + 3, &name, &offset));
    EXPECT_STREQ(t, "ksym_lookup", name);
    EXPECT_EQ(t, 3, offset);
}

KTEST(backtrace, table_is_sorted_and_nonempty)
{
    EXPECT_TRUE(t, ksym_count > 10);
    for (uint32_t i = 1; i < ksym_count; i++) {
        if (ksym_table[i - 1].addr >= ksym_table[i].addr) {
            EXPECT_TRUE(t, ksym_table[i - 1].addr < ksym_table[i].addr);
            break;
        }
    }
}

#define CHAIN_DEPTH 8

/* noinline and a use of the result after each call keep three real frames. */
static __attribute__((noinline)) size_t chain_level3(uintptr_t *pcs)
{
    size_t n = arch_backtrace(pcs, CHAIN_DEPTH);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* a compiler barrier: keep the frame */
    return n;
}

static __attribute__((noinline)) size_t chain_level2(uintptr_t *pcs)
{
    size_t n = chain_level3(pcs);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* a compiler barrier: keep the frame */
    return n;
}

static __attribute__((noinline)) size_t chain_level1(uintptr_t *pcs)
{
    size_t n = chain_level2(pcs);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* a compiler barrier: keep the frame */
    return n;
}

static bool chain_contains(const uintptr_t *pcs, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        const char *name;
        uintptr_t offset;
        if (ksym_lookup(pcs[i] - 1, &name, &offset) && strcmp(name, want) == 0)
            return true;
    }
    return false;
}

KTEST(backtrace, walks_the_call_chain)
{
    uintptr_t pcs[CHAIN_DEPTH];
    size_t n = chain_level1(pcs);
    EXPECT_TRUE(t, n >= 3);
    EXPECT_TRUE(t, chain_contains(pcs, n, "chain_level2"));
    EXPECT_TRUE(t, chain_contains(pcs, n, "chain_level1"));
    EXPECT_TRUE(t, chain_contains(pcs, n, "ktest_fn_backtrace_walks_the_call_chain"));
}
