/*
 * idt.c - the interrupt descriptor table (SDM vol. 3A §6.10, §6.14.1).
 */
#include "arch/x86_64/descriptors.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/trap.h"

#define ISR_STUB_SIZE 16 /* isr.asm aligns every stub to this */
#define GATE_PRESENT (1u << 15)
#define GATE_TYPE_INTERRUPT (0xEu << 8) /* clears IF on entry */

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint16_t flags; /* IST (bits 0-2), type, DPL, present */
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gates are 16 bytes");

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
extern char isr_stubs[];

static void set_gate(unsigned vector, unsigned ist)
{
    uint64_t addr = (uint64_t)(uintptr_t)(isr_stubs + vector * ISR_STUB_SIZE);
    idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)addr,
        .selector = SEL_KERNEL_CODE,
        /* Interrupt gates for everything: handlers start with IF = 0, so an
         * interrupt cannot preempt the register dump of an exception. */
        .flags = (uint16_t)(GATE_PRESENT | GATE_TYPE_INTERRUPT | ist),
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_high = (uint32_t)(addr >> 32),
    };
}

void idt_init(void)
{
    for (unsigned v = 0; v < IDT_VECTORS; v++)
        set_gate(v, 0);
    set_gate(VECTOR_DOUBLE_FAULT, IST_DOUBLE_FAULT);
    set_gate(VECTOR_NMI, IST_NMI);
    set_gate(VECTOR_MACHINE_CHECK, IST_MACHINE_CHECK);
    idt_load();
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}
