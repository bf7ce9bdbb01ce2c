/* 43 - Stopping workers with shutdown() instead of poison pills.
 *
 * Python 3.13 (queue.Queue.shutdown; the seeds stop consumers with a
 * None per consumer or a get timeout, examples 41 and 42):
 *
 *     q = queue.Queue(maxsize=8)
 *     def worker():
 *         while True:
 *             try:
 *                 job = q.get()
 *             except queue.ShutDown:
 *                 return
 *             ...
 *             q.task_done()
 *     for job in jobs: q.put(job)
 *     q.shutdown()                 # or q.shutdown(immediate=True)
 *
 * shutdown(): put fails from now on; get hands out what is left, then
 * fails with ShutDown, so every worker ends by itself, however many
 * there are. shutdown(immediate=True) drops what is left instead (our
 * destructor sees each dropped item) and releases join().
 *
 * EXPECT: ^drain: 3 workers processed 40 of 40 jobs, then ShutDown$
 * EXPECT: ^put after shutdown: CT_ESHUTDOWN \(queue\.ShutDown\)$
 * EXPECT: ^immediate: 8 queued jobs dropped, join\(\) returned$
 */
#include <cthreading.h>
#include <stdint.h>
#include <stdio.h>

static ct_queue *q;
static atomic_int processed, dropped;

static int worker(void *arg) {
    (void)arg;
    void *job;
    while (ct_queue_get(q, &job, CT_FOREVER) == 0) {
        atomic_fetch_add(&processed, 1); /* "process" the job */
        ct_queue_task_done(q);
    }
    return 0; /* CT_ESHUTDOWN: shut down and empty */
}

static void drop(void *job) {
    (void)job;
    atomic_fetch_add(&dropped, 1);
}

int main(void) {
    /* 1. shutdown(): the workers drain the queue, then stop by themselves */
    q = ct_queue_new(.maxsize = 8);
    ct_thread *w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = ct_thread_new(worker, NULL);
        ct_thread_start(w[i]);
    }
    for (intptr_t job = 1; job <= 40; job++)
        ct_queue_put(q, (void *)job, CT_FOREVER); /* blocks while full */
    ct_queue_shutdown(q, false);
    for (int i = 0; i < 3; i++) {
        ct_thread_join(w[i], CT_FOREVER);
        ct_thread_free(w[i]);
    }
    printf("drain: 3 workers processed %d of 40 jobs, then ShutDown\n",
           atomic_load(&processed));
    int rc = ct_queue_put(q, (void *)1, CT_FOREVER);
    printf("put after shutdown: %s (%s)\n", ct_errname(rc),
           ct_exception_type(rc));
    ct_queue_free(q);

    /* 2. shutdown(immediate=True): nobody works; the jobs are dropped */
    q = ct_queue_new(.maxsize = 8, .destructor = drop);
    for (intptr_t job = 1; job <= 8; job++)
        ct_queue_put(q, (void *)job, CT_FOREVER);
    ct_queue_shutdown(q, true);
    if (ct_queue_join(q, CT_FOREVER) == 0)
        printf("immediate: %d queued jobs dropped, join() returned\n",
               atomic_load(&dropped));
    ct_queue_free(q);
    return 0;
}
