/* The bounded FIFO queue: a lock-free ring (after Dmitry Vyukov's bounded
 * MPMC queue), with parking only when it is empty or full.
 *
 * Slots: cap slots of [seq | item]. Position p (a 64-bit counter) lives in
 * slot p % cap. A slot's seq says whose turn it is:
 *     seq == p          free for the put of position p
 *     seq == p + 1      holds the item of position p, for its get
 *     seq == p + cap    freed by that get: free for the put of p + cap
 * put: load enq = p; if slot seq == p, CAS enq p -> p+1 (the claim), copy
 *      the item in, store seq = p+1 (the publish). seq < p: full.
 * get: load deq = p; if slot seq == p+1, CAS deq p -> p+1, copy the item
 *      out, store seq = p+cap (the free). seq < p+1: empty.
 * One CAS per operation; no lock on the data path. Bit 63 of enq is the
 * shutdown bit: once set every claim CAS fails, so a put either claimed
 * before the shutdown (its item counts, and immediate shutdown waits for
 * its publish to discard it) or fails with CT_ESHUTDOWN.
 *
 * Parking (wait.c): a getter that finds the ring empty polls a little (or,
 * while puts stream in, waits once for a run of items to collect:
 * get_should_wait_run), may yield once, then links a node on q->getters and
 * increments n_getwait, and only then takes a last look before sleeping. A
 * put claims its position (the enq CAS), publishes its slot, then reads
 * n_getwait and wakes the first getter only if it is not 0 (and no woken
 * getter is still on its way, and no getter is polling: see below). The
 * handshake is on the claim, not on the publish: the claim CAS and the
 * n_getwait increment are seq_cst RMWs, each followed by a seq_cst load of
 * the other side's word (n_getwait; enq and deq), so either the putter sees
 * the waiter or the waiter's last look sees the claim (enq > deq). In that
 * case it does not sleep: it waits for the publish (a few instructions,
 * unless the putter was preempted: then it yields) and takes the item, or
 * sees another getter take it. No lost wake-up, and no wake call when nobody
 * waits. A put also makes no wake call while a getter polls (n_getspin,
 * after_put in ring.h): that getter, as it stops polling, decrements n_getspin
 * (seq_cst) and then looks for claimed items it did not take, waking a
 * parked getter for them, the same handshake with the poller in the waiter's
 * place. Putters waiting for a free slot mirror this on
 * q->putters/n_putwait, with the deq CAS as the getter's side and enq - deq
 * < cap as the look. So the slot's seq is only release/acquire: on x86 the
 * publish is a plain store instead of an xchg, which took the 1/1..8/8
 * benchmark from 15-18 to 10-13 ns per item (bench_queue --quick, 2 vCPUs, 5
 * interleaved runs each, quiet runs only; both swing 2-3x when the VM is
 * busy).
 *
 * Owners. A locked instruction costs ~5 ns on the EPYC here, as much as
 * the rest of a put or get. So a side (putters, getters) is owned by one
 * thread at a time (put_owner/get_owner: its thread pointer), which claims
 * with a plain store of enq (deq) instead of the CAS. Each claim runs in
 * a restartable section (core/rseq.h) that checks the owner word first:
 * the owner's ends in the plain store, a shared one in the CAS (except on
 * a SHARED side, below, where no owner can come back). A thread
 * that takes the side (settle) moves the word to REVOKING, runs the rseq
 * fence (membarrier: every section in flight has then either committed,
 * visibly, or will restart and read the new word; ~1-2 us), and stores
 * itself; the side's other threads wait meanwhile. The first thread takes
 * a new side; another thread takes it over when the ownership lasted
 * OWN_EARLY positions or more (the owner was descheduled, or is done);
 * one that ended sooner was contended, and the side goes MULTI: every
 * claim a CAS (in the section). While MULTI, the claimer of every
 * position that is a multiple of 2^TRY (put_try/get_try) takes the side
 * again; TRY grows with each early end and returns to TRY_MIN when an
 * ownership lasts. So two threads that put at the same time pay a CAS
 * each, and a side whose threads take turns (more threads than CPUs: a
 * run of thousands of items each) pays a fence per turn. Measured (test
 * program, 2 vCPUs, 1,024 slots, 20 million items): 190-510 changes of
 * hands per run, 2/2 / 4/4 / 8/8 6.8-8.0 -> 3.9-6.5 ns per item; the
 * earlier design, where the first other thread ended the ownership for
 * good, left 2/2-8/8 on the CAS, and a busy flag a stale owner could
 * overwrite once the side could change hands. Shutdown makes both sides
 * SHARED (plain CASes, for good) before it sets its bit in enq (an owner's
 * plain store could erase it), and so does a thread whose rseq area is
 * not registered (its sections would never be aborted); a process
 * without rseq (not x86-64, no glibc registration, a kernel without
 * membarrier's rseq commands) starts both sides SHARED. The waiter
 * handshakes below rely on the claim being a seq_cst RMW followed by a
 * load of the waiter's counter; the owner's plain claim has no such
 * order, so while a side has an owner the waiters of the other side run
 * the asymmetric fence between their own store and their look
 * (side_fence): registering before the last look, a poller that stops
 * while getters are parked, a woken waiter about to pass its turn on
 * while others wait. A waiter that sees MULTI skips it: an owner that
 * takes the side afterwards does so with a locked CAS of the owner word,
 * after the waiter's store, and its claims come later still.
 *
 * A wake-up can be spent without effect: the woken getter may find the
 * item taken by a thread that never waited, or may find the slot at deq
 * claimed but not yet published while later slots are full. So a woken
 * thread that succeeds passes the turn on (wakes the next waiter) while
 * the ring still has items (getters) or room (putters), and a waiter
 * that leaves after being chosen passes its wake-up on; the thread that
 * publishes the blocking slot always looks for waiters itself (or, for
 * getters, leaves that to a polling getter, which looks as it stops).
 */
