/* src/core/rseq.h - a restartable compare-and-commit (internal).
 *
 * Linux restartable sequences: a thread registers an area (glibc 2.35+
 * does it for every thread it starts), and a critical section declared
 * through that area is aborted, before its last instruction (the commit),
 * whenever the thread is preempted, migrated or signalled, or when
 * another thread of the process runs membarrier(PRIVATE_EXPEDITED_RSEQ).
 * So a thread that changes a guard word and then runs that membarrier
 * (ct__rseq_fence) knows that no section which read the old guard value
 * can still commit: each one either committed before the fence returned
 * (and the fence made its store visible) or will restart and read the
 * new value. The ring (src/queue) claims positions this way, so that one
 * thread at a time can own a side and claim with a plain store, and the
 * ownership can pass between threads (ring.c's "Owners").
 *
 * The section here: if *guard == expect, *word == old and *check == want,
 * then *word = new (a plain store, or a CAS: ct__rseq_commit_cas), else
 * nothing. x86-64 with glibc's registration only; elsewhere
 * CT__HAVE_RSEQ is 0 and ct__rseq_ready() says no. */
#ifndef CT_CORE_RSEQ_H
#define CT_CORE_RSEQ_H

#include "internal.h"

#include <stdint.h>

/* (-DCT__HAVE_RSEQ=0 builds the portable form anywhere: a test of it;
 * only 0 can be forced) */
#ifndef CT__HAVE_RSEQ
#if defined(__x86_64__) && defined(__linux__) && defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#if defined(RSEQ_SIG) && RSEQ_SIG == 0x53053053 /* the value below */
#define CT__HAVE_RSEQ 1
#endif
#endif
#endif
#endif
#ifndef CT__HAVE_RSEQ
#define CT__HAVE_RSEQ 0
#endif

/* Outcome of a section (ct__rseq_commit_*): */
enum {
    CT__RSEQ_DONE = 0,  /* committed */
    CT__RSEQ_GUARD = 1, /* *guard != expect, or this thread has no rseq */
    CT__RSEQ_WORD = 2,  /* *word != old (store form only) */
    CT__RSEQ_CHECK = 3, /* *check != want */
    CT__RSEQ_ABORT = 4, /* aborted by the kernel: run it again */
    CT__RSEQ_LOST = 5   /* the CAS found *word != old (CAS form only) */
};

/* Whether the process can use the sections and the fence: the kernel
 * offers membarrier's rseq commands (registered here, once) and glibc
 * registered rseq areas (RSEQ_SIG known at build time). Cached. */
CT_HIDDEN bool ct__rseq_ready(void);
/* Whether the calling thread's rseq area is registered (a section of a
 * thread without one would never be aborted). */
CT_HIDDEN bool ct__rseq_self_ok(void);
/* membarrier(PRIVATE_EXPEDITED_RSEQ): on return, every section of the
 * process that was running has been aborted or had committed, and every
 * running thread executed a full memory barrier (only where
 * ct__rseq_ready() said yes). ~1-2 us with another thread running. */
CT_HIDDEN void ct__rseq_fence(void);

#if CT__HAVE_RSEQ
/* glibc's __rseq_offset, copied by ct__rseq_ready (one load, no GOT;
 * relaxed: every thread copies the same value). */
extern _Atomic ptrdiff_t ct__rseq_off CT_HIDDEN;

static CT_ALWAYS_INLINE ptrdiff_t ct__rseq_offset(void) {
    return atomic_load_explicit(&ct__rseq_off, memory_order_relaxed);
}

/* The section's descriptor (struct rseq_cs: version, flags, start,
 * post-commit offset, abort address) goes to __rseq_cs; the abort
 * handler, after the signature the kernel checks (RSEQ_SIG in the
 * operand of a UD1, as librseq lays it out), to __rseq_failure. The
 * descriptor's address is stored in the thread's area (rseq_cs, offset
 * 8) before the section starts; the kernel clears it lazily. Both forms
 * start by checking that the thread's area is registered (cpu_id, offset
 * 4, is negative otherwise), on every call: an area can be unregistered
 * later, and a section the kernel does not know of would not be aborted;
 * then the guard word. Either failure is GUARD. */
