/* Exit semantics, each scenario in a child process: non-daemon threads are
 * joined when main returns or exit() is called, daemon threads are not,
 * _exit and quick_exit join nothing, ct_threading_shutdown joins early,
 * daemon threads busy in the library while exit() runs touch no freed
 * state (test_4_daemon_threads: daemons running at shutdown must not crash).
 * Ports CPython test_threading.py ThreadJoinOnShutdown
 * (test_1_join_on_shutdown, test_4_daemon_threads),
 * ThreadTests.test_join_nondaemon_on_shutdown, test_locals_at_exit;
 * Lib/threading.py _shutdown marking the main thread done.
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include <cthreading/thread.h>

static _Atomic uint32_t gate;

static void say(const char *s) {
    ssize_t w = write(1, s, strlen(s)); /* unbuffered: nothing lost */
    (void)w;
}

static void open_gate(void) {
    say("main: exiting\n");
    atomic_store(&gate, 1);
    ct_park_wake(&gate, CT_PARK_ALL, 0);
}

static int worker(void *arg) {
    (void)arg;
    while (atomic_load(&gate) == 0)
        ct_park_wait(&gate, 0, NULL, 0);
    ct_sleep(0.05); /* still working while exit() proceeds */
    say("worker: done\n");
    return 0;
}

static int noop_target(void *arg) {
    (void)arg;
    return 0;
}

static int forever(void *arg) {
    (void)arg;
    _Atomic uint32_t never = 0;
    for (;;)
        ct_park_wait(&never, 0, NULL, 0);
    return 0;
}

/* main returns while a non-daemon thread still works: it finishes. */
static int scenario_nondaemon_joined(void) {
    ct_thread *t = ct_thread_new(worker, NULL, .name = "worker");
    ct_thread_start(t);
    ct_thread_free(t);
    atexit(open_gate); /* runs before the library's handler (LIFO) */
    return 0;
}

/* exit() from main: same. */
static int scenario_exit_call(void) {
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t); /* no handle kept: still joined */
    atexit(open_gate);
    exit(3);
}

/* A daemon thread that never ends does not block exit. */
static int scenario_daemon_left_running(void) {
    ct_thread *d = ct_thread_new(forever, NULL, .daemon = true);
    ct_thread_start(d);
    ct_thread_free(d);
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    atexit(open_gate);
    return 0;
}

/* _exit joins nothing. */
static int scenario_underscore_exit(void) {
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    say("main: _exit\n");
    _exit(4);
}

/* ct_threading_shutdown joins non-daemon threads (only) now. */
static int scenario_explicit_shutdown(void) {
    ct_thread *d = ct_thread_new(forever, NULL, .daemon = true);
    ct_thread_start(d);
    ct_thread_free(d);
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    open_gate();
    int n = ct_threading_shutdown();
    char buf[64];
    snprintf(buf, sizeof buf, "shutdown joined %d alive %d\n", n,
             ct_thread_is_alive(t));
    say(buf);
    ct_thread_free(t);
    return 0;
}

/* A thread started by a non-daemon thread during shutdown is joined too. */
static int spawner(void *arg) {
    (void)arg;
    while (atomic_load(&gate) == 0) /* i.e. until exit() has begun */
        ct_park_wait(&gate, 0, NULL, 0);
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    say("spawner: done\n");
    return 0;
}

static int scenario_threads_started_at_shutdown(void) {
    ct_thread *s = ct_thread_new(spawner, NULL);
    ct_thread_start(s);
    ct_thread_free(s);
    atexit(open_gate);
    return 0;
}

static void say_destroyed(void *v) {
    say((const char *)v);
}

/* The main thread's thread-local values are destroyed at exit. */
static int scenario_main_locals_at_exit(void) {
    static ct_local *l; /* static: still reachable at exit */
    l = ct_local_new(.destructor = say_destroyed);
    ct_local_set(l, "local: destroyed\n");
    ct_thread *t = ct_thread_new(worker, NULL); /* registers the handler */
    ct_thread_start(t);
    ct_thread_free(t);
    atexit(open_gate);
    return 0;
}

