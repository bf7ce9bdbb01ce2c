/* Lock, RLock, Condition and lock ordering between processes: objects in
 * an anonymous shared mapping, initialised with CT_PSHARED, used by a
 * parent and forked children (waiters sleep in the kernel on the shared
 * word; a private futex would hang here, and a Condition's waiter nodes
 * on stacks could not work: shared mode uses its sequence scheme); also
 * a CT_PSHARED once. No CPython counterpart (multiprocessing.Lock/RLock/
 * Condition wrap these).  CT_TEST_TIMEOUT 120 */
#include "proc.h"
#include "stress.h"
#include "sync_a_util.h"

#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ Lock */

struct counter {
    ct_lock lock;
    ct_rlock rlock;
    long iters;
    long value;
};

static int lock_incr(void *p) {
    struct counter *c = p;
    for (long i = 0; i < c->iters; i++) {
        if (ct_lock_acquire(&c->lock, 30.0) != 0)
            return 1;
        c->value++;
        if (ct_lock_release(&c->lock) != 0)
            return 2;
    }
    return 0;
}

/* Two processes increment one counter under a pshared Lock: exact. */
static void test_pshared_lock_counter_is_exact(void **state) {
    (void)state;
    struct counter *c = ct_test_shared_map(sizeof *c);
    assert_int_equal(ct_lock_init(&c->lock, CT_PSHARED), 0);
    c->iters = ct_stress_iters(50000);
    pid_t a = ct_test_spawn(lock_incr, c), b = ct_test_spawn(lock_incr, c);
    assert_int_equal(lock_incr(c), 0);
    ct_test_expect_child_ok(a);
    ct_test_expect_child_ok(b);
    assert_int_equal(c->value, 3 * c->iters);
    assert_false(ct_lock_locked(&c->lock));
    assert_int_equal(ct__lock_waiters(&c->lock), 0);
    assert_int_equal(ct_lock_destroy(&c->lock), 0);
    munmap(c, sizeof *c);
}

