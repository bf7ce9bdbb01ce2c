/* Error codes: every code has a name, a message and a Python exception. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cthreading.h>

static void test_every_code_has_distinct_name_and_text(void **state) {
    (void)state;
    for (int c = CT_EINVAL; c >= CT_ELAST_; c--) {
        assert_string_not_equal(ct_strerror(c), "unknown error");
        assert_string_not_equal(ct_errname(c), "CT_E?");
        assert_non_null(ct_exception_type(c));
        for (int d = c - 1; d >= CT_ELAST_; d--)
            assert_string_not_equal(ct_errname(c), ct_errname(d));
    }
}

static void test_codes_are_negative_and_success_is_zero(void **state) {
    (void)state;
    assert_int_equal(CT_OK, 0);
    assert_string_equal(ct_strerror(0), "success");
    assert_true(CT_ETIMEDOUT < 0 && CT_EFAIL < 0 && CT_EUSER < CT_ELAST_);
}

static void test_python_exception_names(void **state) {
    (void)state;
    assert_string_equal(ct_exception_type(CT_ETIMEDOUT), "TimeoutError");
    assert_string_equal(ct_exception_type(CT_EEMPTY), "queue.Empty");
    assert_string_equal(ct_exception_type(CT_EFULL), "queue.Full");
    assert_string_equal(ct_exception_type(CT_ESHUTDOWN), "queue.ShutDown");
    assert_string_equal(ct_exception_type(CT_EBROKEN),
                        "threading.BrokenBarrierError");
    assert_string_equal(ct_exception_type(CT_EVALUE), "ValueError");
    assert_string_equal(ct_exception_type(CT_EPERM), "RuntimeError");
    assert_string_equal(ct_exception_type(CT_ENOMEM), "MemoryError");
}

static void test_unknown_codes_do_not_crash(void **state) {
    (void)state;
    int odd[] = {1,         42,       CT_ELAST_ - 1, CT_EUSER, CT_EUSER - 7,
                 INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        assert_string_equal(ct_strerror(odd[i]), "unknown error");
        assert_string_equal(ct_errname(odd[i]), "CT_E?");
        assert_string_equal(ct_exception_type(odd[i]), "Exception");
    }
}

static void test_version_string_matches_macros(void **state) {
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", CT_VERSION_MAJOR, CT_VERSION_MINOR,
             CT_VERSION_PATCH);
    assert_string_equal(ct_version(), want);
    assert_true(ct_cpu_count() >= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_distinct_name_and_text),
        cmocka_unit_test(test_codes_are_negative_and_success_is_zero),
        cmocka_unit_test(test_python_exception_names),
        cmocka_unit_test(test_unknown_codes_do_not_crash),
        cmocka_unit_test(test_version_string_matches_macros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
