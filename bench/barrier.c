/* bench/barrier.c - Barrier: T threads cross one barrier K times.
 *
 * T = 2, 4, 8, 16 threads each call wait K times on one barrier; the
 * figure is wall time / K, the cost of one crossing by all T threads.
 * Above the machine's CPU count every crossing needs every thread to be
 * scheduled, so the figure grows with T by context switches, not by the
 * barrier.
 *
 *   cthreading            ct_barrier_wait
 *   pthread_barrier       pthread_barrier_wait
 *   pthread mutex+cond    the textbook generation-counting barrier
 *   GLib GMutex+GCond     the same textbook barrier on GLib (GLib has no
 *                         barrier of its own)
 *   python Barrier        threading.Barrier (bench/py/barrier.py)
 */
#include "harness.h"
#include "turn.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <stdio.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

/* ------------------------------------------------ textbook barriers */

/* Arrivals and a generation under a mutex + condition; the pthread
 * variant uses the pair's pthread half, the GLib variant its GLib half. */
typedef struct tb_barrier {
    bench_mc m;
    int parties, arrived;
    unsigned long generation;
} tb_barrier;

static void tb_barrier_wait(tb_barrier *b) {
    pthread_mutex_lock(&b->m.mu);
    unsigned long gen = b->generation;
    if (++b->arrived == b->parties) {
        b->arrived = 0;
        b->generation++;
        pthread_cond_broadcast(&b->m.cv);
    } else {
        while (gen == b->generation)
            pthread_cond_wait(&b->m.cv, &b->m.mu);
    }
    pthread_mutex_unlock(&b->m.mu);
}

#ifdef BENCH_HAVE_GLIB
static void gl_barrier_wait(tb_barrier *b) {
    g_mutex_lock(&b->m.gmu);
    unsigned long gen = b->generation;
    if (++b->arrived == b->parties) {
        b->arrived = 0;
        b->generation++;
        g_cond_broadcast(&b->m.gcv);
    } else {
        while (gen == b->generation)
            g_cond_wait(&b->m.gcv, &b->m.gmu);
    }
    g_mutex_unlock(&b->m.gmu);
}
#endif

/* ------------------------------------------------ the crossings */

typedef struct cross {
    long k;
#ifdef BENCH_CT_BARRIER
    ct_barrier ct;
#endif
    pthread_barrier_t px;
    tb_barrier tb; /* the pthread and the GLib textbook barriers */
} cross;

#ifdef BENCH_CT_BARRIER
static void ct_worker(void *ctx, int me) {
    cross *c = ctx;
    for (long i = 0; i < c->k; i++)
        ct_barrier_wait(&c->ct);
}
#endif

static void px_worker(void *ctx, int me) {
    cross *c = ctx;
    for (long i = 0; i < c->k; i++)
        pthread_barrier_wait(&c->px);
}

static void tb_worker(void *ctx, int me) {
    cross *c = ctx;
    for (long i = 0; i < c->k; i++)
        tb_barrier_wait(&c->tb);
}

#ifdef BENCH_HAVE_GLIB
static void gl_worker(void *ctx, int me) {
    cross *c = ctx;
    for (long i = 0; i < c->k; i++)
        gl_barrier_wait(&c->tb);
}
#endif

typedef struct rep_arg {
    long k;
    int threads;
    void (*worker)(void *, int);
} rep_arg;

static int rep(void *arg, bench_out *out) {
    rep_arg *a = arg;
    static cross c;
    c.k = a->k;
#ifdef BENCH_CT_BARRIER
    ct_barrier_init(&c.ct, a->threads);
#endif
    pthread_barrier_init(&c.px, NULL, (unsigned)a->threads);
    bench_mc_init(&c.tb.m);
    c.tb.parties = a->threads;
    c.tb.arrived = 0;
    int64_t ns = bench_team(a->threads, a->worker, &c);
#ifdef BENCH_CT_BARRIER
    ct_barrier_destroy(&c.ct);
#endif
    pthread_barrier_destroy(&c.px);
    bench_mc_destroy(&c.tb.m);
    if (ns < 0)
        return -1;
    out->value[0] = (double)ns / (double)a->k;
    return 0;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "barrier");
    long k = bench_size(20000, 4000, 50);
    const char *param = "crossing", *metric = "ns/crossing";
    static const int threads[] = {2, 4, 8, 16};
    for (size_t i = 0; i < sizeof threads / sizeof *threads; i++) {
        int t = threads[i];
        /* fewer crossings when every one needs T context switches */
        long kt = t > bench_cpus() ? k * bench_cpus() / t : k;
        if (kt < 10)
            kt = 10;
#ifdef BENCH_CT_BARRIER
        rep_arg ct = {kt, t, ct_worker};
        bench_run("cthreading", param, t, metric, rep, &ct);
#else
        if (i == 0)
            bench_skip("cthreading", param, 0, "not built yet");
#endif
        rep_arg px = {kt, t, px_worker}, tb = {kt, t, tb_worker};
        bench_run("pthread_barrier", param, t, metric, rep, &px);
        bench_run("pthread mutex+cond", param, t, metric, rep, &tb);
#ifdef BENCH_HAVE_GLIB
        rep_arg gl = {kt, t, gl_worker};
        bench_run("GLib GMutex+GCond", param, t, metric, rep, &gl);
#endif
    }
#ifndef BENCH_HAVE_GLIB
    bench_skip("GLib GMutex+GCond", param, 0, BENCH_GLIB_SKIP);
#endif
    char args[64];
    snprintf(args, sizeof args, "--k %ld", k / 10);
    bench_python("barrier.py", args, "python Barrier");
    return bench_finish();
}
