/* Semaphore, BoundedSemaphore, Event and Barrier between processes:
 * objects in an anonymous shared mapping, initialised with CT_PSHARED,
 * used by a parent and forked children (waiters really sleep in the
 * kernel on the shared word, so a private futex would hang here).
 * No CPython counterpart (multiprocessing's primitives wrap these).
 * CT_TEST_TIMEOUT 120 */
#include <cthreading.h>
#include <cthreading/sync.h>

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "stress.h"

/* Wait (30 s at most) until `*word / unit >= n`: a peer counted as a
 * sleeper in the shared object (white box). */
static void wait_word(_Atomic uint32_t *word, uint32_t unit, uint32_t n) {
    double end = ct_monotonic() + 30.0;
    while (atomic_load(word) / unit < n) {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

/* ------------------------------------------------------ semaphore */

struct sem_pp {
    ct_semaphore ping, pong;
    long rounds;
    long counter;
};

static int sem_child(void *p) {
    struct sem_pp *g = p;
    for (long i = 0; i < g->rounds; i++) {
        if (ct_semaphore_acquire(&g->ping, 30.0) != 0)
            return 1;
        if (g->counter != 2 * i + 1)
            return 2;
        g->counter++;
        if (ct_semaphore_release(&g->pong, 1) != 0)
            return 3;
    }
    return 0;
}

static void test_pshared_semaphore_ping_pong(void **state) {
    (void)state;
    struct sem_pp *g = ct_test_shared_map(sizeof *g);
    assert_int_equal(ct_semaphore_init(&g->ping, 0, CT_PSHARED), 0);
    assert_int_equal(ct_semaphore_init(&g->pong, 0, CT_PSHARED), 0);
    g->rounds = ct_stress_iters(5000);
    pid_t pid = ct_test_spawn(sem_child, g);
    /* first hand-off only once the child sleeps in the kernel */
    wait_word(&g->ping.waiters, 2, 1);
    for (long i = 0; i < g->rounds; i++) {
        assert_int_equal(g->counter, 2 * i);
        g->counter++;
        assert_int_equal(ct_semaphore_release(&g->ping, 1), 0);
        assert_int_equal(ct_semaphore_acquire(&g->pong, 30.0), 0);
    }
    ct_test_expect_child_ok(pid);
    assert_int_equal(g->counter, 2 * g->rounds);
    assert_int_equal(ct_semaphore_destroy(&g->ping), 0);
    assert_int_equal(ct_semaphore_destroy(&g->pong), 0);
    munmap(g, sizeof *g);
}

/* A bounded semaphore shared by three processes: the bound holds. */
struct bsem_share {
    ct_bounded_semaphore s;
    long iters;
    atomic_int in_use, over;
};

static int bsem_child(void *p) {
    struct bsem_share *b = p;
    for (long i = 0; i < b->iters; i++) {
        if (ct_bounded_semaphore_acquire(&b->s, 30.0) != 0)
            return 1;
        if (atomic_fetch_add(&b->in_use, 1) >= 2)
            atomic_fetch_add(&b->over, 1);
        atomic_fetch_sub(&b->in_use, 1);
        if (ct_bounded_semaphore_release(&b->s, 1) != 0)
            return 2;
    }
    return 0;
}

static void test_pshared_bounded_semaphore_holds_bound(void **state) {
    (void)state;
    struct bsem_share *b = ct_test_shared_map(sizeof *b);
    assert_int_equal(ct_bounded_semaphore_init(&b->s, 2, CT_PSHARED), 0);
    b->iters = ct_stress_iters(20000);
    pid_t a = ct_test_spawn(bsem_child, b), c = ct_test_spawn(bsem_child, b);
    assert_int_equal(bsem_child(b), 0);
    ct_test_expect_child_ok(a);
    ct_test_expect_child_ok(c);
    assert_int_equal(atomic_load(&b->over), 0);
    assert_int_equal(ct_bounded_semaphore_value(&b->s), 2);
    assert_int_equal(ct_bounded_semaphore_release(&b->s, 1), CT_EVALUE);
    munmap(b, sizeof *b);
}

/* ---------------------------------------------------------- event */

struct ev_pp {
    ct_event ping, pong;
    long rounds;
    long counter;
};

static int ev_child(void *p) {
    struct ev_pp *g = p;
    for (long i = 0; i < g->rounds; i++) {
        if (ct_event_wait(&g->ping, 30.0) != 0)
            return 1;
        ct_event_clear(&g->ping);
        if (g->counter != 2 * i + 1)
            return 2;
        g->counter++;
        ct_event_set(&g->pong);
    }
    return 0;
}

static void test_pshared_event_ping_pong(void **state) {
    (void)state;
    struct ev_pp *g = ct_test_shared_map(sizeof *g);
    assert_int_equal(ct_event_init(&g->ping, CT_PSHARED), 0);
    assert_int_equal(ct_event_init(&g->pong, CT_PSHARED), 0);
    g->rounds = ct_stress_iters(5000);
    pid_t pid = ct_test_spawn(ev_child, g);
    wait_word(&g->ping.aux, 4, 1); /* the child waits */
    for (long i = 0; i < g->rounds; i++) {
        assert_int_equal(g->counter, 2 * i);
        g->counter++;
        assert_int_equal(ct_event_set(&g->ping), 0);
        assert_int_equal(ct_event_wait(&g->pong, 30.0), 0);
        assert_int_equal(ct_event_clear(&g->pong), 0);
    }
    ct_test_expect_child_ok(pid);
    assert_int_equal(g->counter, 2 * g->rounds);
    munmap(g, sizeof *g);
}

/* A set wakes waiters asleep in two other processes, also across a quick
 * set+clear. */
static int ev_sleeper(void *p) {
    return ct_event_wait(p, 30.0) == 0 ? 0 : 1;
}

static void test_pshared_event_set_and_clear_wakes_processes(void **state) {
    (void)state;
    ct_event *ev = ct_test_shared_map(sizeof *ev);
    assert_int_equal(ct_event_init(ev, CT_PSHARED), 0);
    pid_t a = ct_test_spawn(ev_sleeper, ev), b = ct_test_spawn(ev_sleeper, ev);
    wait_word(&ev->aux, 4, 2);
    assert_int_equal(ct_event_set(ev), 0);
    assert_int_equal(ct_event_clear(ev), 0);
    ct_test_expect_child_ok(a);
    ct_test_expect_child_ok(b);
    assert_int_equal(ct_event_destroy(ev), 0);
    munmap(ev, sizeof *ev);
}

/* -------------------------------------------------------- barrier */

/* Three processes cross one barrier round after round; the action (valid
 * in every process: same code mapping after fork) checks that all three
 * arrived, and nobody passes a round early. */
enum { PROCS = 3 };

struct bar_share {
    ct_barrier b;
    long rounds;
    atomic_long arrivals, action_round;
    atomic_int errors;
};

static int bar_action(void *arg) {
    struct bar_share *s = arg;
    long k = atomic_load(&s->action_round);
    if (atomic_load(&s->arrivals) != (k + 1) * PROCS)
        atomic_fetch_add(&s->errors, 1);
    atomic_store(&s->action_round, k + 1);
    return 0;
}

static int bar_party(void *p) {
    struct bar_share *s = p;
    for (long k = 0; k < s->rounds; k++) {
        atomic_fetch_add(&s->arrivals, 1);
        int i = ct_barrier_wait(&s->b);
        if (i < 0 || i >= PROCS)
            return 1;
        long a = atomic_load(&s->arrivals);
        if (a < (k + 1) * PROCS || a > (k + 2) * PROCS)
            return 2;
        if (atomic_load(&s->action_round) < k + 1)
            return 3;
    }
    return 0;
}

static void test_pshared_barrier_across_three_processes(void **state) {
    (void)state;
    struct bar_share *s = ct_test_shared_map(sizeof *s);
    assert_int_equal(ct_barrier_init(&s->b, PROCS, .action = bar_action,
                                     .arg = s, .timeout = 30.0,
                                     .flags = CT_PSHARED),
                     0);
    s->rounds = ct_stress_iters(2000);
    pid_t a = ct_test_spawn(bar_party, s), b = ct_test_spawn(bar_party, s);
    assert_int_equal(bar_party(s), 0);
    ct_test_expect_child_ok(a);
    ct_test_expect_child_ok(b);
    assert_int_equal(atomic_load(&s->errors), 0);
    assert_int_equal(atomic_load(&s->action_round), s->rounds);
    assert_int_equal(ct_barrier_destroy(&s->b), 0);
    munmap(s, sizeof *s);
}

/* abort() in one process breaks the barrier for waiters asleep in two
 * others. */
static int bar_broken_waiter(void *p) {
    return ct_barrier_wait(p) == CT_EBROKEN ? 0 : 1;
}

static void test_pshared_barrier_abort_reaches_other_processes(void **state) {
    (void)state;
    ct_barrier *b = ct_test_shared_map(sizeof *b);
    assert_int_equal(
        ct_barrier_init(b, 3, .timeout = 30.0, .flags = CT_PSHARED), 0);
    pid_t x = ct_test_spawn(bar_broken_waiter, b),
          y = ct_test_spawn(bar_broken_waiter, b);
    wait_word(&b->seq, 1, 1); /* someone sleeps (SLEEPERS bit) */
    double end = ct_monotonic() + 30.0;
    while (ct_barrier_n_waiting(b) < 2)
        assert_true(ct_monotonic() < end);
    assert_int_equal(ct_barrier_abort(b), 0);
    ct_test_expect_child_ok(x);
    ct_test_expect_child_ok(y);
    assert_true(ct_barrier_broken(b));
    munmap(b, sizeof *b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pshared_semaphore_ping_pong),
        cmocka_unit_test(test_pshared_bounded_semaphore_holds_bound),
        cmocka_unit_test(test_pshared_event_ping_pong),
        cmocka_unit_test(test_pshared_event_set_and_clear_wakes_processes),
        cmocka_unit_test(test_pshared_barrier_across_three_processes),
        cmocka_unit_test(test_pshared_barrier_abort_reaches_other_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
