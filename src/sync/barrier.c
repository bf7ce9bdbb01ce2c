/* Barrier (threading.Barrier): Python's state machine on two words.
 *
 *   state (64 bits)  bits 0..1   phase: FILLING 0, RESETTING 2, BROKEN 3
 *                                (Python's 0, -1, -2; its draining 1 is
 *                                instantaneous here, see below)
 *                    bits 2..31  count: threads inside wait()
 *                    bits 32..63 round: +1 at every release
 *   seq (32 bits)    bit 0       SLEEPERS: someone may sleep on `seq`
 *                    bits 1..31  bumped after every phase or round change
 *
 * Python keeps _state and _count under a Condition; here every step is
 * one CAS on `state` (acq_rel) and its notify_all() is bump(): seq += 2
 * (release) clearing SLEEPERS, and a wake of all sleepers on `seq` if the
 * bit was set. Whoever waits for a phase or round change parks on `seq`;
 * arrivals and leavings change only the count and wake nobody.
 *
 *   wait():  FILLING, count < parties --count+1--> index = old count,
 *                                                  round r remembered
 *            RESETTING, or FILLING with count == parties (the action is
 *            running): park until phase/round change (Python's _enter,
 *            no timeout); BROKEN: CT_EBROKEN without entering;
 *            timeout <= 0 and not the last arrival: FILLING|c --> BROKEN|c
 *            in one step (Python breaks it before releasing its lock)
 *   last arrival (index parties-1) runs the action while the state reads
 *            FILLING|parties, which every other thread treats as "the
 *            barrier's lock is held"; then
 *              success:  FILLING|parties|r --> FILLING|0|r+1, bump
 *              failure:  FILLING|parties|r --> BROKEN|parties|r, bump, leave
 *   waiter:  round != r --> its index (released; it is already out)
 *            RESETTING/BROKEN --> leave, CT_EBROKEN
 *            deadline passed in FILLING, count < parties:
 *                      --> BROKEN (count kept), bump, leave, CT_EBROKEN
 *            deadline passed with count == parties (action running):
 *                      wait on without deadline, as Python's timed-out
 *                      waiter waits to re-take the lock the action holds
 *   leave:   count-1; the last one out of RESETTING --> FILLING|0, bump
 *   abort(): --> BROKEN (count kept), bump
 *   reset(): count > 0: FILLING/BROKEN --> RESETTING; count 0: --> FILLING;
 *            bump. abort() and reset() first wait out a running action.
 *
 * Instant draining. Python's release sets "draining" and each released
 * waiter leaves when it re-takes the lock; newcomers wait meanwhile. Here
 * the release takes the whole round out at once (count 0, next round):
 * exactly Python's schedule in which every released waiter re-takes the
 * lock before anyone else, so nothing observable differs from some run
 * of Python's code, and the next round need not wait for sleepy leavers
 * (what makes pthread_barrier_t fast). The round number tells a waiter
 * that it was released even if the barrier was aborted, reset or reused
 * after that; it wraps after 2^32 rounds.
 *
 * No lost wake-up: a waiter reads `seq` (acquire) before `state`; a
 * changer writes `state` before bumping `seq` (release). If the waiter saw
 * the old state, it parks on the old seq value with SLEEPERS set by its
 * own successful CAS (or already set), so the bump either changes the word
 * under the kernel's check or sees the bit and wakes it.
 *
 * Memory: arrivals' CAS are release and the last arrival's acquire (one
 * chain of RMWs); the release CAS is release and waiters read the new
 * round with acquire: all work before wait() (and the action) happens
 * before all work after it.
 */
#include "internal.h"

#include <sched.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "a process-shared barrier needs lock-free 64-bit atomics");

#define FILLING 0ull
#define RESETTING 2ull
#define BROKEN 3ull
#define PHASE 3ull
#define ONE 4ull            /* one thread in `count` */
#define COUNT 0xfffffffcull /* count bits */
#define ROUND_ONE (1ull << 32)
#define SLEEPERS 1u /* in seq */

/* Yields before sleeping, after the spin: with more threads than CPUs
 * they let the missing parties run instead of burning the time slice. */
#ifndef CT_BARRIER_YIELDS
#define CT_BARRIER_YIELDS 4
#endif

static inline uint64_t phase(uint64_t w) {
    return w & PHASE;
}

static inline uint32_t count(uint64_t w) {
    return (uint32_t)((w & COUNT) >> 2);
}

static inline uint32_t round_of(uint64_t w) {
    return (uint32_t)(w >> 32);
}

/* Python's notify_all(): after a phase or round change. */
static void bump(ct_barrier *b) {
    /* relaxed: the CAS below carries the order */
    uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
    /* release: a waiter that reads the new seq sees the new state */
    while (!atomic_compare_exchange_weak_explicit(
        &b->seq, &s, (s + 2) & ~SLEEPERS, memory_order_release,
        memory_order_relaxed))
        ;
    if (s & SLEEPERS)
        ct_park_wake(&b->seq, CT_PARK_ALL, ct__park_flags(b->flags));
}

