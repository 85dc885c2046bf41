/*
 * pic.c - silences the two 8259A PICs (Intel 8259A data sheet, ICW1-ICW4).
 *
 * The BIOS leaves the master PIC delivering IRQ 0-7 on vectors 8-15, the
 * same vectors as CPU exceptions: the first timer tick after "sti" would look
 * like a double fault. Interrupts will come through the local APIC instead.
 */
#include "platform/pc/pic.h"

#include "arch/x86_64/x86.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA 0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA 0xA1

#define ICW1_INIT 0x10
#define ICW1_NEED_ICW4 0x01
#define ICW3_MASTER_HAS_SLAVE_ON_IRQ2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086_MODE 0x01
#define MASK_ALL 0xFF
#define POST_CODE_PORT 0x80 /* writing here takes about 1 us: old PICs need the pause */

static void io_wait(void) { outb(POST_CODE_PORT, 0); }

void pic_disable(void)
{
    outb(PIC1_COMMAND, ICW1_INIT | ICW1_NEED_ICW4);
    io_wait();
    outb(PIC2_COMMAND, ICW1_INIT | ICW1_NEED_ICW4);
    io_wait();
    outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector offsets */
    io_wait();
    outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
    io_wait();
    outb(PIC1_DATA, ICW3_MASTER_HAS_SLAVE_ON_IRQ2);
    io_wait();
    outb(PIC2_DATA, ICW3_SLAVE_ID);
    io_wait();
    outb(PIC1_DATA, ICW4_8086_MODE);
    io_wait();
    outb(PIC2_DATA, ICW4_8086_MODE);
    io_wait();
    outb(PIC1_DATA, MASK_ALL);
    outb(PIC2_DATA, MASK_ALL);
}
