/* The registry: current_thread, main_thread, dummies for foreign threads,
 * enumerate, active_count, and the registry after fork.
 * Ports CPython test_threading.py: test_main_thread, test_foreign_thread,
 * test_ident_of_no_threading_threads, test_enumerate_after_join,
 * test_main_thread_after_fork, test_main_thread_after_fork_from_nonmain_thread,
 * test_is_alive_after_fork, test_dummy_thread_after_fork,
 * test_reinit_tls_after_fork,
 * test_join_fork_stress-like churn (fork while threads start and end).
 * CT_TEST_TIMEOUT 120 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "allocfail.h"
#include "bunch.h"
#include "stress.h"
#include <cthreading/thread.h>

static bool listed(ct_thread *t) {
    ct_thread *buf[256];
    size_t n = ct_thread_enumerate(buf, 256);
    bool found = false;
    for (size_t i = 0; i < n && i < 256; i++) {
        found |= buf[i] == t;
        ct_thread_free(buf[i]);
    }
    return found;
}

/* test_main_thread */
static void test_main_thread(void **state) {
    (void)state;
    ct_thread *m = ct_thread_main();
    assert_ptr_equal(ct_thread_current(), m);
    assert_string_equal(ct_thread_name(m), "MainThread");
    assert_int_equal(ct_thread_ident(m), ct_thread_get_ident());
    assert_int_equal(ct_thread_native_id(m), ct_thread_get_native_id());
    assert_int_equal(ct_thread_native_id(m), (long)getpid());
    assert_true(ct_thread_is_alive(m));
    assert_false(ct_thread_is_daemon(m));
    assert_int_equal(ct_thread_get_state(m), CT_THREAD_RUNNING);
    assert_true(listed(m));
    ct_thread_free(m); /* harmless: the main entry is static */
    assert_string_equal(ct_thread_name(ct_thread_main()), "MainThread");
}

static int check_current(void *arg) {
    ct_thread *self = ct_thread_current();
    if (self != *(ct_thread **)arg)
        return ct_raise(CT_EFAIL, "current is not the thread object");
    if (ct_thread_ident(self) != ct_thread_get_ident() ||
        ct_thread_native_id(self) != ct_thread_get_native_id())
        return ct_raise(CT_EFAIL, "ident mismatch");
    if (ct_thread_main() == self || !listed(self))
        return ct_raise(CT_EFAIL, "registry");
    return 0;
}

static void test_current_thread_is_the_thread_object(void **state) {
    (void)state;
    ct_thread *t = NULL;
    t = ct_thread_new(check_current, &t);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
}

/* test_foreign_thread, test_ident_of_no_threading_threads */
struct foreign {
    _Atomic uint32_t ready, leave;
    ct_thread *dummy;
    unsigned long ident;
};

static void *foreign_main(void *arg) {
    struct foreign *f = arg;
    f->dummy = ct_thread_current();
    f->ident = ct_thread_get_ident();
    ct_thread_ref(f->dummy); /* keep it to inspect after the exit */
    gate_open(&f->ready);
    gate_wait(&f->leave);
    return NULL;
}

static void test_foreign_thread_gets_a_dummy(void **state) {
    (void)state;
    size_t before = ct_thread_active_count();
    struct foreign f = {0};
    pthread_t h;
    pthread_create(&h, NULL, foreign_main, &f);
    gate_wait(&f.ready);
    ct_thread *d = f.dummy;
    assert_non_null(d);
    unsigned long n;
    assert_int_equal(sscanf(ct_thread_name(d), "Dummy-%lu", &n), 1);
    assert_true(ct_thread_is_alive(d));
    assert_true(ct_thread_is_daemon(d));
    assert_int_equal(ct_thread_ident(d), f.ident);
    assert_int_equal(ct_thread_ident(d), (unsigned long)h);
    assert_true(listed(d));
    assert_int_equal(ct_thread_active_count(), before + 1);
    assert_int_equal(ct_thread_join(d, 0), CT_ESTATE);
    assert_int_equal(ct_thread_start(d), CT_ESTATE);
    assert_int_equal(ct_thread_set_daemon(d, false), CT_ESTATE);
    gate_open(&f.leave);
    pthread_join(h, NULL);
    /* released by its thread's exit: no longer listed, not alive */
    assert_false(listed(d));
    assert_false(ct_thread_is_alive(d));
    assert_int_equal(ct_thread_active_count(), before);
    ct_thread_free(d);
}

