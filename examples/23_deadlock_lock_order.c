/* 23 - Deadlock: two threads take two locks in opposite order. Prevent it
 * with one global lock order (ct_lock_acquire_all) or detect it with a
 * timeout instead of waiting forever.
 *
 * Python (seed guides 003 "Deadlock Prevention", 004 "2. Deadlocks"):
 *
 *     def worker1():                  def worker2():
 *         with lock1:                     with lock2:
 *             time.sleep(0.1)                 time.sleep(0.1)
 *             with lock2: pass                with lock1: pass
 *
 *     def transfer_money(account1, account2, amount):
 *         first, second = sorted([account1, account2])  # same order always
 *         with first.lock:
 *             with second.lock: ...
 *
 * Instead of the seed's sleep, each worker waits until the other holds
 * its first lock, so the deadlock interleaving is certain.
 *
 * EXPECT: ^worker1: could not get lock2 \(deadlock avoided by timeout\)$
 * EXPECT: ^worker2: could not get lock1 \(deadlock avoided by timeout\)$
 * EXPECT: ^safe workers finished: 200000 critical sections$
 * EXPECT: ^total = 200 \(A = [0-9-]+, B = [0-9-]+\)$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_lock lock1 = CT_LOCK_INIT, lock2 = CT_LOCK_INIT;
static atomic_int holding;
static long sections;

static int opposite(void *arg) { /* the problem, detected */
    int me = *(int *)arg;
    ct_lock *first = me == 1 ? &lock1 : &lock2;
    ct_lock *second = me == 1 ? &lock2 : &lock1;
    CT_WITH(first) {
        atomic_fetch_add(&holding, 1);
        while (atomic_load(&holding) < 2) /* both hold their first lock */
            ct_cpu_relax();
        if (ct_lock_acquire(second, 0.5) == CT_ETIMEDOUT)
            printf("worker%d: could not get lock%d (deadlock avoided by "
                   "timeout)\n",
                   me, me == 1 ? 2 : 1);
        else
            ct_lock_release(second);
        atomic_fetch_add(&holding, 1);
        while (atomic_load(&holding) < 4) /* both timed out: now let go */
            ct_cpu_relax();
    }
    return 0;
}

static int ordered(void *arg) { /* the fix: one global order */
    int me = *(int *)arg;
    ct_lock *set[2] = {me == 1 ? &lock1 : &lock2, me == 1 ? &lock2 : &lock1};
    for (int i = 0; i < 100000; i++) {
        ct_lock_acquire_all(set, 2, CT_FOREVER); /* any order given */
        sections++;
        ct_lock_release_all(set, 2);
    }
    return 0;
}

static long balance_a = 100, balance_b = 100;

static int transfer(void *arg) { /* A->B by worker 1, B->A by worker 2 */
    int me = *(int *)arg;
    ct_lock *set[2] = {&lock1, &lock2}; /* lock1 guards A, lock2 guards B */
    for (int i = 0; i < 10000; i++) {
        ct_lock_acquire_all(set, 2, CT_FOREVER);
        balance_a += me == 1 ? -1 : 1;
        balance_b += me == 1 ? 1 : -1;
        ct_lock_release_all(set, 2);
    }
    return 0;
}

static void pair(ct_thread_fn fn) {
    ct_thread *t[2];
    for (int i = 0; i < 2; i++) {
        int me = i + 1;
        t[i] = ct_thread_new_copy(fn, &me, sizeof me);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < 2; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }
}

int main(void) {
    pair(opposite);
    pair(ordered);
    printf("safe workers finished: %ld critical sections\n", sections);
    pair(transfer);
    printf("total = %ld (A = %ld, B = %ld)\n", balance_a + balance_b, balance_a,
           balance_b);
    return sections == 200000 && balance_a + balance_b == 200 ? 0 : 1;
}
