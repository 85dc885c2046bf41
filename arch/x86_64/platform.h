/*
 * platform.h - fixed addresses of the PC platform the kernel uses, shared
 * with boot/entry.asm's 32-bit failure path and the test runner (through
 * the generated constants).
 */
#ifndef ARCH_X86_64_PLATFORM_H
#define ARCH_X86_64_PLATFORM_H

#define COM1_PORT 0x3F8        /* the first 16550 UART */
#define VGA_TEXT_PHYS 0xB8000u /* the VGA text buffer, 80x25 cells of 2 bytes */

/* QEMU's isa-debug-exit device, as the test runner configures it
 * (-device isa-debug-exit,iobase=<this>,iosize=0x04): writing v ends QEMU
 * with status (v << 1) | 1. Real PCs have no such device. */
#define QEMU_DEBUG_EXIT_PORT 0xF4

#endif
