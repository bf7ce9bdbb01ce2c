/* 32 - Event: one thread signals, every waiter goes.
 *
 * Python (seed guide 003 "Synchronization Primitives - Event"):
 *
 *     event = threading.Event()
 *     def wait_for_event():
 *         print("Waiting for event...")
 *         event.wait()
 *         print("Event has been set")
 *     def set_event():
 *         print("Setting event")
 *         event.set()
 *
 * One set() releases all waiters (unlike notify(1)), and stays set: a
 * thread that waits later returns at once until someone clear()s it.
 *
 * EXPECT: ^Waiting for event\.\.\.$
 * EXPECT: ^Setting event$
 * EXPECT: ^Event has been set \(3 of 3 waiters\)$
 * EXPECT: ^a late waiter returns at once: yes$
 * EXPECT: ^after clear\(\): wait\(0\.05\) -> CT_ETIMEDOUT$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

enum { WAITERS = 3 };

static ct_event event = CT_EVENT_INIT;
static atomic_int released;

static int wait_for_event(void *arg) {
    (void)arg;
    printf("Waiting for event...\n");
    if (ct_event_wait(&event, CT_FOREVER) == 0)
        atomic_fetch_add(&released, 1);
    return 0;
}

int main(void) {
    ct_thread *t[WAITERS];
    for (int i = 0; i < WAITERS; i++) {
        t[i] = ct_thread_new(wait_for_event, NULL);
        ct_thread_start(t[i]);
    }
    ct_sleep(0.1); /* only so the prints come in the seed's order */
    printf("Setting event\n");
    ct_event_set(&event);
    for (int i = 0; i < WAITERS; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    printf("Event has been set (%d of %d waiters)\n", atomic_load(&released),
           WAITERS);

    printf("a late waiter returns at once: %s\n",
           ct_event_wait(&event, 0) == 0 ? "yes" : "no");
    ct_event_clear(&event);
    printf("after clear(): wait(0.05) -> %s\n",
           ct_errname(ct_event_wait(&event, 0.05)));
    return atomic_load(&released) == WAITERS ? 0 : 1;
}
