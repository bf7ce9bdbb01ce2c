/* 03 - Arguments, names and identity of threads.
 *
 * Python (seed guides 000 "Quick Reference", 001 "Example with Arguments",
 * 003 "Thread with Arguments"):
 *
 *     def greet(name):
 *         print(f"Hello {name} from {threading.current_thread().name}")
 *     t = threading.Thread(target=greet, args=("Alice",))
 *
 *     thread = threading.Thread(target=worker, args=("Thread-1", 5),
 *                               name="WorkerThread")
 *     current = threading.current_thread()
 *     print(current.name); print(current.ident)
 *
 * Several arguments travel in a struct. ct_thread_new_copy copies the
 * struct into the thread, so the caller's variable may change or vanish
 * right after (the classic bug is passing &loop_variable).
 *
 * EXPECT: ^Hello Alice from Thread-[0-9]+ \(greet\)$
 * EXPECT: ^Thread-1: 4 \(running in WorkerThread\)$
 * EXPECT: ^MainThread ident [1-9][0-9]*$
 * EXPECT: ^idents distinct: yes$
 */
#include <cthreading.h>
#include <stdio.h>

static int greet(void *arg) {
    printf("Hello %s from %s\n", (const char *)arg,
           ct_thread_name(ct_thread_current()));
    return 0;
}

struct worker_args {
    const char *name;
    int count;
};

static int worker(void *arg) {
    const struct worker_args *a = arg; /* the thread's own copy */
    for (int i = 0; i < a->count; i++)
        printf("%s: %d (running in %s)\n", a->name, i,
               ct_thread_name(ct_thread_current()));
    return 0;
}

int main(void) {
    ct_thread *t = ct_thread_new(greet, "Alice"); /* a literal lives forever */

    struct worker_args args = {"Thread-1", 5};
    ct_thread *w =
        ct_thread_new_copy(worker, &args, sizeof args, .name = "WorkerThread");
    args.count = 0; /* does not affect the copy the thread got */

    /* Both exist at once until joined, so their idents differ (the OS may
     * reuse the ident of a thread that was joined). */
    ct_thread_start(t);
    ct_thread_start(w);
    ct_thread_join(t, CT_FOREVER);
    ct_thread_join(w, CT_FOREVER);

    ct_thread *current = ct_thread_current();
    printf("%s ident %lu\n", ct_thread_name(current), ct_thread_ident(current));
    unsigned long a = ct_thread_ident(t), b = ct_thread_ident(w),
                  m = ct_thread_ident(current);
    printf("greet ident %lu, worker ident %lu\n", a, b);
    printf("idents distinct: %s\n",
           a && b && a != b && a != m && b != m ? "yes" : "no");
    ct_thread_free(t);
    ct_thread_free(w);
    return 0;
}
