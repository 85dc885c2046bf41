/*
 * pic.h - the legacy 8259A interrupt controllers, which the kernel does not use.
 */
#ifndef PLATFORM_PC_PIC_H
#define PLATFORM_PC_PIC_H

/* Vectors the PICs are moved to: even a masked PIC can raise a spurious
 * IRQ 7 or 15, and it must not land on an exception vector. */
#define PIC_VECTOR_BASE 0x20

/* Moves the PICs off the exception vectors and masks every line. */
void pic_disable(void);

#endif