#include "ring.h"

#include <sched.h>
#include <time.h>

/* Tries before a waiter links itself, each after RELAX pauses (~1-2 us in
 * all on the 2-core EPYC here, where a pause costs 35-65 ns): long enough to
 * catch a hand-off from a running peer without a sleep (~15 us), short
 * enough not to steal the core from the thread that would make room when the
 * machine is oversubscribed. A getter then yields once, only while that pays
 * off on this queue (get_should_yield) and no other getter is polling. A
 * putter facing a full ring then tries PUT_YIELDS times after sched_yield,
 * but only on a queue that more than one thread puts into (several_putters)
 * or whose getter last ran on the putter's CPU (peer_here: yields only).
 * BACKOFF_MAX (ring.h) caps the pauses after a lost CAS. Measured (1,024
 * slots, P/P = 1/1..8/8, 2 cores): 4x more spinning made runs 1.5-2x
 * slower. */
enum { TRY_SPIN = 8, RELAX = 4, PUT_YIELDS = 2 };
/* A putter that has only ever seen itself put into the queue spins longer
 * before it parks, and never yields: LONE_SPIN tries (~10-15 us). Its
 * consumer frees a slot every few ns while it runs, so a short spin fails
 * only when the consumer is off its CPU for a moment (an interrupt, the
 * host). Parking then lets the consumer's wake-up place the putter, and
 * on this VM that placement often put it on the consumer's own vCPU with
 * the other one idle, where the two stayed, taking turns, for most of a
 * run: 1/1 at 20-47 ns per item instead of 6-8, with thousands of parks
 * and as many preemptions of the consumer (bench_queue's 1/1 row: 5 of 8
 * full runs had that median). A test program that calls the queue as
 * bench_queue does (1/1, 160 reps each, interleaved): reps over 12 ns
 * 17 -> 2, over 20 ns 11 -> 0, median 6.6 -> 6.5 ns. In builds of
 * bench_queue itself the difference was within the noise (1/1 median over
 * 12 ns in 10 of 19 runs with it, 11 of 19 without), and the trap still
 * comes in many runs. Much longer was worse (256 tries: 10 reps over 12
 * ns in 80): once the two share a vCPU, the spin only delays the
 * consumer. */
enum { LONE_SPIN = 64 };
/* A getter that finds the ring empty while puts stream in waits once for
 * RUN_WAIT pauses (the same spin budget as TRY_SPIN polls) for a run of
 * items to collect, instead of polling; see get_should_wait_run. A run
 * of RUN_MIN items or more behind the one it takes counts as streaming.
 * RUN_PROBE: how often a getter that has unlearned it tries once more. */
enum { RUN_WAIT = TRY_SPIN * RELAX, RUN_MIN = 16, RUN_PROBE = 256 };
enum { SCORE_MAX = 16, YIELD_PROBE = 256, YIELD_SLOW_NS = 50000 };
/* A registered waiter that saw a claim waits for its publish with yields,
 * then with 50 us sleeps (a claimer preempted by a higher priority). */
enum { LOOK_YIELDS = 64 };

/* Prefetching for a put. A slot's line was last written by the get that
 * freed it, on another core; the put that next fills it must fetch it
 * back, and its claim CAS (a locked instruction, which waits for the
 * earlier loads and stores to complete) then waits for that transfer. So
 * a put asks for the slot PF_BYTES further on in writable state
 * (PREFETCHW): once per line for slots of up to 64 bytes, on every put
 * (and only the slot's first line) for larger ones, one slot ahead for
 * slots over PF_BYTES. The transfer then overlaps the puts in between.
 * Measured with a 1/1..8/8 throughput loop through 1,024 slots of
 * 16 bytes on the 2 vCPUs here, binaries with and without it alternated
 * (65 rounds): while the vCPUs sit far apart (a cross-core transfer
 * 2-3x dearer), 19-27 -> 12-20 ns per item; while they sit close,
 * 8.8-13 -> 11-15 ns (a line fetched early can be fetched twice). Kept:
 * the bad case gains more than the good one loses, and the spread
 * narrows. Of the distances tried (64 bytes to 1 KB, prefetching on
 * every put), 192-256 bytes did best; 512 and more gained nothing. Off
 * for rings shorter than 4x the distance, and while the ring runs full
 * (full_seen: set by a putter that found it full, cleared by a getter
 * that found it empty; both on their slow paths, so the line stays
 * read-mostly): there the line ahead holds the items the getters read
 * next, and taking it from them made a ring kept full by a slow consumer
 * 15-50% slower (1/1 and 2/2, bench_queue's "slow consumer" case); with
 * the flag it is level with no prefetch, and the figures above held (25
 * more rounds).
 *
 * Prefetching for a get, the mirror: while the ring runs full, the line
 * PF_BYTES ahead of a get holds items the putters wrote a ring earlier
 * and are done with; the get will read it and then write its seqs
 * (free_slot), so it asks for it in writable state, by the same rule
 * (ring.h's prefetch_ahead). Otherwise each line came shared from the
 * putter's core and had to be fetched again to be written. Measured
 * with the vCPU-to-vCPU probe of ring.h's claim_get labelling each
 * round, with and without it alternated in one process (a test program
 * calling the queue through a function pointer, as bench_queue does;
 * 1/1 / 2/2 / 4/4 / 8/8, ns per item): vCPUs far apart (round trip
 * 350-440 ns), 14.6 / 17.5 / 19.8 / 21.5 -> 5.6 / 9.3 / 9.3 / 9.5 (6-16
 * rounds each); close, 4.3 / 7.4 / 7.3 / 7.7 -> 3.6 / 7.8 / 7.9 / 7.9
 * (9-19 rounds), and 2/2 alone 7.8 -> 7.5 in a set of 48. With
 * bench_queue's slow consumer: 1/1 6.2 -> 6.7 close, 12.6 -> 10.0 far;
 * 2/2 14.0 -> 12.3 close, 43.8 -> 19.9 far (8-12 rounds). Distances of
 * 64 and 768 bytes did worse while far apart (64: 14.6-16.1 ns at
 * 2/2-8/8, 768: 15.3 at 8/8, against 8.9-10.2 with 192), 384 the same
 * as 192. Not measured: other item sizes; any CPU but this EPYC (so x86
 * only, see core). */
