/* 04 - join() makes the main thread wait.
 *
 * Python (seed guide 002 "The use of thread.join()"):
 *
 *     def my_function(x):
 *         print(f"Thread {x} starting...")
 *         time.sleep(2)
 *         print(f"Thread {x} finished.")
 *     threads = [threading.Thread(target=my_function, args=(i,))
 *                for i in range(3)]
 *     for thread in threads: thread.start()
 *     print("Without join, this will print while the threads are "
 *           "still running.")
 *     for thread in threads: thread.join()
 *     print("This will only print after all threads have finished.")
 *
 * The sleep is 0.2 s here. Each thread gets its own copy of i.
 *
 * EXPECT: ^Thread [0-2] starting\.\.\.$
 * EXPECT: ^Without join, .* still running\. alive=3$
 * EXPECT: ^Thread [0-2] finished\.$
 * EXPECT: ^This will only print after all threads have .*\. alive=0$
 * EXPECT: ^slept in parallel: yes
 */
#include <cthreading.h>
#include <stdio.h>

enum { N = 3 };
static const double nap = 0.2;

static int my_function(void *arg) {
    int x = *(const int *)arg;
    printf("Thread %d starting...\n", x);
    ct_sleep(nap);
    printf("Thread %d finished.\n", x);
    return 0;
}

static int count_alive(ct_thread **t) {
    int n = 0;
    for (int i = 0; i < N; i++)
        n += ct_thread_is_alive(t[i]);
    return n;
}

int main(void) {
    ct_thread *threads[N];
    double t0 = ct_monotonic();
    for (int i = 0; i < N; i++)
        threads[i] = ct_thread_new_copy(my_function, &i, sizeof i);
    for (int i = 0; i < N; i++)
        ct_thread_start(threads[i]);

    printf("Without join, this will print while the threads are still "
           "running. alive=%d\n",
           count_alive(threads));

    for (int i = 0; i < N; i++)
        ct_thread_join(threads[i], CT_FOREVER);
    double elapsed = ct_monotonic() - t0;
    printf("This will only print after all threads have finished. "
           "alive=%d\n",
           count_alive(threads));
    printf("slept in parallel: %s (%.2f s for %d naps of %.1f s)\n",
           /* one after another would take N * nap; a loaded machine
            * may add a little to the parallel time */
           elapsed >= nap && elapsed < 0.9 * N * nap ? "yes" : "no", elapsed, N,
           nap);
    for (int i = 0; i < N; i++)
        ct_thread_free(threads[i]);
    return 0;
}
