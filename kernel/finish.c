/*
 * finish.c - the end of a run. On a PC with no serial port the screen is
 * the only report, so it must end showing the verdict, not the last of
 * 70 KTAP lines scrolling past. A lab that boot-tests many machines wants
 * them to reboot into the next test on their own (end=reboot).
 */
#include "kernel/finish.h"

#include "kernel/arch.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/ktest.h"
#include "kernel/firmware/acpi.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "lib/string.h"

#define SECONDS_PER_STEP 1
#define SUMMARY_CPU_ROWS 16 /* the summary must fit on one screen */

static noreturn void end_machine(uint32_t vm_exit_code)
{
    const struct options *o = &boot_options;
    if (o->end == END_REBOOT) {
        kprintf("end: rebooting in %llu s (end=reboot)\n", (unsigned long long)o->reboot_delay_s);
        for (uint64_t left = o->reboot_delay_s; left > 0; left -= SECONDS_PER_STEP)
            arch_udelay(SECONDS_PER_STEP * 1000000ull);
        arch_machine_reset(&acpi_state()->fadt, o->reset);
    }
    if (o->end == END_AUTO)
        arch_vm_exit(vm_exit_code); /* returns on a real PC */
    kprintf("end: halted; the results above stay on the screen. Switch off or reset.\n");
    arch_halt_forever();
}

static void print_footer(void)
{
    kprintf("\ncpus: %zu online of %zu the firmware lists, APIC mode %s\n", smp_online_count(),
            smp_listed_count(), arch_apic_mode_name());
    smp_print_table(SUMMARY_CPU_ROWS);
    kprintf("clock: TSC %llu MHz from %s\n",
            (unsigned long long)(arch_cycles_per_second() / 1000000), arch_cycles_source());
}

noreturn void finish_tests(const struct ktest_result *r)
{
    bool passed = r->failed == 0 && r->total > 0;
    ipi_print_sleep_counts("ipi: "); /* make soak reads it; the screen is cleared next */
    console_clear_screens();
    kprintf_colour(COLOUR_TITLE, "ipikernel self-tests: summary\n");
    kprintf_colour(passed ? COLOUR_PASS : COLOUR_FAIL, "%s: %zu passed, %zu failed, %zu skipped\n",
                   passed ? "PASS" : "FAIL", r->passed, r->failed, r->skipped);
    for (size_t i = 0; i < r->failed && i < KTEST_FAILED_NAMES_KEPT; i++)
        kprintf_colour(COLOUR_FAIL, "  failed: %s.%s\n", r->failed_tests[i]->suite,
                       r->failed_tests[i]->name);
    if (r->failed > KTEST_FAILED_NAMES_KEPT)
        kprintf_colour(COLOUR_FAIL, "  ... and %zu more (the serial log has them all)\n",
                       r->failed - KTEST_FAILED_NAMES_KEPT);
    if (r->total == 0)
        kprintf_colour(COLOUR_FAIL, "  no self-test matched the test= filter\n");
    print_footer();
    end_machine(passed ? KTEST_EXIT_PASS : KTEST_EXIT_FAIL);
}

noreturn void finish_run(const char *what)
{
    kprintf_colour(COLOUR_TITLE, "ipikernel: %s finished\n", what);
    print_footer();
    end_machine(KTEST_EXIT_PASS);
}
