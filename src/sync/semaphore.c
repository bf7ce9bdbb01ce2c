/* Semaphore and BoundedSemaphore (threading.Semaphore, BoundedSemaphore).
 *
 * Two 32-bit words, 8 bytes:
 *
 *   value    bits 0..30: the number of permits, 0..CT_SEMAPHORE_MAX;
 *            bit 31 SLEEPERS: a thread may sleep on `value` (set by the
 *            sleepers, cleared by the last one to leave the slow path).
 *            Sleepers park on this word. DEAD (all ones, a count above
 *            MAX) marks a destroyed semaphore: every call answers
 *            CT_EINVAL.
 *   waiters  bit 0: CT_PSHARED (fixed at init);
 *            bits 1..31: the number of threads in the slow path that may
 *            sleep (each adds 2 before its first look, removes 2 on leaving).
 *
 *   acquire:  count > 0 --CAS v -> v-1 (acquire, bit kept)--> got it
 *             count 0   --spin a little, then waiters += 2, set SLEEPERS
 *                         (CAS), park(&value, v|SLEEPERS)--> look again;
 *                         on leaving: waiters -= 2, and the last one out
 *                         clears SLEEPERS (then wakes everybody if a
 *                         newcomer registered meanwhile: it may have
 *                         parked on the word with the bit)
 *   release:  v --CAS v -> v+n (release, bit kept)--> if v had SLEEPERS:
 *                         wake n sleepers of &value
 *
 * No lost wake-up: a sleeper parks only on a word that has SLEEPERS, and
 * release() learns the bit from its own CAS, so one modification order
 * decides: either release sees the bit and wakes, or the sleeper's CAS
 * or the kernel's check sees the new count. The bit stays set while any
 * thread is registered; clearing it is a Dekker pair (seq_cst on both
 * sides): the last leaver clears the bit and then reads `waiters`, a
 * newcomer raises `waiters` and then reads `value`, so either the
 * newcomer sets the bit again itself or the leaver sees it and wakes it.
 * A woken waiter always re-reads `value` before leaving, even when its
 * deadline passed at the same moment, so a wake-up is never swallowed by
 * a thread that then times out with a permit lying unused.
 *
 * After its CAS, release() reads nothing: the thread that takes the
 * permit may destroy and free the semaphore at once (the futex wake on
 * the address is harmless then: it wakes nobody, or spuriously).
 * Releasers wake only when someone may sleep: the uncontended hand-off is
 * one CAS on each side and no system call.
 */
#include "internal.h"

enum {
    DEAD = 0xffffffffu,
    SLEEPERS = 0x80000000u, /* in `value` */
    COUNT = 0x7fffffffu,    /* the permits in `value` */
    SLEEPER = 2             /* one unit of `waiters` */
};

/* Destroyed, or statically initialised with a bad value. */
static inline bool unusable(uint32_t v) {
    return (v & COUNT) > CT_SEMAPHORE_MAX;
}

/* ------------------------------------------------ adaptive spinning */

/* Looks cost ~24 ns each here (one ct__relax): the full budget spins
 * ~12 us, about one sleeping hand-off; the floor ~0.2 us. Tunable at build
 * time for experiments. */
#ifndef CT_SPIN_MAX
#define CT_SPIN_MAX 512
#endif
#ifndef CT_SPIN_MIN
#define CT_SPIN_MIN 8
#endif
#ifndef CT_SPIN_PROBE
#define CT_SPIN_PROBE 64
#endif
enum {
    SPIN_MIN = CT_SPIN_MIN,
    SPIN_MAX = CT_SPIN_MAX,
    PROBE_EVERY = CT_SPIN_PROBE
};

static _Thread_local uint32_t spin_budget = SPIN_MAX;
static _Thread_local uint32_t spin_calls;

uint32_t ct__spin_budget(void) {
    if (!ct__multi_cpu())
        return 0;
    return (++spin_calls % PROBE_EVERY == 0) ? SPIN_MAX : spin_budget;
}

void ct__spin_result(bool won) {
    if (won)
        spin_budget = spin_budget * 2 > SPIN_MAX ? SPIN_MAX : spin_budget * 2;
    else
        spin_budget = spin_budget / 2 < SPIN_MIN ? SPIN_MIN : spin_budget / 2;
}

