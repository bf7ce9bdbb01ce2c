/* bench/turn.h - the textbook two-thread ping-pong that park.c and
 * condition.c both compare against: a mutex, a condition and a turn flag,
 * on pthreads and on GLib. One copy, so both cases measure the same code.
 *
 * Each side waits until turn == me, flips it and signals, n times; run the
 * sides with bench_team(2, side, turn). */
#ifndef BENCH_TURN_H
#define BENCH_TURN_H

#include <pthread.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

typedef struct bench_turn {
    long n;
    int turn; /* 0: side 0 goes next */
    pthread_mutex_t mu;
    pthread_cond_t cv;
#ifdef BENCH_HAVE_GLIB
    GMutex gmu;
    GCond gcv;
#endif
} bench_turn;

static inline void bench_turn_init(bench_turn *t, long n) {
    t->n = n;
    t->turn = 0;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
#ifdef BENCH_HAVE_GLIB
    g_mutex_init(&t->gmu);
    g_cond_init(&t->gcv);
#endif
}

static inline void bench_turn_destroy(bench_turn *t) {
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
#ifdef BENCH_HAVE_GLIB
    g_mutex_clear(&t->gmu);
    g_cond_clear(&t->gcv);
#endif
}

/* Side functions for bench_team; ctx is the bench_turn. */
static inline void bench_turn_pthread_side(void *ctx, int me) {
    bench_turn *t = ctx;
    for (long i = 0; i < t->n; i++) {
        pthread_mutex_lock(&t->mu);
        while (t->turn != me)
            pthread_cond_wait(&t->cv, &t->mu);
        t->turn = !me;
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
    }
}

#ifdef BENCH_HAVE_GLIB
static inline void bench_turn_glib_side(void *ctx, int me) {
    bench_turn *t = ctx;
    for (long i = 0; i < t->n; i++) {
        g_mutex_lock(&t->gmu);
        while (t->turn != me)
            g_cond_wait(&t->gcv, &t->gmu);
        t->turn = !me;
        g_cond_signal(&t->gcv);
        g_mutex_unlock(&t->gmu);
    }
}
#endif

#endif
