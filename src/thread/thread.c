/* Thread objects: create, start, join, and the thread's own life.
 *
 * One allocation per thread holds everything: the object, its name, its
 * captured exception and the copy-in argument. Two counters keep it alive:
 *
 *   refs   the owner's reference (from _create), references from
 *          ct_thread_ref/enumerate, and one held by the running thread
 *          from start until its bootstrap ends. Whoever drops the last
 *          one frees the block (and detaches the OS thread if nobody
 *          joined it), so freeing a running thread is safe.
 *
 *   state  CREATED -> STARTED -> RUNNING -> FINISHED (low two bits), plus
 *          WAITERS. Joiners and native_id readers set WAITERS before
 *          parking on the word; the thread wakes the word only when it
 *          changes a state that had WAITERS set, so a join nobody waits
 *          for costs no wake-up syscall.
 *
 *   reap   who owns the pthread_t: 0 not published yet (start still in
 *          pthread_create), 1 published and unclaimed, 2 claimed (a
 *          joiner pthread_join()s it, or the last release detaches it).
 *          Exactly one party wins the 1 -> 2 exchange, so pthread_join is
 *          never called twice and never mixed with pthread_detach.
 *
 *   gen    the fork generation the handle belongs to: in a fork child
 *          the parent's other threads do not exist and their pthread_t
 *          must be neither joined nor detached.
 *
 * A join without limit by the winner of `reap` goes straight to
 * pthread_join (no park, no wake: the cost of a bare pthread join).
 * Everybody else parks on `state` until FINISHED.
 *
 * The thread ends in this order: exception hook, thread-local
 * destructors, removal from the registry together with FINISHED (one step
 * under the registry lock, so fork never sees a live unlisted thread;
 * release: result and exception are visible to whoever sees FINISHED),
 * release of its own reference. So when join returns the thread is out of
 * enumerate() and its locals are destroyed, as in Python. Start likewise
 * moves CREATED -> STARTED and lists the thread in one step.
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { MIN_STACK = 32 * 1024 }; /* Python's THREAD_STACK_MIN check */

static uint32_t load_state(const ct_thread *t) {
    return atomic_load_explicit(&((ct_thread *)t)->state,
                                memory_order_acquire) &
           STATE_MASK;
}

void ct__thread_set_state(ct_thread *t, uint32_t state) {
    uint32_t old =
        atomic_exchange_explicit(&t->state, state, memory_order_acq_rel);
    if (old & STATE_WAITERS)
        ct_park_wake(&t->state, CT_PARK_ALL, 0);
}

/* Park until the state reaches `until` (or falls back to CREATED), or the
 * deadline passes. Returns the last state seen. */
static uint32_t wait_state_past(ct_thread *t, uint32_t until,
                                const ct_deadline *d) {
    for (;;) {
        uint32_t s = atomic_load_explicit(&t->state, memory_order_acquire);
        if ((s & STATE_MASK) >= until || (s & STATE_MASK) == 0)
            return s & STATE_MASK; /* 0: a failed start undid STARTED */
        if (!(s & STATE_WAITERS) &&
            !atomic_compare_exchange_weak_explicit(
                &t->state, &s, s | STATE_WAITERS, memory_order_acquire,
                memory_order_acquire))
            continue;
        if (ct_park_wait(&t->state, s | STATE_WAITERS, d, 0) == CT_ETIMEDOUT)
            return load_state(t);
    }
}

/* ------------------------------------------------------------------ names */

static void set_os_name(const char *name) {
    char os[16]; /* the kernel keeps 15 bytes + NUL */
    size_t n = strnlen(name, sizeof os - 1);
    memcpy(os, name, n);
    os[n] = '\0';
    prctl(PR_SET_NAME, (unsigned long)os, 0, 0, 0);
}

const char *ct_thread_name(const ct_thread *t) {
    return t ? t->name : "";
}

int ct_thread_get_name(const ct_thread *t, char *buf, size_t size) {
    if (!t || !buf || size == 0)
        return CT_EINVAL;
    ct_thread *m = (ct_thread *)t;
    ct__word_lock(&m->name_lock);
    snprintf(buf, size, "%s", m->name);
    ct__word_unlock(&m->name_lock);
    return 0;
}

