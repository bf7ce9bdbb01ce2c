/* bench/harness.c - timing, repetitions, median/spread, the table and the
 * TSV rows shared by every benchmark case. See harness.h. */
#include "harness.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_PY_DIR
#define BENCH_PY_DIR "bench/py"
#endif
#ifndef BENCH_PYTHON
#define BENCH_PYTHON ""
#endif

enum { ST_OK, ST_SKIPPED, ST_FAILED };

typedef struct row {
    char variant[48], param[40], metric[24], notes[96];
    int threads, status, reps;
    double median, min, max, share_min, share_max;
} row;

static struct {
    const char *name;
    bool quick, smoke;
    int reps;
    const char *out;
    row *rows;
    int nrows, cap;
} B;

/* ------------------------------------------------------------ set-up */

static void *idle(void *arg) {
    return arg;
}

void bench_init(int argc, char **argv, const char *case_name) {
    B.name = case_name;
    const char *q = getenv("QUICK");
    B.quick = q && *q && strcmp(q, "0") != 0;
    B.out = getenv("BENCH_TSV");
    if (B.out && !*B.out)
        B.out = NULL;
    B.reps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            B.quick = true;
        else if (!strcmp(argv[i], "--smoke"))
            B.smoke = true;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            B.out = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            B.reps = atoi(argv[++i]);
        else {
            fprintf(stderr,
                    "usage: %s [--quick|--smoke] [--reps N] [--out FILE]\n",
                    argv[0]);
            exit(2);
        }
    }
    if (B.reps < 1)
        B.reps = B.smoke ? 1 : B.quick ? 3 : 5;
    /* glibc skips atomics in pthread_mutex_* while a process has never
     * had a second thread; real users of a lock have threads, so make the
     * process multi-threaded before anything is measured. */
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) == 0)
        pthread_join(t, NULL);
}

bool bench_quick(void) {
    return B.quick;
}
bool bench_smoke(void) {
    return B.smoke;
}
int bench_reps(void) {
    return B.reps;
}

long bench_size(long full, long quick, long smoke) {
    return B.smoke ? smoke : B.quick ? quick : full;
}

int bench_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ statistics */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(double *v, long n, double q) {
    if (n <= 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double pos = q * (double)(n - 1);
    long lo = (long)pos;
    if (lo >= n - 1)
        return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

void bench_shares(bench_out *out, const long *counts, int n) {
    long total = 0;
    for (int i = 0; i < n; i++)
        total += counts[i];
    if (total <= 0 || n <= 0)
        return;
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < n; i++) {
        double s = (double)counts[i] * n / (double)total;
        lo = s < lo ? s : lo;
        hi = s > hi ? s : hi;
    }
    out->share_min = lo;
    out->share_max = hi;
}

/* ------------------------------------------------------------ rows */

static row *new_row(const char *variant, const char *param, int threads,
                    const char *metric) {
    if (B.nrows == B.cap) {
        B.cap = B.cap ? 2 * B.cap : 64;
        B.rows = realloc(B.rows, (size_t)B.cap * sizeof *B.rows);
        if (!B.rows) {
            perror("bench: realloc");
            exit(1);
        }
    }
    row *r = &B.rows[B.nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->variant, sizeof r->variant, "%s", variant);
    snprintf(r->param, sizeof r->param, "%s", param ? param : "");
    snprintf(r->metric, sizeof r->metric, "%s", metric ? metric : "");
    r->threads = threads;
    r->median = r->min = r->max = NAN;
    return r;
}

void bench_record(const char *variant, const char *param, int threads,
                  const char *metric, const double *vals, int n,
                  const char *notes) {
    row *r = new_row(variant, param, threads, metric);
    if (notes)
        snprintf(r->notes, sizeof r->notes, "%s", notes);
    if (n <= 0) {
        r->status = ST_FAILED;
        return;
    }
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        r->status = ST_FAILED;
        return;
    }
    memcpy(v, vals, (size_t)n * sizeof *v);
    r->median = bench_quantile(v, n, 0.5);
    r->min = v[0];
    r->max = v[n - 1];
    r->reps = n;
    free(v);
}

