/*
 * vga_text.h - the 80x25 VGA text screen as a console (legacy BIOS boots).
 */
#ifndef PLATFORM_PC_VGA_TEXT_H
#define PLATFORM_PC_VGA_TEXT_H

#include "kernel/console.h"

#include <stddef.h>
#include <stdint.h>

void vga_text_init(uint64_t phys, uint32_t columns, uint32_t rows);
void vga_text_write(const char *s, size_t n);
void vga_text_set_colour(enum console_colour colour);
void vga_text_clear(void);

#endif
