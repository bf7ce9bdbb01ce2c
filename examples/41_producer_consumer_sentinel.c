/* 41 - Producer-consumer with a sentinel: None (NULL) means "no more".
 *
 * Python (seed guide 003 "Common Patterns - Producer-Consumer"):
 *
 *     q = queue.Queue()
 *     def producer():
 *         for i in range(5):
 *             q.put(i)
 *             print(f"Produced: {i}")
 *     def consumer():
 *         while True:
 *             item = q.get()
 *             if item is None:
 *                 break
 *             print(f"Consumed: {item}")
 *             q.task_done()
 *
 * The seed never puts the None, so its consumer waits forever; here the
 * producer ends with it. In C the sentinel is NULL, so the items must be
 * pointers to data (never the integer 0 cast to a pointer: it *is* NULL).
 *
 * EXPECT: ^Produced: 0$
 * EXPECT: ^Produced: 4$
 * EXPECT: ^Consumed: 0$
 * EXPECT: ^Consumed: 4$
 * EXPECT: ^consumer got the sentinel after 5 items$
 */
#include <cthreading.h>
#include <stdio.h>

static ct_queue *q;
static int items[5]; /* the data the pointers point to */

static int producer(void *arg) {
    (void)arg;
    for (int i = 0; i < 5; i++) {
        items[i] = i;
        ct_queue_put(q, &items[i], CT_FOREVER);
        printf("Produced: %d\n", i);
    }
    ct_queue_put(q, NULL, CT_FOREVER); /* the sentinel: no more items */
    return 0;
}

static int consumer(void *arg) {
    (void)arg;
    int n = 0;
    for (;;) {
        void *item;
        ct_queue_get(q, &item, CT_FOREVER);
        if (item == NULL)
            break;
        printf("Consumed: %d\n", *(int *)item);
        n++;
        ct_queue_task_done(q);
    }
    ct_queue_task_done(q); /* the sentinel was a task too */
    printf("consumer got the sentinel after %d items\n", n);
    return 0;
}

int main(void) {
    q = ct_queue_new();
    ct_thread *prod = ct_thread_new(producer, NULL);
    ct_thread *cons = ct_thread_new(consumer, NULL);
    ct_thread_start(prod);
    ct_thread_start(cons);
    ct_thread_join(prod, CT_FOREVER);
    ct_thread_join(cons, CT_FOREVER);
    ct_thread_free(prod);
    ct_thread_free(cons);
    ct_queue_free(q); /* nobody uses it any more */
    return 0;
}
