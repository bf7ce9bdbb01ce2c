/* 24 - An "atomic operation": a critical section that always releases its
 * lock, on success and on error, and rolls back a half-done change.
 *
 * Python (seed guide 003 "Thread Safety - Atomic Operations"):
 *
 *     @contextmanager
 *     def atomic_operation(lock):
 *         with lock:
 *             try:
 *                 yield
 *             except Exception:
 *                 # Rollback changes if needed
 *                 raise
 *
 * CT_WITH(&lock) is the `with lock:`; a `return` from inside it (our
 * `raise`) still releases the lock.
 *
 * EXPECT: ^transfer 30: ok, lock held inside: yes, lock free after: yes$
 * EXPECT: ^checking = 70, savings = 130$
 * EXPECT: ^transfer 500: error CT_EVALUE \(insufficient funds\), rolled back$
 * EXPECT: ^checking = 70, savings = 130, lock free after error: yes$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_lock lock = CT_LOCK_INIT;
static long checking = 100, savings = 100; /* protected by lock */
static int held_inside;

/* Move `amount` from checking to savings: both fields or neither. */
static int transfer(long amount) {
    CT_WITH(&lock) {
        held_inside = ct_lock_locked(&lock);
        long old_savings = savings;
        savings += amount;         /* first step done ... */
        if (checking < amount) {   /* ... second step fails */
            savings = old_savings; /* roll back */
            return ct_raise(CT_EVALUE, "insufficient funds");
        }
        checking -= amount;
    }
    return 0;
}

static const char *yes(bool b) {
    return b ? "yes" : "no";
}

int main(void) {
    int rc = transfer(30);
    printf("transfer 30: %s, lock held inside: %s, lock free after: %s\n",
           rc == 0 ? "ok" : ct_errname(rc), yes(held_inside),
           yes(!ct_lock_locked(&lock)));
    printf("checking = %ld, savings = %ld\n", checking, savings);

    rc = transfer(500);
    ct_exception e;
    ct_exception_current(&e);
    printf("transfer 500: error %s (%s), rolled back\n", ct_errname(rc),
           e.message);
    bool free_after = ct_lock_acquire(&lock, 0) == 0; /* try-acquire */
    if (free_after)
        ct_lock_release(&lock);
    printf("checking = %ld, savings = %ld, lock free after error: %s\n",
           checking, savings, yes(free_after));
    return rc == CT_EVALUE && free_after && checking + savings == 200 ? 0 : 1;
}
