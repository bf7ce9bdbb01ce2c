/* 09 - Timer: run a function later, unless cancelled first.
 *
 * Python (threading.Timer, listed under "Thread Behavior & Control" in
 * seed guide 000):
 *
 *     def remind(): print("reminder sent")
 *     t = threading.Timer(0.2, remind); t.start()      # fires
 *     u = threading.Timer(30, remind);  u.start()
 *     u.cancel()                                        # never fires
 *
 * A timer is a thread: start, join and free it like one. Cancelling wakes
 * the waiting timer at once, so joining it right after costs nothing.
 *
 * EXPECT: ^reminder sent after 0\.[2-9][0-9] s$
 * EXPECT: ^30 s timer cancelled in time: yes, ended after 0\.[0-9]{2} s$
 * EXPECT: ^cancel after firing changes nothing: prevented=0$
 * EXPECT: ^calls: 1$
 */
#include <cthreading.h>
#include <stdio.h>

static double t0;
static atomic_int calls;

static int remind(void *arg) {
    (void)arg;
    atomic_fetch_add(&calls, 1);
    printf("reminder sent after %.2f s\n", ct_monotonic() - t0);
    return 0;
}

int main(void) {
    t0 = ct_monotonic();
    ct_thread *t = ct_timer_new(0.2, remind, NULL);
    ct_thread *u = ct_timer_new(30.0, remind, NULL);
    ct_thread_start(t);
    ct_thread_start(u);

    int prevented = ct_timer_cancel(u); /* 1: the call will never happen */
    ct_thread_join(u, CT_FOREVER);
    printf("30 s timer cancelled in time: %s, ended after %.2f s\n",
           prevented == 1 ? "yes" : "no", ct_monotonic() - t0);

    ct_thread_join(t, CT_FOREVER);
    printf("cancel after firing changes nothing: prevented=%d\n",
           ct_timer_cancel(t));
    printf("calls: %d\n", atomic_load(&calls));
    ct_thread_free(t);
    ct_thread_free(u);
    return 0;
}
