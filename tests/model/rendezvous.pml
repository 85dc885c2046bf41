/*
 * rendezvous.pml - the protocol of kernel/ipi.c and kernel/barrier.c in
 * Promela, for the SPIN model checker (tools/check_model.sh runs it).
 *
 * Each CPU is a process. A spin-wait of the C code is a guard that blocks
 * until what ends the wait holds, so a state where no CPU can move is a
 * deadlock, and SPIN reports it as an invalid end state. Time is abstract:
 * with TIMEOUTS, a deadline may pass at any moment a CPU waits at a
 * barrier (once per run), which covers every ordering of a timeout against
 * the other CPUs' steps. SPIN interleaves whole statements (sequential
 * consistency): memory ordering is ThreadSanitizer's business in the host
 * tests, not this model's.
 *
 * Build-time choices (-D):
 *   N=2|3|4            CPUs
 *   CALLS=k            calls each CPU makes (CPU 0 also takes one timer
 *                      interrupt whose handler calls, at any moment its
 *                      interrupts are on and it is below CLOCK_LEVEL)
 *   NO_TIMER           without that timer interrupt (a smaller state space)
 *   DISSEMINATION      the dissemination barrier (default: central)
 *   SUBSETS            callers may also call a subset (themselves and the next CPU)
 *   TIMEOUTS           one barrier deadline may pass, anywhere
 *   BUG_LOCK_WITH_INTERRUPTS_ON   an old defect put back: the ticket is taken
 *                      before interrupts are disabled (SPIN must find the deadlock)
 *   BUG_NO_ABORT       another: a timeout does not abort the episode for the
 *                      others (SPIN must find a worker started after the timeout)
 *   BUG_PUBLISH_EARLY  the call number is published before the call's
 *                      contents (a relaxed seqlock publication)
 *
 * docs/rendezvous.md maps each inline below to the C function it stands for.
 */

#ifndef N
#define N 3
#endif
#ifndef CALLS
#define CALLS 1
#endif
#ifdef NO_TIMER
#define TIMER false
#else
#define TIMER true
#endif
#define ROUNDS 2                    /* ceil(log2 4) */
#define MAXCALL (N * CALLS + 2)     /* call numbers 1..N*CALLS+1 (the timer's call) */
#define IPI_LEVEL 14
#define CLOCK_LEVEL 13
#define RELEASED 0
#define ABORTED 1
#define TIMED_OUT 2

/* ---- the shared state of the C code ---- */
byte next_ticket, serving;          /* the ticket lock */
byte seq;                           /* 2 * call number, odd while written */
byte pub_members, pub_caller;       /* the published call (members: a bit mask) */
bit ipi_pending[N];
byte arrivals;                      /* central barrier: arrivals so far */
byte outcome_ep;                    /* episode decided last ... */
bit outcome_aborted;                /* ... and how */
byte flag[N * ROUNDS];              /* dissemination: flag[rank * ROUNDS + round] */
bit stopping;                       /* the report is done: every CPU is stopped (NMI) */
bit timer_used;
bit timeout_used;

/* ---- ghost state: what the properties are checked against ---- */
byte g_count[MAXCALL];              /* participants of call k */
byte g_arrived[MAXCALL];            /* participants that reached its arrival barrier */
byte g_started[MAXCALL];            /* workers started */
byte g_done[MAXCALL];               /* workers returned */
byte g_left[MAXCALL];               /* participants past its completion barrier */
byte g_ran[MAXCALL];                /* bit mask: whose worker ran */
bit g_declared[2 * MAXCALL];        /* episode declared timed out */
byte finished;                      /* CPUs done with their own calls */

inline popcount(v, out) {
    out = ((v >> 0) & 1) + ((v >> 1) & 1) + ((v >> 2) & 1) + ((v >> 3) & 1)
}

/* decide: release or abort episode e unless it was decided; res says which. */
inline decide(e, abort) {
    atomic {
        if
        :: outcome_ep < e ->
            outcome_ep = e;
            outcome_aborted = abort;
            if
            :: abort -> g_declared[e] = 1
            :: else
            fi;
            res = (abort -> TIMED_OUT : RELEASED)
        :: else ->
            res = (outcome_ep == e && outcome_aborted -> ABORTED : RELEASED)
        fi
    }
}

inline give_up(e) {
#ifdef BUG_NO_ABORT
    /* The old code: the CPU that timed out reports; the others wait on. */
    atomic { g_declared[e] = 1; res = TIMED_OUT }
#else
    decide(e, 1)
#endif
}

/* A deadline may pass while a CPU waits (once per run, with TIMEOUTS). */
#ifdef TIMEOUTS
#define DEADLINE (!timeout_used)
#else
#define DEADLINE false
#endif

