/* The ACPI walk (kernel/firmware/acpi.c): the RSDP and its checksums, the RSDT or
 * XSDT, and every table it finds (MADT, FADT, HPET, DMAR). The input is
 * physical memory; the loader's RSDP copy is its first 36 bytes, so the
 * fuzzer controls the root table's address and, through it, the walk. */
#include "kernel/boot/bootinfo.h"
#include "kernel/firmware/acpi.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    static struct madt_info madt;
    memset(&bi, 0, sizeof(bi));
    fuzz_set_memory(data, size);
    bi.rsdp_length = size < sizeof(bi.rsdp) ? size : sizeof(bi.rsdp);
    memcpy(bi.rsdp, data, bi.rsdp_length);
    bi.rsdp_is_new = bi.rsdp_length >= 36;
    bi.uefi = true; /* no scan of the BIOS areas: they are not in the input */
    acpi_init(&bi, &madt);
    return 0;
}
