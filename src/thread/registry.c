/* The registry: which threads are alive (enumerate, active_count), the
 * calling thread's object (current_thread), the main thread, dummies for
 * threads the library did not create, exit and fork.
 *
 *   list   doubly linked, guarded by reg_lock (a three-state word lock:
 *          0 free, 1 held, 2 held with sleepers). Held only for list
 *          edits and snapshots, never across pthread_create or a join.
 *   count  entries in the list; written under the lock, read lock-free.
 *   ct__self   each thread's own object in a thread-local pointer, so
 *          current_thread is one load and takes no lock.
 *
 * A library thread's state moves CREATED -> STARTED together with its
 * linking, and to FINISHED together with its unlinking, both under
 * reg_lock; so whenever the lock is free, a thread is listed exactly when
 * it is alive. Fork relies on that; set_daemon takes the lock to order
 * itself against start.
 *
 * Exit: an atexit handler (registered at the first start or the first
 * thread-local value) marks the main thread finished, as Python's
 * shutdown does, and joins the non-daemon threads. Daemon threads keep running
 * while exit() proceeds; nothing of the registry is ever freed, so they never
 * touch freed state.
 *
 * Fork: the prepare handler takes reg_lock so the child never inherits a
 * half-edited list; the child marks every other thread finished (they do
 * not exist there), empties the list but for itself and makes itself the
 * main thread, and starts a new fork generation so no pthread_t of the
 * parent's threads is ever joined or detached in the child.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Thread_local ct_thread *ct__self __attribute__((tls_model("initial-exec")));

static _Atomic uint32_t reg_lock;
static ct_thread *head;               /* reg_lock */
static _Atomic size_t count;          /* written under reg_lock */
static _Atomic unsigned long counter; /* Thread-N / Dummy-N */
static ct_thread main_entry;
static ct_thread *_Atomic main_ptr = &main_entry;

static pthread_key_t exit_key;
static _Thread_local bool exit_armed;

unsigned long ct__thread_counter(void) {
    return atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed) + 1;
}

/* --------------------------------------------------------------- the list */

static void link_locked(ct_thread *t) {
    t->prev = NULL;
    t->next = head;
    if (head)
        head->prev = t;
    head = t;
    t->registered = true;
    atomic_store_explicit(
        &count, atomic_load_explicit(&count, memory_order_relaxed) + 1,
        memory_order_relaxed);
}

static void unlink_locked(ct_thread *t) {
    if (!t->registered)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    t->registered = false;
    atomic_store_explicit(
        &count, atomic_load_explicit(&count, memory_order_relaxed) - 1,
        memory_order_relaxed);
}

static void registry_add(ct_thread *t) {
    ct__word_lock(&reg_lock);
    link_locked(t);
    ct__word_unlock(&reg_lock);
}

bool ct__registry_start(ct_thread *t) {
    ct__word_lock(&reg_lock);
    uint32_t expect = CT_THREAD_CREATED;
    bool ok = atomic_compare_exchange_strong_explicit(
        &t->state, &expect, CT_THREAD_STARTED, memory_order_acq_rel,
        memory_order_relaxed);
    if (ok) {
        /* the running thread's reference; the caller holds one already */
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
        link_locked(t);
    }
    ct__word_unlock(&reg_lock);
    return ok;
}

void ct__registry_unstart(ct_thread *t) {
    ct__word_lock(&reg_lock);
    unlink_locked(t);
    atomic_fetch_sub_explicit(&t->refs, 1, memory_order_relaxed);
    uint32_t old = atomic_exchange_explicit(&t->state, CT_THREAD_CREATED,
                                            memory_order_acq_rel);
    ct__word_unlock(&reg_lock);
    if (old & STATE_WAITERS)
        ct_park_wake(&t->state, CT_PARK_ALL, 0);
}

void ct__registry_finish(ct_thread *t) {
    ct__word_lock(&reg_lock);
    unlink_locked(t);
    /* release: result and exception are visible with FINISHED */
    uint32_t old = atomic_exchange_explicit(&t->state, CT_THREAD_FINISHED,
                                            memory_order_acq_rel);
    ct__word_unlock(&reg_lock);
    if (old & STATE_WAITERS)
        ct_park_wake(&t->state, CT_PARK_ALL, 0);
}

