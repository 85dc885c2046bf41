/* The MADT parser (kernel/firmware/madt.c) on a table's bytes. */
#include "kernel/firmware/madt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct madt_info info;
    /* Twice: without a FADT, and with an ACPI 6.5 one (the two rules for
     * disabled processors, see madt.c). */
    madt_parse(data, size, (struct acpi_fadt_version){0, 0}, &info);
    madt_parse(data, size, (struct acpi_fadt_version){6, 5}, &info);
    return 0;
}
