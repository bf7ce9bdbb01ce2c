/* cthreading/sync.h - the sync layer: Lock, RLock, Condition, Semaphore,
 * BoundedSemaphore, Event, Barrier, once, lock ordering and scoped guards,
 * with the semantics and errors of Python's threading module.
 *
 * Every primitive is a plain struct the caller allocates: a static
 * initialiser (CT_LOCK_INIT, ...) or _init/_destroy; none allocates.
 * Initialised with CT_PSHARED and placed in memory shared between
 * processes (mmap MAP_SHARED), each works between processes too.
 *
 * The fields of these structs are private: use the functions.
 *
 * Timeouts (see core.h): double seconds, CT_FOREVER waits without limit,
 * 0 tries once, NaN is CT_EINVAL; negative values follow Python call by
 * call and each function states its rule.
 */
#ifndef CTHREADING_SYNC_H
#define CTHREADING_SYNC_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flag for every _init: the object lives in memory shared between
 * processes; waiters park on the shared word itself. */
#define CT_PSHARED CT_PARK_SHARED

/* ------------------------------------------------------------------------
 * Lock (threading.Lock)                                       8 bytes
 * ---------------------------------------------------------------------- */

typedef struct ct_lock {
    CT_ATOMIC(uint64_t) word; /* private: see src/sync/lock.c */
} ct_lock;

#define CT_LOCK_INIT                                                           \
    { 0 }
#define CT_LOCK_INIT_PSHARED /* private encoding: the shared bit of `word` */  \
    { (uint64_t)1 << 32 }

/* Initialise an unlocked lock. `flags`: 0 or CT_PSHARED.
 * Returns 0, CT_EINVAL for NULL or unknown flags. Does not allocate. */
CT_API int ct_lock_init(ct_lock *lock, int flags);

/* Check the lock is unused and make it unusable until re-initialised
 * (acquire/release then return CT_ESTATE; destroying twice is 0).
 * Returns 0, CT_EINVAL for NULL, CT_ESTATE if it is held or has waiters
 * (nothing changes). Not thread-safe against users of the lock. */
CT_API int ct_lock_destroy(ct_lock *lock);

/* Acquire, waiting at most `timeout` seconds (CT_FOREVER: no limit; 0: try
 * once). Returns 0 when acquired, CT_ETIMEDOUT when the time ran out,
 * CT_EVALUE for a negative timeout (Python's ValueError; Python's -1 is
 * CT_FOREVER here), CT_EINVAL for NULL or NaN, CT_ESTATE if destroyed.
 * Not reentrant: acquiring a lock you hold with CT_FOREVER deadlocks, as
 * in Python. Not strictly FIFO: a newcomer may take a just-released lock
 * before a sleeping waiter (throughput), but a waiter that keeps losing
 * gets the lock handed to it (no starvation). Memory order: acquire.
 * Thread-safe. Does not allocate. Uncontended: one atomic, no call out.
 * Contended: on a machine with more than one CPU, one waiter at a time
 * spins for up to 20 us (looking at the lock every 1-8 us) before it
 * sleeps; a CT_PSHARED lock never spins. */
CT_API int ct_lock_acquire(ct_lock *lock, double timeout);

/* Release. Any thread may release a Lock (as in Python).
 * Returns 0, CT_EPERM if it was not locked (Python's RuntimeError),
 * CT_EINVAL for NULL, CT_ESTATE if destroyed. Memory order: release.
 * Thread-safe. Makes a system call only when a waiter sleeps. */
CT_API int ct_lock_release(ct_lock *lock);

/* True if the lock is held by someone (a snapshot). NULL: false. */
CT_API bool ct_lock_locked(const ct_lock *lock);

/* ------------------------------------------------------------------------
 * RLock (threading.RLock)                                     16 bytes
 * ---------------------------------------------------------------------- */

typedef struct ct_rlock {
    ct_lock lock;              /* private */
    CT_ATOMIC(uint32_t) owner; /* private: owner's thread id, 0 if none */
    uint32_t count;            /* private: recursion depth, owner-only */
} ct_rlock;

