/* 33 - Event: a waiter blocks until a setter thread sets the flag; with a
 * timeout it can give up instead.
 *
 * Python (seed guide 002 "Events"):
 *
 *     event = threading.Event()
 *     def event_setter():
 *         time.sleep(2)
 *         event.set()
 *     def waiter():
 *         print("Waiting for event to be set.")
 *         event.wait()
 *         print("Event is set!")
 *
 * event.wait(timeout) returns False when time runs out: in C the call
 * returns CT_ETIMEDOUT (0 means True). The sleep is shortened to 0.2 s.
 *
 * EXPECT: ^Waiting for event to be set\.$
 * EXPECT: ^not yet after 0\.05 s \(CT_ETIMEDOUT\), still waiting$
 * EXPECT: ^Event is set! \(after [0-9]+\.[0-9]{2} s\)$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_event event = CT_EVENT_INIT;

static int event_setter(void *arg) {
    (void)arg;
    ct_sleep(0.2);
    ct_event_set(&event);
    return 0;
}

static int waiter(void *arg) {
    (void)arg;
    double t0 = ct_monotonic();
    printf("Waiting for event to be set.\n");
    int rc = ct_event_wait(&event, 0.05); /* Python: event.wait(0.05) */
    if (rc == CT_ETIMEDOUT)
        printf("not yet after 0.05 s (%s), still waiting\n", ct_errname(rc));
    ct_event_wait(&event, CT_FOREVER); /* Python: event.wait() */
    printf("Event is set! (after %.2f s)\n", ct_monotonic() - t0);
    return 0;
}

int main(void) {
    ct_thread *thread1 = ct_thread_new(event_setter, NULL);
    ct_thread *thread2 = ct_thread_new(waiter, NULL);
    ct_thread_start(thread1);
    ct_thread_start(thread2);
    ct_thread_join(thread1, CT_FOREVER);
    ct_thread_join(thread2, CT_FOREVER);
    ct_thread_free(thread1);
    ct_thread_free(thread2);
    return ct_event_is_set(&event) ? 0 : 1;
}
