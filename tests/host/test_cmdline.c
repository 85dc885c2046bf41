/*
 * test_cmdline.c - kernel/boot/cmdline.c on the host.
 */
#include "kernel/boot/cmdline.h"

#include "tests/host/htest.h"

static struct cmdline cl;

int main(void)
{
    cmdline_parse(&cl, "");
    HCHECK("empty_line", cl.count == 0, "count %zu", cl.count);

    cmdline_parse(&cl, NULL);
    HCHECK("null_line", cl.count == 0, "count %zu", cl.count);

    cmdline_parse(&cl, "/boot/kernel.elf test");
    HCHECK("kernel_path_skipped", cl.count == 1 && cmdline_has(&cl, "test"), "count %zu", cl.count);

    cmdline_parse(&cl, "build/kernel.elf test=lib. bench");
    HCHECK("relative_path_skipped_and_value_kept",
           cl.count == 2 && strcmp(cmdline_value(&cl, "test", ""), "lib.") == 0, "count %zu",
           cl.count);

    cmdline_parse(&cl, "test path=/a/b");
    HCHECK("path_in_value_is_an_option",
           cl.count == 2 && strcmp(cmdline_value(&cl, "path", ""), "/a/b") == 0, "count %zu",
           cl.count);

    cmdline_parse(&cl, "  test \t  bench   ");
    HCHECK("extra_white_space", cl.count == 2, "count %zu", cl.count);

    cmdline_parse(&cl, "inject=a inject=b");
    HCHECK("last_occurrence_wins", strcmp(cmdline_value(&cl, "inject", ""), "b") == 0, "got %s",
           cmdline_value(&cl, "inject", ""));

    cmdline_parse(&cl, "test=");
    HCHECK("empty_value",
           cmdline_value(&cl, "test", NULL) != NULL && cmdline_value(&cl, "test", NULL)[0] == '\0',
           "value missing");

    cmdline_parse(&cl, "test");
    HCHECK("flag_without_value_uses_fallback",
           strcmp(cmdline_value(&cl, "test", "dflt"), "dflt") == 0, "wrong value");

    char many[CMDLINE_BUFFER];
    many[0] = '\0';
    for (int i = 0; i < CMDLINE_MAX_OPTIONS + 5; i++)
        strcat(many, "x ");
    cmdline_parse(&cl, many);
    HCHECK("too_many_words_dropped", cl.count == CMDLINE_MAX_OPTIONS && cl.dropped == 5,
           "count %zu dropped %zu", cl.count, cl.dropped);

    char longline[CMDLINE_BUFFER * 2];
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    cmdline_parse(&cl, longline);
    HCHECK("overlong_line_truncated_safely",
           cl.count == 1 && strlen(cl.args[0].name) == CMDLINE_BUFFER - 1, "count %zu", cl.count);

    uint64_t v = 7;
    cmdline_parse(&cl, "a=0 b=18446744073709551615 c=18446744073709551616 d=12x e= f");
    HCHECK("u64_zero", cmdline_u64(&cl, "a", &v) && v == 0, "v=%llu", (unsigned long long)v);
    HCHECK("u64_max", cmdline_u64(&cl, "b", &v) && v == UINT64_MAX, "v=%llu",
           (unsigned long long)v);
    v = 7;
    HCHECK("u64_overflow_refused", !cmdline_u64(&cl, "c", &v) && v == 7, "v=%llu",
           (unsigned long long)v);
    HCHECK("u64_trailing_junk_refused", !cmdline_u64(&cl, "d", &v) && v == 7, "v=%llu",
           (unsigned long long)v);
    HCHECK("u64_empty_and_bare_refused", !cmdline_u64(&cl, "e", &v) && !cmdline_u64(&cl, "f", &v),
           "accepted");
    HCHECK("u64_absent", !cmdline_u64(&cl, "zz", &v), "accepted");

    return htest_finish();
}
