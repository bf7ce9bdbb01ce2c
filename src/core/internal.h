/* src/core/internal.h - what the library shares with itself (never
 * installed). Every layer includes it; names are ct__ and hidden. */
#ifndef CT_CORE_INTERNAL_H
#define CT_CORE_INTERNAL_H

#include "cthreading/core.h"

#define CT_LIKELY(x) __builtin_expect(!!(x), 1)
#define CT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CT_COLD __attribute__((cold, noinline))
#define CT_NOINLINE __attribute__((noinline))
#define CT_ALWAYS_INLINE inline __attribute__((always_inline))
#define CT_HIDDEN __attribute__((visibility("hidden")))

/* A spin-loop hint, inlined (ct_cpu_relax is the exported form). */
static inline void ct__relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Ask for the cache line holding p in a state this core can write to at
 * once (x86 PREFETCHW): a hint, with no effect on memory or ordering.
 * Call it only where ct__can_prefetch_write() said yes: on an x86 CPU
 * without PREFETCHW the instruction does not exist. Elsewhere a no-op
 * (ct__can_prefetch_write() says no: nothing measured there yet). */
static inline void ct__prefetch_write(const void *p) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__("prefetchw %0" : : "m"(*(const char *)p));
#else
    (void)p;
#endif
}
CT_HIDDEN bool ct__can_prefetch_write(void);

/* Allocation: every internal allocation goes through these. */
CT_HIDDEN void *ct__alloc(size_t size);
CT_HIDDEN void *ct__calloc(size_t n, size_t size); /* zeroed, overflow-safe */
CT_HIDDEN void *ct__realloc(void *p, size_t size);
CT_HIDDEN void ct__free(void *p);

/* The cache line size the layouts assume (x86-64, most Arm cores). */
#define CT__LINE 64
/* Zeroed memory of `size` bytes rounded up to whole cache lines, starting
 * on a line: no line of it is shared with other heap data. Through the
 * same allocator (a user's allocator need not align); NULL on failure or
 * overflow. Free it with ct__free_lines, never ct__free. */
CT_HIDDEN void *ct__calloc_lines(size_t size);
CT_HIDDEN void ct__free_lines(void *p);

/* The calling thread's name as the core layer knows it (used by
 * ct_raise). The thread layer sets it; for a thread it never saw, the OS
 * name is used. `name` is copied (truncated to CT_NAME_MAX - 1). */
CT_HIDDEN void ct__set_current_name(const char *name);
CT_HIDDEN void ct__current_name(char out[CT_NAME_MAX]);

/* Copy the calling thread's pending exception into *out and clear it;
 * if none is pending, fill *out from `code` (message: ct_strerror).
 * Whoever runs user code (thread start, executor task) calls
 * ct_exception_clear() before it, so a stale exception raised and handled
 * in an earlier task is never reported for a later one. */
CT_HIDDEN void ct__exception_take(int code, ct_exception *out);

/* True if the process may run on more than one CPU: the main thread's
 * affinity (what taskset or a cpuset gave the process; not the caller's,
 * which may be narrower), cached on first use. Spinning waits spin only
 * then. */
CT_HIDDEN bool ct__multi_cpu(void);

/* The asymmetric fence (Linux membarrier, private expedited): on return,
 * every other running thread of the process has executed a full memory
 * barrier (a thread that was not running did so as it was switched
 * out). So a hot path can order its plain store before a later load
 * with no fence of its own, as long as the cold side calls
 * ct__heavy_barrier() between its own store and load (Dekker's pattern,
 * the fence moved to one side). ct__heavy_barrier_ready() registers the
 * process once and says whether the kernel offers it; call
 * ct__heavy_barrier() only where it said yes. Cost here: ~0.3 us alone,
 * ~1 us with another thread running (an interrupt to its CPU). */
CT_HIDDEN bool ct__heavy_barrier_ready(void);
CT_HIDDEN void ct__heavy_barrier(void);

/* Monotonic "now" in nanoseconds (the clock every deadline uses). */
CT_HIDDEN int64_t ct__now_ns(void);

#endif
