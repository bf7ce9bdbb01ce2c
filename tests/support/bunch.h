/* tests/support/bunch.h - raw pthreads for tests: a bunch of threads
 * running one function (CPython's lock_tests.Bunch), and a one-shot gate
 * on the parking layer (for tests that must not rely on the sync layer).
 * Include after <cmocka.h>. */
#ifndef CT_TEST_BUNCH_H
#define CT_TEST_BUNCH_H

#include <cthreading/core.h>

#include <pthread.h>

typedef struct bunch {
    pthread_t tid[32];
    int n;
} bunch;

/* Start n (at most 32) threads running fn(arg). */
static inline void bunch_start(bunch *b, int n, void *(*fn)(void *),
                               void *arg) {
    assert_true(n <= 32);
    b->n = n;
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&b->tid[i], NULL, fn, arg), 0);
}

static inline void bunch_join(bunch *b) {
    for (int i = 0; i < b->n; i++)
        assert_int_equal(pthread_join(b->tid[i], NULL), 0);
}

/* A one-shot gate: gate_wait parks until gate_open. */
static inline void gate_open(_Atomic uint32_t *g) {
    atomic_store(g, 1);
    ct_park_wake(g, CT_PARK_ALL, 0);
}

static inline void gate_wait(_Atomic uint32_t *g) {
    while (atomic_load(g) == 0)
        ct_park_wait(g, 0, NULL, 0);
}

#endif
