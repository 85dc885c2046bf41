/*
 * ksyms.h - the kernel's own symbol table, for symbolized backtraces.
 *
 * The build links kernel.elf twice: the second link embeds the function
 * symbols of the first (tools/gen_ksyms.py) in the .ksyms section. The
 * section comes after all code, so no function moves between the links.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdbool.h>
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

/* Address of the named function, or 0. */
uintptr_t ksym_address(const char *name);

#endif
