/*
 * smp.h - finding and starting the processors.
 *
 * smp_init() reads the MADT, gives each enabled CPU a struct cpu and a
 * stack (from the boot information's memory map), and starts the APs with
 * the INIT-SIPI-SIPI sequence of the Intel SDM (vol. 3A §9.4.4), all at
 * once or one at a time as plan says. An AP that does not check in within
 * the bound is reported and left out; the boot goes on without it.
 * It then prints, once, the machine-readable line
 *   smp: online=<n> possible=<p> apic=<xapic|x2apic> ids=<a,b,...>
 * followed by a table of every CPU.
 */
#ifndef KERNEL_SMP_SMP_H
#define KERNEL_SMP_SMP_H

#include "kernel/boot/bootinfo.h"
#include "kernel/firmware/madt.h"
#include "kernel/smp/cpu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void smp_init(const struct boot_info *bi, const struct madt_info *madt, bool madt_ok,
              const struct cpu_start_options *plan);

/* The MADT as kmain parsed it (self-tests compare the CPUs with it). */
const struct madt_info *kernel_madt(void);

/* CPUs known (every slot, online or not) and online. */
size_t smp_cpu_count(void);

/* Prints one line per CPU: index, hardware ID, state, start-up time; past
 * max_rows lines, only the CPUs that are not online (the rest counted). */
void smp_print_table(size_t max_rows);
size_t smp_online_count(void);
size_t smp_possible_count(void);
/* How long starting all the APs took, in cycles (0: none was started). */
uint64_t smp_start_cycles(void);
/* Enabled CPUs the firmware lists, including any beyond MAX_CPUS that were
 * not given a slot: what an all-but-self IPI shorthand reaches. */
size_t smp_listed_count(void);
struct cpu *smp_cpu(size_t index);

/* Called by arch code on an AP once it runs C with its own stack and GS. */
void smp_ap_entry(struct cpu *cpu);

/* Self-test support: has each online CPU take a probe interrupt and record
 * what it sees; returns the number of CPUs that did not answer in time. */
size_t smp_probe_all(void);

/* What waking an idle CPU costs on this machine: the fastest, in cycles, of
 * a few probe IPIs to an idle online AP, each until its handler has run (a
 * halted CPU's wake-up, or a polling one's response, and the answer back).
 * 0 when there is no AP to ask, or it did not answer. */
uint64_t smp_wake_round_trip_cycles(void);

/* Called by the probe interrupt handler on the CPU that takes it. */
void smp_probe_interrupt(void);

/* Posts fn(arg) to an idle AP, which runs it at PASSIVE_LEVEL with
 * interrupts on; false if the CPU is the boot CPU, offline, or still busy. */
bool smp_post_work(struct cpu *cpu, void (*fn)(void *), void *arg);
/* Waits (bounded) until the work posted to cpu has returned, with
 * interrupts on so that this CPU can take part in the work's rendezvous
 * calls. */
bool smp_wait_work(struct cpu *cpu, uint64_t timeout_ms);

/* The running CPU's index, or -1 before smp_init has set up per-CPU data. */
int smp_this_cpu_index(void);

/* Self-test support: hook() runs in every local APIC timer interrupt (at
 * CLOCK_LEVEL, interrupts off), on every CPU whose timer runs. NULL: none. */
void smp_set_timer_hook(void (*hook)(void));

/* An AP's check-in, on the AP: true if it is now online, false if the boot
 * CPU gave up on it first (it must then halt, taking nothing). */
bool smp_ap_check_in(struct cpu *cpu);

/* Sends every other online CPU an NMI that halts it, and waits (bounded)
 * for each to take it; CPUs waiting for this stop are left as they are
 * (kernel/stop.c uses it). */
void smp_stop_other_cpus(void);

#endif
