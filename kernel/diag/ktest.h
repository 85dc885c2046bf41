/*
 * ktest.h - the in-kernel self-test framework.
 *
 * A test is a function registered with KTEST(suite, name); the linker gathers
 * the registrations in a table (.ktest.* sections, sorted by name). With the
 * command-line option "test" the kernel runs them and prints KTAP version 1
 * (https://docs.kernel.org/dev-tools/ktap.html) on its consoles:
 *
 *   KTAP version 1
 *   1..3
 *   ok 1 lib.format_widths
 *   # tests/kernel/test_x.c:42: expected 2, got 3
 *   not ok 2 exceptions.something
 *   ok 3 paging.nx # SKIP the CPU has no NX bit
 *
 * A failure's reason is the diagnostic line before its result, never text
 * after "not ok ... #": KTAP and TAP readers take that text as a directive,
 * and one that begins "SKIP" or "TODO" would turn a failure into a skip or
 * a TODO.
 *
 * and then ends the virtual machine with KTEST_EXIT_PASS or KTEST_EXIT_FAIL.
 *
 *   KTEST(lib, strlen_counts)
 *   {
 *       EXPECT_EQ(t, 3, strlen("abc"));
 *   }
 */
#ifndef KERNEL_DIAG_KTEST_H
#define KERNEL_DIAG_KTEST_H

#include "kernel/arch.h"

#include <stdbool.h>
#include <stdint.h>

struct ktest_ctx {
    int failures;
    bool skipped;
    bool quiet;       /* do not print failures (for testing the framework itself) */
    char reason[128]; /* the first failure, or why it was skipped */
};

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(struct ktest_ctx *t);
};

#define KTEST(suite, name)                                                                         \
    static void ktest_fn_##suite##_##name(struct ktest_ctx *t);                                    \
    static const struct ktest ktest_rec_##suite##_##name                                           \
        __attribute__((used, section(".ktest." #suite "." #name), aligned(8))) = {                 \
            #suite, #name, ktest_fn_##suite##_##name};                                             \
    static void ktest_fn_##suite##_##name(struct ktest_ctx *t)

/* Records a failure (the test goes on); the first one becomes the reason. */
void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void ktest_skip(struct ktest_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define EXPECT_TRUE(t, cond)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond);                               \
    } while (0)

#define EXPECT_EQ(t, expected, actual)                                                             \
    do {                                                                                           \
        uint64_t e_ = (uint64_t)(expected), a_ = (uint64_t)(actual);                               \
        if (e_ != a_)                                                                              \
            ktest_fail(t, __FILE__, __LINE__, "%s: expected %#llx, got %#llx", #actual,            \
                       (unsigned long long)e_, (unsigned long long)a_);                            \
    } while (0)

#define EXPECT_STREQ(t, expected, actual)                                                          \
    do {                                                                                           \
        const char *e_ = (expected), *a_ = (actual);                                               \
        if (a_ == 0 || strcmp(e_, a_) != 0)                                                        \
            ktest_fail(t, __FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"", #actual, e_,      \
                       a_ != 0 ? a_ : "(null)");                                                   \
    } while (0)

/* The ASSERT forms end the test at the first failure. */
#define ASSERT_TRUE(t, cond)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond);                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define ASSERT_EQ(t, expected, actual)                                                             \
    do {                                                                                           \
        int before_ = (t)->failures;                                                               \
        EXPECT_EQ(t, expected, actual);                                                            \
        if ((t)->failures != before_)                                                              \
            return;                                                                                \
    } while (0)

#define KTEST_SKIP(t, ...)                                                                         \
    do {                                                                                           \
        ktest_skip(t, __VA_ARGS__);                                                                \
        return;                                                                                    \
    } while (0)

/* Skips a self-test that needs interrupts between CPUs or a local APIC
 * timer on a machine without a local APIC (e.g. QEMU -cpu ...,-apic). */
#define KTEST_NEEDS_APIC(t)                                                                        \
    do {                                                                                           \
        if (!arch_apic_present())                                                                  \
            KTEST_SKIP(t, "no local APIC");                                                        \
    } while (0)

/* For a function that does something undefined on purpose (a NULL
 * dereference whose page fault a test expects): no sanitizer check. */
#define KTEST_NO_SANITIZE __attribute__((no_sanitize("undefined")))

/* Exit codes for arch_vm_exit(); QEMU's status becomes (code << 1) | 1. */
#define KTEST_EXIT_PASS 0x10  /* status 33 */
#define KTEST_EXIT_FAIL 0x11  /* status 35 */
#define KTEST_EXIT_CRASH 0x12 /* status 37: panic or unexpected exception */

/* What a run of the self-tests came to, for the summary screen. */
#define KTEST_FAILED_NAMES_KEPT 8
struct ktest_result {
    size_t total, passed, failed, skipped;
    const struct ktest *failed_tests[KTEST_FAILED_NAMES_KEPT]; /* the first ones */
};

/* Prints the KTAP version line and the plan for the tests whose
 * "suite.name" starts with filter ("" for all). Called as soon as the
 * console works, before the boot steps that can fail, so that a crash
 * before the first test reads as crashed tests (a plan with no results),
 * not as a boot without KTAP. */
void ktest_announce(const char *filter);

/* Runs every test whose "suite.name" starts with filter, except those
 * named in skip_list (comma-separated, reported as skipped); prints their
 * results (announcing them first if ktest_announce was not called: ok
 * lines in green, not ok in red where the screen has colour) and returns
 * the counts. The caller decides how the run ends (kernel/finish.h). */
struct ktest_result ktest_run_all(const char *filter, const char *skip_list);

/* True from the moment test mode starts: a panic then ends the VM. */
bool ktest_mode_active(void);
void ktest_mode_enter(void);

#endif
