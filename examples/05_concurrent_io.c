/* 05 - I/O-bound work overlaps across threads: sequential vs concurrent.
 *
 * Python (seed guides 004 "Sequential vs Concurrent Execution", 001
 * "Download Multiple URLs Concurrently"):
 *
 *     task("Task 1", 2); task("Task 2", 2); task("Task 3", 2)
 *     # Output: Total time: 6.00 seconds
 *     for i in range(3):
 *         thread = threading.Thread(target=worker, args=(f"Thread-{i+1}", 2))
 *         threads.append(thread); thread.start()
 *     for thread in threads: thread.join()
 *     # Output: All threads completed in: 2.00 seconds
 *
 * A sleep stands in for waiting on the network (0.2 s instead of 2 s).
 * While a thread waits, the others run: the waits overlap.
 *
 * EXPECT: ^Finished Task 3$
 * EXPECT: ^Total time: [0-9]+\.[0-9]{2} seconds$
 * EXPECT: ^Worker Thread-3 finished$
 * EXPECT: ^All threads completed in: [0-9]+\.[0-9]{2} seconds$
 * EXPECT: ^speedup: ([2-9]|[1-9][0-9])\.[0-9]x
 */
#include <cthreading.h>
#include <stdio.h>

static const double duration = 0.2;

struct job {
    char name[16];
    double duration;
};

static void task(const char *name, double seconds) {
    printf("Starting %s\n", name);
    ct_sleep(seconds); /* waiting for I/O */
    printf("Finished %s\n", name);
}

static int worker(void *arg) {
    const struct job *j = arg;
    printf("Worker %s starting\n", j->name);
    ct_sleep(j->duration);
    printf("Worker %s finished\n", j->name);
    return 0;
}

int main(void) {
    double start = ct_monotonic();
    task("Task 1", duration);
    task("Task 2", duration);
    task("Task 3", duration);
    double sequential = ct_monotonic() - start;
    printf("Total time: %.2f seconds\n", sequential);

    ct_thread *threads[3];
    start = ct_monotonic();
    for (int i = 0; i < 3; i++) {
        struct job j = {.duration = duration};
        snprintf(j.name, sizeof j.name, "Thread-%d", i + 1);
        threads[i] = ct_thread_new_copy(worker, &j, sizeof j);
        ct_thread_start(threads[i]);
    }
    for (int i = 0; i < 3; i++)
        ct_thread_join(threads[i], CT_FOREVER);
    double concurrent = ct_monotonic() - start;
    printf("All threads completed in: %.2f seconds\n", concurrent);
    printf("speedup: %.1fx (expected ~3 = number of tasks)\n",
           sequential / concurrent);
    for (int i = 0; i < 3; i++)
        ct_thread_free(threads[i]);
    return 0;
}
