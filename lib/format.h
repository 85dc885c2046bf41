/*
 * format.h - freestanding printf-style formatting.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%. Flags: '-' (left-justify), '0'
 * (zero padding), '+', ' ' and '#'. Width and precision may be numbers or '*'.
 * Length modifiers: hh h l ll z. The results match C99's snprintf for all of
 * these, except that %p of NULL prints "0x0". An unknown conversion is copied
 * to the output as written.
 */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text in pieces; n bytes at s, not NUL-terminated. */
typedef void format_sink(void *ctx, const char *s, size_t n);

/* Formats into sink; returns the number of characters produced. */
int format_v(format_sink *sink, void *ctx, const char *fmt, va_list ap);

/* As C99 vsnprintf/snprintf: writes at most size bytes including the NUL and
 * returns the length the full output would have had. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
