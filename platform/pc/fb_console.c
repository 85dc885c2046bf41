/*
 * fb_console.c - a text console drawn with lib/font5x7 on the framebuffer
 * GRUB sets up (multiboot2 §3.6.12, framebuffer info tag).
 *
 * The text is kept in a shadow grid of characters and their colours;
 * scrolling redraws the grid instead of reading the framebuffer back, since
 * firmware maps it uncacheable and reads from it are slow. The grid also
 * holds what was written before a framebuffer above 4 GiB could be mapped
 * (the boot page tables reach only the low 4 GiB): fb_console_map_high
 * draws it all once paging is up.
 */
#include "platform/pc/fb_console.h"

#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/boot/bootinfo.h"
#include "lib/font5x7.h"
#include "lib/string.h"

#define MAX_COLUMNS 320
#define MAX_ROWS 160
#define TAB_WIDTH 8

static volatile uint8_t *pixels; /* NULL until the framebuffer is mapped */
static bool active;              /* the grid is kept (pixels may follow later) */
static uint64_t pending_phys;    /* a framebuffer above 4 GiB, not mapped yet */
static uint32_t pitch, bytes_per_pixel, scale;
static uint32_t columns, rows, cursor_x, cursor_y;
static uint32_t palette[COLOUR_TITLE + 1], background;
static uint8_t colour = COLOUR_NORMAL;
static char grid[MAX_ROWS][MAX_COLUMNS];
static uint8_t grid_colour[MAX_ROWS][MAX_COLUMNS];

/* The value of a colour with 8-bit channels in this framebuffer's layout. */
static uint32_t rgb(const struct framebuffer_info *fb, uint8_t r, uint8_t g, uint8_t b)
{
    return ((uint32_t)(r >> (8 - fb->red_size)) << fb->red_pos) |
           ((uint32_t)(g >> (8 - fb->green_size)) << fb->green_pos) |
           ((uint32_t)(b >> (8 - fb->blue_size)) << fb->blue_pos);
}

static void put_pixel(uint32_t x, uint32_t y, uint32_t value)
{
    volatile uint8_t *p = pixels + (uint64_t)y * pitch + (uint64_t)x * bytes_per_pixel;
    if (bytes_per_pixel == 4) {
        mmio_write32(p, value);
    } else { /* 24 bpp: three bytes, little-endian */
        mmio_write8(p, (uint8_t)value);
        mmio_write8(p + 1, (uint8_t)(value >> 8));
        mmio_write8(p + 2, (uint8_t)(value >> 16));
    }
}

static void draw_cell(uint32_t column, uint32_t row)
{
    if (pixels == NULL)
        return;
    char c = grid[row][column];
    uint32_t foreground = palette[grid_colour[row][column]];
    const char(*glyph)[FONT_GLYPH_WIDTH + 1] =
        (c >= FONT_FIRST_CHAR && c <= FONT_LAST_CHAR) ? font5x7[c - FONT_FIRST_CHAR] : NULL;
    uint32_t x0 = column * FONT_CELL_WIDTH * scale, y0 = row * FONT_CELL_HEIGHT * scale;
    for (uint32_t gy = 0; gy < FONT_CELL_HEIGHT; gy++) {
        for (uint32_t gx = 0; gx < FONT_CELL_WIDTH; gx++) {
            bool lit = glyph != NULL && gy < FONT_GLYPH_HEIGHT && gx < FONT_GLYPH_WIDTH &&
                       glyph[gy][gx] == '#';
            for (uint32_t sy = 0; sy < scale; sy++)
                for (uint32_t sx = 0; sx < scale; sx++)
                    put_pixel(x0 + gx * scale + sx, y0 + gy * scale + sy,
                              lit ? foreground : background);
        }
    }
}

static void redraw(void)
{
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < columns; c++)
            draw_cell(c, r);
}

static void scroll(void)
{
    memmove(grid[0], grid[1], (size_t)(rows - 1) * MAX_COLUMNS);
    memmove(grid_colour[0], grid_colour[1], (size_t)(rows - 1) * MAX_COLUMNS);
    memset(grid[rows - 1], ' ', MAX_COLUMNS);
    memset(grid_colour[rows - 1], COLOUR_NORMAL, MAX_COLUMNS);
    redraw();
}

static void new_line(void)
{
    cursor_x = 0;
    if (++cursor_y == rows) {
        scroll();
        cursor_y = rows - 1;
    }
}

static uint64_t framebuffer_bytes;

bool fb_console_init(const struct framebuffer_info *fb)
{
    if (!fb->present || fb->type != FB_RGB || (fb->bpp != 32 && fb->bpp != 24))
        return false;
    uint64_t size = (uint64_t)fb->pitch * fb->height;
    if (fb->addr == 0 || fb->addr + size < fb->addr || fb->red_size > 8 || fb->green_size > 8 ||
        fb->blue_size > 8 || fb->pitch < (uint64_t)fb->width * (fb->bpp / 8))
        return false;
    framebuffer_bytes = size;
    if (fb->addr + size <= IDENTITY_MAP_LIMIT)
        pixels = phys_to_virt(fb->addr);
    else
        pending_phys = fb->addr; /* drawn once fb_console_map_high maps it */
    pitch = fb->pitch;
    bytes_per_pixel = fb->bpp / 8;
    scale = fb->width >= FB_LARGE_SCREEN_WIDTH ? 2 : 1;
    columns = fb->width / (FONT_CELL_WIDTH * scale);
    rows = fb->height / (FONT_CELL_HEIGHT * scale);
    if (columns > MAX_COLUMNS)
        columns = MAX_COLUMNS;
    if (rows > MAX_ROWS)
        rows = MAX_ROWS;
    if (columns == 0 || rows == 0)
        return false;
    palette[COLOUR_NORMAL] = rgb(fb, 0xC0, 0xC0, 0xC0);
    palette[COLOUR_PASS] = rgb(fb, 0x40, 0xE0, 0x40);
    palette[COLOUR_FAIL] = rgb(fb, 0xFF, 0x50, 0x50);
    palette[COLOUR_NOTE] = rgb(fb, 0xF0, 0xD0, 0x40);
    palette[COLOUR_TITLE] = rgb(fb, 0xFF, 0xFF, 0xFF);
    background = rgb(fb, 0, 0, 0);
    active = true;
    fb_console_clear();
    return true;
}

uint64_t fb_console_pending_phys(uint64_t *bytes)
{
    *bytes = framebuffer_bytes;
    return pending_phys;
}

void fb_console_map_high(volatile void *mapped)
{
    pixels = mapped;
    pending_phys = 0;
    redraw();
}

void fb_console_set_colour(enum console_colour c) { colour = (uint8_t)c; }

void fb_console_clear(void)
{
    memset(grid, ' ', sizeof(grid));
    memset(grid_colour, COLOUR_NORMAL, sizeof(grid_colour));
    redraw();
    cursor_x = cursor_y = 0;
}

void fb_console_write(const char *s, size_t n)
{
    if (!active)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n') {
            new_line();
        } else if (c == '\r') {
            cursor_x = 0;
        } else if (c == '\t') {
            do
                fb_console_write(" ", 1);
            while (cursor_x % TAB_WIDTH != 0);
        } else {
            grid[cursor_y][cursor_x] = c;
            grid_colour[cursor_y][cursor_x] = colour;
            draw_cell(cursor_x, cursor_y);
            if (++cursor_x == columns)
                new_line();
        }
    }
}
