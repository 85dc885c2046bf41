/*
 * test_string.c - lib/string.c against the host C library. The library's
 * functions are built renamed (lib_memcpy, ...), see the Makefile.
 */
#include "tests/host/htest.h"

#include <stdint.h>

void *lib_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *lib_memmove(void *dst, const void *src, size_t n);
void *lib_memset(void *dst, int c, size_t n);
int lib_memcmp(const void *a, const void *b, size_t n);
size_t lib_strlen(const char *s);
size_t lib_strnlen(const char *s, size_t max);
int lib_strcmp(const char *a, const char *b);
int lib_strncmp(const char *a, const char *b, size_t n);
char *lib_strchr(const char *s, int c);
char *lib_strstr(const char *haystack, const char *needle);
size_t lib_strlcpy(char *restrict dst, const char *restrict src, size_t size);

static int sign(int v) { return (v > 0) - (v < 0); }

static void fill(uint8_t *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed * 31u + i * 7u);
}

static void memory_functions(void)
{
    uint8_t src[64], a[64], b[64];
    fill(src, sizeof(src), 1);
    bool ok = true;
    for (size_t n = 0; n <= sizeof(src); n++) {
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        lib_memcpy(a, src, n);
        memcpy(b, src, n);
        ok = ok && memcmp(a, b, sizeof(a)) == 0;
    }
    HCHECK("memcpy_every_length", ok, "differs from the C library");

    ok = true;
    for (size_t dst_off = 0; dst_off < 8; dst_off++) {
        for (size_t src_off = 0; src_off < 8; src_off++) {
            fill(a, sizeof(a), 2);
            fill(b, sizeof(b), 2);
            lib_memmove(a + dst_off, a + src_off, 40);
            memmove(b + dst_off, b + src_off, 40);
            ok = ok && memcmp(a, b, sizeof(a)) == 0;
        }
    }
    HCHECK("memmove_overlapping_both_ways", ok, "differs from the C library");

    void *r = lib_memset(a, 0x5A, 33);
    ok = r == a;
    for (int i = 0; i < 33; i++)
        ok = ok && a[i] == 0x5A;
    HCHECK("memset_fills_and_returns_dst", ok, "wrong fill or return value");

    fill(a, sizeof(a), 3);
    fill(b, sizeof(b), 3);
    ok = lib_memcmp(a, b, sizeof(a)) == 0;
    b[10] = (uint8_t)(a[10] + 1);
    ok = ok && sign(lib_memcmp(a, b, sizeof(a))) == sign(memcmp(a, b, sizeof(a)));
    a[10] = 0xFF; /* bytes compare as unsigned */
    b[10] = 0x01;
    ok = ok && lib_memcmp(a, b, sizeof(a)) > 0 && lib_memcmp(a, b, 10) == 0;
    HCHECK("memcmp_unsigned_order", ok, "wrong ordering");
}

static void string_functions(void)
{
    const char *words[] = {"", "a", "abc", "abd", "ab", "\xff", "hello world"};
    size_t n = sizeof(words) / sizeof(words[0]);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        ok = ok && lib_strlen(words[i]) == strlen(words[i]);
        ok = ok && lib_strnlen(words[i], 2) == strnlen(words[i], 2);
        for (size_t j = 0; j < n; j++) {
            ok = ok && sign(lib_strcmp(words[i], words[j])) == sign(strcmp(words[i], words[j]));
            for (size_t k = 0; k < 4; k++)
                ok = ok && sign(lib_strncmp(words[i], words[j], k)) ==
                               sign(strncmp(words[i], words[j], k));
        }
    }
    HCHECK("strlen_strcmp_strncmp_match_libc", ok, "differs from the C library");

    const char *s = "kernel.elf test";
    ok = lib_strchr(s, 't') == strchr(s, 't') && lib_strchr(s, 'z') == NULL &&
         lib_strchr(s, '\0') == s + strlen(s);
    HCHECK("strchr_finds_first_and_nul", ok, "wrong pointer");

    ok = lib_strstr(s, "test") == strstr(s, "test") && lib_strstr(s, "tests") == NULL &&
         lib_strstr(s, "") == s && lib_strstr("", "a") == NULL;
    HCHECK("strstr_matches_libc", ok, "wrong pointer");
}

static void strlcpy_cases(void)
{
    char buf[8];
    memset(buf, '@', sizeof(buf));
    bool ok = lib_strlcpy(buf, "hello world", sizeof(buf)) == 11 && strcmp(buf, "hello w") == 0;
    HCHECK("strlcpy_truncates_and_returns_source_length", ok, "got \"%s\"", buf);

    memset(buf, '@', sizeof(buf));
    ok = lib_strlcpy(buf, "hi", sizeof(buf)) == 2 && strcmp(buf, "hi") == 0;
    HCHECK("strlcpy_short_string", ok, "got \"%s\"", buf);

    memset(buf, '@', sizeof(buf));
    ok = lib_strlcpy(buf, "hi", 0) == 2 && buf[0] == '@';
    HCHECK("strlcpy_size_zero_writes_nothing", ok, "buffer was written");

    ok = lib_strlcpy(buf, "abcdefg", sizeof(buf)) == 7 && strcmp(buf, "abcdefg") == 0;
    HCHECK("strlcpy_exact_fit", ok, "got \"%s\"", buf);
}

int main(void)
{
    memory_functions();
    string_functions();
    strlcpy_cases();
    return htest_finish();
}
