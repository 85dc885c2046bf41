/*
 * cmdline.c - splits the command line into words (kernel/boot/options.c knows
 * what they mean).
 */
#include "kernel/boot/cmdline.h"

#include "lib/string.h"

struct cmdline boot_cmdline;

static bool looks_like_path(const char *word)
{
    return strchr(word, '/') != NULL && strchr(word, '=') == NULL;
}

void cmdline_parse(struct cmdline *cl, const char *line)
{
    memset(cl, 0, sizeof(*cl));
    strlcpy(cl->buffer, line != NULL ? line : "", sizeof(cl->buffer));

    char *p = cl->buffer;
    bool first = true;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        char *word = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (*p != '\0')
            *p++ = '\0';

        if (first && looks_like_path(word)) {
            first = false;
            continue;
        }
        first = false;

        if (cl->count == CMDLINE_MAX_OPTIONS) {
            cl->dropped++;
            continue;
        }
        char *eq = strchr(word, '=');
        if (eq != NULL)
            *eq = '\0';
        struct cmdline_arg *a = &cl->args[cl->count++];
        a->name = word;
        a->value = eq != NULL ? eq + 1 : NULL;
    }
}

const struct cmdline_arg *cmdline_find(const struct cmdline *cl, const char *name)
{
    for (size_t i = cl->count; i > 0; i--) {
        if (strcmp(cl->args[i - 1].name, name) == 0)
            return &cl->args[i - 1];
    }
    return NULL;
}

bool cmdline_has(const struct cmdline *cl, const char *name)
{
    return cmdline_find(cl, name) != NULL;
}

const char *cmdline_value(const struct cmdline *cl, const char *name, const char *fallback)
{
    const struct cmdline_arg *a = cmdline_find(cl, name);
    return a != NULL && a->value != NULL ? a->value : fallback;
}

bool cmdline_u64(const struct cmdline *cl, const char *name, uint64_t *value)
{
    const char *text = cmdline_value(cl, name, NULL);
    if (text == NULL)
        return false;
    uint64_t v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            break;
        v = v * 10 + digit;
    }
    if (p == text || *p != '\0')
        return false;
    *value = v;
    return true;
}
