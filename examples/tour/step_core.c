/* Tour, level 0: the core every primitive stands on. */
#include "tour.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

static int fail_politely(int n) {
    if (n < 0)
        return ct_raise(CT_EVALUE, "count must be >= 0, got %d", n);
    return 0;
}

struct pingpong {
    _Atomic uint32_t word;
    long rounds;
};

static void *pong(void *p) {
    struct pingpong *pp = p;
    for (long i = 0; i < pp->rounds; i++) {
        uint32_t odd = (uint32_t)(2 * i + 1);
        while (atomic_load(&pp->word) != odd)
            ct_park_wait(&pp->word, odd - 1, NULL, 0);
        atomic_store(&pp->word, odd + 1);
        ct_park_wake(&pp->word, 1, 0);
    }
    return NULL;
}

int tour_core(bool quick) {
    int bad = 0;
    TOUR_STEP("core", "errors are Python's exceptions as codes");
    int rc = fail_politely(-3);
    ct_exception e;
    ct_exception_current(&e);
    printf("   fail_politely(-3) -> %d %s (%s): %s\n", rc, ct_errname(rc),
           ct_exception_type(rc), e.message);
    ct_exception_clear();
    TOUR_FAIL_IF(bad, rc != CT_EVALUE);

    TOUR_STEP("core", "deadlines: double seconds in, CLOCK_MONOTONIC inside");
    ct_deadline d;
    printf("   timeout NaN      -> %s\n",
           ct_errname(ct_deadline_init(&d, NAN, CT_NEG_REJECT)));
    printf("   timeout -1 (Lock rule)  -> %s\n",
           ct_errname(ct_deadline_init(&d, -1, CT_NEG_REJECT)));
    ct_deadline_init(&d, -1, CT_NEG_EXPIRED);
    printf("   timeout -1 (Event rule) -> expired=%d\n",
           ct_deadline_expired(&d));
    _Atomic uint32_t word = 0;
    double t0 = ct_monotonic();
    ct_deadline_init(&d, 0.05, CT_NEG_REJECT);
    while ((rc = ct_park_wait(&word, 0, &d, 0)) == 0)
        ;
    double waited = ct_monotonic() - t0;
    printf("   park with a 50 ms deadline -> %s after %.1f ms\n",
           ct_errname(rc), waited * 1e3);
    TOUR_FAIL_IF(bad, rc != CT_ETIMEDOUT || waited < 0.05);

    TOUR_STEP("core", "parking: two threads hand a word back and forth");
    struct pingpong pp = {0, quick ? 20000 : 200000};
    pthread_t t;
    t0 = ct_monotonic();
    pthread_create(&t, NULL, pong, &pp);
    for (long i = 0; i < pp.rounds; i++) {
        uint32_t even = (uint32_t)(2 * i);
        while (atomic_load(&pp.word) != even)
            ct_park_wait(&pp.word, even - 1, NULL, 0);
        atomic_store(&pp.word, even + 1);
        ct_park_wake(&pp.word, 1, 0);
    }
    uint32_t last = (uint32_t)(2 * pp.rounds);
    while (atomic_load(&pp.word) != last)
        ct_park_wait(&pp.word, last - 1, NULL, 0);
    pthread_join(t, NULL);
    double dt = ct_monotonic() - t0;
    printf("   %ld round trips in %.3f s: %.2f us each, final word %u\n",
           pp.rounds, dt, dt / (double)pp.rounds * 1e6,
           (unsigned)atomic_load(&pp.word));
    TOUR_FAIL_IF(bad, atomic_load(&pp.word) != last);
    return bad;
}
