/* Lock: one 32-bit word, a futex-style mutex with eventual fairness.
 *
 * The word (ct_lock.state):
 *
 *   bit 0  LOCKED    someone holds the lock
 *   bit 1  HANDOFF   the releaser passed the lock (LOCKED stays set) straight
 *                    to the registered waiters; the first to see it owns it
 *   bit 2  WOKEN     a waiter was woken and will look at the word again, so
 *                    a releaser need not wake another one
 *   bit 3  STARVING  a waiter waited STARVE_NS and lost the race
 *                    STARVE_LOST times after being woken: the next
 *                    release hands the lock off
 *   bits 4.. count   waiters registered to park on the word (unit W)
 *   0xffffffff DEAD  destroyed: every call returns CT_ESTATE
 *
 *   acquire  fast:  fetch_or(LOCKED); LOCKED was clear -> owner (one RMW,
 *                   whatever the waiter bits say: newcomers may barge)
 *            slow:  register (CAS count += W, or take the lock if it is
 *                   free and nobody starves), then loop:
 *                     HANDOFF, or not LOCKED -> CAS: LOCKED, clear HANDOFF
 *                                               and WOKEN, count -= W: owner
 *                     LOCKED -> CAS: clear WOKEN (maybe set STARVING), and
 *                               park on `state` expecting that value
 *            timeout: one last look (take a free or handed-off lock), else
 *                   CAS count -= W, clear WOKEN, return CT_ETIMEDOUT.
 *
 *   release  (one CAS, chosen from the value read):
 *              count == 0  -> 0                          (no syscall)
 *              HANDOFF     -> clear LOCKED|HANDOFF (a third thread released
 *                             a lock handed to a waiter; the waiter is
 *                             awake and takes it free)
 *              STARVING    -> keep LOCKED, set HANDOFF|WOKEN, clear
 *                             STARVING, then wake 1
 *              WOKEN       -> clear LOCKED               (no syscall)
 *              else        -> clear LOCKED, set WOKEN, then wake 1
 *
 *        +------+  fetch_or / waiter CAS   +--------+
 *        | free | -----------------------> | LOCKED |
 *        +------+ <----------------------- +--------+
 *           ^      release (wake 1 if a       |  release while STARVING
 *           |      waiter sleeps, !WOKEN)     v  (wake 1)
 *           |                        +----------------+  waiter CAS
 *           +------------------------| LOCKED|HANDOFF |-----------> LOCKED
 *            release by a 3rd thread +----------------+           (waiter's)
 *
 * Who parks where: waiters park on `state` itself (a shared futex when the
 * lock is CT_PSHARED); releasers wake them one at a time, and only when the
 * count says someone registered and WOKEN says nobody is already awake.
 * WOKEN never outlives the last awake waiter: a waiter clears it in the
 * very CAS that fixes the value it parks on, and when it leaves (owner or
 * timed out), so a skipped wake-up always has an awake waiter behind it.
 *
 * Why release loads before its CAS, and not a blind CAS/xchg/fetch_sub:
 * measured (bench_lock --quick, 5-13 interleaved runs each, 2 CPUs,
 * median ns per section at T=2/4/8/16): this release 58/45/37/38; a
 * release that first tries CAS LOCKED -> 0 without loading 67/56/48/48;
 * that plus the same guess for registration 62/50/47/48. Under contention
 * a waiter is registered, the guess fails, and a failed CAS still takes
 * the line for writing. An unconditional xchg/fetch_sub/btr cannot keep
 * the count and fairness bits, would corrupt a destroyed or unlocked word,
 * and would need a second access to decide the wake-up, when the freed
 * lock may already be destroyed. The T=2 gap to glibc/GLib (same runs:
 * 46 and 36 ns) goes with how often ownership changes hands (a separate
 * 2-thread run, per 1000 sections: ~300 here, ~240 glibc, ~135 GLib):
 * nearly every futex wait of a waiter returns at once (under 3 us),
 * since the owner keeps flipping LOCKED in the word it parks on, so the
 * waiter stays awake and takes the lock whenever it sees it free.
 *
 * Memory orders: the RMW that gives ownership (fetch_or, or a waiter's CAS
 * setting LOCKED or clearing HANDOFF) is acquire; the CAS of release is
 * release, so critical sections are ordered, also across a hand-off.
 * Registration, WOKEN/STARVING bookkeeping and the loads that only choose
 * the next CAS are relaxed: they carry no data.
 */
#include "internal.h"