static int hold_lock_then_release_on_signal(void *p) {
    struct counter *c = p;
    if (ct_lock_acquire(&c->lock, 0) != 0)
        return 1;
    c->value = 1; /* tell the parent: held (plain store, then poll) */
    __atomic_store_n(&c->iters, 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&c->iters, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
    return ct_lock_release(&c->lock) == 0 ? 0 : 2;
}

/* A process waits with a timeout for a lock another process holds; then
 * any process may release it (and wakes the other's sleeper). */
static void
test_pshared_lock_timeout_and_wakeup_across_processes(void **state) {
    (void)state;
    struct counter *c = ct_test_shared_map(sizeof *c);
    c->lock = (ct_lock)CT_LOCK_INIT_PSHARED;
    pid_t child = ct_test_spawn(hold_lock_then_release_on_signal, c);
    double end = ct_monotonic() + 30;
    while (__atomic_load_n(&c->iters, __ATOMIC_ACQUIRE) != 1)
        assert_true(ct_monotonic() < end);
    double t1 = ct_monotonic();
    assert_int_equal(ct_lock_acquire(&c->lock, 0.2), CT_ETIMEDOUT);
    assert_timeout(ct_monotonic() - t1, 0.2);
    __atomic_store_n(&c->iters, 2, __ATOMIC_RELEASE);
    assert_int_equal(ct_lock_acquire(&c->lock, 30.0), 0); /* woken */
    ct_test_expect_child_ok(child);
    assert_int_equal(ct_lock_release(&c->lock), 0);
    munmap(c, sizeof *c);
}

/* ----------------------------------------------------------- RLock */

static int rlock_incr(void *p) {
    struct counter *c = p;
    for (long i = 0; i < c->iters; i++) {
        if (ct_rlock_acquire(&c->rlock, 30.0) != 0 ||
            ct_rlock_acquire(&c->rlock, 30.0) != 0)
            return 1;
        c->value++;
        if (ct_rlock_release(&c->rlock) != 0 ||
            ct_rlock_release(&c->rlock) != 0)
            return 2;
    }
    return 0;
}

static int rlock_not_owner(void *p) {
    struct counter *c = p;
    /* the parent owns it: our thread id differs, so not ours */
    if (ct_rlock_is_owned(&c->rlock))
        return 1;
    if (ct_rlock_release(&c->rlock) != CT_EPERM)
        return 2;
    if (ct_rlock_acquire(&c->rlock, 0) != CT_ETIMEDOUT)
        return 3;
    return 0;
}

static void test_pshared_rlock_counter_and_ownership(void **state) {
    (void)state;
    struct counter *c = ct_test_shared_map(sizeof *c);
    assert_int_equal(ct_rlock_init(&c->rlock, CT_PSHARED), 0);
    c->iters = ct_stress_iters(20000);
    pid_t a = ct_test_spawn(rlock_incr, c);
    assert_int_equal(rlock_incr(c), 0);
    ct_test_expect_child_ok(a);
    assert_int_equal(c->value, 2 * c->iters);
    assert_false(ct_rlock_locked(&c->rlock));
    /* ownership is per thread id, across processes */
    assert_int_equal(ct_rlock_acquire(&c->rlock, 0), 0);
    ct_test_expect_child_ok(ct_test_spawn(rlock_not_owner, c));
    assert_int_equal(ct_rlock_release(&c->rlock), 0);
    munmap(c, sizeof *c);
}

/* ------------------------------------------------------- Condition */

struct mailbox {
    ct_lock lock;
    ct_condition cond;
    long items;
    long slot;
    long sum;
};

static int mb_produce(void *p) {
    struct mailbox *m = p;
    for (long i = 1; i <= m->items; i++) {
        if (ct_condition_acquire(&m->cond, 30.0) != 0)
            return 1;
        while (m->slot != 0)
            if (ct_condition_wait(&m->cond, 30.0) != 0)
                return 2;
        m->slot = i;
        if (ct_condition_notify(&m->cond, 1) < 0)
            return 3;
        if (ct_condition_release(&m->cond) != 0)
            return 4;
    }
    return 0;
}

static void mailbox_between_processes(struct mailbox *m) {
    pid_t child = ct_test_spawn(mb_produce, m);
    for (long i = 1; i <= m->items; i++) {
        assert_int_equal(ct_condition_acquire(&m->cond, 30.0), 0);
        while (m->slot == 0)
            assert_int_equal(ct_condition_wait(&m->cond, 30.0), 0);
        assert_int_equal(m->slot, i);
        m->sum += m->slot;
        m->slot = 0;
        assert_true(ct_condition_notify(&m->cond, 1) >= 0);
        assert_int_equal(ct_condition_release(&m->cond), 0);
    }
    ct_test_expect_child_ok(child);
    assert_int_equal(m->sum, m->items * (m->items + 1) / 2);
    assert_int_equal(atomic_load(&m->cond.nwait), 0);
    assert_int_equal(m->cond.nsignal, 0);
}

/* A one-slot handoff between two processes over a pshared Lock: every
 * item once, in order; a lost wake-up would hang (30 s timeouts). */
static void test_pshared_condition_handoff_over_lock(void **state) {
    (void)state;
    struct mailbox *m = ct_test_shared_map(sizeof *m);
    assert_int_equal(ct_lock_init(&m->lock, CT_PSHARED), 0);
    assert_int_equal(ct_condition_init(&m->cond, &m->lock, NULL, CT_PSHARED),
                     0);
    m->items = ct_stress_iters(5000);
    mailbox_between_processes(m);
    munmap(m, sizeof *m);
}

/* The same over the condition's own RLock, from the static initialiser. */
static void test_pshared_condition_handoff_own_rlock(void **state) {
    (void)state;
    struct mailbox *m = ct_test_shared_map(sizeof *m);
    m->cond = (ct_condition)CT_CONDITION_INIT_PSHARED;
    m->items = ct_stress_iters(5000);
    mailbox_between_processes(m);
    munmap(m, sizeof *m);
}

struct gate {
    ct_condition cond;
    int open;
    atomic_int waiting_children;
};

static bool is_open(void *p) {
    return ((struct gate *)p)->open;
}

static int gate_child(void *p) {
    struct gate *g = p;
    if (ct_condition_acquire(&g->cond, 30.0) != 0)
        return 1;
    atomic_fetch_add(&g->waiting_children, 1);
    int rc = ct_condition_wait_for(&g->cond, is_open, g, 30.0);
    ct_condition_release(&g->cond);
    return rc == 0 ? 0 : 2;
}

/* notify_all wakes waiters in several processes at once */
static void test_pshared_notify_all_wakes_every_process(void **state) {
    (void)state;
    struct gate *g = ct_test_shared_map(sizeof *g);
    g->cond = (ct_condition)CT_CONDITION_INIT_PSHARED;
    pid_t kids[3];
    for (int i = 0; i < 3; i++)
        kids[i] = ct_test_spawn(gate_child, g);
    double end = ct_monotonic() + 30;
    while (atomic_load(&g->cond.nwait) < 3)
        assert_true(ct_monotonic() < end);
    CT_WITH(&g->cond) {
        g->open = 1;
        assert_int_equal(ct_condition_notify_all(&g->cond), 3);
    }
    for (int i = 0; i < 3; i++)
        ct_test_expect_child_ok(kids[i]);
    assert_int_equal(atomic_load(&g->cond.nwait), 0);
    assert_int_equal(g->cond.nsignal, 0);
    munmap(g, sizeof *g);
}

/* --------------------------------------------------- lock ordering */

struct bank {
    ct_lock lock[2];
    long balance[2];
    long iters;
    atomic_int next_dir;
};

static int transfer(void *p) {
    struct bank *b = p;
    int dir = atomic_fetch_add(&b->next_dir, 1) % 2; /* opposite ways */
    for (long i = 0; i < b->iters; i++) {
        int from = (int)((i + dir) % 2), to = 1 - from;
        ct_lock *set[2] = {&b->lock[from], &b->lock[to]};
        if (ct_lock_acquire_all(set, 2, 30.0) != 0)
            return 1;
        b->balance[from] -= 5;
        b->balance[to] += 5;
        if (ct_lock_release_all(set, 2) != 0)
            return 2;
    }
    return 0;
}

static void test_pshared_lock_ordering_between_processes(void **state) {
    (void)state;
    struct bank *b = ct_test_shared_map(sizeof *b);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ct_lock_init(&b->lock[i], CT_PSHARED), 0);
        b->balance[i] = 500;
    }
    b->iters = ct_stress_iters(10000);
    pid_t k1 = ct_test_spawn(transfer, b), k2 = ct_test_spawn(transfer, b);
    ct_test_expect_child_ok(k1);
    ct_test_expect_child_ok(k2);
    assert_int_equal(b->balance[0] + b->balance[1], 1000);
    munmap(b, sizeof *b);
}

