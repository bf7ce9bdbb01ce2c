/* 44 - PriorityQueue and LifoQueue: the same puts, another order.
 *
 * Python (queue module; the seeds' roadmap "Queue: thread-safe data
 * passing"):
 *
 *     jobs = queue.PriorityQueue()
 *     jobs.put((2, "write report"))
 *     jobs.put((1, "fix bug"))
 *     jobs.put((3, "lunch"))
 *     jobs.put((1, "answer the boss"))
 *     while not jobs.empty():
 *         print(jobs.get())          # lowest priority number first
 *     stack = queue.LifoQueue()      # last in, first out
 *
 * The jobs are structs copied into the queue (.item_size), ordered by a
 * qsort-style .compare on the priority. Python breaks ties by comparing
 * the next tuple field (the strings); here equal priorities come out in
 * the order they were put (the queue is stable), so no tie-breaker field
 * is needed.
 *
 * EXPECT: ^priority 1: fix bug$
 * EXPECT: ^priority 1: answer the boss$
 * EXPECT: ^priority 3: lunch$
 * EXPECT: ^lifo: answer the boss, lunch, fix bug, write report$
 */
#include <cthreading.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int priority;
    char what[24];
} job;

static int by_priority(const void *a, const void *b) {
    const job *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static const job todo[] = {
    {2, "write report"}, {1, "fix bug"}, {3, "lunch"}, {1, "answer the boss"}};

int main(void) {
    ct_queue *jobs =
        ct_queue_new(.kind = CT_QUEUE_PRIORITY, .item_size = sizeof(job),
                     .compare = by_priority);
    ct_queue *stack =
        ct_queue_new(.kind = CT_QUEUE_LIFO, .item_size = sizeof(job));
    for (int i = 0; i < 4; i++) {
        job j = todo[i]; /* a stack copy: the queue copies it again */
        ct_queue_put_copy(jobs, &j, CT_FOREVER);
        ct_queue_put_copy(stack, &j, CT_FOREVER);
    }

    job j;
    while (ct_queue_get_copy(jobs, &j, 0) == 0) /* 0: get_nowait */
        printf("priority %d: %s\n", j.priority, j.what);

    printf("lifo:");
    for (int i = 0; ct_queue_get_copy(stack, &j, 0) == 0; i++)
        printf("%s %s", i ? "," : "", j.what);
    printf("\n");

    ct_queue_free(jobs);
    ct_queue_free(stack);
    return 0;
}
