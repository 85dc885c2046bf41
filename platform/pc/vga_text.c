/*
 * vga_text.c - writes to the VGA text buffer: each cell is a character byte
 * and an attribute byte (IBM VGA technical reference, "text modes").
 * The screen scrolls up when the last row is full.
 */
#include "platform/pc/vga_text.h"

#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"

/* Attribute byte: background in bits 4-6, foreground in bits 0-3 (the
 * 16 CGA colours; bit 3 makes them bright). */
#define VGA_ATTR_GREY_ON_BLACK 0x07
#define VGA_ATTR_GREEN_ON_BLACK 0x0A
#define VGA_ATTR_RED_ON_BLACK 0x0C
#define VGA_ATTR_YELLOW_ON_BLACK 0x0E
#define VGA_ATTR_WHITE_ON_BLACK 0x0F
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA 0x3D5
#define VGA_CRTC_CURSOR_START 0x0A
#define VGA_CURSOR_DISABLE 0x20

static volatile uint16_t *screen;
static uint32_t cols, rows, col, row;
static uint8_t attribute = VGA_ATTR_GREY_ON_BLACK;

static uint16_t cell(char c) { return (uint16_t)((attribute << 8) | (uint8_t)c); }

void vga_text_set_colour(enum console_colour colour)
{
    switch (colour) {
    case COLOUR_PASS: attribute = VGA_ATTR_GREEN_ON_BLACK; break;
    case COLOUR_FAIL: attribute = VGA_ATTR_RED_ON_BLACK; break;
    case COLOUR_NOTE: attribute = VGA_ATTR_YELLOW_ON_BLACK; break;
    case COLOUR_TITLE: attribute = VGA_ATTR_WHITE_ON_BLACK; break;
    default: attribute = VGA_ATTR_GREY_ON_BLACK; break;
    }
}

void vga_text_clear(void)
{
    if (screen == NULL)
        return;
    uint8_t kept = attribute;
    attribute = VGA_ATTR_GREY_ON_BLACK;
    for (uint32_t i = 0; i < cols * rows; i++)
        screen[i] = cell(' ');
    attribute = kept;
    col = row = 0;
}

void vga_text_init(uint64_t phys, uint32_t columns, uint32_t nrows)
{
    screen = phys_to_virt(phys);
    cols = columns;
    rows = nrows;
    vga_text_clear();
    /* Hide the hardware cursor: the kernel does not move it. */
    outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_START);
    outb(VGA_CRTC_DATA, VGA_CURSOR_DISABLE);
}

static void newline(void)
{
    col = 0;
    if (++row < rows)
        return;
    for (uint32_t i = 0; i < cols * (rows - 1); i++)
        screen[i] = screen[i + cols];
    for (uint32_t i = 0; i < cols; i++)
        screen[cols * (rows - 1) + i] = cell(' ');
    row = rows - 1;
}

void vga_text_write(const char *s, size_t n)
{
    if (screen == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            newline();
            continue;
        }
        if (s[i] == '\r') {
            col = 0;
            continue;
        }
        screen[row * cols + col] = cell(s[i]);
        if (++col == cols)
            newline();
    }
}