#define CT__RSEQ_START                                                         \
    "leaq 3f(%%rip), %[t]\n\t"                                                 \
    "movq %[t], %%fs:8(%[off])\n"                                              \
    "1:\n\t"                                                                   \
    "cmpl $0, %%fs:4(%[off])\n\t"                                              \
    "jl 11f\n\t"                                                               \
    "cmpq %[exp], %[guard]\n\t"                                                \
    "jne 11f\n\t"
#define CT__RSEQ_TABLES                                                        \
    ".pushsection __rseq_cs, \"aw\"\n\t"                                       \
    ".balign 32\n"                                                             \
    "3:\n\t"                                                                   \
    ".long 0, 0\n\t"                                                           \
    ".quad 1b, 2b - 1b, 4f\n\t"                                                \
    ".popsection\n\t"                                                          \
    ".pushsection __rseq_failure, \"ax\"\n\t"                                  \
    ".byte 0x0f, 0xb9, 0x3d\n\t"                                               \
    ".long 0x53053053\n"                                                       \
    "4:\n\t"                                                                   \
    "jmp 14b\n\t"                                                              \
    ".popsection\n"

/* After the commit (label 2): success, then the outcomes of the failed
 * checks (labels 11-15 are CT__RSEQ_GUARD..CT__RSEQ_LOST; 14 is where the
 * abort handler jumps), the tables, and the common exit. */
#define CT__RSEQ_EXITS                                                         \
    "xorl %k[st], %k[st]\n\t"                                                  \
    "jmp 19f\n"                                                                \
    "11:\n\t"                                                                  \
    "movl $1, %k[st]\n\t"                                                      \
    "jmp 19f\n"                                                                \
    "12:\n\t"                                                                  \
    "movl $2, %k[st]\n\t"                                                      \
    "jmp 19f\n"                                                                \
    "13:\n\t"                                                                  \
    "movl $3, %k[st]\n\t"                                                      \
    "jmp 19f\n"                                                                \
    "14:\n\t"                                                                  \
    "movl $4, %k[st]\n\t"                                                      \
    "jmp 19f\n"                                                                \
    "15:\n\t"                                                                  \
    "movl $5, %k[st]\n\t" CT__RSEQ_TABLES "19:\n"

/* Plain-store form: the owner's claim. */
static CT_ALWAYS_INLINE int
ct__rseq_commit_store(const _Atomic uintptr_t *guard, uintptr_t expect,
                      _Atomic uint64_t *word, uint64_t old, uint64_t new_,
                      const _Atomic uint64_t *check, uint64_t want) {
    int st;
    uintptr_t t;
    __asm__ volatile(
        CT__RSEQ_START "cmpq %[old], %[word]\n\t"
                       "jne 12f\n\t"
                       "cmpq %[want], %[check]\n\t"
                       "jne 13f\n\t"
                       "movq %[new], %[word]\n"
                       "2:\n\t" CT__RSEQ_EXITS
        : [st] "=&r"(st), [t] "=&r"(t), [word] "+m"(*(uint64_t *)word)
        : [guard] "m"(*(const uintptr_t *)guard),
          [check] "m"(*(const uint64_t *)check), [exp] "r"(expect),
          [old] "r"(old), [new] "r"(new_), [want] "r"(want),
          [off] "r"(ct__rseq_offset())
        : "cc", "memory");
    return st;
}

/* CAS form: a shared claim. */
static CT_ALWAYS_INLINE int
ct__rseq_commit_cas(const _Atomic uintptr_t *guard, uintptr_t expect,
                    _Atomic uint64_t *word, uint64_t old, uint64_t new_,
                    const _Atomic uint64_t *check, uint64_t want) {
    int st;
    uintptr_t t;
    __asm__ volatile(
        CT__RSEQ_START "cmpq %[want], %[check]\n\t"
                       "jne 13f\n\t"
                       "lock cmpxchgq %[new], %[word]\n"
                       "2:\n\t"
                       "jne 15f\n\t" CT__RSEQ_EXITS
        : [st] "=&r"(st), [t] "=&r"(t), [word] "+m"(*(uint64_t *)word),
          "+a"(old)
        : [guard] "m"(*(const uintptr_t *)guard),
          [check] "m"(*(const uint64_t *)check), [exp] "r"(expect),
          [new] "r"(new_), [want] "r"(want), [off] "r"(ct__rseq_offset())
        : "cc", "memory");
    return st;
}
#endif

#endif