enum { LOCKED = 1u, HANDOFF = 2u, WOKEN = 4u, STARVING = 8u, W = 16u };
#define DEAD 0xffffffffu

/* No spinning: on the 2-core machine the library is tuned on, spinning
 * waiters only stole the cache line from the running owner (a counter
 * under 2..16 threads went 1.5-3x slower with 64 spins before parking);
 * waiters park at once, as glibc's default mutex does.
 * Eventual fairness: a waiter that has waited STARVE_NS and lost the race
 * STARVE_LOST times after being woken asks for a hand-off. A hand-off
 * idles the lock while the woken thread is scheduled (15 us, up to
 * ~100 us on a loaded VM), and at T=2 it also puts the old owner to
 * sleep; with a 1 ms threshold that cost up to half the throughput of
 * the lock-counter benchmark, with 4 ms it is lost in the noise. So
 * nobody waits much longer than a few milliseconds, and throughput
 * stays that of a barging lock. */
enum { STARVE_LOST = 2 };
#define STARVE_NS 4000000

static bool cas(_Atomic uint32_t *w, uint32_t *expected, uint32_t desired,
                memory_order success) {
    return atomic_compare_exchange_weak_explicit(w, expected, desired, success,
                                                 memory_order_relaxed);
}

/* One attempt: set LOCKED whatever the other bits say. If it was already
 * set nothing changed (DEAD has every bit set, so it stays DEAD). Newcomers
 * may barge past registered waiters here; while a waiter starves the lock
 * is handed off without ever being free, so they cannot.
 * acquire: pairs with the release that cleared LOCKED. */
static inline bool grab(ct_lock *lock) {
    return !(
        atomic_fetch_or_explicit(&lock->state, LOCKED, memory_order_acquire) &
        LOCKED);
}

/* A try (timeout 0) whose grab() failed. */
static CT_COLD int try_failed(ct_lock *lock) {
    /* relaxed: only tells DEAD from held */
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    return s == DEAD ? CT_ESTATE : CT_ETIMEDOUT;
}

/* The waiter leaves holding the lock: `s` has LOCKED clear, or HANDOFF set. */
static uint32_t take_as_waiter(uint32_t s) {
    uint32_t n = ((s | LOCKED) & ~(HANDOFF | WOKEN)) - W;
    if (n < W)
        n &= ~STARVING; /* nobody left to starve */
    return n;
}

static CT_COLD int acquire_slow(ct_lock *lock, const ct_deadline *dl) {
    _Atomic uint32_t *w = &lock->state;
    int pf = ct__park_flags(lock->flags) | CT_PARK_NOSPIN;
    /* relaxed: every decision below is confirmed by a CAS */
    uint32_t s = atomic_load_explicit(w, memory_order_relaxed);

    /* Register as a waiter (relaxed: bookkeeping only). */
    for (;;) {
        if (s == DEAD)
            return CT_ESTATE;
        if (!(s & (LOCKED | STARVING))) {
            /* acquire: we own it without registering */
            if (cas(w, &s, s | LOCKED, memory_order_acquire))
                return 0;
        } else if (cas(w, &s, s + W, memory_order_relaxed)) {
            s += W;
            break;
        }
    }

    int lost = 0; /* wake-ups after which someone else had the lock */
    int64_t since = ct__now_ns();
    bool starving = false;
    for (;;) {
        if ((s & HANDOFF) || !(s & LOCKED)) {
            if (cas(w, &s, take_as_waiter(s), memory_order_acquire))
                return 0;
            continue;
        }
        if (!starving && lost >= STARVE_LOST)
            starving = ct__now_ns() - since >= STARVE_NS;
        uint32_t park = (s & ~WOKEN) | (starving ? STARVING : 0);
        if (park != s) {
            if (!cas(w, &s, park, memory_order_relaxed))
                continue;
            s = park;
        }
        if (ct_park_wait(w, s, dl, pf) == CT_ETIMEDOUT)
            break;
        s = atomic_load_explicit(w, memory_order_relaxed);
        lost += (s & (LOCKED | HANDOFF)) == LOCKED;
    }

    /* Timed out: a last look, then deregister. */
    s = atomic_load_explicit(w, memory_order_relaxed);
    for (;;) {
        if ((s & HANDOFF) || !(s & LOCKED)) {
            if (cas(w, &s, take_as_waiter(s), memory_order_acquire))
                return 0;
            continue;
        }
        uint32_t n = (s & ~WOKEN) - W;
        if (n < W)
            n &= ~STARVING;
        /* relaxed: we leave without touching the protected data; the lock
         * is LOCKED, so its holder's release wakes the next waiter (WOKEN
         * is clear). */
        if (cas(w, &s, n, memory_order_relaxed))
            return CT_ETIMEDOUT;
    }
}

