/* Allocation hooks: one allocator for the whole library, and the harness
 * that fails each allocation site in turn. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"
#include <cmocka.h>
#include <cthreading.h>

#include "allocfail.h"

static int calls;
static void *my_alloc(void *ctx, size_t n) {
    (*(int *)ctx)++;
    return malloc(n);
}
static void *my_realloc(void *ctx, void *p, size_t n) {
    (*(int *)ctx)++;
    return realloc(p, n);
}
static void my_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

static void test_set_allocator_rejects_incomplete(void **state) {
    (void)state;
    ct_allocator a = {my_alloc, NULL, my_free, &calls};
    assert_int_equal(ct_set_allocator(&a), CT_EINVAL);
    a = (ct_allocator){NULL, my_realloc, my_free, &calls};
    assert_int_equal(ct_set_allocator(&a), CT_EINVAL);
    a = (ct_allocator){my_alloc, my_realloc, NULL, &calls};
    assert_int_equal(ct_set_allocator(&a), CT_EINVAL);
}

static void test_internal_allocations_go_through_the_hook(void **state) {
    (void)state;
    calls = 0;
    ct_allocator a = {my_alloc, my_realloc, my_free, &calls};
    assert_int_equal(ct_set_allocator(&a), 0);
    ct_allocator got;
    ct_get_allocator(&got);
    assert_ptr_equal(got.alloc, my_alloc);
    char *p = ct__alloc(16);
    p = ct__realloc(p, 64);
    int *z = ct__calloc(8, sizeof *z);
    for (int i = 0; i < 8; i++)
        assert_int_equal(z[i], 0);
    ct__free(p);
    ct__free(z);
    ct__free(NULL);
    assert_int_equal(calls, 3);
    assert_int_equal(ct_set_allocator(NULL), 0);
    ct_get_allocator(&got);
    assert_ptr_not_equal(got.alloc, my_alloc);
}

static void test_calloc_overflow_is_null(void **state) {
    (void)state;
    assert_null(ct__calloc(SIZE_MAX / 2, 4));
}

/* An allocator whose blocks start `*ctx` bytes past malloc's: misaligned
 * on purpose, and its free fails loudly (ASan, glibc) if handed anything
 * but what it returned. */
static void *off_alloc(void *ctx, size_t n) {
    size_t off = *(size_t *)ctx;
    unsigned char *p = malloc(n + off);
    return p ? p + off : NULL;
}
static void *off_realloc(void *ctx, void *p, size_t n) {
    (void)ctx, (void)p, (void)n;
    return NULL; /* not used by ct__calloc_lines */
}
static void off_free(void *ctx, void *p) {
    if (p)
        free((unsigned char *)p - *(size_t *)ctx);
}

/* ct__calloc_lines: line-aligned, zeroed whole lines, whatever the
 * allocator's alignment; ct__free_lines hands back the block it got. */
static void test_calloc_lines_aligns_any_allocator(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 63, 64, 65, 700, 4096};
    /* every offset mod a line, so the block that needs all the slack
     * (raw at 57 mod 64) is among them */
    for (size_t off = 0; off < CT__LINE + 8; off++) {
        ct_allocator a = {off_alloc, off_realloc, off_free, &off};
        assert_int_equal(ct_set_allocator(&a), 0);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            unsigned char *p = ct__calloc_lines(sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % CT__LINE, 0);
            size_t whole = (sizes[i] + CT__LINE - 1) / CT__LINE * CT__LINE;
            for (size_t k = 0; k < whole; k++) /* all of it is ours */
                assert_int_equal(p[k], 0);
            memset(p, 0xa5, whole);
            ct__free_lines(p);
        }
        ct__free_lines(NULL);
    }
    assert_int_equal(ct_set_allocator(NULL), 0);
    assert_null(ct__calloc_lines(SIZE_MAX));
    assert_null(ct__calloc_lines(SIZE_MAX - CT__LINE));
}

/* A scenario with three allocation sites that unwinds correctly. */
struct three {
    void *a, *b, *c;
    int observable;
};

static int make_three(void *p) {
    struct three *t = p;
    void *a = ct__alloc(10), *b = NULL, *c = NULL;
    if (!a)
        goto fail;
    if (!(b = ct__alloc(20)))
        goto fail;
    if (!(c = ct__calloc(3, 10)))
        goto fail;
    t->observable++;
    t->observable--; /* state restored: success leaves it unchanged too */
    ct__free(c);
    ct__free(b);
    ct__free(a);
    return 0;
fail:
    ct__free(b);
    ct__free(a);
    return CT_ENOMEM;
}

static void three_unchanged(void *p) {
    assert_int_equal(((struct three *)p)->observable, 0);
}

static int make_three_plain(void *p) {
    (void)p;
    struct three t = {0};
    return make_three(&t);
}

static void run_harness_in_child(void **state) {
    int (*run)(void *) = (int (*)(void *)) * state;
    ct_test_alloc_failures(run, NULL, NULL);
}

static void test_harness_fails_each_site_in_turn(void **state) {
    (void)state;
    struct three t = {0};
    assert_int_equal(ct_test_alloc_failures(make_three, three_unchanged, &t),
                     3);
}

/* The harness itself must be able to fail: a scenario that leaks on its
 * error path, and one that hides CT_ENOMEM, are both caught (in a child,
 * since cmocka's failure ends the test). */
static int leaks_on_failure(void *p) {
    (void)p;
    void *a = ct__alloc(8);
    if (!a)
        return CT_ENOMEM;
    void *b = ct__alloc(8);
    if (!b)
        return CT_ENOMEM; /* forgets to free a */
    ct__free(b);
    ct__free(a);
    return 0;
}

static int swallows_failure(void *p) {
    (void)p;
    void *a = ct__alloc(8);
    ct__free(a);
    return 0; /* reports success although the allocation failed */
}

static int child_harness(int (*run)(void *)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        const struct CMUnitTest t[] = {cmocka_unit_test_prestate(
            (void (*)(void **))(void *)run_harness_in_child, (void *)run)};
        _exit(cmocka_run_group_tests(t, NULL, NULL) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_harness_catches_leak_and_swallowed_error(void **state) {
    (void)state;
    assert_int_equal(child_harness(leaks_on_failure), 1);
    assert_int_equal(child_harness(swallows_failure), 1);
    assert_int_equal(child_harness(make_three_plain), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_allocator_rejects_incomplete),
        cmocka_unit_test(test_internal_allocations_go_through_the_hook),
        cmocka_unit_test(test_calloc_overflow_is_null),
        cmocka_unit_test(test_calloc_lines_aligns_any_allocator),
        cmocka_unit_test(test_harness_fails_each_site_in_turn),
        cmocka_unit_test(test_harness_catches_leak_and_swallowed_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
