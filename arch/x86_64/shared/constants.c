/*
 * constants.c - the facts C shares with assembly, the linker script and
 * the test tools, exported from their one C definition (Linux's
 * asm-offsets idea). It is compiled to assembly only, never linked:
 * tools/gen_constants.py reads the "@@const NAME VALUE" lines out of the
 * .s file and writes build/gen/constants.inc (NASM), constants.ld (the
 * linker script) and constants.json (tests/run.py, tools/).
 */
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trampoline.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/x86.h"
#include "kernel/boot/multiboot1.h"
#include "kernel/boot/multiboot2.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/cpu.h"
#include "lib/font5x7.h"
#include "platform/pc/fb_console.h"
#include "platform/pc/platform.h"

#include <stddef.h>

#define EXPORT(name, value)                                                                        \
    __asm__ volatile("\n.ascii \"@@const " #name " %0\\n\"" : : "i"((unsigned long long)(value)))
#define EXPORT_FIELD(name, field) EXPORT(name, offsetof(struct trampoline_args, field))

void export_constants(void);
void export_constants(void)
{
    /* The address space (layout.h). */
    EXPORT(KERNEL_VMA, KERNEL_VMA);
    EXPORT(KERNEL_PHYS_BASE, KERNEL_PHYS_BASE);
    EXPORT(BOOT_STACK_SIZE, BOOT_STACK_SIZE);
    EXPORT(PAGE_SIZE, PAGE_SIZE);

    /* Segments (descriptors.h). */
    EXPORT(SEL_KERNEL_CODE, SEL_KERNEL_CODE);
    EXPORT(SEL_KERNEL_DATA, SEL_KERNEL_DATA);
    EXPORT(SEL_TRAMPOLINE_DATA, SEL_TRAMPOLINE_DATA);
    EXPORT(DESC_KERNEL_CODE64, DESC_KERNEL_CODE64);
    EXPORT(DESC_KERNEL_DATA, DESC_KERNEL_DATA);

    /* Registers and page-table bits the boot code sets (cpu.h, paging.h). */
    EXPORT(CR0_WP, CR0_WP);
    EXPORT(CR4_PGE, CR4_PGE);
    EXPORT(MSR_EFER, MSR_EFER);
    EXPORT(EFER_LME, EFER_LME);
    EXPORT(EFER_NXE, EFER_NXE);
    EXPORT(PTE_PRESENT, PTE_PRESENT);
    EXPORT(PTE_WRITE, PTE_WRITE);
    EXPORT(PTE_LARGE, PTE_LARGE);

    /* The PC's fixed devices (platform.h), for the 32-bit failure path. */
    EXPORT(COM1_PORT, COM1_PORT);
    EXPORT(VGA_TEXT_PHYS, VGA_TEXT_PHYS);

    /* What the loaders hand over (multiboot2.h). */
    EXPORT(MB1_BOOTLOADER_MAGIC, MB1_BOOTLOADER_MAGIC);
    EXPORT(MB2_BOOTLOADER_MAGIC, MB2_BOOTLOADER_MAGIC);

    /* The AP trampoline's arguments block (trampoline.h). */
    EXPORT(TRAMPOLINE_ARGS_SIZE, sizeof(struct trampoline_args));
    EXPORT_FIELD(TRAMPOLINE_ARGS_GDTR, gdtr_limit);
    EXPORT_FIELD(TRAMPOLINE_ARGS_FAR32, far32_offset);
    EXPORT_FIELD(TRAMPOLINE_ARGS_FAR64, far64_offset);
    EXPORT_FIELD(TRAMPOLINE_ARGS_BOOT_CR3, boot_cr3);
    EXPORT_FIELD(TRAMPOLINE_ARGS_EFER_BITS, efer_bits);
    EXPORT_FIELD(TRAMPOLINE_ARGS_KERNEL_CR3, kernel_cr3);
    EXPORT_FIELD(TRAMPOLINE_ARGS_ENTRY64, entry64);
    EXPORT_FIELD(TRAMPOLINE_ARGS_CPU, cpu);
    EXPORT_FIELD(TRAMPOLINE_ARGS_CPU_TABLE, cpu_table);
    EXPORT_FIELD(TRAMPOLINE_ARGS_CPU_COUNT, cpu_count);
    EXPORT_FIELD(TRAMPOLINE_ARGS_STRAYS, strays);
    EXPORT_FIELD(TRAMPOLINE_ARGS_STRAY_ID, stray_id);

    /* Where isr.asm's frame keeps the interrupted registers (trap.h), for
     * the call-frame information of boot/debug_frame.inc. */
    EXPORT(TRAP_FRAME_RIP, offsetof(struct trap_frame, rip));
    EXPORT(TRAP_FRAME_RSP, offsetof(struct trap_frame, rsp));
    EXPORT(TRAP_FRAME_RBP, offsetof(struct trap_frame, rbp));
    EXPORT(TRAP_FRAME_RBX, offsetof(struct trap_frame, rbx));
    EXPORT(TRAP_FRAME_R12, offsetof(struct trap_frame, r12));
    _Static_assert(offsetof(struct trap_frame, r15) + 24 == offsetof(struct trap_frame, r12),
                   "r13..r15 follow r12 downwards");

    /* The record arch_try_call keeps on its stack (trap.h). */
    EXPORT(TRY_FRAME_SIZE, sizeof(struct try_frame));

    /* What a starting AP reads of its struct cpu (kernel/smp/cpu.h). */
    EXPORT(CPU_SIZE, sizeof(struct cpu));
    EXPORT(CPU_HW_ID, offsetof(struct cpu, hw_id));
    EXPORT(CPU_STATE, offsetof(struct cpu, state));
    EXPORT(CPU_STACK_HI, offsetof(struct cpu, stack_hi));
    EXPORT(CPU_STARTING_VALUE, CPU_STARTING);
    EXPORT(CPU_ENTERING_VALUE, CPU_ENTERING);

    /* Where a starting AP reads its own APIC ID (x86.h, lapic.h). */
    EXPORT(MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE);
    EXPORT(APIC_BASE_X2APIC_ENABLE, APIC_BASE_X2APIC_ENABLE);
    EXPORT(APIC_BASE_ADDR_LOW_MASK, APIC_BASE_ADDR_MASK & 0xFFFFFFFFull);
    EXPORT(MSR_X2APIC_APIC_ID, MSR_X2APIC_BASE + (LAPIC_REG_ID >> 4));
    EXPORT(LAPIC_REG_ID, LAPIC_REG_ID);
    EXPORT(XAPIC_ID_SHIFT, XAPIC_ID_SHIFT);
    EXPORT(IDENTITY_MAP_LIMIT, IDENTITY_MAP_LIMIT);

    /* For the test runner: QEMU's exit port and codes (ktest.h), and the
     * console's font cell (font5x7.h). */
    EXPORT(QEMU_DEBUG_EXIT_PORT, QEMU_DEBUG_EXIT_PORT);
    EXPORT(KTEST_EXIT_PASS, KTEST_EXIT_PASS);
    EXPORT(KTEST_EXIT_FAIL, KTEST_EXIT_FAIL);
    EXPORT(KTEST_EXIT_CRASH, KTEST_EXIT_CRASH);
    EXPORT(FONT_CELL_WIDTH, FONT_CELL_WIDTH);
    EXPORT(FONT_CELL_HEIGHT, FONT_CELL_HEIGHT);
    EXPORT(FB_LARGE_SCREEN_WIDTH, FB_LARGE_SCREEN_WIDTH);
}
