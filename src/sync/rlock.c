/* RLock: a Lock plus an owner and a recursion count.
 *
 *   owner  (atomic u32)  id of the holder (see below), 0 when free
 *   count  (plain u32)   recursion depth; read and written by the owner only
 *
 *   acquire:  owner == me        -> count++            (no atomic RMW)
 *             else               -> acquire the inner Lock, owner = me,
 *                                   count = 1
 *   release:  owner != me        -> CT_EPERM
 *             --count == 0       -> owner = 0, release the inner Lock
 *
 * Waiters park on the inner Lock's word (see lock.c); nothing else parks.
 *
 * "me": a private RLock names its owner by a process-local thread id
 * taken from a counter on the thread's first use (thread-local). fork()
 * copies it, so the forking thread still owns, in the child, the private
 * RLocks it held - as Python's get_ident() stays the same in the child -
 * and can release them. A CT_PSHARED RLock is the same memory in both
 * processes, so it uses the kernel thread id (gettid), unique across
 * processes: after fork the child's thread has a new one and does not own
 * what the parent holds.
 *
 * Memory orders: the inner Lock orders the critical sections (acquire on
 * lock, release on unlock). `owner` is relaxed everywhere: a thread only
 * compares it with its own id, and the only store of that id was made by
 * the thread itself (program order), cleared before it released the inner
 * Lock; another thread's id, stale or fresh, never equals ours.
 */
#include "internal.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Thread_local uint32_t cached_tid;

uint32_t ct__tid(void) {
    uint32_t t = cached_tid;
    if (CT_UNLIKELY(t == 0))
        cached_tid = t = (uint32_t)syscall(SYS_gettid);
    return t;
}

/* The child of fork() runs with a new kernel id but the parent's
 * thread-local cache: forget it there. */
static void forget_tid(void) {
    cached_tid = 0;
}

/* Process-local thread ids for private RLocks: never 0, never reused
 * while a thread lives (2^32 threads would have to start first). */
static _Atomic uint32_t next_local_id;
static _Thread_local uint32_t local_id;

static CT_COLD uint32_t new_local_id(void) {
    uint32_t t;
    do /* relaxed: only uniqueness matters */
        t = atomic_fetch_add_explicit(&next_local_id, 1, memory_order_relaxed) +
            1;
    while (t == 0);
    return local_id = t;
}

/* The caller's id as an owner of `rl` (see the protocol comment). */
static inline uint32_t me(const ct_rlock *rl) {
    if (ct__lock_park_flags(&rl->lock) == CT_PARK_SHARED)
        return ct__tid();
    uint32_t t = local_id;
    return CT_LIKELY(t != 0) ? t : new_local_id();
}

__attribute__((constructor)) static void register_atfork(void) {
    pthread_atfork(NULL, NULL, forget_tid);
}

static uint32_t owner_of(const ct_rlock *rl) {
    /* relaxed: see the protocol comment */
    return atomic_load_explicit(&rl->owner, memory_order_relaxed);
}

static void set_owner(ct_rlock *rl, uint32_t tid) {
    atomic_store_explicit(&rl->owner, tid, memory_order_relaxed);
}

int ct_rlock_init(ct_rlock *rlock, int flags) {
    if (!rlock)
        return CT_EINVAL;
    int rc = ct_lock_init(&rlock->lock, flags);
    if (rc)
        return rc;
    set_owner(rlock, 0);
    rlock->count = 0;
    return 0;
}

int ct_rlock_destroy(ct_rlock *rlock) {
    if (!rlock)
        return CT_EINVAL;
    return ct_lock_destroy(&rlock->lock);
}

int ct_rlock_acquire(ct_rlock *rlock, double timeout) {
    if (CT_UNLIKELY(!rlock))
        return CT_EINVAL;
    if (timeout != CT_FOREVER) {
        if (isnan(timeout))
            return CT_EINVAL;
        if (timeout < 0)
            return CT_EVALUE; /* even when owned, as Python checks first */
    }
    uint32_t self = me(rlock);
    if (owner_of(rlock) == self) {
        if (rlock->count == UINT32_MAX)
            return CT_EVALUE;
        rlock->count++;
        return 0;
    }
    int rc = ct_lock_acquire(&rlock->lock, timeout);
    if (rc)
        return rc;
    set_owner(rlock, self);
    rlock->count = 1;
    return 0;
}

int ct_rlock_release(ct_rlock *rlock) {
    if (CT_UNLIKELY(!rlock))
        return CT_EINVAL;
    if (owner_of(rlock) != me(rlock))
        return CT_EPERM;
    if (--rlock->count == 0) {
        set_owner(rlock, 0);
        return ct_lock_release(&rlock->lock);
    }
    return 0;
}

bool ct_rlock_is_owned(const ct_rlock *rlock) {
    return rlock && owner_of(rlock) == me(rlock);
}

bool ct_rlock_locked(const ct_rlock *rlock) {
    return rlock && ct_lock_locked(&rlock->lock);
}

int ct__rlock_release_save(ct_rlock *rlock, uint32_t *count) {
    if (owner_of(rlock) != me(rlock))
        return CT_EPERM;
    *count = rlock->count;
    rlock->count = 0;
    set_owner(rlock, 0);
    return ct_lock_release(&rlock->lock);
}

void ct__rlock_acquire_restore(ct_rlock *rlock, uint32_t count) {
    ct_deadline never = ct_deadline_never();
    (void)ct__lock_acquire_until(&rlock->lock, &never);
    set_owner(rlock, me(rlock));
    rlock->count = count;
}

uint32_t ct__rlock_recursion_count(const ct_rlock *rlock) {
    return ct_rlock_is_owned(rlock) ? rlock->count : 0;
}