/* True while phase and round are still those of `w` (count may move). */
static inline bool same(ct_barrier *b, uint64_t w, memory_order mo) {
    return ((atomic_load_explicit(&b->state, mo) ^ w) & ~COUNT) == 0;
}

/* Sleep until the phase or round differs from `w`'s or `d` (NULL: none)
 * passes. Returns 0 (look again) or CT_ETIMEDOUT. */
static int wait_change(ct_barrier *b, uint64_t w, const ct_deadline *d) {
    /* An expired deadline (timeout 0 or negative) must not spin: Python
     * checks it once under the lock, where no partner can arrive. */
    if (d && ct_deadline_expired(d))
        return CT_ETIMEDOUT;
    for (uint32_t i = 0, n = ct__spin_budget(); i < n; i++) {
        /* relaxed: a hint; the caller re-reads with acquire */
        if (!same(b, w, memory_order_relaxed)) {
            ct__spin_result(true);
            return 0;
        }
        ct__relax();
    }
    ct__spin_result(false);
    for (int i = 0; i < CT_BARRIER_YIELDS; i++) {
        sched_yield();
        if (!same(b, w, memory_order_relaxed))
            return 0;
    }
    /* acquire: orders the read of `state` below after this one */
    uint32_t s = atomic_load_explicit(&b->seq, memory_order_acquire);
    if (!same(b, w, memory_order_acquire))
        return 0;
    if (!(s & SLEEPERS)) {
        /* acquire: as the load above, when it succeeds */
        if (!atomic_compare_exchange_strong_explicit(&b->seq, &s, s | SLEEPERS,
                                                     memory_order_acquire,
                                                     memory_order_relaxed))
            return 0; /* a bump came in between: look again */
        s |= SLEEPERS;
        if (!same(b, w, memory_order_acquire))
            return 0;
    }
    int rc =
        ct_park_wait(&b->seq, s, d, ct__park_flags(b->flags) | CT_PARK_NOSPIN);
    return rc == CT_ETIMEDOUT ? CT_ETIMEDOUT : 0;
}

/* Move from *w to `next`; bump if the phase or round changed. Returns
 * false if the state was no longer *w (*w is then refreshed). */
static bool transition(ct_barrier *b, uint64_t *w, uint64_t next) {
    uint64_t old = *w;
    /* acq_rel: publishes what this thread did, sees what others did */
    if (!atomic_compare_exchange_strong_explicit(
            &b->state, w, next, memory_order_acq_rel, memory_order_acquire))
        return false;
    if ((old ^ next) & ~COUNT)
        bump(b);
    return true;
}

/* Python's _exit() on the broken/reset paths: the last one out of a
 * resetting barrier makes it usable again. */
static void leave(ct_barrier *b) {
    uint64_t w = atomic_load_explicit(&b->state, memory_order_relaxed);
    uint64_t next;
    do {
        next = w - ONE;
        if (count(next) == 0 && phase(next) == RESETTING)
            next &= ~PHASE; /* FILLING */
    } while (!transition(b, &w, next));
}

/* The last arrival, holding the round (state FILLING|parties|r). */
static int release_round(ct_barrier *b, uint64_t full, int index) {
    int rc = b->action ? b->action(b->arg) : 0;
    uint64_t w = full;
    if (rc < 0) {
        /* Python's _break() and re-raise */
        transition(b, &w, full | BROKEN);
        leave(b);
        return rc;
    }
    /* Nobody else changes a full FILLING state: the CAS cannot fail. */
    transition(b, &w, (full & ~(COUNT | PHASE)) + ROUND_ONE);
    return index;
}

static int wait_released(ct_barrier *b, uint64_t mine, int index,
                         const ct_deadline *d) {
    uint32_t parties = b->parties;
    bool timed_out = false;
    for (;;) {
        /* acquire: the new round publishes the whole round's work */
        uint64_t w = atomic_load_explicit(&b->state, memory_order_acquire);
        if (round_of(w) != round_of(mine))
            return index; /* released: already counted out */
        if (phase(w) != FILLING) {
            leave(b); /* resetting or broken */
            return CT_EBROKEN;
        }
        if (timed_out && count(w) < parties) {
            /* Python's _break() after wait_for timed out */
            if (transition(b, &w, w | BROKEN)) {
                leave(b);
                return CT_EBROKEN;
            }
            continue;
        }
        /* count == parties: the action runs; wait for it without limit */
        if (wait_change(b, w, timed_out ? NULL : d) == CT_ETIMEDOUT)
            timed_out = true;
    }
}

static bool usable(const ct_barrier *b) {
    return b && b->parties >= 1 && b->parties <= CT_BARRIER_MAX_PARTIES;
}

