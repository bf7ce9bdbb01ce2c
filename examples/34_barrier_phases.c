/* 34 - Barrier: threads work in phases; nobody starts phase k+1 before
 * everyone finished phase k.
 *
 * Python (seed guide 003 "Synchronization Primitives - Barrier"):
 *
 *     barrier = threading.Barrier(3)
 *     def task():
 *         print("Thread waiting at barrier")
 *         barrier.wait()  # Wait until all threads arrive
 *         print("Thread proceeding")
 *
 * Extended to three phases with Barrier(3, action=...): the action runs
 * in one thread once all have arrived, before any is released, and
 * wait() returns each thread a different index (0, 1, 2).
 *
 * EXPECT: ^Thread waiting at barrier$
 * EXPECT: ^-- all 3 arrived: phase 1 done$
 * EXPECT: ^Thread proceeding \(index [0-2]\)$
 * EXPECT: ^-- all 3 arrived: phase 3 done$
 * EXPECT: ^phases seen out of order: 0$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

enum { THREADS = 3, PHASES = 3 };

static ct_barrier barrier;
static atomic_int finished[PHASES + 1]; /* threads done with each phase */
static atomic_int phase_done, out_of_order;

static int end_of_phase(void *arg) { /* the action: one thread runs it */
    (void)arg;
    int k = atomic_fetch_add(&phase_done, 1) + 1;
    printf("-- all %d arrived: phase %d done\n", THREADS, k);
    return 0;
}

static int task(void *arg) {
    (void)arg;
    for (int k = 1; k <= PHASES; k++) {
        atomic_fetch_add(&finished[k], 1); /* "work" of phase k */
        if (k == 1)
            printf("Thread waiting at barrier\n");
        int index = ct_barrier_wait(&barrier);
        if (atomic_load(&finished[k]) != THREADS) /* someone still busy? */
            atomic_fetch_add(&out_of_order, 1);
        if (k == 1)
            printf("Thread proceeding (index %d)\n", index);
    }
    return 0;
}

int main(void) {
    ct_barrier_init(&barrier, THREADS, .action = end_of_phase);
    ct_thread *t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        t[i] = ct_thread_new(task, NULL);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
    printf("phases seen out of order: %d\n", atomic_load(&out_of_order));
    ct_barrier_destroy(&barrier);
    return atomic_load(&out_of_order) == 0 ? 0 : 1;
}
