/* bench/condition.c - Condition: two-thread ping-pong over a turn flag.
 *
 * Two threads share a lock, a condition and a turn flag; each waits
 * until it is its turn, flips the turn and notifies, N times. The figure
 * is one round trip (two hand-offs through the condition).
 *
 *   cthreading            ct_condition over a ct_lock
 *   pthread mutex+cond    pthread_mutex_t + pthread_cond_t
 *   GLib GMutex+GCond     GMutex + GCond
 *   python Condition      threading.Condition(threading.Lock())
 *                         (bench/py/pingpong.py)
 */
#include "harness.h"
#include "turn.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <stdio.h>

/* The alternatives' state is the shared textbook turn (turn.h); ours
 * rides beside it on the same turn flag. */
typedef struct pp {
    bench_turn tb; /* first: the alternatives' sides take &pp as theirs */
#ifdef BENCH_CT_CONDITION
    ct_lock lock;
    ct_condition cond;
#endif
} pp;

#ifdef BENCH_CT_CONDITION
static void ct_side(void *ctx, int me) {
    pp *p = ctx;
    for (long i = 0; i < p->tb.n; i++) {
        ct_condition_acquire(&p->cond, CT_FOREVER);
        while (p->tb.turn != me)
            ct_condition_wait(&p->cond, CT_FOREVER);
        p->tb.turn = !me;
        ct_condition_notify(&p->cond, 1);
        ct_condition_release(&p->cond);
    }
}
#endif

static int rep(void *arg, bench_out *out) {
    bench_pp_arg *a = arg;
    static pp p;
    bench_turn_init(&p.tb, a->n);
#ifdef BENCH_CT_CONDITION
    ct_lock_init(&p.lock, 0);
    ct_condition_init(&p.cond, &p.lock, NULL, 0);
#endif
    /* tb is the first member: a bench_turn side gets it through &p */
    int r = bench_pingpong(a->side, &p, a->n, out);
#ifdef BENCH_CT_CONDITION
    ct_condition_destroy(&p.cond);
    ct_lock_destroy(&p.lock);
#endif
    bench_turn_destroy(&p.tb);
    return r;
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "condition");
    long n = bench_size(50000, 10000, 200);
    const char *param = "ping-pong", *metric = "ns/roundtrip";
#ifdef BENCH_CT_CONDITION
    bench_pp_arg ct = {n, ct_side};
    bench_run("cthreading", param, 2, metric, rep, &ct);
#else
    bench_skip("cthreading", param, 2, "not built yet");
#endif
    bench_pp_arg px = {n, bench_turn_pthread_side};
    bench_run("pthread mutex+cond", param, 2, metric, rep, &px);
#ifdef BENCH_HAVE_GLIB
    bench_pp_arg gl = {n, bench_turn_glib_side};
    bench_run("GLib GMutex+GCond", param, 2, metric, rep, &gl);
#else
    bench_skip("GLib GMutex+GCond", param, 2, BENCH_GLIB_SKIP);
#endif
    char args[64];
    snprintf(args, sizeof args, "--kind condition --n %ld", n / 5);
    bench_python("pingpong.py", args, "python Condition");
    return bench_finish();
}
