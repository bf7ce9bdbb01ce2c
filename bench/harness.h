/* bench/harness.h - the shared benchmark harness.
 *
 * A case program (bench/<case>.c) measures cthreading and the
 * alternatives a user would otherwise pick on the same workload, in the
 * same run, and hands every figure to the harness, which prints one table
 * (absolute figures, spread, the ratio against cthreading, oversubscribed
 * thread counts) and appends machine-readable rows to a TSV file.
 *
 *     int main(int argc, char **argv) {
 *         bench_init(argc, argv, "lock");
 *         bench_run("cthreading", "contended", 4, "ns/op", rep_ct, &arg);
 *         bench_skip("glib", "contended", 4, "GLib not found");
 *         bench_python("lock.py", "--n 10000");
 *         return bench_finish();
 *     }
 *
 * Method: one warm-up repetition (discarded), then bench_reps()
 * measured repetitions; the table shows the median and the min-max
 * spread. Every figure is "lower is better" (ns per operation, ns of
 * latency); the table adds the equivalent rate (M/s) and the ratio
 * alternative / cthreading, so "2.0" means cthreading is twice as fast.
 *
 * Sizes: bench_size(full, quick, smoke) picks the workload for the mode
 * chosen on the command line (--quick, --smoke) or by the environment
 * (QUICK=1). Output file: --out FILE or env BENCH_TSV (no file: table only).
 */
#ifndef CT_BENCH_HARNESS_H
#define CT_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_MAX_METRICS 4

/* What one repetition reports. value[i] is the figure for metric i (in
 * the order given to bench_run_m). share_min/max: the smallest and the
 * largest per-thread share of the work, as a fraction of a fair share
 * (1.0 = exactly fair); leave both 0 when not applicable. */
typedef struct bench_out {
    double value[BENCH_MAX_METRICS];
    double share_min, share_max;
} bench_out;

/* One repetition of a workload: fill `out`, return 0 (or non-zero if the
 * run failed; the row is then reported as failed). */
typedef int (*bench_rep_fn)(void *arg, bench_out *out);

/* Parse --quick, --smoke, --out FILE, --reps N; QUICK and BENCH_TSV from
 * the environment. `case_name` names the table. Call first. */
void bench_init(int argc, char **argv, const char *case_name);

bool bench_quick(void);
bool bench_smoke(void);
int bench_reps(void);

/* The workload size for the current mode. */
long bench_size(long full, long quick, long smoke);

/* CPUs this process may run on. */
int bench_cpus(void);

/* Monotonic nanoseconds. */
int64_t bench_now_ns(void);

/* Measure `fn` (warm-up + repetitions) and record one row per metric.
 * `variant`: "cthreading" for ours (the reference of the ratio), else the
 * alternative's name ("pthread mutex", "GLib GMutex"...). `param`: the
 * sub-case ("contended"). `threads`: the thread count shown in the T
 * column (0: not applicable). `metrics`: names, comma separated, of the
 * figures each repetition fills ("ns/op" or "p50 ns,p99 ns"). */
void bench_run(const char *variant, const char *param, int threads,
               const char *metrics, bench_rep_fn fn, void *arg);

/* Record an alternative that could not run here and why. */
void bench_skip(const char *variant, const char *param, int threads,
                const char *reason);

/* Record measured repetitions directly (used for the Python rows). */
void bench_record(const char *variant, const char *param, int threads,
                  const char *metric, const double *vals, int n,
                  const char *notes);

/* Run bench/py/<script> with `args` (plus --quick/--smoke/--reps) under
 * python3 and record what it prints, one line per row:
 *     ROW <tab> variant <tab> param <tab> threads <tab> metric <tab> v1,v2,...
 *         [<tab> notes]
 *     SKIP <tab> variant <tab> param <tab> threads <tab> reason
 * `variants` (comma separated) are recorded as skipped if python3 is
 * missing or the script fails. Returns 0 or -1. */
int bench_python(const char *script, const char *args, const char *variants);

/* Print the table, append the TSV rows. Returns the process exit status
 * (non-zero if a run failed). */
int bench_finish(void);

/* Run fn(ctx, index) on `n` new pthreads released together by a gate and
 * return the wall time in ns from the release to the end of the last
 * thread (joined). Returns -1 if a thread could not be created. */
int64_t bench_team(int n, void (*fn)(void *ctx, int index), void *ctx);

/* Fill share_min/share_max of `out` from per-thread counts. */
void bench_shares(bench_out *out, const long *counts, int n);

/* Sort `v` (n values) and return the q-quantile (0..1). */
double bench_quantile(double *v, long n, double q);

#endif
