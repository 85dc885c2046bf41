/*
 * rendezvous.pml - the protocol of kernel/smp/ipi.c and kernel/smp/barrier.c in
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
 *   TIMER_CPU=c        the CPU that takes the timer interrupt (default 0)
 *   CALLERS=mask       only these CPUs make calls; the others only take part
 *   DISSEMINATION      the dissemination barrier (default: central)
 *   SUBSETS            callers may also call a subset (themselves and the next CPU)
 *   CHANGING_SETS      (N >= 3) callers choose among everyone, everyone but one
 *                      (each choice of the one), and themselves and the next CPU:
 *                      a CPU's rank moves from call to call
 *   ALONE              callers may also call with only themselves as members: the
 *                      call is not published and has no barrier (ipi.c's
 *                      count == 1 path), but still holds the lock; not combined
 *                      with TIMEOUTS, where a timed-out call's worker may still
 *                      run when a call alone starts (the kernel reports that
 *                      call; the model's no-overlap assertion would too)
 *   TIMEOUTS           one barrier deadline may pass, anywhere
 *   SLEEP              spin-then-sleep at the barriers (below)
 *   SLEEPERS=mask      with SLEEP: only these CPUs sleep (a smaller state space)
 *   BUG_LOCK_WITH_INTERRUPTS_ON   an old defect put back: the ticket is taken
 *                      before interrupts are disabled (SPIN must find the deadlock)
 *   BUG_NO_ABORT       another: a timeout does not abort the episode for the
 *                      others (SPIN must find a worker started after the timeout)
 *   BUG_PUBLISH_EARLY  the call number is published before the call's
 *                      contents (a relaxed seqlock publication)
 *   BUG_ALONE_WITHOUT_LOCK  (ALONE) a call alone skips the lock as well: its
 *                      worker may run while another call's workers have not
 *                      all returned (SPIN must find it)
 *   BUG_ANNOUNCE_BY_RANK  (SLEEP) the old design: one announcement slot per
 *                      rank, stored unconditionally, taken by the waker with an
 *                      exchange, compare-and-swapped back by the sleeper; with
 *                      ranks that move, a newer sleeper overwrites an older
 *                      one's slot (SPIN must find the lost wake-up)
 *   BUG_LEAVER_CLEARS  (SLEEP) a CPU leaving sleep_once also clears the next
 *                      participant's announcement (a lost wake-up)
 *   BUG_WAKER_SKIPS_A_RANK  (SLEEP) the wake-every-participant loop leaves out
 *                      the last rank (a lost wake-up)
 *
 * Sleeping (SLEEP). A CPU waiting at a barrier may, at any moment (its spin
 * has gone on long enough), run sleep_once: it announces the episode in its
 * own asleep_in[me] (only it writes that word), counts itself in sleepers,
 * looks once more, and if what it waits for has not happened and the
 * episode is undecided, sleeps until woken[me] (its pending wake, a latched
 * IPI: a wake that came earlier ends the sleep at once; the sleep consumes
 * it); then it clears asleep_in[me], uncounts itself and looks again. Each
 * of these is one step. A waker, after changing what waiters wait for
 * (central: the last arrival's release; dissemination: each signal wakes
 * that partner, and the decider of the release wakes everyone; an abort
 * wakes everyone), reads sleepers once (0: no scan) and then, a step per
 * rank, finds the CPU of that rank in its own copy of the call's members
 * and sets woken[id] if asleep_in[id] is this episode. A stale or second
 * wake only makes a later sleep return at once. With TIMEOUTS the deadline
 * may also end a sleep (the timer bound of the sleep); otherwise only a
 * wake does, so a CPU never woken is stuck for good.
 *
 * A lost wake-up is caught by a ghost check that init evaluates in every
 * state while the CPUs run: some CPU sleeps (blocked) in episode e, what it
 * waits for has happened (central: e decided; dissemination: its flag came,
 * or e was aborted), its woken bit is clear, and no waker still has a wake
 * step to do for it (g_owe: each waker takes on its steps in the step that
 * decides or signals, and pays one off per step). SPIN then reports
 * "assertion violated !(lost_wakeup)". A CPU stuck asleep for another
 * reason would still show as a deadlock (invalid end state).
 *
 * docs/book/08-rendezvous.md maps each inline below to the C function it
 * stands for.
 */