int ct__registry_set_daemon(ct_thread *t, bool daemon) {
    /* Under the lock so a concurrent start sees the flag before or after,
     * never a change once it is alive (shutdown reads it). */
    ct__word_lock(&reg_lock);
    bool created = (atomic_load_explicit(&t->state, memory_order_relaxed) &
                    STATE_MASK) == CT_THREAD_CREATED;
    if (created)
        atomic_store_explicit(&t->daemon, daemon, memory_order_relaxed);
    ct__word_unlock(&reg_lock);
    return created ? 0 : CT_ESTATE;
}

static _Atomic uint32_t fork_gen;

uint32_t ct__fork_generation(void) {
    return atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

size_t ct_thread_enumerate(ct_thread **buf, size_t cap) {
    if (!buf)
        cap = 0;
    ct__word_lock(&reg_lock);
    size_t n = 0;
    for (ct_thread *t = head; t; t = t->next, n++)
        if (n < cap)
            buf[n] = ct_thread_ref(t);
    ct__word_unlock(&reg_lock);
    return n;
}

size_t ct_thread_active_count(void) {
    return atomic_load_explicit(&count, memory_order_relaxed);
}

/* ---------------------------------------------------- current and dummies */

static void thread_exit_cb(void *unused) {
    (void)unused;
    exit_armed = false;
    ct__local_thread_exit();
    ct_thread *t = ct__self;
    if (t && t->kind == KIND_DUMMY) {
        ct__registry_finish(t);
        ct__self = NULL;
        ct__thread_release(t);
    }
}

void ct__exit_hook_arm(void) {
    if (!exit_armed && pthread_setspecific(exit_key, (void *)1) == 0)
        exit_armed = true;
}

static CT_COLD ct_thread *make_dummy(void) {
    ct_thread *t = ct__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1); /* held by the thread, dropped at its exit */
    atomic_init(&t->state, CT_THREAD_RUNNING);
    atomic_init(&t->reap, 2); /* never ours to join or detach */
    atomic_init(&t->daemon, true);
    atomic_init(&t->ident, (unsigned long)pthread_self());
    atomic_init(&t->native_id, (long)gettid());
    t->kind = KIND_DUMMY;
    snprintf(t->name, sizeof t->name, "Dummy-%lu", ct__thread_counter());
    ct__set_current_name(t->name);
    ct__self = t;
    ct__exit_hook_arm();
    registry_add(t);
    return t;
}

ct_thread *ct_thread_current(void) {
    ct_thread *t = ct__self;
    if (CT_LIKELY(t != NULL))
        return t;
    return make_dummy();
}

ct_thread *ct_thread_main(void) {
    ct_thread *m = atomic_load_explicit(&main_ptr, memory_order_acquire);
    if (m)
        return m;
    /* A forked child whose forking thread had no object yet. */
    m = ct_thread_current();
    atomic_store_explicit(&main_ptr, m, memory_order_release);
    return m;
}

/* ------------------------------------------------------------------- exit */

int ct_threading_shutdown(void) {
    /* Two library threads joining each other here would wait forever: a
     * library thread flags itself and skips the flagged ones (seq_cst: of
     * two entering at once, at least one sees the other's flag). Main,
     * dummies and foreign threads are never joined here, so nobody can
     * wait for them: they skip nobody, and the exit path (main's atexit
     * handler) joins every non-daemon thread, flagged or not. */
    ct_thread *self = ct__self;
    bool joinable =
        self && (self->kind == KIND_THREAD || self->kind == KIND_TIMER);
    if (joinable)
        atomic_store(&self->in_shutdown, true);
    int joined = 0;
    for (;;) {
        ct_thread *found = NULL;
        ct__word_lock(&reg_lock);
        for (ct_thread *t = head; t; t = t->next) {
            if ((t->kind == KIND_THREAD || t->kind == KIND_TIMER) &&
                t != self &&
                !atomic_load_explicit(&t->daemon, memory_order_relaxed) &&
                !(joinable && atomic_load(&t->in_shutdown))) {
                found = ct_thread_ref(t);
                break;
            }
        }
        ct__word_unlock(&reg_lock);
        if (!found)
            break;
        ct_thread_join(found, CT_FOREVER);
        ct_thread_free(found);
        joined++;
    }
    if (joinable)
        atomic_store(&self->in_shutdown, false);
    return joined;
}

