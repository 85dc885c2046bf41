/* The multiboot2 tag list (kernel/boot/multiboot2.c), as GRUB would hand it over. */
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/multiboot2.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    mb2_parse(data, size, &bi);
    return 0;
}