/* enumerate and active_count with library and foreign threads */
enum { NLIB = 4, NFOREIGN = 4 };

static int lib_wait(void *arg) {
    gate_wait(arg);
    return 0;
}

static void test_enumerate_and_active_count(void **state) {
    (void)state;
    size_t before = ct_thread_active_count();
    _Atomic uint32_t leave = 0;
    ct_thread *lib[NLIB];
    struct foreign f[NFOREIGN];
    pthread_t h[NFOREIGN];
    memset(f, 0, sizeof f);
    for (int i = 0; i < NLIB; i++) {
        lib[i] = ct_thread_new(lib_wait, &leave);
        ct_thread_start(lib[i]);
    }
    for (int i = 0; i < NFOREIGN; i++) {
        pthread_create(&h[i], NULL, foreign_main, &f[i]);
        gate_wait(&f[i].ready);
    }
    assert_int_equal(ct_thread_active_count(), before + NLIB + NFOREIGN);
    ct_thread *buf[64];
    size_t n = ct_thread_enumerate(buf, 64);
    assert_int_equal(n, before + NLIB + NFOREIGN);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < NLIB; j++)
            seen += buf[i] == lib[j];
        for (int j = 0; j < NFOREIGN; j++)
            seen += buf[i] == f[j].dummy;
        ct_thread_free(buf[i]);
    }
    assert_int_equal(seen, NLIB + NFOREIGN);
    /* a short buffer still reports the total */
    assert_int_equal(ct_thread_enumerate(buf, 2), n);
    ct_thread_free(buf[0]);
    ct_thread_free(buf[1]);
    assert_int_equal(ct_thread_enumerate(NULL, 0), n);

    gate_open(&leave);
    for (int i = 0; i < NFOREIGN; i++)
        gate_open(&f[i].leave);
    for (int i = 0; i < NLIB; i++) {
        ct_thread_join(lib[i], CT_FOREVER);
        ct_thread_free(lib[i]);
    }
    for (int i = 0; i < NFOREIGN; i++) {
        pthread_join(h[i], NULL);
        ct_thread_free(f[i].dummy);
    }
    assert_int_equal(ct_thread_active_count(), before);
}

/* test_enumerate_after_join */
static int noop(void *arg) {
    (void)arg;
    return 0;
}

static void test_enumerate_after_join(void **state) {
    (void)state;
    for (int i = 0; i < 100; i++) {
        ct_thread *t = ct_thread_new(noop, NULL);
        ct_thread_start(t);
        ct_thread_join(t, i % 2 ? CT_FOREVER : 10.0);
        assert_false(listed(t));
        ct_thread_free(t);
    }
}

/* Fork: the child has only the forking thread. */
static int fork_checks(ct_thread *other, ct_thread *self) {
    if (ct_thread_active_count() != 1)
        return 10;
    ct_thread *buf[4];
    if (ct_thread_enumerate(buf, 4) != 1 || buf[0] != self)
        return 11;
    ct_thread_free(buf[0]);
    if (ct_thread_current() != self || ct_thread_main() != self)
        return 12;
    if (ct_thread_is_alive(other)) /* test_is_alive_after_fork */
        return 13;
    if (ct_thread_join(other, CT_FOREVER) != 0) /* returns at once */
        return 14;
    if (ct_thread_native_id(self) != (long)getpid())
        return 15;
    if (ct_thread_get_native_id() != (long)getpid())
        return 16;
    return 0;
}

static int wait_status(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static void test_registry_after_fork_from_main(void **state) {
    (void)state;
    _Atomic uint32_t leave = 0;
    ct_thread *t = ct_thread_new(lib_wait, &leave);
    ct_thread_start(t);
    ct_thread_native_id(t); /* it runs */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fork_checks(t, ct_thread_main()));
    assert_int_equal(wait_status(pid), 0);
    assert_true(ct_thread_is_alive(t)); /* the parent is untouched */
    assert_int_equal(ct_thread_active_count() >= 2, 1);
    gate_open(&leave);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_free(t);
}

/* test_main_thread_after_fork_from_nonmain_thread */
static int fork_from_thread(void *arg) {
    ct_thread *main_before = ct_thread_main();
    ct_thread *self = ct_thread_current();
    (void)arg;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = fork_checks(main_before, self);
        if (rc == 0 && strcmp(ct_thread_name(ct_thread_main()), "forker"))
            rc = 20;
        _exit(rc);
    }
    return wait_status(pid) == 0 ? 0 : CT_EFAIL;
}

