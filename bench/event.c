/* bench/event.c - Event: two-thread ping-pong.
 *
 * Two events, one per side. A side waits for its own event, clears it
 * and sets the other's, N times (the first side's event starts set). The
 * figure is one round trip (two hand-offs through an event).
 *
 *   cthreading            ct_event
 *   pthread mutex+cond    the textbook event (flag, mutex, condition,
 *                         broadcast on set) a C programmer writes by hand
 *   GLib GMutex+GCond     the same textbook event on GLib (GLib has no
 *                         event of its own)
 *   python Event          threading.Event (bench/py/pingpong.py)
 */
#include "harness.h"
#include "turn.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

/* ------------------------------------------------ textbook events */

/* A flag under a mutex + condition; the pthread variant uses the pair's
 * pthread half, the GLib variant its GLib half. */
typedef struct tb_event {
    bench_mc m;
    bool set;
} tb_event;

static void tb_event_wait(tb_event *e) {
    pthread_mutex_lock(&e->m.mu);
    while (!e->set)
        pthread_cond_wait(&e->m.cv, &e->m.mu);
    pthread_mutex_unlock(&e->m.mu);
}

static void tb_event_set(tb_event *e, bool v) {
    pthread_mutex_lock(&e->m.mu);
    e->set = v;
    if (v)
        pthread_cond_broadcast(&e->m.cv);
    pthread_mutex_unlock(&e->m.mu);
}

#ifdef BENCH_HAVE_GLIB
static void gl_event_wait(tb_event *e) {
    g_mutex_lock(&e->m.gmu);
    while (!e->set)
        g_cond_wait(&e->m.gcv, &e->m.gmu);
    g_mutex_unlock(&e->m.gmu);
}

static void gl_event_set(tb_event *e, bool v) {
    g_mutex_lock(&e->m.gmu);
    e->set = v;
    if (v)
        g_cond_broadcast(&e->m.gcv);
    g_mutex_unlock(&e->m.gmu);
}
#endif

/* ------------------------------------------------ the ping-pong */

typedef struct pp {
    long n;
#ifdef BENCH_CT_EVENT
    ct_event ct[2];
#endif
    tb_event tb[2]; /* the pthread and the GLib textbook events */
} pp;

#ifdef BENCH_CT_EVENT
static void ct_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        ct_event_wait(&p->ct[me], CT_FOREVER);
        ct_event_clear(&p->ct[me]);
        ct_event_set(&p->ct[!me]);
    }
}
#endif

static void tb_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        tb_event_wait(&p->tb[me]);
        tb_event_set(&p->tb[me], false);
        tb_event_set(&p->tb[!me], true);
    }
}

#ifdef BENCH_HAVE_GLIB
static void gl_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->n; i++) {
        gl_event_wait(&p->tb[me]);
        gl_event_set(&p->tb[me], false);
        gl_event_set(&p->tb[!me], true);
    }
}
#endif

static int rep(void *arg, bench_out *out) {
    bench_pp_arg *a = arg;
    static pp p;
    p.n = a->n;
    for (int i = 0; i < 2; i++) {
        bool v = i == 0; /* side 0 goes first */
#ifdef BENCH_CT_EVENT
        ct_event_init(&p.ct[i], 0);
        if (v)
            ct_event_set(&p.ct[i]);
#endif
        bench_mc_init(&p.tb[i].m);
        p.tb[i].set = v;
    }
    int r = bench_pingpong(a->side, &p, a->n, out);
    for (int i = 0; i < 2; i++) {
#ifdef BENCH_CT_EVENT
        ct_event_destroy(&p.ct[i]);
#endif
        bench_mc_destroy(&p.tb[i].m);
    }
    return r;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "event");
    long n = bench_size(50000, 10000, 200);
    const char *param = "ping-pong", *metric = "ns/roundtrip";
#ifdef BENCH_CT_EVENT
    bench_pp_arg ct = {n, ct_side};
    bench_run("cthreading", param, 2, metric, rep, &ct);
#else
    bench_skip("cthreading", param, 2, "not built yet");
#endif
    bench_pp_arg tb = {n, tb_side};
    bench_run("pthread mutex+cond", param, 2, metric, rep, &tb);
#ifdef BENCH_HAVE_GLIB
    bench_pp_arg gl = {n, gl_side};
    bench_run("GLib GMutex+GCond", param, 2, metric, rep, &gl);
#else
    bench_skip("GLib GMutex+GCond", param, 2, BENCH_GLIB_SKIP);
#endif
    char args[64];
    snprintf(args, sizeof args, "--kind event --n %ld", n / 5);
    bench_python("pingpong.py", args, "python Event");
    return bench_finish();
}
