/*
 * test_ktest.c - the self-test framework checks itself.
 */
#include "kernel/diag/inject.h"
#include "kernel/diag/ktest.h"
#include "lib/string.h"

/* Fails only when asked (inject=test-fail): the runner must then report the
 * run as failed. Otherwise there is nothing to test, so it is skipped. The
 * failed expression reads "todo.count", which TAP::Parser would take for a
 * TODO directive (a failure it does not count) if the reason followed the
 * result's '#': the runner's cross-check with it would then disagree. */
KTEST(ktest, injected_failure)
{
    if (!inject_requested(INJECT_TEST_FAIL))
        KTEST_SKIP(t, "only fails with inject=test-fail");
    struct {
        int count;
    } todo = {2};
    EXPECT_EQ(t, 1, todo.count);
}

KTEST(ktest, expectations_record_failures)
{
    struct ktest_ctx inner;
    memset(&inner, 0, sizeof(inner));
    inner.quiet = true;
    EXPECT_EQ(&inner, 1, 1);
    EXPECT_EQ(t, 0, inner.failures);
    EXPECT_EQ(&inner, 1, 2);
    EXPECT_TRUE(&inner, 1 == 0);
    EXPECT_STREQ(&inner, "a", "b");
    EXPECT_EQ(t, 3, inner.failures);
    EXPECT_TRUE(t, strstr(inner.reason, "expected 0x1, got 0x2") != NULL);
}