#define CT_RLOCK_INIT                                                          \
    { CT_LOCK_INIT, 0, 0 }
#define CT_RLOCK_INIT_PSHARED                                                  \
    { CT_LOCK_INIT_PSHARED, 0, 0 }

/* Initialise. `flags`: 0 or CT_PSHARED. Returns 0 or CT_EINVAL. */
CT_API int ct_rlock_init(ct_rlock *rlock, int flags);

/* As ct_lock_destroy(): 0, CT_EINVAL for NULL, CT_ESTATE if held or
 * waited on. */
CT_API int ct_rlock_destroy(ct_rlock *rlock);

/* Acquire (again, if the caller already owns it: the count goes up).
 * Timeout rules and return codes as ct_lock_acquire(); also CT_EVALUE if
 * the recursion count would overflow. Thread-safe. */
CT_API int ct_rlock_acquire(ct_rlock *rlock, double timeout);

/* Release one level. Returns 0, CT_EPERM if the caller does not own it
 * (Python's RuntimeError), CT_EINVAL for NULL. */
CT_API int ct_rlock_release(ct_rlock *rlock);

/* True if the calling thread owns it (Python's _is_owned()). After
 * fork(), the forking thread still owns in the child the private RLocks
 * it held (as Python's, whose owner is get_ident()) and may release them;
 * a CT_PSHARED RLock is one object for both processes: the parent keeps
 * it and the child does not own it. */
CT_API bool ct_rlock_is_owned(const ct_rlock *rlock);

/* True if any thread holds it (a snapshot). */
CT_API bool ct_rlock_locked(const ct_rlock *rlock);

/* ------------------------------------------------------------------------
 * Condition (threading.Condition)                             64 bytes
 *
 * A Condition uses a Lock or an RLock given at init, or (when both are
 * NULL) an RLock of its own, as Python does. Waiters are woken in FIFO
 * order; notify(n) wakes the n longest waiting. Process-shared conditions
 * (CT_PSHARED) wake only threads that were already waiting when notify
 * was called, n of them, but not necessarily the longest waiting.
 * There are no spurious wake-ups: wait returns 0 only when notified.
 * ---------------------------------------------------------------------- */

struct ct__cond_waiter;

typedef struct ct_condition {
    ct_lock *lock;   /* private: user's Lock, or NULL */
    ct_rlock *rlock; /* private: user's RLock, or NULL for `own` */
    ct_rlock own;    /* private: the Condition's own RLock */
    struct ct__cond_waiter *head, *tail; /* private: FIFO of waiters */
    CT_ATOMIC(uint32_t) seq;     /* private: shared mode: notify sequence */
    CT_ATOMIC(uint32_t) nwait;   /* private: waiters not yet notified */
    CT_ATOMIC(uint32_t) nsignal; /* private: notified, not yet returned */
    uint32_t flags;              /* private: CT_PSHARED */
} ct_condition;

/* A Condition with its own RLock (Python's Condition()). */
#define CT_CONDITION_INIT                                                      \
    { NULL, NULL, CT_RLOCK_INIT, NULL, NULL, 0, 0, 0, 0 }
#define CT_CONDITION_INIT_PSHARED                                              \
    { NULL, NULL, CT_RLOCK_INIT_PSHARED, NULL, NULL, 0, 0, 0, CT_PSHARED }

/* Initialise over `lock` (a Lock) or `rlock` (an RLock); at most one may
 * be non-NULL; both NULL: the condition's own RLock. The lock is not
 * owned by the condition and must outlive it. `flags`: 0 or CT_PSHARED
 * (the given lock must then be process-shared too, and the processes must
 * map the shared memory at the same address, as after fork).
 * Returns 0, CT_EINVAL (NULL cond, both locks given, bad flags, a private
 * lock under a CT_PSHARED condition). Does not allocate. */
CT_API int ct_condition_init(ct_condition *cond, ct_lock *lock, ct_rlock *rlock,
                             int flags);