/* quick_exit joins nothing either (no atexit handlers). */
static int scenario_quick_exit(void) {
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    say("main: quick_exit\n");
    quick_exit(6);
}

/* Daemon threads busy inside the library (starting and joining threads,
 * current_thread, enumerate, locals, renames) while the process exits:
 * nothing they use is freed under them (ASan and TSan builds check it),
 * and exit is not held up by them. */
static ct_local *busy_local;

static void *busy_init(void *arg) {
    (void)arg;
    static int one = 1;
    return &one;
}

static void busy_destroy(void *v) {
    (void)v;
}

static _Atomic uint32_t busy_running;

static int busy_daemon(void *arg) {
    (void)arg;
    for (unsigned long i = 0;; i++) {
        ct_thread *c = ct_thread_new(noop_target, NULL, .daemon = true);
        if (c && ct_thread_start(c) == 0)
            ct_thread_join(c, i % 2 ? CT_FOREVER : 30.0);
        ct_thread_free(c);
        ct_thread *buf[8];
        size_t n = ct_thread_enumerate(buf, 8);
        for (size_t k = 0; k < n && k < 8; k++)
            ct_thread_free(buf[k]);
        (void)ct_local_get(busy_local);
        ct_thread_set_name(ct_thread_current(), i % 2 ? "busy-a" : "busy-b");
        (void)ct_thread_active_count();
        if (i == 10) {
            atomic_fetch_add(&busy_running, 1);
            ct_park_wake(&busy_running, CT_PARK_ALL, 0);
        }
    }
    return 0;
}

