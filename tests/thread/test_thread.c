/* Thread objects: creation, options, start/join, lifecycle, identity,
 * results, bad inputs, stack size, signals, allocation failure.
 * Ports CPython Lib/test/test_threading.py (ThreadTests,
 * ThreadingExceptionTests) where the behaviour applies to C.
 *
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "allocfail.h"
#include "bunch.h"
#include "stress.h"
#include <cthreading/thread.h>

static int noop(void *arg) {
    (void)arg;
    return 0;
}

static int wait_gate(void *arg) {
    gate_wait(arg);
    return 7;
}

/* test_name */
static void test_name_explicit_and_default(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(noop, NULL, .name = "myname1");
    assert_string_equal(ct_thread_name(t), "myname1");
    ct_thread_free(t);

    /* target name is ignored if name is specified */
    t = ct_thread_new(noop, NULL, .name = "myname2");
    assert_string_equal(ct_thread_name(t), "myname2");
    ct_thread_free(t);

    /* "Thread-N (func)": N grows by one per default name */
    ct_thread *a = ct_thread_new(noop, NULL);
    ct_thread *b = ct_thread_new(noop, NULL);
    unsigned long na, nb;
    char fn[32];
    assert_int_equal(sscanf(ct_thread_name(a), "Thread-%lu (%31[^)])", &na, fn),
                     2);
    assert_string_equal(fn, "noop");
    assert_int_equal(sscanf(ct_thread_name(b), "Thread-%lu", &nb), 1);
    assert_int_equal(nb, na + 1);
    ct_thread_free(a);
    ct_thread_free(b);

    /* name="" and no target name: plain "Thread-N" */
    ct_thread *c;
    assert_int_equal(
        ct_thread_create(&c, noop, NULL, &(ct_thread_options){.name = ""}), 0);
    assert_int_equal(sscanf(ct_thread_name(c), "Thread-%lu", &na), 1);
    assert_null(strchr(ct_thread_name(c), '('));
    ct_thread_free(c);

    /* a long target name is cut so the whole name fits CT_NAME_MAX */
    char longname[200];
    memset(longname, 'f', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(
        ct_thread_create(&c, noop, NULL,
                         &(ct_thread_options){.target_name = longname}),
        0);
    assert_int_equal(strlen(ct_thread_name(c)), CT_NAME_MAX - 1);
    assert_int_equal(ct_thread_name(c)[CT_NAME_MAX - 2], ')');
    ct_thread_free(c);
}

static int read_own_names(void *arg) {
    char *out = arg;
    char os[16];
    pthread_getname_np(pthread_self(), os, sizeof os);
    ct_exception e;
    ct_raise(CT_EFAIL, NULL);
    ct_exception_current(&e);
    ct_exception_clear();
    snprintf(out, 128, "%s|%s|%s", ct_thread_name(ct_thread_current()), os,
             e.thread_name);
    return 0;
}

/* The OS name is the first 15 bytes; the library keeps the whole name and
 * ct_raise reports it. */
static void test_os_name_is_truncated_library_name_is_not(void **state) {
    (void)state;
    char out[128];
    ct_thread *t =
        ct_thread_new(read_own_names, out, .name = "a-rather-long-thread-name");
    assert_int_equal(ct_thread_start(t), 0);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_string_equal(out, "a-rather-long-thread-name|a-rather-long-t|"
                             "a-rather-long-thread-name");
    ct_thread_free(t);
}

/* A default name is given to the OS too (its first 15 bytes). */
static void test_default_name_is_given_to_the_os(void **state) {
    (void)state;
    char out[128];
    ct_thread *t = ct_thread_new(read_own_names, out);
    char expect[3 * CT_NAME_MAX], lib[CT_NAME_MAX];
    ct_thread_get_name(t, lib, sizeof lib);
    snprintf(expect, sizeof expect, "%s|%.15s|%s", lib, lib, lib);
    assert_int_equal(ct_thread_start(t), 0);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_string_equal(out, expect);
    ct_thread_free(t);
}

static int rename_self(void *arg) {
    (void)arg;
    ct_thread_set_name(ct_thread_current(), "renamed");
    char os[16];
    pthread_getname_np(pthread_self(), os, sizeof os);
    return strcmp(os, "renamed") == 0 ? 0 : CT_EFAIL;
}

static void test_set_name(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(rename_self, NULL);
    assert_int_equal(ct_thread_set_name(t, "before"), 0);
    assert_string_equal(ct_thread_name(t), "before");
    assert_int_equal(ct_thread_set_name(t, NULL), CT_EINVAL);
    assert_int_equal(ct_thread_set_name(NULL, "x"), CT_EINVAL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    char buf[8];
    assert_int_equal(ct_thread_get_name(t, buf, sizeof buf), 0);
    assert_string_equal(buf, "renamed");
    assert_int_equal(ct_thread_get_name(t, buf, 4), 0);
    assert_string_equal(buf, "ren");
    ct_thread_free(t);
}

/* A thread renaming itself (which also sets its OS name and the name
 * ct_raise reports) while another renames it: no torn name, no data race
 * (TSan build). */
static int rename_self_loop(void *arg) {
    _Atomic uint32_t *stop = arg;
    for (int i = 0; !atomic_load(stop); i++) {
        char name[16];
        snprintf(name, sizeof name, "self-%04d", i % 10000);
        ct_thread_set_name(ct_thread_current(), name);
    }
    return 0;
}

static void test_concurrent_renames_never_tear(void **state) {
    (void)state;
    _Atomic uint32_t stop = 0;
    ct_thread *t = ct_thread_new(rename_self_loop, &stop);
    ct_thread_start(t);
    for (int i = 0; i < 2000; i++) {
        char name[16], got[CT_NAME_MAX];
        snprintf(name, sizeof name, "main-%04d", i);
        ct_thread_set_name(t, name);
        ct_thread_get_name(t, got, sizeof got);
        int n = -1;
        assert_true((sscanf(got, "main-%4d", &n) == 1 ||
                     sscanf(got, "self-%4d", &n) == 1) &&
                    strlen(got) == 9);
    }
    atomic_store(&stop, 1);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
}

/* test_daemon_param, test_daemonize_active_thread */
static void test_daemon_only_settable_before_start(void **state) {
    (void)state;
    _Atomic uint32_t gate = 0;
    ct_thread *t = ct_thread_new(wait_gate, &gate);
    assert_false(ct_thread_is_daemon(t));
    ct_thread *d = ct_thread_new(noop, NULL, .daemon = true);
    assert_true(ct_thread_is_daemon(d));
    ct_thread_free(d);
    assert_int_equal(ct_thread_set_daemon(t, true), 0);
    assert_true(ct_thread_is_daemon(t));
    assert_int_equal(ct_thread_set_daemon(t, false), 0);
    ct_thread_start(t);
    assert_int_equal(ct_thread_set_daemon(t, true), CT_ESTATE);
    assert_false(ct_thread_is_daemon(t));
    gate_open(&gate);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_set_daemon(t, true), CT_ESTATE);
    assert_int_equal(ct_thread_set_daemon(NULL, true), CT_EINVAL);
    assert_int_equal(ct_thread_set_daemon(ct_thread_main(), true), CT_ESTATE);
    ct_thread_free(t);
}

/* test_join_with_timeout; is_alive transitions; lifecycle states */
static void test_join_timeout_and_is_alive(void **state) {
    (void)state;
    _Atomic uint32_t gate = 0;
    ct_thread *t = ct_thread_new(wait_gate, &gate);
    assert_int_equal(ct_thread_get_state(t), CT_THREAD_CREATED);
    assert_false(ct_thread_is_alive(t));
    assert_int_equal(ct_thread_start(t), 0);
    assert_true(ct_thread_is_alive(t));
    assert_true(ct_thread_get_state(t) == CT_THREAD_STARTED ||
                ct_thread_get_state(t) == CT_THREAD_RUNNING);
    double t0 = ct_monotonic();
    assert_int_equal(ct_thread_join(t, 0.05), CT_ETIMEDOUT);
    assert_true(ct_monotonic() - t0 >= 0.045);
    assert_int_equal(ct_thread_join(t, 0), CT_ETIMEDOUT);
    assert_int_equal(ct_thread_join(t, -1.0), CT_ETIMEDOUT); /* as 0 */
    assert_true(ct_thread_is_alive(t));
    assert_int_equal(ct_thread_result(t), CT_ESTATE);
    ct_thread_native_id(t); /* waits until it runs */
    assert_int_equal(ct_thread_get_state(t), CT_THREAD_RUNNING);
    gate_open(&gate);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_false(ct_thread_is_alive(t));
    assert_int_equal(ct_thread_get_state(t), CT_THREAD_FINISHED);
    assert_int_equal(ct_thread_result(t), 7);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0); /* again: at once */
    assert_int_equal(ct_thread_join(t, 0), 0);
    ct_thread_free(t);
}

