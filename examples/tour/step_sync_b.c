/* Tour, level 5 (second half): Semaphore, BoundedSemaphore, Event and
 * Barrier, each measured live, with the C library's own primitive beside
 * ours where there is one (sem_t, pthread_barrier_t). */
#include "tour.h"

#include <cthreading/sync.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* --------------------------------------------------- semaphore: limit */

static ct_semaphore limit = CT_SEMAPHORE_INIT(3);
static atomic_int inside, most;

static int limited(void *arg) {
    (void)arg;
    for (int i = 0; i < 20; i++) {
        CT_WITH(&limit) {
            int now = atomic_fetch_add(&inside, 1) + 1;
            int seen = atomic_load(&most);
            while (now > seen &&
                   !atomic_compare_exchange_weak(&most, &seen, now))
                ;
            ct_sleep(0.0005);
            atomic_fetch_sub(&inside, 1);
        }
    }
    return 0;
}

/* ------------------------------------------- ping-pong: ours vs sem_t */

static long rounds;
static ct_semaphore cs_ping = CT_SEMAPHORE_INIT(0),
                    cs_pong = CT_SEMAPHORE_INIT(0);
static sem_t ps_ping, ps_pong;
static ct_event ev_ping = CT_EVENT_INIT, ev_pong = CT_EVENT_INIT;

static void *ct_side(void *a) {
    for (long i = 0; i < rounds; i++) {
        ct_semaphore_acquire(&cs_ping, CT_FOREVER);
        ct_semaphore_release(&cs_pong, 1);
    }
    return a;
}

static void *posix_side(void *a) {
    for (long i = 0; i < rounds; i++) {
        sem_wait(&ps_ping);
        sem_post(&ps_pong);
    }
    return a;
}

static void *event_side(void *a) {
    for (long i = 0; i < rounds; i++) {
        ct_event_wait(&ev_ping, CT_FOREVER);
        ct_event_clear(&ev_ping);
        ct_event_set(&ev_pong);
    }
    return a;
}

/* ns per round trip of kind 0 (ct_semaphore), 1 (sem_t), 2 (ct_event) */
static double ping_pong(int kind) {
    pthread_t t;
    void *(*side[])(void *) = {ct_side, posix_side, event_side};
    double t0 = ct_monotonic();
    pthread_create(&t, NULL, side[kind], NULL);
    for (long i = 0; i < rounds; i++) {
        if (kind == 0) {
            ct_semaphore_release(&cs_ping, 1);
            ct_semaphore_acquire(&cs_pong, CT_FOREVER);
        } else if (kind == 1) {
            sem_post(&ps_ping);
            sem_wait(&ps_pong);
        } else {
            ct_event_set(&ev_ping);
            ct_event_wait(&ev_pong, CT_FOREVER);
            ct_event_clear(&ev_pong);
        }
    }
    pthread_join(t, NULL);
    return (ct_monotonic() - t0) / (double)rounds * 1e9;
}

/* -------------------------------------------------- event: broadcast */

static ct_event start = CT_EVENT_INIT;
static atomic_int started;

static int runner(void *arg) {
    (void)arg;
    if (ct_event_wait(&start, 10.0) == 0)
        atomic_fetch_add(&started, 1);
    return 0;
}

/* ------------------------------------- barrier: ours vs pthread_barrier */

static ct_barrier cb;
static pthread_barrier_t pb;
static long crossings;

static void *ct_crosser(void *a) {
    for (long i = 0; i < crossings; i++)
        ct_barrier_wait(&cb);
    return a;
}

static void *posix_crosser(void *a) {
    for (long i = 0; i < crossings; i++)
        pthread_barrier_wait(&pb);
    return a;
}

static double crossing(bool ours, int n) {
    pthread_t t[16];
    if (ours)
        ct_barrier_init(&cb, n);
    else
        pthread_barrier_init(&pb, NULL, (unsigned)n);
    double t0 = ct_monotonic();
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, ours ? ct_crosser : posix_crosser, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    double ns = (ct_monotonic() - t0) / (double)crossings * 1e9;
    if (!ours)
        pthread_barrier_destroy(&pb);
    return ns;
}

static ct_barrier late;

static int late_waiter(void *arg) {
    atomic_int *broken = arg;
    if (ct_barrier_wait(&late) == CT_EBROKEN)
        atomic_fetch_add(broken, 1);
    return 0;
}

