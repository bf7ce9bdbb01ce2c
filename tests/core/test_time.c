/* Time and deadlines: the rules for timeouts, and proof that every wait
 * runs on CLOCK_MONOTONIC.
 *
 * The proof interposes clock_gettime, clock_nanosleep and syscall in this
 * program (the library is linked statically, so its calls land here): it
 * records every clock the library asks for and every futex operation it
 * makes, and serves CLOCK_REALTIME an hour off on every call (a wall
 * clock jumping around). Nothing is stepped on the real wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dlfcn.h>
#include <linux/futex.h>
#include <math.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cthreading.h>

static atomic_int realtime_asked, monotonic_asked, other_clock_asked;
static atomic_int futex_calls, futex_realtime_calls, nanosleep_non_mono;

static void note_clock(clockid_t id) {
    if (id == CLOCK_REALTIME)
        atomic_fetch_add(&realtime_asked, 1);
    else if (id == CLOCK_MONOTONIC)
        atomic_fetch_add(&monotonic_asked, 1);
    else
        atomic_fetch_add(&other_clock_asked, 1);
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    note_clock(id);
    long r = (long)syscall(SYS_clock_gettime, id, ts);
    if (r == 0 && id == CLOCK_REALTIME) {
        static atomic_int flip;
        ts->tv_sec += (atomic_fetch_add(&flip, 1) & 1) ? 3600 : -3600;
    }
    return (int)r;
}

int clock_nanosleep(clockid_t id, int flags, const struct timespec *req,
                    struct timespec *rem) {
    if (id != CLOCK_MONOTONIC)
        atomic_fetch_add(&nanosleep_non_mono, 1);
    return (int)syscall(SYS_clock_nanosleep, id, flags, req, rem);
}

long syscall(long n, ...) {
    static long (*real)(long, ...);
    if (!real)
        real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_futex) {
        atomic_fetch_add(&futex_calls, 1);
        if (a[1] & FUTEX_CLOCK_REALTIME)
            atomic_fetch_add(&futex_realtime_calls, 1);
    }
    return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static double raw_now(void) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_nan_timeout_is_einval(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, NAN, CT_NEG_REJECT), CT_EINVAL);
    assert_int_equal(ct_deadline_init(&d, NAN, CT_NEG_EXPIRED), CT_EINVAL);
    assert_int_equal(ct_deadline_init(NULL, 1.0, CT_NEG_REJECT), CT_EINVAL);
    assert_int_equal(ct_deadline_init(&d, 1.0, (ct_negative_rule)7),
                     CT_EINVAL);
}

static void test_negative_timeout_follows_rule(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, -0.5, CT_NEG_REJECT), CT_EVALUE);
    assert_int_equal(ct_deadline_init(&d, -1.0, CT_NEG_REJECT), CT_EVALUE);
    assert_int_equal(ct_deadline_init(&d, -INFINITY, CT_NEG_REJECT),
                     CT_EVALUE);
    assert_int_equal(ct_deadline_init(&d, -0.5, CT_NEG_EXPIRED), 0);
    assert_true(ct_deadline_expired(&d));
    assert_false(ct_deadline_is_never(&d));
    /* -infinity is not "forever": a negative time left never waits. */
    assert_int_equal(ct_deadline_init(&d, -INFINITY, CT_NEG_EXPIRED), 0);
    assert_true(ct_deadline_expired(&d));
    assert_true(ct_deadline_remaining(&d) == 0.0);
}

static void test_forever_and_huge_timeouts_never_expire(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, CT_FOREVER, CT_NEG_REJECT), 0);
    assert_true(ct_deadline_is_never(&d));
    assert_false(ct_deadline_expired(&d));
    assert_true(isinf(ct_deadline_remaining(&d)));
    assert_int_equal(ct_deadline_init(&d, 1e300, CT_NEG_REJECT), 0);
    assert_true(ct_deadline_is_never(&d));
    ct_deadline n = ct_deadline_never();
    assert_true(ct_deadline_is_never(&n));
}

static void test_zero_timeout_is_already_due(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, 0.0, CT_NEG_REJECT), 0);
    assert_true(ct_deadline_expired(&d));
}

static void test_remaining_counts_down(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, 10.0, CT_NEG_REJECT), 0);
    double r = ct_deadline_remaining(&d);
    assert_true(r > 9.0 && r <= 10.0);
    assert_false(ct_deadline_expired(&d));
}

static void test_monotonic_is_monotonic(void **state) {
    (void)state;
    double prev = ct_monotonic();
    int64_t prevns = ct_monotonic_ns();
    for (int i = 0; i < 100000; i++) {
        double now = ct_monotonic();
        int64_t nowns = ct_monotonic_ns();
        assert_true(now >= prev && nowns >= prevns);
        prev = now;
        prevns = nowns;
    }
}

static void test_sleep_rules(void **state) {
    (void)state;
    assert_int_equal(ct_sleep(NAN), CT_EINVAL);
    assert_int_equal(ct_sleep(-1.0), CT_EVALUE);
    assert_int_equal(ct_sleep(CT_FOREVER), CT_EVALUE);
    assert_int_equal(ct_sleep(0), 0);
    double t0 = raw_now();
    assert_int_equal(ct_sleep(0.05), 0);
    double dt = raw_now() - t0;
    assert_true(dt >= 0.05 && dt < 5.0);
}

/* A timed wait lasts its time on the monotonic clock, although the
 * (interposed) wall clock jumps by an hour between any two reads, and the
 * library never asked the wall clock anything. */
static void test_waits_use_monotonic_clock_only(void **state) {
    (void)state;
    _Atomic uint32_t word = 0;
    atomic_store(&realtime_asked, 0);
    atomic_store(&futex_calls, 0);
    ct_deadline d;
    double t0 = raw_now();
    assert_int_equal(ct_deadline_init(&d, 0.15, CT_NEG_REJECT), 0);
    int rc;
    while ((rc = ct_park_wait(&word, 0, &d, 0)) == 0)
        ;
    double dt = raw_now() - t0;
    assert_int_equal(rc, CT_ETIMEDOUT);
    assert_true(dt >= 0.15 && dt < 5.0);
    assert_int_equal(ct_sleep(0.01), 0);
    assert_true(atomic_load(&monotonic_asked) > 0);
    assert_true(atomic_load(&futex_calls) > 0);
    assert_int_equal(atomic_load(&realtime_asked), 0);
    assert_int_equal(atomic_load(&other_clock_asked), 0);
    assert_int_equal(atomic_load(&futex_realtime_calls), 0);
    assert_int_equal(atomic_load(&nanosleep_non_mono), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nan_timeout_is_einval),
        cmocka_unit_test(test_negative_timeout_follows_rule),
        cmocka_unit_test(test_forever_and_huge_timeouts_never_expire),
        cmocka_unit_test(test_zero_timeout_is_already_due),
        cmocka_unit_test(test_remaining_counts_down),
        cmocka_unit_test(test_monotonic_is_monotonic),
        cmocka_unit_test(test_sleep_rules),
        cmocka_unit_test(test_waits_use_monotonic_clock_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
