/*
 * ksyms.c - address-to-name lookup over the embedded, address-sorted table.
 */
#include "kernel/diag/ksyms.h"

#include "lib/format.h"
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

const char *ksym_describe(uintptr_t addr, bool is_return_address, char *buf, size_t size)
{
    const char *name;
    uintptr_t offset;
    uintptr_t at = is_return_address ? addr - 1 : addr;
    if (!ksym_lookup(at, &name, &offset))
        fmt_snprintf(buf, size, "?");
    else if (offset + (addr - at) == 0)
        fmt_snprintf(buf, size, "%s", name);
    else
        fmt_snprintf(buf, size, "%s+%#lx", name, (unsigned long)(offset + (addr - at)));
    return buf;
}