inline central(e, cnt) {
    atomic {
        arrivals++;
        last = (arrivals == cnt);
        if
        :: last -> arrivals = 0
        :: else
        fi
    }
    if
    :: last -> decide(e, 0)
    :: else ->
        if
        :: outcome_ep >= e ->
            res = (outcome_ep == e && outcome_aborted -> ABORTED : RELEASED)
        :: DEADLINE -> timeout_used = 1; give_up(e)
        :: stopping -> goto stopped
        fi
    fi
}

inline dissemination(e, rank, cnt) {
    round = 0;
    dist = 1;
    watch = 1;
    res = RELEASED;
    do
    :: dist < cnt && res == RELEASED ->
        partner = (rank + dist) % cnt;
        atomic {
            if
            :: flag[partner * ROUNDS + round] < e -> flag[partner * ROUNDS + round] = e
            :: else
            fi
        }
        do
        :: flag[rank * ROUNDS + round] >= e -> break
        :: watch && outcome_ep >= e ->
            res = (outcome_ep == e && outcome_aborted -> ABORTED : RELEASED);
            watch = 0;
            if
            :: res != RELEASED -> break
            :: else
            fi
        :: stopping -> goto stopped
        :: watch && DEADLINE ->
            timeout_used = 1;
            give_up(e);
            watch = 0;
            if
            :: res != RELEASED -> break
            :: else
            fi
        od;
        round++;
        dist = dist * 2
    :: else -> break
    od;
    if
    :: res == RELEASED -> decide(e, 0)
    :: else
    fi
}

inline barrier(e, rank, cnt) {
    if
    :: cnt <= 1 -> res = RELEASED
    :: else ->
#ifdef DISSEMINATION
        dissemination(e, rank, cnt)
#else
        central(e, cnt)
#endif
    fi
}

/* wait_phase: a CPU that did not get RELEASED stops (reports, or waits
 * for the stop); the reporter stops everyone once its report is out. */
inline wait_phase(e, rank, cnt) {
    barrier(e, rank, cnt);
    if
    :: res == TIMED_OUT -> stopping = 1; goto stopped
    :: res == ABORTED -> goto stopped
    :: else
    fi
}

inline take_part(k, m) {
    atomic {
        popcount(m & ((1 << me) - 1), rank);
        popcount(m, cnt);
        served = k;
        g_arrived[k]++
    }
    wait_phase(2 * k, rank, cnt);
    /* The worker. Every participant arrived before any worker starts;
     * nobody has left; and no worker starts once the call was declared
     * timed out. */
    atomic {
        assert(g_arrived[k] == cnt);
        assert(g_left[k] == 0);
        assert(!g_declared[2 * k]);
        assert((g_ran[k] & (1 << me)) == 0);
        assert(irql == IPI_LEVEL && !intr);
        g_ran[k] = g_ran[k] | (1 << me);
        g_started[k]++;
        g_done[k]++
    }
    wait_phase(2 * k + 1, rank, cnt);
    /* Every worker returned before anyone leaves, and nobody leaves a
     * call whose completion was declared timed out. */
    atomic {
        assert(g_done[k] == cnt);
        assert(!g_declared[2 * k + 1]);
        g_left[k]++
    }
}

/* serve_pending_call: snapshot_new_call, then take part if a member. */
inline serve() {
    do
    :: (seq / 2 <= seen || seq % 2 == 0) ->
        s1 = seq;
        if
        :: s1 / 2 <= seen -> got = 0; break
        :: s1 % 2 == 1                          /* being written: look again */
        :: else ->
            m = pub_members;
            if
            :: seq == s1 -> got = 1; k = s1 / 2; break
            :: else
            fi
        fi
    od;
    if
    :: got ->
        seen = k;
        if
        :: (m & (1 << me)) != 0 && served < k -> take_part(k, m)
        :: else
        fi
    :: else
    fi
}

/* The IPI handler, as the CPU takes it. */
inline take_ipi() {
    atomic { ipi_pending[me] = 0; saved_intr = intr; saved_irql = irql;
             intr = 0; irql = IPI_LEVEL }
    serve();
    atomic { irql = saved_irql; intr = saved_intr }
}

#define PASSIVE 0

inline disable_and_raise(d) {
    atomic { saved_if[d] = intr; intr = 0; old_irql[d] = irql; irql = IPI_LEVEL }
}

inline take_ticket(d) {
    atomic { ticket[d] = next_ticket; next_ticket++ }
}

/* acquire_call_lock after the ticket: wait for the turn, taking part in
 * the calls ahead meanwhile (this CPU may be one of their participants). */
inline lock_wait(d) {
    do
    :: serving == ticket[d] -> break
    :: seq / 2 > seen -> serve()
    :: stopping -> goto stopped
    od
}

