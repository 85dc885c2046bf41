/*
 * test_format.c - lib/format.c against the host C library's snprintf,
 * case by case, including truncation at every buffer size.
 */
#include "lib/format.h"

#include "tests/host/htest.h"

#include <limits.h>
#include <stdint.h>

/* The cases below include formats compilers warn about on purpose (flags
 * that cancel out, a NULL string): both implementations must agree on them. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static int case_number;

/* Runs one format through both implementations and compares text and length. */
#define SAME(fmt, ...)                                                                             \
    do {                                                                                           \
        char want[256], got[256], name[160];                                                       \
        int want_n = snprintf(want, sizeof(want), fmt, ##__VA_ARGS__);                             \
        int got_n = fmt_snprintf(got, sizeof(got), fmt, ##__VA_ARGS__);                            \
        snprintf(name, sizeof(name), "format_%03d \"%s\"", ++case_number, fmt);                    \
        HCHECK(name, want_n == got_n && strcmp(want, got) == 0,                                    \
               "want \"%s\" (%d), got \"%s\" (%d)", want, want_n, got, got_n);                     \
    } while (0)

static void integers(void)
{
    SAME("%d", 0);
    SAME("%d", 42);
    SAME("%d", -42);
    SAME("%d", INT_MAX);
    SAME("%d", INT_MIN);
    SAME("%i", -7);
    SAME("%u", 0u);
    SAME("%u", UINT_MAX);
    SAME("%x", 0xabcdefu);
    SAME("%X", 0xabcdefu);
    SAME("%x", 0u);
    SAME("%ld", LONG_MIN);
    SAME("%ld", LONG_MAX);
    SAME("%lu", ULONG_MAX);
    SAME("%lx", 0xfedcba9876543210ul);
    SAME("%lld", LLONG_MIN);
    SAME("%lld", LLONG_MAX);
    SAME("%llu", ULLONG_MAX);
    SAME("%llX", 0x123456789abcdefull);
    SAME("%zu", (size_t)12345);
    SAME("%zx", SIZE_MAX);
    SAME("%hhd", -128);
    SAME("%hhu", 255);
    SAME("%hhx", 0x1ff);
    SAME("%hd", -32768);
    SAME("%hu", 65535);
    SAME("%hx", 0x12345);
}

static void widths_and_flags(void)
{
    SAME("%5d|", 42);
    SAME("%-5d|", 42);
    SAME("%05d|", 42);
    SAME("%05d|", -42);
    SAME("%-05d|", -42);
    SAME("%1d|", 12345);
    SAME("%08x|", 0xbeefu);
    SAME("%016llx|", 0xdeadbeefull);
    SAME("%-8x|", 0xbeefu);
    SAME("%+d|", 5);
    SAME("%+d|", -5);
    SAME("% d|", 5);
    SAME("% 5d|", 5);
    SAME("%+05d|", 5);
    SAME("%#x|", 0x1fu);
    SAME("%#X|", 0x1fu);
    SAME("%#x|", 0u);
    SAME("%#010x|", 0x1fu);
    SAME("%*d|", 6, 42);
    SAME("%-*d|", 6, 42);
    SAME("%*d|", -6, 42);
    SAME("%3c|", 'x');
    SAME("%-3c|", 'x');
    SAME("%c%c%c", 'a', 'b', 'c');
}

static void precision(void)
{
    SAME("%.3d|", 7);
    SAME("%.3d|", -7);
    SAME("%8.3d|", 7);
    SAME("%-8.3d|", -7);
    SAME("%08.3d|", 7); /* '0' is ignored when a precision is given */
    SAME("%.0d|", 0);
    SAME("%5.0d|", 0);
    SAME("%.0x|", 0u);
    SAME("%.5x|", 0xabu);
    SAME("%#.5x|", 0xabu);
    SAME("%.*d|", 4, 3);
    SAME("%.*d|", -1, 3);
}

static void strings(void)
{
    const char *null_string = NULL;
    SAME("%s", "hello");
    SAME("%s", "");
    SAME("%10s|", "hi");
    SAME("%-10s|", "hi");
    SAME("%.2s|", "hello");
    SAME("%.0s|", "hello");
    SAME("%.10s|", "hello");
    SAME("%8.3s|", "hello");
    SAME("%-8.3s|", "hello");
    SAME("%.*s|", 3, "abcdef");
    SAME("%s", null_string);
    SAME("%%");
    SAME("100%% sure");
    SAME("a%sb%sc", "1", "2");
    SAME("no conversions at all");
    SAME("");
}

static void pointers(void)
{
    int x;
    SAME("%p", (void *)&x);
    SAME("%p", (void *)0x1000);
    SAME("%20p|", (void *)0xabc);
    SAME("%-20p|", (void *)0xabc);

    char got[32];
    fmt_snprintf(got, sizeof(got), "%p", (void *)0);
    HCHECK("format_null_pointer_prints_0x0", strcmp(got, "0x0") == 0, "got \"%s\"", got);
}

static void truncation(void)
{
    const char *fmt = "value=%d name=%s";
    char want_full[64];
    int want_n = snprintf(want_full, sizeof(want_full), fmt, -1234, "abc");
    for (size_t size = 0; size <= (size_t)want_n + 2; size++) {
        char want[64], got[64], name[64];
        memset(want, '@', sizeof(want));
        memset(got, '@', sizeof(got));
        int wn = snprintf(size ? want : NULL, size, fmt, -1234, "abc");
        int gn = fmt_snprintf(size ? got : NULL, size, fmt, -1234, "abc");
        snprintf(name, sizeof(name), "format_truncated_to_%zu_bytes", size);
        HCHECK(name, wn == gn && memcmp(want, got, sizeof(want)) == 0,
               "want \"%.*s\", got \"%.*s\"", (int)size, want, (int)size, got);
    }
}

static void unknown_conversion(void)
{
    char got[32];
    /* Built at run time so the compiler does not reject the format. */
    char fmt[8] = {'[', '%', 'q', ']', '\0'};
    int n = fmt_snprintf(got, sizeof(got), fmt);
    HCHECK("format_unknown_conversion_is_copied", n == 4 && strcmp(got, "[%q]") == 0,
           "got \"%s\" (%d)", got, n);
    fmt[3] = '\0'; /* "[%q" then a format ending in '%' */
    char tail[4] = {'a', '%', '\0'};
    n = fmt_snprintf(got, sizeof(got), tail);
    HCHECK("format_trailing_percent_is_copied", n == 2 && strcmp(got, "a%") == 0, "got \"%s\" (%d)",
           got, n);
}

int main(void)
{
    integers();
    widths_and_flags();
    precision();
    strings();
    pointers();
    truncation();
    unknown_conversion();
    return htest_finish();
}
