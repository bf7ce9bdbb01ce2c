/* Time and deadlines: the rules for timeouts, and proof that every wait
 * runs on CLOCK_MONOTONIC.
 *
 * The proof interposes clock_gettime, clock_nanosleep and syscall in this
 * program (the library is linked statically, so its calls land here): it
 * records every clock the library asks for and every futex operation it
 * makes, and serves CLOCK_REALTIME an hour off on every call (a wall
 * clock jumping around). Nothing is stepped on the real wall clock. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cthreading.h>

static atomic_int realtime_asked, monotonic_asked, other_clock_asked;
static atomic_int futex_calls, futex_realtime_calls, nanosleep_non_mono;
static atomic_int wallclock_calls;     /* gettimeofday, time */
static atomic_int nanosleep_eintr;     /* sleeps cut short by a signal */
static _Atomic int64_t mono_offset_ns; /* pretend uptime, for overflow */

static void reset_counters(void) {
    atomic_store(&realtime_asked, 0);
    atomic_store(&monotonic_asked, 0);
    atomic_store(&other_clock_asked, 0);
    atomic_store(&futex_calls, 0);
    atomic_store(&futex_realtime_calls, 0);
    atomic_store(&nanosleep_non_mono, 0);
    atomic_store(&wallclock_calls, 0);
}

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
    if (r == 0 && id == CLOCK_MONOTONIC) {
        int64_t off = atomic_load(&mono_offset_ns);
        ts->tv_sec += off / 1000000000;
    }
    return (int)r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    atomic_fetch_add(&wallclock_calls, 1);
    return (int)syscall(SYS_gettimeofday, tv, tz);
}

time_t time(time_t *t) {
    atomic_fetch_add(&wallclock_calls, 1);
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

/* clock_nanosleep returns the error number (not -1/errno). */
int clock_nanosleep(clockid_t id, int flags, const struct timespec *req,
                    struct timespec *rem) {
    if (id != CLOCK_MONOTONIC)
        atomic_fetch_add(&nanosleep_non_mono, 1);
    long r = syscall(SYS_clock_nanosleep, id, flags, req, rem);
    if (r != 0 && errno == EINTR)
        atomic_fetch_add(&nanosleep_eintr, 1);
    return r == 0 ? 0 : errno;
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
    assert_int_equal(ct_deadline_init(&d, 1.0, (ct_negative_rule)7), CT_EINVAL);
}

static void test_negative_timeout_follows_rule(void **state) {
    (void)state;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, -0.5, CT_NEG_REJECT), CT_EVALUE);
    assert_int_equal(ct_deadline_init(&d, -1.0, CT_NEG_REJECT), CT_EVALUE);
    assert_int_equal(ct_deadline_init(&d, -INFINITY, CT_NEG_REJECT), CT_EVALUE);
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

static void test_tiny_positive_timeouts_round_up(void **state) {
    (void)state;
    ct_deadline d;
    double tiny[] = {1e-10, 5e-324, 1e-300, 4e-9};
    for (size_t i = 0; i < sizeof tiny / sizeof *tiny; i++) {
        int64_t before = ct_monotonic_ns();
        assert_int_equal(ct_deadline_init(&d, tiny[i], CT_NEG_REJECT), 0);
        assert_true(d.ns > before); /* at least 1 ns ahead */
    }
    /* -0.0 is zero, not negative: "try once" even under the reject rule. */
    assert_int_equal(ct_deadline_init(&d, -0.0, CT_NEG_REJECT), 0);
    assert_false(ct_deadline_is_never(&d));
}

/* The deadline is a point on the monotonic clock itself, not on the wall
 * clock (which would be ~1.7e18 ns away from it). */
static void test_deadline_is_on_the_monotonic_clock(void **state) {
    (void)state;
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    int64_t raw = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, 1.0, CT_NEG_REJECT), 0);
    int64_t off = d.ns - raw - 1000000000;
    assert_true(off > -500000000 && off < 500000000);
}

/* A timeout just below the "never" threshold, with 300 days of uptime,
 * must neither overflow (UBSan) nor come out already expired. */