/* The rest of ipi_call_checked, with the lock held at IPI_LEVEL. */
inline publish_and_take_part(d) {
    /* Participants under the lock: everyone, or (SUBSETS) this CPU and the next. */
    if
    :: members[d] = (1 << N) - 1
#ifdef SUBSETS
    :: members[d] = (1 << me) | (1 << ((me + 1) % N))
#endif
    fi;
    atomic { s1 = seq; seq = s1 + 1 }
#ifdef BUG_PUBLISH_EARLY
    seq = s1 + 2;
    pub_members = members[d];
#else
    pub_members = members[d];
    seq = s1 + 2;
#endif
    atomic {
        k = s1 / 2 + 1;
        popcount(members[d], cnt);
        g_count[k] = cnt;
        seen = k
    }
    atomic {                                /* send_ipis: every other member */
        j = 0;
        do
        :: j < N ->
            if
            :: j != me && (members[d] & (1 << j)) != 0 -> ipi_pending[j] = 1
            :: else
            fi;
            j++
        :: else -> break
        od
    }
    take_part(k, members[d]);
    serving++;                              /* release_call_lock */
    atomic { irql = old_irql[d]; intr = saved_if[d] }
}

/* A call from the timer handler: interrupts are off there already. */
inline call_inner() {
    disable_and_raise(1);
    take_ticket(1);
    lock_wait(1);
    publish_and_take_part(1)
}

/* An interrupt may come here if interrupts are on and the level allows:
 * the IPI, or (CPU 0, once) a timer tick whose handler calls. */
inline interrupt_point() {
    if
    :: intr && irql < IPI_LEVEL && ipi_pending[me] -> take_ipi()
    :: me == 0 && TIMER && !timer_used && intr && irql < CLOCK_LEVEL ->
        timer_used = 1;
        atomic { tick_intr = intr; tick_irql = irql; intr = 0; irql = CLOCK_LEVEL }
        call_inner();
        atomic { irql = tick_irql; intr = tick_intr }
    :: else
    fi
}

/* ipi_call_checked from ordinary code. */
inline call_outer() {
#ifdef BUG_LOCK_WITH_INTERRUPTS_ON
    /* The ticket first, interrupts still on: the polling raises for itself. */
    take_ticket(0);
    do
    :: serving == ticket[0] -> break
    :: seq / 2 > seen ->
        atomic { si = intr; sl = irql; intr = 0; irql = IPI_LEVEL }
        serve();
        atomic { irql = sl; intr = si }
    :: intr && (ipi_pending[me] || (me == 0 && TIMER && !timer_used)) -> interrupt_point()
    :: stopping -> goto stopped
    od;
    disable_and_raise(0);
#else
    disable_and_raise(0);
    take_ticket(0);
    lock_wait(0);
#endif
    publish_and_take_part(0)
}

proctype cpu(byte me)
{
    byte ticket[2], old_irql[2], members[2];
    bit saved_if[2];
    byte s1, m, k, rank, cnt, res, round, dist, partner, j, calls, saved_irql, tick_irql, sl;
    bit got, last, watch, saved_intr, tick_intr, si;
    /* What only this CPU reads or writes: its interrupt flag and level
     * (RFLAGS.IF, CR8) and its struct cpu_ipi fields. */
    byte seen, served, irql;
    bit intr;

    /* Odd CPUs call with interrupts off: they can take part in the calls
     * ahead of theirs only by polling. */
    intr = (me % 2 == 0);
    irql = PASSIVE;
    calls = CALLS;
    do
    :: calls > 0 ->
        interrupt_point();
        call_outer();
        interrupt_point();
        calls--
    :: else -> break
    od;
    /* Idle: interrupts on, serving the others' calls until all are done
     * (CPU 0 takes its timer tick by then). */
    intr = 1;
    do
    :: me == 0 && TIMER && !timer_used -> interrupt_point()
    :: else -> break
    od;
    finished++;
    do
    :: finished == N && !ipi_pending[me] -> break
    :: ipi_pending[me] -> take_ipi()
    :: stopping -> goto stopped
    od;
    goto done;
stopped:
end_stopped:
    skip;
done:
    skip
}

init {
    byte i, k;
    atomic {
        i = 0;
        do
        :: i < N -> run cpu(i); i++
        :: else -> break
        od
    }
    /* Every call made ran its worker exactly once on each participant. */
    (finished == N && _nr_pr == 1) || stopping;
    if
    :: !stopping ->
        k = 1;
        do
        :: k <= seq / 2 ->
            assert(g_started[k] == g_count[k] && g_left[k] == g_count[k]);
            k++
        :: else -> break
        od
    :: else
    fi
}
