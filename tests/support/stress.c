#include "stress.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

long ct_stress_scale(void) {
    const char *s = getenv("CT_STRESS");
    long v = s ? strtol(s, NULL, 10) : 1;
    return v >= 1 ? v : 1;
}

long ct_stress_iters(long base) {
    return base * ct_stress_scale();
}

struct run {
    void (*fn)(void *ctx, int index);
    void *ctx;
    atomic_int ready;
    atomic_int go;
};

struct slot {
    struct run *run;
    int index;
};

static void *trampoline(void *p) {
    struct slot *s = p;
    atomic_fetch_add(&s->run->ready, 1);
    while (!atomic_load(&s->run->go))
        ; /* start gate: spin so every thread starts together */
    s->run->fn(s->run->ctx, s->index);
    return NULL;
}

int ct_stress_run(int nthreads, void (*fn)(void *ctx, int index), void *ctx) {
    struct run run = {.fn = fn, .ctx = ctx};
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    struct slot *slots = calloc((size_t)nthreads, sizeof *slots);
    int started = 0, rc = 0;
    if (!tids || !slots) {
        rc = -1;
        goto out;
    }
    for (; started < nthreads; started++) {
        slots[started] = (struct slot){&run, started};
        if (pthread_create(&tids[started], NULL, trampoline, &slots[started]) !=
            0) {
            rc = -1;
            break;
        }
    }
    while (atomic_load(&run.ready) < started)
        sched_yield();
    atomic_store(&run.go, 1);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
out:
    free(tids);
    free(slots);
    return rc;
}
