/* Condition: Python's threading.Condition over a Lock or an RLock.
 *
 * Everything below happens with the condition's lock held (the caller's
 * Lock or RLock), except parking: that lock is what protects the queue
 * and the counters, so they need no lock of their own.
 *
 * Private mode (default): a FIFO of waiter nodes, each on its waiter's
 * own stack, each with its own word to park on.
 *
 *   wait:    node.state = WAITING; append node; nwait++
 *            release the lock (every level of an RLock)
 *            spin briefly (adaptive budget, ct__spin_budget) on node.state,
 *            and once NOTIFIED on the lock word until it looks free
 *            park on node.state while it is WAITING (until the deadline)
 *            re-acquire the lock (restore the levels)
 *            node.state == NOTIFIED -> 0        (the notifier unlinked it)
 *            else (timed out)       -> unlink node, nwait--, CT_ETIMEDOUT
 *   notify(n): pop up to n nodes from the head; for each: nwait--,
 *            nsignal++, store NOTIFIED, wake that node's word (1 thread).
 *   a notified waiter, lock re-acquired: nsignal-- (its last touch of
 *            the condition), return 0.
 *
 *       head -> [A: WAITING] -> [B: WAITING] -> [C: WAITING] <- tail
 *       notify(2): A, B := NOTIFIED, unlinked, woken; C stays at the head
 *
 *   nwait + nsignal counts the threads inside wait, also those notified
 *   but still taking the lock back (they read the condition for it), so
 *   destroy refuses while it is not 0: after it answers 0 the condition's
 *   memory may go (the waiters' last store to it is release, destroy's
 *   load acquire).
 *
 *   A node is never freed under the notifier: its waiter must re-acquire
 *   the lock the notifier holds before it can return. (With a plain Lock,
 *   which any thread may release, a third thread releasing it early can
 *   let the waiter return before the notifier's wake call: the wake then
 *   hits a dead stack word, which at worst wakes a parker there
 *   spuriously; every parker in the library re-checks its word.)
 *
 * Shared mode (CT_PSHARED): pointers differ between processes, so no
 * nodes. A sequence word and two counters:
 *
 *   seq      bumped by each notify that wakes someone; waiters park on it
 *   nwait    waiters not yet notified
 *   nsignal  notifications not yet consumed by a waiter
 *   (invariant, lock held: nwait + nsignal = waiters inside wait)
 *
 *   wait:    s0 = seq; nwait++; loop { e = seq; release; park on seq while
 *            seq == e; re-acquire; if seq != s0 and nsignal > 0:
 *            nsignal--, return 0; if timed out: nwait--, CT_ETIMEDOUT }
 *   notify(n): k = min(n, nwait); nwait -= k; nsignal += k; seq++;
 *            wake all parked on seq (only those with seq != s0 may take a
 *            notification, so one that came before a waiter never wakes it)
 *
 * Memory orders: the condition's lock orders every access to the queue,
 * nodes and counters (acquire on lock, release on unlock). The node word
 * is stored with release by the notifier and loaded with acquire by its
 * waiter (it decides the return value). `seq`, `nwait` and `nsignal` are
 * atomic only because parkers and destroy read them without the lock:
 * loads under the lock are relaxed; stores are release and destroy's
 * loads acquire (a waiter's last store to the condition happens before
 * destroy's 0, see above).
 */
#include "internal.h"

#include <limits.h>

enum { WAITING = 0, NOTIFIED = 1 };

struct ct__cond_waiter {
    struct ct__cond_waiter *next, *prev;
    _Atomic uint32_t state;
};

static bool shared(const ct_condition *c) {
    return c->flags & CT_PSHARED;
}

/* The RLock in use, or NULL when the condition is over a plain Lock. */
static ct_rlock *rlock_of(ct_condition *c) {
    return c->lock ? NULL : c->rlock ? c->rlock : &c->own;
}

static bool held(ct_condition *c) {
    ct_rlock *rl = rlock_of(c);
    return rl ? ct_rlock_is_owned(rl) : ct_lock_locked(c->lock);
}

/* Drop the lock entirely; *saved is the RLock depth to restore. */
static int release_all(ct_condition *c, uint32_t *saved) {
    ct_rlock *rl = rlock_of(c);
    *saved = 0;
    return rl ? ct__rlock_release_save(rl, saved) : ct_lock_release(c->lock);
}

/* A short adaptive spin (the per-thread budget Semaphore and Event use)
 * before a notified waiter parks: on its own node word until NOTIFIED,
 * then on the lock word until the notifier lets the lock go. Returns
 * whether the node was notified within the spin. */
