/* src/core/membarrier.c - the asymmetric fence (see internal.h). */
#include "internal.h"

#include <linux/membarrier.h>
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

void ct__heavy_barrier(void) {
    /* The compiler must not move memory accesses across it either. */
    atomic_signal_fence(memory_order_seq_cst);
    /* Once registered it fails only for want of kernel memory (a CPU
     * mask on some configurations): never go on without the fence, the
     * callers' correctness rests on it; wait and try again. */
    while (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    atomic_signal_fence(memory_order_seq_cst);
}