static void at_exit(void) {
    /* As Python's shutdown: the main thread counts as done from here on,
     * so a thread joining it is released instead of deadlocking the
     * join below. Only when main itself is exiting (a worker calling
     * exit() leaves main running until the process ends). */
    ct_thread *m = atomic_load_explicit(&main_ptr, memory_order_acquire);
    if (m && m == ct__self &&
        (atomic_load_explicit(&m->state, memory_order_relaxed) & STATE_MASK) !=
            CT_THREAD_FINISHED)
        ct__registry_finish(m);
    ct_threading_shutdown();
    /* Python clears the main thread's locals at shutdown too. */
    ct__local_thread_exit();
}

static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;
static void register_atexit(void) {
    atexit(at_exit);
}

void ct__registry_first_start(void) {
    pthread_once(&atexit_once, register_atexit);
}

/* ------------------------------------------------------------------- fork */

static void fork_prepare(void) {
    ct__word_lock(&reg_lock);
}

static void fork_parent(void) {
    ct__word_unlock(&reg_lock);
}

static void fork_child(void) {
    ct_thread *self = ct__self;
    ct_thread *t = head;
    head = NULL;
    atomic_store_explicit(&count, 0, memory_order_relaxed);
    while (t) {
        ct_thread *next = t->next;
        t->prev = t->next = NULL;
        t->registered = false;
        /* a thread that does not exist here may have held it */
        atomic_store_explicit(&t->name_lock, 0, memory_order_relaxed);
        if (t != self) {
            /* It does not exist here: finished, never to be joined, and
             * the reference its thread held is dropped for it. */
            atomic_store_explicit(&t->state, CT_THREAD_FINISHED,
                                  memory_order_relaxed);
            atomic_store_explicit(&t->reap, 2, memory_order_relaxed);
            if (t->kind != KIND_MAIN)
                ct__thread_release(t);
        }
        t = next;
    }
    /* pthread_t values from before the fork name threads that do not
     * exist here (glibc has reclaimed their descriptors): joining or
     * detaching one would be undefined. The new generation marks them. */
    uint32_t gen =
        atomic_fetch_add_explicit(&fork_gen, 1, memory_order_relaxed) + 1;
    if (self) {
        link_locked(self);
        atomic_store_explicit(&self->native_id, (long)gettid(),
                              memory_order_relaxed);
        self->gen = gen; /* the forking thread is the same thread here */
    }
    atomic_store_explicit(&main_ptr, self, memory_order_relaxed);
    atomic_store_explicit(&reg_lock, 0, memory_order_relaxed);
}

/* --------------------------------------------------------------- start-up */

__attribute__((constructor)) static void registry_init(void) {
    ct_thread *m = &main_entry;
    atomic_init(&m->refs, 1);
    atomic_init(&m->state, CT_THREAD_RUNNING);
    atomic_init(&m->reap, 2); /* the main thread is never joined */
    atomic_init(&m->ident, (unsigned long)pthread_self());
    atomic_init(&m->native_id, (long)getpid());
    m->kind = KIND_MAIN;
    strcpy(m->name, "MainThread");
    ct__self = m;
    ct__set_current_name(m->name);
    link_locked(m);
    pthread_key_create(&exit_key, thread_exit_cb);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ------------------------------------------------------------ word lock */

void ct__word_lock(_Atomic uint32_t *w) {
    uint32_t c = 0;
    if (CT_LIKELY(atomic_compare_exchange_strong_explicit(
            w, &c, 1, memory_order_acquire, memory_order_relaxed)))
        return;
    if (c != 2)
        c = atomic_exchange_explicit(w, 2, memory_order_acquire);
    while (c != 0) {
        ct_park_wait(w, 2, NULL, 0);
        c = atomic_exchange_explicit(w, 2, memory_order_acquire);
    }
}

void ct__word_unlock(_Atomic uint32_t *w) {
    if (atomic_exchange_explicit(w, 0, memory_order_release) == 2)
        ct_park_wake(w, 1, 0);
}
