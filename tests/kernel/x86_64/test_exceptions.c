/*
 * test_x86_exceptions.c - the exception paths: int3 resumes, every fault is
 * caught with the right vector and details, and a stack overflow ends on the
 * double-fault handler's own stack instead of triple-faulting. A fault goes
 * back to the arch_try_call of the CPU that raised it, also with two CPUs
 * inside one at once, and to the innermost one where a try-call in an
 * interrupt handler interrupted another.
 */
#include "arch/x86_64/trap.h"
#include "kernel/arch.h"
#include "kernel/diag/arch_test.h"
#include "kernel/diag/inject.h"
#include "kernel/diag/ksyms.h"
#include "kernel/diag/ktest.h"
#include "kernel/smp/atomic.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/ipi.h"
#include "kernel/smp/smp.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "tests/kernel/helpers.h"

KTEST(exceptions, int3_is_resumable)
{
    uint64_t before = arch_breakpoint_count();
    arch_breakpoint();
    arch_breakpoint();
    EXPECT_EQ(t, before + 2, arch_breakpoint_count());
}

static void do_ud2(void *arg)
{
    (void)arg;
    __asm__ volatile("ud2");
}

KTEST(exceptions, invalid_opcode_is_caught)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_INVALID_OPCODE, arch_try_call(do_ud2, NULL, &f));
    const char *name = NULL;
    uintptr_t offset;
    EXPECT_TRUE(t, ksym_lookup(f.pc, &name, &offset));
    EXPECT_STREQ(t, "do_ud2", name);
}

static void do_divide_by_zero(void *arg)
{
    (void)arg;
    uint32_t zero = 0;
    __asm__ volatile("xor %%edx, %%edx; mov $1, %%eax; divl %0" : : "r"(zero) : "eax", "edx");
}

KTEST(exceptions, divide_error_is_caught)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_DIVIDE_ERROR, arch_try_call(do_divide_by_zero, NULL, &f));
}

/* These fault on purpose: a sanitized build (make SANITIZE=1) must let the
 * hardware see the access instead of reporting it first. */
KTEST_NO_SANITIZE static void read_address(void *addr)
{
    (void)atomic_load_relaxed((const uint8_t *)addr);
}
KTEST_NO_SANITIZE static void write_address(void *addr)
{
    atomic_store_relaxed((uint8_t *)addr, 0xC3);
}

KTEST(exceptions, null_dereference_is_a_page_fault)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(read_address, NULL, &f));
    EXPECT_EQ(t, 0, f.fault_addr);
    EXPECT_EQ(t, 0, f.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)); /* read of a missing page */
}

KTEST(exceptions, write_to_kernel_text_faults)
{
    struct arch_fault f;
    void *text = (void *)(uintptr_t)read_address;
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(write_address, text, &f));
    EXPECT_EQ(t, (uintptr_t)text, f.fault_addr);
    EXPECT_EQ(t, PF_ERR_PRESENT | PF_ERR_WRITE, f.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE));
}

static uint8_t data_code[16] __attribute__((aligned(16)));

static void call_data(void *arg)
{
    void (*fn)(void) = (void (*)(void))arg;
    fn();
}

KTEST(exceptions, executing_data_faults)
{
    if (!arch_has_nx())
        KTEST_SKIP(t, "the CPU has no NX bit");
    struct arch_fault f;
    data_code[0] = 0xC3; /* ret: harmless if it did run */
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, arch_try_call(call_data, data_code, &f));
    EXPECT_TRUE(t, (f.error_code & PF_ERR_FETCH) != 0);
    EXPECT_EQ(t, (uintptr_t)data_code, f.pc);
}

KTEST(exceptions, non_canonical_address_is_gp)
{
    struct arch_fault f;
    EXPECT_EQ(t, VECTOR_GENERAL_PROTECTION,
              arch_try_call(read_address, (void *)0x8000000000000000ull, &f));
}

static void overflow_the_stack(void *arg)
{
    (void)arg;
    inject_recurse(0, ~0u);
}

KTEST(exceptions, stack_overflow_double_faults_on_ist)
{
    struct arch_fault f;
    uintptr_t lo, hi;
    arch_double_fault_stack(&lo, &hi);
    EXPECT_EQ(t, VECTOR_DOUBLE_FAULT, arch_try_call(overflow_the_stack, NULL, &f));
    /* The handler's frame must be on the double-fault stack, not the
     * overflowed one: that is what keeps this from being a triple fault. */
    EXPECT_TRUE(t, f.handler_sp >= lo && f.handler_sp < hi);
}

