/* bench/queue.c - Queue: MPMC throughput and hand-off latency.
 *
 *   mpmc      P producers and C consumers (P/C = 1/1, 2/2, 4/4, 8/8; the T
 *             column is P + C) move N items through one queue bounded to
 *             1,024 slots; the figure is wall time / N. Every item is
 *             checked to arrive exactly once (sum of the values).
 *             N: the warm-up starts at 1 million items (200,000 in quick
 *             mode, 800 in smoke mode; the slow-consumer rows half, the
 *             one-CPU rows a quarter) and, while a run of it takes less
 *             than min_rep_ns() (100 ms; 20 ms in quick mode, none in
 *             smoke mode), runs again with N scaled to that time at its
 *             pace (up to 4 runs, N at most MAX_ITEMS). The measured
 *             repetitions move the final N. So a fast variant is not
 *             timed over a few ms, where how the kernel first places the
 *             threads on the CPUs decides the figure (a 1/1 row of ~8 ms
 *             repetitions ran 4.8-13.3 ns). bench/py/queues.py sizes the
 *             CPython rows the same way, with these limits passed on.
 *   mpmc slow consumer
 *             the same at P/C = 1/1 and 2/2, with each consumer doing about
 *             5 ns of work per item: enough that the ring stays full
 *             (cthreading's putters wait for room ~600 times as often as
 *             its getters wait for items), and the getters set the pace.
 *   mpmc one CPU
 *             the same at P/C = 1/1 and 4/4 with every producer and
 *             consumer pinned to one CPU (the first of the process's): a
 *             process limited to one CPU (taskset, a cpuset), or a
 *             scheduler that leaves the threads on one CPU. No two of
 *             them run at once, so a thread that spins waiting for
 *             another only delays it.
 *   latency   one producer, one consumer: the producer stamps the time,
 *             puts, and waits until the consumer has taken the item; the
 *             figure is the time from put to get returning, p50 and p99.
 *             "busy": the next item follows at once (the consumer is
 *             still spinning); "idle": the producer sleeps 50 us between
 *             items (the consumer has gone to sleep and must be woken).
 *
 *   cthreading           ct_queue (.maxsize = 1024): lock-free ring
 *   pthread mutex+cond   the textbook bounded ring: one mutex, two
 *                        conditions (not empty, not full)
 *   GLib GAsyncQueue     g_async_queue_push/pop: unbounded (no
 *                        back-pressure: producers never wait)
 *   oneTBB               concurrent_bounded_queue, capacity 1,024
 *   moodycamel           BlockingConcurrentQueue: unbounded, per-producer
 *                        FIFO only, no producer tokens
 *   python queue.Queue   queue.Queue(maxsize=1024) (bench/py/queues.py; its
 *                        latency producer blocks on an acknowledgement
 *                        queue instead of spinning: a spinning Python
 *                        thread holds the GIL)
 *
 * Every variant is called through the same four function pointers, so
 * the indirection costs all of them alike (about 1 ns).
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef BENCH_CT_QUEUE
#include <cthreading/queue.h>
#endif
#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

#define CAPACITY 1024
/* Iterations of the slow consumer's busy loop per item (~4.7 ns in all
 * on the 2-vCPU EPYC here). */
#define SLOW_CONSUMER_WORK 20

typedef struct qops {
    const char *name;
    void *(*create)(long cap);
    void (*put)(void *q, void *item);
    void *(*get)(void *q);
    void (*destroy)(void *q);
} qops;

/* ------------------------------------------------ cthreading */

#ifdef BENCH_CT_QUEUE
static void *ct_create(long cap) {
    return ct_queue_new(.maxsize = cap);
}
static void ct_put(void *q, void *item) {
    if (ct_queue_put(q, item, CT_FOREVER) != 0)
        abort(); /* a benchmark bug, not a measurement */
}
static void *ct_get(void *q) {
    void *item = NULL;
    if (ct_queue_get(q, &item, CT_FOREVER) != 0)
        abort();
    return item;
}
static void ct_destroy(void *q) {
    ct_queue_free(q);
}
#endif

/* ------------------------------------------------ textbook ring */

typedef struct tb_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    long head, count, cap;
    void *slot[];
} tb_queue;

static void *tb_create(long cap) {
    tb_queue *q = calloc(1, sizeof *q + (size_t)cap * sizeof(void *));
    if (!q)
        abort();
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    q->cap = cap;
    return q;
}
static void tb_put(void *p, void *item) {
    tb_queue *q = p;
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap)
        pthread_cond_wait(&q->not_full, &q->mu);
    q->slot[(q->head + q->count++) % q->cap] = item;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}
static void *tb_get(void *p) {
    tb_queue *q = p;
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->not_empty, &q->mu);
    void *item = q->slot[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return item;
}
static void tb_destroy(void *p) {
    tb_queue *q = p;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q);
}

/* ------------------------------------------------ GLib */

#ifdef BENCH_HAVE_GLIB
static void *gl_create(long cap) {
    return g_async_queue_new();
}
static void gl_put(void *q, void *item) {
    g_async_queue_push(q, item);
}
static void *gl_get(void *q) {
    return g_async_queue_pop(q);
}
static void gl_destroy(void *q) {
    g_async_queue_unref(q);
}
#endif

