/* Semaphore and BoundedSemaphore (threading.Semaphore, BoundedSemaphore).
 *
 * Two 32-bit words, 8 bytes:
 *
 *   value    the number of permits, 0..CT_SEMAPHORE_MAX. Sleepers park on
 *            this word with expected value 0. DEAD (all ones, above MAX)
 *            marks a destroyed semaphore: every call answers CT_EINVAL.
 *   waiters  bit 0: CT_PSHARED (fixed at init);
 *            bits 1..31: the number of threads in the slow path that may
 *            sleep (each adds 2 before its first look, removes 2 on leaving).
 *
 *   acquire:  value v > 0 --CAS v -> v-1 (acquire)--> got it
 *             value 0     --spin a little, then waiters += 2, re-read
 *                           value, park(&value, 0)--> look again
 *   release:  value v     --CAS v -> v+n (seq_cst)--> if waiters >= 2:
 *                           wake n sleepers of &value
 *
 * No lost wake-up (a Dekker pair, both sides seq_cst): a waiter raises
 * `waiters` and then reads `value`; a releaser raises `value` and then
 * reads `waiters`. Either the waiter sees the permit, or the releaser sees
 * the waiter and wakes it; and the kernel sleeps only while value == 0.
 * A woken waiter always re-reads `value` before leaving, even when its
 * deadline passed at the same moment, so a wake-up is never swallowed by
 * a thread that then times out with a permit lying unused.
 *
 * Releasers wake only when someone may sleep: the uncontended hand-off is
 * one CAS on each side and no system call.
 */
#include "internal.h"

enum {
    DEAD = 0xffffffffu,
    SLEEPER = 2 /* one unit of `waiters` */
};

/* ------------------------------------------------ adaptive spinning */

/* Looks cost ~24 ns each here (one ct_cpu_relax): the full budget spins
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
    static _Atomic int single_cpu = -1; /* unknown yet */
    /* relaxed: a cached, idempotent answer */
    int one = atomic_load_explicit(&single_cpu, memory_order_relaxed);
    if (CT_UNLIKELY(one < 0)) {
        one = ct_cpu_count() == 1;
        atomic_store_explicit(&single_cpu, one, memory_order_relaxed);
    }
    if (one)
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
    if (atomic_load_explicit(&sem->value, memory_order_relaxed) == DEAD)
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
    while (v != 0) {
        if (CT_UNLIKELY(v > CT_SEMAPHORE_MAX))
            return CT_EINVAL;
        if (atomic_compare_exchange_weak_explicit(&sem->value, &v, v - 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    }
    return CT_ETIMEDOUT;
}

static CT_COLD int acquire_slow(ct_semaphore *sem, const ct_deadline *d) {
    for (uint32_t i = 0, n = ct__spin_budget(); i < n; i++) {
        ct_cpu_relax();
        /* relaxed: a hint; try_take re-reads with its own order */
        if (atomic_load_explicit(&sem->value, memory_order_relaxed) != 0) {
            int rc = try_take(sem);
            if (rc != CT_ETIMEDOUT) {
                ct__spin_result(true);
                return rc;
            }
        }
    }
    ct__spin_result(false);
    /* seq_cst: first half of the Dekker pair with release() */
    uint32_t w =
        atomic_fetch_add_explicit(&sem->waiters, SLEEPER, memory_order_seq_cst);
    int flags = ct__park_flags(w) | CT_PARK_NOSPIN;
    bool timed_out = false;
    int rc;
    for (;;) {
        /* seq_cst: second half of the Dekker pair */
        uint32_t v = atomic_load_explicit(&sem->value, memory_order_seq_cst);
        if (v != 0) {
            rc = try_take(sem);
            if (rc != CT_ETIMEDOUT)
                break;
            continue;
        }
        if (timed_out) {
            rc = CT_ETIMEDOUT;
            break;
        }
        if (ct_park_wait(&sem->value, 0, d, flags) == CT_ETIMEDOUT)
            timed_out = true; /* look at `value` once more, then leave */
    }
    /* relaxed: only destroy() reads the count, and only as a check */
    atomic_fetch_sub_explicit(&sem->waiters, SLEEPER, memory_order_relaxed);
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
    /* relaxed: the CAS below carries the order */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    do {
        if (v > CT_SEMAPHORE_MAX)
            return CT_EINVAL;
        if ((uint32_t)n > limit - v)
            return CT_EVALUE;
        /* seq_cst: releases the permits and orders the read of `waiters`
         * after it (Dekker pair with acquire_slow) */
    } while (!atomic_compare_exchange_weak_explicit(
        &sem->value, &v, v + (uint32_t)n, memory_order_seq_cst,
        memory_order_relaxed));
    uint32_t w = atomic_load_explicit(&sem->waiters, memory_order_seq_cst);
    if (w >= SLEEPER)
        ct_park_wake(&sem->value, n, ct__park_flags(w));
    return 0;
}

static int sem_value(const ct_semaphore *sem) {
    if (!sem)
        return CT_EINVAL;
    /* relaxed: a snapshot, stale the moment it is read */
    uint32_t v = atomic_load_explicit(&sem->value, memory_order_relaxed);
    return v > CT_SEMAPHORE_MAX ? CT_EINVAL : (int)v;
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
