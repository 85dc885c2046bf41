/*
 * backtrace.c - walks the frame-pointer chain (the kernel is built with
 * -fno-omit-frame-pointer): at each frame, [rbp] holds the caller's rbp and
 * [rbp + 8] the return address (System V AMD64 ABI §3.2.2).
 *
 * The walk runs inside fault handlers, so it must not fault itself: every
 * frame pointer is checked to be aligned, inside the kernel image (the
 * boot CPU's stacks) or the stack region (the APs'), mapped, and to move
 * up the stack.
 */
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/arch.h"
#include "kernel/console.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/ksyms.h"

#define BACKTRACE_MAX_DEPTH 32

static bool frame_is_readable(uintptr_t fp)
{
    bool in_image = fp >= (uintptr_t)__kernel_start && fp + 16 <= (uintptr_t)__kernel_end;
    bool in_stacks = fp >= STACK_REGION_START && fp + 16 <= STACK_REGION_END;
    if (fp % 8 != 0 || !(in_image || in_stacks))
        return false;
    return paging_leaf_entry(fp) != 0 && paging_leaf_entry(fp + 8) != 0;
}

static size_t walk(uintptr_t fp, uintptr_t *pcs, size_t max)
{
    size_t n = 0;
    while (n < max && frame_is_readable(fp)) {
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t ret = frame[1];
        if (ret == 0)
            break;
        pcs[n++] = ret;
        if (frame[0] <= fp) /* the stack grows down: callers are higher */
            break;
        fp = frame[0];
    }
    return n;
}

size_t arch_backtrace(uintptr_t *pcs, size_t max)
{
    return walk((uintptr_t)__builtin_frame_address(0), pcs, max);
}

static void print_frame(size_t index, uintptr_t pc, bool is_return_address)
{
    char where[KSYM_DESCRIBE_MAX];
    kprintf("    #%zu %016lx %s\n", index, (unsigned long)pc,
            ksym_describe(pc, is_return_address, where, sizeof(where)));
}

void arch_print_backtrace_from(uintptr_t pc, bool pc_is_return_address, uintptr_t fp)
{
    uintptr_t pcs[BACKTRACE_MAX_DEPTH];
    size_t n = walk(fp, pcs, BACKTRACE_MAX_DEPTH);
    kprintf("  backtrace:\n");
    print_frame(0, pc, pc_is_return_address);
    for (size_t i = 0; i < n; i++) {
        /* Deep recursion: show a run of identical frames once. */
        size_t run = 1;
        while (i + run < n && pcs[i + run] == pcs[i])
            run++;
        print_frame(i + 1, pcs[i], true);
        if (run > 2) {
            kprintf("    ... the same frame %zu more times\n", run - 1);
            i += run - 1;
        }
    }
    if (n == BACKTRACE_MAX_DEPTH)
        kprintf("    ... (stopped after %d frames)\n", BACKTRACE_MAX_DEPTH);
}

/* noinline: the walk counts on this function having a frame of its own. */
__attribute__((noinline)) void arch_print_caller_backtrace(void)
{
    /* [fp] is the caller's frame; the return address saved there ([+8])
     * leads into the caller's caller, where the backtrace starts. */
    const uintptr_t *fp = (const uintptr_t *)__builtin_frame_address(0);
    const uintptr_t *caller = (const uintptr_t *)fp[0];
    if (!frame_is_readable((uintptr_t)caller)) {
        kprintf("  backtrace: no readable frame\n");
        return;
    }
    arch_print_backtrace_from(caller[1], true, caller[0]);
}