enum { PF_BYTES = 192 };

uint64_t ct__ring_prefetch_ahead(const ct_queue *q) {
    uint64_t ahead = PF_BYTES / q->stride ? PF_BYTES / q->stride : 1;
    return ct__can_prefetch_write() && q->cap >= 4 * ahead ? ahead : 0;
}

int ct__ring_try_put(ct_queue *q, const void *src) {
    return try_put(q, src, q->isz);
}

int ct__ring_try_get(ct_queue *q, void *dst) {
    return try_get(q, dst, q->isz);
}

long ct__ring_size(const ct_queue *q) {
    /* deq first: enq only grows, so the difference is never negative.
     * seq_cst, not acquire: a woken waiter decides whether to pass the
     * turn on from this size right after its seq_cst store of pend_*;
     * an acquire load (LDAPR on Arm) could move before that store and
     * miss the item or room of a put/get that skipped its wake-up
     * because pend_* was set (see wake_if_waiting, ring.h). Plain loads
     * on x86. */
    uint64_t d = atomic_load_explicit(&q->deq, memory_order_seq_cst);
    uint64_t e =
        atomic_load_explicit(&q->enq, memory_order_seq_cst) & ~CT__QSHUT;
    uint64_t n = e > d ? e - d : 0;
    return (long)(n > q->cap ? q->cap : n);
}

/* Positions claimed by puts that the gets have not reached yet. */
static bool pending(const ct_queue *q) {
    uint64_t e =
        atomic_load_explicit(&q->enq, memory_order_seq_cst) & ~CT__QSHUT;
    return atomic_load_explicit(&q->deq, memory_order_seq_cst) < e;
}

/* A get has claimed a slot it has not freed yet, or a slot is free: a
 * put may succeed now or soon. */
static bool room_pending(const ct_queue *q) {
    uint64_t d = atomic_load_explicit(&q->deq, memory_order_seq_cst);
    uint64_t e =
        atomic_load_explicit(&q->enq, memory_order_seq_cst) & ~CT__QSHUT;
    return e - d < q->cap;
}

/* n CPU pauses (~35-65 ns each on the EPYC here): the unit of every
 * spin of this file. */
static inline void pauses(int n) {
    for (int k = 0; k < n; k++)
        ct__relax();
}

/* Waiting for a thread that is not running (one taking a side, between
 * its steps: settle): yields first, then 50 us
 * sleeps, as last_look does, so that a thread of higher priority on the
 * same CPU cannot keep the one it waits for from running. */
static void wait_step(int *i) {
    if ((*i)++ < LOOK_YIELDS) {
        sched_yield();
    } else {
        struct timespec nap = {0, 50000};
        nanosleep(&nap, NULL);
    }
}

/* Owners: see the top comment. OWN_EARLY: an ownership that ends
 * within this many positions of the side's when it began was contended
 * (another thread of the side wanted it back at once): the side goes
 * MULTI instead of changing hands again. TRY_MIN/TRY_MAX: while MULTI, the
 * shared claimer of every position that is a multiple of 2^TRY (the
 * side's put_try/get_try mask, TRY_MIN at first) tries to take the side;
 * TRY grows by one each time an ownership ends early, back to TRY_MIN when
 * one lasts. */
enum { OWN_EARLY = 1024, TRY_MIN = 12, TRY_MAX = 20 };
/* The values in use: tests lower them to make the sides change hands
 * every few positions. */
int ct__ring_try_min = TRY_MIN;
long ct__ring_own_early = OWN_EARLY;
_Atomic long ct__ring_changes;

struct side {
    _Atomic uintptr_t *owner;
    _Atomic uint64_t *pos, *since, *try_;
};

static struct side side_of(ct_queue *q, bool get) {
    if (get)
        return (struct side){&q->get_owner, &q->deq, &q->get_since,
                             &q->get_try};
    return (struct side){&q->put_owner, &q->enq, &q->put_since, &q->put_try};
}

static uint64_t side_pos(const struct side *sd) {
    return atomic_load_explicit(sd->pos, memory_order_relaxed) & ~CT__QSHUT;
}

/* Settle a side that the caller `me` does not own, and say whether it
 * owns it now: take a side that nobody has taken yet; take it from another
 * owner whose ownership lasted (from a MULTI side too, if `want`: the
 * shared claimer of a try position); else make it MULTI (an ownership
 * that ended early) or leave it so. me == 0 (shutdown), or a thread
 * without a registered rseq area (its claims could not be stopped), makes
 * the side SHARED for good. Taking the side from a thread, or from the
 * MULTI claimers, moves the owner word to REVOKING, runs the rseq fence
 * (every claim in flight then has either committed, visibly, or will
 * restart and see the new word), and stores the new value; the other
 * threads of the side wait meanwhile. */