#ifndef N
#define N 3
#endif
#ifndef CALLS
#define CALLS 1
#endif
#ifndef TIMER_CPU
#define TIMER_CPU 0
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
#ifdef SLEEP
/* Spin-then-sleep. asleep_in[c]: the episode CPU c is about to sleep in
 * (0: none), written only by c; sleepers: how many are announced (the
 * wakers' fast path); woken[c]: c's pending wake (a latched IPI_WAKE). */
#ifdef BUG_ANNOUNCE_BY_RANK
byte sleeping[N];                   /* the old design: per rank, CPU + 1 */
#else
byte asleep_in[N];
#endif
byte sleepers;
bit woken[N];
#endif

/* ---- ghost state: what the properties are checked against ---- */
byte g_count[MAXCALL];              /* participants of call k */
byte g_arrived[MAXCALL];            /* participants that reached its arrival barrier */
byte g_started[MAXCALL];            /* workers started */
byte g_done[MAXCALL];               /* workers returned */
byte g_left[MAXCALL];               /* participants past its completion barrier */
byte g_ran[MAXCALL];                /* bit mask: whose worker ran */
bit g_declared[2 * MAXCALL];        /* episode declared timed out */
byte finished;                      /* CPUs done with their own calls */
byte g_alone;                       /* calls made alone (ALONE), all run */
byte g_alone_in;                    /* workers of calls alone in progress */
#ifdef SLEEP
byte g_asleep[4];                   /* the episode CPU c sleeps in (blocked), 0: awake */
byte g_watch[4];                    /* dissemination: the flag it sleeps on, + 1 */
byte g_owe[4];                      /* wake steps for c that wakers still have to do */
bit lost_wakeup;                    /* set (and asserted against) by init's watch */
#endif

/* (v) parenthesized: v is pasted in as text, and >> binds tighter than &. */
inline popcount(v, out) {
    out = (((v) >> 0) & 1) + (((v) >> 1) & 1) + (((v) >> 2) & 1) + (((v) >> 3) & 1)
}

/* A deadline may pass while a CPU waits (once per run, with TIMEOUTS). */
#ifdef TIMEOUTS
#define DEADLINE (!timeout_used)
#else
#define DEADLINE false
#endif

#ifdef SLEEP
/* ---- sleeping and waking ---- */

/* id: the CPU of rank rr in this call's members (cm: the CPU's own copy). */
inline member_at(rr, id) {
    id = 0;
    t = rr;
    do
    :: (cm & (1 << id)) == 0 -> id++
    :: (cm & (1 << id)) != 0 && t > 0 -> t--; id++
    :: (cm & (1 << id)) != 0 && t == 0 -> break
    od;
    t = 0
}

#ifdef SLEEPERS
#define MAY_SLEEP ((SLEEPERS & (1 << me)) != 0)   /* only these CPUs sleep */
#else
#define MAY_SLEEP true
#endif

#ifdef BUG_WAKER_SKIPS_A_RANK
#define WAKE_END (cnt - 1)          /* the defect: the last rank is never woken */
#else
#define WAKE_END cnt
#endif

/* Ghost: in the step that decides the episode, the decider takes on one
 * wake step for each other CPU its wake loop will visit. */
#define DECIDED_BY_ME \
    mine = 1; \
    r = 0; \
    do \
    :: r < WAKE_END -> \
        member_at(r, id); \
        if \
        :: id != me -> g_owe[id]++ \
        :: else \
        fi; \
        r++ \
    :: else -> break \
    od; \
    r = 0; \
    id = 0

/* One wake step, for rank r (then r++). */
#ifdef BUG_ANNOUNCE_BY_RANK
/* The old design: take the rank's slot, wake whoever announced there. */
inline wake_rank(e) {
    tok = sleeping[r];
    sleeping[r] = 0;
    if
    :: tok != 0 -> woken[tok - 1] = 1
    :: else
    fi;
    tok = 0;
    member_at(r, id);
    if
    :: id != me -> g_owe[id]--
    :: else
    fi;
    r++
}
#else
/* The CPU of rank r, from the call's own member list, if it announced
 * this episode. The waker's own rank is no step of its own. */
inline wake_rank(e) {
    member_at(r, id);
    r++;
    if
    :: id == me && r < wend -> member_at(r, id); r++
    :: else
    fi;
    if
    :: id != me ->
        if
        :: asleep_in[id] == e -> woken[id] = 1
        :: else
        fi;
        g_owe[id]--
    :: else
    fi
}
#endif

/* Wake ranks [r, wend) of episode e: one look at sleepers (0: no scan),
 * then a step per rank. */
