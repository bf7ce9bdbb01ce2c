/* bench/lock.c - Lock: uncontended and contended acquire/release.
 *
 *   uncontended  one thread, acquire + release in a loop: the fast path
 *                (one atomic each way, no system call)
 *   rlock        the same with a reentrant lock (RLock, recursive mutex,
 *                GRecMutex), taken once per loop
 *   contended    T threads (1, 2, 4, 8, 16) share one lock and together
 *                do N increments of a shared counter, one per critical
 *                section, no work outside it: the worst case. The figure
 *                is wall time / N; "share" is the smallest and largest
 *                per-thread part of N relative to a fair share (1.00 =
 *                fair), the starvation indicator.
 *
 *   cthreading      ct_lock
 *   pthread mutex   pthread_mutex_t (default attributes)
 *   GLib GMutex     g_mutex_lock / g_mutex_unlock
 *   python Lock     threading.Lock, threading.RLock (bench/py/lock.py)
 */
#include "harness.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <stdio.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

#define MAXT 16

typedef struct shared {
    long n;     /* operations in all */
    long count; /* protected by the lock */
    struct {
        long v;
        char pad[56];
    } mine[MAXT];
} shared;

/* One variant: its lock, the uncontended loop and the contended worker,
 * written once with the variant's lock/unlock spelled in. */
#define LOCK_VARIANT(name, type, init, fini, lock, unlock)                     \
    typedef struct name##_ctx {                                                \
        shared s;                                                              \
        type mu;                                                               \
    } name##_ctx;                                                              \
    static void name##_worker(void *p, int me) {                               \
        name##_ctx *c = p;                                                     \
        type *mu = &c->mu;                                                     \
        long mine = 0;                                                         \
        for (;;) {                                                             \
            lock;                                                              \
            if (c->s.count >= c->s.n) {                                        \
                unlock;                                                        \
                break;                                                         \
            }                                                                  \
            c->s.count++;                                                      \
            unlock;                                                            \
            mine++;                                                            \
        }                                                                      \
        c->s.mine[me].v = mine;                                                \
    }                                                                          \
    __attribute__((unused)) static int name##_uncontended(void *arg,           \
                                                          bench_out *out) {    \
        long n = *(long *)arg;                                                 \
        static name##_ctx c;                                                   \
        type *mu = &c.mu;                                                      \
        init;                                                                  \
        int64_t t0 = bench_now_ns();                                           \
        for (long i = 0; i < n; i++) {                                         \
            lock;                                                              \
            __asm__ volatile("" ::: "memory");                                 \
            unlock;                                                            \
        }                                                                      \
        out->value[0] = (double)(bench_now_ns() - t0) / (double)n;             \
        fini;                                                                  \
        return 0;                                                              \
    }                                                                          \
    __attribute__((unused)) static int name##_contended(void *arg,             \
                                                        bench_out *out) {      \
        const long *a = arg; /* {n, threads} */                                \
        static name##_ctx c;                                                   \
        type *mu = &c.mu;                                                      \
        c.s.n = a[0];                                                          \
        c.s.count = 0;                                                         \
        init;                                                                  \
        int64_t ns = bench_team((int)a[1], name##_worker, &c);                 \
        fini;                                                                  \
        if (ns < 0 || c.s.count != a[0])                                       \
            return -1;                                                         \
        long counts[MAXT];                                                     \
        for (int i = 0; i < a[1]; i++)                                         \
            counts[i] = c.s.mine[i].v;                                         \
        bench_shares(out, counts, (int)a[1]);                                  \
        out->value[0] = (double)ns / (double)a[0];                             \
        return 0;                                                              \
    }

#ifdef BENCH_CT_LOCK
LOCK_VARIANT(ctl, ct_lock, ct_lock_init(mu, 0), ct_lock_destroy(mu),
             ct_lock_acquire(mu, CT_FOREVER), ct_lock_release(mu))
#endif
LOCK_VARIANT(pth, pthread_mutex_t, pthread_mutex_init(mu, NULL),
             pthread_mutex_destroy(mu), pthread_mutex_lock(mu),
             pthread_mutex_unlock(mu))
#ifdef BENCH_CT_RLOCK
LOCK_VARIANT(ctr, ct_rlock, ct_rlock_init(mu, 0), ct_rlock_destroy(mu),
             ct_rlock_acquire(mu, CT_FOREVER), ct_rlock_release(mu))
#endif
static void recursive_init(pthread_mutex_t *mu) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(mu, &a);
    pthread_mutexattr_destroy(&a);
}
LOCK_VARIANT(pthr, pthread_mutex_t, recursive_init(mu),
             pthread_mutex_destroy(mu), pthread_mutex_lock(mu),
             pthread_mutex_unlock(mu))
#ifdef BENCH_HAVE_GLIB
LOCK_VARIANT(glr, GRecMutex, g_rec_mutex_init(mu), g_rec_mutex_clear(mu),
             g_rec_mutex_lock(mu), g_rec_mutex_unlock(mu))
LOCK_VARIANT(gl, GMutex, g_mutex_init(mu), g_mutex_clear(mu), g_mutex_lock(mu),
             g_mutex_unlock(mu))
#endif

int main(int argc, char **argv) {
    bench_init(argc, argv, "lock");
    long nu = bench_size(20000000, 4000000, 2000);
    long nc = bench_size(20000000, 4000000, 2000);
    static const int threads[] = {1, 2, 4, 8, 16};

#ifdef BENCH_CT_LOCK
    bench_run("cthreading", "uncontended", 1, "ns/op", ctl_uncontended, &nu);
#else
    bench_skip("cthreading", "uncontended", 1, "not built yet");
#endif
    bench_run("pthread mutex", "uncontended", 1, "ns/op", pth_uncontended, &nu);
#ifdef BENCH_HAVE_GLIB
    bench_run("GLib GMutex", "uncontended", 1, "ns/op", gl_uncontended, &nu);
#endif
#ifdef BENCH_CT_RLOCK
    bench_run("cthreading", "rlock", 1, "ns/op", ctr_uncontended, &nu);
#else
    bench_skip("cthreading", "rlock", 1, "not built yet");
#endif
    bench_run("pthread recursive mutex", "rlock", 1, "ns/op", pthr_uncontended,
              &nu);
#ifdef BENCH_HAVE_GLIB
    bench_run("GLib GRecMutex", "rlock", 1, "ns/op", glr_uncontended, &nu);
#endif
    for (size_t i = 0; i < sizeof threads / sizeof *threads; i++) {
        long a[2] = {nc, threads[i]};
#ifdef BENCH_CT_LOCK
        bench_run("cthreading", "contended", threads[i], "ns/op", ctl_contended,
                  a);
#else
        if (i == 0)
            bench_skip("cthreading", "contended", 0, "not built yet");
#endif
        bench_run("pthread mutex", "contended", threads[i], "ns/op",
                  pth_contended, a);
#ifdef BENCH_HAVE_GLIB
        bench_run("GLib GMutex", "contended", threads[i], "ns/op", gl_contended,
                  a);
#endif
    }
#ifndef BENCH_HAVE_GLIB
    bench_skip("GLib GMutex", "", 0, BENCH_GLIB_SKIP);
#endif
    char args[96];
    snprintf(args, sizeof args, "--n-uncontended %ld --n-contended %ld",
             nu / 40, nc / 50);
    bench_python("lock.py", args, "python Lock,python RLock");
    return bench_finish();
}
