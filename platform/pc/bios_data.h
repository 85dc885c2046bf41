/*
 * bios_data.h - what the legacy BIOS data area tells the kernel, read once
 * while page 0 is still mapped.
 */
#ifndef PLATFORM_PC_BIOS_DATA_H
#define PLATFORM_PC_BIOS_DATA_H

/* Reads the BIOS data area; call before paging_init unmaps page 0. */
void bios_data_read(void);

#endif