KTEST(exceptions, try_call_without_fault_returns_minus_one)
{
    struct arch_fault f;
    uint8_t byte = 0;
    EXPECT_EQ(t, (uint64_t)-1, (uint64_t)(int64_t)arch_try_call(write_address, &byte, &f));
    EXPECT_EQ(t, 0xC3, byte);
}

/* ---- arch_try_call on several CPUs, and inside interrupt handlers ---- */

#define MEETING_TIMEOUT_MS 10000

/* Waits, bounded, until *count reaches want: false when it did not (the
 * test then fails by name instead of hanging). */
static bool wait_for(const uint32_t *count, uint32_t want)
{
    uint64_t deadline = arch_cycles() + cycles_from_ms(MEETING_TIMEOUT_MS);
    while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < want) {
        if (cycles_past(deadline))
            return false;
        arch_cpu_relax();
    }
    return true;
}

/* Counts the caller in, then waits for the others. */
static bool meet(uint32_t *count, uint32_t want)
{
    __atomic_add_fetch(count, 1, __ATOMIC_ACQ_REL);
    return wait_for(count, want);
}

static bool on_stack_of(const struct cpu *c, uintptr_t address)
{
    return address >= c->stack_lo && address < c->stack_hi;
}

/* One CPU's side of a try-call: what it reads to fault (the page fault's
 * CR2 tells the records apart), and what came back. */
struct try_side {
    uint32_t cpu;
    uintptr_t bad_address;
    struct arch_fault fault;
    const struct arch_fault *innermost; /* trap_try_call_record() just before the fault */
    int vector;                         /* what arch_try_call returned */
    uint32_t returned_on;               /* the CPU that came back out of it */
    uintptr_t returned_fp;              /* and the stack it came back on */
} __attribute__((aligned(CACHE_LINE)));

static struct try_side sides[2];
static uint32_t sides_inside, sides_looked, sides_out; /* (atomic) */

/* Runs inside arch_try_call: waits until the other CPU is inside its own,
 * then faults. Both look at their innermost try-call before either
 * faults. Where it is not their own (a kernel with one context for all
 * CPUs), the fault would be resumed on the other CPU's stack: that side
 * does not fault, so the test fails by name instead of crashing, and it
 * leaves only after the other side is out, last in first out, so that
 * even such a kernel is left with its one context whole. */
static void fault_with_the_other_cpu_inside(void *arg)
{
    struct try_side *s = arg;
    if (!meet(&sides_inside, 2))
        return;
    s->innermost = trap_try_call_record();
    if (!meet(&sides_looked, 2))
        return;
    if (s->innermost == &s->fault)
        read_address((void *)s->bad_address);
    (void)wait_for(&sides_out, 1);
}

static void try_one_side(void *arg)
{
    struct try_side *s = arg;
    s->vector = arch_try_call(fault_with_the_other_cpu_inside, s, &s->fault);
    s->returned_on = arch_this_cpu()->index;
    s->returned_fp = (uintptr_t)__builtin_frame_address(0);
    __atomic_add_fetch(&sides_out, 1, __ATOMIC_ACQ_REL);
}

KTEST(exceptions, try_calls_on_two_cpus_at_once_each_resume_their_own)
{
    struct cpu *ap = test_last_online_ap();
    if (ap == NULL)
        KTEST_SKIP(t, "one CPU");
    memset(sides, 0, sizeof(sides));
    sides_inside = sides_looked = sides_out = 0;
    sides[0].cpu = arch_this_cpu()->index;
    sides[0].bad_address = 0x8; /* two addresses on the unmapped page 0 */
    sides[1].cpu = ap->index;
    sides[1].bad_address = 0x10;
    ASSERT_TRUE(t, smp_post_work(ap, try_one_side, &sides[1]));
    try_one_side(&sides[0]);
    ASSERT_TRUE(t, smp_wait_work(ap, MEETING_TIMEOUT_MS));
    for (int i = 0; i < 2; i++) {
        const struct try_side *s = &sides[i];
        const struct cpu *c = smp_cpu(s->cpu);
        EXPECT_EQ(t, (uintptr_t)&s->fault, (uintptr_t)s->innermost); /* its own context */
        EXPECT_EQ(t, VECTOR_PAGE_FAULT, s->vector);
        EXPECT_EQ(t, s->bad_address, s->fault.fault_addr); /* its own record */
        EXPECT_EQ(t, s->cpu, s->returned_on);
        EXPECT_TRUE(t, on_stack_of(c, s->returned_fp));
        EXPECT_TRUE(t, on_stack_of(c, s->fault.handler_sp)); /* #PF has no IST: its own stack */
    }
}