/* Returns 0, CT_EINVAL for NULL, CT_ESTATE if threads are inside wait
 * (waiting, or notified and still taking the lock back) or its own RLock
 * is held (nothing changes). After notify_all, destroy may answer
 * CT_ESTATE until the woken threads have returned; once it answers 0 no
 * waiter touches the condition again and its memory may be reused. */
CT_API int ct_condition_destroy(ct_condition *cond);

/* Acquire / release the underlying lock (`with cond:`); rules as for the
 * lock's own acquire/release. */
CT_API int ct_condition_acquire(ct_condition *cond, double timeout);
CT_API int ct_condition_release(ct_condition *cond);

/* Release the lock (every level of an RLock), wait until notified or
 * `timeout` passes, then re-acquire it (restoring the RLock's levels).
 * A negative timeout times out at once. "Holding" a plain Lock means it
 * is locked (by anyone), as in Python, so a caller that does not really
 * hold it is not refused but races with the holder on the condition's
 * queue (undefined behaviour): hold it yourself. An RLock must be owned
 * by the caller (checked). Does not allocate (a private condition queues
 * a node on the waiter's own stack). Returns 0 when notified,
 * CT_ETIMEDOUT (Python's False), CT_EPERM if the caller does not hold the
 * lock (nothing waits), CT_EINVAL for NULL/NaN. The lock is held again on
 * every return except CT_EPERM/CT_EINVAL. Thread-safe. */
CT_API int ct_condition_wait(ct_condition *cond, double timeout);

/* Wait until `pred(arg)` is true (Python's wait_for): checked first, then
 * after every wake-up, always with the lock held; one deadline is carried
 * across wake-ups. As in Python, a false predicate always gets one wait
 * (the lock is released and re-taken) and a second look, even when the
 * timeout is 0 or negative. Returns 0 when the predicate is true,
 * CT_ETIMEDOUT if it is still false when time runs out, CT_EPERM if the
 * lock is not held (checked before the predicate), CT_EINVAL for NULL
 * cond/pred or NaN. */
CT_API int ct_condition_wait_for(ct_condition *cond, bool (*pred)(void *arg),
                                 void *arg, double timeout);

/* Wake up to `n` waiters, longest waiting first (n = 0 wakes none).
 * Returns the number woken (>= 0), CT_EPERM if the caller does not hold
 * the lock, CT_EVALUE if n < 0, CT_EINVAL for NULL. */
CT_API int ct_condition_notify(ct_condition *cond, int n);

/* Wake every waiter. Returns the number woken, CT_EPERM or CT_EINVAL. */
CT_API int ct_condition_notify_all(ct_condition *cond);

/* ------------------------------------------------------------------------
 * Semaphore (threading.Semaphore)                             8 bytes
 * BoundedSemaphore (threading.BoundedSemaphore)              12 bytes
 *
 * A counter of permits: acquire takes one (waiting while there is none),
 * release gives n back. Not FIFO (as in Python): a thread that arrives
 * while a woken waiter is getting up may take the permit first.
 * See docs/semaphore.md.
 * ---------------------------------------------------------------------- */

typedef struct ct_semaphore {
    CT_ATOMIC(uint32_t) value;   /* private: permits | sleepers bit (31) */
    CT_ATOMIC(uint32_t) waiters; /* private: 2 x sleepers | CT_PSHARED */
} ct_semaphore;

typedef struct ct_bounded_semaphore {
    ct_semaphore sem; /* private */
    uint32_t initial; /* private: the bound */
} ct_bounded_semaphore;

/* The largest number of permits a semaphore holds. */
#define CT_SEMAPHORE_MAX 0x3fffffff

/* Static initialisers; `value` must be 0..CT_SEMAPHORE_MAX (a semaphore
 * initialised with a value from -2^30 to -1 or above the maximum answers
 * CT_EINVAL to every call). */
#define CT_SEMAPHORE_INIT(value)                                               \
    { (uint32_t)(value), 0 }
#define CT_SEMAPHORE_INIT_PSHARED(value)                                       \
    { (uint32_t)(value), CT_PSHARED }
#define CT_BOUNDED_SEMAPHORE_INIT(value)                                       \
    { CT_SEMAPHORE_INIT(value), (uint32_t)(value) }
