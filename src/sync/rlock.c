/* RLock: a Lock plus an owner and a recursion count.
 *
 *   owner  (atomic u32)  kernel thread id of the holder, 0 when free
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
 * Memory orders: the inner Lock orders the critical sections (acquire on
 * lock, release on unlock). `owner` is relaxed everywhere: a thread only
 * compares it with its own id, and the only store of that id was made by
 * the thread itself (program order), cleared before it released the inner
 * Lock; another thread's id, stale or fresh, never equals ours.
 * Thread ids (gettid) are unique system-wide, so this also holds between
 * processes for a CT_PSHARED RLock.
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

/* The child of fork() runs with a new id but the parent's thread-local
 * cache: forget it there. */
static void forget_tid(void) {
    cached_tid = 0;
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
    uint32_t me = ct__tid();
    if (owner_of(rlock) == me) {
        if (rlock->count == UINT32_MAX)
            return CT_EVALUE;
        rlock->count++;
        return 0;
    }
    int rc = ct_lock_acquire(&rlock->lock, timeout);
    if (rc)
        return rc;
    set_owner(rlock, me);
    rlock->count = 1;
    return 0;
}

int ct_rlock_release(ct_rlock *rlock) {
    if (CT_UNLIKELY(!rlock))
        return CT_EINVAL;
    if (owner_of(rlock) != ct__tid())
        return CT_EPERM;
    if (--rlock->count == 0) {
        set_owner(rlock, 0);
        return ct_lock_release(&rlock->lock);
    }
    return 0;
}

bool ct_rlock_is_owned(const ct_rlock *rlock) {
    return rlock && owner_of(rlock) == ct__tid();
}

bool ct_rlock_locked(const ct_rlock *rlock) {
    return rlock && ct_lock_locked(&rlock->lock);
}

int ct__rlock_release_save(ct_rlock *rlock, uint32_t *count) {
    if (owner_of(rlock) != ct__tid())
        return CT_EPERM;
    *count = rlock->count;
    rlock->count = 0;
    set_owner(rlock, 0);
    return ct_lock_release(&rlock->lock);
}

void ct__rlock_acquire_restore(ct_rlock *rlock, uint32_t count) {
    ct_deadline never = ct_deadline_never();
    (void)ct__lock_acquire_until(&rlock->lock, &never);
    set_owner(rlock, ct__tid());
    rlock->count = count;
}

uint32_t ct__rlock_recursion_count(const ct_rlock *rlock) {
    return ct_rlock_is_owned(rlock) ? rlock->count : 0;
}
