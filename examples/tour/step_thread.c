/* Tour, level 1: threads (Python's threading.Thread and friends). */
#include "tour.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int empty(void *arg) {
    (void)arg;
    return 0;
}

static void *empty_pthread(void *arg) {
    return arg;
}

static int who_am_i(void *arg) {
    char *out = arg;
    ct_thread *me = ct_thread_current();
    snprintf(out, 96, "%s (ident %lu, native id %ld)", ct_thread_name(me),
             ct_thread_ident(me), ct_thread_native_id(me));
    return 0;
}

static int io_task(void *arg) {
    ct_sleep(*(const double *)arg); /* stands in for a network wait */
    return 0;
}

static int bad_input(void *arg) {
    return ct_raise(CT_EVALUE, "item %d is negative", *(const int *)arg);
}

static int count_hook(const ct_exception *e, ct_thread *t, void *ctx) {
    snprintf(ctx, 400, "%s in %s: %s", ct_exception_type(e->code),
             ct_thread_name(t), e->message);
    return 0;
}

static atomic_int timer_calls;
static int ring(void *arg) {
    (void)arg;
    atomic_fetch_add(&timer_calls, 1);
    return 0;
}

static void free_counted(void *v) {
    atomic_fetch_add((atomic_int *)v, 1);
}

static int use_local(void *arg) {
    ct_local *l = arg;
    return ct_local_get(l) ? 0 : CT_EFAIL; /* the initialiser made it */
}

static void *make_value(void *arg) {
    return arg;
}

int tour_thread(bool quick) {
    int bad = 0;

    TOUR_STEP("thread", "create, start, join");
    char who[96] = "";
    ct_thread *t = ct_thread_new(who_am_i, who);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    printf("   a thread reports: %s\n", who);
    printf("   main thread: %s, live threads now: %zu\n",
           ct_thread_name(ct_thread_main()), ct_thread_active_count());
    TOUR_FAIL_IF(bad, strncmp(who, "Thread-", 7) != 0);
    ct_thread_free(t);

    int n = quick ? 500 : 5000;
    double t0 = ct_monotonic();
    for (int i = 0; i < n; i++) {
        pthread_t h;
        pthread_create(&h, NULL, empty_pthread, NULL);
        pthread_join(h, NULL);
    }
    double raw = (ct_monotonic() - t0) / n;
    t0 = ct_monotonic();
    for (int i = 0; i < n; i++) {
        ct_thread *e = ct_thread_new(empty, NULL);
        ct_thread_start(e);
        ct_thread_join(e, CT_FOREVER);
        ct_thread_free(e);
    }
    double ours = (ct_monotonic() - t0) / n;
    printf("   create+start+join of an empty thread: %.1f us "
           "(bare pthread: %.1f us, x%.2f), %d each\n",
           ours * 1e6, raw * 1e6, ours / raw, n);

    TOUR_STEP("thread", "I/O-bound work overlaps");
    enum { TASKS = 4 };
    double nap = quick ? 0.05 : 0.2;
    t0 = ct_monotonic();
    for (int i = 0; i < TASKS; i++)
        io_task(&nap);
    double seq = ct_monotonic() - t0;
    ct_thread *io[TASKS];
    t0 = ct_monotonic();
    for (int i = 0; i < TASKS; i++) {
        io[i] = ct_thread_new_copy(io_task, &nap, sizeof nap);
        ct_thread_start(io[i]);
    }
    for (int i = 0; i < TASKS; i++) {
        ct_thread_join(io[i], CT_FOREVER);
        ct_thread_free(io[i]);
    }
    double conc = ct_monotonic() - t0;
    printf("   %d waits of %.2f s: sequential %.2f s, threads %.2f s "
           "(speedup x%.1f)\n",
           TASKS, nap, seq, conc, seq / conc);
    /* Ideal is seq / TASKS; a loaded CI machine running sanitizers may
     * add tens of ms, so only "clearly overlapped" is required. */
    TOUR_FAIL_IF(bad, conc > seq * 0.8);

    TOUR_STEP("thread", "thread-local values and failing threads");
    atomic_int destroyed = 0;
    ct_local *l = ct_local_new(.init = make_value, .init_arg = &destroyed,
                               .destructor = free_counted);
    ct_thread *lt[3];
    for (int i = 0; i < 3; i++) {
        lt[i] = ct_thread_new(use_local, l);
        ct_thread_start(lt[i]);
    }
    for (int i = 0; i < 3; i++) {
        ct_thread_join(lt[i], CT_FOREVER);
        TOUR_FAIL_IF(bad, ct_thread_result(lt[i]) != 0);
        ct_thread_free(lt[i]);
    }
    ct_local_free(l);
    printf("   3 threads used a local: %d destructor calls at their exit\n",
           atomic_load(&destroyed));
    TOUR_FAIL_IF(bad, atomic_load(&destroyed) != 3);

    char report[400] = "";
    ct_thread_set_excepthook(count_hook, report);
    int item = -4;
    t = ct_thread_new(bad_input, &item, .name = "parser");
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_set_excepthook(NULL, NULL);
    printf("   excepthook saw: %s (result %s)\n", report,
           ct_errname(ct_thread_result(t)));
    TOUR_FAIL_IF(bad, ct_thread_result(t) != CT_EVALUE);
    ct_thread_free(t);

    TOUR_STEP("thread", "Timer and cancel");
    double delay = quick ? 0.02 : 0.1;
    ct_thread *fires = ct_timer_new(delay, ring, NULL);
    ct_thread *cancelled = ct_timer_new(60.0, ring, NULL);
    t0 = ct_monotonic();
    ct_thread_start(fires);
    ct_thread_start(cancelled);
    int prevented = ct_timer_cancel(cancelled);
    ct_thread_join(cancelled, CT_FOREVER);
    double cancel_time = ct_monotonic() - t0;
    ct_thread_join(fires, CT_FOREVER);
    printf("   timer(%.2f s) fired after %.3f s; a 60 s timer cancelled "
           "(prevented=%d) and ended in %.4f s; calls: %d\n",
           delay, ct_monotonic() - t0, prevented, cancel_time,
           atomic_load(&timer_calls));
    TOUR_FAIL_IF(bad, atomic_load(&timer_calls) != 1 || prevented != 1);
    ct_thread_free(fires);
    ct_thread_free(cancelled);

    TOUR_STEP("thread", "current_thread and exit rules");
    ct_thread *volatile sink = NULL;
    long reps = quick ? 1000000 : 20000000;
    t0 = ct_monotonic();
    for (long i = 0; i < reps; i++)
        sink = ct_thread_current();
    (void)sink;
    printf("   current_thread: %.1f ns per call (a thread-local load)\n",
           (ct_monotonic() - t0) / (double)reps * 1e9);
    printf("   at exit, non-daemon threads are joined, daemon threads are "
           "not (live now: %zu)\n",
           ct_thread_active_count());
    return bad;
}
