/* The multiboot 1 information (kernel/boot/multiboot1.c): the input is physical
 * memory, the information block at its start, and every address in it
 * (command line, memory map, loader name) points into that memory. */
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/multiboot1.h"
#include "tests/fuzz/fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    fuzz_set_memory(data, size);
    /* The spec's 88-byte block, and the framebuffer fields after it that
     * flags bit 12 makes valid: a short input is padded with zeros. */
    static uint8_t info[MB1_INFO_SIZE];
    if (fuzz_phys_to_virt(FUZZ_PHYS_BASE, 88) == NULL)
        return 0;
    memset(info, 0, sizeof(info));
    memcpy(info, data, size < sizeof(info) ? size : sizeof(info));
    mb1_parse(info, fuzz_phys_to_virt, &bi);
    return 0;
}
