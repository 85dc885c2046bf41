/* The command line (kernel/boot/cmdline.c) and the options table
 * (kernel/boot/options.c): every word, value, number and range. */
#include "kernel/boot/cmdline.h"
#include "kernel/boot/options.h"
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cmdline cl;
    static struct options options;
    static struct warning_log problems;
    char *line = malloc(size + 1); /* the loader's string ends at a NUL */
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    cmdline_parse(&cl, line);
    memset(&problems, 0, sizeof(problems));
    options_parse(&cl, &options, &problems);
    free(line);
    return 0;
}
