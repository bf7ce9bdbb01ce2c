/* The parking layer: futex wait/wake with deadlines, private and shared.
 * CT_TEST_TIMEOUT 180 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cthreading.h>

#include "stress.h"

static void test_bad_arguments_are_einval(void **state) {
    (void)state;
    _Atomic uint32_t w[2] = {0, 0};
    _Atomic uint32_t *odd = (_Atomic uint32_t *)((char *)w + 1);
    assert_int_equal(ct_park_wait(NULL, 0, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_park_wait(odd, 0, NULL, 0), CT_EINVAL);
    assert_int_equal(ct_park_wait(w, 0, NULL, 0x40), CT_EINVAL);
    assert_int_equal(ct_park_wake(NULL, 1, 0), CT_EINVAL);
    assert_int_equal(ct_park_wake(w, 0, 0), CT_EINVAL);
    assert_int_equal(ct_park_wake(w, -3, 0), CT_EINVAL);
    assert_int_equal(ct_park_wake(odd, 1, 0), CT_EINVAL);
    assert_int_equal(ct_park_wake(w, 1, 0x40), CT_EINVAL);
    assert_int_equal(ct_park_requeue(w, 0, -1, 0, &w[1], 0), CT_EINVAL);
    assert_int_equal(ct_park_requeue(w, 0, 1, 0, NULL, 0), CT_EINVAL);
}

static void test_wait_returns_at_once_when_word_differs(void **state) {
    (void)state;
    _Atomic uint32_t w = 5;
    assert_int_equal(ct_park_wait(&w, 4, NULL, 0), 0);
    assert_int_equal(ct_park_wait(&w, 4, NULL, CT_PARK_NOSPIN), 0);
}

static void test_expired_deadline_times_out_without_sleeping(void **state) {
    (void)state;
    _Atomic uint32_t w = 0;
    ct_deadline d;
    assert_int_equal(ct_deadline_init(&d, 0, CT_NEG_REJECT), 0);
    double t0 = ct_monotonic();
    assert_int_equal(ct_park_wait(&w, 0, &d, 0), CT_ETIMEDOUT);
    assert_true(ct_monotonic() - t0 < 1.0);
}

static void test_timed_wait_lasts_its_time(void **state) {
    (void)state;
    _Atomic uint32_t w = 0;
    ct_deadline d;
    double t0 = ct_monotonic(); /* before the deadline: never too short */
    assert_int_equal(ct_deadline_init(&d, 0.1, CT_NEG_REJECT), 0);
    int rc;
    while ((rc = ct_park_wait(&w, 0, &d, 0)) == 0)
        ; /* spurious wake-ups just loop */
    double dt = ct_monotonic() - t0;
    assert_int_equal(rc, CT_ETIMEDOUT);
    assert_true(dt >= 0.1 && dt < 5.0);
}

static void test_wake_without_waiters_wakes_none(void **state) {
    (void)state;
    _Atomic uint32_t w = 0;
    assert_int_equal(ct_park_wake(&w, 1, 0), 0);
    assert_int_equal(ct_park_wake(&w, CT_PARK_ALL, CT_PARK_SHARED), 0);
}

struct flag {
    _Atomic uint32_t word;
    atomic_int parked;
};

static void *park_until_set(void *p) {
    struct flag *f = p;
    atomic_fetch_add(&f->parked, 1);
    while (atomic_load_explicit(&f->word, memory_order_acquire) == 0)
        ct_park_wait(&f->word, 0, NULL, CT_PARK_NOSPIN);
    return NULL;
}

static void test_wake_all_releases_every_waiter(void **state) {
    (void)state;
    enum { N = 6 };
    struct flag f = {0};
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, park_until_set, &f), 0);
    while (atomic_load(&f.parked) < N)
        sched_yield();
    atomic_store_explicit(&f.word, 1, memory_order_release);
    int woken = ct_park_wake(&f.word, CT_PARK_ALL, 0);
    assert_in_range(woken, 0, N); /* some may not have slept yet */
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
}

/* Requeue: waiters on `from` are moved to `to` and woken from there. */
struct rq {
    _Atomic uint32_t from, to;
    atomic_int parked, done;
};

static void *park_on_from(void *p) {
    struct rq *r = p;
    atomic_fetch_add(&r->parked, 1);
    while (atomic_load(&r->to) == 0)
        ct_park_wait(&r->from, 0, NULL, CT_PARK_NOSPIN);
    atomic_fetch_add(&r->done, 1);
    return NULL;
}

static void test_requeue_moves_waiters(void **state) {
    (void)state;
    enum { N = 4 };
    struct rq r = {0};
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, park_on_from, &r), 0);
    while (atomic_load(&r.parked) < N)
        sched_yield();
    /* A stale expected value changes nothing. */
    assert_int_equal(ct_park_requeue(&r.from, 99, 0, N, &r.to, 0), CT_EAGAIN);
    /* Threads counted as parked may not have reached the kernel yet;
     * keep moving until all are done. Nobody is woken from `from` alone. */
    atomic_store(&r.to, 1);
    while (atomic_load(&r.done) < N) {
        ct_park_requeue(&r.from, 0, 0, N, &r.to, 0);
        ct_park_wake(&r.to, CT_PARK_ALL, 0);
        sched_yield();
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&r.done), N);
}