/* ------------------------------------------------ C++ (queue_cxx.cpp) */

void *bench_tbb_new(long cap);
void bench_tbb_put(void *q, void *item);
void *bench_tbb_get(void *q);
void bench_tbb_free(void *q);
void *bench_moody_new(long cap);
void bench_moody_put(void *q, void *item);
void *bench_moody_get(void *q);
void bench_moody_free(void *q);

/* ------------------------------------------------ MPMC throughput */

typedef struct mpmc {
    const qops *ops;
    void *q;
    int producers, consumers;
    long n;   /* items in all; a multiple of 8 */
    int work; /* consumer's busy loop per item (0: none) */
    int cpu;  /* every member pinned to this CPU (-1: not pinned) */
    _Atomic uint64_t sum;
} mpmc;

/* The first CPU the process may run on (bench_cpus' set). */
static int first_cpu(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                return c;
    return 0;
}

static void pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        fprintf(stderr, "bench: cannot pin a thread to CPU %d\n", cpu);
        exit(1);
    }
}

static void mpmc_worker(void *ctx, int me) {
    mpmc *m = ctx;
    if (m->cpu >= 0)
        pin_self(m->cpu);
    if (me < m->producers) {
        long per = m->n / m->producers;
        uintptr_t base = (uintptr_t)me * (uintptr_t)per;
        for (long i = 1; i <= per; i++) /* never put 0: GLib rejects NULL */
            m->ops->put(m->q, (void *)(base + (uintptr_t)i));
    } else {
        long per = m->n / m->consumers;
        uint64_t sum = 0;
        for (long i = 0; i < per; i++) {
            sum += (uintptr_t)m->ops->get(m->q);
            for (int k = 0; k < m->work; k++)
                __asm__ volatile("" ::: "memory"); /* not optimised away */
        }
        atomic_fetch_add_explicit(&m->sum, sum, memory_order_relaxed);
    }
}

typedef struct mpmc_arg {
    const qops *ops;
    int pc;
    long n; /* items per repetition; a multiple of 8 */
    int work;
    int cpu;
    bool sized; /* n is final (the warm-up has run) */
} mpmc_arg;

/* The sizing runs of the warm-up, and a cap on N: the unbounded
 * variants may hold every item at once (8 bytes each and more). */
enum { SIZING_RUNS = 4 };
#define MAX_ITEMS (64L * 1000 * 1000)

/* The shortest warm-up run whose N the measured repetitions move, in ns
 * (0: no minimum). */
static int64_t min_rep_ns(void) {
    return bench_size(100000000, 20000000, 0);
}

/* One run of a->n items: its wall time in ns, -1 if it failed. */
static int64_t mpmc_once(const mpmc_arg *a) {
    mpmc m = {.ops = a->ops,
              .producers = a->pc,
              .consumers = a->pc,
              .n = a->n,
              .work = a->work,
              .cpu = a->cpu};
    m.q = a->ops->create(CAPACITY);
    if (!m.q)
        return -1;
    int64_t ns = bench_team(2 * a->pc, mpmc_worker, &m);
    a->ops->destroy(m.q);
    uint64_t n = (uint64_t)a->n;
    if (ns < 0 || atomic_load(&m.sum) != n * (n + 1) / 2)
        return -1;
    return ns;
}

/* One repetition. The first call (the harness's warm-up) also sizes n:
 * while a run is shorter than min_rep_ns(), n grows to what that run's
 * pace needs for min_rep_ns() (rounded up to a multiple of 8, at most
 * MAX_ITEMS) and the run is repeated. */
static int mpmc_rep(void *arg, bench_out *out) {
    mpmc_arg *a = arg;
    int64_t ns = mpmc_once(a);
    for (int k = 1; !a->sized && k < SIZING_RUNS && ns > 0 &&
                    ns < min_rep_ns() && a->n < MAX_ITEMS;
         k++) {
        double want = (double)a->n * (double)min_rep_ns() / (double)ns;
        a->n = want < (double)MAX_ITEMS ? ((long)want + 7) / 8 * 8 : MAX_ITEMS;
        ns = mpmc_once(a);
    }
    a->sized = true;
    if (ns < 0)
        return -1;
    out->value[0] = (double)ns / (double)a->n;
    return 0;
}

/* ------------------------------------------------ hand-off latency */

typedef struct lat {
    const qops *ops;
    void *q;
    long n;
    int64_t gap_ns;
    _Atomic long taken;
    double *samples;
} lat;

static void lat_worker(void *ctx, int me) {
    lat *l = ctx;
    if (me == 0) { /* producer */
        for (long i = 0; i < l->n; i++) {
            int64_t t0 = bench_now_ns();
            l->ops->put(l->q, (void *)(uintptr_t)t0);
            while (atomic_load_explicit(&l->taken, memory_order_acquire) <= i)
                ;            /* the consumer runs on the other CPU */
            if (l->gap_ns) { /* sleep: leave the CPU to the consumer */
                struct timespec ts = {0, (long)l->gap_ns};
                nanosleep(&ts, NULL);
            }
        }
    } else {
        for (long i = 0; i < l->n; i++) {
            int64_t t0 = (int64_t)(uintptr_t)l->ops->get(l->q);
            l->samples[i] = (double)(bench_now_ns() - t0);
            atomic_store_explicit(&l->taken, i + 1, memory_order_release);
        }
    }
}

