/*
 * string.h - the freestanding subset of <string.h> the kernel uses, plus
 * strlcpy. The compiler may emit calls to memcpy/memset/memmove/memcmp on
 * its own, so these keep their standard names and semantics.
 */
#ifndef LIB_STRING_H
#define LIB_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
/* Copies at most size-1 bytes and always NUL-terminates (when size > 0);
 * returns strlen(src), so a result >= size means the copy was truncated. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
