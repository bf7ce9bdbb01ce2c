/* cthreading/core.h - the core layer: errors, exceptions, time and
 * deadlines, the parking layer (futex wait/wake) and allocation hooks.
 *
 * Every other layer is built on these few calls. They are public so that
 * applications can build their own primitives the way the library does.
 */
#ifndef CTHREADING_CORE_H
#define CTHREADING_CORE_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The atomic 32/64-bit words inside the library's structs and the
 * parking calls. C++ sees std::atomic<T>, which has the same size,
 * alignment and lock-free representation on every platform we support,
 * so the headers can be included from C++ (the keyword-argument macros
 * and CT_WITH use C99/C11 features and are C only). */
#ifdef __cplusplus
#include <atomic>
#define CT_ATOMIC(T) std::atomic<T>
#else
#include <stdatomic.h>
#define CT_ATOMIC(T) _Atomic(T)
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CT_API __attribute__((visibility("default")))
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CT_API
#define CT_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------- */

#define CT_VERSION_MAJOR 0
#define CT_VERSION_MINOR 1
#define CT_VERSION_PATCH 0

/* The library's version as "MAJOR.MINOR.PATCH" (static storage, never
 * freed). Thread-safe. */
CT_API const char *ct_version(void);

/* ------------------------------------------------------------------------
 * Errors
 *
 * A fallible call returns an int: 0 (or a non-negative value such as a
 * barrier index) on success, one of the negative codes below otherwise.
 * Each code is the C spelling of the Python exception named beside it.
 * Applications may use their own negative codes below CT_EUSER with
 * ct_raise(); the library never returns them itself.
 * ---------------------------------------------------------------------- */

enum {
    CT_OK = 0,
    CT_EINVAL = -1,      /* TypeError: bad argument (NULL, NaN timeout,
                            unknown flag) */
    CT_ETIMEDOUT = -2,   /* TimeoutError; acquire/wait ran out of time */
    CT_EEMPTY = -3,      /* queue.Empty */
    CT_EFULL = -4,       /* queue.Full */
    CT_ESHUTDOWN = -5,   /* queue.ShutDown; use after shutdown */
    CT_EBROKEN = -6,     /* threading.BrokenBarrierError */
    CT_ECANCELLED = -7,  /* concurrent.futures.CancelledError */
    CT_EBROKENPOOL = -8, /* BrokenExecutor / BrokenProcessPool */
    CT_EVALUE = -9,      /* ValueError: value out of range */
    CT_EPERM = -10,      /* RuntimeError: release of an un-held lock */
    CT_ESTATE = -11,     /* RuntimeError: wrong state (also where Python
                            raises InvalidStateError) */
    CT_ENOMEM = -12,     /* MemoryError: allocation failed */
    CT_EINTR = -13,      /* interrupted (KeyboardInterrupt's place) */
    CT_EDEADLK = -14,    /* deadlock detected (e.g. joining yourself) */
    CT_EWORKER = -15,    /* a worker thread or process died */
    CT_EAGAIN = -16,     /* the OS refused a resource (thread, process) */
    CT_EFAIL = -17,      /* Exception: generic failure raised by a task */
    CT_EOVERFLOW = -18,  /* OverflowError: value too large (sleep(inf)) */
    CT_EEOF = -19,       /* EOFError: the other end of a pipe closed */
    CT_EEXIST = -20,     /* FileExistsError: named object already exists */
    CT_ENOENT = -21,     /* FileNotFoundError: named object not found */
    CT_EOS = -22,        /* OSError: the OS failed in an unexpected way */
    CT_ELAST_ = -22,
    CT_EUSER = -1000 /* first code free for applications (and below) */
};

/* A static English description of `code` ("timed out", "queue is empty",
 * ...). Unknown codes give "unknown error"; 0 gives "success".
 * Thread-safe; the string is never freed. */
CT_API const char *ct_strerror(int code);

/* The symbolic name of `code` ("CT_ETIMEDOUT"), or "CT_E?" when unknown.
 * Thread-safe; static storage. */
CT_API const char *ct_errname(int code);

/* The Python exception that `code` stands for ("TimeoutError",
 * "queue.Empty", ...); "None" for 0; "Exception" for application codes
 * and any other unknown code. Thread-safe; static storage. */
CT_API const char *ct_exception_type(int code);

/* ------------------------------------------------------------------------
 * Exceptions: capture of a failing thread target or task.
 *
 *     static int work(void *arg) {
 *         if (bad) return ct_raise(CT_EVALUE, "bad item %d", n);
 *         return 0;
 *     }
 *
 * ct_raise() records the code, the formatted message and the name of the
 * raising thread in a per-thread slot and returns the code, so that the
 * library (Thread's exception hook, a Future's result) can report it.
 * ---------------------------------------------------------------------- */

