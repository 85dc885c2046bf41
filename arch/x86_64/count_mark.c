/*
 * count_mark.c - the marks of kernel/arch.h's arch_count_* (see
 * count_mark.h for their encoding). One function per mark, so that each
 * costs the same few instructions every time: the call, the mark and the
 * return, which make bench measures with an empty operation and takes off.
 * That operation is arch_count_nothing, one RET written in assembly so that
 * no compiler option (a frame pointer) changes its length.
 */
#include "arch/x86_64/count_mark.h"
#include "kernel/arch.h"

#define COUNT_MARK(code)                                                                           \
    __asm__ volatile("nopl %c0(%%rax)" ::"i"(COUNT_MARK_MAGIC | (code)) : "memory")

void arch_count_figure_begin(void) { COUNT_MARK(COUNT_MARK_FIGURE_BEGIN); }
void arch_count_figure_end(void) { COUNT_MARK(COUNT_MARK_FIGURE_END); }
void arch_count_call_begin(void) { COUNT_MARK(COUNT_MARK_CALL_BEGIN); }
void arch_count_call_end(void) { COUNT_MARK(COUNT_MARK_CALL_END); }

__asm__(".text\n"
        ".global arch_count_nothing\n"
        ".type arch_count_nothing, @function\n"
        "arch_count_nothing:\n"
        "    ret\n"
        ".size arch_count_nothing, . - arch_count_nothing\n");