static void test_join_with_finite_timeout_returns_when_finished(void **state) {
    (void)state;
    _Atomic uint32_t gate = 0;
    ct_thread *t = ct_thread_new(wait_gate, &gate);
    ct_thread_start(t);
    gate_open(&gate);
    assert_int_equal(ct_thread_join(t, 30.0), 0);
    assert_int_equal(ct_thread_result(t), 7);
    ct_thread_free(t);
}

/* test_start_thread_again, test_joining_current_thread,
 * test_joining_inactive_thread and bad inputs */
static int join_self(void *arg) {
    (void)arg;
    return ct_thread_join(ct_thread_current(), CT_FOREVER);
}

static void test_errors_are_python_runtime_errors(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(join_self, NULL);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), CT_ESTATE);
    assert_int_equal(ct_thread_join(t, 0), CT_ESTATE);
    assert_int_equal(ct_thread_start(t), 0);
    assert_int_equal(ct_thread_start(t), CT_ESTATE);
    assert_int_equal(ct_thread_join(t, NAN), CT_EINVAL);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_int_equal(ct_thread_result(t), CT_EDEADLK);
    assert_int_equal(ct_thread_start(t), CT_ESTATE);
    ct_thread_free(t);

    assert_int_equal(ct_thread_join(ct_thread_main(), 0), CT_EDEADLK);
    assert_int_equal(ct_thread_start(ct_thread_main()), CT_ESTATE);
    assert_int_equal(ct_thread_start(NULL), CT_EINVAL);
    assert_int_equal(ct_thread_join(NULL, 0), CT_EINVAL);
    assert_false(ct_thread_is_alive(NULL));
    assert_int_equal(ct_thread_result(NULL), CT_EINVAL);

    ct_thread *out = (ct_thread *)&out;
    assert_int_equal(ct_thread_create(&out, NULL, NULL, NULL), CT_EINVAL);
    assert_null(out);
    assert_int_equal(ct_thread_create(NULL, noop, NULL, NULL), CT_EINVAL);
    assert_null(ct_thread_new(NULL, NULL));
    assert_int_equal(ct_thread_create_copy(&out, noop, NULL, 4, NULL),
                     CT_EINVAL);
    assert_int_equal(ct_thread_create(&out, noop, NULL,
                                      &(ct_thread_options){.stack_size = 1000}),
                     CT_EVALUE);
    assert_null(out);
    ct_thread_free(NULL);
}