int ct_thread_set_name(ct_thread *t, const char *name) {
    if (!t || !name)
        return CT_EINVAL;
    /* The OS name and the core's name (for ct_raise) live in the thread
     * itself; another thread's are set by it when it starts. Both are set
     * under the name lock: a concurrent rename cannot tear the copy. */
    bool self = t == ct__self;
    ct__word_lock(&t->name_lock);
    snprintf(t->name, sizeof t->name, "%s", name);
    if (self) {
        ct__set_current_name(t->name);
        set_os_name(t->name);
    }
    ct__word_unlock(&t->name_lock);
    return 0;
}

/* --------------------------------------------------------------- creation */

/* "Thread-N (target)" or "Thread-N", truncated to CT_NAME_MAX - 1 bytes.
 * By hand: snprintf costs more than the rest of thread creation's own
 * work together. */
static void default_name(char out[CT_NAME_MAX], unsigned long n,
                         const char *target) {
    char digits[24];
    int nd = 0;
    do
        digits[nd++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    size_t len = 0;
    for (const char *p = "Thread-"; *p; p++)
        out[len++] = *p;
    while (nd > 0)
        out[len++] = digits[--nd];
    if (target) {
        out[len++] = ' ';
        out[len++] = '(';
        while (*target && len < CT_NAME_MAX - 2)
            out[len++] = *target++;
        out[len++] = ')';
    }
    out[len] = '\0';
}

int ct__thread_make(ct_thread **out, ct_thread_fn fn, void *arg,
                    const void *copy, size_t size,
                    const ct_thread_options *opts) {
    static const ct_thread_options defaults;
    if (out)
        *out = NULL;
    if (!out || !fn || (size && !copy))
        return CT_EINVAL;
    if (!opts)
        opts = &defaults;
    if (opts->stack_size && opts->stack_size < MIN_STACK)
        return CT_EVALUE;
    if (size > SIZE_MAX - sizeof(ct_thread))
        return CT_ENOMEM;
    ct_thread *t = ct__alloc(sizeof *t + size);
    if (!t)
        return CT_ENOMEM;
    memset(t, 0, sizeof *t);
    atomic_init(&t->refs, 1);
    atomic_init(&t->daemon, opts->daemon);
    t->kind = KIND_THREAD;
    t->fn = fn;
    t->arg = arg;
    if (size) {
        memcpy(t->copy, copy, size);
        t->arg = t->copy;
    }
    t->target_name = opts->target_name;
    t->stack_size = opts->stack_size;
    if (opts->name && opts->name[0]) /* Python: "" gets the default */
        snprintf(t->name, sizeof t->name, "%s", opts->name);
    else
        default_name(t->name, ct__thread_counter(), opts->target_name);
    *out = t;
    return 0;
}

int ct_thread_create(ct_thread **out, ct_thread_fn fn, void *arg,
                     const ct_thread_options *opts) {
    return ct__thread_make(out, fn, arg, NULL, 0, opts);
}

int ct_thread_create_copy(ct_thread **out, ct_thread_fn fn, const void *arg,
                          size_t size, const ct_thread_options *opts) {
    if (!arg && size)
        return out ? (*out = NULL, CT_EINVAL) : CT_EINVAL;
    return ct__thread_make(out, fn, NULL, arg, size, opts);
}

ct_thread *ct_thread_new_with(ct_thread_fn fn, void *arg,
                              const ct_thread_options *opts) {
    ct_thread *t;
    return ct_thread_create(&t, fn, arg, opts) == 0 ? t : NULL;
}

ct_thread *ct_thread_new_copy_with(ct_thread_fn fn, const void *arg,
                                   size_t size, const ct_thread_options *opts) {
    ct_thread *t;
    return ct_thread_create_copy(&t, fn, arg, size, opts) == 0 ? t : NULL;
}

/* ------------------------------------------------------- reference count */

ct_thread *ct_thread_ref(ct_thread *t) {
    if (t && t->kind != KIND_MAIN)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void ct_thread_free(ct_thread *t) {
    if (!t || t->kind == KIND_MAIN) /* the main entry is static */
        return;
    /* acq_rel: the last releaser sees every write made under the others */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    /* Last reference: nobody can join any more; let the OS reclaim the
     * thread by itself (it has finished, or is this very thread). */
    if (atomic_exchange_explicit(&t->reap, 2, memory_order_acq_rel) == 1 &&
        t->gen == ct__fork_generation()) /* not a thread of the parent */
        pthread_detach(t->handle);
    ct__free(t);
}

void ct__thread_release(ct_thread *t) {
    ct_thread_free(t);
}

/* ------------------------------------------------------ the thread's life */

/* The calling thread's kernel id without a syscall: on Linux the CPU-time
 * clock of a thread encodes its tid (~tid << 3 | per-thread | SCHED), and
 * glibc builds it from the tid it already keeps. gettid() otherwise. */
static long own_native_id(void) {
#ifdef __linux__
    clockid_t c;
    if (pthread_getcpuclockid(pthread_self(), &c) == 0 && (c & 7) == 6)
        return (long)~(c >> 3);
#endif
    return (long)gettid();
}

static void *bootstrap(void *p) {
    ct_thread *t = p;
    ct__self = t;
    atomic_store_explicit(&t->ident, (unsigned long)pthread_self(),
                          memory_order_relaxed);
    atomic_store_explicit(&t->native_id, own_native_id(), memory_order_relaxed);
    ct__word_lock(&t->name_lock);
    ct__set_current_name(t->name);
    set_os_name(t->name); /* one prctl, about 0.7 us */
    ct__word_unlock(&t->name_lock);
    ct__thread_set_state(t, CT_THREAD_RUNNING);

    int r = t->fn(t->arg);
    if (r < 0) {
        ct__exception_take(r, &t->exc);
        ct_thread_get_name(t, t->exc.thread_name, sizeof t->exc.thread_name);
        ct__excepthook_report(&t->exc, t);
    } else {
        ct_exception_clear();
    }
    t->result = r;

    ct__local_thread_exit();
    ct__registry_finish(t); /* unlisted and FINISHED in one step */
    ct__self = NULL;
    ct_thread_free(t); /* the running thread's reference */
    return NULL;
}

/* Threads we create block asynchronous signals; built once. */
static pthread_attr_t default_attr;
static sigset_t thread_sigmask;
static pthread_once_t attr_once = PTHREAD_ONCE_INIT;

static void init_attr(void) {
    sigfillset(&thread_sigmask);
    static const int sync_signals[] = {SIGSEGV, SIGBUS,  SIGFPE,
                                       SIGILL,  SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof sync_signals / sizeof *sync_signals; i++)
        sigdelset(&thread_sigmask, sync_signals[i]);
    pthread_attr_init(&default_attr);
    pthread_attr_setsigmask_np(&default_attr, &thread_sigmask);
}

static int spawn(ct_thread *t, pthread_t *h) {
    pthread_once(&attr_once, init_attr);
    size_t stack = ct__stack_size_for(t->stack_size);
    if (!stack)
        return pthread_create(h, &default_attr, bootstrap, t);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return EAGAIN;
    int e = pthread_attr_setstacksize(&attr, stack);
    if (e == 0)
        e = pthread_attr_setsigmask_np(&attr, &thread_sigmask);
    if (e == 0)
        e = pthread_create(h, &attr, bootstrap, t);
    pthread_attr_destroy(&attr);
    return e;
}

int ct_thread_start(ct_thread *t) {
    if (!t)
        return CT_EINVAL;
    if (t->kind == KIND_MAIN || t->kind == KIND_DUMMY)
        return CT_ESTATE;
    ct__registry_first_start();
    /* alive and listed from now on, as in Python */
    if (!ct__registry_start(t))
        return CT_ESTATE;
    pthread_t h;
    if (spawn(t, &h) != 0) {
        ct__registry_unstart(t);
        return CT_EAGAIN;
    }
    t->handle = h;
    t->gen = ct__fork_generation();
    /* release: a joiner that claims `reap` sees the handle */
    atomic_store_explicit(&t->reap, 1, memory_order_release);
    return 0;
}

/* Claim the right to pthread_join; true if we won it and the handle is
 * a thread of this process (not of the parent of a fork). */
static bool claim_reap(ct_thread *t) {
    uint32_t one = 1;
    return atomic_compare_exchange_strong_explicit(
               &t->reap, &one, 2, memory_order_acquire, memory_order_relaxed) &&
           t->gen == ct__fork_generation();
}

/* pthread_join, after up to JOIN_SPIN_NS of pthread_tryjoin_np on more
 * than one CPU: a short-lived thread is usually gone by then, and the
 * joiner neither sleeps nor leaves its CPU idle (on a VM an idle vCPU
 * halts, and waking it costs 10-20 us). Measured on 2 vCPUs, 20,000
 * create+join of an empty thread: 27-31 us per thread against 30-35 us
 * with a plain pthread_join, 20,018 context switches down to 115. */
#define JOIN_SPIN_NS 50000
static void reap(ct_thread *t) {
    if (ct__multi_cpu()) {
        int64_t end = ct__now_ns() + JOIN_SPIN_NS;
        do {
            if (pthread_tryjoin_np(t->handle, NULL) == 0)
                return; /* acquires the thread's writes, as pthread_join */
            for (int i = 0; i < 8; i++)
                ct__relax();
        } while (ct__now_ns() < end);
    }
    pthread_join(t->handle, NULL); /* acquires the thread's writes */
}

int ct_thread_join(ct_thread *t, double timeout) {
    if (!t || isnan(timeout))
        return CT_EINVAL;
    if (t->kind == KIND_DUMMY)
        return CT_ESTATE; /* Python: "cannot join a dummy thread" */
    if (load_state(t) == CT_THREAD_CREATED)
        return CT_ESTATE; /* "cannot join thread before it is started" */
    if (t == ct__self)
        return CT_EDEADLK; /* "cannot join current thread" */
    ct_deadline d;
    ct_deadline_init(&d, timeout, CT_NEG_EXPIRED);
    if (ct_deadline_is_never(&d) && claim_reap(t)) {
        reap(t);
        return 0;
    }
    uint32_t s = wait_state_past(t, CT_THREAD_FINISHED, &d);
    if (s == CT_THREAD_CREATED)
        return CT_ESTATE; /* its start failed meanwhile */
    if (s != CT_THREAD_FINISHED)
        return CT_ETIMEDOUT;
    /* Finished: the OS thread is at most a few instructions from its end.
     * Reap it now so a joined thread no longer holds OS resources. */
    if (claim_reap(t))
        pthread_join(t->handle, NULL);
    return 0;
}

/* -------------------------------------------------------------- accessors */

bool ct_thread_is_alive(const ct_thread *t) {
    if (!t)
        return false;
    uint32_t s = load_state(t);
    return s == CT_THREAD_STARTED || s == CT_THREAD_RUNNING;
}

ct_thread_state ct_thread_get_state(const ct_thread *t) {
    return t ? (ct_thread_state)load_state(t) : CT_THREAD_CREATED;
}

bool ct_thread_is_daemon(const ct_thread *t) {
    return t && atomic_load_explicit(&((ct_thread *)t)->daemon,
                                     memory_order_relaxed);
}

int ct_thread_set_daemon(ct_thread *t, bool daemon) {
    if (!t)
        return CT_EINVAL;
    if (t->kind != KIND_THREAD && t->kind != KIND_TIMER)
        return CT_ESTATE;
    /* "cannot set daemon status of active thread" */
    return ct__registry_set_daemon(t, daemon);
}

unsigned long ct_thread_ident(const ct_thread *t) {
    if (!t || load_state(t) == CT_THREAD_CREATED)
        return 0;
    /* The creator publishes the handle after pthread_create; the thread
     * publishes pthread_self() when it runs; either is the same value. */
    unsigned long id =
        atomic_load_explicit(&((ct_thread *)t)->ident, memory_order_relaxed);
    if (!id && atomic_load_explicit(&((ct_thread *)t)->reap,
                                    memory_order_acquire) != 0)
        id = (unsigned long)t->handle;
    return id;
}

long ct_thread_native_id(ct_thread *t) {
    if (!t || load_state(t) == CT_THREAD_CREATED)
        return 0;
    if (load_state(t) == CT_THREAD_STARTED)
        wait_state_past(t, CT_THREAD_RUNNING, NULL);
    return atomic_load_explicit(&t->native_id, memory_order_relaxed);
}

int ct_thread_result(const ct_thread *t) {
    if (!t)
        return CT_EINVAL;
    if (load_state(t) != CT_THREAD_FINISHED)
        return CT_ESTATE;
    return t->result;
}

bool ct_thread_exception(const ct_thread *t, ct_exception *out) {
    if (!out)
        return false;
    if (!t || load_state(t) != CT_THREAD_FINISHED || t->result >= 0) {
        memset(out, 0, sizeof *out);
        return false;
    }
    *out = t->exc;
    return true;
}

unsigned long ct_thread_get_ident(void) {
    return (unsigned long)pthread_self();
}

long ct_thread_get_native_id(void) {
    return (long)gettid();
}