/* Token ring: thread i may only act when turn == i; it bumps the shared
 * counter, passes the turn on and wakes everyone parked on the word.
 * Exactly N * M increments, in order, with no lost wake-up (a lost one
 * would hang the ring and trip the CTest timeout). */
struct ring {
    _Atomic uint32_t turn;
    long counter; /* only touched by the turn holder */
    int n;
    long rounds;
    atomic_long out_of_turn;
};

static void ring_member(void *p, int me) {
    struct ring *r = p;
    for (long k = 0; k < r->rounds; k++) {
        uint32_t t;
        while ((t = atomic_load_explicit(&r->turn, memory_order_acquire)) !=
               (uint32_t)me)
            ct_park_wait(&r->turn, t, NULL, 0);
        if (r->counter != k * r->n + me)
            atomic_fetch_add(&r->out_of_turn, 1);
        r->counter++;
        atomic_store_explicit(&r->turn, (uint32_t)((me + 1) % r->n),
                              memory_order_release);
        ct_park_wake(&r->turn, CT_PARK_ALL, 0);
    }
}

static void test_stress_token_ring_exact_count(void **state) {
    (void)state;
    struct ring r = {.n = 8, .rounds = ct_stress_iters(1500)};
    assert_int_equal(ct_stress_run(r.n, ring_member, &r), 0);
    assert_int_equal(r.counter, r.n * r.rounds);
    assert_int_equal(atomic_load(&r.out_of_turn), 0);
}

/* A counting semaphore built on one word: producers add, consumers take
 * one at a time; every unit is consumed exactly once. */
struct sem {
    _Atomic uint32_t count;
    atomic_int sleepers;
    long per_thread;
    atomic_long taken;
};

static void sem_post(struct sem *s) {
    /* seq_cst on both sides (count then sleepers; sleepers then count):
     * either the poster sees the sleeper or the sleeper sees the count. */
    atomic_fetch_add(&s->count, 1);
    if (atomic_load(&s->sleepers) > 0)
        ct_park_wake(&s->count, 1, 0);
}

static void sem_take(struct sem *s) {
    for (;;) {
        uint32_t c = atomic_load_explicit(&s->count, memory_order_acquire);
        if (c > 0 && atomic_compare_exchange_weak_explicit(
                         &s->count, &c, c - 1, memory_order_acquire,
                         memory_order_relaxed))
            return;
        if (c == 0) {
            atomic_fetch_add(&s->sleepers, 1);
            ct_park_wait(&s->count, 0, NULL, 0);
            atomic_fetch_sub(&s->sleepers, 1);
        }
    }
}

static void sem_worker(void *p, int me) {
    struct sem *s = p;
    for (long i = 0; i < s->per_thread; i++) {
        if (me % 2)
            sem_post(s);
        else {
            sem_take(s);
            atomic_fetch_add(&s->taken, 1);
        }
    }
}

static void test_stress_word_semaphore_exact_count(void **state) {
    (void)state;
    struct sem s = {.per_thread = ct_stress_iters(20000)};
    assert_int_equal(ct_stress_run(8, sem_worker, &s), 0);
    assert_int_equal(atomic_load(&s.taken), 4 * s.per_thread);
    assert_int_equal(atomic_load(&s.count), 0);
}

/* Process-shared: parent and child ping-pong through a word in shared
 * memory; each side sees every value in turn. */
static void test_shared_word_between_processes(void **state) {
    (void)state;
    _Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(w != MAP_FAILED);
    atomic_store(w, 0);
    enum { ROUNDS = 2000 };
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (uint32_t v = 1; v < 2 * ROUNDS; v += 2) {
            uint32_t cur;
            while ((cur = atomic_load(w)) != v - 1)
                ct_park_wait(w, cur, NULL, CT_PARK_SHARED);
            atomic_store(w, v);
            ct_park_wake(w, 1, CT_PARK_SHARED);
        }
        _exit(0);
    }
    for (uint32_t v = 2; v <= 2 * ROUNDS; v += 2) {
        uint32_t cur;
        while ((cur = atomic_load(w)) != v - 1)
            ct_park_wait(w, cur, NULL, CT_PARK_SHARED);
        atomic_store(w, v);
        ct_park_wake(w, 1, CT_PARK_SHARED);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(atomic_load(w), 2 * ROUNDS);
    munmap((void *)w, 4096);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments_are_einval),
        cmocka_unit_test(test_wait_returns_at_once_when_word_differs),
        cmocka_unit_test(test_expired_deadline_times_out_without_sleeping),
        cmocka_unit_test(test_timed_wait_lasts_its_time),
        cmocka_unit_test(test_wake_without_waiters_wakes_none),
        cmocka_unit_test(test_wake_all_releases_every_waiter),
        cmocka_unit_test(test_requeue_moves_waiters),
        cmocka_unit_test(test_stress_token_ring_exact_count),
        cmocka_unit_test(test_stress_word_semaphore_exact_count),
        cmocka_unit_test(test_shared_word_between_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
