/*
 * consoles.h - the PC's consoles: arch_console_init (kernel/arch.h) picks
 * them; this is the part arch_init needs once paging is up.
 */
#ifndef PLATFORM_PC_CONSOLES_H
#define PLATFORM_PC_CONSOLES_H

/* Maps a framebuffer the loader placed above 4 GiB, which the early
 * identity map does not reach, once the kernel's own page tables exist;
 * says so and stays on serial when the device window cannot hold it. */
void consoles_map_high_framebuffer(void);

#endif
