/* Exit semantics, each scenario in a child process: non-daemon threads are
 * joined when main returns or exit() is called, daemon threads are not,
 * _exit joins nothing, ct_threading_shutdown joins early.
 * Ports CPython test_threading.py ThreadJoinOnShutdown
 * (test_1_join_on_shutdown, test_4_daemon_threads),
 * ThreadTests.test_join_nondaemon_on_shutdown, test_locals_at_exit.
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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

static const child_scenario scenarios[] = {
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

int main(int argc, char **argv) {
    int status;
    if (child_main(argc, argv, scenarios, &status))
        return status;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nondaemon_thread_is_joined_when_main_returns),
        cmocka_unit_test(test_nondaemon_thread_is_joined_on_exit_call),
        cmocka_unit_test(test_daemon_thread_does_not_block_exit),
        cmocka_unit_test(test_underscore_exit_joins_nothing),
        cmocka_unit_test(test_explicit_shutdown_joins_nondaemon_only),
        cmocka_unit_test(test_threads_started_during_shutdown_are_joined),
        cmocka_unit_test(test_main_thread_locals_destroyed_at_exit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
