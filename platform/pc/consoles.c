/*
 * consoles.c - which of the PC's screens the kernel writes to: COM1 always
 * when it answers, and the VGA text buffer or a graphical framebuffer as the
 * loader describes the screen (kernel/console.c fans the text out to them).
 */
#include "platform/pc/consoles.h"

#include "arch/x86_64/paging.h"
#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/console.h"
#include "platform/pc/fb_console.h"
#include "platform/pc/platform.h"
#include "platform/pc/serial.h"
#include "platform/pc/vga_text.h"

#define VGA_TEXT_COLUMNS 80
#define VGA_TEXT_ROWS 25

static struct console serial_console = {.name = "serial", .write = serial_write};
static struct console vga_console = {.name = "vga",
                                     .write = vga_text_write,
                                     .set_colour = vga_text_set_colour,
                                     .clear = vga_text_clear};
static struct console fb_console = {.name = "framebuffer",
                                    .write = fb_console_write,
                                    .set_colour = fb_console_set_colour,
                                    .clear = fb_console_clear};

void arch_console_init(const struct boot_info *bi)
{
    if (serial_init())
        console_register(&serial_console);

    /* Text mode is there when the loader says so, or under a multiboot 1
     * loader that says nothing of the screen (QEMU's -kernel and ISOLINUX's
     * mboot.c32 ignore the header's request for text mode, on a BIOS PC).
     * A graphical framebuffer (GRUB under UEFI) gets text drawn with the
     * kernel's own font. */
    if (bi->fb.present && bi->fb.type == FB_RGB) {
        if (fb_console_init(&bi->fb))
            console_register(&fb_console);
    } else if (bi->fb.present && bi->fb.type == FB_EGA_TEXT) {
        vga_text_init(bi->fb.addr, bi->fb.width, bi->fb.height);
        console_register(&vga_console);
    } else if (bi->protocol == BOOT_MULTIBOOT1 && !bi->fb.present) {
        vga_text_init(VGA_TEXT_PHYS, VGA_TEXT_COLUMNS, VGA_TEXT_ROWS);
        console_register(&vga_console);
    }
}

/* Firmware puts 64-bit BARs above 4 GiB. */
void consoles_map_high_framebuffer(void)
{
    uint64_t bytes, phys = fb_console_pending_phys(&bytes);
    if (phys == 0)
        return;
    volatile void *mapped = paging_map_device(phys, bytes);
    if (mapped == NULL) {
        kprintf("warning: framebuffer at %#llx (%llu bytes) does not fit the device window; "
                "serial only\n",
                (unsigned long long)phys, (unsigned long long)bytes);
        return;
    }
    fb_console_map_high(mapped);
    kprintf("framebuffer: above 4 GiB at %#llx, mapped at %p\n", (unsigned long long)phys,
            (void *)mapped);
}
