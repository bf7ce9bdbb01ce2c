/* 08 - A race condition: unsynchronised read-modify-write loses updates.
 *
 * Python (seed guide 004 "Thread Communication - Shared Data" and
 * "Common Pitfalls: Race Conditions"):
 *
 *     counter = 0
 *     def increment():
 *         global counter
 *         for _ in range(100000):
 *             counter += 1          # temp = counter; temp += 1; counter = temp
 *     ... two threads ...
 *     print(f"Counter value: {counter}")  # May not be 200000!
 *
 * In C a plain `counter++` from two threads is undefined behaviour, so we
 * spell out the same read, add, write with separate atomic load and store:
 * well-defined, and exactly as racy as the Python line. The fix (a Lock)
 * is in the sync examples; atomic_fetch_add would also be correct.
 *
 * EXPECT: ^Counter value: [0-9]+ \(expected 20000000\)$
 * EXPECT: ^lost updates: [0-9]+$
 */
#include <cthreading.h>
#include <stdio.h>

enum { THREADS = 2, ITERATIONS = 10000000 };

static _Atomic long counter;
static atomic_int arrived;

static int increment(void *arg) {
    (void)arg;
    atomic_fetch_add(&arrived, 1); /* start together so they overlap */
    while (atomic_load(&arrived) < THREADS)
        ct_cpu_relax();
    for (int i = 0; i < ITERATIONS; i++) {
        long temp = atomic_load_explicit(&counter, memory_order_relaxed);
        temp += 1;
        atomic_store_explicit(&counter, temp, memory_order_relaxed);
    }
    return 0;
}

int main(void) {
    ct_thread *threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        threads[i] = ct_thread_new(increment, NULL);
        ct_thread_start(threads[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        ct_thread_join(threads[i], CT_FOREVER);
        ct_thread_free(threads[i]);
    }
    long expected = (long)THREADS * ITERATIONS, got = atomic_load(&counter);
    printf("Counter value: %ld (expected %ld)\n", got, expected);
    printf("lost updates: %ld\n", expected - got);
    printf("%s\n", got < expected
                       ? "the race lost updates, as the seed warns"
                       : "no update lost this time (lucky scheduling)");
    return got <= expected ? 0 : 1;
}
