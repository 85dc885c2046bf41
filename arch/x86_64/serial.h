/*
 * serial.h - the 16550 UART on COM1 as a console.
 */
#ifndef ARCH_X86_64_SERIAL_H
#define ARCH_X86_64_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Programs COM1 for 115200 8N1 if a UART answers the loopback test.
 * Returns whether one was found. */
bool serial_init(void);
void serial_write(const char *s, size_t n);

#endif
