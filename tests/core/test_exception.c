/* ct_raise: the per-thread exception slot a failing target leaves behind. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include <cmocka.h>
#include <cthreading.h>

static void test_raise_returns_code_and_records_message(void **state) {
    (void)state;
    ct_exception_clear();
    ct__set_current_name("worker-7");
    assert_int_equal(ct_raise(CT_EVALUE, "bad item %d", 42), CT_EVALUE);
    ct_exception e;
    assert_true(ct_exception_current(&e));
    assert_int_equal(e.code, CT_EVALUE);
    assert_string_equal(e.message, "bad item 42");
    assert_string_equal(e.thread_name, "worker-7");
    ct_exception_clear();
    assert_false(ct_exception_current(&e));
    assert_int_equal(e.code, 0);
    ct__set_current_name(NULL);
}

static void test_raise_of_success_is_einval(void **state) {
    (void)state;
    assert_int_equal(ct_raise(0, "oops"), CT_EINVAL);
    assert_int_equal(ct_raise(5, NULL), CT_EINVAL);
    ct_exception e;
    assert_true(ct_exception_current(&e));
    assert_int_equal(e.code, CT_EINVAL);
    ct_exception_clear();
}

static void test_null_format_uses_strerror_and_user_codes_pass(void **state) {
    (void)state;
    assert_int_equal(ct_raise(CT_EUSER - 3, NULL), CT_EUSER - 3);
    ct_exception e;
    assert_true(ct_exception_current(&e));
    assert_string_equal(e.message, "unknown error");
    assert_int_equal(ct_raise(CT_ETIMEDOUT, NULL), CT_ETIMEDOUT);
    assert_true(ct_exception_current(&e));
    assert_string_equal(e.message, "timed out");
    assert_false(ct_exception_current(NULL));
    ct_exception_clear();
}

static void test_long_message_is_truncated(void **state) {
    (void)state;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ct_raise(CT_EFAIL, "%s", big);
    ct_exception e;
    assert_true(ct_exception_current(&e));
    assert_int_equal(strlen(e.message), CT_EXC_MESSAGE_MAX - 1);
    ct_exception_clear();
}

static void *raise_elsewhere(void *p) {
    ct_raise(CT_EFULL, "from another thread");
    ct_exception *out = p;
    ct_exception_current(out);
    return NULL;
}

static void test_exception_slot_is_per_thread(void **state) {
    (void)state;
    ct_exception_clear();
    ct_exception theirs;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raise_elsewhere, &theirs), 0);
    pthread_join(t, NULL);
    assert_int_equal(theirs.code, CT_EFULL);
    ct_exception mine;
    assert_false(ct_exception_current(&mine));
}

static void test_take_prefers_matching_pending_exception(void **state) {
    (void)state;
    ct_exception e;
    ct_raise(CT_EVALUE, "detail");
    ct__exception_take(CT_EVALUE, &e);
    assert_string_equal(e.message, "detail");
    assert_false(ct_exception_current(&e)); /* taken */
    ct_raise(CT_EVALUE, "stale");           /* raised, then handled */
    ct__exception_take(CT_EEMPTY, &e);
    assert_int_equal(e.code, CT_EEMPTY);
    assert_string_equal(e.message, "queue is empty");
}

static void test_print_has_python_format(void **state) {
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    ct_exception e = {.code = CT_EVALUE};
    snprintf(e.message, sizeof e.message, "negative count");
    snprintf(e.thread_name, sizeof e.thread_name, "Thread-1 (work)");
    ct_exception_print(&e);
    ct_exception_print(NULL);
    dup2(saved, STDERR_FILENO);
    close(fds[1]);
    char buf[512] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    close(saved);
    assert_true(n > 0);
    assert_string_equal(buf, "Exception in thread Thread-1 (work):\n"
                             "ValueError: negative count\n");
}

static void test_unnamed_thread_gets_os_name(void **state) {
    (void)state;
    ct__set_current_name(NULL);
    pthread_setname_np(pthread_self(), "osname");
    char name[CT_NAME_MAX];
    ct__current_name(name);
    assert_string_equal(name, "osname");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raise_returns_code_and_records_message),
        cmocka_unit_test(test_raise_of_success_is_einval),
        cmocka_unit_test(test_null_format_uses_strerror_and_user_codes_pass),
        cmocka_unit_test(test_long_message_is_truncated),
        cmocka_unit_test(test_exception_slot_is_per_thread),
        cmocka_unit_test(test_take_prefers_matching_pending_exception),
        cmocka_unit_test(test_print_has_python_format),
        cmocka_unit_test(test_unnamed_thread_gets_os_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
