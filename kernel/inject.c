/*
 * inject.c - deliberate failures for testing the failure paths.
 */
#include "kernel/inject.h"

#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/panic.h"
#include "lib/string.h"

#define RECURSE_FRAME_BYTES 256

unsigned inject_recurse(unsigned depth, unsigned limit)
{
    volatile char pad[RECURSE_FRAME_BYTES];
    pad[0] = (char)depth;
    if (depth >= limit)
        return pad[0];
    /* Not a tail call: the addition after it keeps every frame alive. */
    return inject_recurse(depth + 1, limit) + pad[0];
}

void inject_fault(const char *what)
{
    if (strcmp(what, "test-fail") == 0)
        return; /* the self-test ktest.injected_failure fails instead */
    kprintf("inject: %s\n", what);
    if (strcmp(what, "panic") == 0)
        panic("injected panic (inject=panic)");
    if (strcmp(what, "stack-overflow") == 0)
        inject_recurse(0, ~0u);
    if (strcmp(what, "triple-fault") == 0)
        arch_triple_fault();
    if (strcmp(what, "hang") == 0) {
        kprintf("inject: halting forever with interrupts off\n");
        arch_halt_forever();
    }
    kprintf("warning: unknown inject=%s; known: test-fail panic stack-overflow triple-fault "
            "hang\n", what);
}
