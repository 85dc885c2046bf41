/*
 * stubs.c - the kernel services the parsers call, for the fuzz targets:
 * output goes nowhere (the fuzzer runs millions of inputs), physical memory
 * is the input (fuzz.h), and nothing is injected.
 */
#include "tests/fuzz/fuzz.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/inject.h"

#include <stdarg.h>

static const uint8_t *memory;
static size_t memory_size;

void fuzz_set_memory(const uint8_t *data, size_t size)
{
    memory = data;
    memory_size = size;
}

const void *fuzz_phys_to_virt(uint64_t phys, size_t length)
{
    if (phys < FUZZ_PHYS_BASE || phys - FUZZ_PHYS_BASE > memory_size ||
        length > memory_size - (phys - FUZZ_PHYS_BASE))
        return NULL;
    return memory + (phys - FUZZ_PHYS_BASE);
}

const void *arch_phys_to_virt(uint64_t phys, size_t length)
{
    return fuzz_phys_to_virt(phys, length);
}

uint64_t arch_legacy_ebda_base(void) { return 0; }

int kvprintf(const char *fmt, va_list ap)
{
    (void)fmt;
    (void)ap;
    return 0;
}

int kprintf(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

int kprintf_colour(enum console_colour colour, const char *fmt, ...)
{
    (void)colour;
    (void)fmt;
    return 0;
}

void console_print_warnings(const struct warning_log *log) { (void)log; }

bool inject_requested(enum inject_kind kind)
{
    (void)kind;
    return false;
}
