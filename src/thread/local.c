/* Thread-local storage (threading.local).
 *
 * Each thread keeps its own singly linked list of cells {key, value} in a
 * thread-local head; nothing is shared between threads but the key, so
 * get/set take no lock. A key is reference counted: one reference for its
 * owner, one per cell. ct_local_free drops the owner's; a thread that
 * still holds a value keeps the key (its destructor pointer) alive until
 * it exits and destroys the value, so a key is never freed under a cell.
 *
 * Exit: library threads call ct__local_thread_exit() from their bootstrap
 * before they are reported finished; other threads through the registry's
 * pthread key destructor, armed when they make their first cell; the
 * thread calling exit() (main, usually) from the atexit handler, which
 * the first cell registers if no thread was started yet.
 */
#include "internal.h"

struct ct_local {
    _Atomic uint32_t refs;
    ct_local_options opts;
};

struct cell {
    struct cell *next;
    ct_local *key;
    void *value;
};

static _Thread_local struct cell *cells;

static void key_unref(ct_local *l) {
    if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1) {
        ct__free(l);
    }
}

int ct_local_create(ct_local **out, const ct_local_options *opts) {
    if (!out)
        return CT_EINVAL;
    ct_local *l = ct__calloc(1, sizeof *l);
    *out = l;
    if (!l)
        return CT_ENOMEM;
    atomic_init(&l->refs, 1);
    if (opts)
        l->opts = *opts;
    return 0;
}

ct_local *ct_local_new_with(const ct_local_options *opts) {
    ct_local *l;
    return ct_local_create(&l, opts) == 0 ? l : NULL;
}

static struct cell *find(ct_local *l) {
    for (struct cell *c = cells; c; c = c->next)
        if (c->key == l)
            return c;
    return NULL;
}

static struct cell *add(ct_local *l) {
    struct cell *c = ct__alloc(sizeof *c);
    if (!c)
        return NULL;
    /* relaxed: the caller holds the owner's reference */
    atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
    c->key = l;
    c->value = NULL;
    c->next = cells;
    cells = c;
    ct__exit_hook_arm();
    ct__registry_first_start(); /* the exiting thread's values at exit */
    return c;
}

void *ct_local_get(ct_local *l) {
    if (!l)
        return NULL;
    struct cell *c = find(l);
    if (CT_LIKELY(c != NULL))
        return c->value;
    c = add(l);
    if (!c)
        return NULL;
    /* The cell is in the list before init runs, so an init that reads
     * the key again sees NULL instead of recursing. */
    if (l->opts.init)
        c->value = l->opts.init(l->opts.init_arg);
    return c->value;
}

int ct_local_set(ct_local *l, void *value) {
    if (!l)
        return CT_EINVAL;
    struct cell *c = find(l);
    if (!c && !(c = add(l)))
        return CT_ENOMEM;
    void *old = c->value;
    c->value = value;
    if (old && old != value && l->opts.destructor)
        l->opts.destructor(old);
    return 0;
}

/* Unlink and destroy the calling thread's cell for `l`, if any. */
static void drop_cell(ct_local *l) {
    for (struct cell **pp = &cells; *pp; pp = &(*pp)->next) {
        struct cell *c = *pp;
        if (c->key != l)
            continue;
        *pp = c->next;
        if (c->value && l->opts.destructor)
            l->opts.destructor(c->value);
        ct__free(c);
        key_unref(l);
        return;
    }
}

void ct_local_free(ct_local *l) {
    if (!l)
        return;
    drop_cell(l);
    key_unref(l);
}

void ct__local_thread_exit(void) {
    /* A destructor may set values again (as with pthread keys): repeat a
     * few rounds, then give up rather than loop forever. */
    for (int round = 0; round < 4 && cells; round++) {
        struct cell *c = cells;
        cells = NULL;
        while (c) {
            struct cell *next = c->next;
            if (c->value && c->key->opts.destructor)
                c->key->opts.destructor(c->value);
            key_unref(c->key);
            ct__free(c);
            c = next;
        }
    }
}