/* ------------------------------------------------------- semaphore */

static int check_flags(int flags) {
    return (flags & ~CT_PSHARED) ? CT_EINVAL : 0;
}

static int sem_init(ct_semaphore *sem, int value, int flags) {
    if (!sem || check_flags(flags))
        return CT_EINVAL;
    if (value < 0 || value > CT_SEMAPHORE_MAX)
        return CT_EVALUE;
    /* relaxed: nobody may use the semaphore while it is initialised */
    atomic_store_explicit(&sem->value, (uint32_t)value, memory_order_relaxed);
    atomic_store_explicit(&sem->waiters, (uint32_t)flags, memory_order_relaxed);
    return 0;
}

static int sem_destroy(ct_semaphore *sem) {
    if (!sem)
        return CT_EINVAL;
    /* relaxed: destroy racing with use is the caller's bug; this only
     * catches the visible misuse of destroying under sleepers */
    if (unusable(atomic_load_explicit(&sem->value, memory_order_relaxed)))
        return CT_EINVAL;
    if (atomic_load_explicit(&sem->waiters, memory_order_relaxed) >= SLEEPER)
        return CT_ESTATE;
    atomic_store_explicit(&sem->value, DEAD, memory_order_relaxed);
    return 0;
}

/* One attempt loop on the permits: 0 taken, CT_ETIMEDOUT none, CT_EINVAL
 * destroyed. Retries while permits exist (a failed CAS is contention, not
 * absence). */