static bool settle(ct_queue *q, bool get, uintptr_t me, bool want) {
    struct side sd = side_of(q, get);
    bool able = me && ct__rseq_self_ok();
    for (int i = 0;;) {
        uintptr_t o = atomic_load_explicit(sd.owner, memory_order_acquire);
        /* (an owner whose rseq area was unregistered since, whose
         * sections now fail, makes the side SHARED below) */
        if (able && o == me)
            return true;
        if (o == CT__QSHARED)
            return false;
        if (o == CT__QREVOKING) { /* changing hands: no claim meanwhile */
            wait_step(&i);
            continue;
        }
        if (o == CT__QMULTI && able && !want)
            return false;
        uint64_t p = side_pos(&sd);
        uintptr_t to;
        if (!able)
            to = CT__QSHARED;
        else if (o == 0 || o == CT__QMULTI)
            to = me;
        else
            to = p - atomic_load_explicit(sd.since, memory_order_relaxed) >=
                         (uint64_t)ct__ring_own_early
                     ? me
                     : CT__QMULTI;
        /* Nobody claims while the word is 0, and a plain CAS of SHARED
         * claimers can run beside a MULTI one: no fence needed. */
        if (o == 0 || (o == CT__QMULTI && to == CT__QSHARED)) {
            if (atomic_compare_exchange_strong_explicit(sd.owner, &o, to,
                                                        memory_order_acq_rel,
                                                        memory_order_acquire)) {
                atomic_store_explicit(sd.since, p, memory_order_relaxed);
                return to == me;
            }
            continue;
        }
        if (!atomic_compare_exchange_strong_explicit(
                sd.owner, &o, CT__QREVOKING, memory_order_acq_rel,
                memory_order_acquire))
            continue;
        ct__rseq_fence();
        atomic_fetch_add_explicit(&ct__ring_changes, 1, memory_order_relaxed);
        /* The side is the caller's alone until the store below. */
        if (o != CT__QMULTI) { /* an ownership ended: early or not */
            uint64_t t = atomic_load_explicit(sd.try_, memory_order_relaxed);
            t = to == CT__QMULTI ? (t << 1 | 1) & ((UINT64_C(1) << TRY_MAX) - 1)
                                 : (UINT64_C(1) << ct__ring_try_min) - 1;
            atomic_store_explicit(sd.try_, t, memory_order_relaxed);
        }
        atomic_store_explicit(sd.since, side_pos(&sd), memory_order_relaxed);
        /* release: the ended owner's claims (fenced above), to the threads
         * that see the new word (side_fence, put_quick) */
        atomic_store_explicit(sd.owner, to, memory_order_release);
        return to == me;
    }
}

void ct__ring_init_sides(ct_queue *q) {
    uintptr_t o =
        ct__heavy_barrier_ready() && ct__rseq_ready() ? 0 : CT__QSHARED;
    for (int get = 0; get < 2; get++) {
        struct side sd = side_of(q, get);
        atomic_init(sd.owner, o);
        atomic_init(sd.try_, (UINT64_C(1) << ct__ring_try_min) - 1);
    }
}

void ct__ring_try_own(ct_queue *q, bool get) {
    settle(q, get, ct__qself(), true);
}

int ct__ring_put_settle(ct_queue *q, const void *src) {
    uintptr_t me = ct__qself();
    for (;;) {
        settle(q, false, me, false);
        int r = put_quick(q, src, q->isz);
        if (r != CT__QAGAIN)
            return r;
    }
}

int ct__ring_get_settle(ct_queue *q, void *dst) {
    uintptr_t me = ct__qself();
    for (;;) {
        settle(q, true, me, false);
        int r = get_quick(q, dst, q->isz);
        if (r != CT__QAGAIN)
            return r;
    }
}

/* Both sides SHARED from now on (shutdown: its bit in enq must not be
 * overwritten by an owner's plain store, and the drain claims with plain
 * CASes as any thread). */
void ct__ring_unbias(ct_queue *q) {
    settle(q, false, 0, false);
    settle(q, true, 0, false);
}

/* A waiter's side of a handshake with the other side's claims (a store
 * of its own, then a look at enq or deq, or at the items): while that side
 * has an owner, whose claim is a plain store followed by its look at the
 * waiter's words with no fence in between, the asymmetric fence stands in
 * for the owner's. Once the side is shared (MULTI, stored after the last
 * owned claim ended), claims are seq_cst CASes again and nothing is
 * needed. */
static void side_fence(_Atomic uintptr_t *owner) {
    uintptr_t o = atomic_load_explicit(owner, memory_order_acquire);
    if (o != CT__QMULTI && o != CT__QSHARED)
        ct__heavy_barrier();
}

/* Where the two sides run. A waiter spins on the hope that a thread of
 * the other side, running on another CPU, makes room (an item) within a
 * moment. If the last thread of the other side seen in a slow path (or
 * waking a waiter) ran on this very CPU, it is not running now, and
 * spinning only delays it: the waiter yields to it at once instead
 * (put_slow, get_slow), and the two take turns a ring at a time. That
 * happens when the threads share one CPU: a process limited to one CPU
 * (taskset, a cpuset), more threads than CPUs, or, on the 2-vCPU VM
 * here, the scheduler leaving producer and consumer on one vCPU for a
 * whole run. Measured with the worker threads pinned to one CPU (1,024
 * slots, 1 million items, 10 reps each): 1/1 620-650 -> 13.8-14.1 ns per
 * item, 2/2 15-16.5 -> 14-16.4, 4/4 16-324 -> 14-17, 8/8 27-230 ->
 * 15-16.6; at 1/1 the lone putter's LONE_SPIN spin (~15 us) ran before
 * nearly every item. Unpinned (36 interleaved rounds of 5 reps, medians):
 * 1/1 6.8 -> 6.8, 2/2 8.9 / 7.6 -> 6.7 / 7.8, 4/4 8.8 / 8.5 -> 8.3 /
 * 8.0, 8/8 8.7 / 8.7 -> 7.6 / 7.7. One put and one get cost ~11.5 ns
 * from one thread (a locked instruction each, ~5 ns here), so ~14 ns is
 * the floor on one CPU. sched_getcpu() is a read of the rseq area on
 * current glibc and Linux (-1 where it fails: never "here"). Relaxed,
 * written only when it changes: a hint, on the slow paths' line. */
