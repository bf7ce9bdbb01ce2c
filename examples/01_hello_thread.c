/* 01 - Create a thread, start it, wait for it.
 *
 * Python (seed guides 001 "Basic Thread Usage", 003 "Creating Threads"):
 *
 *     def worker():
 *         print("Worker thread running")
 *     t = threading.Thread(target=worker)
 *     t.start()    # Starts the thread
 *     t.join()     # Wait for it to finish
 *
 * In C the target returns an int: 0 (or any value >= 0) for success, a
 * negative code for failure. ct_thread_free releases the object.
 *
 * EXPECT: ^Worker thread running \(in Thread-[0-9]+ \(worker\)\)$
 * EXPECT: ^joined: is_alive=0 result=0$
 */
#include <cthreading.h>
#include <stdio.h>

static int worker(void *arg) {
    (void)arg;
    printf("Worker thread running (in %s)\n",
           ct_thread_name(ct_thread_current()));
    return 0;
}

int main(void) {
    ct_thread *t = ct_thread_new(worker, NULL); /* Thread(target=worker) */
    if (!t)
        return 1;
    ct_thread_start(t);            /* t.start() */
    ct_thread_join(t, CT_FOREVER); /* t.join() */
    printf("joined: is_alive=%d result=%d\n", ct_thread_is_alive(t),
           ct_thread_result(t));
    ct_thread_free(t);
    return 0;
}
