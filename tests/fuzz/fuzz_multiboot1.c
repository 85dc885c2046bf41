/* The multiboot 1 information (kernel/multiboot1.c): the input is physical
 * memory, the information block at its start, and every address in it
 * (command line, memory map, loader name) points into that memory. */
#include "kernel/bootinfo.h"
#include "kernel/multiboot1.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    fuzz_set_memory(data, size);
    const void *info = fuzz_phys_to_virt(FUZZ_PHYS_BASE, 88); /* the spec's 88-byte block */
    if (info != NULL)
        mb1_parse(info, fuzz_phys_to_virt, &bi);
    return 0;
}
