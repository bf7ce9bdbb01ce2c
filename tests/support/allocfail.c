#include "allocfail.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <cthreading/core.h>

/* Every pointer the counting allocator hands out is remembered, so a free
 * of memory allocated before the harness started (a lazily created
 * process-wide object, say) is told apart from the free of a pointer the
 * scenario made, and cannot cancel a real leak out. */
enum { SLOTS = 1 << 16 };
static void *table[SLOTS];
static long live;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_long calls, fail_at, failed;

static size_t slot_of(void *p) {
    return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 48;
}

static void remember(void *p) {
    pthread_mutex_lock(&mu);
    size_t i = slot_of(p);
    while (table[i])
        i = (i + 1) & (SLOTS - 1);
    table[i] = p;
    live++;
    pthread_mutex_unlock(&mu);
}

/* Forget p; true if it was ours. Backward-shift deletion keeps probe
 * chains intact. */
static bool forget(void *p) {
    pthread_mutex_lock(&mu);
    size_t i = slot_of(p);
    while (table[i] && table[i] != p)
        i = (i + 1) & (SLOTS - 1);
    bool ours = table[i] == p;
    if (ours) {
        live--;
        table[i] = NULL;
        for (size_t j = (i + 1) & (SLOTS - 1); table[j];
             j = (j + 1) & (SLOTS - 1)) {
            size_t home = slot_of(table[j]);
            /* move table[j] back if its home is not in (i, j] */
            if ((j > i && (home <= i || home > j)) ||
                (j < i && (home <= i && home > j))) {
                table[i] = table[j];
                table[j] = NULL;
                i = j;
            }
        }
    }
    pthread_mutex_unlock(&mu);
    return ours;
}

static bool next_fails(void) {
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == atomic_load(&fail_at)) {
        atomic_fetch_add(&failed, 1);
        return true;
    }
    return false;
}

static void *counting_alloc(void *ctx, size_t n) {
    (void)ctx;
    if (next_fails())
        return NULL;
    void *p = malloc(n);
    if (p)
        remember(p);
    return p;
}

static void *counting_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (next_fails())
        return NULL;
    bool ours = p ? forget(p) : true;
    void *q = realloc(p, n);
    if (q && ours)
        remember(q);
    else if (!q && p && ours)
        remember(p); /* realloc failed: p is still live */
    return q;
}

static void counting_free(void *ctx, void *p) {
    (void)ctx;
    if (p) {
        forget(p);
        free(p);
    }
}

long ct_test_alloc_count(void) {
    return atomic_load(&calls);
}
long ct_test_alloc_live(void) {
    pthread_mutex_lock(&mu);
    long n = live;
    pthread_mutex_unlock(&mu);
    return n;
}

static void reset(long k) {
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < SLOTS; i++)
        table[i] = NULL;
    live = 0;
    pthread_mutex_unlock(&mu);
    atomic_store(&calls, 0);
    atomic_store(&failed, 0);
    atomic_store(&fail_at, k);
}

int ct_test_alloc_failures(int (*run)(void *ctx), void (*verify)(void *ctx),
                           void *ctx) {
    /* Warm-up with the default allocator: process-lifetime objects the
     * library creates lazily (a registry entry for this thread, say) are
     * made now and are neither counted as leaks nor shift the sites. */
    assert_int_equal(run(ctx), 0);
    if (verify)
        verify(ctx);

    ct_allocator a = {counting_alloc, counting_realloc, counting_free, NULL};
    int sites = 0;
    for (long k = 1;; k++) {
        reset(k);
        assert_int_equal(ct_set_allocator(&a), 0);
        int rc = run(ctx);
        long made = atomic_load(&calls);
        long left = ct_test_alloc_live();
        ct_set_allocator(NULL);
        if (atomic_load(&failed) == 0) {
            assert_true(made < k);
            assert_int_equal(rc, 0);
            if (left != 0)
                fail_msg("clean run leaked %ld allocations", left);
            reset(0);
            return sites;
        }
        sites++;
        if (rc != CT_ENOMEM)
            fail_msg("allocation %ld failed but run() returned %d (%s)", k, rc,
                     ct_errname(rc));
        if (left != 0)
            fail_msg("allocation %ld failed and %ld allocations leaked", k,
                     left);
        if (verify)
            verify(ctx);
    }
}