#define CT_BOUNDED_SEMAPHORE_INIT_PSHARED(value)                               \
    { CT_SEMAPHORE_INIT_PSHARED(value), (uint32_t)(value) }

/* Initialise with `value` permits (Python's default is 1: pass it).
 * `flags`: 0 or CT_PSHARED. Returns 0, CT_EVALUE if value < 0 or above
 * CT_SEMAPHORE_MAX (Python's ValueError), CT_EINVAL for NULL or bad flags.
 * Not thread-safe (nobody may use it yet). Does not allocate. */
CT_API int ct_semaphore_init(ct_semaphore *sem, int value, int flags);

/* Check nobody waits and make the semaphore unusable (every later call
 * returns CT_EINVAL) until re-initialised. Returns 0, CT_EINVAL for NULL
 * or an already destroyed semaphore, CT_ESTATE if threads are waiting in
 * acquire (nothing changes). */
CT_API int ct_semaphore_destroy(ct_semaphore *sem);

/* Take one permit, waiting at most `timeout` seconds (CT_FOREVER: no
 * limit; 0: try once; negative: time out at once, as Python's
 * acquire(timeout=-1.5) returns False). Returns 0 when a permit was taken
 * (Python's True), CT_ETIMEDOUT (Python's False), CT_EINVAL for NULL, NaN
 * or a destroyed semaphore. Memory order: acquire (what a releaser wrote
 * before its release is visible). Thread-safe. Does not allocate. */
CT_API int ct_semaphore_acquire(ct_semaphore *sem, double timeout);

/* Give back `n` permits (n >= 1), waking up to n waiters. Unbounded: the
 * value may exceed the initial one (as in Python). Returns 0, CT_EVALUE
 * for n < 1 (Python's ValueError) or a value that would exceed
 * CT_SEMAPHORE_MAX (nothing changes), CT_EINVAL for NULL/destroyed.
 * Once the permits are visible it reads nothing more of `sem`: the
 * thread that takes the permit may destroy and free it at once.
 * Memory order: release. Thread-safe; any thread may release. */
CT_API int ct_semaphore_release(ct_semaphore *sem, int n);

/* The current number of permits (a snapshot), or CT_EINVAL for NULL or a
 * destroyed semaphore. Thread-safe. */
CT_API int ct_semaphore_value(const ct_semaphore *sem);

/* BoundedSemaphore: the same calls and codes, plus: release() that would
 * take the value above the initial one returns CT_EVALUE (Python's
 * "Semaphore released too many times") and changes nothing. */
CT_API int ct_bounded_semaphore_init(ct_bounded_semaphore *sem, int value,
                                     int flags);
CT_API int ct_bounded_semaphore_destroy(ct_bounded_semaphore *sem);
CT_API int ct_bounded_semaphore_acquire(ct_bounded_semaphore *sem,
                                        double timeout);
CT_API int ct_bounded_semaphore_release(ct_bounded_semaphore *sem, int n);
CT_API int ct_bounded_semaphore_value(const ct_bounded_semaphore *sem);

/* ------------------------------------------------------------------------
 * Event (threading.Event)                                     8 bytes
 *
 * A flag threads wait for. See docs/event.md.
 * ---------------------------------------------------------------------- */

typedef struct ct_event {
    CT_ATOMIC(uint32_t) state; /* private: set bit, sleepers bit, generation */
    CT_ATOMIC(uint32_t) aux;   /* private: CT_PSHARED, destroyed, waiters */
} ct_event;

#define CT_EVENT_INIT                                                          \
    { 0, 0 }
#define CT_EVENT_INIT_PSHARED                                                  \
    { 0, CT_PSHARED }

/* Initialise, unset. `flags`: 0 or CT_PSHARED. Returns 0, CT_EINVAL for
 * NULL or bad flags. Not thread-safe. Does not allocate. */
CT_API int ct_event_init(ct_event *ev, int flags);

/* Check nobody waits and make the event unusable (later calls return
 * CT_EINVAL, is_set false) until re-initialised. Returns 0, CT_EINVAL for
 * NULL or already destroyed, CT_ESTATE if threads wait (nothing changes). */