static void note_cpu(_Atomic int *w, int cpu) {
    if (atomic_load_explicit(w, memory_order_relaxed) != cpu)
        atomic_store_explicit(w, cpu, memory_order_relaxed);
}

static bool peer_here(_Atomic int *peer, int cpu) {
    return cpu >= 0 && atomic_load_explicit(peer, memory_order_relaxed) == cpu;
}

/* With several putters, the last one seen may share the getter's CPU
 * while another runs elsewhere. So a getter's "here" also needs enq to
 * stand still for 2 x RELAX pauses (~0.3-0.5 us, dozens of puts of a
 * running putter); while it moves, the getter polls as usual. At 2/2 the
 * getters had been yielding to a putter on their CPU while the other
 * putter was filling the ring from the other CPU: both CPUs then ran
 * putters, then both getters, a ring at a time (~500 yields per million
 * items). Medians of interleaved rounds of 5 reps at 2/2 / 4/4 / 8/8,
 * before -> after: 9.7 / 9.5 / 10.1 -> 8.2 / 8.4 / 8.1 ns per item (14
 * rounds), 11.8 / 11.3 / 11.9 -> 11.3 / 10.2 / 11.1 (16 rounds, the VM's
 * slow state), but level in a later set (30 rounds: 8.1 / 8.3 / 8.2 ->
 * 7.8 / 8.4 / 8.4); 1/1 and threads pinned to one CPU level. Not on the
 * putters' side: with the same look there, 2/2-8/8 were level or slower
 * in the same sets (likely: a putter that spins while a getter waits
 * for its CPU takes that CPU from the consumers). Not for a woken
 * getter, whose item is most likely there already: the look came before
 * its first try, and the idle hand-off's p50 went from 2.7 to 2.9 us
 * (test program, 12 sets of 4,000 hand-offs). */
static bool stalled(_Atomic uint64_t *pos) {
    uint64_t p = atomic_load_explicit(pos, memory_order_relaxed);
    pauses(2 * RELAX);
    return atomic_load_explicit(pos, memory_order_relaxed) == p;
}

/* See ring.h. pend_* is set before the waiter can see WOKEN and cleared
 * by it when it resumes (resumed()). */
CT_COLD void ct__ring_wake_one(ct_queue *q, ct__qlist *l, _Atomic uint32_t *n,
                               _Atomic int *mine) {
    note_cpu(mine, sched_getcpu());
    ct__qlock(&q->mu);
    _Atomic uint32_t *a = NULL;
    if (l->head) {
        atomic_store_explicit(pend_of(q, l), 1, memory_order_seq_cst);
        a = ct__qlist_wake_head(l, n);
    }
    ct__qunlock(&q->mu);
    ct__qwake_addr(a);
}

/* Called by a chosen waiter as it resumes. */
static inline void resumed(ct_queue *q, ct__qlist *l) {
    atomic_store_explicit(pend_of(q, l), 0, memory_order_seq_cst);
}

/* Unlink `w` if it is still linked; if a waker already chose it, pass
 * the wake-up on to the next waiter of the same list. */
static void leave(ct_queue *q, ct__qlist *l, _Atomic uint32_t *n,
                  ct__qwaiter *w) {
    ct__qlock(&q->mu);
    bool chosen = !w->linked;
    if (!chosen) {
        ct__qlist_remove(l, w);
        atomic_fetch_sub_explicit(n, 1, memory_order_seq_cst);
    }
    ct__qunlock(&q->mu);
    if (chosen) {
        resumed(q, l);
        if (atomic_load_explicit(n, memory_order_seq_cst))
            ct__ring_wake_one(q, l, n,
                              l == &q->getters ? &q->get_cpu : &q->put_cpu);
    }
}

static inline int full_or_shut(const ct_queue *q) {
    return atomic_load_explicit(&q->shut, memory_order_seq_cst) ? CT_ESHUTDOWN
                                                                : CT_EFULL;
}

/* Spin step i of `spins` + yields: pauses first, then sched_yield, which
 * hands an oversubscribed core to a peer that can make progress. */
static inline void relax(int i, int spins) {
    if (i >= spins) {
        sched_yield();
        return;
    }
    pauses(RELAX);
}

/* A registered waiter's last look before it sleeps. The claim CAS of a put
 * (get) is seq_cst and comes before its look at n_getwait (n_putwait); the
 * waiter's increment of that counter is seq_cst and comes before these
 * seq_cst loads. So either the put sees the waiter and wakes it (or leaves
 * it to a woken getter on its way, or to a polling getter: see after_put,
 * ring.h), or the waiter sees the claim here: then it must not sleep, but
 * take the item (room) once it is published (freed), or find that another
 * thread took it. Spins with a yield in between: the window is a few
 * instructions long unless the claimer was preempted. */
static int last_look(ct_queue *q, bool get, void *buf, const ct_deadline *dl) {
    for (int i = 0;; i++) {
        int r = get ? ct__ring_try_get(q, buf) : ct__ring_try_put(q, buf);
        if (r != (get ? CT_EEMPTY : CT_EFULL))
            return r;
        if (!(get ? pending(q) : room_pending(q)))
            return r; /* nothing claimed: whoever claims next wakes us */
        if (i >= TRY_SPIN && ct_deadline_expired(dl))
            return r; /* the caller's timeout path looks once more */
        if (i < LOOK_YIELDS) {
            relax(i, TRY_SPIN);
        } else { /* the claimer is not running: do not busy-wait on it */
            struct timespec nap = {0, 50000};
            nanosleep(&nap, NULL);
        }
    }
}

