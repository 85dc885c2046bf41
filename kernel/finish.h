/*
 * finish.h - how a run of the self-tests or benchmarks ends: a summary page
 * on the screen (and serial), then what option end= asks for.
 */
#ifndef KERNEL_FINISH_H
#define KERNEL_FINISH_H

#include <stdbool.h>
#include <stdnoreturn.h>

/* What end= asks for once a run is over: QEMU's exit (halting on a real
 * PC), halting, or a reset after reboot_delay_s. */
enum end_action { END_AUTO, END_HALT, END_REBOOT };

struct ktest_result;

/* The summary page: the result in colour, the failed tests by name, the
 * CPU table and the clock; the screen is cleared first, so it is all a
 * person sees once the run is over. Then end=auto ends QEMU with the
 * result (its exit device) and, on a real PC, halts; end=halt halts;
 * end=reboot counts down reboot_delay_s and resets the machine. */
noreturn void finish_tests(const struct ktest_result *result);

/* The same for a run without a pass/fail verdict (benchmarks, trace). */
noreturn void finish_run(const char *what);

#endif
