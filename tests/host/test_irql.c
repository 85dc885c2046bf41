/*
 * test_irql.c - the IRQL (kernel/smp/irql.c) and the lazy task priority
 * (arch/x86_64/priority.c), checked on the host against a fake CPU and
 * local APIC that deliver interrupts by the rules of the hardware.
 *
 * The fake (tests/host/fake_x86/arch/x86_64/x86.h turns the instructions
 * into calls) holds CR8, RFLAGS.IF, the APIC's requested interrupts and its
 * in-service vectors. It delivers the highest requested interrupt the
 * moment three things hold: IF is set, and its priority class (vector >> 4)
 * is above both CR8 and the class of every vector in service (the
 * processor priority, SDM vol. 3A §11.8.3.1). It looks every time one of
 * them may have changed: a CR8 write, an STI, an interrupt arriving, an
 * IRETQ. STI's one-instruction delay is not modelled: after a real STI the
 * next instruction is a call or a return, and the interrupt is taken right
 * after it, before any CR8 write that follows. A delivery runs as trap.c's
 * dispatch does: IF clear (an interrupt gate), priority_enter_handler, the
 * case's handler, the EOI, priority_leave_handler, then IF set again (the
 * IRETQ).
 *
 * A case makes an interrupt arrive at the point it chooses, and looks at
 * what was taken, when, at which level, and how many CR8 writes it cost.
 */
#include <setjmp.h>

#include "arch/x86_64/lapic.h"
#include "arch/x86_64/priority.h"
#include "arch/x86_64/vectors.h"
#include "arch/x86_64/x86.h"
#include "kernel/smp/cpu.h"
#include "kernel/smp/irql.h"

#include "tests/host/htest.h"

#define MAX_TAKEN 16
#define MAX_NESTING 8
#define MAX_EVENTS 64
#define NO_VECTOR 0

/* ---- the fake CPU and local APIC ---- */

static struct cpu the_cpu;
static bool apic_enabled;
static bool interrupt_flag;
static unsigned cr8;
static unsigned cr8_writes;
static bool requested[256];
static unsigned in_service[MAX_NESTING];
static unsigned in_service_count;

/* Each interrupt taken, in the order they started: its vector, what CR8
 * held when it was taken, the level its handler saw, and what CR8 held
 * when the IRETQ set IF again. */
struct taken {
    unsigned vector;
    unsigned cr8_when_taken;
    unsigned level_inside;
    unsigned cr8_at_iretq;
};
static struct taken taken[MAX_TAKEN];
static unsigned taken_count;
static void (*inside_handler)(unsigned vector);

/* CR8 writes and STIs in order, for the order of the two. */
enum event_kind { EV_CR8_WRITE, EV_STI };
static enum event_kind events[MAX_EVENTS];
static unsigned event_count;

static void record(enum event_kind kind)
{
    if (event_count < MAX_EVENTS)
        events[event_count++] = kind;
}

static unsigned processor_priority_class(void)
{
    unsigned ppr = cr8;
    for (unsigned i = 0; i < in_service_count; i++)
        if (in_service[i] >> 4 > ppr)
            ppr = in_service[i] >> 4;
    return ppr;
}

static int highest_requested(void)
{
    for (int v = 255; v >= 32; v--)
        if (requested[v])
            return v;
    return -1;
}

static void take(unsigned vector)
{
    requested[vector] = false;
    interrupt_flag = false; /* an interrupt gate */
    in_service[in_service_count++] = vector;
    struct taken *t = taken_count < MAX_TAKEN ? &taken[taken_count] : NULL;
    taken_count++;
    unsigned interrupted = priority_enter_handler(vector);
    if (t != NULL) {
        t->cr8_when_taken = cr8;
        t->level_inside = irql_current();
    }
    if (inside_handler != NULL)
        inside_handler(vector);
    in_service_count--; /* the handler's EOI */
    interrupt_flag = false;
    priority_leave_handler(interrupted);
    if (t != NULL) {
        t->vector = vector;
        t->cr8_at_iretq = cr8;
    }
    interrupt_flag = true; /* the IRETQ */
}

static void deliver_what_is_due(void)
{
    while (interrupt_flag && in_service_count < MAX_NESTING) {
        int v = highest_requested();
        if (v < 0 || (unsigned)v >> 4 <= processor_priority_class())
            return;
        take((unsigned)v);
    }
}