void bench_skip(const char *variant, const char *param, int threads,
                const char *reason) {
    row *r = new_row(variant, param, threads, "");
    r->status = ST_SKIPPED;
    snprintf(r->notes, sizeof r->notes, "%s", reason);
}

static int split_metrics(const char *metrics, char names[][24]) {
    int n = 0;
    const char *p = metrics;
    while (*p && n < BENCH_MAX_METRICS) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(names[n], 24, "%.*s", (int)len, p);
        n++;
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

void bench_run(const char *variant, const char *param, int threads,
               const char *metrics, bench_rep_fn fn, void *arg) {
    char names[BENCH_MAX_METRICS][24];
    int nm = split_metrics(metrics, names);
    int reps = B.reps;
    double vals[BENCH_MAX_METRICS][64];
    if (reps > 64)
        reps = 64;
    double smin = INFINITY, smax = 0;
    bool failed = false;
    fprintf(stderr, "  %-10s %-22s T=%-3d ...", B.name, variant, threads);
    fflush(stderr);
    for (int i = -1; i < reps && !failed; i++) { /* i = -1: warm-up */
        bench_out out;
        memset(&out, 0, sizeof out);
        if (fn(arg, &out) != 0) {
            failed = true;
            break;
        }
        if (i < 0)
            continue;
        for (int m = 0; m < nm; m++)
            vals[m][i] = out.value[m];
        if (out.share_max > 0) {
            smin = out.share_min < smin ? out.share_min : smin;
            smax = out.share_max > smax ? out.share_max : smax;
        }
    }
    fprintf(stderr, failed ? " FAILED\n" : " done\n");
    for (int m = 0; m < nm; m++) {
        char notes[96] = "";
        if (smax > 0)
            snprintf(notes, sizeof notes, "share %.2f-%.2f", smin, smax);
        if (failed) {
            row *r = new_row(variant, param, threads, names[m]);
            r->status = ST_FAILED;
            snprintf(r->notes, sizeof r->notes, "run failed");
        } else {
            bench_record(variant, param, threads, names[m], vals[m], reps,
                         notes);
        }
    }
}

/* ------------------------------------------------------------ python */

static void skip_all(const char *variants, const char *param,
                     const char *reason) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", variants);
    for (char *save, *v = strtok_r(buf, ",", &save); v;
         v = strtok_r(NULL, ",", &save))
        bench_skip(v, param, 0, reason);
}

