/* Barrier (threading.Barrier), Python's state machine on two words.
 *
 *   state  bits 0..1  phase: FILLING 0, DRAINING 1, RESETTING 2, BROKEN 3
 *          bits 2..31 count: threads inside wait() (arrived, not yet left)
 *   seq    bit 0      SLEEPERS: someone may be asleep on `seq`
 *          bits 1..31 a sequence bumped after every phase change
 *
 * Python keeps _state and _count under a Condition; here every step of
 * its machine is one CAS on `state` (acq_rel), and its notify_all() is
 * bump(): seq += 2 (release), clearing SLEEPERS, and a wake of all
 * sleepers on `seq` if the bit was set. Every thread that waits for a
 * phase change parks on `seq`, never on `state` (arrivals and leavings
 * change `state` without waking anybody).
 *
 *   wait():  phase FILLING, count < parties
 *                 --count+1--> index = old count
 *            phase DRAINING or RESETTING, or FILLING with count == parties
 *            (the action is running): park until the phase changes, then
 *            look again (Python's _enter: no timeout here)
 *            phase BROKEN: CT_EBROKEN, never entering
 *   last arrival (index parties-1): runs the action while the state says
 *            FILLING|parties, which every other thread treats as "the
 *            barrier's lock is held"; then FILLING|parties --> DRAINING
 *            (or --> BROKEN if the action failed), bump
 *   waiter:  parks until the phase leaves FILLING: DRAINING -> its index;
 *            RESETTING/BROKEN -> CT_EBROKEN. When its deadline passes in
 *            FILLING with count < parties: --> BROKEN (count kept), bump,
 *            CT_EBROKEN. With count == parties the action is running:
 *            it waits for it without deadline, as Python's timed-out
 *            waiter waits to re-take the lock the action holds.
 *   leaving (every thread that entered, whatever the outcome):
 *            count-1; if it was the last and the phase is DRAINING or
 *            RESETTING --> FILLING|0, bump (wakes next-round arrivals)
 *   abort(): --> BROKEN (count kept), bump
 *   reset(): count > 0: FILLING/BROKEN --> RESETTING (DRAINING and
 *            RESETTING unchanged); count == 0: --> FILLING; bump
 *            abort() and reset() first wait out a running action.
 *
 * No lost wake-up: a waiter reads `seq` (acquire) before `state`; a
 * changer writes `state` before bumping `seq` (release). If the waiter saw
 * the old state, it parks on the old seq value with SLEEPERS set by its
 * own successful CAS (or already set), so the bump either changes the
 * word under the kernel's check or sees the bit and wakes it.
 *
 * Memory: arrivals' CAS are release and the last arrival's acquire (one
 * chain of RMWs), the DRAINING store is release and waiters read it with
 * acquire: all work before wait() happens before all work after it.
 */
#include "internal.h"

enum {
    FILLING = 0u,
    DRAINING = 1u,
    RESETTING = 2u,
    BROKEN = 3u,
    PHASE = 3u,
    ONE = 4u,        /* one thread in `count` */
    SLEEPERS = 1u,   /* in seq */
    SPIN = 200       /* looks at the state before sleeping */
};

static inline uint32_t phase(uint32_t w) {
    return w & PHASE;
}

static inline uint32_t count(uint32_t w) {
    return w >> 2;
}

static inline int park_flags(const ct_barrier *b) {
    return ct__park_flags(b->flags);
}

/* Python's notify_all(): after a phase change. */
static void bump(ct_barrier *b) {
    /* relaxed: the CAS below carries the order */
    uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
    /* release: a waiter that reads the new seq sees the new state */
    while (!atomic_compare_exchange_weak_explicit(
        &b->seq, &s, (s + 2) & ~SLEEPERS, memory_order_release,
        memory_order_relaxed))
        ;
    if (s & SLEEPERS)
        ct_park_wake(&b->seq, CT_PARK_ALL, park_flags(b));
}

/* Sleep until `state` differs from `w` or `d` (NULL: none) passes.
 * Returns 0 (look again) or CT_ETIMEDOUT. */
static int wait_change(ct_barrier *b, uint32_t w, const ct_deadline *d) {
    for (int i = 0; i < SPIN; i++) {
        /* relaxed: a hint; the caller re-reads with acquire */
        if (atomic_load_explicit(&b->state, memory_order_relaxed) != w)
            return 0;
        ct_cpu_relax();
    }
    /* acquire: orders the read of `state` below after this one */
    uint32_t s = atomic_load_explicit(&b->seq, memory_order_acquire);
    if (atomic_load_explicit(&b->state, memory_order_acquire) != w)
        return 0;
    if (!(s & SLEEPERS)) {
        /* acquire: as the load above, when it succeeds */
        if (!atomic_compare_exchange_strong_explicit(
                &b->seq, &s, s | SLEEPERS, memory_order_acquire,
                memory_order_relaxed))
            return 0; /* a bump came in between: look again */
        s |= SLEEPERS;
        if (atomic_load_explicit(&b->state, memory_order_acquire) != w)
            return 0;
    }
    int rc = ct_park_wait(&b->seq, s, d, park_flags(b) | CT_PARK_NOSPIN);
    return rc == CT_ETIMEDOUT ? CT_ETIMEDOUT : 0;
}

/* Move from `w` to `next` and, if the phase changed, wake the sleepers.
 * Returns false if the state was no longer `w` (w is then refreshed). */
