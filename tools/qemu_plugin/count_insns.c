/*
 * count_insns.c - a QEMU TCG plugin that counts, for each virtual CPU, the
 * instructions it executes inside windows the kernel marks, with the
 * iterations of spin-wait loops counted apart (make bench ACCEL=icount).
 *
 * Why QEMU and not the kernel: QEMU executes every guest instruction, so
 * its count needs no cooperation from the code being counted (a single-
 * stepping #DB handler in the kernel would change the interrupt paths it
 * measures). Under -icount the vCPUs take turns in one thread, so every
 * run of a build gives the same numbers on any host; without -icount the
 * counts of the spin-free path are the same but the spin iterations vary.
 *
 * The kernel marks windows with multi-byte NOPs (arch/x86_64/count_mark.h),
 * which cost one instruction and do nothing else:
 *   FIGURE_BEGIN  the CPU executing it is the caller; every CPU's counters
 *                 are taken as the start of the figure
 *   CALL_BEGIN    the caller's counting starts (after this instruction)
 *   CALL_END      ... and stops (before it); the caller counts only
 *                 between these two, the other CPUs through the figure
 *   FIGURE_END    one line per CPU is written
 *
 * A spin iteration: the instructions between two PAUSEs executed by one
 * CPU at the same wait, with no interrupt in between and without the
 * function holding the wait returning in between (calls and returns are
 * counted; two passes through one wait are two waits). A wait is named by
 * where execution goes after the PAUSE: the next block, or where the
 * function holding the PAUSE returns to when it lies in relax=LO-HI (the
 * kernel's waits share one PAUSE, in arch_cpu_relax).
 * Interrupts: an instruction in the interrupt stubs' range (irq=LO-HI)
 * starts one, IRETQ ends it; what runs in between is counted apart too
 * (irq_insns): a participant's path from an IPI's arrival to the
 * handler's return.
 *
 * Arguments: out=FILE (default: standard error), irq=LO-HI, relax=LO-HI
 * (hexadecimal addresses, end excluded), profile=on (where the counted
 * instructions go: after each figure's count lines, per vCPU,
 *   profile: figure=<k> vcpu=<i> blocks=<addr>:<n>,...
 * the instructions executed, spin included, by the address of the
 * translation block that holds them).
 * Each figure writes, per vCPU:
 *   count: figure=<k> vcpu=<i> role=<caller|other> calls=<n> insns=<n>
 *          spin_insns=<n> irq_insns=<n> irq_spin_insns=<n> waits=<addr>:<n>,...
 * (one line) where every number is a total over the figure's calls.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/count_mark.h"
#include "qemu_plugin_v1.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MAX_SITES 64
#define PROFILE_SLOTS 4096 /* blocks a figure's path touches, with room */

struct counters {
    uint64_t insns, spin, irq_insns, irq_spin;
    uint64_t site_iters[MAX_SITES];
};

struct vcpu {
    struct counters now;
    int depth;          /* interrupts entered and not yet left */
    int pause_pending;  /* a PAUSE ran: PENDING_BLOCK, PENDING_RET or 0 */
    uint64_t pause_pos; /* instructions executed up to and with it */
    int pause_depth;
    int chain; /* last_site/last_pos describe the previous PAUSE */
    int last_site;
    uint64_t last_pos;
    int64_t frames;        /* calls minus returns */
    int64_t lowest;        /* the fewest frames since then */
    struct counters start; /* at FIGURE_BEGIN, or the caller's CALL_BEGIN */
    struct counters sum;   /* the caller's calls, added up */
    int profiling;         /* inside the windows its count covers */
    struct profile_slot {
        uint64_t addr, insns;
    } profile[PROFILE_SLOTS]; /* open addressing by block address */
};

/* What the translation callback learns once per block or instruction. */
struct block {
    uint64_t vaddr;
    uint32_t n;
    int irq_entry;
};
enum kind { KIND_PAUSE, KIND_IRET, KIND_MARK, KIND_CALL, KIND_RET };
enum { PENDING_BLOCK = 1, PENDING_RET }; /* what names the wait */
struct insn {
    enum kind kind;
    unsigned code;  /* a mark's */
    uint32_t after; /* instructions of its block after it */
};

