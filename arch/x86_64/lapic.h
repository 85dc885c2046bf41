/*
 * lapic.h - the local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode
 * (Intel SDM vol. 3A chapter 11, "Advanced Programmable Interrupt Controller").
 *
 * One interface, two implementations chosen once at boot: every CPU then
 * uses the same mode. Register names are the MMIO offsets of the xAPIC; the
 * x2APIC implementation turns them into MSR numbers.
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include "kernel/arch.h"

#include <stdbool.h>
#include <stdint.h>

/* Register offsets (SDM vol. 3A table 11-1). */
#define LAPIC_REG_ID 0x020
#define XAPIC_ID_SHIFT 24 /* xAPIC mode: the ID is the register's top byte (SDM §11.4.6) */
#define LAPIC_REG_VERSION 0x030
#define LAPIC_REG_TPR 0x080
#define LAPIC_REG_EOI 0x0B0
#define LAPIC_REG_SVR 0x0F0
#define LAPIC_REG_ESR 0x280
#define LAPIC_REG_ICR_LOW 0x300
#define LAPIC_REG_ICR_HIGH 0x310 /* xAPIC only: the destination */
#define LAPIC_REG_LVT_TIMER 0x320
#define LAPIC_REG_LVT_THERMAL 0x330
#define LAPIC_REG_LVT_PERF 0x340
#define LAPIC_REG_LVT_LINT0 0x350
#define LAPIC_REG_LVT_LINT1 0x360
#define LAPIC_REG_LVT_ERROR 0x370
#define LAPIC_REG_TIMER_INITIAL 0x380
#define LAPIC_REG_TIMER_CURRENT 0x390
#define LAPIC_REG_TIMER_DIVIDE 0x3E0

#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_VERSION_MAX_LVT(v) (((v) >> 16) & 0xFF)
#define LAPIC_TIMER_DIVIDE_BY_16 0x3u

/* Interrupt command register, low half (SDM vol. 3A §11.6.1, fig. 11-12). */
#define ICR_DELIVERY_MODE_MASK (7u << 8) /* SDM vol. 3A §11.6.1, bits 10:8 */
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_DELIVERY_STATUS_PENDING (1u << 12) /* xAPIC only */
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND_NONE (0u << 18)
#define ICR_SHORTHAND_SELF (1u << 18)
#define ICR_SHORTHAND_ALL_INCLUDING_SELF (2u << 18)
#define ICR_SHORTHAND_ALL_EXCLUDING_SELF (3u << 18)
#define ICR_XAPIC_DEST_SHIFT 24 /* in ICR_HIGH */
#define XAPIC_MAX_ID 0xFEu      /* 0xFF is the broadcast address */

/* Chooses the mode ("auto", "xapic" or "x2apic"; see README.md and
 * apic_mode.h) and enables the boot CPU's local APIC. mmio_base is the
 * MADT's address (0: take it from IA32_APIC_BASE); firmware_opts_out is the
 * DMAR table's x2APIC opt-out flag. Returns false, after printing why, when the CPU has
 * no usable local APIC. */
bool lapic_init_bsp(enum apic_request requested, uint64_t mmio_base, bool firmware_opts_out);

/* Enables an AP's local APIC in the mode the boot CPU chose. */
void lapic_init_ap(void);

/* True once lapic_init_bsp has enabled an APIC. */
bool lapic_active(void);

const char *lapic_mode_name(void);

/* This CPU's APIC ID, from the APIC itself. */
uint32_t lapic_id(void);

/* This CPU's APIC ID, read from its local APIC in the mode it is in now
 * (it may not be set up yet); false when it cannot be read (disabled, or
 * its registers not where the boot CPU's are). */
bool lapic_read_own_id(uint32_t *id);

/* Self-test support (inject=renumbered-boot-cpu): writes this CPU's xAPIC
 * ID register, as firmware that renumbers the CPUs does. False where it
 * cannot (x2APIC mode, an ID over 254, a read-only register). */
bool lapic_test_set_id(uint32_t id);

/* Highest APIC ID an IPI can address in the current mode. */
uint32_t lapic_max_addressable_id(void);

/* Sends an IPI: icr_low holds delivery mode, vector, level, shorthand; dest
 * is the APIC ID (ignored with a shorthand). Returns false when an xAPIC
 * did not accept it within a bound. */
bool lapic_send_ipi(uint32_t dest, uint32_t icr_low);

void lapic_eoi(void);

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t value);

/* LAPIC timer ticks per millisecond (divide by 16), measured against the
 * TSC by lapic_timer_calibrate(). */
void lapic_timer_calibrate(void);
uint64_t lapic_timer_ticks_per_ms(void);

#endif