/* `now`: the timeout was 0 or negative. Python then enters, finds the
 * round incomplete and breaks it all under its lock, so no partner can
 * arrive in between: here that is one CAS, FILLING|c -> BROKEN|c (the
 * thread's arrival and leaving cancel out). */
static int barrier_wait(ct_barrier *b, const ct_deadline *d, bool now) {
    if (!usable(b))
        return CT_EINVAL;
    uint32_t parties = b->parties;
    /* acquire: see the state the last change published */
    uint64_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    for (;;) {
        if (phase(w) == BROKEN)
            return CT_EBROKEN;
        if (phase(w) == FILLING && count(w) < parties) {
            if (now && count(w) + 1 < parties) {
                if (transition(b, &w, w | BROKEN))
                    return CT_EBROKEN;
                continue;
            }
            /* acq_rel: publishes this thread's work to the last arrival */
            if (atomic_compare_exchange_weak_explicit(&b->state, &w, w + ONE,
                                                      memory_order_acq_rel,
                                                      memory_order_acquire))
                break;
            continue;
        }
        /* resetting, or the action running: Python's _enter */
        wait_change(b, w, NULL);
        w = atomic_load_explicit(&b->state, memory_order_acquire);
    }
    int index = (int)count(w);
    if ((uint32_t)index + 1 == parties)
        return release_round(b, w + ONE, index);
    return wait_released(b, w, index, d);
}

/* ---------------------------------------------------------------- public */

int ct_barrier_init_opt(ct_barrier *b, int parties,
                        const ct_barrier_options *opt) {
    static const ct_barrier_options none = {0};
    if (!b)
        return CT_EINVAL;
    if (!opt)
        opt = &none;
    if (isnan(opt->timeout) || opt->timeout < 0 || (opt->flags & ~CT_PSHARED))
        return CT_EINVAL;
    if (parties < 1 || parties > CT_BARRIER_MAX_PARTIES)
        return CT_EVALUE;
    /* relaxed: nobody may use the barrier while it is initialised */
    atomic_store_explicit(&b->state, FILLING, memory_order_relaxed);
    atomic_store_explicit(&b->seq, 0, memory_order_relaxed);
    b->parties = (uint32_t)parties;
    b->flags = (uint32_t)opt->flags;
    b->action = opt->action;
    b->arg = opt->arg;
    b->timeout = opt->timeout;
    return 0;
}

int ct_barrier_destroy(ct_barrier *b) {
    if (!usable(b))
        return CT_EINVAL;
    /* acquire: destroy comes after the last leaver's work */
    uint64_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    if (count(w) > 0 || phase(w) == RESETTING)
        return CT_ESTATE;
    b->parties = 0;
    return 0;
}

int ct_barrier_wait(ct_barrier *b) {
    if (!b)
        return CT_EINVAL;
    double t = b->timeout;
    return ct_barrier_wait_timeout(b, (t > 0 && !isnan(t)) ? t : CT_FOREVER);
}

int ct_barrier_wait_timeout(ct_barrier *b, double timeout) {
    if (!b || isnan(timeout))
        return CT_EINVAL;
    ct_deadline d;
    int rc = ct_deadline_init(&d, timeout, CT_NEG_EXPIRED);
    if (rc)
        return rc;
    return barrier_wait(b, &d, timeout <= 0);
}

/* Apply `to(w)` once no action runs; bump on a phase change. */
static int change(ct_barrier *b, uint64_t (*to)(uint64_t w)) {
    if (!usable(b))
        return CT_EINVAL;
    uint64_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    for (;;) {
        if (phase(w) == FILLING && count(w) == b->parties) {
            wait_change(b, w, NULL); /* the action holds the round */
            w = atomic_load_explicit(&b->state, memory_order_acquire);
            continue;
        }
        uint64_t next = to(w);
        if (next == w || transition(b, &w, next))
            return 0;
    }
}

static uint64_t to_broken(uint64_t w) {
    return w | BROKEN;
}

static uint64_t to_reset(uint64_t w) {
    if (count(w) == 0)
        return w & ~PHASE; /* FILLING */
    return (w & ~PHASE) | RESETTING;
}

int ct_barrier_abort(ct_barrier *b) {
    return change(b, to_broken);
}

int ct_barrier_reset(ct_barrier *b) {
    return change(b, to_reset);
}

bool ct_barrier_broken(const ct_barrier *b) {
    return usable(b) &&
           phase(atomic_load_explicit(&b->state, memory_order_acquire)) ==
               BROKEN;
}

int ct_barrier_n_waiting(const ct_barrier *b) {
    if (!usable(b))
        return CT_EINVAL;
    /* relaxed: a snapshot (Python reads it without the lock too) */
    uint64_t w = atomic_load_explicit(&b->state, memory_order_relaxed);
    return phase(w) == FILLING ? (int)count(w) : 0;
}

int ct_barrier_parties(const ct_barrier *b) {
    return usable(b) ? (int)b->parties : CT_EINVAL;
}
