/*
 * test_boot.c - what the kernel learnt from its boot loader and command line.
 */
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/cmdline.h"
#include "kernel/boot/options.h"
#include "kernel/diag/ktest.h"
#include "lib/string.h"

extern char __text_start[], __kernel_end[];
#define KERNEL_VMA_OFFSET 0xFFFFFFFF80000000ull

KTEST(boot, memory_map_covers_the_kernel)
{
    const struct boot_info *bi = kernel_boot_info();
    ASSERT_TRUE(t, bi->mmap_count > 0);
    EXPECT_TRUE(t, bootinfo_available_bytes(bi) >= 16ull * 1024 * 1024);
    uint64_t start = (uintptr_t)__text_start - KERNEL_VMA_OFFSET;
    uint64_t end = (uintptr_t)__kernel_end - KERNEL_VMA_OFFSET;
    bool covered = false;
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *r = &bi->mmap[i];
        if (r->type == MEM_AVAILABLE && r->base <= start && end <= r->base + r->length)
            covered = true;
    }
    EXPECT_TRUE(t, covered);
}

KTEST(boot, loader_is_named)
{
    EXPECT_TRUE(t, kernel_boot_info()->loader_name[0] != '\0');
    /* The runner knows who booted the kernel (QEMU's -kernel, GRUB or ISOLINUX). */
    const char *expected = boot_options.expect_loader;
    if (expected != NULL)
        EXPECT_TRUE(t, strncmp(kernel_boot_info()->loader_name, expected, strlen(expected)) == 0);
}

/* The banner's firmware word: what the protocol can tell, nothing more
 * (multiboot 1 has no field for it, so "unknown" there). */
KTEST(boot, firmware_word_is_what_the_protocol_tells)
{
    const struct boot_info *bi = kernel_boot_info();
    const char *word = bootinfo_firmware_name(bi);
    if (bi->protocol == BOOT_MULTIBOOT1)
        EXPECT_STREQ(t, "unknown", word);
    const char *expected = boot_options.expect_firmware;
    if (expected != NULL)
        EXPECT_STREQ(t, expected, word);
}

KTEST(boot, acpi_rsdp_passed_by_multiboot2)
{
    const struct boot_info *bi = kernel_boot_info();
    if (bi->protocol != BOOT_MULTIBOOT2)
        KTEST_SKIP(t, "multiboot 1 has no ACPI tag; the RSDP is found by scanning");
    ASSERT_TRUE(t, bi->rsdp_length >= 20);
    EXPECT_EQ(t, 0, memcmp(bi->rsdp, "RSD PTR ", 8));
}

KTEST(boot, no_boot_info_warnings)
{
    const struct boot_info *bi = kernel_boot_info();
    EXPECT_EQ(t, 0, bi->warnings.count);
}

/* Whatever else the person booting wrote (an option this kernel does not
 * know draws a warning, not a failure), the tests run because of "test". */
KTEST(boot, command_line_reached_the_kernel)
{
    EXPECT_TRUE(t, cmdline_has(&boot_cmdline, "test"));
    EXPECT_TRUE(t, boot_options.test != NULL);
}

KTEST(boot, command_line_parsing)
{
    static struct cmdline cl;
    static struct options o;
    static struct warning_log problems;
    cmdline_parse(&cl, "/boot/kernel.elf  test=lib. bench\tfoo=bar test stress_calls=-5");
    EXPECT_EQ(t, 5, cl.count);
    EXPECT_TRUE(t, cmdline_has(&cl, "bench"));
    EXPECT_STREQ(t, "bar", cmdline_value(&cl, "foo", NULL));
    options_parse(&cl, &o, &problems);
    /* The last "test" has no value: every test. foo is unknown and
     * stress_calls=-5 not a number of calls: two problems, defaults kept. */
    EXPECT_STREQ(t, "", o.test);
    EXPECT_TRUE(t, o.bench);
    EXPECT_EQ(t, 2, problems.count);
    EXPECT_EQ(t, 100000, o.stress_calls);
}
