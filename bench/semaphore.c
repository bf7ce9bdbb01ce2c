/* bench/semaphore.c - Semaphore: two-thread ping-pong.
 *
 * Two semaphores, one per side, start at 1 and 0; each side acquires its
 * own and releases the other's, N times. The figure is one round trip
 * (two hand-offs through a semaphore).
 *
 *   cthreading            ct_semaphore
 *   POSIX sem_t           sem_wait / sem_post
 *   pthread mutex+cond    the textbook counting semaphore (count, mutex,
 *                         condition) a C programmer writes by hand
 *   GLib GMutex+GCond     the same textbook semaphore on GLib (GLib has
 *                         no semaphore of its own)
 *   python Semaphore      threading.Semaphore (bench/py/pingpong.py)
 */
#include "harness.h"
#include "turn.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

/* ------------------------------------------------ textbook semaphores */

/* A count under a mutex + condition; the pthread variant uses the pair's
 * pthread half, the GLib variant its GLib half. */
typedef struct tb_sem {
    bench_mc m;
    long value;
} tb_sem;

static void tb_sem_acquire(tb_sem *s) {
    pthread_mutex_lock(&s->m.mu);
    while (s->value == 0)
        pthread_cond_wait(&s->m.cv, &s->m.mu);
    s->value--;
    pthread_mutex_unlock(&s->m.mu);
}

static void tb_sem_release(tb_sem *s) {
    pthread_mutex_lock(&s->m.mu);
    s->value++;
    pthread_cond_signal(&s->m.cv);
    pthread_mutex_unlock(&s->m.mu);
}

#ifdef BENCH_HAVE_GLIB
static void gl_sem_acquire(tb_sem *s) {
    g_mutex_lock(&s->m.gmu);
    while (s->value == 0)
        g_cond_wait(&s->m.gcv, &s->m.gmu);
    s->value--;
    g_mutex_unlock(&s->m.gmu);
}

static void gl_sem_release(tb_sem *s) {
    g_mutex_lock(&s->m.gmu);
    s->value++;
    g_cond_signal(&s->m.gcv);
    g_mutex_unlock(&s->m.gmu);
}
#endif

/* ------------------------------------------------ the ping-pong */

typedef struct pp {
    long n;
#ifdef BENCH_CT_SEMAPHORE
    ct_semaphore ct[2];
#endif
    sem_t px[2];
    tb_sem tb[2]; /* the pthread and the GLib textbook semaphores */
} pp;

#ifdef BENCH_CT_SEMAPHORE
static void ct_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        ct_semaphore_acquire(&p->ct[me], CT_FOREVER);
        ct_semaphore_release(&p->ct[!me], 1);
    }
}
#endif

static void px_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        while (sem_wait(&p->px[me]) != 0)
            ;
        sem_post(&p->px[!me]);
    }
}

static void tb_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        tb_sem_acquire(&p->tb[me]);
        tb_sem_release(&p->tb[!me]);
    }
}

#ifdef BENCH_HAVE_GLIB
static void gl_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        gl_sem_acquire(&p->tb[me]);
        gl_sem_release(&p->tb[!me]);
    }
}
#endif

static int rep(void *arg, bench_out *out) {
    bench_pp_arg *a = arg;
    static pp p;
    p.n = a->n;
    for (int i = 0; i < 2; i++) {
        int v = i == 0; /* side 0 goes first */
#ifdef BENCH_CT_SEMAPHORE
        ct_semaphore_init(&p.ct[i], v, 0);
#endif
        sem_init(&p.px[i], 0, (unsigned)v);
        bench_mc_init(&p.tb[i].m);
        p.tb[i].value = v;
    }
    int r = bench_pingpong(a->side, &p, a->n, out);
    for (int i = 0; i < 2; i++) {
#ifdef BENCH_CT_SEMAPHORE
        ct_semaphore_destroy(&p.ct[i]);
#endif
        sem_destroy(&p.px[i]);
        bench_mc_destroy(&p.tb[i].m);
    }
    return r;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "semaphore");
    long n = bench_size(50000, 10000, 200);
    const char *param = "ping-pong", *metric = "ns/roundtrip";
#ifdef BENCH_CT_SEMAPHORE
    bench_pp_arg ct = {n, ct_side};
    bench_run("cthreading", param, 2, metric, rep, &ct);
#else
    bench_skip("cthreading", param, 2, "not built yet");
#endif
    bench_pp_arg px = {n, px_side}, tb = {n, tb_side};
    bench_run("POSIX sem_t", param, 2, metric, rep, &px);
    bench_run("pthread mutex+cond", param, 2, metric, rep, &tb);
#ifdef BENCH_HAVE_GLIB
    bench_pp_arg gl = {n, gl_side};
    bench_run("GLib GMutex+GCond", param, 2, metric, rep, &gl);
#else
    bench_skip("GLib GMutex+GCond", param, 2, BENCH_GLIB_SKIP);
#endif
    char args[64];
    snprintf(args, sizeof args, "--kind semaphore --n %ld", n / 5);
    bench_python("pingpong.py", args, "python Semaphore");
    return bench_finish();
}