static void interrupt_arrives(unsigned vector)
{
    requested[vector] = true;
    deliver_what_is_due();
}

uint64_t read_rflags(void) { return interrupt_flag ? RFLAGS_IF : 0; }
void write_cr8(uint64_t value)
{
    record(EV_CR8_WRITE);
    cr8 = (unsigned)value & 0xF;
    cr8_writes++;
    deliver_what_is_due();
}
void irq_enable(void)
{
    record(EV_STI);
    interrupt_flag = true;
    deliver_what_is_due();
}
void irq_disable(void) { interrupt_flag = false; }

struct cpu *arch_this_cpu(void) { return &the_cpu; }
bool lapic_active(void) { return apic_enabled; }

/* panic() returns to the case through panic_catch, with the message. */
static jmp_buf *panic_catch;
static char panic_message[300];

noreturn void panic_at(const char *file, int line, const char *fmt, ...)
{
    (void)file;
    (void)line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
    va_end(ap);
    if (panic_catch == NULL) {
        fprintf(stderr, "test_irql: panic outside a case: %s\n", panic_message);
        abort();
    }
    longjmp(*panic_catch, 1);
}

/* A CPU with its APIC enabled, CR8 0, interrupts off and nothing requested
 * (the state lapic_init leaves behind, priority_reset). */
static void reset_machine(void)
{
    apic_enabled = false;
    arch_set_task_priority(PASSIVE_LEVEL); /* the level kept without an APIC */
    apic_enabled = true;
    memset(&the_cpu, 0, sizeof(the_cpu));
    the_cpu.self = &the_cpu;
    priority_reset();
    interrupt_flag = false;
    cr8 = 0;
    cr8_writes = 0;
    memset(requested, 0, sizeof(requested));
    in_service_count = 0;
    taken_count = 0;
    inside_handler = NULL;
    event_count = 0;
}

/* ---- the cases ---- */

static char why[400];

