/* Lock: one 64-bit word, a futex-style mutex with eventual fairness.
 *
 * The word (ct_lock.word) has two 32-bit halves. Waiters park on the high
 * half (the "park half") only, so the owner can take and drop the lock
 * (the low half) as often as it likes without disturbing them: a parked
 * waiter sleeps until a release that wakes someone changes the park half.
 *
 *   low half, the lock:
 *     bit 0      LOCKED    someone holds the lock
 *     bit 1      HANDOFF   the releaser passed the lock (LOCKED stays set)
 *                          straight to the registered waiters; the first
 *                          to see it owns it
 *     bit 2      SPINNING  a registered waiter is spinning (awake, will
 *                          look again), so a releaser need not wake one
 *     bits 3..31 count     waiters registered to park (unit W)
 *   high half, the park half (the futex word):
 *     bit 32     SHARED    initialised CT_PSHARED (never changes)
 *     bit 33     WOKEN     a waiter was woken and will look at the word
 *                          again, so a releaser need not wake another one
 *     bit 34     STARVING  a waiter waited STARVE_NS and lost the race
 *                          STARVE_LOST times after being woken: the next
 *                          release hands the lock off
 *     bits 35..  seq       bumped by every release that wakes (unit SEQ)
 *   all ones     DEAD      destroyed: every call returns CT_ESTATE
 *
 *   acquire  fast:  fetch_or(LOCKED); LOCKED was clear -> owner (one RMW,
 *                   whatever the waiter bits say: newcomers may barge)
 *            slow:  register (CAS count += W, or take the lock if it is
 *                   free and nobody starves), then loop:
 *                     not LOCKED, or HANDOFF and not the spinner
 *                            -> CAS: LOCKED, clear HANDOFF, WOKEN (and our
 *                               SPINNING), count -= W: owner
 *                     LOCKED, nobody else SPINNING, spin budget left
 *                            -> CAS set SPINNING once; wait a gap; look again
 *                     LOCKED -> CAS: clear WOKEN and our SPINNING (maybe
 *                               set STARVING), and park on the park half
 *                               expecting its value; after a wake-up the
 *                               spin budget starts again
 *            timeout: one last look (take a free or handed-off lock), else
 *                   CAS count -= W, clear WOKEN and our SPINNING, return
 *                   CT_ETIMEDOUT.
 *
 *   release  (one CAS, chosen from the value read):
 *              count == 0  -> clear LOCKED               (no syscall)
 *              HANDOFF     -> clear LOCKED|HANDOFF (a third thread released
 *                             a lock handed to a waiter; the waiter is
 *                             awake and takes it free)
 *              STARVING    -> keep LOCKED, set HANDOFF|WOKEN, clear
 *                             STARVING, seq += 1, then wake 1
 *              WOKEN or SPINNING -> clear LOCKED         (no syscall)
 *              else        -> clear LOCKED, set WOKEN, seq += 1, wake 1
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
 * No lost wake-up: a waiter parks expecting the park half it read (or
 * wrote) in the same 64-bit value that showed LOCKED. A release after that
 * either finds WOKEN or SPINNING set (another waiter is awake and will
 * look again) or sets WOKEN and bumps seq in its own CAS, so the park half
 * differs from what the waiter expects before the wake-up is sent: the
 * kernel either finds the waiter asleep and wakes one, or refuses to put
 * it to sleep. WOKEN never outlives the last awake waiter: a waiter clears
 * it in the very CAS that fixes the value it parks on, and when it leaves
 * (owner or timed out), so a skipped wake-up always has an awake waiter
 * behind it. SPINNING is set and cleared by one waiter only, the spinner,
 * in the CAS that parks it, gives it the lock or deregisters it, so while
 * it is set someone awake will look again. A newcomer cannot tell whether
 * WOKEN was set for itself (a wake-up that found nobody asleep yet), so it
 * never parks behind WOKEN: it clears WOKEN as it parks. (A version that
 * let newcomers park behind a set WOKEN deadlocked in bench_lock within
 * seconds.) seq has 29 bits: a waiter would sleep through a wake-up only
 * if 2^29 wake-ups came between its CAS and its futex call.
 *
 * Why two halves: with one 32-bit word (the previous design) waiters
 * parked on the word whose LOCKED bit the owner keeps flipping, so a
 * parked waiter's futex wait returned whenever the owner had taken or
 * dropped the lock meanwhile. With the halves a sleeper sleeps until a
 * release wakes it. The halves alone did not make the lock faster (T=2
 * counter, t3-style runs: 72-80 ns against 54-60 for the one-word lock):
 * the owner's next release woke the waiter that had just parked, every
 * time. The spin phase below is what made the difference; the halves keep
 * the other waiters asleep while one spins.
 *
 * Why release loads before its CAS, and not a blind CAS/xchg/fetch_sub:
 * under contention a waiter is registered, a guessed CAS fails, and a
 * failed CAS still takes the line for writing (measured slower at every
 * T); an unconditional xchg/fetch_sub cannot keep the count and fairness
 * bits, would corrupt a destroyed or unlocked word, and would need a
 * second access to decide the wake-up, when the freed lock may already
 * be destroyed. Everything release needs (the park flags, whether to
 * wake) comes from the value its CAS replaced; afterwards only the
 * address is used.
 *
 * Memory orders: the RMW that gives ownership (fetch_or, or a waiter's CAS
 * setting LOCKED or clearing HANDOFF) is acquire; the CAS of release is
 * release, so critical sections are ordered, also across a hand-off.
 * Registration, WOKEN/STARVING bookkeeping and the loads that only choose
 * the next CAS are relaxed: they carry no data.
 */
