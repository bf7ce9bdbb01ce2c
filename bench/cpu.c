/* bench/cpu.c - CPU-bound speed-up: threads and processes vs sequential.
 *
 *   cpu-bound    a fixed amount of pure integer work, N items, each item
 *                hashed ROUNDS times by a 64-bit mixer (no memory
 *                traffic, no shared data), summed mod 2^64 into one
 *                checksum. The work is split into T = 1, 2, 4, 8 equal
 *                chunks of consecutive items, one per worker; the figure
 *                is wall time / N, from before the first worker is
 *                created to after the last one is joined and its part
 *                added in (creation, start-up and joining included: what
 *                the caller waits for). "speed-up" in the notes is the
 *                sequential figure / this figure. Every run's checksum
 *                must equal the sequential one, else the row is FAILED.
 *
 *   sequential       the whole range on the calling thread: the reference
 *                    of the speed-up
 *   cthreading       one ct_thread per chunk (ct_thread_new, _start,
 *                    _join, _free)
 *   pthread          pthread_create + pthread_join
 *   GLib GThread     g_thread_new + g_thread_join
 *   fork() processes one fork()ed child per chunk, its part written to a
 *                    pipe, reaped with waitpid. Raw POSIX: cthreading's
 *                    process layer does not exist yet; this row shows
 *                    what it will cost at best.
 *   python           the same items and rounds in CPython (bench/py/
 *                    cpu.py), on fewer items (the figure is per item):
 *                    sequential, threading.Thread per chunk (the GIL lets
 *                    one run at a time: no speed-up expected) and
 *                    multiprocessing.Pool(T).map over the chunks (the
 *                    pool's start-up included). C computes the checksum
 *                    of the Python-sized range too and the script must
 *                    find the same.
 */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_CT_THREAD
#include <cthreading/thread.h>
#endif
#ifdef BENCH_HAVE_GLIB
#include <glib.h>
#endif

#ifndef BENCH_PYTHON
#define BENCH_PYTHON ""
#endif

#define ROUNDS 16 /* mixer rounds per item; bench/py/cpu.py passes the same */
#define MAXT 8
#define PARAM "cpu-bound"
#define METRIC "ns/item"

/* ------------------------------------------------ the work */

/* One item: ROUNDS rounds of a 64-bit finaliser-style mixer (shift-xor,
 * multiply by an odd constant, twice, shift-xor), starting from the item
 * number. bench/py/cpu.py does exactly this with `& MASK`. */
static uint64_t item(uint64_t x) {
    for (int r = 0; r < ROUNDS; r++) {
        x ^= x >> 31;
        x *= UINT64_C(0x7fb5d329728ea185);
        x ^= x >> 27;
        x *= UINT64_C(0x81dadef4bc2dd44d);
        x ^= x >> 33;
    }
    return x;
}

/* Sum of item(i) for lo <= i < hi, mod 2^64. Out of line so that every
 * variant runs the very same machine code. */
__attribute__((noinline)) static uint64_t work(long lo, long hi) {
    uint64_t sum = 0;
    for (long i = lo; i < hi; i++)
        sum += item((uint64_t)i);
    return sum;
}

/* One worker's part: items [lo, hi), its sum. One cache line each. */
typedef struct chunk {
    long lo, hi;
    uint64_t sum;
    char pad[64 - 2 * sizeof(long) - sizeof(uint64_t)];
} chunk;

typedef struct job {
    long n;          /* items in all */
    int threads;     /* chunks */
    uint64_t expect; /* the sequential checksum */
    chunk part[MAXT];
} job;

static void split(job *j) {
    for (int k = 0; k < j->threads; k++) {
        j->part[k].lo = j->n * k / j->threads;
        j->part[k].hi = j->n * (k + 1) / j->threads;
        j->part[k].sum = 0;
    }
}