/* test_various_ops: ident and native_id are set by start, distinct, kept
 * after the end */
enum { NTASKS = 10 };

static int report_ids(void *arg) {
    unsigned long *ids = arg;
    ids[0] = ct_thread_get_ident();
    ids[1] = (unsigned long)ct_thread_get_native_id();
    gate_wait((_Atomic uint32_t *)&ids[2]);
    return 0;
}

static void test_ident_and_native_id_unique(void **state) {
    (void)state;
    ct_thread *t[NTASKS];
    unsigned long ids[NTASKS][3];
    memset(ids, 0, sizeof ids);
    for (int i = 0; i < NTASKS; i++) {
        t[i] = ct_thread_new(report_ids, ids[i]);
        assert_int_equal(ct_thread_ident(t[i]), 0);
        assert_int_equal(ct_thread_native_id(t[i]), 0);
        assert_int_equal(ct_thread_start(t[i]), 0);
    }
    long native[NTASKS + 1];
    for (int i = 0; i < NTASKS; i++) {
        assert_int_not_equal(ct_thread_ident(t[i]), 0);
        native[i] = ct_thread_native_id(t[i]);
        assert_true(native[i] > 0);
    }
    native[NTASKS] = ct_thread_get_native_id();
    for (int i = 0; i <= NTASKS; i++)
        for (int j = i + 1; j <= NTASKS; j++)
            assert_int_not_equal(native[i], native[j]);
    for (int i = 0; i < NTASKS; i++)
        gate_open((_Atomic uint32_t *)&ids[i][2]);
    for (int i = 0; i < NTASKS; i++) {
        assert_int_equal(ct_thread_join(t[i], CT_FOREVER), 0);
        assert_false(ct_thread_is_alive(t[i]));
        assert_int_equal(ct_thread_ident(t[i]), ids[i][0]);
        assert_int_equal(ct_thread_native_id(t[i]), (long)ids[i][1]);
        ct_thread_free(t[i]);
    }
}

