/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: a fake
 * physical memory made of the input, for the parsers that follow physical
 * addresses (multiboot 1, the ACPI table walk).
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The input, seen as physical memory from address FUZZ_PHYS_BASE on. */
#define FUZZ_PHYS_BASE 0x1000u
void fuzz_set_memory(const uint8_t *data, size_t size);
const void *fuzz_phys_to_virt(uint64_t phys, size_t length);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
