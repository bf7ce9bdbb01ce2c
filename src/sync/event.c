/* Event (threading.Event).
 *
 * Two 32-bit words, 8 bytes:
 *
 *   state  bit 0 SET       the flag
 *          bit 1 SLEEPERS  a waiter may be asleep on `state`
 *          bits 2..31      generation: +1 at every unset -> set transition
 *   aux    bit 0 CT_PSHARED (fixed at init), bit 1 DEAD (destroyed),
 *          bits 2..31 the number of waiters in the slow path (for destroy)
 *
 *   set:    (g, SET=0, S) --CAS release--> (g+1, SET=1, S=0); wake all
 *                                          if S was 1
 *           (g, SET=1)    --CAS release--> unchanged (nothing to publish
 *                                          but the RMW keeps the release
 *                                          sequence going)
 *   clear:  SET=1 -> SET=0, generation kept (fetch_and, release)
 *   wait:   read state (acquire) at entry: generation g0. Returns 0 as soon
 *           as SET is seen or the generation differs from g0 (a set
 *           happened, even if a clear followed). Otherwise spin a little,
 *           then CAS SLEEPERS on (relaxed) and park on `state` with the
 *           value it holds; any set changes the word, so the kernel either
 *           refuses to sleep or is woken.
 *
 * The generation makes a quick set+clear visible to a waiter that had not
 * fallen asleep yet (the word differs from what it parks on) and to one
 * that was asleep (it wakes and sees a new generation): no waiter misses a
 * set, however short. Wrap-around needs 2^30 sets between two looks of one
 * waiter.
 *
 * SLEEPERS lives in the same word as SET, so one modification order
 * decides: either the waiter's CAS comes first and set sees the bit and
 * wakes, or set comes first and the waiter's CAS fails (the word changed).
 * The bit is cleared only by set (which wakes everyone); a waiter that
 * times out leaves it, costing at most one needless wake later.
 */
#include "internal.h"

enum {
    SET = 1u,
    SLEEPERS = 2u,
    GEN_ONE = 4u,
    GEN_MASK = ~3u,
    DEAD = 2u,  /* in aux */
    WAITER = 4u /* one unit of aux */
};

int ct_event_init(ct_event *ev, int flags) {
    if (!ev || (flags & ~CT_PSHARED))
        return CT_EINVAL;
    /* relaxed: nobody may use the event while it is initialised */
    atomic_store_explicit(&ev->state, 0, memory_order_relaxed);
    atomic_store_explicit(&ev->aux, (uint32_t)flags, memory_order_relaxed);
    return 0;
}

int ct_event_destroy(ct_event *ev) {
    if (!ev)
        return CT_EINVAL;
    /* relaxed: destroy racing with use is the caller's bug; this only
     * catches destroying under waiters */
    uint32_t a = atomic_load_explicit(&ev->aux, memory_order_relaxed);
    if (a & DEAD)
        return CT_EINVAL;
    if (a >= WAITER)
        return CT_ESTATE;
    atomic_store_explicit(&ev->state, 0, memory_order_relaxed);
    atomic_store_explicit(&ev->aux, a | DEAD, memory_order_relaxed);
    return 0;
}

int ct_event_set(ct_event *ev) {
    if (!ev)
        return CT_EINVAL;
    /* relaxed: the flags bits never change after init */
    uint32_t a = atomic_load_explicit(&ev->aux, memory_order_relaxed);
    if (a & DEAD)
        return CT_EINVAL;
    uint32_t s = atomic_load_explicit(&ev->state, memory_order_relaxed);
    uint32_t next;
    do {
        next = (s & SET) ? s : ((s & GEN_MASK) + GEN_ONE) | SET;
        /* release: publishes the setter's writes to the woken waiters */
    } while (!atomic_compare_exchange_weak_explicit(
        &ev->state, &s, next, memory_order_release, memory_order_relaxed));
    if (s & SLEEPERS)
        ct_park_wake(&ev->state, CT_PARK_ALL, ct__park_flags(a));
    return 0;
}

int ct_event_clear(ct_event *ev) {
    if (!ev)
        return CT_EINVAL;
    if (atomic_load_explicit(&ev->aux, memory_order_relaxed) & DEAD)
        return CT_EINVAL;
    /* release: keeps the RMW chain that waiters acquire from ordered */
    atomic_fetch_and_explicit(&ev->state, ~SET, memory_order_release);
    return 0;
}

bool ct_event_is_set(const ct_event *ev) {
    return ev && (atomic_load_explicit(&ev->state, memory_order_acquire) & SET);
}

static inline bool fired(uint32_t s, uint32_t gen0) {
    return (s & SET) || (s & GEN_MASK) != gen0;
}

static CT_COLD int wait_slow(ct_event *ev, uint32_t s, uint32_t a,
                             const ct_deadline *d) {
    uint32_t gen0 = s & GEN_MASK;
    for (uint32_t i = 0, n = ct__spin_budget(); i < n; i++) {
        ct__relax();
        /* acquire: a set seen here must publish the setter's writes */
        if (fired(atomic_load_explicit(&ev->state, memory_order_acquire),
                  gen0)) {
            ct__spin_result(true);
            return 0;
        }
    }
    ct__spin_result(false);
    /* relaxed: the count only serves destroy()'s check */
    atomic_fetch_add_explicit(&ev->aux, WAITER, memory_order_relaxed);
    int flags = ct__park_flags(a) | CT_PARK_NOSPIN;
    bool timed_out = false;
    int rc;
    for (;;) {
        s = atomic_load_explicit(&ev->state, memory_order_acquire);
        if (fired(s, gen0)) {
            rc = 0;
            break;
        }
        if (timed_out) {
            rc = CT_ETIMEDOUT;
            break;
        }
        if (!(s & SLEEPERS)) {
            /* relaxed: the bit and SET share a word; its modification
             * order alone decides who sees whom */
            if (!atomic_compare_exchange_strong_explicit(
                    &ev->state, &s, s | SLEEPERS, memory_order_relaxed,
                    memory_order_relaxed))
                continue;
            s |= SLEEPERS;
        }
        if (ct_park_wait(&ev->state, s, d, flags) == CT_ETIMEDOUT)
            timed_out = true; /* look once more, then leave */
    }
    atomic_fetch_sub_explicit(&ev->aux, WAITER, memory_order_relaxed);
    return rc;
}

int ct_event_wait(ct_event *ev, double timeout) {
    if (!ev || isnan(timeout))
        return CT_EINVAL;
    /* acquire: pairs with set's release */
    uint32_t s = atomic_load_explicit(&ev->state, memory_order_acquire);
    if (CT_LIKELY(s & SET))
        return 0;
    uint32_t a = atomic_load_explicit(&ev->aux, memory_order_relaxed);
    if (a & DEAD)
        return CT_EINVAL;
    if (timeout <= 0)
        return CT_ETIMEDOUT;
    ct_deadline d;
    int rc = ct_deadline_init(&d, timeout, CT_NEG_EXPIRED);
    if (rc)
        return rc;
    return wait_slow(ev, s, a, &d);
}
