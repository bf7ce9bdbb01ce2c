/* Scoped guards: CT_WITH(&x) { ... } is Python's `with x:`.
 *
 * The macro declares a ct__guard with the cleanup attribute: enter
 * acquires (CT_FOREVER) and sets `once` when it succeeded, the for loop
 * runs the body once, and the compiler calls ct__guard_exit on every way
 * out of the scope (end of body, break, return, goto), which releases.
 * If the acquire fails (NULL, destroyed object) the body is skipped and
 * exit releases nothing.
 *
 * No shared state of its own: no atomics, no parking here; the ordering
 * is that of the guarded primitive's acquire and release.
 */
#include "internal.h"

static int acquire(void *obj, int kind) {
    switch (kind) {
    case CT__G_LOCK:
        return ct_lock_acquire(obj, CT_FOREVER);
    case CT__G_RLOCK:
        return ct_rlock_acquire(obj, CT_FOREVER);
    case CT__G_COND:
        return ct_condition_acquire(obj, CT_FOREVER);
    case CT__G_SEM:
        return ct_semaphore_acquire(obj, CT_FOREVER);
    case CT__G_BSEM:
        return ct_bounded_semaphore_acquire(obj, CT_FOREVER);
    default:
        return CT_EINVAL;
    }
}

ct__guard ct__guard_enter(void *obj, int kind) {
    ct__guard g = {NULL, kind, 0};
    if (obj && acquire(obj, kind) == 0) {
        g.obj = obj;
        g.once = 1;
    }
    return g;
}

void ct__guard_exit(ct__guard *g) {
    if (!g || !g->obj)
        return;
    void *obj = g->obj;
    g->obj = NULL;
    switch (g->kind) {
    case CT__G_LOCK:
        ct_lock_release(obj);
        break;
    case CT__G_RLOCK:
        ct_rlock_release(obj);
        break;
    case CT__G_COND:
        ct_condition_release(obj);
        break;
    case CT__G_SEM:
        ct_semaphore_release(obj, 1);
        break;
    case CT__G_BSEM:
        ct_bounded_semaphore_release(obj, 1);
        break;
    default:
        break;
    }
}
