/* 42 - Consumers that give up when nothing comes: get(timeout) and Empty.
 *
 * Python (seed guide 004 "Producer-Consumer Pattern with Queue"):
 *
 *     def producer(q, producer_id):
 *         for i in range(5):
 *             item = f"Item-{producer_id}-{i}"
 *             q.put(item)
 *             print(f"Produced: {item}")
 *             time.sleep(random.uniform(0.1, 0.5))
 *     def consumer(q, consumer_id):
 *         while True:
 *             try:
 *                 item = q.get(timeout=1)
 *                 print(f"Consumer-{consumer_id} consumed: {item}")
 *                 q.task_done()
 *             except queue.Empty:
 *                 break
 *     ... one producer, two consumers; producer.join(); q.join()
 *
 * The items are strings formatted on the producer's stack: a queue made
 * with .item_size copies each one in (put_copy) and out (get_copy), so
 * the producer may reuse its buffer at once. queue.Empty is CT_EEMPTY.
 *
 * EXPECT: ^Produced: Item-1-0$
 * EXPECT: ^Produced: Item-1-4$
 * EXPECT: ^Consumer-[12] consumed: Item-1-0$
 * EXPECT: ^Consumer-[12] consumed: Item-1-4$
 * EXPECT: ^Consumer-1: queue\.Empty after 1\.[0-9] s, stopping$
 * EXPECT: ^Consumer-2: queue\.Empty after 1\.[0-9] s, stopping$
 * EXPECT: ^q\.join\(\) returned: 5 items consumed$
 */
#include <cthreading.h>
#include <stdio.h>

typedef struct {
    char text[32];
} message;

static ct_queue *q;
static atomic_int consumed;

static int producer(void *arg) {
    int producer_id = *(int *)arg;
    for (int i = 0; i < 5; i++) {
        message m;
        snprintf(m.text, sizeof m.text, "Item-%d-%d", producer_id, i);
        ct_queue_put_copy(q, &m, CT_FOREVER);
        printf("Produced: %s\n", m.text);
        ct_sleep(0.1 + 0.1 * (i % 3)); /* the seed sleeps 0.1-0.5 s */
    }
    return 0;
}

static int consumer(void *arg) {
    int consumer_id = *(int *)arg;
    for (;;) {
        message m;
        double t0 = ct_monotonic();
        int rc = ct_queue_get_copy(q, &m, 1.0);
        if (rc == CT_EEMPTY) {
            printf("Consumer-%d: queue.Empty after %.1f s, stopping\n",
                   consumer_id, ct_monotonic() - t0);
            return 0;
        }
        printf("Consumer-%d consumed: %s\n", consumer_id, m.text);
        atomic_fetch_add(&consumed, 1);
        ct_queue_task_done(q);
    }
}

int main(void) {
    q = ct_queue_new(.item_size = sizeof(message));
    int one = 1, two = 2;
    ct_thread *prod = ct_thread_new_copy(producer, &one, sizeof one);
    ct_thread *c1 = ct_thread_new_copy(consumer, &one, sizeof one);
    ct_thread *c2 = ct_thread_new_copy(consumer, &two, sizeof two);
    ct_thread_start(prod);
    ct_thread_start(c1);
    ct_thread_start(c2);

    ct_thread_join(prod, CT_FOREVER);
    ct_queue_join(q, CT_FOREVER); /* wait for all items to be processed */
    printf("q.join() returned: %d items consumed\n", atomic_load(&consumed));
    ct_thread_join(c1, CT_FOREVER); /* they stop after 1 s of nothing */
    ct_thread_join(c2, CT_FOREVER);
    ct_thread_free(prod);
    ct_thread_free(c1);
    ct_thread_free(c2);
    ct_queue_free(q);
    return 0;
}