/* test_args_argument: the copy-in form gives each thread its own value */
static int sum_copy(void *arg) {
    const int *v = arg;
    return v[0] + v[1];
}

static void test_copy_argument_outlives_the_loop_variable(void **state) {
    (void)state;
    enum { N = 8 };
    ct_thread *t[N];
    for (int i = 0; i < N; i++) {
        int pair[2] = {i, 100};
        t[i] = ct_thread_new_copy(sum_copy, pair, sizeof pair);
        assert_non_null(t[i]);
        pair[0] = -1000; /* the thread must not see this */
        assert_int_equal(ct_thread_start(t[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        assert_int_equal(ct_thread_result(t[i]), i + 100);
        ct_thread_free(t[i]);
    }
    ct_thread *z;
    assert_int_equal(ct_thread_create_copy(&z, noop, NULL, 0, NULL), 0);
    ct_thread_free(z);
}

/* The result or the raised error is kept */
static int raise_value(void *arg) {
    (void)arg;
    return ct_raise(CT_EVALUE, "bad item %d", 5);
}

static int quiet_hook(const ct_exception *e, ct_thread *t, void *ctx) {
    (void)e;
    (void)t;
    atomic_fetch_add((atomic_int *)ctx, 1);
    return 0;
}

static void test_result_and_exception_are_kept(void **state) {
    (void)state;
    atomic_int calls = 0;
    ct_thread_set_excepthook(quiet_hook, &calls);
    ct_thread *t = ct_thread_new(raise_value, NULL, .name = "bad");
    ct_exception e;
    assert_false(ct_thread_exception(t, &e));
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), CT_EVALUE);
    assert_true(ct_thread_exception(t, &e));
    assert_int_equal(e.code, CT_EVALUE);
    assert_string_equal(e.message, "bad item 5");
    assert_string_equal(e.thread_name, "bad");
    assert_int_equal(atomic_load(&calls), 1);
    ct_thread_free(t);

    t = ct_thread_new(noop, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_false(ct_thread_exception(t, &e));
    assert_int_equal(e.code, 0);
    ct_thread_free(t);
    ct_thread_set_excepthook(NULL, NULL);
}

/* Freeing a running thread detaches it; the thread still finishes. */
static int count_and_leave(void *arg) {
    gate_wait(arg);
    atomic_fetch_add((atomic_int *)((char *)arg + 4), 1);
    return 0;
}

static void test_free_running_thread_is_safe(void **state) {
    (void)state;
    struct {
        _Atomic uint32_t gate;
        atomic_int done;
    } s = {0, 0};
    ct_thread *t = ct_thread_new(count_and_leave, &s);
    ct_thread_start(t);
    ct_thread *extra = ct_thread_ref(t);
    ct_thread_free(t); /* the owner lets go while it runs */
    gate_open(&s.gate);
    assert_int_equal(ct_thread_join(extra, CT_FOREVER), 0);
    assert_int_equal(atomic_load(&s.done), 1);
    ct_thread_free(extra);

    /* and with no reference left at all */
    s.gate = 0;
    t = ct_thread_new(count_and_leave, &s);
    ct_thread_start(t);
    ct_thread_free(t);
    gate_open(&s.gate);
    while (atomic_load(&s.done) != 2)
        ct_sleep(0.001);
}

/* test_join_from_multiple_threads */
static int joiner(void *arg) {
    return ct_thread_join(arg, CT_FOREVER);
}

static int timed_joiner(void *arg) {
    for (;;) {
        int rc = ct_thread_join(arg, 0.001);
        if (rc != CT_ETIMEDOUT)
            return rc;
    }
}

static void test_join_from_multiple_threads(void **state) {
    (void)state;
    for (int n = 2; n < 12; n++) {
        _Atomic uint32_t gate = 0;
        ct_thread *target = ct_thread_new(wait_gate, &gate);
        ct_thread *j[12];
        ct_thread_start(target);
        for (int i = 0; i < n; i++) {
            j[i] = ct_thread_new(i % 2 ? timed_joiner : joiner, target);
            ct_thread_start(j[i]);
        }
        gate_open(&gate);
        for (int i = 0; i < n; i++) {
            assert_int_equal(ct_thread_join(j[i], CT_FOREVER), 0);
            assert_int_equal(ct_thread_result(j[i]), 0);
            ct_thread_free(j[i]);
        }
        ct_thread_join(target, CT_FOREVER);
        ct_thread_free(target);
    }
}

/* 1,000 threads, created and joined in batches, exact accounting */
static atomic_long ran;
static int count_one(void *arg) {
    atomic_fetch_add(&ran, (long)(intptr_t)arg);
    return (int)(intptr_t)arg;
}

static void test_thousand_threads_exact_accounting(void **state) {
    (void)state;
    enum { TOTAL = 1000, BATCH = 50 };
    long expect = 0, results = 0;
    size_t before = ct_thread_active_count();
    for (int b = 0; b < TOTAL; b += BATCH) {
        ct_thread *t[BATCH];
        for (int i = 0; i < BATCH; i++) {
            intptr_t v = b + i + 1;
            expect += v;
            t[i] = ct_thread_new(count_one, (void *)v);
            assert_non_null(t[i]);
            assert_int_equal(ct_thread_start(t[i]), 0);
        }
        for (int i = 0; i < BATCH; i++) {
            assert_int_equal(ct_thread_join(t[i], i % 3 ? CT_FOREVER : 60.0),
                             0);
            results += ct_thread_result(t[i]);
            ct_thread_free(t[i]);
        }
    }
    assert_int_equal(atomic_load(&ran), expect);
    assert_int_equal(results, expect);
    assert_int_equal(ct_thread_active_count(), before);
}

/* test_various_ops_small_stack / large_stack; threading.stack_size */
static int use_stack(void *arg) {
    volatile char buf[16 * 1024];
    buf[0] = 1;
    buf[sizeof buf - 1] = 2;
    (void)arg;
    return buf[0] + buf[sizeof buf - 1];
}

static void test_stack_size(void **state) {
    (void)state;
    assert_int_equal(ct_thread_stack_size(), 0);
    assert_int_equal(ct_thread_set_stack_size(-1), CT_EVALUE);
    assert_int_equal(ct_thread_set_stack_size(1000), CT_EVALUE);
    assert_int_equal(ct_thread_set_stack_size(32 * 1024 - 1), CT_EVALUE);
    assert_int_equal(ct_thread_set_stack_size(262144), 0);
    assert_int_equal(ct_thread_stack_size(), 262144);
    ct_thread *t = ct_thread_new(use_stack, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 3);
    ct_thread_free(t);
    assert_int_equal(ct_thread_set_stack_size(0x100000), 262144);
    assert_int_equal(ct_thread_set_stack_size(0), 0x100000);
    t = ct_thread_new(use_stack, NULL, .stack_size = 64 * 1024);
    assert_int_equal(ct_thread_start(t), 0);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 3);
    ct_thread_free(t);
}

/* Library threads block asynchronous signals, not synchronous ones. */
static int check_mask(void *arg) {
    (void)arg;
    sigset_t m;
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    if (!sigismember(&m, SIGINT) || !sigismember(&m, SIGTERM) ||
        !sigismember(&m, SIGUSR1) || !sigismember(&m, SIGCHLD))
        return ct_raise(CT_EFAIL, "async signal not blocked");
    if (sigismember(&m, SIGSEGV) || sigismember(&m, SIGBUS) ||
        sigismember(&m, SIGFPE) || sigismember(&m, SIGILL))
        return ct_raise(CT_EFAIL, "sync signal blocked");
    return 0;
}

static void test_threads_block_async_signals(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(check_mask, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
    t = ct_thread_new(check_mask, NULL, .stack_size = 128 * 1024);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
    sigset_t m; /* the caller's own mask is untouched */
    pthread_sigmask(SIG_BLOCK, NULL, &m);
    assert_false(sigismember(&m, SIGINT));
}

/* The OS refusing a thread (here: an impossible stack) is CT_EAGAIN
 * (Python: "can't start new thread"); the object stays unstarted. */
static void test_start_failure_leaves_thread_unstarted(void **state) {
    (void)state;
    size_t before = ct_thread_active_count();
    ct_thread *t = ct_thread_new(noop, NULL, .stack_size = (size_t)1 << 46);
    assert_non_null(t);
    assert_int_equal(ct_thread_start(t), CT_EAGAIN);
    assert_int_equal(ct_thread_get_state(t), CT_THREAD_CREATED);
    assert_false(ct_thread_is_alive(t));
    assert_int_equal(ct_thread_active_count(), before);
    assert_int_equal(ct_thread_join(t, 0), CT_ESTATE);
    assert_int_equal(ct_thread_ident(t), 0);
    assert_int_equal(ct_thread_set_daemon(t, true), 0); /* still settable */
    ct_thread_free(t);
}

/* Every allocation failing returns CT_ENOMEM and leaks nothing. */
static int alloc_scenario(void *ctx) {
    (void)ctx;
    int v = 3;
    ct_thread *t;
    int rc = ct_thread_create_copy(&t, sum_copy, (int[2]){v, 4},
                                   2 * sizeof(int), NULL);
    if (rc)
        return rc;
    ct_thread *u;
    rc = ct_thread_create(&u, noop, NULL, &(ct_thread_options){.name = "u"});
    if (rc) {
        ct_thread_free(t);
        return rc;
    }
    ct_thread *tm;
    rc = ct_timer_create(&tm, 0.0, noop, NULL, NULL);
    if (rc) {
        ct_thread_free(t);
        ct_thread_free(u);
        return rc;
    }
    ct_thread_start(t);
    ct_thread_start(u);
    ct_thread_start(tm);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_join(u, CT_FOREVER);
    ct_thread_join(tm, CT_FOREVER);
    rc = ct_thread_result(t) == 7 ? 0 : CT_EFAIL;
    ct_thread_free(t);
    ct_thread_free(u);
    ct_thread_free(tm);
    return rc;
}

static void test_allocation_failures_return_enomem(void **state) {
    (void)state;
    int sites = ct_test_alloc_failures(alloc_scenario, NULL, NULL);
    assert_int_equal(sites, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_explicit_and_default),
        cmocka_unit_test(test_os_name_is_truncated_library_name_is_not),
        cmocka_unit_test(test_default_name_is_given_to_the_os),
        cmocka_unit_test(test_set_name),
        cmocka_unit_test(test_concurrent_renames_never_tear),
        cmocka_unit_test(test_daemon_only_settable_before_start),
        cmocka_unit_test(test_join_timeout_and_is_alive),
        cmocka_unit_test(test_join_with_finite_timeout_returns_when_finished),
        cmocka_unit_test(test_errors_are_python_runtime_errors),
        cmocka_unit_test(test_ident_and_native_id_unique),
        cmocka_unit_test(test_copy_argument_outlives_the_loop_variable),
        cmocka_unit_test(test_result_and_exception_are_kept),
        cmocka_unit_test(test_join_from_multiple_threads),
        cmocka_unit_test(test_thousand_threads_exact_accounting),
        cmocka_unit_test(test_stack_size),
        cmocka_unit_test(test_threads_block_async_signals),
        cmocka_unit_test(test_start_failure_leaves_thread_unstarted),
        cmocka_unit_test(test_allocation_failures_return_enomem),
        /* last: its detached thread may still be ending afterwards */
        cmocka_unit_test(test_free_running_thread_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
