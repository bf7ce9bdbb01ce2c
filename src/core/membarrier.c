/* src/core/membarrier.c - the asymmetric fence (see internal.h). */
#include "internal.h"
#include "rseq.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long membarrier(int cmd) {
    return syscall(SYS_membarrier, cmd, 0, 0);
}

bool ct__heavy_barrier_ready(void) {
    static _Atomic int ready = -1; /* unknown yet */
    /* relaxed: a cached, idempotent answer (registering twice is fine) */
    int r = atomic_load_explicit(&ready, memory_order_relaxed);
    if (CT_UNLIKELY(r < 0)) {
        long cmds = membarrier(MEMBARRIER_CMD_QUERY);
        r = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
            membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
        atomic_store_explicit(&ready, r, memory_order_relaxed);
    }
    return r;
}

/* A registered membarrier command. Once registered it fails only for
 * want of kernel memory (a CPU mask on some configurations): never go on
 * without the fence, the callers' correctness rests on it; wait and try
 * again. The compiler must not move memory accesses across it either. */
static void fence(int cmd) {
    atomic_signal_fence(memory_order_seq_cst);
    while (membarrier(cmd) != 0) {
        /* no cancellation in the wait: a caller may be in the middle of
         * a change that other threads wait for (a ring side's owner) */
        int old;
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        pthread_setcancelstate(old, NULL);
    }
    atomic_signal_fence(memory_order_seq_cst);
}

void ct__heavy_barrier(void) {
    fence(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

/* Restartable sequences (rseq.h). */
#if CT__HAVE_RSEQ
_Atomic ptrdiff_t ct__rseq_off;
#endif

bool ct__rseq_ready(void) {
    static _Atomic int ready = -1; /* unknown yet */
    /* relaxed: a cached, idempotent answer (registering twice is fine) */
    /* acquire: ct__rseq_off, stored before */
    int r = atomic_load_explicit(&ready, memory_order_acquire);
    if (CT_UNLIKELY(r < 0)) {
        r = 0;
#if CT__HAVE_RSEQ
        long cmds = membarrier(MEMBARRIER_CMD_QUERY);
        if (__rseq_size >= 20 && cmds > 0 &&
            (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) &&
            membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ) == 0) {
            atomic_store_explicit(&ct__rseq_off, __rseq_offset,
                                  memory_order_relaxed);
            r = 1;
        }
#endif
        atomic_store_explicit(&ready, r, memory_order_release);
    }
    return r;
}

bool ct__rseq_self_ok(void) {
#if CT__HAVE_RSEQ
    char *tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    const struct rseq *rs = (const struct rseq *)(tp + __rseq_offset);
    return __rseq_size >= 20 && (int32_t)rs->cpu_id >= 0;
#else
    return false;
#endif
}

void ct__rseq_fence(void) {
#if CT__HAVE_RSEQ
    fence(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ);
#else
    ct__heavy_barrier(); /* never called: no side is owned without rseq */
#endif
}
