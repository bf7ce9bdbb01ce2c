/* 40 - A worker thread fed by a queue: task_done() and join().
 *
 * Python (seed guide 002 "Locks, Semaphores, and Queues"):
 *
 *     q = Queue()
 *     def worker():
 *         while True:
 *             item = q.get()
 *             print(f"Processing {item}")
 *             q.task_done()
 *     threading.Thread(target=worker, daemon=True).start()
 *     for item in range(10):
 *         q.put(item)
 *     q.join()  # Block until all tasks are done
 *
 * Every put() adds one unfinished task; every task_done() removes one;
 * join() returns when none is left: when the work is *done*, not merely
 * taken off the queue. The worker is a daemon: it stays blocked in get()
 * and the process ends without waiting for it, as in Python.
 *
 * EXPECT: ^Processing 0$
 * EXPECT: ^Processing 9$
 * EXPECT: ^join\(\) returned: 10 tasks done, unfinished_tasks = 0$
 * EXPECT: ^one task_done\(\) too many: CT_EVALUE \(ValueError\)$
 */
#include <cthreading.h>
#include <stdint.h>
#include <stdio.h>

static ct_queue *q;
static atomic_int done;

static int worker(void *arg) {
    (void)arg;
    for (;;) {
        void *item;
        if (ct_queue_get(q, &item, CT_FOREVER) != 0)
            return 0; /* shut down: nothing more will come */
        printf("Processing %d\n", (int)(intptr_t)item);
        atomic_fetch_add(&done, 1);
        ct_queue_task_done(q);
    }
}

int main(void) {
    q = ct_queue_new(); /* Queue(): FIFO, unbounded */
    ct_thread *t = ct_thread_new(worker, NULL, .daemon = true);
    ct_thread_start(t);

    /* A small integer travels in the pointer itself. */
    for (int item = 0; item < 10; item++)
        ct_queue_put(q, (void *)(intptr_t)item, CT_FOREVER);

    ct_queue_join(q, CT_FOREVER); /* block until all tasks are done */
    printf("join() returned: %d tasks done, unfinished_tasks = %ld\n",
           atomic_load(&done), ct_queue_unfinished_tasks(q));

    int rc = ct_queue_task_done(q);
    printf("one task_done() too many: %s (%s)\n", ct_errname(rc),
           ct_exception_type(rc));
    ct_thread_free(t); /* our reference; the daemon runs on */
    return 0;          /* q is not freed: the daemon still waits on it */
}
