/* 25 - A thread-safe lazy singleton: ct_once.
 *
 * Python (seed guide 003 "Common Patterns - Thread-safe Singleton"):
 *
 *     class Singleton:
 *         _instance = None
 *         _lock = Lock()
 *         def __new__(cls):
 *             if cls._instance is None:          # unlocked first check
 *                 with cls._lock:
 *                     if cls._instance is None:
 *                         cls._instance = super().__new__(cls)
 *             return cls._instance
 *
 * In C that unlocked first check is a data race unless it is an atomic
 * acquire load paired with a release store; ct_once does exactly that
 * (one acquire load once initialised) and also retries if the
 * constructor fails.
 *
 * EXPECT: ^distinct instances seen: 1$
 * EXPECT: ^constructor calls: 1$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>
#include <stdlib.h>

enum { THREADS = 16 };

typedef struct config {
    int answer;
} config;

static ct_once once = CT_ONCE_INIT;
static config *instance;
static atomic_int constructor_calls;

static int construct(void *arg) {
    (void)arg;
    atomic_fetch_add(&constructor_calls, 1);
    config *c = malloc(sizeof *c);
    if (!c)
        return CT_ENOMEM; /* the next caller will try again */
    c->answer = 42;
    instance = c; /* published by ct_once (release) */
    return 0;
}

static config *get_instance(void) {
    return ct_once_call(&once, construct, NULL) == 0 ? instance : NULL;
}

static config *seen[THREADS];
static atomic_int ready;

static int worker(void *arg) {
    int i = *(int *)arg;
    atomic_fetch_add(&ready, 1); /* start together: they really race */
    while (atomic_load(&ready) < THREADS)
        ct_cpu_relax();
    seen[i] = get_instance();
    return 0;
}

int main(void) {
    ct_thread *t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        t[i] = ct_thread_new_copy(worker, &i, sizeof i);
        ct_thread_start(t[i]);
    }
    int distinct = 0;
    for (int i = 0; i < THREADS; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
        bool fresh = seen[i] != NULL;
        for (int j = 0; j < i; j++)
            fresh = fresh && seen[j] != seen[i];
        distinct += fresh;
    }
    printf("instance %p, answer %d\n", (void *)seen[0], seen[0]->answer);
    printf("distinct instances seen: %d\n", distinct);
    printf("constructor calls: %d\n", atomic_load(&constructor_calls));
    free(instance);
    return distinct == 1 && atomic_load(&constructor_calls) == 1 ? 0 : 1;
}