int ct__lock_acquire_until(ct_lock *lock, const ct_deadline *dl) {
    if (CT_LIKELY(grab(lock)))
        return 0;
    if (!ct_deadline_is_never(dl) && ct_deadline_expired(dl))
        return try_failed(lock);
    return acquire_slow(lock, ct_deadline_is_never(dl) ? NULL : dl);
}

int ct_lock_acquire(ct_lock *lock, double timeout) {
    if (CT_UNLIKELY(!lock))
        return CT_EINVAL;
    if (CT_LIKELY(timeout == CT_FOREVER)) {
        if (CT_LIKELY(grab(lock)))
            return 0;
        return acquire_slow(lock, NULL);
    }
    if (isnan(timeout))
        return CT_EINVAL;
    if (timeout < 0)
        return CT_EVALUE;
    if (timeout == 0)
        return CT_LIKELY(grab(lock)) ? 0 : try_failed(lock);
    ct_deadline dl;
    ct_deadline_init(&dl, timeout, CT_NEG_REJECT);
    return ct__lock_acquire_until(lock, &dl);
}

/* After the releasing CAS the lock may already have been taken by an
 * awake waiter, released, destroyed and freed by its owner: only the
 * address may be used here (the kernel tolerates a wake on a word that
 * is gone), never the lock's memory, so `pf` was read before the CAS. */
static CT_COLD void wake_one(_Atomic uint32_t *w, int pf) {
    ct_park_wake(w, 1, pf);
}

int ct_lock_release(ct_lock *lock) {
    if (CT_UNLIKELY(!lock))
        return CT_EINVAL;
    _Atomic uint32_t *w = &lock->state;
    int pf = ct__park_flags(lock->flags); /* before the lock can be freed */
    /* relaxed: the CAS below is the release */
    uint32_t s = atomic_load_explicit(w, memory_order_relaxed);
    for (;;) {
        uint32_t n;
        bool wake = false;
        if (CT_UNLIKELY(!(s & LOCKED) || s == DEAD))
            return s == DEAD ? CT_ESTATE : CT_EPERM;
        if (CT_LIKELY(s < W)) {
            n = 0; /* nobody registered */
        } else if (s & HANDOFF) {
            /* Released on behalf of the waiter it was handed to (any
             * thread may release a Lock): free it; that waiter is awake
             * and will take it. */
            n = s & ~(LOCKED | HANDOFF);
        } else if (s & STARVING) {
            n = (s | HANDOFF | WOKEN) & ~STARVING;
            wake = true;
        } else if (s & WOKEN) {
            n = s & ~LOCKED; /* an awake waiter will look again */
        } else {
            n = (s & ~LOCKED) | WOKEN;
            wake = true;
        }
        /* release: publishes the critical section to the next owner */
        if (CT_LIKELY(cas(w, &s, n, memory_order_release))) {
            if (wake)
                wake_one(w, pf);
            return 0;
        }
    }
}

bool ct_lock_locked(const ct_lock *lock) {
    if (!lock)
        return false;
    /* relaxed: a snapshot, as Python's locked() */
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    return s != DEAD && (s & LOCKED);
}

int ct_lock_init(ct_lock *lock, int flags) {
    if (!lock || (flags & ~CT_PSHARED))
        return CT_EINVAL;
    lock->flags = (uint32_t)flags;
    /* relaxed: the lock is not shared yet; publishing it is the caller's */
    atomic_store_explicit(&lock->state, 0, memory_order_relaxed);
    return 0;
}

int ct_lock_destroy(ct_lock *lock) {
    if (!lock)
        return CT_EINVAL;
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    do {
        if (s == DEAD)
            return 0;
        if ((s & LOCKED) || s >= W)
            return CT_ESTATE;
        /* acquire: everything done under the lock happens before destroy */
    } while (!cas(&lock->state, &s, DEAD, memory_order_acquire));
    return 0;
}

uint32_t ct__lock_waiters(const ct_lock *lock) {
    /* relaxed: a snapshot for tests */
    uint32_t s = atomic_load_explicit(&lock->state, memory_order_relaxed);
    return s == DEAD ? 0 : s / W;
}
