/* 06 - Daemon threads do not keep the program alive; non-daemon threads
 * are waited for at exit.
 *
 * Python (seed guides 001/002 "Daemon Threads", 004 "Advanced Concepts"):
 *
 *     daemon_thread = threading.Thread(target=daemon_worker)
 *     daemon_thread.daemon = True
 *     daemon_thread.start()
 *     regular_thread = threading.Thread(target=regular_worker)
 *     regular_thread.start()
 *     regular_thread.join()
 *     print("Main program ending...")
 *     # Daemon thread automatically terminates
 *
 * As in Python: when main returns, the library joins every non-daemon
 * thread (even one never joined), then the process ends and daemon
 * threads stop wherever they are, with no clean-up: never give a daemon
 * thread work that must finish (files to flush, locks others need).
 *
 * EXPECT: ^Regular worker: 2$
 * EXPECT: ^Daemon working\.\.\.$
 * EXPECT: ^Main program ending\.\.\.$
 * EXPECT: ^late worker: finished after main returned$
 * EXPECT: ^at exit: daemon looped [1-9][0-9]* times, still running: yes$
 */
#include <cthreading.h>
#include <stdio.h>
#include <stdlib.h>

static const double tick = 0.1;
static atomic_int daemon_loops;
static ct_thread *daemon_thread;

static int daemon_worker(void *arg) {
    (void)arg;
    for (;;) { /* never returns */
        if (atomic_fetch_add(&daemon_loops, 1) < 3)
            printf("Daemon working...\n");
        ct_sleep(tick);
    }
    return 0;
}

static int regular_worker(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        printf("Regular worker: %d\n", i);
        ct_sleep(tick);
    }
    return 0;
}

static int late_worker(void *arg) {
    (void)arg;
    ct_sleep(3 * tick); /* still busy when main returns */
    printf("late worker: finished after main returned\n");
    return 0;
}

static void report(void) { /* runs after the library joined late_worker */
    printf("at exit: daemon looped %d times, still running: %s\n",
           atomic_load(&daemon_loops),
           ct_thread_is_alive(daemon_thread) ? "yes" : "no");
}

int main(void) {
    atexit(report); /* registered first, so it runs last */
    daemon_thread = ct_thread_new(daemon_worker, NULL);
    ct_thread_set_daemon(daemon_thread, true); /* only before start */
    ct_thread_start(daemon_thread);

    ct_thread *regular = ct_thread_new(regular_worker, NULL);
    ct_thread_start(regular);
    ct_thread_join(regular, CT_FOREVER);
    ct_thread_free(regular);

    ct_thread *late = ct_thread_new(late_worker, NULL);
    ct_thread_start(late);
    ct_thread_free(late); /* not joined by us: joined at exit */
    printf("Main program ending...\n");
    return 0;
}