int bench_python(const char *script, const char *args, const char *variants) {
    const char *py = getenv("BENCH_PYTHON");
    if (!py || !*py)
        py = BENCH_PYTHON;
    if (!*py) {
        skip_all(variants, "", "python3 not found at configure time");
        return -1;
    }
    const char *dir = getenv("BENCH_PY_DIR");
    if (!dir || !*dir)
        dir = BENCH_PY_DIR;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -B '%s/%s' %s --reps %d%s", py, dir, script,
             args ? args : "", B.reps,
             B.smoke   ? " --smoke"
             : B.quick ? " --quick"
                       : "");
    fprintf(stderr, "  %-10s python: %s\n", B.name, cmd);
    fflush(stderr);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f) {
        skip_all(variants, "", "could not start python3");
        return -1;
    }
    char line[4096];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *save, *kind = strtok_r(line, "\t", &save);
        if (!kind)
            continue;
        char *variant = strtok_r(NULL, "\t", &save);
        char *param = strtok_r(NULL, "\t", &save);
        char *threads = strtok_r(NULL, "\t", &save);
        if (!variant || !param || !threads)
            continue;
        if (!strcmp(kind, "SKIP")) {
            char *reason = strtok_r(NULL, "\t", &save);
            bench_skip(variant, param, atoi(threads), reason ? reason : "");
            got++;
            continue;
        }
        if (strcmp(kind, "ROW") != 0)
            continue;
        char *metric = strtok_r(NULL, "\t", &save);
        char *list = strtok_r(NULL, "\t", &save);
        char *notes = strtok_r(NULL, "\t", &save);
        if (!metric || !list)
            continue;
        double v[64];
        int n = 0;
        for (char *s2, *t = strtok_r(list, ",", &s2); t && n < 64;
             t = strtok_r(NULL, ",", &s2))
            v[n++] = strtod(t, NULL);
        bench_record(variant, param, atoi(threads), metric, v, n, notes);
        got++;
    }
    int st = pclose(f);
    if (st != 0 || got == 0) {
        char reason[96];
        snprintf(reason, sizeof reason, "python script failed (status %d)",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        skip_all(variants, "", reason);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ output */

static bool same_group(const row *a, const row *b) {
    return a->threads == b->threads && !strcmp(a->param, b->param) &&
           !strcmp(a->metric, b->metric);
}

static const row *reference(const row *r) {
    for (int i = 0; i < B.nrows; i++) {
        const row *c = &B.rows[i];
        if (c->status == ST_OK && !strcmp(c->variant, "cthreading") &&
            same_group(c, r))
            return c;
    }
    return NULL;
}

static void fmt_num(char *buf, size_t n, double v) {
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (v >= 1e5)
        snprintf(buf, n, "%.0f", v);
    else if (v >= 100)
        snprintf(buf, n, "%.1f", v);
    else if (v >= 1)
        snprintf(buf, n, "%.2f", v);
    else
        snprintf(buf, n, "%.3g", v);
}

static void print_row(const row *r, int cpus) {
    char t[16] = "-";
    if (r->threads > 0)
        snprintf(t, sizeof t, "%d%s", r->threads, r->threads > cpus ? "*" : "");
    if (r->status == ST_SKIPPED) {
        printf("%-16s %4s  %-28s %-10s skipped (%s)\n", r->param, t, r->variant,
               r->metric, r->notes);
        return;
    }
    if (r->status == ST_FAILED) {
        printf("%-16s %4s  %-28s %-10s FAILED (%s)\n", r->param, t, r->variant,
               r->metric, r->notes);
        return;
    }
    char med[24], lo[24], hi[24], rate[24], ratio[24] = "-";
    fmt_num(med, sizeof med, r->median);
    fmt_num(lo, sizeof lo, r->min);
    fmt_num(hi, sizeof hi, r->max);
    fmt_num(rate, sizeof rate, r->median > 0 ? 1e3 / r->median : NAN);
    const row *ref = reference(r);
    if (ref == r)
        snprintf(ratio, sizeof ratio, "1 (ref)");
    else if (ref && ref->median > 0)
        snprintf(ratio, sizeof ratio, "%.2f", r->median / ref->median);
    char spread[56];
    snprintf(spread, sizeof spread, "[%s-%s]", lo, hi);
    printf("%-16s %4s  %-28s %-10s %10s %-22s %10s %8s  %s\n", r->param, t,
           r->variant, r->metric, med, spread, rate, ratio, r->notes);
}

static void write_tsv(int cpus) {
    if (!B.out)
        return;
    FILE *f = fopen(B.out, "a");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s: %s\n", B.out, strerror(errno));
        return;
    }
    if (ftell(f) == 0)
        fprintf(f, "case\tparam\tthreads\toversubscribed\tvariant\tmetric\t"
                   "median\tmin\tmax\treps\trate_M_per_s\tratio_vs_ct\t"
                   "share_min\tshare_max\tstatus\tnotes\n");
    for (int i = 0; i < B.nrows; i++) {
        const row *r = &B.rows[i];
        const row *ref = reference(r);
        double ratio = ref && r->status == ST_OK && ref->median > 0
                           ? r->median / ref->median
                           : NAN;
        const char *st = r->status == ST_OK        ? "ok"
                         : r->status == ST_SKIPPED ? "skipped"
                                                   : "failed";
        fprintf(f,
                "%s\t%s\t%d\t%d\t%s\t%s\t%.6g\t%.6g\t%.6g\t%d\t%.6g\t%.4g\t"
                "%.3g\t%.3g\t%s\t%s\n",
                B.name, r->param[0] ? r->param : "-", r->threads,
                r->threads > cpus, r->variant, r->metric[0] ? r->metric : "-",
                r->median, r->min, r->max, r->reps,
                r->median > 0 ? 1e3 / r->median : NAN, ratio,
                r->share_max > 0 ? r->share_min : NAN,
                r->share_max > 0 ? r->share_max : NAN, st,
                r->notes[0] ? r->notes : "-");
    }
    fclose(f);
}

int bench_finish(void) {
    int cpus = bench_cpus();
    bool failed = false;
    char *done = calloc((size_t)B.nrows + 1, 1);
    if (!done)
        return 1;
    printf("\n== %s  (%d CPUs, %s mode, %d reps after 1 warm-up)\n", B.name,
           cpus,
           B.smoke   ? "smoke"
           : B.quick ? "quick"
                     : "full",
           B.reps);
    printf("   median [min-max]; M/s = 1000/median; ratio = alternative / "
           "cthreading (>1: cthreading faster); T* = more threads than "
           "CPUs\n");
    printf("%-16s %4s  %-28s %-10s %10s %-22s %10s %8s  %s\n", "param", "T",
           "variant", "metric", "median", "[min-max]", "M/s", "ratio", "notes");
    /* measured rows grouped by (param, T, metric) in order of first
     * appearance; skipped rows last */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < B.nrows; i++) {
            if (done[i] || (pass == 0) != (B.rows[i].status != ST_SKIPPED))
                continue;
            for (int j = i; j < B.nrows; j++) {
                if (done[j] ||
                    (pass == 0 && !same_group(&B.rows[i], &B.rows[j])))
                    continue;
                if ((pass == 0) != (B.rows[j].status != ST_SKIPPED))
                    continue;
                print_row(&B.rows[j], cpus);
                done[j] = 1;
                failed |= B.rows[j].status == ST_FAILED;
            }
        }
    }
    printf("\n");
    fflush(stdout);
    free(done);
    write_tsv(cpus);
    free(B.rows);
    return failed ? 1 : 0;
}