static inline int try_take(ct_semaphore *sem) {
    /* relaxed: the CAS below carries the acquire */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    while (v & COUNT) {
        if (CT_UNLIKELY(unusable(v)))
            return CT_EINVAL;
        if (atomic_compare_exchange_weak_explicit(&sem->value, &v, v - 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    }
    return CT_ETIMEDOUT;
}

/* Leave the slow path; the last one out clears SLEEPERS. */
static void leave_slow(ct_semaphore *sem, int flags) {
    /* seq_cst: orders this decrement before the read of `value` below */
    uint32_t w = atomic_fetch_sub_explicit(&sem->waiters, SLEEPER,
                                           memory_order_seq_cst) -
                 SLEEPER;
    if (w >= SLEEPER)
        return; /* others are registered: they keep the bit */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_seq_cst);
    while (v & SLEEPERS) {
        /* seq_cst: first half of the Dekker pair with a newcomer's
         * increment of `waiters` and read of `value` */
        if (atomic_compare_exchange_weak_explicit(
                &sem->value, &v, v & ~SLEEPERS, memory_order_seq_cst,
                memory_order_seq_cst)) {
            if (atomic_load_explicit(&sem->waiters, memory_order_seq_cst) >=
                SLEEPER)
                ct_park_wake(&sem->value, CT_PARK_ALL, flags);
            return;
        }
    }
}

static CT_COLD int acquire_slow(ct_semaphore *sem, const ct_deadline *d) {
    for (uint32_t i = 0, n = ct__spin_budget(); i < n; i++) {
        ct__relax();
        /* relaxed: a hint; try_take re-reads with its own order */
        if (atomic_load_explicit(&sem->value, memory_order_relaxed) & COUNT) {
            int rc = try_take(sem);
            if (rc != CT_ETIMEDOUT) {
                ct__spin_result(true);
                return rc;
            }
        }
    }
    ct__spin_result(false);
    /* seq_cst: second half of the Dekker pair in leave_slow() */
    uint32_t w =
        atomic_fetch_add_explicit(&sem->waiters, SLEEPER, memory_order_seq_cst);
    int pflags = ct__park_flags(w);
    bool timed_out = false;
    int rc;
    for (;;) {
        /* seq_cst: the Dekker pair's read */
        uint32_t v = atomic_load_explicit(&sem->value, memory_order_seq_cst);
        if (v & COUNT) {
            rc = try_take(sem);
            if (rc != CT_ETIMEDOUT)
                break;
            continue;
        }
        if (timed_out) {
            rc = CT_ETIMEDOUT;
            break;
        }
        if (!(v & SLEEPERS)) {
            /* relaxed: the bit shares the word with the count, whose
             * modification order alone decides who sees whom */
            if (!atomic_compare_exchange_strong_explicit(
                    &sem->value, &v, v | SLEEPERS, memory_order_relaxed,
                    memory_order_relaxed))
                continue;
            v |= SLEEPERS;
        }
        if (ct_park_wait(&sem->value, v, d, pflags | CT_PARK_NOSPIN) ==
            CT_ETIMEDOUT)
            timed_out = true; /* look at `value` once more, then leave */
    }
    leave_slow(sem, pflags);
    return rc;
}

static int sem_acquire(ct_semaphore *sem, double timeout) {
    if (!sem || isnan(timeout))
        return CT_EINVAL;
    int rc = try_take(sem);
    if (CT_LIKELY(rc != CT_ETIMEDOUT) || timeout <= 0)
        return rc;
    ct_deadline d;
    rc = ct_deadline_init(&d, timeout, CT_NEG_EXPIRED);
    if (rc)
        return rc;
    return acquire_slow(sem, &d);
}

/* Add n permits without passing `limit`. */
static int sem_release(ct_semaphore *sem, int n, uint32_t limit) {
    if (!sem)
        return CT_EINVAL;
    if (n < 1)
        return CT_EVALUE;
    /* relaxed: only the CT_PSHARED bit is used, fixed at init; read
     * before the CAS, after which the semaphore may be gone */
    int flags = ct__park_flags(
        atomic_load_explicit(&sem->waiters, memory_order_relaxed));
    /* relaxed: the CAS below carries the order */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    do {
        if (unusable(v))
            return CT_EINVAL;
        if ((uint32_t)n > limit - (v & COUNT))
            return CT_EVALUE;
        /* release: publishes the releaser's writes with the permits; the
         * SLEEPERS bit comes from this same RMW */
    } while (!atomic_compare_exchange_weak_explicit(
        &sem->value, &v, v + (uint32_t)n, memory_order_release,
        memory_order_relaxed));
    if (v & SLEEPERS)
        ct_park_wake(&sem->value, n, flags);
    return 0;
}

static int sem_value(const ct_semaphore *sem) {
    if (!sem)
        return CT_EINVAL;
    /* relaxed: a snapshot, stale the moment it is read */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    return unusable(v) ? CT_EINVAL : (int)(v & COUNT);
}

/* ---------------------------------------------------------------- public */

int ct_semaphore_init(ct_semaphore *sem, int value, int flags) {
    return sem_init(sem, value, flags);
}

int ct_semaphore_destroy(ct_semaphore *sem) {
    return sem_destroy(sem);
}

int ct_semaphore_acquire(ct_semaphore *sem, double timeout) {
    return sem_acquire(sem, timeout);
}

int ct_semaphore_release(ct_semaphore *sem, int n) {
    return sem_release(sem, n, CT_SEMAPHORE_MAX);
}

int ct_semaphore_value(const ct_semaphore *sem) {
    return sem_value(sem);
}

int ct_bounded_semaphore_init(ct_bounded_semaphore *sem, int value, int flags) {
    if (!sem)
        return CT_EINVAL;
    int rc = sem_init(&sem->sem, value, flags);
    if (rc == 0)
        sem->initial = (uint32_t)value;
    return rc;
}

int ct_bounded_semaphore_destroy(ct_bounded_semaphore *sem) {
    return sem ? sem_destroy(&sem->sem) : CT_EINVAL;
}

int ct_bounded_semaphore_acquire(ct_bounded_semaphore *sem, double timeout) {
    return sem ? sem_acquire(&sem->sem, timeout) : CT_EINVAL;
}

int ct_bounded_semaphore_release(ct_bounded_semaphore *sem, int n) {
    if (!sem)
        return CT_EINVAL;
    /* A bad static initialiser may leave the bound above MAX. */
    uint32_t limit = sem->initial;
    if (limit > CT_SEMAPHORE_MAX)
        return CT_EINVAL;
    return sem_release(&sem->sem, n, limit);
}

int ct_bounded_semaphore_value(const ct_bounded_semaphore *sem) {
    return sem ? sem_value(&sem->sem) : CT_EINVAL;
}
