/*
 * platform.h - fixed addresses of the PC platform the kernel uses, shared
 * with boot/entry.asm's 32-bit failure path and the test runner (through
 * the generated constants).
 */
#ifndef PLATFORM_PC_PLATFORM_H
#define PLATFORM_PC_PLATFORM_H

#define COM1_PORT 0x3F8        /* the first 16550 UART */
#define VGA_TEXT_PHYS 0xB8000u /* the VGA text buffer, 80x25 cells of 2 bytes */

/* System control port B (the PC/AT's port 0x61; ICH/PCH datasheets, "NMI
 * status and control register"): the PIT channel 2 gate and speaker bits,
 * channel 2's output, and the latches of the legacy NMI sources. */
#define PORT_SYSTEM_CONTROL_B 0x61
#define SCB_GATE2 (1u << 0)
#define SCB_SPEAKER (1u << 1)
#define SCB_OUT2 (1u << 5)
#define SCB_NMI_IOCHK (1u << 6) /* an I/O channel check */
#define SCB_NMI_SERR (1u << 7)  /* a memory parity error or SERR# on the bus */

/* QEMU's isa-debug-exit device, as the test runner configures it
 * (-device isa-debug-exit,iobase=<this>,iosize=0x04): writing v ends QEMU
 * with status (v << 1) | 1. Real PCs have no such device. */
#define QEMU_DEBUG_EXIT_PORT 0xF4

#endif
