/* bench/thread.c - Thread: create + start + join, and current_thread.
 *
 *   create+join      N threads in a row, each created, started and joined
 *                    before the next (the target does nothing): the cost
 *                    of one short-lived thread, the case a pool avoids.
 *   current_thread   the cost of asking "which thread am I" (main thread),
 *                    each called through a volatile function pointer:
 *                    pthread_self is declared const, so a direct call
 *                    would be hoisted out of the loop
 *
 *   cthreading     ct_thread_new + ct_thread_start + ct_thread_join +
 *                  ct_thread_free; ct_thread_current()
 *   pthread        pthread_create + pthread_join; pthread_self()
 *   GLib GThread   g_thread_new + g_thread_join; g_thread_self(); given
 *                  a name, as Thread objects always have one: GLib then
 *                  sets the OS thread name (one prctl in the new thread)
 *                  as cthreading does for every thread; bare pthread
 *                  names nothing (the "within 10 %" baseline)
 *   python         threading.Thread start + join; threading.current_thread()
 */
#include "harness.h"

#include <pthread.h>
#include <stdio.h>

#ifdef BENCH_CT_THREAD
#include <cthreading/thread.h>
#endif
#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

static volatile long sink;

/* ------------------------------------------------ create + join */

#ifdef BENCH_CT_THREAD
static int ct_target(void *arg) {
    sink = (long)arg;
    return 0;
}

static int ct_create(void *arg, bench_out *out) {
    long n = *(long *)arg;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        ct_thread *t = ct_thread_new(ct_target, (void *)i);
        if (!t || ct_thread_start(t) != 0 || ct_thread_join(t, CT_FOREVER) != 0)
            return -1;
        ct_thread_free(t);
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}

static int ct_current(void *arg, bench_out *out) {
    long n = *(long *)arg;
    ct_thread *(*volatile self)(void) = ct_thread_current;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        ct_thread *t = self();
        __asm__ volatile("" : : "r"(t) : "memory");
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}
#endif

static void *px_target(void *arg) {
    sink = (long)arg;
    return NULL;
}

static int px_create(void *arg, bench_out *out) {
    long n = *(long *)arg;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, px_target, (void *)i) != 0)
            return -1;
        pthread_join(t, NULL);
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}

static int px_current(void *arg, bench_out *out) {
    long n = *(long *)arg;
    pthread_t (*volatile self)(void) = pthread_self;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t = self();
        __asm__ volatile("" : : "r"(t) : "memory");
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}

#ifdef BENCH_HAVE_GLIB
static gpointer gl_target(gpointer arg) {
    sink = (long)arg;
    return NULL;
}

static int gl_create(void *arg, bench_out *out) {
    long n = *(long *)arg;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        GThread *t = g_thread_new("bench", gl_target, (gpointer)i);
        g_thread_join(t);
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}

static int gl_current(void *arg, bench_out *out) {
    long n = *(long *)arg;
    GThread *(*volatile self)(void) = g_thread_self;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        GThread *t = self();
        __asm__ volatile("" : : "r"(t) : "memory");
    }
    out->value[0] = (double)(bench_now_ns() - t0) / (double)n;
    return 0;
}
#endif

int main(int argc, char **argv) {
    bench_init(argc, argv, "thread");
    long nc = bench_size(20000, 4000, 50);
    long nq = bench_size(50000000, 10000000, 1000);
#ifdef BENCH_CT_THREAD
    bench_run("cthreading", "create+join", 1, "ns/thread", ct_create, &nc);
#else
    bench_skip("cthreading", "create+join", 1, "not built yet");
#endif
    bench_run("pthread", "create+join", 1, "ns/thread", px_create, &nc);
#ifdef BENCH_HAVE_GLIB
    bench_run("GLib GThread", "create+join", 1, "ns/thread", gl_create, &nc);
#endif
#ifdef BENCH_CT_THREAD
    bench_run("cthreading", "current_thread", 1, "ns/call", ct_current, &nq);
#else
    bench_skip("cthreading", "current_thread", 1, "not built yet");
#endif
    bench_run("pthread", "current_thread", 1, "ns/call", px_current, &nq);
#ifdef BENCH_HAVE_GLIB
    bench_run("GLib GThread", "current_thread", 1, "ns/call", gl_current, &nq);
#else
    bench_skip("GLib GThread", "", 0, BENCH_GLIB_SKIP);
#endif
    char args[96];
    snprintf(args, sizeof args, "--n-create %ld --n-current %ld", nc / 4,
             nq / 100);
    bench_python("thread.py", args, "python threading.Thread");
    return bench_finish();
}
