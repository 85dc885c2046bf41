/*
 * htest.h - a minimal KTAP producer for the host unit tests.
 *
 * Each check is reported as one test case; the plan is printed at the end,
 * once the number of cases is known (results are kept until then).
 *
 *   HCHECK("strlen counts", strlen("abc") == 3, "got %zu", strlen("abc"));
 *   return htest_finish();
 *
 * HTEST_ONLY="name,name,..." in the environment reports only those cases,
 * and a test that asks htest_selected() first runs only those (make grade
 * runs a lab's cases alone, and again after a crash, from the next one).
 */
#ifndef TESTS_HOST_HTEST_H
#define TESTS_HOST_HTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTEST_MAX_CASES 4096

struct htest_result {
    char name[160];
    bool ok;
    char reason[200];
};

static struct htest_result htest_results[HTEST_MAX_CASES];
static int htest_count;

/* Whether the case name is to be run and reported (HTEST_ONLY). */
static inline bool htest_selected(const char *name)
{
    const char *only = getenv("HTEST_ONLY");
    if (only == NULL)
        return true;
    size_t len = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += len)
        if ((p == only || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
            return true;
    return false;
}

/* Says that the case name starts: a reader that sees no verdict after it
 * knows which case a crash or a hang stopped. */
static inline void htest_begin(const char *name)
{
    printf("# test: %s\n", name);
    fflush(stdout);
}

__attribute__((format(printf, 3, 4))) static void htest_report(const char *name, bool ok,
                                                               const char *fmt, ...)
{
    if (!htest_selected(name))
        return;
    if (htest_count == HTEST_MAX_CASES) {
        fprintf(stderr, "htest: more than %d cases\n", HTEST_MAX_CASES);
        exit(2);
    }
    struct htest_result *r = &htest_results[htest_count++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->ok = ok;
    r->reason[0] = '\0';
    if (!ok && fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
        va_end(ap);
    }
    /* Said at once as diagnostics too, the reason before the verdict as in
     * the report: if a later case crashes the process (a sanitizer stops
     * it), the verdicts so far are not lost. */
    for (const char *line = r->reason; *line != '\0';) {
        const char *end = strchr(line, '\n');
        int len = end != NULL ? (int)(end - line) : (int)strlen(line);
        printf("# %.*s\n", len, line);
        line += len + (end != NULL);
    }
    printf("# %s %s\n", ok ? "ok" : "not ok", r->name);
    fflush(stdout);
}

#define HCHECK(name, cond, fmt, ...)                                                               \
    htest_report(name, (cond), "%s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__)

/* Prints the KTAP report; returns the process exit status. */
static int htest_finish(void)
{
    int failed = 0;
    printf("KTAP version 1\n1..%d\n", htest_count);
    for (int i = 0; i < htest_count; i++) {
        struct htest_result *r = &htest_results[i];
        /* KTAP names must not contain '#': it starts a directive. */
        for (char *c = r->name; *c != '\0'; c++) {
            if (*c == '#' || *c == '\n')
                *c = '_';
        }
        if (r->ok) {
            printf("ok %d %s\n", i + 1, r->name);
        } else {
            failed++;
            /* The reason goes on diagnostic lines before the result: text
             * after "not ok ... #" is a directive to KTAP and TAP readers,
             * and one starting "SKIP" or "TODO" would hide the failure. */
            for (const char *line = r->reason; *line != '\0';) {
                const char *end = strchr(line, '\n');
                int len = end != NULL ? (int)(end - line) : (int)strlen(line);
                printf("# %.*s\n", len, line);
                line += len + (end != NULL);
            }
            printf("not ok %d %s\n", i + 1, r->name);
        }
    }
    return failed == 0 ? 0 : 1;
}

#endif
