/*
 * panic.c - the kernel's single way to stop on an error.
 */
#include "kernel/panic.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/ipi.h"
#include "kernel/ktest.h"
#include "kernel/smp.h"

#include <stdarg.h>
#include <stdint.h>

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    /* One report, whole: a CPU that panics while another already does
     * (a rendezvous timing out on several at once) waits for the stop. */
    static uint32_t panicking;
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL) != 0)
        arch_halt_forever();
    console_enter_panic_mode();
    kprintf_colour(COLOUR_FAIL, "\nPANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    int cpu = smp_this_cpu_index();
    if (cpu >= 0)
        kprintf("\n  on CPU %d at %s:%d\n", cpu, file, line);
    else
        kprintf("\n  at %s:%d (before the CPUs were counted)\n", file, line);
    arch_print_caller_backtrace(); /* starting where panic() was called */
    panic_stop();
}

noreturn void panic_stop(void)
{
    ipi_report_if_in_worker(); /* a fault in a worker: which call */
    smp_stop_other_cpus();     /* nothing else runs while the report is read */
    kprintf("kernel stopped.\n");
    if (ktest_mode_active())
        arch_vm_exit(KTEST_EXIT_CRASH);
    arch_halt_forever();
}