static uint64_t total(const job *j) {
    uint64_t s = 0;
    for (int k = 0; k < j->threads; k++)
        s += j->part[k].sum;
    return s;
}

/* ------------------------------------------------ variants
 * Each returns the checksum it computed through *sum, 0 or -1 if a
 * worker could not be created. The caller times the call. */

static int run_seq(job *j, uint64_t *sum) {
    *sum = work(0, j->n);
    return 0;
}

#ifdef BENCH_CT_THREAD
static int ct_worker(void *arg) {
    chunk *c = arg;
    c->sum = work(c->lo, c->hi);
    return 0;
}

static int run_ct(job *j, uint64_t *sum) {
    ct_thread *t[MAXT];
    int rc = 0, started = 0;
    split(j);
    for (; started < j->threads; started++) {
        t[started] = ct_thread_new(ct_worker, &j->part[started]);
        if (!t[started] || ct_thread_start(t[started]) != 0) {
            ct_thread_free(t[started]); /* NULL is fine */
            rc = -1;
            break;
        }
    }
    for (int k = 0; k < started; k++) {
        if (ct_thread_join(t[k], CT_FOREVER) != 0)
            rc = -1;
        ct_thread_free(t[k]);
    }
    *sum = total(j);
    return rc;
}
#endif

static void *px_worker(void *arg) {
    chunk *c = arg;
    c->sum = work(c->lo, c->hi);
    return NULL;
}

static int run_px(job *j, uint64_t *sum) {
    pthread_t t[MAXT];
    int rc = 0, started = 0;
    split(j);
    for (; started < j->threads; started++) {
        if (pthread_create(&t[started], NULL, px_worker, &j->part[started]) !=
            0) {
            rc = -1;
            break;
        }
    }
    for (int k = 0; k < started; k++)
        pthread_join(t[k], NULL);
    *sum = total(j);
    return rc;
}

#ifdef BENCH_HAVE_GLIB
static gpointer gl_worker(gpointer arg) {
    chunk *c = arg;
    c->sum = work(c->lo, c->hi);
    return NULL;
}

static int run_gl(job *j, uint64_t *sum) {
    GThread *t[MAXT];
    split(j);
    for (int k = 0; k < j->threads; k++) /* g_thread_new aborts on failure */
        t[k] = g_thread_new(NULL, gl_worker, &j->part[k]);
    for (int k = 0; k < j->threads; k++)
        g_thread_join(t[k]);
    *sum = total(j);
    return 0;
}
#endif

/* One child per chunk; each writes its 8-byte sum to one shared pipe (a
 * write of at most PIPE_BUF bytes is atomic, and addition does not care
 * about the order) and leaves with _exit: no atexit handlers, no stdio
 * flush, nothing of the parent's state touched. */
