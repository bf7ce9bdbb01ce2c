/* The parking layer on Linux: futex(2). The OS-specific part of parking;
 * a port replaces this file, and the thread layer's few Linux/glibc calls
 * (prctl(PR_SET_NAME), pthread_attr_setsigmask_np, pthread_tryjoin_np in
 * src/thread/thread.c).
 *
 *   wait(word, expected, deadline):  spin a little while *word == expected,
 *       then FUTEX_WAIT_BITSET, which sleeps only if *word still equals
 *       `expected` (checked by the kernel under its hash-bucket lock, so a
 *       wake between our load and the sleep is never lost) and wakes at
 *       the absolute CLOCK_MONOTONIC `deadline`.
 *   wake(word, n):  FUTEX_WAKE, at most n sleepers.
 *
 * Every return other than a timeout means "look again": callers re-read
 * their state word and loop, which absorbs EINTR, EAGAIN (the word had
 * already changed) and spurious wake-ups in one place.
 */
#include "internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Spin iterations before sleeping: long enough to cover a short critical
 * section on the other core (a sleeping hand-off costs ~15 us here),
 * short enough not to burn a time slice when the holder is preempted. */
enum { SPIN = 100 };

static long futex(_Atomic uint32_t *word, int op, uint32_t val,
                  const struct timespec *ts, _Atomic uint32_t *word2,
                  uint32_t val3) {
    return syscall(SYS_futex, word, op, val, ts, word2, val3);
}

static int bad(const _Atomic uint32_t *word, int flags) {
    return !word || ((uintptr_t)word & 3) ||
           (flags & ~(CT_PARK_SHARED | CT_PARK_NOSPIN));
}

static int private_bit(int flags) {
    return (flags & CT_PARK_SHARED) ? 0 : FUTEX_PRIVATE_FLAG;
}

int ct_park_wait(_Atomic uint32_t *word, uint32_t expected,
                 const ct_deadline *deadline, int flags) {
    if (bad(word, flags))
        return CT_EINVAL;
    bool never = !deadline || ct_deadline_is_never(deadline);
    if (!never && ct_deadline_expired(deadline))
        return CT_ETIMEDOUT;
    if (!(flags & CT_PARK_NOSPIN)) {
        for (int i = 0; i < SPIN; i++) {
            /* relaxed: only a hint; the caller re-reads with its own order */
            if (atomic_load_explicit(word, memory_order_relaxed) != expected)
                return 0;
            ct__relax();
        }
    }
    struct timespec ts, *tsp = NULL;
    if (!never) {
        ts.tv_sec = (time_t)(deadline->ns / 1000000000);
        ts.tv_nsec = (long)(deadline->ns % 1000000000);
        tsp = &ts;
    }
    long r = futex(word, FUTEX_WAIT_BITSET | private_bit(flags), expected, tsp,
                   NULL, FUTEX_BITSET_MATCH_ANY);
    if (r == 0)
        return 0; /* woken (or spurious) */
    switch (errno) {
    case EAGAIN: /* the word had already changed */
    case EINTR:  /* a signal: the caller re-checks and waits again */
        return 0;
    case ETIMEDOUT:
        return CT_ETIMEDOUT;
    default: /* EFAULT, EINVAL, ENOSYS...: never "look again" forever */
        return CT_EINVAL;
    }
}

int ct_park_wake(_Atomic uint32_t *word, int32_t n, int flags) {
    if (bad(word, flags) || n < 1)
        return CT_EINVAL;
    long r = futex(word, FUTEX_WAKE | private_bit(flags), (uint32_t)n, NULL,
                   NULL, 0);
    return r < 0 ? CT_EINVAL : (int)r;
}

int ct_park_requeue(_Atomic uint32_t *from, uint32_t expected, int32_t n_wake,
                    int32_t n_move, _Atomic uint32_t *to, int flags) {
    if (bad(from, flags) || bad(to, flags) || n_wake < 0 || n_move < 0)
        return CT_EINVAL;
    /* The 4th argument of FUTEX_CMP_REQUEUE is the move count, passed in
     * the timeout slot. */
    long r = syscall(SYS_futex, from, FUTEX_CMP_REQUEUE | private_bit(flags),
                     (uint32_t)n_wake, (unsigned long)n_move, to, expected);
    if (r < 0)
        return errno == EAGAIN ? CT_EAGAIN : CT_EINVAL;
    return (int)r;
}
