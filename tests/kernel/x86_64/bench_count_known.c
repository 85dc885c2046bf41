/*
 * bench_count_known.c - the two operations of count_known.asm, measured
 * like any figure: their instruction counts are known from the listing,
 * so tools/check_count.py can check the counter of make bench ACCEL=icount
 * (and, on one CPU, QEMU's -icount clock) against them.
 */
#include "kernel/diag/bench.h"

void count_known_nothing(void *arg);
void count_known_path(void *arg);

KBENCH(count_known)
{
    bench_measure("count_known_nothing", 1, count_known_nothing, 0, 100);
    bench_measure("count_known_path", 1, count_known_path, 0, 100);
}
