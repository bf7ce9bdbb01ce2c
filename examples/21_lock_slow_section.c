/* 21 - Read, slow work, write: correct only with the whole sequence under
 * the lock, and then the threads run one after another.
 *
 * Python (seed guide 003 "Thread Safety - Race Conditions"):
 *
 *     def increment():
 *         global counter
 *         with lock:
 *             current = counter
 *             time.sleep(0.1)  # Simulate work
 *             counter = current + 1
 *
 * Without the lock every thread reads 0 before anyone writes: updates are
 * lost. With it the count is right but the 5 sleeps add up (holding a
 * lock across slow work serialises the threads).
 *
 * EXPECT: ^without lock: counter = [0-9] \(expected 5\), elapsed 0\.[0-9]+ s$
 * EXPECT: ^with lock: counter = 5 \(expected 5\), elapsed [0-9.]+ s \(serialised\)$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

enum { THREADS = 5 };
#define WORK 0.05 /* seconds of "work" inside the section */

static ct_lock lock = CT_LOCK_INIT;
static _Atomic long counter; /* atomic loads/stores: racy but defined */
static atomic_int started;

static void read_work_write(void) {
    long current = atomic_load(&counter);
    ct_sleep(WORK); /* simulate work */
    atomic_store(&counter, current + 1);
}

static int unlocked(void *arg) {
    (void)arg;
    atomic_fetch_add(&started, 1); /* start together */
    while (atomic_load(&started) < THREADS)
        ct_cpu_relax();
    read_work_write();
    return 0;
}

static int locked(void *arg) {
    (void)arg;
    CT_WITH(&lock) {
        read_work_write();
    }
    return 0;
}

static double run(ct_thread_fn fn) {
    ct_thread *t[THREADS];
    atomic_store(&counter, 0);
    double t0 = ct_monotonic();
    for (int i = 0; i < THREADS; i++) {
        t[i] = ct_thread_new(fn, NULL);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    return ct_monotonic() - t0;
}

int main(void) {
    double e1 = run(unlocked);
    long c1 = atomic_load(&counter);
    printf("without lock: counter = %ld (expected %d), elapsed %.2f s\n", c1,
           THREADS, e1);
    double e2 = run(locked);
    long c2 = atomic_load(&counter);
    printf("with lock: counter = %ld (expected %d), elapsed %.2f s "
           "(serialised)\n",
           c2, THREADS, e2);
    return c2 == THREADS && e2 >= THREADS * WORK * 0.9 ? 0 : 1;
}
