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
 *     for u in ["url1", "url2", "url3"]:
 *         t = threading.Thread(target=download, args=(u,)); t.start() ...
 *     print("All downloads complete!")
 *
 * A sleep stands in for waiting on the network (0.2 s instead of 2 s).
 * While a thread waits, the others run: the waits overlap.
 *
 * EXPECT: ^Finished Task 3$
 * EXPECT: ^Total time: [0-9]+\.[0-9]{2} seconds$
 * EXPECT: ^Worker Thread-3 finished$
 * EXPECT: ^All threads completed in: [0-9]+\.[0-9]{2} seconds$
 * EXPECT: ^speedup: (1\.[5-9]|[2-9]\.[0-9]|[1-9][0-9]\.[0-9])x
 * EXPECT: ^Finished download: url3$
 * EXPECT: ^All downloads complete! \(3 started before any finished\)$
 */
#include <cthreading.h>
#include <stdio.h>

static const double duration = 0.2;
static atomic_int started, finished_when_last_started = -1;
static atomic_int finished;

static void task(const char *name) {
    printf("Starting %s\n", name);
    ct_sleep(duration); /* waiting for I/O */
    printf("Finished %s\n", name);
}

static int worker(void *arg) {
    printf("Worker %s starting\n", (const char *)arg);
    ct_sleep(duration);
    printf("Worker %s finished\n", (const char *)arg);
    return 0;
}

static int download(void *arg) {
    printf("Starting download: %s\n", (const char *)arg);
    if (atomic_fetch_add(&started, 1) == 2)
        atomic_store(&finished_when_last_started, atomic_load(&finished));
    ct_sleep(duration); /* simulate network delay */
    printf("Finished download: %s\n", (const char *)arg);
    atomic_fetch_add(&finished, 1);
    return 0;
}

/* Start fn on each of the 3 names (copied into its thread), join all. */
static double run_threads(ct_thread_fn fn, const char *fmt) {
    ct_thread *threads[3];
    double start = ct_monotonic();
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, fmt, i + 1);
        threads[i] = ct_thread_new_copy(fn, name, sizeof name);
        ct_thread_start(threads[i]);
    }
    for (int i = 0; i < 3; i++) {
        ct_thread_join(threads[i], CT_FOREVER);
        ct_thread_free(threads[i]);
    }
    return ct_monotonic() - start;
}

int main(void) {
    double start = ct_monotonic();
    task("Task 1");
    task("Task 2");
    task("Task 3");
    double sequential = ct_monotonic() - start;
    printf("Total time: %.2f seconds\n", sequential);

    double concurrent = run_threads(worker, "Thread-%d");
    printf("All threads completed in: %.2f seconds\n", concurrent);
    printf("speedup: %.1fx (expected ~3 = number of tasks)\n",
           sequential / concurrent);

    run_threads(download, "url%d");
    printf("All downloads complete! (%s)\n",
           finished_when_last_started == 0 ? "3 started before any finished"
                                           : "a download ended early");
    return 0;
}
