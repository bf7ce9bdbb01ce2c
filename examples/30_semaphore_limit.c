/* 30 - Semaphore: at most N threads inside a section at once (a
 * connection limit).
 *
 * Python (seed guide 003 "Synchronization Primitives - Semaphore", and
 * guide 002 "Locks, Semaphores, and Queues"):
 *
 *     semaphore = threading.Semaphore(3)  # Allows up to 3 threads
 *     def limited_access():
 *         with semaphore:
 *             print("Accessing limited resource")
 *
 * Ten threads want in; the semaphore lets three work at a time. We count
 * who is inside to show the limit holds.
 *
 * EXPECT: ^Accessing limited resource \(worker [0-9]\)$
 * EXPECT: ^10 workers done, at most 3 inside at once: yes$
 * EXPECT: ^permits left at the end: 3$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

enum { WORKERS = 10, LIMIT = 3 };

static ct_semaphore semaphore = CT_SEMAPHORE_INIT(LIMIT);
static atomic_int inside, most;

static int limited_access(void *arg) {
    int id = (int)(intptr_t)arg;
    CT_WITH(&semaphore) { /* acquire ... release on leaving the block */
        int now = atomic_fetch_add(&inside, 1) + 1;
        int seen = atomic_load(&most);
        while (now > seen && !atomic_compare_exchange_weak(&most, &seen, now))
            ;
        printf("Accessing limited resource (worker %d)\n", id);
        ct_sleep(0.02); /* stands in for using a connection */
        atomic_fetch_sub(&inside, 1);
    }
    return 0;
}

int main(void) {
    ct_thread *t[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        t[i] = ct_thread_new(limited_access, (void *)(intptr_t)i);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    int m = atomic_load(&most);
    printf("%d workers done, at most %d inside at once: %s\n", WORKERS, LIMIT,
           m <= LIMIT ? "yes" : "NO");
    printf("permits left at the end: %d\n", ct_semaphore_value(&semaphore));
    return m <= LIMIT ? 0 : 1;
}