typedef struct lat_arg {
    const qops *ops;
    long n;
    int64_t gap_ns;
} lat_arg;

static int lat_rep(void *arg, bench_out *out) {
    lat_arg *a = arg;
    lat l = {.ops = a->ops, .n = a->n, .gap_ns = a->gap_ns};
    l.samples = malloc((size_t)a->n * sizeof *l.samples);
    l.q = a->ops->create(CAPACITY);
    if (!l.samples || !l.q) {
        free(l.samples);
        return -1;
    }
    int64_t ns = bench_team(2, lat_worker, &l);
    a->ops->destroy(l.q);
    out->value[0] = bench_quantile(l.samples, a->n, 0.5);
    out->value[1] = bench_quantile(l.samples, a->n, 0.99);
    free(l.samples);
    return ns < 0 ? -1 : 0;
}

/* ------------------------------------------------ driver */

int main(int argc, char **argv) {
    bench_init(argc, argv, "queue");
    long n = bench_size(1000000, 200000, 800);
    long nl = bench_size(20000, 5000, 50);
    long nl_idle = bench_size(4000, 1000, 20);

    const qops variants[] = {
#ifdef BENCH_CT_QUEUE
        {"cthreading", ct_create, ct_put, ct_get, ct_destroy},
#endif
        {"pthread mutex+cond", tb_create, tb_put, tb_get, tb_destroy},
#ifdef BENCH_HAVE_GLIB
        {"GLib GAsyncQueue (unbounded)", gl_create, gl_put, gl_get, gl_destroy},
#endif
#ifdef BENCH_HAVE_TBB
        {"oneTBB bounded_queue", bench_tbb_new, bench_tbb_put, bench_tbb_get,
         bench_tbb_free},
#endif
#ifdef BENCH_HAVE_MOODY
        {"moodycamel (unbounded)", bench_moody_new, bench_moody_put,
         bench_moody_get, bench_moody_free},
#endif
    };
    const int nv = (int)(sizeof variants / sizeof *variants);

    static const int pcs[] = {1, 2, 4, 8};
    for (size_t i = 0; i < sizeof pcs / sizeof *pcs; i++) {
        char param[32];
        snprintf(param, sizeof param, "mpmc");
        for (int v = 0; v < nv; v++) {
            mpmc_arg a = {.ops = &variants[v], .pc = pcs[i], .n = n, .cpu = -1};
            bench_run(variants[v].name, param, 2 * pcs[i], "ns/item", mpmc_rep,
                      &a);
        }
    }
    for (int pc = 1; pc <= 2; pc++)
        for (int v = 0; v < nv; v++) {
            mpmc_arg a = {.ops = &variants[v],
                          .pc = pc,
                          .n = n / 2,
                          .work = SLOW_CONSUMER_WORK,
                          .cpu = -1};
            bench_run(variants[v].name, "mpmc slow consumer", 2 * pc, "ns/item",
                      mpmc_rep, &a);
        }
    for (int pc = 1; pc <= 4; pc *= 4)
        for (int v = 0; v < nv; v++) {
            mpmc_arg a = {
                .ops = &variants[v], .pc = pc, .n = n / 4, .cpu = first_cpu()};
            bench_run(variants[v].name, "mpmc one CPU", 2 * pc, "ns/item",
                      mpmc_rep, &a);
        }
    for (int v = 0; v < nv; v++) {
        lat_arg busy = {&variants[v], nl, 0};
        bench_run(variants[v].name, "latency busy", 2, "p50 ns,p99 ns", lat_rep,
                  &busy);
    }
    for (int v = 0; v < nv; v++) {
        lat_arg idle = {&variants[v], nl_idle, 50000};
        bench_run(variants[v].name, "latency idle", 2, "p50 ns,p99 ns", lat_rep,
                  &idle);
    }
#ifndef BENCH_CT_QUEUE
    bench_skip("cthreading", "", 0, "not built yet");
#endif
#ifndef BENCH_HAVE_GLIB
    bench_skip("GLib GAsyncQueue", "", 0, BENCH_GLIB_SKIP);
#endif
#ifndef BENCH_HAVE_TBB
    bench_skip("oneTBB bounded_queue", "", 0, BENCH_TBB_SKIP);
#endif
#ifndef BENCH_HAVE_MOODY
    bench_skip("moodycamel", "", 0, BENCH_MOODY_SKIP);
#endif
    char args[192];
    snprintf(args, sizeof args,
             "--n %ld --n-latency %ld --n-idle %ld --min-rep-ns %lld "
             "--sizing-runs %d --max-items %ld",
             n / 20, nl / 4, nl_idle / 4, (long long)min_rep_ns(), SIZING_RUNS,
             MAX_ITEMS);
    bench_python("queues.py", args, "python queue.Queue");
    return bench_finish();
}