/* ------------------------------------------------------------ teams */

typedef struct team {
    void (*fn)(void *ctx, int index);
    void *ctx;
    pthread_barrier_t gate;
} team;

typedef struct member {
    team *t;
    int index;
    int64_t start, end;
} member;

/* Each member times itself: the main thread may be descheduled right
 * after the gate opens (2 cores, 16 threads), so its own clock would
 * miss work already done. The team's time is first start to last end. */
static void *member_main(void *p) {
    member *m = p;
    pthread_barrier_wait(&m->t->gate);
    m->start = bench_now_ns();
    m->t->fn(m->t->ctx, m->index);
    m->end = bench_now_ns();
    return NULL;
}

int64_t bench_team(int n, void (*fn)(void *ctx, int index), void *ctx) {
    team t = {.fn = fn, .ctx = ctx};
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    member *m = calloc((size_t)n, sizeof *m);
    if (!tid || !m || pthread_barrier_init(&t.gate, NULL, (unsigned)n + 1)) {
        free(tid);
        free(m);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        m[i] = (member){.t = &t, .index = i};
        if (pthread_create(&tid[i], NULL, member_main, &m[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            exit(1); /* the gate can never open: give up loudly */
        }
    }
    pthread_barrier_wait(&t.gate);
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (int i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        first = m[i].start < first ? m[i].start : first;
        last = m[i].end > last ? m[i].end : last;
    }
    int64_t ns = last - first;
    pthread_barrier_destroy(&t.gate);
    free(tid);
    free(m);
    return ns;
}
