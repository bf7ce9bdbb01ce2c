/* tests/support/proc.h - helpers for tests between processes. */
#ifndef CT_TEST_PROC_H
#define CT_TEST_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* An anonymous MAP_SHARED mapping of `size` bytes, zeroed, shared with
 * children forked after the call (asserts on failure). */
void *ct_test_shared_map(size_t size);

/* Fork a child that runs fn(arg) and exits with its result (the child
 * reports through its exit status, never through cmocka). */
pid_t ct_test_spawn(int (*fn)(void *), void *arg);

/* Reap `pid` and assert it exited normally with status 0. */
void ct_test_expect_child_ok(pid_t pid);

#endif
