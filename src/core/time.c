/* Time and deadlines. Every wait in the library turns its relative
 * timeout into an absolute CLOCK_MONOTONIC deadline once, at entry, and
 * carries it across wake-ups; the futex sleeps against that same clock
 * (FUTEX_WAIT_BITSET takes an absolute monotonic time). */
#include "internal.h"

#include <errno.h>
#include <time.h>

int64_t ct__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double ct_monotonic(void) {
    return (double)ct__now_ns() / 1e9;
}

int64_t ct_monotonic_ns(void) {
    return ct__now_ns();
}

int ct_deadline_init(ct_deadline *out, double timeout, ct_negative_rule rule) {
    if (!out || isnan(timeout))
        return CT_EINVAL;
    if (rule != CT_NEG_REJECT && rule != CT_NEG_EXPIRED)
        return CT_EINVAL;
    if (timeout < 0) {
        if (rule == CT_NEG_REJECT)
            return CT_EVALUE;
        timeout = 0;
    }
    int64_t now = ct__now_ns();
    /* Round up, as Python does: a positive timeout never becomes 0. */
    double ns = ceil(timeout * 1e9);
    /* Anything that would not fit before INT64_MAX (about 292 years of
     * uptime), +inf included, is "never". The margin covers the rounding
     * of doubles near 2^63 (their spacing is 2048). */
    if (ns >= (double)(INT64_MAX - now) - 4096.0) {
        out->ns = INT64_MAX;
        return 0;
    }
    out->ns = now + (int64_t)ns;
    return 0;
}

double ct_deadline_remaining(const ct_deadline *d) {
    if (ct_deadline_is_never(d))
        return CT_FOREVER;
    int64_t now = ct__now_ns();
    /* A caller-built deadline may be far in the past: no overflow. */
    if (d->ns <= now)
        return 0.0;
    return (double)(d->ns - now) / 1e9;
}

bool ct_deadline_expired(const ct_deadline *d) {
    return !ct_deadline_is_never(d) && ct__now_ns() >= d->ns;
}

int ct_sleep(double seconds) {
    if (isnan(seconds))
        return CT_EINVAL;
    if (seconds < 0)
        return CT_EVALUE;
    if (seconds == 0)
        return 0;
    ct_deadline d;
    int rc = ct_deadline_init(&d, seconds, CT_NEG_EXPIRED);
    if (rc)
        return rc;
    if (ct_deadline_is_never(&d))
        return CT_EOVERFLOW; /* Python: OverflowError */
    struct timespec ts = {(time_t)(d.ns / 1000000000),
                          (long)(d.ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    return 0;
}
