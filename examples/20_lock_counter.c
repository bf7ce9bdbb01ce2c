/* 20 - A Lock makes the shared counter exact (the fix for 08's race).
 *
 * Python (seed guides 001 "Synchronization with Lock", 002 "Using Locks",
 * 004 "Thread Synchronization with Lock"):
 *
 *     lock = threading.Lock()
 *     def increment():
 *         global counter
 *         for _ in range(100000):
 *             with lock:            # or lock.acquire() ... lock.release()
 *                 counter += 1
 *     ... 5 threads ...
 *     print("Final counter:", counter)
 *
 * CT_WITH(&lock) { ... } is `with lock:`: the lock is released on every
 * way out of the block. Bare acquire/release works too, but an early
 * return between them would leave the lock held.
 *
 * EXPECT: ^Final counter: 500000$
 * EXPECT: ^Final counter value: 100$
 * EXPECT: ^Safe counter value: 200000$
 * EXPECT: ^max inside critical section: 1$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_lock lock = CT_LOCK_INIT;
static long counter;
static int inside, max_inside; /* both protected by `lock` */

static int increment_with(void *arg) { /* `with lock:` */
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        CT_WITH(&lock) {
            if (++inside > max_inside)
                max_inside = inside;
            counter += 1;
            inside--;
        }
    }
    return 0;
}

static int increment_explicit(void *arg) { /* lock.acquire()/release() */
    (void)arg;
    ct_lock_acquire(&lock, CT_FOREVER);
    long temp = counter + 1;
    counter = temp;
    ct_lock_release(&lock);
    return 0;
}

static long run(int nthreads, ct_thread_fn fn, long iterations) {
    ct_thread *t[100];
    counter = 0;
    for (int i = 0; i < nthreads; i++) {
        t[i] = ct_thread_new_copy(fn, &iterations, sizeof iterations);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < nthreads; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    return counter;
}

int main(void) {
    long a = run(5, increment_with, 100000);
    printf("Final counter: %ld\n", a);
    long b = run(100, increment_explicit, 1);
    printf("Final counter value: %ld\n", b);
    long c = run(2, increment_with, 100000);
    printf("Safe counter value: %ld\n", c); /* always 200000 */
    printf("max inside critical section: %d\n", max_inside);
    return a == 500000 && b == 100 && c == 200000 && max_inside == 1 ? 0 : 1;
}