static int run_fork(job *j, uint64_t *sum) {
    int fd[2];
    pid_t pid[MAXT];
    int rc = 0, started = 0;
    if (pipe(fd) != 0)
        return -1;
    split(j);
    for (; started < j->threads; started++) {
        pid[started] = fork();
        if (pid[started] < 0) {
            rc = -1;
            break;
        }
        if (pid[started] == 0) {
            close(fd[0]);
            uint64_t s = work(j->part[started].lo, j->part[started].hi);
            _exit(write(fd[1], &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1);
        }
    }
    close(fd[1]);
    uint64_t s = 0;
    for (int k = 0; k < started; k++) {
        uint64_t v;
        ssize_t got;
        do
            got = read(fd[0], &v, sizeof v);
        while (got < 0 && errno == EINTR);
        if (got != (ssize_t)sizeof v) {
            rc = -1;
            break;
        }
        s += v;
    }
    close(fd[0]);
    for (int k = 0; k < started; k++) {
        int st;
        while (waitpid(pid[k], &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = -1;
    }
    *sum = s;
    return rc;
}

/* ------------------------------------------------ measuring */

/* bench_run's method (one warm-up, bench_reps() measured repetitions,
 * the same progress line), done here because the notes carry the
 * speed-up, which needs the median first. Returns the median ns/item,
 * or NAN if a run failed or computed the wrong checksum (the row is then
 * FAILED with the reason). */
static double measure(const char *variant, int threads, job *j,
                      int (*run)(job *, uint64_t *), double seq,
                      const char *extra) {
    double v[64];
    int reps = bench_reps() < 64 ? bench_reps() : 64;
    const char *why = NULL;
    j->threads = threads;
    fprintf(stderr, "  %-10s %-22s T=%-3d ...", "cpu", variant, threads);
    fflush(stderr);
    for (int i = -1; i < reps && !why; i++) { /* i = -1: warm-up */
        uint64_t sum = 0;
        int64_t t0 = bench_now_ns();
        int rc = run(j, &sum);
        int64_t ns = bench_now_ns() - t0;
        if (rc != 0)
            why = "a worker could not be created or failed";
        else if (sum != j->expect)
            why = "checksum mismatch";
        else if (i >= 0)
            v[i] = (double)ns / (double)j->n;
    }
    fprintf(stderr, why ? " FAILED\n" : " done\n");
    if (why) {
        bench_record(variant, PARAM, threads, METRIC, NULL, 0, why);
        return NAN;
    }
    double sorted[64];
    memcpy(sorted, v, (size_t)reps * sizeof *v);
    double med = bench_quantile(sorted, reps, 0.5);
    char notes[96];
    if (isnan(seq))
        snprintf(notes, sizeof notes, "reference of the speed-up%s%s",
                 extra ? "; " : "", extra ? extra : "");
    else
        snprintf(notes, sizeof notes, "speed-up %.2fx%s%s", seq / med,
                 extra ? "; " : "", extra ? extra : "");
    bench_record(variant, PARAM, threads, METRIC, v, reps, notes);
    return med;
}

/* Was a python3 found (the harness's own rule)? */
static bool have_python(void) {
    const char *py = getenv("BENCH_PYTHON");
    if (py && *py)
        return true;
    return BENCH_PYTHON[0] != '\0';
}

int main(int argc, char **argv) {
    bench_init(argc, argv, "cpu");
    static job j;
    j.n = bench_size(10000000, 3000000, 4000);
    long npy = bench_size(90000, 24000, 200);
    j.expect = work(0, j.n);
    static const int counts[] = {1, 2, 4, 8};

    double seq = measure("sequential", 1, &j, run_seq, NAN, NULL);
    if (isnan(seq))
        return bench_finish();
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int t = counts[c];
#ifdef BENCH_CT_THREAD
        measure("cthreading", t, &j, run_ct, seq, NULL);
#else
        bench_skip("cthreading", PARAM, t, "not built yet");
#endif
        measure("pthread", t, &j, run_px, seq, NULL);
#ifdef BENCH_HAVE_GLIB
        measure("GLib GThread", t, &j, run_gl, seq, NULL);
#endif
        measure("fork() processes", t, &j, run_fork, seq,
                "raw fork+pipe: no ct process layer yet");
    }
#ifndef BENCH_HAVE_GLIB
    bench_skip("GLib GThread", "", 0, BENCH_GLIB_SKIP);
#endif

    char args[128];
    snprintf(args, sizeof args, "--n %ld --rounds %d --expect %llu", npy,
             ROUNDS, (unsigned long long)work(0, npy));
    const char *pyv =
        "python sequential,python threading,python multiprocessing.Pool";
    /* The script exits non-zero when a checksum differs (from its own
     * sequential run or from C's): the harness then reports its rows as
     * skipped; make that a failure, which a skip would hide. */
    if (bench_python("cpu.py", args, pyv) != 0 && have_python())
        bench_record("python (cpu.py)", PARAM, 0, METRIC, NULL, 0,
                     "script failed: wrong checksum or error, see stderr");
    return bench_finish();
}
