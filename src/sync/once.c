/* once: run an initialiser exactly once per ct_once, retrying after a
 * failure.
 *
 * The word (ct_once.state):
 *
 *   NEW      0  nobody succeeded yet, nobody runs
 *   RUNNING  1  a caller runs init
 *   WAITED   2  a caller runs init and others wait for it
 *   DONE     3  init succeeded
 *
 *        CAS (acquire)            init ok: swap (release)
 *   NEW ---------------> RUNNING ---------------------------> DONE
 *    ^                      |  \  a caller finds it running:
 *    |  init failed: swap   |   \ CAS RUNNING -> WAITED, park on the word
 *    +---------(release)----+    WAITED --(init ok/fail: swap)--> DONE/NEW
 *
 * Bit 2 (SHARED, set by CT_ONCE_INIT_PSHARED / ct_once_init(CT_PSHARED))
 * never changes: every value above carries it, and the phase is the low
 * two bits. It chooses a shared futex, so a once in shared memory works
 * between processes.
 *
 * Waiters park on `state` while it reads WAITED; the runner wakes them all
 * when it leaves RUNNING/WAITED, but only if the value it swapped out was
 * WAITED. After a failure the word is NEW again and the woken callers race
 * to run init themselves.
 *
 * Memory orders: the fast path loads DONE with acquire, pairing with the
 * runner's release swap, so everything init wrote is visible to every
 * caller that returns 0. Taking the runner's role is an acquire CAS (it
 * sees what a failed previous attempt wrote). Every load that may find
 * DONE is acquire, for the same reason as the fast path.
 */
#include "internal.h"

enum { NEW = 0, RUNNING = 1, WAITED = 2, DONE = 3, PHASE = 3, SHARED = 4 };

static inline bool is_done(uint32_t s) {
    return (s & PHASE) == DONE;
}

bool ct_once_done(const ct_once *once) {
    /* acquire: a true answer lets the caller read what init wrote */
    return once &&
           is_done(atomic_load_explicit(&once->state, memory_order_acquire));
}

int ct_once_init(ct_once *once, int flags) {
    if (!once || (flags & ~CT_PSHARED))
        return CT_EINVAL;
    /* relaxed: nobody uses it yet; publishing it is the caller's */
    atomic_store_explicit(&once->state, (flags & CT_PSHARED) ? SHARED : NEW,
                          memory_order_relaxed);
    return 0;
}

static CT_COLD int once_slow(ct_once *once, int (*init)(void *), void *arg) {
    _Atomic uint32_t *w = &once->state;
    uint32_t s = atomic_load_explicit(w, memory_order_acquire);
    const uint32_t f = s & SHARED; /* fixed for the life of the once */
    const int pf = f ? CT_PARK_SHARED : CT_PARK_PRIVATE;
    for (;;) {
        switch (s & PHASE) {
        case DONE:
            return 0;
        case NEW:
            if (!atomic_compare_exchange_weak_explicit(w, &s, RUNNING | f,
                                                       memory_order_acquire,
                                                       memory_order_acquire))
                continue;
            {
                int rc = init(arg);
                uint32_t next = (rc < 0 ? NEW : DONE) | f;
                /* release: publish init's writes (or the failure) */
                if (atomic_exchange_explicit(w, next, memory_order_release) ==
                    (WAITED | f))
                    ct_park_wake(w, CT_PARK_ALL, pf);
                return rc < 0 ? rc : 0;
            }
        case RUNNING:
            /* acquire on both sides only because a failed CAS hands us a
             * value (maybe DONE) we act on; success carries no data */
            if (!atomic_compare_exchange_weak_explicit(w, &s, WAITED | f,
                                                       memory_order_acquire,
                                                       memory_order_acquire))
                continue;
            s = WAITED | f;
            /* fall through */
        default: /* WAITED */
            ct_park_wait(w, WAITED | f, NULL, pf);
            s = atomic_load_explicit(w, memory_order_acquire);
            break;
        }
    }
}

int ct_once_call(ct_once *once, int (*init)(void *arg), void *arg) {
    if (CT_UNLIKELY(!once || !init))
        return CT_EINVAL;
    /* acquire: pairs with the runner's release; see the protocol comment */
    if (CT_LIKELY(
            is_done(atomic_load_explicit(&once->state, memory_order_acquire))))
        return 0;
    return once_slow(once, init, arg);
}