static int scenario_busy_daemons_at_exit(void) {
    busy_local = ct_local_new(.init = busy_init, .destructor = busy_destroy);
    for (int i = 0; i < 2; i++) {
        ct_thread *d = ct_thread_new(busy_daemon, NULL, .daemon = true);
        ct_thread_start(d);
        ct_thread_free(d);
    }
    for (uint32_t n; (n = atomic_load(&busy_running)) < 2;)
        ct_park_wait(&busy_running, n, NULL, 0);
    ct_thread *t = ct_thread_new(worker, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    atexit(open_gate);
    return 0;
}

/* No thread ever started: the main thread's values are still destroyed
 * at exit. */
static int scenario_main_locals_without_threads(void) {
    static ct_local *l;
    l = ct_local_new(.destructor = say_destroyed);
    ct_local_set(l, "local: destroyed\n");
    say("main: exiting\n");
    return 0;
}

/* A non-daemon thread joining the main thread is released when main
 * exits (Python's _shutdown marks the main thread done first), instead
 * of both waiting for each other. */
static int join_main(void *arg) {
    (void)arg;
    int rc = ct_thread_join(ct_thread_main(), CT_FOREVER);
    char buf[64];
    snprintf(buf, sizeof buf, "joined main: rc %d alive %d\n", rc,
             ct_thread_is_alive(ct_thread_main()));
    say(buf);
    return 0;
}

static int scenario_join_main_at_exit(void) {
    ct_thread *t = ct_thread_new(join_main, NULL);
    ct_thread_start(t);
    ct_thread_free(t);
    say("main: exiting\n");
    return 0;
}

/* Two threads calling ct_threading_shutdown at once do not wait for each
 * other (each skips the other); both return. */
static _Atomic uint32_t both_in;

static int shutdown_caller(void *arg) {
    (void)arg;
    atomic_fetch_add(&both_in, 1);
    ct_park_wake(&both_in, CT_PARK_ALL, 0);
    for (uint32_t n; (n = atomic_load(&both_in)) < 2;)
        ct_park_wait(&both_in, n, NULL, 0);
    return ct_threading_shutdown();
}

static int scenario_concurrent_shutdown_calls(void) {
    ct_thread *t[2];
    for (int i = 0; i < 2; i++) {
        t[i] = ct_thread_new(shutdown_caller, NULL);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < 2; i++)
        if (ct_thread_join(t[i], 20.0) != 0) {
            say("deadlocked\n");
            _exit(7);
        }
    char buf[64];
    snprintf(buf, sizeof buf, "both returned, joined %d+%d\n",
             ct_thread_result(t[0]), ct_thread_result(t[1]));
    say(buf);
    ct_thread_free(t[0]);
    ct_thread_free(t[1]);
    return 0;
}

/* A non-daemon thread still inside its own ct_threading_shutdown when
 * main exits is joined all the same (main skips nobody). */
static _Atomic uint32_t inner_go;

static int inner_worker(void *arg) {
    (void)arg;
    while (atomic_load(&inner_go) == 0)
        ct_park_wait(&inner_go, 0, NULL, 0);
    return 0;
}

static int shutdown_then_work(void *arg) {
    (void)arg;
    ct_threading_shutdown(); /* waits for inner_worker */
    ct_sleep(0.05);          /* still working when main's handler scans */
    say("shutdown caller: done\n");
    return 0;
}

static void open_inner(void) {
    say("main: exiting\n");
    atomic_store(&inner_go, 1);
    ct_park_wake(&inner_go, CT_PARK_ALL, 0);
}

static int scenario_exit_joins_thread_in_shutdown(void) {
    ct_thread *w = ct_thread_new(inner_worker, NULL);
    ct_thread_start(w);
    ct_thread_free(w);
    ct_thread *s = ct_thread_new(shutdown_then_work, NULL);
    ct_thread_start(s);
    ct_thread_free(s);
    atexit(open_inner);
    return 0;
}

static const child_scenario scenarios[] = {
    {"exit_joins_thread_in_shutdown", scenario_exit_joins_thread_in_shutdown},
    {"concurrent_shutdown_calls", scenario_concurrent_shutdown_calls},
    {"main_locals_without_threads", scenario_main_locals_without_threads},
    {"join_main_at_exit", scenario_join_main_at_exit},
    {"quick_exit", scenario_quick_exit},
    {"busy_daemons_at_exit", scenario_busy_daemons_at_exit},
    {"nondaemon_joined", scenario_nondaemon_joined},
    {"exit_call", scenario_exit_call},
    {"daemon_left_running", scenario_daemon_left_running},
    {"underscore_exit", scenario_underscore_exit},
    {"explicit_shutdown", scenario_explicit_shutdown},
    {"threads_started_at_shutdown", scenario_threads_started_at_shutdown},
    {"main_locals_at_exit", scenario_main_locals_at_exit},
    {NULL, NULL},
};

static child_result r;

static void test_nondaemon_thread_is_joined_when_main_returns(void **state) {
    (void)state;
    assert_int_equal(run_child("nondaemon_joined", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "main: exiting\nworker: done\n"));
}

static void test_nondaemon_thread_is_joined_on_exit_call(void **state) {
    (void)state;
    assert_int_equal(run_child("exit_call", &r, 30), 0);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.out, "main: exiting\nworker: done\n"));
}

static void test_daemon_thread_does_not_block_exit(void **state) {
    (void)state;
    assert_int_equal(run_child("daemon_left_running", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "worker: done\n"));
}

static void test_underscore_exit_joins_nothing(void **state) {
    (void)state;
    assert_int_equal(run_child("underscore_exit", &r, 30), 0);
    assert_int_equal(r.status, 4);
    assert_non_null(strstr(r.out, "main: _exit\n"));
    assert_null(strstr(r.out, "worker: done"));
}

