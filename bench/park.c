/* bench/park.c - the raw parking layer: a two-thread ping-pong.
 *
 * Two threads hand a turn back and forth N times; the figure is the cost
 * of one round trip (two hand-offs). This is what every blocking
 * primitive of the library pays when it really has to wait.
 *
 *   cthreading     ct_park_wait / ct_park_wake on one turn word (the raw
 *                  layer: every hand-off calls wake, nobody counts waiters)
 *   pthread cond   the textbook: pthread mutex + condition + turn flag
 *   POSIX sem_t    two sem_t, post/wait
 *   GLib GCond     GMutex + GCond + turn flag
 *   python         threading.Condition + turn flag (bench/py/pingpong.py)
 */
#include "harness.h"
#include "turn.h"

#include <cthreading/core.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>

typedef struct pp {
    bench_turn tb;         /* the textbook alternatives (turn.h); tb.n = N */
    _Atomic uint32_t turn; /* cthreading: 0 = ping's turn, 1 = pong's */
    sem_t s[2];
} pp;

/* ---------------------------------------------------------- cthreading */

static void ct_side(void *ctx, int me) {
    pp *p = ctx;
    uint32_t mine = (uint32_t)me, other = (uint32_t)!me;
    for (long i = 0; i < p->tb.n; i++) {
        uint32_t t;
        while ((t = atomic_load_explicit(&p->turn, memory_order_acquire)) !=
               mine)
            ct_park_wait(&p->turn, t, NULL, CT_PARK_PRIVATE);
        atomic_store_explicit(&p->turn, other, memory_order_release);
        ct_park_wake(&p->turn, 1, CT_PARK_PRIVATE);
    }
}

/* ---------------------------------------------------------- sem_t */

static void sem_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->tb.n; i++) {
        while (sem_wait(&p->s[me]) != 0)
            ;
        sem_post(&p->s[!me]);
    }
}

/* ---------------------------------------------------------- driver */

static int rep(void *arg, bench_out *out) {
    bench_pp_arg *a = arg;
    pp p = {0};
    bench_turn_init(&p.tb, a->n);
    sem_init(&p.s[0], 0, 1); /* ping goes first */
    sem_init(&p.s[1], 0, 0);
    /* tb is the first member: a bench_turn side gets it through &p */
    int r = bench_pingpong(a->side, &p, a->n, out);
    bench_turn_destroy(&p.tb);
    sem_destroy(&p.s[0]);
    sem_destroy(&p.s[1]);
    return r;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "park");
    long n = bench_size(50000, 10000, 200);
    const char *param = "ping-pong";
    bench_pp_arg ct = {n, ct_side}, cv = {n, bench_turn_pthread_side},
                 sm = {n, sem_side};
    bench_run("cthreading", param, 2, "ns/roundtrip", rep, &ct);
    bench_run("pthread mutex+cond", param, 2, "ns/roundtrip", rep, &cv);
    bench_run("POSIX sem_t", param, 2, "ns/roundtrip", rep, &sm);
#ifdef BENCH_HAVE_GLIB
    bench_pp_arg gl = {n, bench_turn_glib_side};
    bench_run("GLib GMutex+GCond", param, 2, "ns/roundtrip", rep, &gl);
#else
    bench_skip("GLib GMutex+GCond", param, 2, BENCH_GLIB_SKIP);
#endif
    char args[64];
    snprintf(args, sizeof args, "--kind condition --n %ld", n / 10);
    bench_python("pingpong.py", args, "python Condition");
    return bench_finish();
}