CT_API int ct_event_destroy(ct_event *ev);

/* Set the flag and wake every waiter, also those whose wait overlaps a
 * quick set+clear: they return 0 although the flag is clear again when
 * they look (Python's gh-57711 guarantee). Setting a set event changes
 * nothing. Returns 0 or CT_EINVAL (NULL, destroyed). Memory order:
 * release (what the setter wrote is visible to the threads it releases).
 * Thread-safe. Makes a system call only when a waiter sleeps. */
CT_API int ct_event_set(ct_event *ev);

/* Reset the flag; later waits block until the next set. Returns 0 or
 * CT_EINVAL (NULL, destroyed). Thread-safe. */
CT_API int ct_event_clear(ct_event *ev);

/* True if set (acquire load). NULL or destroyed: false. Thread-safe. */
CT_API bool ct_event_is_set(const ct_event *ev);

/* Wait until the flag is set or `timeout` seconds pass (CT_FOREVER: no
 * limit; 0: just look; negative: time out at once, as Python).
 * Returns 0 if the flag was set (Python's True) - also when a set+clear
 * happened while waiting - CT_ETIMEDOUT (Python's False), CT_EINVAL for
 * NULL, NaN or a destroyed event. Memory order: acquire. Thread-safe. */
CT_API int ct_event_wait(ct_event *ev, double timeout);

/* ------------------------------------------------------------------------
 * Barrier (threading.Barrier)                                48 bytes
 *
 * `parties` threads meet: each wait() blocks until all have arrived, then
 * all go on together, and the barrier is ready for the next round. The
 * state machine is Python's: filling -> (action) -> draining -> filling;
 * broken after abort(), a timed-out wait or a failing action; resetting
 * while waiters leave after reset(). A release takes every waiter of the
 * round out at once (Python's schedule where each released waiter leaves
 * before anyone else runs), so the draining phase is instantaneous and
 * the next round may start at once; a released waiter is never broken by
 * a later abort. See docs/barrier.md.
 * ---------------------------------------------------------------------- */

typedef struct ct_barrier_options {
    int (*action)(void *arg); /* run by one thread when all arrive, before
                                 any is released; a negative return breaks
                                 the barrier. It must not wait on, abort or
                                 reset its own barrier (it would wait for
                                 itself: a deadlock, as in Python). */
    void *arg;                /* passed to action */
    double timeout;           /* default for wait; 0 means none (Python's
                                 None): pass a tiny value to time out
                                 at once */
    int flags;                /* 0 or CT_PSHARED */
} ct_barrier_options;

typedef struct ct_barrier {
    CT_ATOMIC(uint64_t) state; /* private: phase | count << 2 | round << 32 */
    CT_ATOMIC(uint32_t) seq;   /* private: wake sequence | sleepers bit */
    uint32_t parties;          /* private: 0 once destroyed */
    uint32_t flags;            /* private: CT_PSHARED */
    int (*action)(void *arg);  /* private */
    void *arg;                 /* private */
    double timeout;            /* private: default timeout, 0: none */
} ct_barrier;

/* The largest number of parties. */
#define CT_BARRIER_MAX_PARTIES 0x3fffffff

/* Static initialisers (no action, no default timeout). A barrier with
 * parties < 1 answers CT_EINVAL to every call. */
#define CT_BARRIER_INIT(parties)                                               \
    { 0, 0, (uint32_t)(parties), 0, NULL, NULL, 0 }
#define CT_BARRIER_INIT_PSHARED(parties)                                       \
    { 0, 0, (uint32_t)(parties), CT_PSHARED, NULL, NULL, 0 }

/* ct_barrier_init(b, parties, .action = f, .arg = x, .timeout = 1.0)
 * `opt` may be NULL (all defaults). Returns 0, CT_EVALUE if parties < 1
 * or above CT_BARRIER_MAX_PARTIES (Python's ValueError), CT_EINVAL for
 * NULL `b`, a NaN or negative timeout, bad flags. A process-shared
 * barrier's action pointer is only valid in processes that share the code
 * mapping (fork). Not thread-safe. Does not allocate. */