static void test_huge_timeout_with_long_uptime_does_not_overflow(void **s) {
    (void)s;
    atomic_store(&mono_offset_ns, (int64_t)300 * 86400 * 1000000000);
    ct_deadline d;
    double big[] = {9.199e9, 9.0e9, 8.9e9, 9.223e9};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        assert_int_equal(ct_deadline_init(&d, big[i], CT_NEG_REJECT), 0);
        assert_false(ct_deadline_expired(&d));
        assert_true(ct_deadline_remaining(&d) > 8e9);
    }
    ct_deadline past = {INT64_MIN + 1};
    assert_true(ct_deadline_remaining(&past) == 0.0);
    assert_true(ct_deadline_expired(&past));
    atomic_store(&mono_offset_ns, 0);
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
    assert_int_equal(ct_sleep(CT_FOREVER), CT_EOVERFLOW);
    assert_int_equal(ct_sleep(1e300), CT_EOVERFLOW);
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
    reset_counters();
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
    assert_int_equal(atomic_load(&wallclock_calls), 0);
}

/* Signals: a handler installed without SA_RESTART makes futex and
 * nanosleep fail with EINTR. A park reports "look again" (0) before its
 * deadline; ct_sleep still sleeps its full time. */
static atomic_int signals_seen;
static void on_signal(int sig) {
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

struct parked {
    _Atomic uint32_t word;
    atomic_int started, returned;
    int rc;
    double seconds;
};

static void *park_once(void *p) {
    struct parked *k = p;
    ct_deadline d;
    ct_deadline_init(&d, 20.0, CT_NEG_REJECT);
    atomic_store(&k->started, 1);
    double t0 = ct_monotonic();
    k->rc = ct_park_wait(&k->word, 0, &d, CT_PARK_NOSPIN);
    k->seconds = ct_monotonic() - t0;
    atomic_store(&k->returned, 1);
    return NULL;
}

static void *sleep_fixed(void *p) {
    struct parked *k = p;
    atomic_store(&k->started, 1);
    double t0 = raw_now();
    k->rc = ct_sleep(0.2);
    k->seconds = raw_now() - t0;
    atomic_store(&k->returned, 1);
    return NULL;
}

static void interrupt_until_returned(void *(*fn)(void *), struct parked *k) {
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, k), 0);
    while (!atomic_load(&k->started))
        sched_yield();
    /* Keep interrupting: a signal that lands before the thread enters the
     * kernel does not interrupt anything. */
    while (!atomic_load(&k->returned)) {
        pthread_kill(t, SIGUSR1);
        struct timespec ms = {0, 2000000};
        syscall(SYS_nanosleep, &ms, NULL);
    }
    pthread_join(t, NULL);
    signal(SIGUSR1, SIG_DFL);
}

static void test_signal_makes_park_look_again(void **state) {
    (void)state;
    struct parked k = {0};
    atomic_store(&signals_seen, 0);
    interrupt_until_returned(park_once, &k);
    assert_int_equal(k.rc, 0);
    assert_true(k.seconds < 15.0); /* returned long before its deadline */
    assert_true(atomic_load(&signals_seen) > 0);
    assert_int_equal(atomic_load(&k.word), 0);
}

static void test_sleep_lasts_its_time_despite_signals(void **state) {
    (void)state;
    struct parked k = {0};
    atomic_store(&signals_seen, 0);
    atomic_store(&nanosleep_eintr, 0);
    interrupt_until_returned(sleep_fixed, &k);
    assert_int_equal(k.rc, 0);
    assert_true(k.seconds >= 0.2);
    assert_true(atomic_load(&signals_seen) > 0);
#if !defined(__SANITIZE_THREAD__)
    /* TSan defers handlers and may not cut the sleep short; elsewhere the
     * sleep must really have been interrupted and resumed. */
    assert_true(atomic_load(&nanosleep_eintr) > 0);
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nan_timeout_is_einval),
        cmocka_unit_test(test_negative_timeout_follows_rule),
        cmocka_unit_test(test_forever_and_huge_timeouts_never_expire),
        cmocka_unit_test(test_zero_timeout_is_already_due),
        cmocka_unit_test(test_remaining_counts_down),
        cmocka_unit_test(test_tiny_positive_timeouts_round_up),
        cmocka_unit_test(test_deadline_is_on_the_monotonic_clock),
        cmocka_unit_test(test_huge_timeout_with_long_uptime_does_not_overflow),
        cmocka_unit_test(test_monotonic_is_monotonic),
        cmocka_unit_test(test_sleep_rules),
        cmocka_unit_test(test_waits_use_monotonic_clock_only),
        cmocka_unit_test(test_signal_makes_park_look_again),
        cmocka_unit_test(test_sleep_lasts_its_time_despite_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