#define CT_EXC_MESSAGE_MAX 256
#define CT_NAME_MAX 64

typedef struct ct_exception {
    int code;                         /* negative CT_E... or user code */
    char message[CT_EXC_MESSAGE_MAX]; /* formatted; truncated if longer */
    char thread_name[CT_NAME_MAX];    /* thread that raised it */
} ct_exception;

/* Record an exception for the calling thread and return `code`.
 * (Never allocates itself; printf conversions of wide strings in `fmt`
 * may allocate inside the C library.)
 * `code` must be negative; a non-negative code is recorded and returned
 * as CT_EINVAL (a success cannot be raised). `fmt` may be NULL (the
 * message is then ct_strerror(code)). The message is truncated to
 * CT_EXC_MESSAGE_MAX - 1 bytes. Replaces any exception already pending in
 * this thread. Thread-safe (per-thread state). */
CT_API int ct_raise(int code, const char *fmt, ...) CT_PRINTF(2, 3);

/* Same as ct_raise() with a va_list. */
CT_API int ct_vraise(int code, const char *fmt, va_list ap);

/* Copy the calling thread's pending exception into `*out`.
 * Returns true if one was pending, false (and `*out` zeroed) if not.
 * `out` may not be NULL. Thread-safe (per-thread state). */
CT_API bool ct_exception_current(ct_exception *out);

/* Forget the calling thread's pending exception. Thread-safe. */
CT_API void ct_exception_clear(void);

/* Write "Exception in thread NAME:\nTYPE: MESSAGE\n" to stderr, the way
 * Python's default threading.excepthook does. NULL is ignored.
 * Thread-safe (one write(2) per report, so lines do not interleave). */
CT_API void ct_exception_print(const ct_exception *exc);

/* ------------------------------------------------------------------------
 * Time and deadlines
 *
 * Timeouts are double seconds, as in Python. CT_FOREVER (Python's None)
 * waits without limit; 0 does not block; NaN is CT_EINVAL. What a
 * negative timeout means is decided call by call, as in Python, and
 * written in each header; a computed "time left" that went negative
 * never turns into "wait forever". All waits run on CLOCK_MONOTONIC: a
 * change of the wall clock never shortens or stretches them.
 * ---------------------------------------------------------------------- */

#define CT_FOREVER (INFINITY)

/* An absolute point on CLOCK_MONOTONIC, or "never". */
typedef struct ct_deadline {
    int64_t ns; /* monotonic nanoseconds; INT64_MAX means never */
} ct_deadline;

/* What a negative (non-NaN, finite) timeout means for a given call. */
typedef enum ct_negative_rule {
    CT_NEG_REJECT = 0, /* CT_EVALUE (Lock.acquire, Queue.get/put) */
    CT_NEG_EXPIRED = 1 /* already expired (Event.wait, Thread.join...) */
} ct_negative_rule;

/* Seconds on CLOCK_MONOTONIC since an arbitrary origin (Python's
 * time.monotonic()). Thread-safe; never fails. */
CT_API double ct_monotonic(void);

/* Nanoseconds on CLOCK_MONOTONIC (time.monotonic_ns()). Thread-safe. */
CT_API int64_t ct_monotonic_ns(void);

/* Turn a relative `timeout` (seconds) into an absolute deadline.
 * CT_FOREVER (or any +infinity, or a timeout too large to represent) gives
 * the "never" deadline; 0 gives "now" (try once); a positive timeout is
 * rounded up to whole nanoseconds (never to 0); a negative timeout
 * follows `rule`. Returns 0, CT_EINVAL for NaN or a NULL `out`, CT_EVALUE
 * for a negative timeout under CT_NEG_REJECT (or an unknown rule: CT_EINVAL).
 * Thread-safe; does not allocate. */
CT_API int ct_deadline_init(ct_deadline *out, double timeout,
                            ct_negative_rule rule);

/* The "never" deadline. */
static inline ct_deadline ct_deadline_never(void) {
    ct_deadline d = {INT64_MAX};
    return d;
}

/* True if `d` is the "never" deadline. */
static inline bool ct_deadline_is_never(const ct_deadline *d) {
    return d->ns == INT64_MAX;
}

/* Seconds left before `d` (0 if it passed, CT_FOREVER if never).
 * `d` may not be NULL. Thread-safe. */
CT_API double ct_deadline_remaining(const ct_deadline *d);

/* True once `d` has passed (never true for "never"). Thread-safe. */
CT_API bool ct_deadline_expired(const ct_deadline *d);

/* Sleep `seconds` (time.sleep) on CLOCK_MONOTONIC: the full time even
 * when signals interrupt the sleep. 0 returns at once.
 * Returns 0 after sleeping, CT_EVALUE for a negative value (Python's
 * ValueError), CT_EOVERFLOW for +inf or a time too large to represent,
 * CT_EINVAL for NaN. Thread-safe. */
