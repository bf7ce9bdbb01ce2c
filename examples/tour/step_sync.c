/* Tour, level 2 (part A): Lock, RLock, Condition, lock ordering, once.
 * Semaphore, Event and Barrier are in step_sync_b.c. */
#include "tour.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <stdio.h>

enum { T = 4 };

static ct_lock lock = CT_LOCK_INIT;
static _Atomic long racy; /* atomic load + store: racy but defined */
static long guarded;      /* under `lock` */
static long iterations;
static atomic_int gate;

static int count_racy(void *arg) {
    (void)arg;
    atomic_fetch_add(&gate, 1); /* start together so they overlap */
    while (atomic_load(&gate) < T)
        ct_cpu_relax();
    for (long i = 0; i < 2000000; i++) {
        long v = atomic_load_explicit(&racy, memory_order_relaxed);
        atomic_store_explicit(&racy, v + 1, memory_order_relaxed);
    }
    return 0;
}

static int count_locked(void *arg) {
    (void)arg;
    for (long i = 0; i < iterations; i++)
        CT_WITH(&lock) {
            guarded++;
        }
    return 0;
}

/* The same work under a pthread_mutex_t, for the side-by-side figure. */
static pthread_mutex_t pmutex = PTHREAD_MUTEX_INITIALIZER;
static long pguarded;

static int count_pthread(void *arg) {
    (void)arg;
    for (long i = 0; i < iterations; i++) {
        pthread_mutex_lock(&pmutex);
        pguarded++;
        pthread_mutex_unlock(&pmutex);
    }
    return 0;
}

/* one-slot mailbox over a Condition */
static ct_condition cond = CT_CONDITION_INIT;
static long slot, rounds;

static bool slot_empty(void *a) {
    (void)a;
    return slot == 0;
}
static bool slot_full(void *a) {
    (void)a;
    return slot != 0;
}

static int producer(void *arg) {
    (void)arg;
    for (long i = 1; i <= rounds; i++)
        CT_WITH(&cond) {
            ct_condition_wait_for(&cond, slot_empty, NULL, CT_FOREVER);
            slot = i;
            ct_condition_notify(&cond, 1);
        }
    return 0;
}

static ct_lock acct_a = CT_LOCK_INIT, acct_b = CT_LOCK_INIT;
static long bal_a = 100, bal_b = 100;
static atomic_int dir;

static int transfers(void *arg) {
    (void)arg;
    int d = atomic_fetch_add(&dir, 1) % 2; /* half A->B, half B->A */
    ct_lock *set[2] = {d ? &acct_a : &acct_b, d ? &acct_b : &acct_a};
    for (long i = 0; i < iterations; i++) {
        ct_lock_acquire_all(set, 2, CT_FOREVER);
        bal_a += d ? -1 : 1;
        bal_b += d ? 1 : -1;
        ct_lock_release_all(set, 2);
    }
    return 0;
}

static ct_once once = CT_ONCE_INIT;
static atomic_int inits;
static int init_once(void *a) {
    (void)a;
    atomic_fetch_add(&inits, 1);
    return 0;
}
static int call_once(void *a) {
    (void)a;
    return ct_once_call(&once, init_once, NULL);
}

int tour_sync(bool quick) {
    int bad = 0;
    iterations = quick ? 200000 : 2000000;

    TOUR_STEP("sync", "a race condition, and the Lock that fixes it");
    tour_run_threads(T, count_racy, NULL);
    double t0 = ct_monotonic();
    tour_run_threads(T, count_locked, NULL);
    double el = ct_monotonic() - t0;
    long want = T * iterations;
    printf("   %d threads x 2000000 increments without lock: %ld "
           "(lost %ld)\n",
           T, (long)racy, T * 2000000L - (long)racy);
    printf("   %d threads x %ld increments with lock: %ld (expected %ld)\n", T,
           iterations, guarded, want);
    t0 = ct_monotonic();
    tour_run_threads(T, count_pthread, NULL);
    double pel = ct_monotonic() - t0;
    printf("   %.1f ns per locked increment (all threads, %d CPUs); "
           "pthread_mutex_t: %.1f ns (x%.1f)\n",
           el * 1e9 / (double)want, ct_cpu_count(), pel * 1e9 / (double)want,
           pel / el);
    TOUR_FAIL_IF(bad, guarded != want);
    TOUR_FAIL_IF(bad, pguarded != want);

    TOUR_STEP("sync", "Lock timeouts: CT_ETIMEDOUT instead of a hang");
    ct_lock_acquire(&lock, CT_FOREVER);
    t0 = ct_monotonic();
    int rc = ct_lock_acquire(&lock, 0.1);
    el = ct_monotonic() - t0;
    printf("   acquire(0.1) on a held lock -> %s after %.1f ms; "
           "acquire(-1) -> %s; release twice -> %s\n",
           ct_errname(rc), el * 1e3, ct_errname(ct_lock_acquire(&lock, -1)),
           (ct_lock_release(&lock), ct_errname(ct_lock_release(&lock))));
    TOUR_FAIL_IF(bad, rc != CT_ETIMEDOUT || el < 0.09);

    TOUR_STEP("sync", "RLock: the owner re-enters; others must wait");
    ct_rlock r = CT_RLOCK_INIT;
    CT_WITH(&r) CT_WITH(&r) CT_WITH(&r) {
        printf("   depth 3 held, owned=%d\n", ct_rlock_is_owned(&r));
    }
    printf("   after the blocks: locked=%d; a stray release -> %s\n",
           ct_rlock_locked(&r), ct_errname(ct_rlock_release(&r)));

    TOUR_STEP("sync", "Condition: a one-slot handoff, no lost wake-up");
    rounds = quick ? 2000 : 20000;
    long sum = 0;
    ct_thread *p = ct_thread_new(producer, NULL);
    t0 = ct_monotonic();
    ct_thread_start(p);
    for (long i = 1; i <= rounds; i++)
        CT_WITH(&cond) {
            ct_condition_wait_for(&cond, slot_full, NULL, CT_FOREVER);
            sum += slot;
            slot = 0;
            ct_condition_notify(&cond, 1);
        }
    el = ct_monotonic() - t0;
    ct_thread_join(p, CT_FOREVER);
    ct_thread_free(p);
    printf("   %ld items handed over, sum %ld (expected %ld), %.1f us each\n",
           rounds, sum, rounds * (rounds + 1) / 2, el * 1e6 / (double)rounds);
    TOUR_FAIL_IF(bad, sum != rounds * (rounds + 1) / 2);

    TOUR_STEP("sync", "deadlock avoided: locks taken in one global order");
    iterations = quick ? 20000 : 200000;
    tour_run_threads(T, transfers, NULL);
    printf("   %d threads transferring both ways: A=%ld B=%ld total=%ld "
           "(expected 200), no deadlock\n",
           T, bal_a, bal_b, bal_a + bal_b);
    TOUR_FAIL_IF(bad, bal_a + bal_b != 200);

    TOUR_STEP("sync", "once: a thread-safe singleton");
    tour_run_threads(T, call_once, NULL);
    printf("   %d threads called ct_once_call: init ran %d time(s)\n", T,
           atomic_load(&inits));
    TOUR_FAIL_IF(bad, atomic_load(&inits) != 1);
    return bad;
}
