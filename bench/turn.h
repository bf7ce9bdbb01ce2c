/* bench/turn.h - what the two-thread ping-pong cases (park, condition,
 * semaphore, event) share: the mutex + condition pair every textbook
 * variant is built on, the textbook turn that park.c and condition.c
 * both compare against, and the timing of one repetition. One copy, so
 * every case measures the same code.
 *
 * A turn: each side waits until turn == me, flips it and signals, n
 * times; run the sides with bench_team(2, side, turn). */
#ifndef BENCH_TURN_H
#define BENCH_TURN_H

#include "harness.h"

#include <pthread.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

/* A mutex and a condition, on pthreads and (when GLib is there) on GLib;
 * a variant uses the pair of its own library. */
typedef struct bench_mc {
    pthread_mutex_t mu;
    pthread_cond_t cv;
#ifdef BENCH_HAVE_GLIB
    GMutex gmu;
    GCond gcv;
#endif
} bench_mc;

static inline void bench_mc_init(bench_mc *m) {
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
#ifdef BENCH_HAVE_GLIB
    g_mutex_init(&m->gmu);
    g_cond_init(&m->gcv);
#endif
}

static inline void bench_mc_destroy(bench_mc *m) {
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
#ifdef BENCH_HAVE_GLIB
    g_mutex_clear(&m->gmu);
    g_cond_clear(&m->gcv);
#endif
}

/* What a ping-pong case passes to its repetition: round trips and the
 * variant's side function. */
typedef struct bench_pp_arg {
    long n;
    void (*side)(void *ctx, int me);
} bench_pp_arg;

/* One repetition: `side` on two threads over `ctx` for n round trips;
 * the figure is ns per round trip. -1 if the team could not run. */
static inline int bench_pingpong(void (*side)(void *, int), void *ctx, long n,
                                 bench_out *out) {
    int64_t ns = bench_team(2, side, ctx);
    if (ns < 0)
        return -1;
    out->value[0] = (double)ns / (double)n;
    return 0;
}

typedef struct bench_turn {
    long n;
    int turn; /* 0: side 0 goes next */
    bench_mc m;
} bench_turn;

static inline void bench_turn_init(bench_turn *t, long n) {
    t->n = n;
    t->turn = 0;
    bench_mc_init(&t->m);
}

static inline void bench_turn_destroy(bench_turn *t) {
    bench_mc_destroy(&t->m);
}

/* Side functions for bench_team; ctx is the bench_turn. */
static inline void bench_turn_pthread_side(void *ctx, int me) {
    bench_turn *t = ctx;
    for (long i = 0; i < t->n; i++) {
        pthread_mutex_lock(&t->m.mu);
        while (t->turn != me)
            pthread_cond_wait(&t->m.cv, &t->m.mu);
        t->turn = !me;
        pthread_cond_signal(&t->m.cv);
        pthread_mutex_unlock(&t->m.mu);
    }
}

#ifdef BENCH_HAVE_GLIB
static inline void bench_turn_glib_side(void *ctx, int me) {
    bench_turn *t = ctx;
    for (long i = 0; i < t->n; i++) {
        g_mutex_lock(&t->m.gmu);
        while (t->turn != me)
            g_cond_wait(&t->m.gcv, &t->m.gmu);
        t->turn = !me;
        g_cond_signal(&t->m.gcv);
        g_mutex_unlock(&t->m.gmu);
    }
}
#endif

#endif
