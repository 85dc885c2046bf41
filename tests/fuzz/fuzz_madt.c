/* The MADT parser (kernel/madt.c) on a table's bytes. */
#include "kernel/madt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct madt_info info;
    madt_parse(data, size, &info);
    return 0;
}