/* Should a putter facing a full ring yield before it parks? When
 * threads outnumber cores, yes: the yield runs a consumer waiting for
 * the same core at once, where parking would cost a sleep, a wake-up
 * call, and often a wake-up that preempts that consumer a few items
 * later, again and again (4/4 and 8/8 through 1,024 slots on 2 vCPUs:
 * without yields, 21-36% of runs went 1.5-5x slower that way). With a
 * single producer, no: its yield can only run its own consumer, and
 * while both threads stay runnable on one core the scheduler leaves
 * them there with the other core idle (1/1: with yields, 5 of 12 runs
 * spent most of their time on one core, at 15-18 ns per item against
 * 8.1-8.6; without, none). So putters yield once a second putter has
 * been seen on this queue's slow path. Relaxed: a heuristic. */
static bool several_putters(ct_queue *q) {
    static _Thread_local char tag; /* its address names the thread */
    if (atomic_load_explicit(&q->several_putters, memory_order_relaxed))
        return true;
    uintptr_t me = (uintptr_t)&tag;
    uintptr_t last =
        atomic_load_explicit(&q->last_putter, memory_order_relaxed);
    if (last == me)
        return false;
    if (last == 0) {
        atomic_store_explicit(&q->last_putter, me, memory_order_relaxed);
        return false;
    }
    atomic_store_explicit(&q->several_putters, true, memory_order_relaxed);
    return true;
}

/* A timed-out putter's last try: the put, or CT_EFULL / CT_ESHUTDOWN. */
static int put_last_try(ct_queue *q, const void *src) {
    int r = ct__ring_try_put(q, src);
    return r == CT_EFULL ? full_or_shut(q) : r;
}

static CT_COLD int put_slow(ct_queue *q, const void *src, double timeout) {
    if (!atomic_load_explicit(&q->full_seen, memory_order_relaxed))
        atomic_store_explicit(&q->full_seen, true, memory_order_relaxed);
    ct_deadline dl;
    ct__qdeadline(&dl, timeout); /* validated by the caller */
    ct__qwaiter w = {0};
    bool front = false, woken = false;
    int r;
    for (;;) {
        /* A putter that arrives spins (and maybe yields) even while
         * others are parked, as a getter does (get_slow): one that
         * registered at once whenever others waited took the internal
         * lock twice and wrote n_putwait (which every get reads) only to
         * find room in its last look. At 4/4 and 8/8 that happened
         * 2,000-8,600 times per million items, against 5-60 real parks
         * (counting build); spinning cut it to 5-30, and 4/4 went from
         * 7.9 / 7.6 to 7.0 / 7.4 ns per item, 8/8 from 8.7 / 8.7 to 8.0
         * / 8.2 (two sets of 20 and 30 interleaved rounds). As on the
         * fast path, a putter that arrives may take room before parked
         * ones wake; a woken putter goes straight back to the front of
         * the line while others are parked, so parked putters keep their
         * FIFO order (relaxed: a hint). A lone putter spins LONE_SPIN
         * tries, without yields; several yield PUT_YIELDS times; with the
         * getter on this CPU (peer_here), a putter only yields. */
        int cpu = sched_getcpu();
        note_cpu(&q->put_cpu, cpu);
        bool several = several_putters(q);
        /* the getter is on this CPU: yields only (peer_here) */
        int until = peer_here(&q->get_cpu, cpu) ? 0
                    : several                   ? TRY_SPIN
                                                : LONE_SPIN;
        int spins =
            front && atomic_load_explicit(&q->n_putwait, memory_order_relaxed)
                ? 0
            : until ? until + (several ? PUT_YIELDS : 0)
                    : 1 + PUT_YIELDS; /* a look, then the yields */
        for (int i = 0; i < spins; i++) {
            /* past the deadline: no more yields (each may last a time
             * slice) nor long spins */
            if ((i >= TRY_SPIN || !until) && ct_deadline_expired(&dl))
                break;
            /* a woken putter looks before it yields: the getter that woke
             * it may sit on this CPU waiting for the put */
            if (until || i > 0)
                relax(i, until);
            if ((r = ct__ring_try_put(q, src)) != CT_EFULL)
                goto out;
        }
        if (ct_deadline_expired(&dl)) { /* no registering */
            r = put_last_try(q, src);
            goto out;
        }
        ct__qlock(&q->mu);
        if (atomic_load_explicit(&q->shut, memory_order_seq_cst)) {
            ct__qunlock(&q->mu);
            r = CT_ESHUTDOWN;
            goto out;
        }
        ct__qlist_add(&q->putters, &w, front);
        atomic_fetch_add_explicit(&q->n_putwait, 1, memory_order_seq_cst);
        ct__qunlock(&q->mu);
        side_fence(&q->get_owner);
        if ((r = last_look(q, false, (void *)src, &dl)) != CT_EFULL) {
            leave(q, &q->putters, &q->n_putwait, &w);
            goto out;
        }
        if (ct__qwait(&w, &dl) == CT_ETIMEDOUT) {
            leave(q, &q->putters, &q->n_putwait, &w);
            r = put_last_try(q, src);
            goto out;
        }
        resumed(q, &q->putters);
        woken = front = true;
    }
out:
    if (r == 0) {
        after_put(q);
        /* a get that skipped its wake-up while we were on our way
         * (pend_put) left it to us; nobody to pass it to: a putter that
         * parks later looks itself */
        if (woken &&
            atomic_load_explicit(&q->n_putwait, memory_order_seq_cst)) {
            side_fence(&q->get_owner);
            if (ct__ring_size(q) < (long)q->cap)
                wake_if_waiting(q, &q->putters, &q->n_putwait, &q->put_cpu);
        }
    }
    return r;
}

int ct__ring_put_full(ct_queue *q, const void *src, double timeout) {
    if (timeout == 0)
        return full_or_shut(q);
    return put_slow(q, src, timeout);
}

/* The ring looked empty and the queue is shut down: take what puts that
 * claimed before the shutdown are still publishing, then CT_ESHUTDOWN. */
