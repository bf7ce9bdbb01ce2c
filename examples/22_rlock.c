/* 22 - RLock: the owner may acquire it again (nested `with`, recursion);
 * others get it only after as many releases as acquires.
 *
 * Python (seed guides 002 "RLocks (Re-entrant Locks)", 003 "RLock"):
 *
 *     lock = threading.RLock()
 *     def nested_locking():
 *         with lock:
 *             print("Acquired lock once.")
 *             with lock:
 *                 print("Acquired lock again.")
 *
 * EXPECT: ^Acquired lock once\.$
 * EXPECT: ^Acquired lock again\.$
 * EXPECT: ^Lock acquired \(depth 3\)$
 * EXPECT: ^other thread try-acquire while held: no$
 * EXPECT: ^other thread acquired: yes$
 * EXPECT: ^release by non-owner: CT_EPERM$
 * EXPECT: ^plain Lock second acquire: would deadlock \(CT_ETIMEDOUT\)$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_rlock rlock = CT_RLOCK_INIT;

static void nested_locking(void) {
    CT_WITH(&rlock) {
        printf("Acquired lock once.\n");
        CT_WITH(&rlock) {
            printf("Acquired lock again.\n");
        }
    }
}

static void recursive_function(int depth) {
    CT_WITH(&rlock) {
        printf("Lock acquired (depth %d)\n", depth);
        if (depth < 3) /* the seed's `some_condition` */
            recursive_function(depth + 1);
    }
}

struct probe {
    int got; /* try-acquire succeeded */
    int rc;  /* then: a release it does not own */
};

static int try_from_other_thread(void *arg) {
    struct probe *p = arg;
    p->got = ct_rlock_acquire(&rlock, 0) == 0;
    if (p->got)
        ct_rlock_release(&rlock);
    p->rc = ct_rlock_release(&rlock); /* not ours (any more): CT_EPERM */
    return 0;
}

static struct probe other(void) {
    struct probe p = {0, 0};
    ct_thread *t = ct_thread_new(try_from_other_thread, &p);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_free(t);
    return p;
}

int main(void) {
    nested_locking();
    recursive_function(1);
    ct_rlock_acquire(&rlock, CT_FOREVER);
    ct_rlock_acquire(&rlock, CT_FOREVER); /* depth 2 */
    ct_rlock_release(&rlock);             /* depth 1: still held */
    struct probe p = other();
    printf("other thread try-acquire while held: %s\n", p.got ? "yes" : "no");
    printf("release by non-owner: %s\n", ct_errname(p.rc));
    ct_rlock_release(&rlock); /* depth 0: free */
    p = other();
    printf("other thread acquired: %s\n", p.got ? "yes" : "no");

    ct_lock plain = CT_LOCK_INIT;
    ct_lock_acquire(&plain, CT_FOREVER);
    int rc = ct_lock_acquire(&plain, 0); /* CT_FOREVER would hang */
    printf("plain Lock second acquire: would deadlock (%s)\n", ct_errname(rc));
    ct_lock_release(&plain);
    return rc == CT_ETIMEDOUT ? 0 : 1;
}
