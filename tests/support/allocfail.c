#include "allocfail.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <cthreading/core.h>

static atomic_long calls, live, fail_at, failed;

static void *counting_alloc(void *ctx, size_t n) {
    (void)ctx;
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == atomic_load(&fail_at)) {
        atomic_fetch_add(&failed, 1);
        return NULL;
    }
    void *p = malloc(n);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

static void *counting_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == atomic_load(&fail_at)) {
        atomic_fetch_add(&failed, 1);
        return NULL;
    }
    void *q = realloc(p, n);
    if (q && !p)
        atomic_fetch_add(&live, 1);
    return q;
}

static void counting_free(void *ctx, void *p) {
    (void)ctx;
    if (p) {
        atomic_fetch_sub(&live, 1);
        free(p);
    }
}

long ct_test_alloc_count(void) { return atomic_load(&calls); }
long ct_test_alloc_live(void) { return atomic_load(&live); }

int ct_test_alloc_failures(int (*run)(void *ctx), void (*verify)(void *ctx),
                           void *ctx) {
    ct_allocator a = {counting_alloc, counting_realloc, counting_free, NULL};
    int sites = 0;
    for (long k = 1;; k++) {
        atomic_store(&calls, 0);
        atomic_store(&live, 0);
        atomic_store(&failed, 0);
        atomic_store(&fail_at, k);
        assert_int_equal(ct_set_allocator(&a), 0);
        int rc = run(ctx);
        long made = atomic_load(&calls);
        long left = atomic_load(&live);
        ct_set_allocator(NULL);
        if (atomic_load(&failed) == 0) {
            assert_true(made < k);
            assert_int_equal(rc, 0);
            assert_int_equal(left, 0);
            return sites;
        }
        sites++;
        if (rc != CT_ENOMEM)
            fail_msg("allocation %ld failed but run() returned %d (%s)", k,
                     rc, ct_errname(rc));
        if (left != 0)
            fail_msg("allocation %ld failed and %ld allocations leaked", k,
                     left);
        if (verify)
            verify(ctx);
    }
}