CT_API int ct_barrier_init_opt(ct_barrier *b, int parties,
                               const ct_barrier_options *opt);
#define ct_barrier_init(b, parties, ...)                                       \
    ct_barrier_init_opt((b), (parties),                                        \
                        &(const ct_barrier_options){__VA_ARGS__})

/* Check no thread is inside and make the barrier unusable (every later
 * call returns CT_EINVAL) until re-initialised. Returns 0, CT_EINVAL for
 * NULL or already destroyed, CT_ESTATE if threads wait in it or are still
 * leaving it after a reset (nothing changes). A broken barrier may be
 * destroyed. It cannot see the released waiters of the last round that
 * have not returned yet: destroy (or free) only once every party's
 * wait() has returned, not merely your own. */
CT_API int ct_barrier_destroy(ct_barrier *b);

/* Wait for all parties, with the barrier's default timeout.
 * Returns this thread's index 0..parties-1 (one thread gets each; the
 * last to arrive gets parties-1 and runs the action), or CT_EBROKEN if the
 * barrier is or becomes broken (abort, reset while waiting, timeout of
 * any waiter, failing action), or the action's own negative code in the
 * thread that ran a failing action; CT_EINVAL for NULL or a destroyed
 * barrier. A timed-out wait breaks the barrier for everyone (CT_EBROKEN,
 * as Python raises BrokenBarrierError). Memory order: everything each
 * thread did before wait() (and the action) happens before everything
 * any thread does after a successful wait(). Thread-safe. */
CT_API int ct_barrier_wait(ct_barrier *b);

/* As ct_barrier_wait() with an explicit `timeout` (CT_FOREVER: none; 0 or
 * negative: unless this thread completes the round, time out at once and
 * break the barrier). NaN: CT_EINVAL. */
CT_API int ct_barrier_wait_timeout(ct_barrier *b, double timeout);

/* Put the barrier in the broken state; current and future waiters get
 * CT_EBROKEN until ct_barrier_reset(). If the action is running, waits
 * for it to finish first (Python: the action holds the barrier's lock).
 * Returns 0, CT_EINVAL for NULL or destroyed. Thread-safe. */
CT_API int ct_barrier_abort(ct_barrier *b);

/* Return to the empty state (Python's reset()): threads waiting get
 * CT_EBROKEN, and once they have left the barrier is usable again
 * (new arrivals wait for that). Also repairs a broken barrier. Waits for
 * a running action, as abort. Returns 0, CT_EINVAL for NULL or destroyed.
 * Thread-safe. */
CT_API int ct_barrier_reset(ct_barrier *b);

/* True if broken (a snapshot). NULL or destroyed: false. */
CT_API bool ct_barrier_broken(const ct_barrier *b);

/* The number of threads waiting for the current round to fill (0 while
 * resetting or broken), a snapshot; CT_EINVAL for NULL or destroyed. */
CT_API int ct_barrier_n_waiting(const ct_barrier *b);

/* The number of parties; CT_EINVAL for NULL or destroyed. */
CT_API int ct_barrier_parties(const ct_barrier *b);

/* ------------------------------------------------------------------------
 * once: thread-safe one-time initialisation (the thread-safe singleton)
 * ---------------------------------------------------------------------- */

typedef struct ct_once {
    CT_ATOMIC(uint32_t) state; /* private */
} ct_once;

#define CT_ONCE_INIT                                                           \
    { 0 }
/* For a once in memory shared between processes: callers in every process
 * wait for the running one (if that process dies inside init, they wait
 * forever). */
#define CT_ONCE_INIT_PSHARED                                                   \
    { 4 }

/* Initialise, not done. `flags`: 0 or CT_PSHARED. Returns 0 or CT_EINVAL
 * (NULL, bad flags). Not thread-safe (nobody may use it yet). Nothing to
 * destroy. Does not allocate. */
CT_API int ct_once_init(ct_once *once, int flags);

