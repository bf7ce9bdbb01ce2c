/* 07 - Thread-local storage: one name, a value per thread.
 *
 * Python (seed guide 003 "Thread Local Storage"):
 *
 *     thread_local = threading.local()
 *     def worker():
 *         thread_local.value = threading.current_thread().name
 *         print(f"Thread local value: {thread_local.value}")
 *
 * A ct_local is the key; ct_local_set/ct_local_get read and write the
 * calling thread's own value. The destructor runs when a thread that set
 * a value ends (Python drops the values with the thread).
 *
 * EXPECT: ^Thread local value: w1$
 * EXPECT: ^Thread local value: w2$
 * EXPECT: ^Thread local value: w3$
 * EXPECT: ^main: not set$
 * EXPECT: ^destructor calls: 3$
 */
#include <cthreading.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ct_local *thread_local;
static atomic_int destroyed;

static void free_value(void *value) {
    free(value);
    atomic_fetch_add(&destroyed, 1);
}

static int worker(void *arg) {
    (void)arg;
    ct_local_set(thread_local, strdup(ct_thread_name(ct_thread_current())));
    ct_sleep(0.01); /* the others set theirs meanwhile */
    printf("Thread local value: %s\n", (char *)ct_local_get(thread_local));
    return 0;
}

int main(void) {
    thread_local = ct_local_new(.destructor = free_value);
    ct_thread *t[3];
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "w%d", i + 1);
        t[i] = ct_thread_new(worker, NULL, .name = name); /* name is copied */
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < 3; i++) {
        ct_thread_join(t[i], CT_FOREVER); /* its destructor has run */
        ct_thread_free(t[i]);
    }
    printf("main: %s\n", ct_local_get(thread_local) ? "set" : "not set");
    printf("destructor calls: %d\n", atomic_load(&destroyed));
    ct_local_free(thread_local);
    return 0;
}