inline wake_ranks(e) {
    atomic {
        if
        :: sleepers == 0 ->
            do
            :: r < wend ->
                member_at(r, id);
                if
                :: id != me -> g_owe[id]--
                :: else
                fi;
                r++
            :: else -> break
            od
        :: else
        fi
    }
    do
    :: atomic { r < wend -> wake_rank(e) }
    :: else -> break
    od;
    r = 0;
    wend = 0;
    id = 0
}

/* After deciding e (mine): wake every participant. */
inline wake_all_if_mine(e) {
    if
    :: mine ->
        mine = 0;
        r = 0;
        wend = WAKE_END;
        wake_ranks(e)
    :: else
    fi
}

/* sleep_once: announce, count, look once more, sleep until woken (or, with
 * TIMEOUTS, until the deadline: the timer bound), unannounce, uncount.
 * done: what the CPU waits for has happened; w: ghost, the dissemination
 * flag index + 1 (0: central). */
inline sleep_once(e, seen, done, w) {
#ifdef BUG_ANNOUNCE_BY_RANK
    atomic { MAY_SLEEP && !(seen) -> sleeping[rank] = me + 1 }
#else
    atomic { MAY_SLEEP && !(seen) -> asleep_in[me] = e }
#endif
    sleepers++;
    if
    :: atomic { !(done) && outcome_ep < e -> g_asleep[me] = e; g_watch[me] = w }
        if
        :: atomic { woken[me] -> woken[me] = 0; g_asleep[me] = 0; g_watch[me] = 0 }
        :: atomic { DEADLINE -> g_asleep[me] = 0; g_watch[me] = 0 }
        :: stopping -> goto stopped
        fi
    :: else
    fi;
#ifdef BUG_ANNOUNCE_BY_RANK
    atomic {
        if
        :: sleeping[rank] == me + 1 -> sleeping[rank] = 0
        :: else
        fi
    }
#else
    asleep_in[me] = 0;
#ifdef BUG_LEAVER_CLEARS
    /* The defect: it also clears the next participant's announcement. */
    atomic { member_at((rank + 1) % cnt, id); asleep_in[id] = 0; id = 0 }
#endif
#endif
    sleepers--
}

/* The ghost check. CPU c sleeps in episode g_asleep[c], what it waits for
 * has happened, no wake is pending for it and no waker still has a wake
 * step to do for it: nothing will ever wake it. (Dissemination: a released
 * episode whose flag has not come yet is not that: the partner that sets
 * the flag still has to wake it.) */
#ifdef DISSEMINATION
#define WAITED_FOR(c) (flag[g_watch[c] - 1] >= g_asleep[c] || outcome_ep > g_asleep[c] || \
                       (outcome_ep == g_asleep[c] && outcome_aborted))
#else
#define WAITED_FOR(c) (outcome_ep >= g_asleep[c])
#endif
#define LOST(c) ((c) < N && g_asleep[c] != 0 && !woken[c] && g_owe[c] == 0 && WAITED_FOR(c))
#define LOST_WAKEUP (LOST(0) || LOST(1) || LOST(2) || LOST(3))
#else
#define DECIDED_BY_ME skip
#endif

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
            res = (abort -> TIMED_OUT : RELEASED);
            DECIDED_BY_ME
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
    decide(e, 1);
#ifdef SLEEP
    wake_all_if_mine(e)             /* they must see the abort */
#endif
#endif
}

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
    :: last ->
        decide(e, 0);
#ifdef SLEEP
        wake_all_if_mine(e)
#endif
    :: else ->
        do
        :: outcome_ep >= e ->
            res = (outcome_ep == e && outcome_aborted -> ABORTED : RELEASED);
            break
        :: DEADLINE -> timeout_used = 1; give_up(e); break
        :: stopping -> goto stopped
#ifdef SLEEP
        :: sleep_once(e, outcome_ep >= e, outcome_ep >= e, 0)
#endif
        od
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
            fi;
#ifdef SLEEP
            member_at(partner, id);         /* ghost: a wake step owed to the partner */
            g_owe[id]++;
            id = 0
#endif
        }
#ifdef SLEEP
        r = partner;                        /* wake_one */
        wend = partner + 1;
        wake_ranks(e);
#endif
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
#ifdef SLEEP
        /* also after it saw the release (watch 0): it then finds the
         * outcome decided and does not sleep */
        :: sleep_once(e, flag[rank * ROUNDS + round] >= e, flag[rank * ROUNDS + round] >= e,
                      rank * ROUNDS + round + 1)
#endif
        od;
        round++;
        dist = dist * 2
    :: else -> break
    od;
    if
    :: res == RELEASED ->
        decide(e, 0);