static bool transition(ct_barrier *b, uint32_t *w, uint32_t next) {
    uint32_t old = *w;
    /* acq_rel: publishes what this thread did, sees what others did */
    if (!atomic_compare_exchange_strong_explicit(&b->state, w, next,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire))
        return false;
    if (phase(old) != phase(next))
        bump(b);
    return true;
}

/* Python's _exit(): leave, and let the next round in after the last. */
static void leave(ct_barrier *b) {
    uint32_t w = atomic_load_explicit(&b->state, memory_order_relaxed);
    uint32_t next;
    do {
        next = w - ONE;
        if (count(next) == 0 &&
            (phase(next) == DRAINING || phase(next) == RESETTING))
            next = FILLING;
    } while (!transition(b, &w, next));
}

/* Run while holding the round (state FILLING|parties). */
static int release_round(ct_barrier *b, int index) {
    int rc = b->action ? b->action(b->arg) : 0;
    uint32_t w = ((uint32_t)b->parties << 2) | FILLING;
    /* Nobody else changes a full FILLING state: it cannot fail. */
    bool ok = transition(b, &w, (rc < 0 ? BROKEN : DRAINING) | (w & ~PHASE));
    (void)ok;
    leave(b);
    return rc < 0 ? rc : index;
}

static CT_COLD int wait_released(ct_barrier *b, int index,
                                 const ct_deadline *d) {
    bool timed_out = false;
    for (;;) {
        uint32_t w = atomic_load_explicit(&b->state, memory_order_acquire);
        switch (phase(w)) {
        case DRAINING:
            leave(b);
            return index;
        case RESETTING:
        case BROKEN:
            leave(b);
            return CT_EBROKEN;
        default:
            break;
        }
        if (timed_out && count(w) < b->parties) {
            /* Python's _break() after wait_for timed out */
            if (transition(b, &w, (w & ~PHASE) | BROKEN)) {
                leave(b);
                return CT_EBROKEN;
            }
            continue;
        }
        /* count == parties: the action runs; wait for it without limit */
        const ct_deadline *until = timed_out ? NULL : d;
        if (wait_change(b, w, until) == CT_ETIMEDOUT)
            timed_out = true;
    }
}

static int barrier_wait(ct_barrier *b, const ct_deadline *d) {
    uint32_t parties = b->parties;
    if (parties < 1 || parties > CT_BARRIER_MAX_PARTIES)
        return CT_EINVAL;
    /* acquire: see the state the last phase change published */
    uint32_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    int index;
    for (;;) {
        if (phase(w) == BROKEN)
            return CT_EBROKEN;
        if (phase(w) == FILLING && count(w) < parties) {
            /* acq_rel: publishes this thread's work to the last arrival */
            if (atomic_compare_exchange_weak_explicit(
                    &b->state, &w, w + ONE, memory_order_acq_rel,
                    memory_order_acquire)) {
                index = (int)count(w);
                break;
            }
            continue;
        }
        /* draining, resetting or action running: Python's _enter */
        wait_change(b, w, NULL);
        w = atomic_load_explicit(&b->state, memory_order_acquire);
    }
    if ((uint32_t)index + 1 == parties)
        return release_round(b, index);
    return wait_released(b, index, d);
}

/* ---------------------------------------------------------------- public */

int ct_barrier_init_opt(ct_barrier *b, int parties,
                        const ct_barrier_options *opt) {
    static const ct_barrier_options none = {0};
    if (!b)
        return CT_EINVAL;
    if (!opt)
        opt = &none;
    if (isnan(opt->timeout) || opt->timeout < 0 ||
        (opt->flags & ~CT_PSHARED))
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

static bool usable(const ct_barrier *b) {
    return b && b->parties >= 1 && b->parties <= CT_BARRIER_MAX_PARTIES;
}

int ct_barrier_destroy(ct_barrier *b) {
    if (!usable(b))
        return CT_EINVAL;
    /* acquire: destroy comes after the last leaver's work */
    uint32_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    if (count(w) > 0 || phase(w) == DRAINING || phase(w) == RESETTING)
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
    return barrier_wait(b, &d);
}

/* Apply `to(w)` to the state once no action runs; bump on a change. */
static int change(ct_barrier *b, uint32_t (*to)(uint32_t w)) {
    if (!usable(b))
        return CT_EINVAL;
    uint32_t w = atomic_load_explicit(&b->state, memory_order_acquire);
    for (;;) {
        if (phase(w) == FILLING && count(w) == b->parties) {
            wait_change(b, w, NULL); /* the action holds the round */
            w = atomic_load_explicit(&b->state, memory_order_acquire);
            continue;
        }
        uint32_t next = to(w);
        if (next == w || transition(b, &w, next))
            return 0;
    }
}

static uint32_t to_broken(uint32_t w) {
    return (w & ~PHASE) | BROKEN;
}

static uint32_t to_reset(uint32_t w) {
    if (count(w) == 0)
        return FILLING;
    if (phase(w) == FILLING || phase(w) == BROKEN)
        return (w & ~PHASE) | RESETTING;
    return w; /* draining or already resetting */
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
    uint32_t w = atomic_load_explicit(&b->state, memory_order_relaxed);
    return phase(w) == FILLING ? (int)count(w) : 0;
}

int ct_barrier_parties(const ct_barrier *b) {
    return usable(b) ? (int)b->parties : CT_EINVAL;
}
