/* src/core/membarrier.c - the asymmetric fence (see internal.h). */
#include "internal.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
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
    /* Cannot fail once registered (ct__heavy_barrier_ready). The
     * compiler must not move memory accesses across it either. */
    atomic_signal_fence(memory_order_seq_cst);
    (void)membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    atomic_signal_fence(memory_order_seq_cst);
}