static bool spin_for_notify(ct_condition *c, _Atomic uint32_t *state) {
    uint32_t i = 0, n = ct__spin_budget();
    for (; i < n; i++) {
        /* relaxed: a hint; the caller re-reads with acquire */
        if (atomic_load_explicit(state, memory_order_relaxed) != WAITING)
            break;
        ct__relax();
    }
    bool won = i < n;
    ct__spin_result(won);
    if (!won)
        return false;
    ct_lock *l = c->lock ? c->lock : c->rlock ? &c->rlock->lock : &c->own.lock;
    for (; i < n && ct_lock_locked(l); i++)
        ct__relax();
    return true;
}

static void restore(ct_condition *c, uint32_t saved) {
    ct_rlock *rl = rlock_of(c);
    if (rl) {
        ct__rlock_acquire_restore(rl, saved);
    } else {
        ct_deadline never = ct_deadline_never();
        (void)ct__lock_acquire_until(c->lock, &never);
    }
}

static uint32_t nwait_of(const ct_condition *c) {
    /* relaxed: written under the lock; see the protocol comment */
    return atomic_load_explicit(&c->nwait, memory_order_relaxed);
}

/* release: may be the caller's last touch of the condition (destroy) */
static void nwait_add(ct_condition *c, uint32_t v) {
    atomic_store_explicit(&c->nwait, nwait_of(c) + v, memory_order_release);
}

static uint32_t nsignal_of(const ct_condition *c) {
    /* relaxed: written under the lock; see the protocol comment */
    return atomic_load_explicit(&c->nsignal, memory_order_relaxed);
}

/* release: a notified waiter's last touch of the condition (destroy) */
static void nsignal_add(ct_condition *c, uint32_t v) {
    atomic_store_explicit(&c->nsignal, nsignal_of(c) + v, memory_order_release);
}

int ct_condition_init(ct_condition *cond, ct_lock *lock, ct_rlock *rlock,
                      int flags) {
    if (!cond || (lock && rlock) || (flags & ~CT_PSHARED))
        return CT_EINVAL;
    if ((flags & CT_PSHARED) &&
        ((lock && ct__lock_park_flags(lock) != CT_PARK_SHARED) ||
         (rlock && ct__lock_park_flags(&rlock->lock) != CT_PARK_SHARED)))
        return CT_EINVAL;
    cond->lock = lock;
    cond->rlock = rlock;
    ct_rlock_init(&cond->own, flags);
    cond->head = cond->tail = NULL;
    atomic_store_explicit(&cond->seq, 0, memory_order_relaxed);
    atomic_store_explicit(&cond->nwait, 0, memory_order_relaxed);
    atomic_store_explicit(&cond->nsignal, 0, memory_order_relaxed);
    cond->flags = (uint32_t)flags;
    return 0;
}

int ct_condition_destroy(ct_condition *cond) {
    if (!cond)
        return CT_EINVAL;
    /* acquire: pairs with the last store of each leaving waiter */
    if (atomic_load_explicit(&cond->nwait, memory_order_acquire) != 0 ||
        atomic_load_explicit(&cond->nsignal, memory_order_acquire) != 0)
        return CT_ESTATE;
    if (!cond->lock && !cond->rlock)
        return ct_rlock_destroy(&cond->own);
    return 0;
}

int ct_condition_acquire(ct_condition *cond, double timeout) {
    if (!cond)
        return CT_EINVAL;
    ct_rlock *rl = rlock_of(cond);
    return rl ? ct_rlock_acquire(rl, timeout)
              : ct_lock_acquire(cond->lock, timeout);
}

int ct_condition_release(ct_condition *cond) {
    if (!cond)
        return CT_EINVAL;
    ct_rlock *rl = rlock_of(cond);
    return rl ? ct_rlock_release(rl) : ct_lock_release(cond->lock);
}

/* ------------------------------------------------------ private mode */

static void unlink_node(ct_condition *c, struct ct__cond_waiter *n) {
    if (n->prev)
        n->prev->next = n->next;
    else
        c->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        c->tail = n->prev;
}

static int wait_private(ct_condition *c, const ct_deadline *dl) {
    struct ct__cond_waiter node = {NULL, c->tail, WAITING};
    if (c->tail)
        c->tail->next = &node;
    else
        c->head = &node;
    c->tail = &node;
    nwait_add(c, 1);

    uint32_t saved;
    int rc = release_all(c, &saved);
    if (rc) { /* cannot happen: held() was checked; undo anyway */
        unlink_node(c, &node);
        nwait_add(c, (uint32_t)-1);
        return rc;
    }
    (void)spin_for_notify(c, &node.state);
    /* acquire: pairs with the notifier's release store */
    while (atomic_load_explicit(&node.state, memory_order_acquire) == WAITING) {
        if (ct_park_wait(&node.state, WAITING, dl, CT_PARK_NOSPIN) ==
            CT_ETIMEDOUT) {
            rc = CT_ETIMEDOUT;
            break;
        }
    }
    restore(c, saved);
    /* A timed-out waiter notified before it got the lock back: the
     * notification is ours, not lost. */
    if (rc != CT_ETIMEDOUT ||
        atomic_load_explicit(&node.state, memory_order_acquire) == NOTIFIED) {
        nsignal_add(c, (uint32_t)-1);
        return 0;
    }
    unlink_node(c, &node);
    nwait_add(c, (uint32_t)-1);
    return CT_ETIMEDOUT;
}

