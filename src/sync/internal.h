/* src/sync/internal.h - what the sync layer shares with itself (never
 * installed). Names are ct__ and hidden. Part A (locks, conditions, once,
 * guards) and part B (semaphores, events, barriers) both add lines here. */
#ifndef CT_SYNC_INTERNAL_H
#define CT_SYNC_INTERNAL_H

#include "core/internal.h"
#include "cthreading/sync.h"

/* The kernel id of the calling thread (gettid), cached per thread. Unique
 * across processes, so it identifies an RLock owner in shared memory. */
CT_HIDDEN uint32_t ct__tid(void);

/* Park flags for a primitive initialised with `flags` (0 or CT_PSHARED). */
static inline int ct__park_flags(uint32_t flags) {
    return (flags & CT_PSHARED) ? CT_PARK_SHARED : CT_PARK_PRIVATE;
}

/* The Lock word's bits (see lock.c), for lock.c and white-box tests. */
#define CT__LOCK_LOCKED ((uint64_t)1)
#define CT__LOCK_HANDOFF ((uint64_t)2)
#define CT__LOCK_SPINNING ((uint64_t)4)
#define CT__LOCK_W ((uint64_t)8) /* one registered waiter */
#define CT__LOCK_SHARED ((uint64_t)1 << 32)
#define CT__LOCK_WOKEN ((uint64_t)1 << 33)
#define CT__LOCK_STARVING ((uint64_t)1 << 34)
#define CT__LOCK_SEQ ((uint64_t)1 << 35) /* one wake-up */
#define CT__LOCK_SEQ_MASK (~(CT__LOCK_SEQ - 1))

/* Park flags of a Lock word's value (private or shared). */
static inline int ct__lock_word_park_flags(uint64_t w) {
    return (w & CT__LOCK_SHARED) ? CT_PARK_SHARED : CT_PARK_PRIVATE;
}

/* Park flags of a Lock (private or shared, from its word). */
static inline int ct__lock_park_flags(const ct_lock *lock) {
    /* relaxed: the shared bit never changes after init */
    return ct__lock_word_park_flags(
        atomic_load_explicit(&lock->word, memory_order_relaxed));
}

/* Acquire `lock` before the absolute `deadline` (never NULL). Returns 0 or
 * CT_ETIMEDOUT (CT_ESTATE if destroyed). */
CT_HIDDEN int ct__lock_acquire_until(ct_lock *lock,
                                     const ct_deadline *deadline);

/* White box for tests: waiters registered on the lock word (parked or
 * about to park). A snapshot. */
CT_HIDDEN uint32_t ct__lock_waiters(const ct_lock *lock);

/* Python's RLock._recursion_count(): the depth if the caller owns it,
 * else 0. */
CT_HIDDEN uint32_t ct__rlock_recursion_count(const ct_rlock *rlock);

/* RLock internals for Condition.wait (Python's _release_save and
 * _acquire_restore): drop every level the caller holds, returning the
 * count in *count (CT_EPERM if the caller does not own it); then take it
 * back with that count (waits without limit). */
CT_HIDDEN int ct__rlock_release_save(ct_rlock *rlock, uint32_t *count);
CT_HIDDEN void ct__rlock_acquire_restore(ct_rlock *rlock, uint32_t count);

/* Adaptive spinning before parking, per thread (Semaphore, Event,
 * Barrier; defined in semaphore.c). ct__spin_budget() is how many looks
 * (each one ct__relax) to take before sleeping; ct__spin_result(won)
 * adapts it: a spin that saw what it waited for doubles the budget, one
 * that ended asleep halves it. Every 64th budget is the full one, so two
 * threads that fell into sleep/wake hand-offs find their way back to
 * spinning. 0 on a single CPU. */
CT_HIDDEN uint32_t ct__spin_budget(void);
CT_HIDDEN void ct__spin_result(bool won);

#endif