/* Run `init(arg)` unless a call on `once` already succeeded. Concurrent
 * callers wait for the running one. If `init` fails (returns negative),
 * that code is returned to its caller and the next caller retries.
 * Returns 0 once initialised, init's code, CT_EINVAL for NULL.
 * Memory order: everything init wrote is visible to every caller that
 * gets 0. Each ct_once is independent (no global lock): an init may call
 * ct_once_call on another once, but calling it on its own once deadlocks.
 * Uncontended after success: one acquire load. 4 bytes. */
CT_API int ct_once_call(ct_once *once, int (*init)(void *arg), void *arg);

/* True once an init on `once` has succeeded. */
CT_API bool ct_once_done(const ct_once *once);

/* ------------------------------------------------------------------------
 * Lock ordering: take several locks without deadlock
 * ---------------------------------------------------------------------- */

/* Acquire the `n` locks of `locks` in one global order (by address),
 * whatever order they are given in, so two threads locking the same set
 * never deadlock (the bank-transfer fix). Duplicates are taken once.
 * `timeout` covers the whole set (rules of ct_lock_acquire). On failure
 * nothing is held. Returns 0, CT_ETIMEDOUT, CT_EVALUE, CT_EINVAL (NULL
 * array or element, n == 0, NaN), CT_ESTATE (a destroyed lock).
 * Does not allocate; O(n^2) in the number of locks (meant for a few). */
CT_API int ct_lock_acquire_all(ct_lock *const locks[], size_t n,
                               double timeout);

/* Release the set taken by ct_lock_acquire_all() (duplicates once),
 * highest address first. Returns 0, or the first error met (every lock
 * is still attempted), CT_EINVAL as above. */
CT_API int ct_lock_release_all(ct_lock *const locks[], size_t n);

/* ------------------------------------------------------------------------
 * Scoped guards: Python's `with lock:`
 *
 *     CT_WITH(&lock) {
 *         balance += amount;
 *         if (balance < 0) return CT_EVALUE;  // released on the way out
 *     }
 *
 * Works for ct_lock, ct_rlock, ct_condition, ct_semaphore and
 * ct_bounded_semaphore. Acquires with CT_FOREVER, releases on every exit
 * of the block: falling off the end, return, goto out of it, break.
 * Pitfalls: `break` and `continue` inside the block apply to the guard
 * (they leave the block), not to a loop around it; a longjmp out of the
 * block skips the release.
 * ---------------------------------------------------------------------- */

typedef struct ct__guard {
    void *obj;
    int kind;
    int once;
} ct__guard;

enum { CT__G_LOCK = 1, CT__G_RLOCK, CT__G_COND, CT__G_SEM, CT__G_BSEM };

/* Internal to CT_WITH (exported because the macro expands in user code):
 * enter acquires `obj` of `kind` with CT_FOREVER and returns a guard whose
 * `once` is 1 if it holds the object (0: NULL object or a failed acquire,
 * and the block is skipped); exit releases it if held. Not for direct use. */
CT_API ct__guard ct__guard_enter(void *obj, int kind);
CT_API void ct__guard_exit(ct__guard *g);

#define CT__GUARD_KIND(p)                                                      \
    _Generic((p), ct_lock *                                                    \
             : CT__G_LOCK, ct_rlock *                                          \
             : CT__G_RLOCK, ct_condition *                                     \
             : CT__G_COND, ct_semaphore *                                      \
             : CT__G_SEM, ct_bounded_semaphore *                               \
             : CT__G_BSEM)

#define CT__CAT2(a, b) a##b
#define CT__CAT(a, b) CT__CAT2(a, b)
/* __COUNTER__ gives each guard its own name, so guards may nest on one
 * line: CT_WITH(&a) CT_WITH(&b) { ... } */
#define CT_WITH(p) CT__WITH((p), CT__CAT(ct__g_, __COUNTER__))
#define CT__WITH(p, g)                                                         \
    for (ct__guard g __attribute__((cleanup(ct__guard_exit))) =                \
             ct__guard_enter((p), CT__GUARD_KIND(p));                          \
         g.once; g.once = 0)

#ifdef __cplusplus
}
#endif
#endif /* CTHREADING_SYNC_H */
