/* Timer (threading.Timer): a thread whose target waits `interval`
 * seconds on a word, then calls the user's function unless cancelled.
 *
 *   word  0 pending -> 1 cancelled   (ct_timer_cancel, then wakes word)
 *         0 pending -> 2 fired       (the timer thread, at the deadline)
 *
 * Both transitions are compare-and-swaps from 0, so exactly one wins: a
 * cancel that returns 1 guarantees the function never runs, and a cancel
 * after the timer fired changes nothing. The timer thread parks on the
 * word with the deadline, so a cancel wakes it at once.
 */
#include "internal.h"

static int timer_main(void *arg) {
    struct ct__timer *tm = arg;
    ct_deadline d;
    ct_deadline_init(&d, tm->interval, CT_NEG_EXPIRED);
    for (;;) {
        if (atomic_load_explicit(&tm->word, memory_order_acquire) != 0)
            return 0; /* cancelled */
        if (ct_park_wait(&tm->word, 0, &d, CT_PARK_NOSPIN) != CT_ETIMEDOUT)
            continue;
        uint32_t pending = 0;
        if (!atomic_compare_exchange_strong_explicit(&tm->word, &pending, 2,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire))
            return 0; /* cancelled at the last moment */
        return tm->fn(tm->arg);
    }
}

int ct_timer_create(ct_thread **out, double interval, ct_thread_fn fn,
                    void *arg, const ct_thread_options *opts) {
    if (out)
        *out = NULL;
    if (!out || !fn || isnan(interval))
        return CT_EINVAL;
    struct ct__timer tm = {.interval = interval, .fn = fn, .arg = arg};
    int rc = ct__thread_make(out, timer_main, NULL, &tm, sizeof tm, opts);
    if (rc == 0)
        (*out)->kind = KIND_TIMER;
    return rc;
}

ct_thread *ct_timer_new_with(double interval, ct_thread_fn fn, void *arg,
                             const ct_thread_options *opts) {
    ct_thread *t;
    return ct_timer_create(&t, interval, fn, arg, opts) == 0 ? t : NULL;
}

int ct_timer_cancel(ct_thread *t) {
    if (!t || t->kind != KIND_TIMER)
        return CT_EINVAL;
    struct ct__timer *tm = (struct ct__timer *)(void *)t->copy;
    uint32_t pending = 0;
    if (!atomic_compare_exchange_strong_explicit(
            &tm->word, &pending, 1, memory_order_acq_rel, memory_order_acquire))
        return 0;
    ct_park_wake(&tm->word, 1, 0);
    return 1;
}
