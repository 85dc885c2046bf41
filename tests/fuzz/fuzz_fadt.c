/* The FADT table parser (kernel/firmware/acpi_platform.c) on a table's bytes. */
#include "kernel/firmware/acpi_platform.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acpi_fadt_info info;
    acpi_fadt_parse(data, size, &info);
    return 0;
}