static int get_shut(ct_queue *q, void *dst) {
    for (;;) {
        if (ct__ring_try_get(q, dst) == 0)
            return 0;
        if (!pending(q))
            return CT_ESHUTDOWN;
        sched_yield(); /* a claimed put is between its CAS and publish */
    }
}

/* A learned yes/no (a per-queue score, relaxed: a heuristic). While the
 * score is above 0 the answer is yes; at 0 it is no, but yes once every
 * `every` asks, so that a change in the workload is noticed. */
static bool learned(_Atomic int32_t *score, _Atomic uint32_t *probe,
                    uint32_t every) {
    if (atomic_load_explicit(score, memory_order_relaxed) > 0)
        return true;
    return atomic_fetch_add_explicit(probe, 1, memory_order_relaxed) % every ==
           0;
}

/* Outcome of a yes: +1 paid off, -1 did not (-2 on the score, floored
 * at 0: unlearned twice as fast as learned), 0 no verdict. */
static void learn(_Atomic int32_t *score, int outcome) {
    int32_t v = atomic_load_explicit(score, memory_order_relaxed);
    if (outcome < 0)
        v = v > 2 ? v - 2 : 0;
    else if (outcome > 0 && v < SCORE_MAX)
        v++;
    atomic_store_explicit(score, v, memory_order_relaxed);
}

/* Should a getter facing an empty ring yield once before parking? On a
 * core oversubscribed by the queue's own threads, yes: the yield runs
 * the producer at once, far cheaper than a sleep, a wake-up call and the
 * producer being preempted by the woken consumer (2/2 on 2 cores: median
 * 240 -> 45 ns/item). On a core shared with other processes, no: the
 * yield may give the core away for a time slice (an idle consumer's
 * wake-up p50 went from ~15 us to ~1 ms with 2 yields on every empty
 * get under load). So it is learned per queue: a quick yield after
 * which an item was there pays off, one after which there was none does
 * not, a slow one that found an item gives no verdict. */
static bool get_should_yield(ct_queue *q) {
    return learned(&q->get_yield_score, &q->get_yield_probe, YIELD_PROBE);
}

/* Should a getter whose putter last ran on its own CPU (peer_here) yield
 * to it? While it is runnable there, yes: the yield runs it at once, and
 * the two take turns a ring at a time. While it sleeps, no: the yield
 * finds nothing to run, and the scheduler (EEVDF) moves the yielder's
 * deadline back, so once this getter parks and is woken onto a CPU where
 * its putter spins, it waits for the end of that putter's slice
 * (hand-offs to a sleeping consumer, bench_queue's "latency idle": p50
 * 3.4 -> 29 us and p99 up to 3.6 ms when this yield was unconditional).
 * Learned per queue, as get_should_yield: a yield during which a put
 * claimed a position (or after which an item was there) pays off, one
 * during which none did does not. */
static bool get_should_yield_here(ct_queue *q) {
    return learned(&q->here_yield_score, &q->here_yield_probe, YIELD_PROBE);
}

/* Should a getter facing an empty ring wait for a run of items instead
 * of polling? While puts stream in at about the pace the getters take
 * them, a getter that polls takes each item as soon as it is published,
 * from the cache line the putter is still filling: the line then moves
 * between the two cores for every item. A getter that waits a moment
 * once lets a run of items collect; it then reads whole lines that the
 * putters are done with, and the putters write lines no getter reads.
 * Measured (1,024 slots, 2 vCPUs, 10 interleaved rounds): 1/1 10.8 ->
 * 8.3 ns per item, 2/2 9.8 -> 8.8. But the wait (~1-2 us) would add to
 * the latency of every item handed over alone, so it is learned too: a
 * wait after which RUN_MIN more items were there pays off, one after
 * which there were fewer does not (a hand-off: one item at a time). At
 * 0 getters poll, and try a wait only once in RUN_PROBE rounds of their
 * slow paths, which leaves the p99 of one-item hand-offs as it was. */
static bool get_should_wait_run(ct_queue *q) {
    if (q->cap < 2 * RUN_MIN)
        return false; /* a run of RUN_MIN could not collect */
    return learned(&q->get_run_score, &q->get_run_probe, RUN_PROBE);
}

/* The getter's wait for a run: one pause of RUN_WAIT, one look. */
static int get_after_run_wait(ct_queue *q, void *dst) {
    pauses(RUN_WAIT);
    int r = ct__ring_try_get(q, dst);
    learn(&q->get_run_score, r == 0 && ct__ring_size(q) >= RUN_MIN ? 1 : -1);
    return r;
}