/* ------------------------------------------------------------ once */

struct oshared {
    ct_once once;
    atomic_int started; /* the parent runs its init */
    atomic_int runs;
    int value;
    pid_t child;
};

/* The state letter of process `pid` in /proc (R running, S sleeping). */
static char proc_state(pid_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait (at most 30 s) until the once reads WAITED and the child is asleep
 * (in the kernel, on the once's word: it does nothing else that sleeps) */
static void wait_child_parked(struct oshared *o) {
    double end = ct_monotonic() + 30.0;
    while ((atomic_load(&o->once.state) & 3) != 2 ||
           proc_state(o->child) != 'S') {
        assert_true(ct_monotonic() < end);
        sched_yield();
    }
}

static int parent_init_fails(void *p) {
    struct oshared *o = p;
    atomic_fetch_add(&o->runs, 1);
    atomic_store(&o->started, 1);
    wait_child_parked(o);
    return CT_EVALUE;
}

static int child_init(void *p) {
    struct oshared *o = p;
    atomic_fetch_add(&o->runs, 1);
    o->value = 42;
    return 0;
}

static int once_child(void *p) {
    struct oshared *o = p;
    double end = ct_monotonic() + 30.0;
    while (!atomic_load(&o->started))
        if (ct_monotonic() > end)
            return 1;
    /* sleeps while the parent runs; woken by its failure, then retries */
    if (ct_once_call(&o->once, child_init, o) != 0)
        return 2;
    return o->value == 42 && atomic_load(&o->runs) == 2 ? 0 : 3;
}

/* A CT_PSHARED once between processes: the child waits for the parent's
 * init (a shared futex: a private one would never wake it), the parent's
 * failure wakes it, it retries and succeeds, and the parent sees it done. */
static void test_pshared_once_waits_and_retries_across_processes(void **state) {
    (void)state;
    struct oshared *o = ct_test_shared_map(sizeof *o);
    assert_int_equal(ct_once_init(&o->once, CT_PSHARED), 0);
    pid_t child = o->child = ct_test_spawn(once_child, o);
    assert_int_equal(ct_once_call(&o->once, parent_init_fails, o), CT_EVALUE);
    /* a hang shows as a child that does not exit: poll, never block */
    double end = ct_monotonic() + 30.0;
    int status;
    pid_t r;
    while ((r = waitpid(child, &status, WNOHANG)) == 0) {
        if (ct_monotonic() > end) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            fail_msg("the child never woke up");
        }
        sched_yield();
    }
    assert_int_equal(r, child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(ct_once_done(&o->once));
    assert_int_equal(ct_once_call(&o->once, child_init, o), 0);
    assert_int_equal(atomic_load(&o->runs), 2);
    assert_int_equal(o->value, 42);
    munmap(o, sizeof *o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pshared_lock_counter_is_exact),
        cmocka_unit_test(test_pshared_lock_timeout_and_wakeup_across_processes),
        cmocka_unit_test(test_pshared_rlock_counter_and_ownership),
        cmocka_unit_test(test_pshared_condition_handoff_over_lock),
        cmocka_unit_test(test_pshared_condition_handoff_own_rlock),
        cmocka_unit_test(test_pshared_notify_all_wakes_every_process),
        cmocka_unit_test(test_pshared_lock_ordering_between_processes),
        cmocka_unit_test(test_pshared_once_waits_and_retries_across_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
