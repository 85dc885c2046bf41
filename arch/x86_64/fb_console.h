/*
 * fb_console.h - text on a graphical (linear RGB) framebuffer, the screen a
 * UEFI boot leaves the kernel.
 */
#ifndef ARCH_X86_64_FB_CONSOLE_H
#define ARCH_X86_64_FB_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* From this screen width on, glyphs are drawn twice as big (the screen
 * check in tests/ reads it from the generated constants). */
#define FB_LARGE_SCREEN_WIDTH 1600

struct framebuffer_info;

/* False (with nothing drawn) when the framebuffer is not one this console
 * can use: not RGB, not 24 or 32 bits per pixel, or not below 4 GiB. */
bool fb_console_init(const struct framebuffer_info *fb);
void fb_console_write(const char *s, size_t n);

#endif