#include "internal.h"

#define LOCKED CT__LOCK_LOCKED
#define HANDOFF CT__LOCK_HANDOFF
#define W CT__LOCK_W
#define SPINNING CT__LOCK_SPINNING
#define COUNT ((uint64_t)0xfffffff8u) /* the count bits of the low half */
#define SHARED CT__LOCK_SHARED
#define WOKEN CT__LOCK_WOKEN
#define STARVING CT__LOCK_STARVING
#define SEQ CT__LOCK_SEQ
#define DEAD UINT64_MAX

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
               "the Lock word must be a lock-free 64-bit atomic");

/* Spinning, then parking. A waiter first spins for up to SPIN_NS as the
 * awake waiter (WOKEN set, so releases make no system call), looking at
 * the word after gaps of SPIN_GAP_MIN, doubling up to SPIN_GAP_MAX
 * (measured on the clock, ct__relax in between, so the same on every
 * CPU): it notices a lock freed within ~2x the time it was held, for holds
 * up to ~8 us (a futex wake-up alone costs 15-100 us on the VM measured,
 * 2-5 us on bare metal). A waiter that read the word continuously, or
 * parked at once and was woken by the next release, kept taking the cache
 * line from the running owner and took the lock whenever its look came
 * in the owner's short free window, so ownership (and the data's cache
 * lines) changed hands ~200 times per 1000 sections. Measured on 2 vCPUs
 * (a counter under 2-16 threads, as bench_lock, 4-5 runs each, ns per
 * section): parking at once 65-90 at T=2 (pthread 23-42, GLib 30-43 in
 * the same runs); gaps of 0.1-1.5 us 13-17; gaps of 1-8 us 11-13 at
 * T=2..16, with 6-12 changes of hands per 1000. After the budget the
 * waiter parks until a release wakes it, and spins again after every
 * wake-up. No spinning on a single CPU.
 * Eventual fairness: a waiter that has waited STARVE_NS and lost the race
 * STARVE_LOST times after being woken asks for a hand-off. A hand-off
 * idles the lock while the woken thread is scheduled (15 us, up to
 * ~100 us on a loaded VM), and at T=2 it also puts the old owner to
 * sleep; with a 1 ms threshold that cost up to half the throughput of
 * the lock-counter benchmark, with 4 ms it is lost in the noise. A
 * starving waiter does not spin. This bounds waits only loosely: a
 * waiter asks only when it runs (after a wake-up, or after an ADOPT_NS
 * nap behind a spinner), the hand-off goes to whichever waiter looks
 * first, and a newcomer whose fast path failed may take it too. A review
 * measured the longest single acquire at 16 threads on 2 CPUs: 172 ms,
 * the same as glibc's mutex in the same test. Throughput stays that of
 * a barging lock. */
#define SPIN_NS 20000     /* spin budget after arriving or being woken */
#define SPIN_GAP_MIN 1000 /* ns between looks: first gap ... */
#define SPIN_GAP_MAX 8000 /* ... doubling up to this one */
#define ADOPT_NS 4000000  /* longest sleep behind another's SPINNING */
enum { STARVE_LOST = 2 };
#define STARVE_NS 4000000

static bool cas(_Atomic uint64_t *w, uint64_t *expected, uint64_t desired,
                memory_order success) {
    return atomic_compare_exchange_weak_explicit(w, expected, desired, success,
                                                 memory_order_relaxed);
}

/* The futex word: the park half of `w`. */
static _Atomic uint32_t *park_half(_Atomic uint64_t *w) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (_Atomic uint32_t *)((char *)w + 4);
#else
    return (_Atomic uint32_t *)w;
