/*
 * fb_console.h - text on a graphical (linear RGB) framebuffer, the screen a
 * UEFI boot leaves the kernel.
 */
#ifndef PLATFORM_PC_FB_CONSOLE_H
#define PLATFORM_PC_FB_CONSOLE_H

#include "kernel/console.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* From this screen width on, glyphs are drawn twice as big (the screen
 * check in tests/ reads it from the generated constants). */
#define FB_LARGE_SCREEN_WIDTH 1600

struct framebuffer_info;

/* False (with nothing drawn) when the framebuffer is not one this console
 * can use: not RGB, or not 24 or 32 bits per pixel. One above 4 GiB is
 * written to the text grid only until fb_console_map_high. */
bool fb_console_init(const struct framebuffer_info *fb);
void fb_console_write(const char *s, size_t n);
void fb_console_set_colour(enum console_colour colour);
void fb_console_clear(void);

/* The physical address (and size) of a framebuffer that still needs
 * mapping, or 0; then where it was mapped, from which the console draws
 * everything written so far. */
uint64_t fb_console_pending_phys(uint64_t *bytes);
void fb_console_map_high(volatile void *mapped);

#endif
