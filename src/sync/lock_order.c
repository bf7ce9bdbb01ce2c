/* Lock ordering: take a set of Locks in one global order (by address), so
 * two threads locking overlapping sets never wait on each other in a
 * cycle (the bank-transfer deadlock).
 *
 * No state of its own: the locks' own words carry all the ordering
 * (acquire on each lock, release on each unlock; see lock.c). Nothing is
 * allocated: the array is const, so instead of sorting a copy, each step
 * picks the smallest address above the last one taken (O(n^2), meant for
 * a handful of locks). Duplicates fall out of "strictly above".
 * On a timeout (or a destroyed lock) every lock taken so far is released
 * before returning, so failure holds nothing.
 */
#include "internal.h"

/* The smallest address in `locks` strictly above `after` (NULL: none). */
static ct_lock *next_above(ct_lock *const locks[], size_t n,
                           const ct_lock *after) {
    ct_lock *best = NULL;
    for (size_t i = 0; i < n; i++) {
        ct_lock *l = locks[i];
        if ((!after || (uintptr_t)l > (uintptr_t)after) &&
            (!best || (uintptr_t)l < (uintptr_t)best))
            best = l;
    }
    return best;
}

/* The largest address in `locks` strictly below `before`. */
static ct_lock *next_below(ct_lock *const locks[], size_t n,
                           const ct_lock *before) {
    ct_lock *best = NULL;
    for (size_t i = 0; i < n; i++) {
        ct_lock *l = locks[i];
        if ((uintptr_t)l < (uintptr_t)before &&
            (!best || (uintptr_t)l > (uintptr_t)best))
            best = l;
    }
    return best;
}

/* Release `last` and every lock below it, highest first (the reverse of
 * the order they were taken in). Returns the first error met. */
static int release_from(ct_lock *const locks[], size_t n, ct_lock *last) {
    int first = 0;
    for (ct_lock *l = last; l; l = next_below(locks, n, l)) {
        int r = ct_lock_release(l);
        if (r && !first)
            first = r;
    }
    return first;
}

static int check(ct_lock *const locks[], size_t n) {
    if (!locks || n == 0)
        return CT_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!locks[i])
            return CT_EINVAL;
    return 0;
}

int ct_lock_acquire_all(ct_lock *const locks[], size_t n, double timeout) {
    int rc = check(locks, n);
    if (rc)
        return rc;
    ct_deadline dl;
    rc = ct_deadline_init(&dl, timeout, CT_NEG_REJECT);
    if (rc)
        return rc;
    ct_lock *taken = NULL;
    for (ct_lock *l = next_above(locks, n, NULL); l;
         l = next_above(locks, n, l)) {
        rc = ct__lock_acquire_until(l, &dl);
        if (rc) {
            release_from(locks, n, taken);
            return rc;
        }
        taken = l;
    }
    return 0;
}

int ct_lock_release_all(ct_lock *const locks[], size_t n) {
    int rc = check(locks, n);
    if (rc)
        return rc;
    ct_lock *top = locks[0];
    for (size_t i = 1; i < n; i++)
        if ((uintptr_t)locks[i] > (uintptr_t)top)
            top = locks[i];
    return release_from(locks, n, top);
}