#endif
}

/* Spinning pays only with another CPU to run the owner, and only a
 * private lock spins: a spinner in another process could die holding
 * SPINNING, and nobody in this process would adopt it quickly. */
static bool can_spin(uint64_t s) {
    return !(s & SHARED) && ct__multi_cpu();
}

/* One attempt: set LOCKED whatever the other bits say. If it was already
 * set nothing changed (DEAD has every bit set, so it stays DEAD). Newcomers
 * may barge past registered waiters here; while a waiter starves the lock
 * is handed off without ever being free, so their fast path cannot (a
 * newcomer whose fast path failed registers, and may take the hand-off).
 * acquire: pairs with the release that cleared LOCKED. */
static inline bool grab(ct_lock *lock) {
    return !(
        atomic_fetch_or_explicit(&lock->word, LOCKED, memory_order_acquire) &
        LOCKED);
}

/* A try (timeout 0) whose grab() failed. */
static CT_COLD int try_failed(ct_lock *lock) {
    /* relaxed: only tells DEAD from held */
    uint64_t s = atomic_load_explicit(&lock->word, memory_order_relaxed);
    return s == DEAD ? CT_ESTATE : CT_ETIMEDOUT;
}

/* A registered waiter leaves: count -= W, and STARVING goes with the last
 * one (nobody left to starve). */
static uint64_t deregister(uint64_t s) {
    uint64_t n = s - W;
    if (!(n & COUNT))
        n &= ~STARVING;
    return n;
}

/* The waiter leaves holding the lock: `s` has LOCKED clear, or HANDOFF set.
 * `mine` is SPINNING if we are the spinner, else 0. */
static uint64_t take_as_waiter(uint64_t s, uint64_t mine) {
    return deregister((s | LOCKED) & ~(HANDOFF | WOKEN | mine));
}

/* Let about `gap` ns pass without touching the lock; returns the time. */
static int64_t spin_gap(int64_t gap) {
    int64_t now = ct__now_ns(), end = now + gap;
    while (now < end) {
        for (int i = 0; i < 4; i++)
            ct__relax();
        now = ct__now_ns();
    }
    return now;
}

