/*
 * font5x7.h - a small bitmap font for printing on a graphical framebuffer.
 *
 * Each printable ASCII character (0x20-0x7E) is drawn in 5 columns by 7
 * rows, written out as text so it can be read and edited: '#' is a lit
 * pixel. The console puts each glyph in a cell of FONT_CELL_WIDTH by
 * FONT_CELL_HEIGHT pixels, which leaves a gap between characters and lines.
 */
#ifndef LIB_FONT5X7_H
#define LIB_FONT5X7_H

#define FONT_FIRST_CHAR 0x20
#define FONT_LAST_CHAR 0x7E
#define FONT_GLYPH_WIDTH 5
#define FONT_GLYPH_HEIGHT 7
#define FONT_CELL_WIDTH 6
#define FONT_CELL_HEIGHT 9

/* font5x7[c - FONT_FIRST_CHAR][row] is a row of FONT_GLYPH_WIDTH characters. */
extern const char font5x7[FONT_LAST_CHAR - FONT_FIRST_CHAR + 1][FONT_GLYPH_HEIGHT]
                         [FONT_GLYPH_WIDTH + 1];

#endif