int tour_sync_b(bool quick) {
    int bad = 0;

    TOUR_STEP("sync", "Semaphore: at most 3 threads inside");
    double t0 = ct_monotonic();
    tour_run_threads(8, limited, NULL);
    printf("   8 threads x 20 entries, at most %d inside at once (limit 3), "
           "%.0f ms, permits back: %d\n",
           atomic_load(&most), (ct_monotonic() - t0) * 1e3,
           ct_semaphore_value(&limit));
    TOUR_FAIL_IF(bad,
                 atomic_load(&most) > 3 || ct_semaphore_value(&limit) != 3);

    TOUR_STEP("sync", "BoundedSemaphore: one release too many is an error");
    ct_bounded_semaphore pool = CT_BOUNDED_SEMAPHORE_INIT(2);
    ct_bounded_semaphore_acquire(&pool, CT_FOREVER);
    ct_bounded_semaphore_release(&pool, 1);
    int rc = ct_bounded_semaphore_release(&pool, 1);
    printf("   release past the bound -> %s (%s); value stays %d\n",
           ct_errname(rc), ct_exception_type(rc),
           ct_bounded_semaphore_value(&pool));
    TOUR_FAIL_IF(bad, rc != CT_EVALUE);

    TOUR_STEP("sync", "hand-offs between two threads: ours vs sem_t");
    rounds = quick ? 20000 : 200000;
    sem_init(&ps_ping, 0, 0);
    sem_init(&ps_pong, 0, 0);
    double s_ours = ping_pong(0), s_posix = ping_pong(1), e_ours = ping_pong(2);
    printf("   round trip: ct_semaphore %.0f ns, sem_t %.0f ns (x%.1f), "
           "ct_event %.0f ns  [%ld round trips, %d CPUs]\n",
           s_ours, s_posix, s_posix / s_ours, e_ours, rounds, ct_cpu_count());
    sem_destroy(&ps_ping);
    sem_destroy(&ps_pong);

    TOUR_STEP("sync", "Event: one set() starts every waiter");
    t0 = ct_monotonic();
    ct_thread *w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = ct_thread_new(runner, NULL);
        ct_thread_start(w[i]);
    }
    ct_event_set(&start);
    for (int i = 0; i < 6; i++) {
        ct_thread_join(w[i], CT_FOREVER);
        ct_thread_free(w[i]);
    }
    printf("   %d of 6 waiters started by one set(), %.2f ms; "
           "wait(0) on a cleared event -> ",
           atomic_load(&started), (ct_monotonic() - t0) * 1e3);
    ct_event_clear(&start);
    printf("%s\n", ct_errname(ct_event_wait(&start, 0)));
    TOUR_FAIL_IF(bad, atomic_load(&started) != 6);

    TOUR_STEP("sync", "Barrier: threads cross together, ours vs pthread");
    crossings = quick ? 2000 : 20000;
    for (int n = 2; n <= (quick ? 4 : 16); n *= 2) {
        double ours = crossing(true, n), posix = crossing(false, n);
        printf("   %2d threads: %7.0f ns per crossing, pthread_barrier %7.0f "
               "ns (x%.1f)%s\n",
               n, ours, posix, posix / ours,
               n > ct_cpu_count() ? "  oversubscribed" : "");
    }

    TOUR_STEP("sync", "Barrier: a missing party breaks it; reset repairs");
    ct_barrier_init(&late, 3, .timeout = 0.1);
    atomic_int broken = 0;
    t0 = ct_monotonic();
    tour_run_threads(2, late_waiter, &broken);
    printf("   2 of 3 parties came: %d got CT_EBROKEN after %.0f ms; "
           "broken=%d",
           atomic_load(&broken), (ct_monotonic() - t0) * 1e3,
           ct_barrier_broken(&late));
    ct_barrier_reset(&late);
    printf(", after reset broken=%d\n", ct_barrier_broken(&late));
    TOUR_FAIL_IF(bad, atomic_load(&broken) != 2 || ct_barrier_broken(&late));

    TOUR_STEP("sync", "Event between processes (fork + shared memory)");
    ct_event *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ct_event_init(shared, CT_PSHARED);
    t0 = ct_monotonic();
    pid_t pid = fork();
    if (pid == 0)
        _exit(ct_event_wait(shared, 10.0) == 0 ? 0 : 1);
    ct_sleep(0.01);
    ct_event_set(shared);
    int status = 1;
    waitpid(pid, &status, 0);
    printf("   child process woken by the parent's set(): %s (%.1f ms)\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "NO",
           (ct_monotonic() - t0) * 1e3);
    TOUR_FAIL_IF(bad, !(WIFEXITED(status) && WEXITSTATUS(status) == 0));
    munmap(shared, sizeof *shared);
    return bad ? 1 : 0;
}
