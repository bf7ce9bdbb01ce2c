/* The exception hook (threading.excepthook).
 *
 * The hook and its context are one pair, replaced together under a word
 * lock and read together by the failing thread, so a report never mixes
 * one hook with another's context. The lock is not held while the hook
 * runs. A hook that fails is reported on stderr and never called for its
 * own failure, so a broken hook cannot recurse.
 */
#include "internal.h"

#include <stdio.h>
#include <unistd.h>

static _Atomic uint32_t hook_lock;
static ct_excepthook_fn hook_fn; /* hook_lock; NULL: the default */
static void *hook_ctx;           /* hook_lock */

int ct_thread_default_excepthook(const ct_exception *exc, ct_thread *thread,
                                 void *ctx) {
    (void)thread;
    (void)ctx;
    ct_exception_print(exc);
    return 0;
}

int ct_thread_set_excepthook(ct_excepthook_fn fn, void *ctx) {
    ct__word_lock(&hook_lock);
    hook_fn = fn;
    hook_ctx = fn ? ctx : NULL;
    ct__word_unlock(&hook_lock);
    return 0;
}

ct_excepthook_fn ct_thread_get_excepthook(void **ctx) {
    ct__word_lock(&hook_lock);
    ct_excepthook_fn fn = hook_fn ? hook_fn : ct_thread_default_excepthook;
    if (ctx)
        *ctx = hook_ctx;
    ct__word_unlock(&hook_lock);
    return fn;
}

/* A fork while another thread swaps the hook must not leave the child
 * with a lock nobody will release. */
static void fork_prepare(void) {
    ct__word_lock(&hook_lock);
}
static void fork_parent(void) {
    ct__word_unlock(&hook_lock);
}
static void fork_child(void) {
    atomic_store_explicit(&hook_lock, 0, memory_order_relaxed);
}

__attribute__((constructor)) static void excepthook_init(void) {
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void ct__excepthook_report(const ct_exception *exc, ct_thread *t) {
    void *ctx;
    ct_excepthook_fn fn = ct_thread_get_excepthook(&ctx);
    int rc = fn(exc, t, ctx);
    if (rc >= 0)
        return;
    ct_exception failed;
    ct__exception_take(rc, &failed);
    char buf[CT_EXC_MESSAGE_MAX + 128];
    int n = snprintf(buf, sizeof buf,
                     "Exception in threading.excepthook:\n%s: %s\n",
                     ct_exception_type(failed.code), failed.message);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n); /* one write */
    (void)w;
}