static void test_main_thread_after_fork_from_nonmain_thread(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(fork_from_thread, NULL, .name = "forker");
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    assert_int_equal(ct_thread_result(t), 0);
    ct_thread_free(t);
}

/* test_dummy_thread_after_fork: fork from a foreign thread */
static void *fork_from_foreign(void *arg) {
    int *rc = arg;
    ct_thread *self = ct_thread_current();
    ct_thread *main_before = ct_thread_main();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fork_checks(main_before, self) == 0 && ct_thread_main() == self
                  ? 0
                  : 30);
    *rc = wait_status(pid);
    return NULL;
}

static void test_fork_from_foreign_thread(void **state) {
    (void)state;
    pthread_t h;
    int rc = -1;
    pthread_create(&h, NULL, fork_from_foreign, &rc);
    pthread_join(h, NULL);
    assert_int_equal(rc, 0);
}

/* A thread that finished but was never joined, then fork: in the child it
 * is finished, join returns at once and releasing it touches nothing of
 * the parent's OS thread (its pthread_t does not exist in the child: no
 * pthread_join or pthread_detach on it). */
static void test_unjoined_finished_thread_after_fork(void **state) {
    (void)state;
    ct_thread *t = ct_thread_new(noop, NULL);
    ct_thread *u = ct_thread_new(noop, NULL);
    ct_thread_start(t);
    ct_thread_start(u);
    /* finished, not reaped: wait with a finite timeout (which parks on the
     * state) only, never with CT_FOREVER (which would pthread_join) */
    while (ct_thread_get_state(t) != CT_THREAD_FINISHED ||
           ct_thread_get_state(u) != CT_THREAD_FINISHED) {
        ct_thread_join(t, 0.0); /* 0: only checks */
        ct_sleep(0.001);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 0;
        if (ct_thread_is_alive(t) || ct_thread_is_alive(u))
            rc = 1;
        else if (ct_thread_join(t, CT_FOREVER) != 0) /* would pthread_join */
            rc = 2;
        else if (ct_thread_join(u, 5.0) != 0)
            rc = 3;
        ct_thread_free(t);
        ct_thread_free(u); /* the last reference: would pthread_detach */
        /* Not _exit: TSan's _exit still counts the parent's finished,
         * unjoined threads as its own and reports them as leaked (they
         * must not be joined here: they do not exist in the child). */
        syscall(SYS_exit_group, rc);
    }
    assert_int_equal(wait_status(pid), 0);
    assert_int_equal(ct_thread_join(t, CT_FOREVER), 0);
    assert_int_equal(ct_thread_join(u, CT_FOREVER), 0);
    ct_thread_free(t);
    ct_thread_free(u);
}

/* Fork while library threads start and end all the time: in the child
 * every thread object it can see is finished (none is left "running"
 * because the fork fell between its unlisting and its FINISHED, or
 * between its start and its listing), join returns, only the forking
 * thread is listed. */
enum { FORK_CHURNERS = 2 };

struct fork_churn {
    ct_thread *_Atomic slot[FORK_CHURNERS];
    _Atomic uint32_t stop;
    atomic_long started;
};

struct churner_arg {
    struct fork_churn *fc;
    int index;
};

static int fork_churner(void *arg) {
    struct churner_arg *a = arg;
    struct fork_churn *fc = a->fc;
    while (!atomic_load(&fc->stop)) {
        ct_thread *t = ct_thread_new(noop, NULL);
        if (!t)
            return CT_ENOMEM;
        atomic_store(&fc->slot[a->index], t); /* freed only after clearing */
        if (ct_thread_start(t) != 0)
            return CT_EFAIL;
        atomic_fetch_add(&fc->started, 1);
        ct_thread_join(t, a->index ? CT_FOREVER : 30.0);
        atomic_store(&fc->slot[a->index], NULL);
        ct_thread_free(t);
    }
    return 0;
}

static int fork_churn_child(struct fork_churn *fc, ct_thread *self) {
    if (ct_thread_active_count() != 1)
        return 40;
    if (ct_thread_main() != self)
        return 41;
    for (int i = 0; i < FORK_CHURNERS; i++) {
        ct_thread *t = atomic_load(&fc->slot[i]);
        if (!t)
            continue;
        if (ct_thread_get_state(t) == CT_THREAD_CREATED) {
            if (ct_thread_join(t, 0) != CT_ESTATE) /* not started yet */
                return 44;
            continue;
        }
        if (ct_thread_is_alive(t))
            return 42;
        if (ct_thread_join(t, 10.0) != 0)
            return 43;
    }
    return 0;
}

