/*
 * serial.h - the 16550 UART on COM1 as a console.
 */
#ifndef PLATFORM_PC_SERIAL_H
#define PLATFORM_PC_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Programs COM1 for 115200 8N1 if a UART answers the loopback test.
 * Returns whether one was found. */
bool serial_init(void);
void serial_write(const char *s, size_t n);

#endif
