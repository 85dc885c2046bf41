/*
 * ktest.c - runs the registered self-tests and reports them as KTAP.
 */
#include "kernel/diag/ktest.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "lib/format.h"
#include "lib/string.h"

#include <stdarg.h>

extern const struct ktest __ktest_start[], __ktest_end[];

static bool test_mode;

bool ktest_mode_active(void) { return test_mode; }
void ktest_mode_enter(void) { test_mode = true; }

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
    char msg[sizeof(t->reason)];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (!t->quiet)
        kprintf("# %s:%d: %s\n", file, line, msg);
    if (t->failures++ == 0)
        strlcpy(t->reason, msg, sizeof(t->reason));
}

void ktest_skip(struct ktest_ctx *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
    va_end(ap);
    t->skipped = true;
}

static bool matches(const struct ktest *k, const char *filter)
{
    char full[96];
    fmt_snprintf(full, sizeof(full), "%s.%s", k->suite, k->name);
    return strncmp(full, filter, strlen(filter)) == 0;
}

/* True when "suite.name" is one of the comma-separated names in list. */
static bool listed(const struct ktest *k, const char *list)
{
    char full[96];
    size_t len = (size_t)fmt_snprintf(full, sizeof(full), "%s.%s", k->suite, k->name);
    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, full, n) == 0)
            return true;
        /* "suite.prefix*" names every test that starts with the prefix. */
        if (n > 0 && p[n - 1] == '*' && n - 1 <= len && strncmp(p, full, n - 1) == 0)
            return true;
        p += n + (end != NULL ? 1 : 0);
    }
    return false;
}

static size_t count_matching(const char *filter)
{
    size_t total = 0;
    for (const struct ktest *k = __ktest_start; k < __ktest_end; k++)
        total += matches(k, filter);
    return total;
}

static bool announced;

void ktest_announce(const char *filter)
{
    kprintf("KTAP version 1\n1..%zu\n", count_matching(filter));
    announced = true;
}

struct ktest_result ktest_run_all(const char *filter, const char *skip_list)
{
    struct ktest_result r;
    memset(&r, 0, sizeof(r));
    r.total = count_matching(filter);
    if (!announced)
        ktest_announce(filter);
    size_t n = 0;
    for (const struct ktest *k = __ktest_start; k < __ktest_end; k++) {
        if (!matches(k, filter))
            continue;
        struct ktest_ctx t;
        memset(&t, 0, sizeof(t));
        n++;
        if (listed(k, skip_list))
            ktest_skip(&t, "excluded by test_skip= on the command line");
        else
            k->fn(&t);
        if (t.failures > 0) {
            if (r.failed < KTEST_FAILED_NAMES_KEPT)
                r.failed_tests[r.failed] = k;
            r.failed++;
            /* The reason is already on a diagnostic line above (ktest_fail):
             * nothing after '#', which readers would take for a directive. */
            kprintf_colour(COLOUR_FAIL, "not ok %zu %s.%s\n", n, k->suite, k->name);
        } else if (t.skipped) {
            r.skipped++;
            kprintf_colour(COLOUR_NOTE, "ok %zu %s.%s # SKIP %s\n", n, k->suite, k->name, t.reason);
        } else {
            r.passed++;
            kprintf_colour(COLOUR_PASS, "ok %zu %s.%s\n", n, k->suite, k->name);
        }
    }
    kprintf("# ktest: %zu passed, %zu failed, %zu skipped\n", r.passed, r.failed, r.skipped);
    if (r.total == 0)
        kprintf("# ktest: no test matches \"%s\"\n", filter);
    return r;
}
