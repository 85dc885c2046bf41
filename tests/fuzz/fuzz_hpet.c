/* The HPET table parser (kernel/firmware/acpi_platform.c) on a table's bytes. */
#include "kernel/firmware/acpi_platform.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acpi_hpet_info info;
    acpi_hpet_parse(data, size, &info);
    return 0;
}