CT_API int ct_sleep(double seconds);

/* ------------------------------------------------------------------------
 * Parking layer: wait on a 32-bit word until another thread wakes it.
 *
 * This is the portable face of Linux's futex (WaitOnAddress on Windows,
 * os_sync_wait_on_address on macOS). Every primitive of the library parks
 * here. The protocol is always: read the word, decide to sleep, call
 * ct_park_wait(word, value_you_read, ...); the kernel sleeps only if the
 * word still holds that value, so a wake-up between the read and the call
 * is never lost. A return of 0 means "look again": the word changed, a
 * waker woke you, or the wake-up was spurious. Callers always loop.
 *
 * Private words (CT_PARK_PRIVATE, the default) are faster; a word placed
 * in memory shared between processes must be used with CT_PARK_SHARED by
 * every waiter and waker.
 * ---------------------------------------------------------------------- */

enum {
    CT_PARK_PRIVATE = 0, /* word used by the threads of one process */
    CT_PARK_SHARED = 1,  /* word in memory shared between processes */
    CT_PARK_NOSPIN = 2   /* skip the brief spin before sleeping */
};

#define CT_PARK_ALL INT32_MAX /* ct_park_wake: wake every waiter */

/* Sleep while `*word == expected`, until woken or `deadline` (NULL: no
 * limit) passes. Spins briefly first (unless CT_PARK_NOSPIN) in case the
 * word changes soon. Signals (EINTR) and spurious wake-ups return 0.
 * Returns 0 (look again), CT_ETIMEDOUT once the deadline has passed,
 * CT_EINVAL for a NULL or misaligned word or unknown flags, or when the
 * kernel rejects the word (an address it cannot read).
 * After CT_ETIMEDOUT re-check the word: a wake-up may have raced with the
 * deadline, and a protocol that hands something over on wake must not
 * lose it. Thread-safe; does not allocate. */
CT_API int ct_park_wait(CT_ATOMIC(uint32_t) * word, uint32_t expected,
                        const ct_deadline *deadline, int flags);

/* Wake up to `n` threads parked on `word` (CT_PARK_ALL for all; n < 1 is
 * CT_EINVAL). `flags` must match the waiters' CT_PARK_SHARED bit.
 * Returns the number woken (>= 0), or CT_EINVAL for a NULL or misaligned
 * word, n < 1, unknown flags, or a word the kernel rejects. Thread-safe. */
CT_API int ct_park_wake(CT_ATOMIC(uint32_t) * word, int32_t n, int flags);

/* Wake up to `n_wake` waiters of `from`, and move up to `n_move` others so
 * they wait on `to` instead, provided `*from == expected` (else returns
 * CT_EAGAIN and does nothing). Used by conditions to hand waiters to
 * a lock without a thundering herd. Returns the number woken plus moved,
 * CT_EAGAIN as above, CT_EINVAL for a NULL or misaligned word, negative
 * counts, unknown flags or a word the kernel rejects. Both words must
 * share the CT_PARK_SHARED bit. Thread-safe. */
CT_API int ct_park_requeue(CT_ATOMIC(uint32_t) * from, uint32_t expected,
                           int32_t n_wake, int32_t n_move,
                           CT_ATOMIC(uint32_t) * to, int flags);

/* A hint to the CPU inside a spin loop (PAUSE on x86). */
CT_API void ct_cpu_relax(void);

/* The number of CPUs this process may run on (os.process_cpu_count()),
 * at least 1. Thread-safe. */
CT_API int ct_cpu_count(void);

/* ------------------------------------------------------------------------
 * Allocation hooks
 *
 * Every allocation the library makes goes through one allocator; by
 * default malloc/realloc/free. An application (or a test injecting
 * failures) may install its own before creating any object.
 * ---------------------------------------------------------------------- */

typedef struct ct_allocator {
    void *(*alloc)(void *ctx, size_t size); /* NULL on failure */
    void *(*realloc)(void *ctx, void *p, size_t size);
    void (*free)(void *ctx, void *p); /* p may be NULL */
    void *ctx;
} ct_allocator;

/* Install `a` (copied) as the library's allocator; NULL restores malloc.
 * Returns 0, or CT_EINVAL if one of the three functions is NULL.
 * Not safe to call while other threads allocate through the library, nor
 * while objects allocated by the previous allocator are still alive
 * (they would be freed by the new one); call it at start-up. */
CT_API int ct_set_allocator(const ct_allocator *a);

/* Copy the current allocator into `*out` (NULL is ignored). Safe to call
 * from any thread, but not concurrently with ct_set_allocator(). */
CT_API void ct_get_allocator(ct_allocator *out);

#ifdef __cplusplus
}
#endif
#endif /* CTHREADING_CORE_H */