#ifdef SLEEP
        wake_all_if_mine(e)             /* those still watching for the decision */
#endif
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
#ifdef SLEEP
        cm = m;                             /* the call's members, its own copy */
#endif
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
        assert(g_alone_in == 0);
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
#ifdef SLEEP
        cm = 0;
#endif
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

/* A call whose only member is its caller: the worker at IPI_LEVEL with
 * interrupts off, nothing published, no barrier. Its worker is two steps
 * (start, end) so that another call's workers could run in between; what
 * the lock buys it is that none does: when it starts, no published call
 * has some of its workers run and others still to run, and no worker of a
 * published call runs while it is in progress (take_part asserts that). */
inline run_alone() {
    atomic {
        assert(irql == IPI_LEVEL && !intr);
        j = 1;
        do
        :: j <= seq / 2 -> assert(g_started[j] == 0 || g_started[j] == g_count[j]); j++
        :: else -> break
        od;
        g_alone_in++
    }
    atomic { g_alone_in--; g_alone++ }
}

/* Publishing a call of two or more CPUs, and taking part in it. */
inline publish_call_and_take_part(d) {
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
    take_part(k, members[d])
}

/* The rest of ipi_call_checked, with the lock held at IPI_LEVEL. */
inline publish_and_take_part(d) {
    /* Participants under the lock: everyone, or (SUBSETS) this CPU and the
     * next, or (CHANGING_SETS, N >= 3) everyone but one, or this CPU and
     * the next: ranks move from call to call. */
    if
    :: members[d] = (1 << N) - 1
#if defined(SUBSETS) || defined(CHANGING_SETS)
    :: members[d] = (1 << me) | (1 << ((me + 1) % N))
#endif
#ifdef CHANGING_SETS
    :: members[d] = ((1 << N) - 1) & ~(1 << ((me + 1) % N))
    :: N > 3 -> members[d] = ((1 << N) - 1) & ~(1 << ((me + 2) % N))
    :: N > 3 -> members[d] = ((1 << N) - 1) & ~(1 << ((me + 3) % N))
#endif
#ifdef ALONE
    :: members[d] = (1 << me)
#endif
    fi;
    if
    :: members[d] == (1 << me) -> run_alone()
    :: else -> publish_call_and_take_part(d)
    fi;
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
    :: me == TIMER_CPU && TIMER && !timer_used && intr && irql < CLOCK_LEVEL ->
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
    :: intr && (ipi_pending[me] || (me == TIMER_CPU && TIMER && !timer_used)) -> interrupt_point()
    :: stopping -> goto stopped
    od;
    disable_and_raise(0);
#else
#ifdef BUG_ALONE_WITHOUT_LOCK
    /* The defect: a call alone goes straight to its worker, no ticket. */
    if
    :: true -> disable_and_raise(0); run_alone();
       atomic { irql = old_irql[0]; intr = saved_if[0] }; goto called
    :: true
    fi;
#endif
    disable_and_raise(0);
    take_ticket(0);
    lock_wait(0);
#endif
    publish_and_take_part(0);
called:
    skip
}

proctype cpu(byte me)
{
    byte ticket[2], old_irql[2], members[2];
    bit saved_if[2];
    byte s1, m, k, rank, cnt, res, round, dist, partner, j, calls, saved_irql, tick_irql, sl;
    bit got, last, watch, saved_intr, tick_intr, si;
#ifdef SLEEP
    byte cm, id, r, wend, t, tok;
    bit mine;
#endif
    /* What only this CPU reads or writes: its interrupt flag and level
     * (RFLAGS.IF, CR8) and its struct cpu_ipi fields. */
    byte seen, served, irql;
    bit intr;

    /* Odd CPUs call with interrupts off: they can take part in the calls
     * ahead of theirs only by polling. */
    intr = (me % 2 == 0);
    irql = PASSIVE;
#ifdef CALLERS
    calls = ((CALLERS & (1 << me)) != 0 -> CALLS : 0);
#else
    calls = CALLS;
#endif
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
    :: me == TIMER_CPU && TIMER && !timer_used -> interrupt_point()
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
#ifdef SLEEP
    /* Meanwhile, a lost wake-up is an assertion violated: !(lost_wakeup). */
    do
    :: atomic { LOST_WAKEUP -> lost_wakeup = 1 }; assert(!lost_wakeup)
    :: (finished == N && _nr_pr == 1) || stopping -> break
    od;
#else
    (finished == N && _nr_pr == 1) || stopping;
#endif
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
