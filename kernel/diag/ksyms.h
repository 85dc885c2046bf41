/*
 * ksyms.h - the kernel's own symbol table, for symbolized backtraces.
 *
 * The build links kernel.elf twice: the second link embeds the function
 * symbols of the first (tools/gen_ksyms.py) in the .ksyms section. The
 * section comes after all code, so no function moves between the links.
 */
#ifndef KERNEL_DIAG_KSYMS_H
#define KERNEL_DIAG_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
    uint64_t addr;
    uint32_t size;
    uint32_t name_offset; /* into ksym_names */
};

extern const struct ksym ksym_table[];
extern const uint32_t ksym_count;
extern const char ksym_names[];

/* Finds the function containing addr. On success sets *name and *offset. */
bool ksym_lookup(uintptr_t addr, const char **name, uintptr_t *offset);

/* Writes "name+0xoffset" (just "name" at offset 0, "?" for an address in
 * no known function) into buf and returns buf: the one way the kernel
 * names an address. A return address points after its call, so it is
 * looked up as the call itself (and shown with its real offset). */
#define KSYM_DESCRIBE_MAX 80
const char *ksym_describe(uintptr_t addr, bool is_return_address, char *buf, size_t size);

/* Address of the named function, or 0. */
uintptr_t ksym_address(const char *name);

#endif