static struct vcpu *vcpus;
static unsigned vcpu_count;
static uint64_t irq_lo, irq_hi, relax_lo, relax_hi;
static FILE *out;
static uint64_t sites[MAX_SITES];
static int site_count;
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static int caller = -1;
static uint64_t calls, figures;
static int profile_on;

static void profile_add(struct vcpu *v, uint64_t addr, uint64_t n)
{
    for (uint64_t i = (addr >> 2) % PROFILE_SLOTS, k = 0; k < PROFILE_SLOTS;
         k++, i = (i + 1) % PROFILE_SLOTS) {
        if (v->profile[i].addr == addr || v->profile[i].insns == 0) {
            v->profile[i].addr = addr;
            v->profile[i].insns += n;
            return;
        }
    }
}

static void write_profile(unsigned index, struct vcpu *v)
{
    fprintf(out, "profile: figure=%" PRIu64 " vcpu=%u blocks=", figures, index);
    const char *sep = "";
    for (int i = 0; i < PROFILE_SLOTS; i++) {
        if (v->profile[i].insns != 0) {
            fprintf(out, "%s%" PRIx64 ":%" PRIu64, sep, v->profile[i].addr, v->profile[i].insns);
            sep = ",";
        }
    }
    fprintf(out, "\n");
    memset(v->profile, 0, sizeof(v->profile));
}

/* Counters another vCPU's thread reads at a figure's edges (without
 * -icount each vCPU has a thread of its own). */
