/* The exception hook (threading.excepthook): the default output on
 * stderr, a custom hook's calls, a failing hook, restoring the default.
 * Ports CPython test_threading.py ExceptHookTests: test_excepthook,
 * test_custom_excepthook, test_custom_excepthook_fail,
 * test_original_excepthook; ThreadingExceptionTests.test_print_exception.
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "child.h"
#include <cthreading/thread.h>

static int fail_value(void *arg) {
    (void)arg;
    return ct_raise(CT_EVALUE, "bug %d", 42);
}

static int fail_plain(void *arg) {
    (void)arg;
    return CT_ETIMEDOUT; /* no ct_raise: the message is the code's */
}

static int run_one(ct_thread_fn fn, const char *name) {
    ct_thread *t =
        ct_thread_new_with(fn, NULL, &(ct_thread_options){.name = name});
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_free(t);
    return 0;
}

static int failing_hook(const ct_exception *e, ct_thread *t, void *ctx) {
    (void)e;
    (void)t;
    (void)ctx;
    return ct_raise(CT_EFAIL, "hook broke");
}

static int scenario_default_output(void) {
    run_one(fail_value, "worker-1");
    run_one(fail_plain, "worker-2");
    return 0;
}

static int scenario_failing_hook(void) {
    ct_thread_set_excepthook(failing_hook, NULL);
    run_one(fail_value, "worker-3");
    return 0;
}

static const child_scenario scenarios[] = {
    {"default_output", scenario_default_output},
    {"failing_hook", scenario_failing_hook},
    {NULL, NULL},
};

static child_result r;

/* test_excepthook / test_print_exception: the default hook's output */
static void test_default_hook_prints_to_stderr(void **state) {
    (void)state;
    assert_int_equal(run_child("default_output", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(
        strstr(r.out, "Exception in thread worker-1:\nValueError: bug 42\n"));
    assert_non_null(strstr(r.out, "Exception in thread worker-2:\n"
                                  "TimeoutError: timed out"));
}

/* test_custom_excepthook_fail: reported, never recursed */
static void test_failing_hook_is_reported_not_recursed(void **state) {
    (void)state;
    assert_int_equal(run_child("failing_hook", &r, 30), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Exception in threading.excepthook:\n"
                                  "Exception: hook broke\n"));
    assert_null(strstr(r.out, "worker-3"));
    const char *first = strstr(r.out, "excepthook");
    assert_null(strstr(first + 1, "excepthook"));
}

/* test_custom_excepthook: the hook sees the exception and the thread */
struct capture {
    atomic_int calls;
    ct_exception exc;
    ct_thread *thread;
    bool in_thread;
};

static int capture_hook(const ct_exception *e, ct_thread *t, void *ctx) {
    struct capture *c = ctx;
    c->exc = *e;
    c->thread = t;
    c->in_thread = ct_thread_current() == t && ct_thread_is_alive(t);
    atomic_fetch_add(&c->calls, 1);
    return 0;
}

static int succeed(void *arg) {
    (void)arg;
    return 5;
}

static void test_custom_hook_receives_exception_and_thread(void **state) {
    (void)state;
    struct capture c = {0};
    assert_int_equal(ct_thread_set_excepthook(capture_hook, &c), 0);
    void *ctx = NULL;
    assert_ptr_equal(ct_thread_get_excepthook(&ctx), capture_hook);
    assert_ptr_equal(ctx, &c);

    ct_thread *t = ct_thread_new(fail_value, NULL, .name = "excepthook thread");
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&c.calls), 1);
    assert_int_equal(c.exc.code, CT_EVALUE);
    assert_string_equal(c.exc.message, "bug 42");
    assert_string_equal(c.exc.thread_name, "excepthook thread");
    assert_ptr_equal(c.thread, t);
    assert_true(c.in_thread);
    ct_thread_free(t);

    /* a target that succeeds never calls the hook */
    t = ct_thread_new(succeed, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&c.calls), 1);
    ct_thread_free(t);

    /* a timer's failing function goes to the hook as well */
    t = ct_timer_new(0.0, fail_value, NULL);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(atomic_load(&c.calls), 2);
    ct_thread_free(t);
    ct_thread_set_excepthook(NULL, NULL);
}

/* test_original_excepthook: NULL restores the default, which is also
 * callable directly (threading.__excepthook__). */
static void test_default_hook_restored(void **state) {
    (void)state;
    struct capture c = {0};
    ct_thread_set_excepthook(capture_hook, &c);
    ct_thread_set_excepthook(NULL, &c);
    void *ctx = &c;
    assert_ptr_equal(ct_thread_get_excepthook(&ctx),
                     ct_thread_default_excepthook);
    assert_null(ctx);
    assert_ptr_equal(ct_thread_get_excepthook(NULL),
                     ct_thread_default_excepthook);
    assert_int_equal(ct_thread_default_excepthook(NULL, NULL, NULL), 0);
}

int main(int argc, char **argv) {
    int status;
    if (child_main(argc, argv, scenarios, &status))
        return status;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_hook_prints_to_stderr),
        cmocka_unit_test(test_failing_hook_is_reported_not_recursed),
        cmocka_unit_test(test_custom_hook_receives_exception_and_thread),
        cmocka_unit_test(test_default_hook_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
