/* 27 - Condition: a consumer waits (the lock released meanwhile) until a
 * producer notifies.
 *
 * Python (seed guide 003 "Synchronization Primitives - Condition"):
 *
 *     def consumer():
 *         with condition:
 *             print("Consumer waiting")
 *             condition.wait()  # Wait for a signal
 *             print("Consumer notified")
 *     def producer():
 *         with condition:
 *             print("Producer notifying")
 *             condition.notify()  # Notify one waiting thread
 *
 * The seed has a lost wake-up: if the producer runs first, the consumer
 * waits forever. Always wait for a *state* (wait_for with a predicate),
 * never for the notify itself.
 *
 * EXPECT: ^Consumer waiting$
 * EXPECT: ^Producer notifying$
 * EXPECT: ^Consumer notified, item = 42$
 * EXPECT: ^notify\(1\) woke 1, notify_all woke 2$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_condition condition = CT_CONDITION_INIT;
static int item;    /* 0: nothing yet; protected by the condition's lock */
static int waiting; /* consumers inside wait */
static int tickets; /* part 2: how many consumers may go */

static bool item_ready(void *arg) {
    (void)arg;
    return item != 0;
}
static bool has_ticket(void *arg) {
    (void)arg;
    return tickets > 0;
}

static int consumer(void *arg) {
    (void)arg;
    CT_WITH(&condition) {
        printf("Consumer waiting\n");
        waiting++;
        ct_condition_wait_for(&condition, item_ready, NULL, CT_FOREVER);
        printf("Consumer notified, item = %d\n", item);
    }
    return 0;
}

static int ticket_holder(void *arg) {
    (void)arg;
    CT_WITH(&condition) {
        waiting++;
        ct_condition_wait_for(&condition, has_ticket, NULL, CT_FOREVER);
        tickets--;
    }
    return 0;
}

/* Wait until `n` threads are inside wait (polling the shared count). */
static void until_waiting(int n) {
    for (bool done = false; !done; ct_sleep(0.001))
        CT_WITH(&condition) {
            done = waiting >= n;
        }
}

static void join(ct_thread *t) {
    ct_thread_join(t, CT_FOREVER);
    ct_thread_free(t);
}

int main(void) {
    ct_thread *c = ct_thread_new(consumer, NULL);
    ct_thread_start(c);
    until_waiting(1); /* only for the print order: wait_for needs no help */
    CT_WITH(&condition) {
        printf("Producer notifying\n");
        item = 42;
        ct_condition_notify(&condition, 1);
    }
    join(c);

    ct_thread *t[3];
    waiting = 0;
    for (int i = 0; i < 3; i++) {
        t[i] = ct_thread_new(ticket_holder, NULL);
        ct_thread_start(t[i]);
    }
    until_waiting(3);
    int one = 0, all = 0;
    CT_WITH(&condition) {
        tickets = 1;
        one = ct_condition_notify(&condition, 1); /* the longest waiting */
    }
    CT_WITH(&condition) {
        tickets += 2;
        all = ct_condition_notify_all(&condition);
    }
    for (int i = 0; i < 3; i++)
        join(t[i]);
    printf("notify(1) woke %d, notify_all woke %d\n", one, all);
    return one == 1 && all == 2 ? 0 : 1;
}
