/*
 * stack_protector.c - -fstack-protector-strong's two symbols.
 *
 * The compiler puts a copy of __stack_chk_guard below the return address
 * of every function with an array or an address-taken local, and checks
 * it before returning; a buffer overflow that reaches the return address
 * changes it on the way. The guard is a global (-mstack-protector-guard=
 * global: no thread-local storage in this kernel), set from the TSC by
 * boot/entry.asm before any C runs, so an overflow cannot guess it.
 * Compiled without the protector (the Makefile says so): the report must
 * not itself be checked on a smashed stack.
 */
#include "kernel/diag/ksyms.h"
#include "kernel/panic.h"

#include <stdint.h>

uintptr_t __stack_chk_guard = 0x595e9fbd94fda766ull; /* replaced at boot */

noreturn void __stack_chk_fail(void);
noreturn void __stack_chk_fail(void)
{
    /* The caller is the function whose canary was overwritten: the check
     * sits in its epilogue. */
    uintptr_t pc = (uintptr_t)__builtin_return_address(0);
    char where[96];
    panic("stack protector: the stack of %s was overwritten (a buffer overflow)",
          ksym_describe(pc, true, where, sizeof(where)));
}
