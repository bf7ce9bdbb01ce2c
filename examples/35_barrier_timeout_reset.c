/* 35 - Barrier: a party that never comes. The timeout breaks the barrier
 * for everyone (BrokenBarrierError), reset() makes it usable again.
 *
 * Python (seed guide 001 "Other Sync Primitives": Barrier waits until N
 * threads reach a point; threading.Barrier(parties, timeout=...)):
 *
 *     barrier = threading.Barrier(3, timeout=0.5)
 *     try:
 *         barrier.wait()
 *     except threading.BrokenBarrierError:
 *         print("gave up")
 *     barrier.reset()
 *
 * EXPECT: ^worker [01]: threading.BrokenBarrierError \(CT_EBROKEN\)$
 * EXPECT: ^broken: yes$
 * EXPECT: ^after reset: broken: no; 3 threads pass, indexes sum to 3$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_barrier barrier;
static atomic_int index_sum;

static int worker(void *arg) {
    int rc = ct_barrier_wait(&barrier); /* default timeout: 0.5 s */
    if (rc == CT_EBROKEN)
        printf("worker %d: %s (%s)\n", (int)(intptr_t)arg,
               ct_exception_type(rc), ct_errname(rc));
    else if (rc >= 0)
        atomic_fetch_add(&index_sum, rc);
    return 0;
}

static void run(int n) {
    ct_thread *t[3];
    for (int i = 0; i < n; i++) {
        t[i] = ct_thread_new(worker, (void *)(intptr_t)i);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < n; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
}

int main(void) {
    ct_barrier_init(&barrier, 3, .timeout = 0.5);
    run(2); /* the third party never comes */
    printf("broken: %s\n", ct_barrier_broken(&barrier) ? "yes" : "no");

    ct_barrier_reset(&barrier);
    printf("after reset: broken: %s; ",
           ct_barrier_broken(&barrier) ? "yes" : "no");
    run(3);
    printf("3 threads pass, indexes sum to %d\n", atomic_load(&index_sum));
    ct_barrier_destroy(&barrier);
    return atomic_load(&index_sum) == 3 ? 0 : 1;
}