static void test_fork_while_threads_start_and_end(void **state) {
    (void)state;
    struct fork_churn fc = {.stop = 0};
    struct churner_arg args[FORK_CHURNERS];
    ct_thread *c[FORK_CHURNERS];
    for (int i = 0; i < FORK_CHURNERS; i++) {
        args[i] = (struct churner_arg){&fc, i};
        c[i] = ct_thread_new(fork_churner, &args[i]);
        ct_thread_start(c[i]);
    }
    long forks = ct_stress_iters(40);
    for (long i = 0; i < forks; i++) {
        long seen = atomic_load(&fc.started);
        while (atomic_load(&fc.started) < seen + 2)
            ct_sleep(0.0002); /* let the churners move on between forks */
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
            _exit(fork_churn_child(&fc, ct_thread_main()));
        assert_int_equal(wait_status(pid), 0);
    }
    atomic_store(&fc.stop, 1);
    for (int i = 0; i < FORK_CHURNERS; i++) {
        assert_int_equal(ct_thread_join(c[i], CT_FOREVER), 0);
        assert_int_equal(ct_thread_result(c[i]), 0);
        ct_thread_free(c[i]);
    }
}

/* Dummies released by their threads' exit (a pthread key destructor)
 * while another thread enumerates and reads the entries it got: every
 * entry stays valid while referenced, the count ends where it began. */
struct dummy_churn {
    atomic_int makers_done;
    int makers;
    long per_maker;
    atomic_long made, snapshots, dummies_seen;
};

static void *make_dummy_and_leave(void *arg) {
    struct dummy_churn *d = arg;
    ct_thread *self = ct_thread_current();
    if (self && strncmp(ct_thread_name(self), "Dummy-", 6) == 0)
        atomic_fetch_add(&d->made, 1);
    return NULL; /* the exit releases the dummy */
}

static void dummy_churn_fn(void *ctx, int index) {
    struct dummy_churn *d = ctx;
    if (index == 0) { /* the observer */
        ct_thread *buf[32];
        while (atomic_load(&d->makers_done) < d->makers) {
            size_t n = ct_thread_enumerate(buf, 32);
            for (size_t i = 0; i < n && i < 32; i++) {
                char name[CT_NAME_MAX];
                ct_thread_get_name(buf[i], name, sizeof name);
                if (strncmp(name, "Dummy-", 6) == 0)
                    atomic_fetch_add(&d->dummies_seen, 1);
                (void)ct_thread_is_alive(buf[i]);
                (void)ct_thread_ident(buf[i]);
                ct_thread_free(buf[i]); /* may be the last reference */
            }
            atomic_fetch_add(&d->snapshots, 1);
        }
        return;
    }
    for (long i = 0; i < d->per_maker; i++) {
        pthread_t h;
        assert_int_equal(pthread_create(&h, NULL, make_dummy_and_leave, d), 0);
        pthread_join(h, NULL);
    }
    atomic_fetch_add(&d->makers_done, 1);
}

static void test_dummies_released_while_enumerating(void **state) {
    (void)state;
    size_t before = ct_thread_active_count();
    struct dummy_churn d = {.makers = 2, .per_maker = ct_stress_iters(200)};
    assert_int_equal(ct_stress_run(d.makers + 1, dummy_churn_fn, &d), 0);
    assert_int_equal(atomic_load(&d.made), d.makers * d.per_maker);
    assert_true(atomic_load(&d.snapshots) > 0);
    assert_int_equal(ct_thread_active_count(), before);
}

/* test_reinit_tls_after_fork: many threads fork at once; each child sees
 * only its forking thread, and nothing deadlocks. */
enum { FORKERS = 16 };

static int fork_and_wait(void *arg) {
    (void)arg;
    ct_thread *self = ct_thread_current();
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 50;
        if (ct_thread_active_count() != 1 || ct_thread_main() != self ||
            ct_thread_current() != self)
            rc = 51;
        _exit(rc);
    }
    return wait_status(pid) == 50 ? 0 : CT_EFAIL;
}