static void bump(uint64_t *p, uint64_t n)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static void snapshot(struct counters *to, const struct counters *from)
{
    const uint64_t *s = (const uint64_t *)from;
    uint64_t *d = (uint64_t *)to;
    for (size_t i = 0; i < sizeof(*from) / sizeof(uint64_t); i++)
        d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static int site_index(uint64_t addr)
{
    int n = __atomic_load_n(&site_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (sites[i] == addr)
            return i;
    pthread_mutex_lock(&site_lock);
    int i;
    for (i = 0; i < site_count && sites[i] != addr; i++)
        ;
    if (i == site_count && site_count < MAX_SITES) {
        sites[i] = addr;
        __atomic_store_n(&site_count, i + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&site_lock);
    return i < MAX_SITES ? i : -1; /* -1: too many waits; counted as path */
}

/* The block after a PAUSE names its wait: a second PAUSE at the same wait,
 * with no interrupt since the first, closes one spin iteration. */
static void name_the_wait(struct vcpu *v, uint64_t where)
{
    int s = site_index(where);
    if (s >= 0 && v->chain && v->last_site == s && v->lowest >= v->frames) {
        uint64_t iteration = v->pause_pos - v->last_pos;
        bump(&v->now.spin, iteration);
        if (v->pause_depth > 0)
            bump(&v->now.irq_spin, iteration);
        bump(&v->now.site_iters[s], 1);
    }
    v->chain = s >= 0;
    v->last_site = s;
    v->last_pos = v->pause_pos;
    v->lowest = v->frames;
    v->pause_pending = 0;
}

static void block_executed(unsigned int index, void *udata)
{
    const struct block *b = udata;
    struct vcpu *v = &vcpus[index];
    if (b->irq_entry) {
        v->depth++;
        v->chain = 0;
        v->pause_pending = 0;
    } else if (v->pause_pending == PENDING_BLOCK) {
        name_the_wait(v, b->vaddr);
    }
    bump(&v->now.insns, b->n);
    if (v->depth > 0)
        bump(&v->now.irq_insns, b->n);
    if (profile_on && __atomic_load_n(&v->profiling, __ATOMIC_RELAXED))
        profile_add(v, b->vaddr, b->n);
}

static void write_line(unsigned index, const char *role, const struct counters *c)
{
    fprintf(out,
            "count: figure=%" PRIu64 " vcpu=%u role=%s calls=%" PRIu64 " insns=%" PRIu64
            " spin_insns=%" PRIu64 " irq_insns=%" PRIu64 " irq_spin_insns=%" PRIu64 " waits=",
            figures, index, role, calls, c->insns, c->spin, c->irq_insns, c->irq_spin);
    const char *sep = "";
    for (int s = 0; s < site_count; s++) {
        if (c->site_iters[s] != 0) {
            fprintf(out, "%s%" PRIx64 ":%" PRIu64, sep, sites[s], c->site_iters[s]);
            sep = ",";
        }
    }
    fprintf(out, "\n");
}

static void add_difference(struct counters *sum, const struct counters *now,
                           const struct counters *start)
{
    const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)start;
    uint64_t *d = (uint64_t *)sum;
    for (size_t i = 0; i < sizeof(*sum) / sizeof(uint64_t); i++)
        d[i] += a[i] - b[i];
}

static void mark_executed(struct vcpu *v, unsigned index, unsigned code, uint64_t pos)
{
    switch (code) {
    case COUNT_MARK_FIGURE_BEGIN:
        caller = (int)index;
        calls = 0;
        for (unsigned i = 0; i < vcpu_count; i++) {
            snapshot(&vcpus[i].start, &vcpus[i].now);
            __atomic_store_n(&vcpus[i].profiling, i != index, __ATOMIC_RELAXED);
        }
        memset(&v->sum, 0, sizeof(v->sum));
        break;
    case COUNT_MARK_CALL_BEGIN:
        if ((int)index != caller)
            break;
        snapshot(&v->start, &v->now);
        v->start.insns = pos; /* from the instruction after the mark */
        v->profiling = 1;
        break;
    case COUNT_MARK_CALL_END: {
        if ((int)index != caller)
            break;
        struct counters now;
        snapshot(&now, &v->now);
        now.insns = pos - 1; /* up to the instruction before the mark */
        add_difference(&v->sum, &now, &v->start);
        v->profiling = 0;
        calls++;
        break;
    }
    case COUNT_MARK_FIGURE_END:
        if ((int)index != caller)
            break;
        figures++;
        for (unsigned i = 0; i < vcpu_count; i++) {
            if ((int)i == caller) {
                write_line(i, "caller", &v->sum);
            } else {
                struct counters now, d;
                snapshot(&now, &vcpus[i].now);
                memset(&d, 0, sizeof(d));
                add_difference(&d, &now, &vcpus[i].start);
                write_line(i, "other", &d);
            }
        }
        for (unsigned i = 0; i < vcpu_count && profile_on; i++) {
            __atomic_store_n(&vcpus[i].profiling, 0, __ATOMIC_RELAXED);
            write_profile(i, &vcpus[i]);
        }
        fflush(out);
        caller = -1;
        break;
    }
}

static void insn_executed(unsigned int index, void *udata)
{
    const struct insn *in = udata;
    struct vcpu *v = &vcpus[index];
    /* The block's callback has already counted every instruction of the
     * block: this one is at position now - after. */
    uint64_t pos = __atomic_load_n(&v->now.insns, __ATOMIC_RELAXED) - in->after;
    switch (in->kind) {
    case KIND_PAUSE:
        v->pause_pending = in->code ? PENDING_RET : PENDING_BLOCK;
        v->pause_pos = pos;
        v->pause_depth = v->depth;
        break;
    case KIND_IRET:
        if (v->depth > 0)
            v->depth--;
        break;
    case KIND_CALL: v->frames++; break;
    case KIND_RET:
        v->frames--;
        if (v->frames < v->lowest)
            v->lowest = v->frames;
        if (v->pause_pending == PENDING_RET && in->code)
            v->pause_pending = PENDING_BLOCK;
        break;
    case KIND_MARK: mark_executed(v, index, in->code, pos); break;
    }
}

static int in_relax(uint64_t vaddr) { return vaddr >= relax_lo && vaddr < relax_hi; }

static int classify(const uint8_t *p, size_t size, uint64_t vaddr, struct insn *in)
{
    if (size == 2 && p[0] == 0xf3 && p[1] == 0x90) {
        in->kind = KIND_PAUSE;
        in->code = in_relax(vaddr); /* its function's return names the wait */
        return 1;
    }
    if ((size == 1 && p[0] == 0xc3) || (size == 3 && p[0] == 0xc2)) {
        in->kind = KIND_RET;
        in->code = in_relax(vaddr); /* the return that names a PAUSE's wait */
        return 1;
    }
    /* CALL rel32, and CALL r/m64 (FF /2), with or without a REX prefix. */
    size_t op = size > 1 && (p[0] & 0xf0) == 0x40 ? 1 : 0;
    if ((size == 5 && p[0] == 0xe8) ||
        (size >= op + 2 && p[op] == 0xff && ((p[op + 1] >> 3) & 7) == 2)) {
        in->kind = KIND_CALL;
        return 1;
    }
    if (size == 2 && p[0] == 0x48 && p[1] == 0xcf) {
        in->kind = KIND_IRET;
        return 1;
    }
    if (size == 7 && p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x80 &&
        (p[4] | p[5] << 8 | p[6] << 16) == COUNT_MARK_MAGIC >> 8) {
        in->kind = KIND_MARK;
        in->code = p[3];
        return 1;
    }
    return 0;
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct block *b = calloc(1, sizeof(*b)); /* lives as long as QEMU may run the block */
    if (b == NULL)
        abort();
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->n = (uint32_t)n;
    b->irq_entry = b->vaddr >= irq_lo && b->vaddr < irq_hi;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, block_executed, QEMU_PLUGIN_CB_NO_REGS, b);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        struct insn probe = {.after = (uint32_t)(n - i - 1)};
        if (!classify(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn),
                      qemu_plugin_insn_vaddr(insn), &probe))
            continue;
        struct insn *in = malloc(sizeof(*in));
        if (in == NULL)
            abort();
        *in = probe;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_executed, QEMU_PLUGIN_CB_NO_REGS, in);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    if (out != NULL && out != stderr)
        fclose(out);
}

