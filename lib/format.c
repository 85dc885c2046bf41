/*
 * format.c - the formatter behind kprintf and fmt_snprintf.
 *
 * One pass over the format string; each conversion is turned into three
 * pieces (sign/prefix, zero padding, digits or text) that are padded to the
 * field width as C99 §7.19.6.1 describes.
 */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

struct spec {
    bool left;     /* '-' */
    bool zero;     /* '0' */
    bool plus;     /* '+' */
    bool space;    /* ' ' */
    bool alt;      /* '#' */
    int width;     /* -1: none */
    int precision; /* -1: none */
};

struct out {
    format_sink *sink;
    void *ctx;
    int count;
};

static void emit(struct out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    o->sink(o->ctx, s, n);
    o->count += (int)n;
}

static void emit_repeat(struct out *o, char c, int n)
{
    char chunk[16];
    for (int i = 0; i < (int)sizeof(chunk); i++)
        chunk[i] = c;
    while (n > 0) {
        int k = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);
        emit(o, chunk, (size_t)k);
        n -= k;
    }
}

/* Pads "prefix, zeros, body" to the field width. */
static void emit_field(struct out *o, const struct spec *sp, const char *prefix, int prefix_len,
                       int zeros, const char *body, int body_len)
{
    int len = prefix_len + zeros + body_len;
    int pad = sp->width > len ? sp->width - len : 0;

    if (!sp->left)
        emit_repeat(o, ' ', pad);
    emit(o, prefix, (size_t)prefix_len);
    emit_repeat(o, '0', zeros);
    emit(o, body, (size_t)body_len);
    if (sp->left)
        emit_repeat(o, ' ', pad);
}

static void format_integer(struct out *o, struct spec sp, uint64_t value, bool negative,
                           unsigned base, bool upper, bool is_pointer)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int n = 0;
    bool is_zero = value == 0;

    /* C99: precision 0 with value 0 prints no digits at all. */
    if (!(value == 0 && sp.precision == 0)) {
        do {
            buf[sizeof(buf) - 1 - n++] = digits[value % base];
            value /= base;
        } while (value != 0);
    }
    const char *body = &buf[sizeof(buf) - n];

    char prefix[2];
    int prefix_len = 0;
    if (negative)
        prefix[prefix_len++] = '-';
    else if (sp.plus && base == 10 && !is_pointer)
        prefix[prefix_len++] = '+';
    else if (sp.space && base == 10 && !is_pointer)
        prefix[prefix_len++] = ' ';
    if (base == 16 && (is_pointer || (sp.alt && !is_zero))) {
        prefix[prefix_len++] = '0';
        prefix[prefix_len++] = upper ? 'X' : 'x';
    }

    int zeros = sp.precision > n ? sp.precision - n : 0;
    /* The '0' flag pads with zeros only when no precision is given. */
    if (sp.zero && !sp.left && sp.precision < 0) {
        int len = prefix_len + n;
        if (sp.width > len)
            zeros = sp.width - len;
    }
    emit_field(o, &sp, prefix, prefix_len, zeros, body, n);
}

static size_t bounded_strlen(const char *s, int max)
{
    size_t n = 0;
    while ((max < 0 || n < (size_t)max) && s[n] != '\0')
        n++;
    return n;
}

int format_v(format_sink *sink, void *ctx, const char *fmt, va_list ap)
{
    struct out o = {sink, ctx, 0};
    va_list args;
    va_copy(args, ap);

    while (*fmt != '\0') {
        if (*fmt != '%') {
            const char *start = fmt;
            while (*fmt != '\0' && *fmt != '%')
                fmt++;
            emit(&o, start, (size_t)(fmt - start));
            continue;
        }

        const char *conv_start = fmt++;
        struct spec sp = {false, false, false, false, false, -1, -1};

        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else if (*fmt == '+')
                sp.plus = true;
            else if (*fmt == ' ')
                sp.space = true;
            else if (*fmt == '#')
                sp.alt = true;
            else
                break;
        }

        if (*fmt == '*') {
            sp.width = va_arg(args, int);
            if (sp.width < 0) { /* C99: a negative width is '-' plus width */
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9') {
                sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (*fmt - '0');
                fmt++;
            }
        }

        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(args, int);
                if (sp.precision < 0)
                    sp.precision = -1; /* C99: as if omitted */
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') {
                    sp.precision = sp.precision * 10 + (*fmt - '0');
                    fmt++;
                }
            }
        }

        enum { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_Z } len = LEN_INT;
        if (fmt[0] == 'h' && fmt[1] == 'h') {
            len = LEN_HH;
            fmt += 2;
        } else if (fmt[0] == 'h') {
            len = LEN_H;
            fmt++;
        } else if (fmt[0] == 'l' && fmt[1] == 'l') {
            len = LEN_LL;
            fmt += 2;
        } else if (fmt[0] == 'l') {
            len = LEN_L;
            fmt++;
        } else if (fmt[0] == 'z') {
            len = LEN_Z;
            fmt++;
        }

        char conv = *fmt;
        if (conv != '\0')
            fmt++;

        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v;
            switch (len) {
            case LEN_HH: v = (signed char)va_arg(args, int); break;
            case LEN_H: v = (short)va_arg(args, int); break;
            case LEN_L: v = va_arg(args, long); break;
            case LEN_LL: v = va_arg(args, long long); break;
            case LEN_Z: v = (int64_t)va_arg(args, size_t); break;
            default: v = va_arg(args, int); break;
            }
            /* Negate in unsigned arithmetic so INT64_MIN works. */
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            format_integer(&o, sp, mag, v < 0, 10, false, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v;
            switch (len) {
            case LEN_HH: v = (unsigned char)va_arg(args, unsigned); break;
            case LEN_H: v = (unsigned short)va_arg(args, unsigned); break;
            case LEN_L: v = va_arg(args, unsigned long); break;
            case LEN_LL: v = va_arg(args, unsigned long long); break;
            case LEN_Z: v = va_arg(args, size_t); break;
            default: v = va_arg(args, unsigned); break;
            }
            format_integer(&o, sp, v, false, conv == 'u' ? 10 : 16, conv == 'X', false);
            break;
        }
        case 'p':
            format_integer(&o, sp, (uintptr_t)va_arg(args, void *), false, 16, false, true);
            break;
        case 'c': {
            char c = (char)va_arg(args, int);
            emit_field(&o, &sp, "", 0, 0, &c, 1);
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            if (s == NULL)
                s = "(null)";
            emit_field(&o, &sp, "", 0, 0, s, (int)bounded_strlen(s, sp.precision));
            break;
        }
        case '%': emit(&o, "%", 1); break;
        default:
            /* Unknown or truncated conversion: show it rather than guess. */
            emit(&o, conv_start, (size_t)(fmt - conv_start));
            break;
        }
    }

    va_end(args);
    return o.count;
}

struct buffer_sink {
    char *buf;
    size_t size;
    size_t used; /* bytes stored, excluding the NUL */
};

static void buffer_write(void *ctx, const char *s, size_t n)
{
    struct buffer_sink *b = ctx;
    for (size_t i = 0; i < n; i++) {
        if (b->size > 0 && b->used + 1 < b->size)
            b->buf[b->used++] = s[i];
    }
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer_sink b = {buf, size, 0};
    int n = format_v(buffer_write, &b, fmt, ap);
    if (size > 0)
        buf[b.used] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