static CT_COLD int get_slow(ct_queue *q, void *dst, double timeout) {
    if (atomic_load_explicit(&q->full_seen, memory_order_relaxed))
        atomic_store_explicit(&q->full_seen, false, memory_order_relaxed);
    ct_deadline dl;
    ct__qdeadline(&dl, timeout);
    ct__qwaiter w = {0};
    bool front = false, woken = false;
    int r;
    for (;;) {
        /* TRY_SPIN polls, or one wait for a run; then maybe a yield.
         * Like a putter (put_slow), a getter that arrives spins even while
         * others are parked: a getter that parked at once whenever it found the
         * ring empty would take the internal lock twice and write
         * n_getwait (which every put reads) each time, only to find in
         * its last look the item a running putter had just claimed. At
         * 8/8 that was most of the ~20,000 slow paths per 2 million
         * items; spinning cut them to ~3,300 and 8/8 from 11.5-12.4 to
         * 9.8 ns per item, 4/4 from 10.2-10.9 to 8.8 (30 interleaved
         * rounds). As on the fast path, a running getter may take an
         * item before parked ones wake. But a woken getter goes back to
         * the front of the line at once while others are parked (its
         * last look takes any item): spinning, it could be overtaken there by
         * one woken after it, and parked getters keep their FIFO order. */
        int cpu = sched_getcpu();
        note_cpu(&q->get_cpu, cpu);
        bool spin = !front ||
                    !atomic_load_explicit(&q->n_getwait, memory_order_relaxed);
        /* the putter is on this CPU and no other putter is running
         * (peer_here, stalled): one look, no polls, then a yield; a woken
         * getter must look before it yields: the putter that woke it may
         * wait on this CPU for the get */
        bool here = peer_here(&q->put_cpu, cpu) && (woken || stalled(&q->enq));
        bool run = spin && !here && get_should_wait_run(q);
        int polls = here || run ? 1 : TRY_SPIN; /* here: one look */
        r = CT_EEMPTY;
        if (spin) {
            /* puts make no wake-up call while we poll (after_put, ring.h) */
            atomic_fetch_add_explicit(&q->n_getspin, 1, memory_order_seq_cst);
            for (int i = 0; i < polls && r != 0; i++) {
                if (run) {
                    r = get_after_run_wait(q, dst);
                } else {
                    if (!here)
                        relax(i, TRY_SPIN);
                    r = ct__ring_try_get(q, dst);
                }
                if (atomic_load_explicit(&q->shut, memory_order_seq_cst))
                    break;
            }
            atomic_fetch_sub_explicit(&q->n_getspin, 1, memory_order_seq_cst);
            /* Claimed items we did not take (a put may have seen us
             * polling and made no wake-up call) go to a parked getter.
             * If we park next, our last look would take them too, so
             * this wake-up may be spent for nothing. n_getwait first:
             * if it is 0, a getter that parks later increments it after
             * this load, hence after the put's claim, and its own last
             * look sees the claim. */
            if (atomic_load_explicit(&q->n_getwait, memory_order_seq_cst)) {
                side_fence(&q->put_owner);
                if (pending(q))
                    wake_if_waiting(q, &q->getters, &q->n_getwait, &q->get_cpu);
            }
            /* Then one yield, not counted as polling (a yield can last a
             * time slice), not past the deadline. To a putter on this
             * CPU, while such yields let putters run (get_should_yield_here).
             * Otherwise only while yields pay off on this queue, and not
             * while another getter polls (this one parks instead of
             * coming back to take a core from the producers). */
            bool may_yield =
                r != 0 &&
                !atomic_load_explicit(&q->shut, memory_order_seq_cst) &&
                !ct_deadline_expired(&dl);
            if (may_yield && here) {
                if (get_should_yield_here(q)) {
                    uint64_t e0 =
                        atomic_load_explicit(&q->enq, memory_order_relaxed);
                    sched_yield();
                    r = ct__ring_try_get(q, dst);
                    learn(&q->here_yield_score,
                          r == 0 || atomic_load_explicit(
                                        &q->enq, memory_order_relaxed) != e0
                              ? 1
                              : -1);
                }
            } else if (may_yield &&
                       !atomic_load_explicit(&q->n_getspin,
                                             memory_order_relaxed) &&
                       get_should_yield(q)) {
                int64_t t0 = ct__now_ns();
                sched_yield();
                int64_t took = ct__now_ns() - t0;
                r = ct__ring_try_get(q, dst);
                learn(&q->get_yield_score, r != 0                 ? -1
                                           : took < YIELD_SLOW_NS ? 1
                                                                  : 0);
            }
        }
        if (r == 0)
            goto out;
        if (atomic_load_explicit(&q->shut, memory_order_seq_cst)) {
            r = get_shut(q, dst);
            goto out;
        }
        ct__qlock(&q->mu);
        if (atomic_load_explicit(&q->shut, memory_order_seq_cst)) {
            ct__qunlock(&q->mu);
            r = get_shut(q, dst);
            goto out;
        }
        ct__qlist_add(&q->getters, &w, front);
        atomic_fetch_add_explicit(&q->n_getwait, 1, memory_order_seq_cst);
        ct__qunlock(&q->mu);
        side_fence(&q->put_owner);
        if ((r = last_look(q, true, dst, &dl)) == 0) {
            leave(q, &q->getters, &q->n_getwait, &w);
            goto out;
        }
        if (ct__qwait(&w, &dl) == CT_ETIMEDOUT) {
            leave(q, &q->getters, &q->n_getwait, &w);
            if ((r = ct__ring_try_get(q, dst)) != 0)
                r = atomic_load_explicit(&q->shut, memory_order_seq_cst)
                        ? get_shut(q, dst)
                        : CT_EEMPTY;
            goto out;
        }
        resumed(q, &q->getters);
        woken = front = true;
    }
out:
    if (r == 0) {
        after_get(q);
        if (woken &&
            atomic_load_explicit(&q->n_getwait, memory_order_seq_cst)) {
            side_fence(&q->put_owner); /* as in put_slow */
            if (ct__ring_size(q) > 0)
                wake_if_waiting(q, &q->getters, &q->n_getwait, &q->get_cpu);
        }
    }
    return r;
}

int ct__ring_get_empty(ct_queue *q, void *dst, double timeout) {
    if (atomic_load_explicit(&q->shut, memory_order_seq_cst)) {
        int r = get_shut(q, dst);
        if (r == 0)
            after_get(q);
        return r;
    }
    if (timeout == 0)
        return CT_EEMPTY;
    return get_slow(q, dst, timeout);
}

void ct__ring_drain(ct_queue *q) {
    long n = 0;
    for (;;) {
        unsigned char *s;
        uint64_t pos;
        if (claim_get(q, &s, &pos)) {
            ct__qdestroy_item(q, s + 8);
            free_slot(q, s, pos);
            n++;
        } else if (!pending(q)) {
            break;
        } else {
            sched_yield(); /* a claimed put is still publishing */
        }
    }
    ct__qdiscarded(q, n);
}