static void test_threads_fork_concurrently(void **state) {
    (void)state;
    ct_thread *t[FORKERS];
    fflush(NULL);
    for (int i = 0; i < FORKERS; i++) {
        t[i] = ct_thread_new(fork_and_wait, NULL);
        assert_int_equal(ct_thread_start(t[i]), 0);
    }
    for (int i = 0; i < FORKERS; i++) {
        assert_int_equal(ct_thread_join(t[i], CT_FOREVER), 0);
        assert_int_equal(ct_thread_result(t[i]), 0);
        ct_thread_free(t[i]);
    }
}

/* Registry under contention: raw threads create, start, join and free
 * library threads while another raw thread snapshots the registry. Exact
 * end state: every target ran once, the count is back where it was. */
struct churn {
    atomic_long ran;
    atomic_int creators_done;
    int creators;
    long per_creator;
    atomic_long snapshots;
};

static int bump(void *arg) {
    atomic_fetch_add(&((struct churn *)arg)->ran, 1);
    return 0;
}

static void churn_fn(void *ctx, int index) {
    struct churn *c = ctx;
    if (index == 0) { /* the observer */
        ct_thread *buf[32];
        while (atomic_load(&c->creators_done) < c->creators) {
            size_t n = ct_thread_enumerate(buf, 32);
            for (size_t i = 0; i < n && i < 32; i++) {
                (void)ct_thread_name(buf[i]);
                ct_thread_free(buf[i]);
            }
            (void)ct_thread_active_count();
            atomic_fetch_add(&c->snapshots, 1);
        }
        return;
    }
    for (long i = 0; i < c->per_creator; i++) {
        ct_thread *t = ct_thread_new(bump, c);
        assert_non_null(t);
        assert_int_equal(ct_thread_start(t), 0);
        if (i % 4 == 3) { /* the owner lets go while it runs */
            ct_thread *extra = ct_thread_ref(t);
            ct_thread_free(t);
            t = extra;
        }
        assert_int_equal(ct_thread_join(t, i % 2 ? CT_FOREVER : 30.0), 0);
        ct_thread_free(t);
    }
    atomic_fetch_add(&c->creators_done, 1);
}

static void test_registry_under_concurrent_churn(void **state) {
    (void)state;
    size_t before = ct_thread_active_count();
    struct churn c = {.creators = 3, .per_creator = ct_stress_iters(100)};
    assert_int_equal(ct_stress_run(c.creators + 1, churn_fn, &c), 0);
    long total = c.creators * c.per_creator;
    assert_int_equal(atomic_load(&c.ran), total);
    assert_true(atomic_load(&c.snapshots) > 0);
    assert_int_equal(ct_thread_active_count(), before);
}

/* A dummy entry that cannot be allocated: current_thread returns NULL,
 * nothing leaks, the next call succeeds. */
static void *dummy_in_foreign(void *arg) {
    int *rc = arg;
    ct_thread *t = ct_thread_current();
    *rc = t ? 0 : CT_ENOMEM;
    if (t && ct_thread_current() != t)
        *rc = CT_EFAIL;
    return NULL;
}

static int dummy_scenario(void *ctx) {
    (void)ctx;
    int rc = CT_EFAIL;
    pthread_t h;
    pthread_create(&h, NULL, dummy_in_foreign, &rc);
    pthread_join(h, NULL); /* its exit released the dummy */
    return rc;
}

static void test_dummy_allocation_failure(void **state) {
    (void)state;
    assert_int_equal(ct_test_alloc_failures(dummy_scenario, NULL, NULL), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_thread),
        cmocka_unit_test(test_current_thread_is_the_thread_object),
        cmocka_unit_test(test_foreign_thread_gets_a_dummy),
        cmocka_unit_test(test_enumerate_and_active_count),
        cmocka_unit_test(test_enumerate_after_join),
        cmocka_unit_test(test_registry_after_fork_from_main),
        cmocka_unit_test(test_main_thread_after_fork_from_nonmain_thread),
        cmocka_unit_test(test_fork_from_foreign_thread),
        cmocka_unit_test(test_unjoined_finished_thread_after_fork),
        cmocka_unit_test(test_fork_while_threads_start_and_end),
        cmocka_unit_test(test_threads_fork_concurrently),
        cmocka_unit_test(test_registry_under_concurrent_churn),
        cmocka_unit_test(test_dummies_released_while_enumerating),
        cmocka_unit_test(test_dummy_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
