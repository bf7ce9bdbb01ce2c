/* 10 - Exceptions in threads: the exception hook and the thread's result.
 *
 * Python (seed guide 000 "Real-World & Best Practices": exception handling
 * in threads; threading.excepthook):
 *
 *     def parse(item):
 *         if item < 0: raise ValueError(f"item {item} is negative")
 *     threading.Thread(target=parse, args=(-4,)).start()
 *     # stderr: Exception in thread Thread-1 (parse): ... ValueError: ...
 *     threading.excepthook = my_hook      # to log failures your way
 *
 * A target fails by returning a negative code; ct_raise attaches the
 * message. The default hook prints Python's report to stderr; a custom
 * hook receives the exception and the thread. The failure also stays in
 * the thread object, for whoever joins it.
 *
 * EXPECT: ^Exception in thread parser-1:$
 * EXPECT: ^ValueError: item -4 is negative$
 * EXPECT: ^my hook: parser-2 failed with CT_EVALUE: item -7 is negative$
 * EXPECT: ^after join: result CT_EVALUE, message "item -7 is negative"$
 */
#include <cthreading.h>
#include <stdio.h>

static int parse(void *arg) {
    int item = *(const int *)arg;
    if (item < 0)
        return ct_raise(CT_EVALUE, "item %d is negative", item);
    return item;
}

static int my_hook(const ct_exception *e, ct_thread *t, void *ctx) {
    (void)ctx;
    printf("my hook: %s failed with %s: %s\n", ct_thread_name(t),
           ct_errname(e->code), e->message);
    return 0;
}

static ct_thread *run(int item, const char *name) {
    ct_thread *t = ct_thread_new_copy(parse, &item, sizeof item, .name = name);
    ct_thread_start(t);
    ct_thread_join(t, CT_FOREVER);
    return t;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);    /* keep stdout and stderr in order */
    ct_thread_free(run(-4, "parser-1")); /* default hook: stderr */

    ct_thread_set_excepthook(my_hook, NULL);
    ct_thread *t = run(-7, "parser-2");
    ct_exception e;
    if (ct_thread_exception(t, &e))
        printf("after join: result %s, message \"%s\"\n",
               ct_errname(ct_thread_result(t)), e.message);
    ct_thread_free(t);
    ct_thread_set_excepthook(NULL, NULL); /* back to the default */
    return 0;
}