static CT_COLD int acquire_slow(ct_lock *lock, const ct_deadline *dl) {
    _Atomic uint64_t *w = &lock->word;
    /* relaxed: every decision below is confirmed by a CAS */
    uint64_t s = atomic_load_explicit(w, memory_order_relaxed);
    int pf = ct__lock_word_park_flags(s) | CT_PARK_NOSPIN;

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
    bool may_spin = can_spin(s);
    int64_t spin_end = since + SPIN_NS, gap = SPIN_GAP_MIN;
    uint64_t mine = 0; /* SPINNING while we are the spinner */
    for (;;) {
        /* Every waiter takes a hand-off, the spinner too: nobody may park
         * on a lock handed to the waiters (it has no owner to wake us). */
        if (!(s & LOCKED) || (s & HANDOFF)) {
            if (cas(w, &s, take_as_waiter(s, mine), memory_order_acquire))
                return 0;
            continue;
        }
        if (!starving && lost >= STARVE_LOST)
            starving = ct__now_ns() - since >= STARVE_NS;
        if (may_spin && !starving && (mine || !(s & SPINNING))) {
            if (!mine) { /* become the spinner: releases skip wake-ups */
                if (!cas(w, &s, s | SPINNING, memory_order_relaxed))
                    continue;
                s |= SPINNING;
                mine = SPINNING;
            }
            may_spin = spin_gap(gap) < spin_end;
            gap = gap * 2 > SPIN_GAP_MAX ? SPIN_GAP_MAX : gap * 2;
            if (dl && ct_deadline_expired(dl))
                break;
            s = atomic_load_explicit(w, memory_order_relaxed);
            continue;
        }
        /* Park: WOKEN may have been for us, SPINNING is ours if `mine`. */
        uint64_t park = (s & ~(WOKEN | mine)) | (starving ? STARVING : 0);
        if (park != s) {
            if (!cas(w, &s, park, memory_order_relaxed))
                continue;
            s = park;
        }
        mine = 0;
        /* Behind another waiter's SPINNING, sleep at most ADOPT_NS: that
         * spinner normally clears it within ~30 us, but one that is gone
         * (the parent's thread after fork) or preempted for long would
         * keep every release from waking us. Still set when we wake:
         * we adopt it (we spin, and we clear it). The periodic look also
         * counts towards STARVING. */
        ct_deadline nap = {INT64_MAX};
        if (s & SPINNING) {
            nap.ns = ct__now_ns() + ADOPT_NS;
            if (dl && dl->ns < nap.ns)
                nap = *dl;
        } else if (dl) {
            nap = *dl;
        }
        int r = ct_park_wait(park_half(w), (uint32_t)(s >> 32),
                             ct_deadline_is_never(&nap) ? NULL : &nap, pf);
        if (r == CT_ETIMEDOUT && dl && ct_deadline_expired(dl))
            break;
        s = atomic_load_explicit(w, memory_order_relaxed);
        lost += (s & (LOCKED | HANDOFF)) == LOCKED;
        if (r == CT_ETIMEDOUT && (s & SPINNING))
            mine = SPINNING; /* adopted */
        may_spin = can_spin(s);
        spin_end = ct__now_ns() + SPIN_NS;
        gap = SPIN_GAP_MIN;
    }

    /* Timed out: a last look, then deregister. */
    s = atomic_load_explicit(w, memory_order_relaxed);
    for (;;) {
        if ((s & HANDOFF) || !(s & LOCKED)) {
            if (cas(w, &s, take_as_waiter(s, mine), memory_order_acquire))
                return 0;
            continue;
        }
        /* relaxed: we leave without touching the protected data; the lock
         * is LOCKED, so its holder's release wakes the next waiter (WOKEN
         * and our SPINNING are clear). */
        if (cas(w, &s, deregister(s & ~(WOKEN | mine)), memory_order_relaxed))
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
 * is gone), never the lock's memory, so the flags come from the value the
 * CAS replaced. */
static CT_COLD void wake_one(_Atomic uint64_t *w, uint64_t s) {
    ct_park_wake(park_half(w), 1, ct__lock_word_park_flags(s));
}

int ct_lock_release(ct_lock *lock) {
    if (CT_UNLIKELY(!lock))
        return CT_EINVAL;
    _Atomic uint64_t *w = &lock->word;
    /* relaxed: the CAS below is the release */
    uint64_t s = atomic_load_explicit(w, memory_order_relaxed);
    for (;;) {
        uint64_t n;
        bool wake = false;
        if (CT_UNLIKELY(!(s & LOCKED) || s == DEAD))
            return s == DEAD ? CT_ESTATE : CT_EPERM;
        if (CT_LIKELY(!(s & COUNT))) {
            n = s & ~LOCKED; /* nobody registered */
        } else if (s & HANDOFF) {
            /* Released on behalf of the waiter it was handed to (any
             * thread may release a Lock): free it; that waiter is awake
             * and will take it. */
            n = s & ~(LOCKED | HANDOFF);
        } else if (s & STARVING) {
            n = ((s | HANDOFF | WOKEN) & ~STARVING) + SEQ;
            wake = true;
        } else if (s & (WOKEN | SPINNING)) {
            n = s & ~LOCKED; /* an awake waiter will look again */
        } else {
            n = ((s & ~LOCKED) | WOKEN) + SEQ;
            wake = true;
        }
        /* release: publishes the critical section to the next owner */
        if (CT_LIKELY(cas(w, &s, n, memory_order_release))) {
            if (wake)
                wake_one(w, s);
            return 0;
        }
    }
}

bool ct_lock_locked(const ct_lock *lock) {
    if (!lock)
        return false;
    /* relaxed: a snapshot, as Python's locked() */
    uint64_t s = atomic_load_explicit(&lock->word, memory_order_relaxed);
    return s != DEAD && (s & LOCKED);
}

int ct_lock_init(ct_lock *lock, int flags) {
    if (!lock || (flags & ~CT_PSHARED))
        return CT_EINVAL;
    /* relaxed: the lock is not shared yet; publishing it is the caller's */
    atomic_store_explicit(&lock->word, (flags & CT_PSHARED) ? SHARED : 0,
                          memory_order_relaxed);
    return 0;
}

int ct_lock_destroy(ct_lock *lock) {
    if (!lock)
        return CT_EINVAL;
    uint64_t s = atomic_load_explicit(&lock->word, memory_order_relaxed);
    do {
        if (s == DEAD)
            return 0;
        if (s & (LOCKED | COUNT))
            return CT_ESTATE;
        /* acquire: everything done under the lock happens before destroy */
    } while (!cas(&lock->word, &s, DEAD, memory_order_acquire));
    return 0;
}

uint32_t ct__lock_waiters(const ct_lock *lock) {
    /* relaxed: a snapshot for tests */
    uint64_t s = atomic_load_explicit(&lock->word, memory_order_relaxed);
    return s == DEAD ? 0 : (uint32_t)((s & COUNT) / W);
}
