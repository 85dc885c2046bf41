/*
 * test_lib.c - lib/ inside the kernel: the formatter and string functions,
 * built with the kernel's flags (the host tests cover them case by case).
 */
#include "kernel/diag/ktest.h"
#include "lib/format.h"
#include "lib/string.h"

KTEST(lib, format_basics)
{
    char buf[64];
    EXPECT_EQ(t, 16, fmt_snprintf(buf, sizeof(buf), "%d|%5s|%-3c|%x", -42, "ab", 'z', 255u));
    EXPECT_STREQ(t, "-42|   ab|z  |ff", buf);
    fmt_snprintf(buf, sizeof(buf), "%016llx %zu %p", 0xdeadbeefull, (size_t)7, (void *)0x1000);
    EXPECT_STREQ(t, "00000000deadbeef 7 0x1000", buf);
}

KTEST(lib, format_truncates)
{
    char buf[4];
    EXPECT_EQ(t, 6, fmt_snprintf(buf, sizeof(buf), "abcdef"));
    EXPECT_STREQ(t, "abc", buf);
}

KTEST(lib, string_functions)
{
    char buf[8];
    EXPECT_EQ(t, 5, strlen("hello"));
    EXPECT_TRUE(t, strcmp("abc", "abd") < 0);
    EXPECT_EQ(t, 0, strncmp("abcx", "abcy", 3));
    EXPECT_EQ(t, 11, strlcpy(buf, "hello world", sizeof(buf)));
    EXPECT_STREQ(t, "hello w", buf);
    memset(buf, 'x', 4);
    memmove(buf + 1, buf, 3);
    EXPECT_EQ(t, 0, memcmp(buf, "xxxx", 4));
}
