/* Version and machine facts. */
#include "internal.h"

#include <sched.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

const char *ct_version(void) {
    return CT_VERSION_STRING;
}

int ct_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

bool ct__multi_cpu(void) {
    static _Atomic int multi = -1; /* unknown yet */
    /* relaxed: a cached, idempotent answer */
    int m = atomic_load_explicit(&multi, memory_order_relaxed);
    if (CT_UNLIKELY(m < 0)) {
        /* The main thread's CPUs (taskset, a container's cpuset): every
         * thread inherits them, and a thread that pins itself later does
         * not change them. */
        cpu_set_t set;
        long n = sched_getaffinity(getpid(), sizeof set, &set) == 0
                     ? CPU_COUNT(&set)
                     : sysconf(_SC_NPROCESSORS_ONLN);
        m = n > 1;
        atomic_store_explicit(&multi, m, memory_order_relaxed);
    }
    return m;
}

bool ct__can_prefetch_write(void) {
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int can = -1; /* unknown yet */
    /* relaxed: a cached, idempotent answer (CPUID traps in a VM) */
    int c = atomic_load_explicit(&can, memory_order_relaxed);
    if (CT_UNLIKELY(c < 0)) {
        /* CPUID 0x80000001 ECX bit 8: PREFETCHW (AMD's 3DNowPrefetch,
         * Intel's PRFCHW; Intel CPUs before Broadwell lack it). */
        unsigned a, b, ecx, d;
        c = __get_cpuid(0x80000001, &a, &b, &ecx, &d) && (ecx & (1u << 8));
        atomic_store_explicit(&can, c, memory_order_relaxed);
    }
    return c;
#else
    return false; /* measured on x86 only */
#endif
}

void ct_cpu_relax(void) {
    ct__relax();
}