static void test_quick_exit_joins_nothing(void **state) {
    (void)state;
    assert_int_equal(run_child("quick_exit", &r, 30), 0);
    assert_int_equal(r.status, 6);
    assert_non_null(strstr(r.out, "main: quick_exit\n"));
    assert_null(strstr(r.out, "worker: done"));
}

static void test_busy_daemon_threads_survive_exit(void **state) {
    (void)state;
    /* exit() catches daemons between a child's end and its join: TSan
     * would call that thread leaked, which is what daemons at exit are.
     * Races and use-after-free are still reported. */
    const char *old = getenv("TSAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%sreport_thread_leaks=0", old ? old : "",
             old && *old ? ":" : "");
    char *saved = old ? strdup(old) : NULL;
    setenv("TSAN_OPTIONS", opts, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(run_child("busy_daemons_at_exit", &r, 60), 0);
        if (r.status != 0)
            print_message("child output:\n%s\n", r.out);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "main: exiting\nworker: done\n"));
    }
    if (saved)
        setenv("TSAN_OPTIONS", saved, 1);
    else
        unsetenv("TSAN_OPTIONS");
    free(saved);
}

static void test_explicit_shutdown_joins_nondaemon_only(void **state) {
    (void)state;
    assert_int_equal(run_child("explicit_shutdown", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "worker: done\nshutdown joined 1 alive 0\n"));
}

static void test_threads_started_during_shutdown_are_joined(void **state) {
    (void)state;
    assert_int_equal(run_child("threads_started_at_shutdown", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "spawner: done\n"));
    assert_non_null(strstr(r.out, "worker: done\n"));
}

static void test_main_thread_locals_destroyed_at_exit(void **state) {
    (void)state;
    assert_int_equal(run_child("main_locals_at_exit", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "worker: done\nlocal: destroyed\n"));
}

static void test_main_locals_destroyed_without_any_thread(void **state) {
    (void)state;
    assert_int_equal(run_child("main_locals_without_threads", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "main: exiting\nlocal: destroyed\n"));
}

static void test_thread_joining_main_is_released_at_exit(void **state) {
    (void)state;
    assert_int_equal(run_child("join_main_at_exit", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(
        strstr(r.out, "main: exiting\njoined main: rc 0 alive 0\n"));
}

static void test_concurrent_shutdown_calls_do_not_deadlock(void **state) {
    (void)state;
    assert_int_equal(run_child("concurrent_shutdown_calls", &r, 60), 0);
    assert_int_equal(r.status, 0);
    /* each joined the other, or one skipped it: never both waiting */
    assert_non_null(strstr(r.out, "both returned, joined "));
}

static void test_exit_joins_a_thread_inside_shutdown(void **state) {
    (void)state;
    assert_int_equal(run_child("exit_joins_thread_in_shutdown", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "main: exiting\n"));
    assert_non_null(strstr(r.out, "shutdown caller: done\n"));
}

int main(int argc, char **argv) {
    int status;
    if (child_main(argc, argv, scenarios, &status))
        return status;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nondaemon_thread_is_joined_when_main_returns),
        cmocka_unit_test(test_nondaemon_thread_is_joined_on_exit_call),
        cmocka_unit_test(test_daemon_thread_does_not_block_exit),
        cmocka_unit_test(test_underscore_exit_joins_nothing),
        cmocka_unit_test(test_quick_exit_joins_nothing),
        cmocka_unit_test(test_busy_daemon_threads_survive_exit),
        cmocka_unit_test(test_explicit_shutdown_joins_nondaemon_only),
        cmocka_unit_test(test_threads_started_during_shutdown_are_joined),
        cmocka_unit_test(test_main_thread_locals_destroyed_at_exit),
        cmocka_unit_test(test_main_locals_destroyed_without_any_thread),
        cmocka_unit_test(test_thread_joining_main_is_released_at_exit),
        cmocka_unit_test(test_concurrent_shutdown_calls_do_not_deadlock),
        cmocka_unit_test(test_exit_joins_a_thread_inside_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
