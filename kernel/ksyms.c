/*
 * ksyms.c - address-to-name lookup over the embedded, address-sorted table.
 */
#include "kernel/ksyms.h"

#include "lib/string.h"

bool ksym_lookup(uintptr_t addr, const char **name, uintptr_t *offset)
{
    /* Binary search for the last symbol starting at or below addr. */
    uint32_t lo = 0, hi = ksym_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ksym_table[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    const struct ksym *s = &ksym_table[lo - 1];
    /* A symbol without a size (assembly labels) owns the gap up to the next. */
    if (s->size != 0 && addr >= s->addr + s->size)
        return false;
    *name = &ksym_names[s->name_offset];
    *offset = addr - s->addr;
    return true;
}

uintptr_t ksym_address(const char *name)
{
    for (uint32_t i = 0; i < ksym_count; i++) {
        if (strcmp(&ksym_names[ksym_table[i].name_offset], name) == 0)
            return ksym_table[i].addr;
    }
    return 0;
}
