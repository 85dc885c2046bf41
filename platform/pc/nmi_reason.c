/*
 * nmi_reason.c - what a PC says about a non-maskable interrupt: the legacy
 * sources latch their cause in system control port B (platform.h).
 */
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "platform/pc/platform.h"

const char *arch_nmi_reason(void)
{
    uint8_t status = inb(PORT_SYSTEM_CONTROL_B);
    if (status & SCB_NMI_SERR)
        return "memory parity or PCI SERR# (port 0x61 bit 7)";
    if (status & SCB_NMI_IOCHK)
        return "I/O channel check (port 0x61 bit 6)";
    return "nothing latched in port 0x61 (a watchdog, another CPU, or a button)";
}
