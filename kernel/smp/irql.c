/*
 * irql.c - checked IRQL changes over the architecture's task priority.
 */
#include "kernel/smp/irql.h"

#include "kernel/arch.h"
#include "kernel/panic.h"

irql_t irql_current(void) { return (irql_t)arch_task_priority(); }

/* LAB(irql-open) begin: raise and lower the level, refusing the wrong direction */
irql_t irql_raise(irql_t new_irql)
{
    /* LAB(irql) begin: check the new level, set it, return the old one */
    irql_t old = irql_current();
    if (new_irql < old || new_irql > HIGH_LEVEL)
        panic("irql_raise to %s (%u) from %s (%u): raising must not lower the level",
              irql_name(new_irql), new_irql, irql_name(old), old);
    arch_set_task_priority(new_irql);
    return old;
    /* LAB(irql) stub
    (void)new_irql;
    return irql_current();
    LAB(irql) end */
}

void irql_lower(irql_t new_irql)
{
    /* LAB(irql) begin: check the new level, set it */
    irql_t old = irql_current();
    if (new_irql > old)
        panic("irql_lower to %s (%u) from %s (%u): lowering must not raise the level",
              irql_name(new_irql), new_irql, irql_name(old), old);
    arch_set_task_priority(new_irql);
    /* LAB(irql) stub
    (void)new_irql;
    LAB(irql) end */
}
/* LAB(irql-open) stub
irql_t irql_raise(irql_t new_irql)
{
    (void)new_irql;
    return irql_current();
}

void irql_lower(irql_t new_irql) { (void)new_irql; }
LAB(irql-open) end */

const char *irql_name(irql_t irql)
{
    switch (irql) {
    case PASSIVE_LEVEL: return "PASSIVE_LEVEL";
    case APC_LEVEL: return "APC_LEVEL";
    case DISPATCH_LEVEL: return "DISPATCH_LEVEL";
    case CLOCK_LEVEL: return "CLOCK_LEVEL";
    case IPI_LEVEL: return "IPI_LEVEL";
    case HIGH_LEVEL: return "HIGH_LEVEL";
    default: return "device level";
    }
}