/* An AP inside arch_try_call takes a rendezvous call's IPI; the worker,
 * in the interrupt handler, makes an arch_try_call of its own, which
 * faults. That fault is the inner try-call's; afterwards the outer one is
 * this CPU's innermost again, and its own fault comes back to it. */
static struct try_side outer_side, inner_side;
static uint32_t outer_inside, call_done; /* (atomic) */
static const struct arch_fault *seen_before_inner, *seen_after_inner;

static void fault_after_the_call(void *arg)
{
    struct try_side *s = arg;
    if (!meet(&outer_inside, 1))
        return;
    uint64_t deadline = arch_cycles() + cycles_from_ms(MEETING_TIMEOUT_MS);
    while (!__atomic_load_n(&call_done, __ATOMIC_ACQUIRE)) {
        if (cycles_past(deadline))
            return;
        arch_cpu_relax();
    }
    s->innermost = trap_try_call_record();
    if (s->innermost == &s->fault) /* else the fault would go to a try-call that has ended */
        read_address((void *)s->bad_address);
}

/* Posted work: runs with interrupts on, so the call's IPI gets in. */
static void try_outer_side(void *arg)
{
    struct try_side *s = arg;
    s->vector = arch_try_call(fault_after_the_call, s, &s->fault);
    s->returned_on = arch_this_cpu()->index;
    s->returned_fp = (uintptr_t)__builtin_frame_address(0);
}

static uintptr_t try_in_the_worker(uintptr_t ap_index)
{
    if (arch_this_cpu()->index != ap_index)
        return 0;
    seen_before_inner = trap_try_call_record();
    inner_side.vector =
        arch_try_call(read_address, (void *)inner_side.bad_address, &inner_side.fault);
    inner_side.returned_on = arch_this_cpu()->index;
    seen_after_inner = trap_try_call_record();
    return 0;
}

KTEST(exceptions, a_try_call_in_an_interrupt_handler_nests_in_the_interrupted_one)
{
    KTEST_NEEDS_APIC(t);
    struct cpu *ap = test_last_online_ap();
    if (ap == NULL)
        KTEST_SKIP(t, "one CPU");
    memset(&outer_side, 0, sizeof(outer_side));
    memset(&inner_side, 0, sizeof(inner_side));
    outer_inside = call_done = 0;
    seen_before_inner = seen_after_inner = NULL;
    outer_side.cpu = inner_side.cpu = ap->index;
    outer_side.bad_address = 0x18;
    inner_side.bad_address = 0x20;
    ASSERT_TRUE(t, smp_post_work(ap, try_outer_side, &outer_side));
    uint64_t deadline = arch_cycles() + cycles_from_ms(MEETING_TIMEOUT_MS);
    while (__atomic_load_n(&outer_inside, __ATOMIC_ACQUIRE) == 0 && !cycles_past(deadline))
        arch_cpu_relax();
    struct cpu_set targets = {{0}};
    cpu_set_add(&targets, ap->index);
    ipi_generic_call_set(&targets, try_in_the_worker, ap->index);
    __atomic_store_n(&call_done, 1, __ATOMIC_RELEASE);
    ASSERT_TRUE(t, smp_wait_work(ap, MEETING_TIMEOUT_MS));

    EXPECT_EQ(t, (uintptr_t)&outer_side.fault, (uintptr_t)seen_before_inner);
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, inner_side.vector);
    EXPECT_EQ(t, inner_side.bad_address, inner_side.fault.fault_addr);
    EXPECT_EQ(t, ap->index, inner_side.returned_on);
    EXPECT_EQ(t, (uintptr_t)&outer_side.fault, (uintptr_t)seen_after_inner);
    EXPECT_EQ(t, (uintptr_t)&outer_side.fault, (uintptr_t)outer_side.innermost);
    EXPECT_EQ(t, VECTOR_PAGE_FAULT, outer_side.vector);
    EXPECT_EQ(t, outer_side.bad_address, outer_side.fault.fault_addr);
    EXPECT_EQ(t, ap->index, outer_side.returned_on);
    EXPECT_TRUE(t, on_stack_of(ap, outer_side.returned_fp));
}