static int notify_private(ct_condition *c, int n) {
    int woken = 0;
    while (woken < n && c->head) {
        struct ct__cond_waiter *w = c->head;
        unlink_node(c, w);
        nwait_add(c, (uint32_t)-1);
        nsignal_add(c, 1);
        /* release: pairs with the waiter's acquire load */
        atomic_store_explicit(&w->state, NOTIFIED, memory_order_release);
        ct_park_wake(&w->state, 1, CT_PARK_PRIVATE);
        woken++;
    }
    return woken;
}

/* ------------------------------------------------------- shared mode */

static uint32_t seq_of(const ct_condition *c) {
    /* relaxed: bumped under the lock; parkers only compare it */
    return atomic_load_explicit(&c->seq, memory_order_relaxed);
}

static int wait_shared(ct_condition *c, const ct_deadline *dl) {
    uint32_t s0 = seq_of(c);
    nwait_add(c, 1);
    for (;;) {
        uint32_t e = seq_of(c);
        uint32_t saved;
        int rc = release_all(c, &saved);
        if (rc) {
            nwait_add(c, (uint32_t)-1);
            return rc;
        }
        while (seq_of(c) == e && rc != CT_ETIMEDOUT)
            rc = ct_park_wait(&c->seq, e, dl, CT_PARK_SHARED | CT_PARK_NOSPIN);
        restore(c, saved);
        if (seq_of(c) != s0 && nsignal_of(c) > 0) {
            nsignal_add(c, (uint32_t)-1);
            return 0;
        }
        if (rc == CT_ETIMEDOUT || ct_deadline_expired(dl)) {
            nwait_add(c, (uint32_t)-1);
            return CT_ETIMEDOUT;
        }
        /* Woken, but the notifications went to other eligible waiters:
         * wait for the next one (still eligible: seq != s0). */
    }
}

static int notify_shared(ct_condition *c, int n) {
    uint32_t k = nwait_of(c);
    if ((uint32_t)n < k)
        k = (uint32_t)n;
    if (k == 0)
        return 0;
    nwait_add(c, (uint32_t)0 - k);
    nsignal_add(c, k);
    atomic_store_explicit(&c->seq, seq_of(c) + 1, memory_order_relaxed);
    ct_park_wake(&c->seq, CT_PARK_ALL, CT_PARK_SHARED);
    return (int)k;
}

/* --------------------------------------------------------------- API */

static int wait_until(ct_condition *c, const ct_deadline *dl) {
    return shared(c) ? wait_shared(c, dl) : wait_private(c, dl);
}

int ct_condition_wait(ct_condition *cond, double timeout) {
    if (!cond || isnan(timeout))
        return CT_EINVAL;
    if (!held(cond))
        return CT_EPERM;
    ct_deadline dl;
    ct_deadline_init(&dl, timeout, CT_NEG_EXPIRED);
    return wait_until(cond, &dl);
}

int ct_condition_wait_for(ct_condition *cond, bool (*pred)(void *arg),
                          void *arg, double timeout) {
    if (!cond || !pred || isnan(timeout))
        return CT_EINVAL;
    if (!held(cond))
        return CT_EPERM;
    ct_deadline dl;
    ct_deadline_init(&dl, timeout, CT_NEG_EXPIRED);
    /* As Python's wait_for: one wait even when the time is already up
     * (it releases the lock and takes it back), then the predicate is
     * asked again before giving up. */
    for (bool first = true;; first = false) {
        if (pred(arg))
            return 0;
        if (!first && ct_deadline_expired(&dl))
            return CT_ETIMEDOUT;
        int rc = wait_until(cond, &dl);
        if (rc && rc != CT_ETIMEDOUT)
            return rc;
    }
}

int ct_condition_notify(ct_condition *cond, int n) {
    if (!cond)
        return CT_EINVAL;
    if (!held(cond))
        return CT_EPERM; /* checked first, as Python does */
    if (n < 0)
        return CT_EVALUE;
    return shared(cond) ? notify_shared(cond, n) : notify_private(cond, n);
}

int ct_condition_notify_all(ct_condition *cond) {
    return ct_condition_notify(cond, INT_MAX);
}