#define FAIL_IF(cond, ...)                                                                         \
    do {                                                                                           \
        if (cond) {                                                                                \
            int at = snprintf(why, sizeof(why), "%s:%d: ", __FILE__, __LINE__);                    \
            snprintf(why + at, sizeof(why) - (size_t)at, __VA_ARGS__);                             \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

/* Runs the call, which must panic; false and why when it returns. */
#define EXPECT_PANIC(call, what)                                                                   \
    do {                                                                                           \
        jmp_buf here;                                                                              \
        jmp_buf *outer = panic_catch;                                                              \
        panic_catch = &here;                                                                       \
        panic_message[0] = '\0';                                                                   \
        if (setjmp(here) == 0) {                                                                   \
            call;                                                                                  \
            panic_catch = outer;                                                                   \
            FAIL_IF(true, "%s did not panic", what);                                               \
        }                                                                                          \
        panic_catch = outer;                                                                       \
    } while (0)

static bool names_both(const char *a, const char *b)
{
    return strstr(panic_message, a) != NULL && strstr(panic_message, b) != NULL;
}

static bool raise_and_lower_round_trip(void)
{
    irql_t old = irql_raise(DISPATCH_LEVEL);
    FAIL_IF(old != PASSIVE_LEVEL,
            "irql_raise(DISPATCH_LEVEL) at PASSIVE_LEVEL returned %u, "
            "want the previous level, 0",
            old);
    FAIL_IF(irql_current() != DISPATCH_LEVEL,
            "after irql_raise(DISPATCH_LEVEL) the level is "
            "%u, want 2",
            irql_current());
    irql_t mid = irql_raise(HIGH_LEVEL);
    FAIL_IF(mid != DISPATCH_LEVEL,
            "irql_raise(HIGH_LEVEL) at DISPATCH_LEVEL returned %u, "
            "want 2",
            mid);
    irql_lower(mid);
    FAIL_IF(irql_current() != DISPATCH_LEVEL,
            "irql_lower(DISPATCH_LEVEL) from HIGH_LEVEL left "
            "the level at %u",
            irql_current());
    irql_lower(old);
    FAIL_IF(irql_current() != PASSIVE_LEVEL, "irql_lower(PASSIVE_LEVEL) left the level at %u",
            irql_current());
    return true;
}

static bool raise_to_the_same_level(void)
{
    irql_t old = irql_raise(DISPATCH_LEVEL);
    irql_t again = irql_raise(DISPATCH_LEVEL);
    FAIL_IF(again != DISPATCH_LEVEL,
            "irql_raise(DISPATCH_LEVEL) at DISPATCH_LEVEL returned %u, "
            "want 2",
            again);
    irql_lower(again);
    FAIL_IF(irql_current() != DISPATCH_LEVEL, "lowering to the level in effect changed it to %u",
            irql_current());
    irql_lower(old);
    return true;
}

static bool raise_to_a_lower_level_panics(void)
{
    irql_t old = irql_raise(CLOCK_LEVEL);
    EXPECT_PANIC(irql_raise(DISPATCH_LEVEL), "irql_raise(DISPATCH_LEVEL) at CLOCK_LEVEL");
    FAIL_IF(!names_both("CLOCK_LEVEL", "DISPATCH_LEVEL"),
            "the panic should name both levels (irql_name), said: %s", panic_message);
    FAIL_IF(irql_current() != CLOCK_LEVEL, "the refused raise changed the level to %u",
            irql_current());
    irql_lower(old);
    return true;
}

static bool lower_to_a_higher_level_panics(void)
{
    irql_t old = irql_raise(DISPATCH_LEVEL);
    EXPECT_PANIC(irql_lower(CLOCK_LEVEL), "irql_lower(CLOCK_LEVEL) at DISPATCH_LEVEL");
    FAIL_IF(!names_both("CLOCK_LEVEL", "DISPATCH_LEVEL"),
            "the panic should name both levels (irql_name), said: %s", panic_message);
    FAIL_IF(irql_current() != DISPATCH_LEVEL, "the refused lower changed the level to %u",
            irql_current());
    irql_lower(old);
    return true;
}

static bool raise_above_high_level_panics(void)
{
    EXPECT_PANIC(irql_raise(HIGH_LEVEL + 1), "irql_raise(16)");
    FAIL_IF(irql_current() != PASSIVE_LEVEL, "the refused raise changed the level to %u",
            irql_current());
    return true;
}

static bool no_cr8_write_while_interrupts_are_off(void)
{
    for (int i = 0; i < 100; i++) {
        irql_t old = irql_raise(IPI_LEVEL);
        irql_lower(old);
    }
    irql_t old = irql_raise(CLOCK_LEVEL);
    FAIL_IF(irql_current() != CLOCK_LEVEL, "the level is %u after irql_raise(CLOCK_LEVEL)",
            irql_current());
    irql_lower(old);
    FAIL_IF(cr8_writes != 0,
            "%u CR8 writes for 101 raises and lowers with interrupts off, "
            "want 0: no interrupt can arrive then, so the level need only be recorded",
            cr8_writes);
    return true;
}

static bool raise_with_interrupts_on_holds_back(void)
{
    arch_interrupts_enable();
    irql_t old = irql_raise(CLOCK_LEVEL);
    FAIL_IF(cr8 != CLOCK_LEVEL,
            "with interrupts on, CR8 holds %u after "
            "irql_raise(CLOCK_LEVEL), want 13",
            cr8);
    interrupt_arrives(VECTOR_TIMER);
    FAIL_IF(taken_count != 0, "the timer (class 13) was taken at CLOCK_LEVEL");
    interrupt_arrives(VECTOR_IPI_CALL);
    FAIL_IF(taken_count != 1 || taken[0].vector != VECTOR_IPI_CALL,
            "the rendezvous IPI (class 14) should get through at CLOCK_LEVEL: %u taken",
            taken_count);
    irql_lower(old);
    FAIL_IF(cr8_writes != 2,
            "%u CR8 writes for one raise and one lower with interrupts on, "
            "want 2",
            cr8_writes);
    return true;
}

static bool lower_with_interrupts_on_lets_in(void)
{
    irql_t old = irql_raise(CLOCK_LEVEL);
    arch_interrupts_enable();
    interrupt_arrives(VECTOR_TIMER);
    FAIL_IF(taken_count != 0, "the timer was taken at CLOCK_LEVEL");
    irql_lower(DISPATCH_LEVEL);
    FAIL_IF(taken_count != 1,
            "irql_lower(DISPATCH_LEVEL), interrupts on, did not let in the timer held back "
            "at CLOCK_LEVEL (CR8 holds %u): the lower must reach CR8 at once",
            cr8);
    FAIL_IF(taken[0].level_inside != CLOCK_LEVEL, "the timer's handler ran at level %u, want 13",
            taken[0].level_inside);
    irql_lower(old);
    FAIL_IF(cr8 != PASSIVE_LEVEL,
            "CR8 holds %u after lowering to PASSIVE_LEVEL with "
            "interrupts on",
            cr8);
    return true;
}

static bool same_level_writes_nothing(void)
{
    arch_interrupts_enable();
    irql_t old = irql_raise(DISPATCH_LEVEL);
    unsigned after_first = cr8_writes;
    irql_t same = irql_raise(DISPATCH_LEVEL);
    irql_lower(same);
    FAIL_IF(cr8_writes != after_first,
            "raising and lowering to the level CR8 already holds "
            "cost %u CR8 writes, want 0",
            cr8_writes - after_first);
    irql_lower(old);
    FAIL_IF(cr8_writes != 2, "%u CR8 writes in all, want 2", cr8_writes);
    FAIL_IF(the_cpu.arch_words.cr8_writes != cr8_writes,
            "cr8_writes counts %llu, but CR8 was "
            "written %u times: the self-tests read that counter",
            the_cpu.arch_words.cr8_writes, cr8_writes);
    return true;
}

static bool without_an_apic(void)
{
    apic_enabled = false;
    arch_interrupts_enable();
    irql_t old = irql_raise(IPI_LEVEL);
    FAIL_IF(old != PASSIVE_LEVEL || irql_current() != IPI_LEVEL,
            "without an APIC, "
            "irql_raise(IPI_LEVEL) returned %u and left the level at %u",
            old, irql_current());
    irql_lower(old);
    FAIL_IF(irql_current() != PASSIVE_LEVEL, "without an APIC, the level is %u after lowering",
            irql_current());
    FAIL_IF(cr8_writes != 0,
            "%u CR8 writes without an APIC: CR8 is the APIC's TPR and means "
            "nothing without it",
            cr8_writes);
    apic_enabled = true;
    return true;
}

static bool cr8_before_sti(void)
{
    irql_t old = irql_raise(CLOCK_LEVEL);
    interrupt_arrives(VECTOR_TIMER);
    arch_interrupts_enable();
    FAIL_IF(taken_count != 0,
            "the timer, requested while interrupts were off at CLOCK_LEVEL, "
            "was taken when they were enabled (CR8 then held %u): CR8 must hold the level "
            "before STI",
            taken[0].cr8_when_taken);
    FAIL_IF(cr8 != CLOCK_LEVEL, "CR8 holds %u with interrupts on at CLOCK_LEVEL", cr8);
    FAIL_IF(event_count < 2 || events[0] != EV_CR8_WRITE || events[1] != EV_STI,
            "arch_interrupts_enable should write CR8 and then execute STI");
    arch_interrupts_disable();
    irql_lower(old);
    FAIL_IF(taken_count != 0, "the timer was taken with interrupts off");
    arch_interrupts_enable();
    FAIL_IF(taken_count != 1,
            "the timer was not taken when interrupts were enabled at "
            "PASSIVE_LEVEL after lowering with them off (CR8 holds %u)",
            cr8);
    FAIL_IF(taken[0].level_inside != CLOCK_LEVEL, "the timer's handler ran at level %u, want 13",
            taken[0].level_inside);
    return true;
}

static bool restore_syncs(void)
{
    bool was = arch_interrupts_save_disable();
    irql_t old = irql_raise(CLOCK_LEVEL);
    interrupt_arrives(VECTOR_TIMER);
    arch_interrupts_restore(true);
    FAIL_IF(was, "arch_interrupts_save_disable said interrupts were on");
    FAIL_IF(!interrupt_flag, "arch_interrupts_restore(true) left interrupts off");
    FAIL_IF(taken_count != 0 || cr8 != CLOCK_LEVEL,
            "arch_interrupts_restore(true) at CLOCK_LEVEL let the timer in (CR8 then "
            "held %u): it must bring CR8 up to date before STI, as arch_interrupts_enable does",
            taken_count != 0 ? taken[0].cr8_when_taken : cr8);
    arch_interrupts_restore(false);
    FAIL_IF(interrupt_flag, "arch_interrupts_restore(false) left interrupts on");
    irql_lower(old);
    return true;
}

static bool handler_at_its_level(void)
{
    arch_interrupts_enable();
    interrupt_arrives(VECTOR_TIMER);
    FAIL_IF(taken_count != 1, "the timer was not taken at PASSIVE_LEVEL with interrupts on");
    FAIL_IF(taken[0].level_inside != CLOCK_LEVEL,
            "irql_current() in the timer's handler is "
            "%u, want its vector's class, 13",
            taken[0].level_inside);
    FAIL_IF(irql_current() != PASSIVE_LEVEL,
            "after the handler the level is %u, want the "
            "interrupted one, 0",
            irql_current());
    FAIL_IF(cr8_writes != 0,
            "%u CR8 writes for a handler that left interrupts off, want 0: "
            "the vector in service already holds its class back",
            cr8_writes);
    return true;
}

static void enable_and_take_an_ipi(unsigned vector)
{
    if (vector != VECTOR_TIMER)
        return;
    arch_interrupts_enable();
    interrupt_arrives(VECTOR_IPI_CALL);
    arch_interrupts_disable();
}

static bool handler_that_enables(void)
{
    inside_handler = enable_and_take_an_ipi;
    arch_interrupts_enable();
    interrupt_arrives(VECTOR_TIMER);
    inside_handler = NULL;
    FAIL_IF(taken_count != 2, "%u interrupts taken, want 2 (the timer, and the IPI inside it)",
            taken_count);
    FAIL_IF(taken[0].vector != VECTOR_TIMER || taken[0].cr8_at_iretq != PASSIVE_LEVEL,
            "when the timer's handler returned, CR8 held %u, want the interrupted level, 0: "
            "the handler enabled interrupts, which wrote its own level to CR8",
            taken[0].cr8_at_iretq);
    interrupt_arrives(VECTOR_TIMER);
    FAIL_IF(taken_count != 3, "a second timer interrupt at PASSIVE_LEVEL was held back (CR8 %u)",
            cr8);
    return true;
}

struct irql_case {
    const char *name;
    bool (*run)(void);
};

static const struct irql_case cases[] = {
    {"irql.raise_returns_the_old_level_and_lower_goes_back", raise_and_lower_round_trip},
    {"irql.raising_to_the_level_in_effect_is_allowed", raise_to_the_same_level},
    {"irql.raising_to_a_lower_level_panics_naming_both", raise_to_a_lower_level_panics},
    {"irql.lowering_to_a_higher_level_panics_naming_both", lower_to_a_higher_level_panics},
    {"irql.raising_above_high_level_panics", raise_above_high_level_panics},
    {"irql.no_cr8_write_while_interrupts_are_off", no_cr8_write_while_interrupts_are_off},
    {"irql.a_raise_with_interrupts_on_holds_the_timer_back_at_once",
     raise_with_interrupts_on_holds_back},
    {"irql.a_lower_with_interrupts_on_lets_a_held_interrupt_in", lower_with_interrupts_on_lets_in},
    {"irql.raising_to_the_level_cr8_holds_writes_nothing", same_level_writes_nothing},
    {"irql.without_an_apic_the_level_is_kept_in_memory", without_an_apic},
    {"irql.enabling_interrupts_writes_cr8_before_sti", cr8_before_sti},
    {"irql.restoring_interrupts_brings_cr8_up_to_date", restore_syncs},
    {"irql.a_handler_runs_at_its_vectors_level_with_no_cr8_write", handler_at_its_level},
    {"irql.a_handler_that_enables_interrupts_puts_the_interrupted_level_back_in_cr8",
     handler_that_enables},
};

/* One case on a fresh machine; a panic it did not expect fails it. */
static bool run_case(const struct irql_case *c)
{
    reset_machine();
    why[0] = '\0';
    jmp_buf here;
    volatile bool ok = false;
    panic_catch = &here;
    if (setjmp(here) == 0)
        ok = c->run();
    else
        snprintf(why, sizeof(why), "panic: %s", panic_message);
    panic_catch = NULL;
    return ok;
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!htest_selected(cases[i].name))
            continue;
        htest_begin(cases[i].name);
        bool ok = run_case(&cases[i]);
        htest_report(cases[i].name, ok, "%s", why);
    }
    return htest_finish();
}