/* NAME=LO-HI, hexadecimal, LO < HI. */
static int parse_range(const char *arg, uint64_t *lo, uint64_t *hi)
{
    const char *value = strchr(arg, '=') + 1;
    char *end;
    *lo = strtoull(value, &end, 16);
    *hi = *end == '-' ? strtoull(end + 1, &end, 16) : 0;
    if (*end != '\0' || *hi <= *lo) {
        fprintf(stderr, "count_insns: %s: expected NAME=LO-HI in hexadecimal\n", arg);
        return 0;
    }
    return 1;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strncmp(argv[i], "irq=", 4) == 0) {
            if (!parse_range(argv[i], &irq_lo, &irq_hi))
                return -1;
        } else if (strcmp(argv[i], "profile=on") == 0) {
            profile_on = 1;
        } else if (strncmp(argv[i], "relax=", 6) == 0) {
            if (!parse_range(argv[i], &relax_lo, &relax_hi))
                return -1;
        } else {
            fprintf(stderr,
                    "count_insns: unknown argument %s (expected out=FILE, irq=LO-HI, relax=LO-HI, "
                    "profile=on)\n",
                    argv[i]);
            return -1;
        }
    }
    if (!info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
        fprintf(stderr, "count_insns: counts an x86_64 system guest, not %s\n", info->target_name);
        return -1;
    }
    vcpu_count = (unsigned)info->system.max_vcpus;
    vcpus = calloc(vcpu_count, sizeof(*vcpus));
    out = path != NULL ? fopen(path, "w") : stderr;
    if (vcpus == NULL || out == NULL) {
        fprintf(stderr, "count_insns: cannot %s\n",
                vcpus == NULL ? "allocate its counters" : "open its output file");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
