/*
 * main.c - kmain(), the boot order of the kernel, one step a line.
 *
 * boot/entry.asm calls kmain(magic, info) in 64-bit mode on the boot stack,
 * with the low 4 GiB identity-mapped and interrupts off.
 */
#include "kernel/arch.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/boot/cmdline.h"
#include "kernel/boot/multiboot1.h"
#include "kernel/boot/multiboot2.h"
#include "kernel/boot/options.h"
#include "kernel/console.h"
#include "kernel/diag/bench.h"
#include "kernel/diag/inject.h"
#include "kernel/diag/ktest.h"
#include "kernel/diag/trace.h"
#include "kernel/finish.h"
#include "kernel/firmware/acpi.h"
#include "kernel/page_alloc.h"
#include "kernel/panic.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "lib/string.h"

#define KERNEL_NAME "ipikernel"
#define KERNEL_VERSION "0.1"
#define MIB (1024ull * 1024ull)
#define TRACE_CALLS 5 /* with option trace: enough to see the pattern, few enough to read */
#ifdef __clang__
#define COMPILER "clang " __clang_version__
#else
#define COMPILER "gcc " __VERSION__
#endif

static struct boot_info boot_info;
static struct madt_info madt;

void kmain(uint32_t magic, uint32_t info_phys);

static void read_boot_info(uint32_t magic, uint32_t info_phys)
{
    /* Each parser is given only what is mapped of what it may read. */
    if (magic == MB2_BOOTLOADER_MAGIC) {
        /* The total size is not known yet: bound it by what is mapped. */
        size_t available = MB2_INFO_MAX_SIZE;
        while (available > 0 && arch_phys_to_virt(info_phys, available) == NULL)
            available /= 2;
        mb2_parse(arch_phys_to_virt(info_phys, available), available, &boot_info);
    } else {
        mb1_parse(arch_phys_to_virt(info_phys, MB1_INFO_SIZE), arch_phys_to_virt, &boot_info);
    }
}

static void print_banner(void)
{
    const struct boot_info *bi = &boot_info;
    kprintf("\n%s %s (x86_64), built with %s\n", KERNEL_NAME, KERNEL_VERSION, COMPILER);
    kprintf("boot: loader \"%s\" via multiboot%s, firmware %s\n",
            bi->loader_name[0] != '\0' ? bi->loader_name : "(not named)",
            bi->protocol == BOOT_MULTIBOOT2 ? "2" : " 1", bootinfo_firmware_name(bi));
    kprintf("cmdline: \"%s\"%s\n", bi->cmdline, bi->cmdline_truncated ? " (truncated)" : "");
    kprintf("memory: %zu regions, %llu MiB available\n", bi->mmap_count,
            (unsigned long long)(bootinfo_available_bytes(bi) / MIB));
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct mem_region *r = &bi->mmap[i];
        kprintf("  %016llx-%016llx %s\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->length - 1), bootinfo_mem_type_name(r->type));
    }
    if (bi->rsdp_length != 0)
        kprintf("acpi: RSDP passed by the loader (%s tag)\n", bi->rsdp_is_new ? "new" : "old");
    if (bi->fb.present)
        kprintf("framebuffer: %ux%u, %u bpp, type %u, at %#llx\n", bi->fb.width, bi->fb.height,
                bi->fb.bpp, bi->fb.type, (unsigned long long)bi->fb.addr);
    kprintf("cpu: %s\n", arch_cpu_vendor());
    console_print_warnings(&bi->warnings);
}

/* With option verbose, each step says what it is about to do, so a hang
 * or a reset is pinned to one step even without a debugger. */
static void step(const char *what)
{
    if (boot_options.verbose)
        kprintf("boot: step: %s\n", what);
}

void kmain(uint32_t magic, uint32_t info_phys)
{
    static struct warning_log option_problems;
    read_boot_info(magic, info_phys); /* copy it before low memory is reused */
    cmdline_parse(&boot_cmdline, boot_info.cmdline);
    options_parse(&boot_cmdline, &boot_options, &option_problems); /* once, for everyone */
    const struct options *o = &boot_options;
    /* Before anything looks at the APIC: stands in for a firmware that
     * leaves it in x2APIC mode. */
    bool firmware_x2apic = o->firmware_x2apic && inject_firmware_extended_apic();
    if (o->test != NULL)
        ktest_mode_enter();        /* from here a crash ends the VM at once */
    arch_console_init(&boot_info); /* serial port, VGA text screen */
    print_banner();
    console_print_warnings(&option_problems); /* unknown options, bad values */
    if (ktest_mode_active())
        ktest_announce(o->test); /* before any step that can crash */
    if (o->firmware_x2apic)
        kprintf("firmware_x2apic: %s\n", firmware_x2apic ? "x2APIC enabled before the APIC driver"
                                                         : "this CPU has no x2APIC; nothing done");
    step("free memory from the memory map");
    page_alloc_init(&boot_info);
    step("page tables, GDT and TSS, IDT");
    arch_init();

    step("ACPI tables: RSDP, XSDT or RSDT, MADT, FADT, HPET, DMAR");
    bool madt_ok = acpi_init(&boot_info, &madt);
    if (o->acpi_dump) {
        acpi_dump_madt();
        acpi_dump_tables(&boot_info);
    }
    const struct acpi_state *acpi = acpi_state();
    step("the boot CPU's local APIC");
    bool apic_ok =
        arch_apic_init(o->apic, madt_ok ? madt.controller_address : 0, acpi->dmar.x2apic_opt_out);
    step("calibrating the TSC and the APIC timer");
    struct clock_sources clocks = {acpi->fadt.pm_timer_port, acpi->fadt.pm_timer_32bit,
                                   acpi->hpet.base};
    arch_timing_init(o->tsc_source, &clocks);
    struct cpu_start_options start = {o->ap_start, o->ap_timeout_ms};
    step("starting the application processors (INIT, SIPI, SIPI)");
    if (madt_ok && apic_ok)
        inject_before_smp(&madt);
    smp_init(&boot_info, &madt, madt_ok && apic_ok, &start);
    step("the rendezvous: barriers, timeouts, delivery, idle mode");
    /* The idle mode first: barrier_spin_us=auto measures the wake-up of an
     * idle CPU as it will idle. */
    enum idle_mode idle = o->idle;
    if (!arch_idle_set_mode(idle))
        kprintf("warning: idle=mwait: this CPU cannot (no MONITOR/MWAIT); idling in hlt\n");
    ipi_init(o->barrier, o->ipi_timeout_ms, o->barrier_spin_us);
    ipi_set_delivery_each(o->ipi_delivery == IPI_DELIVERY_EACH);
    inject_after_smp();

    inject_now();

    if (ktest_mode_active()) {
        step("self-tests");
        struct ktest_result result =
            ktest_run_all(o->test, o->test_skip != NULL ? o->test_skip : "");
        finish_tests(&result);
    }
    if (o->trace) {
        trace_calls(TRACE_CALLS);
        finish_run("trace");
    }
    if (o->bench) {
        step("benchmarks");
        bench_run_all();
        finish_run("benchmarks");
    }

    kprintf("boot complete; idle. (In QEMU, Ctrl-A X quits.)\n");
    for (;;)
        arch_idle(NULL);
}

/* Gives the self-tests access to what the kernel booted with. */
const struct boot_info *kernel_boot_info(void) { return &boot_info; }

/* The MADT as parsed at boot (self-tests compare the CPUs with it). */
const struct madt_info *kernel_madt(void) { return &madt; }
