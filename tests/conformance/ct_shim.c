/* ct_shim.c - the few things the Python conformance binding
 * (cthreading_py.py) cannot get from libcthreading.so through ctypes:
 *
 *   - the size and alignment of each caller-allocated struct, so Python
 *     can allocate them without mirroring their private fields;
 *   - plain-function forms of the calls whose public spelling is a macro
 *     taking designated initialisers (ct_barrier_init, ct_queue_new), so
 *     Python need not mirror the option structs either.
 *
 * Every other call goes straight to libcthreading.so. Nothing here adds
 * behaviour: each wrapper fills the options and forwards.
 */
#include <cthreading/queue.h>
#include <cthreading/sync.h>

#include <stdalign.h>
#include <string.h>

#if defined(__GNUC__)
#define SHIM_API __attribute__((visibility("default")))
#else
#define SHIM_API
#endif

enum {
    SHIM_LOCK = 0,
    SHIM_RLOCK,
    SHIM_CONDITION,
    SHIM_SEMAPHORE,
    SHIM_BOUNDED_SEMAPHORE,
    SHIM_EVENT,
    SHIM_BARRIER,
    SHIM_ONCE
};

SHIM_API size_t ct_shim_sizeof(int type);
SHIM_API size_t ct_shim_alignof(int type);
SHIM_API int ct_shim_barrier_init(ct_barrier *b, int parties,
                                  int (*action)(void *), void *arg,
                                  double timeout);
SHIM_API ct_queue *ct_shim_queue_new(long maxsize, int kind,
                                     int (*compare)(const void *, const void *),
                                     void (*destructor)(void *));

#define SHIM_TYPES(X)                                                          \
    X(SHIM_LOCK, ct_lock)                                                      \
    X(SHIM_RLOCK, ct_rlock)                                                    \
    X(SHIM_CONDITION, ct_condition)                                            \
    X(SHIM_SEMAPHORE, ct_semaphore)                                            \
    X(SHIM_BOUNDED_SEMAPHORE, ct_bounded_semaphore)                            \
    X(SHIM_EVENT, ct_event)                                                    \
    X(SHIM_BARRIER, ct_barrier)                                                \
    X(SHIM_ONCE, ct_once)

/* sizeof(T) for the type numbered `type` (see the enum), 0 if unknown. */
size_t ct_shim_sizeof(int type) {
    switch (type) {
#define SIZE_CASE(k, T)                                                        \
    case k:                                                                    \
        return sizeof(T);
        SHIM_TYPES(SIZE_CASE)
#undef SIZE_CASE
    }
    return 0;
}

/* alignof(T) for the type numbered `type`, 0 if unknown. */
size_t ct_shim_alignof(int type) {
    switch (type) {
#define ALIGN_CASE(k, T)                                                       \
    case k:                                                                    \
        return alignof(T);
        SHIM_TYPES(ALIGN_CASE)
#undef ALIGN_CASE
    }
    return 0;
}

/* ct_barrier_init(b, parties, .action, .arg, .timeout) as a function.
 * Returns what ct_barrier_init_opt returns. */
int ct_shim_barrier_init(ct_barrier *b, int parties, int (*action)(void *),
                         void *arg, double timeout) {
    ct_barrier_options opt;
    memset(&opt, 0, sizeof opt);
    opt.action = action;
    opt.arg = arg;
    opt.timeout = timeout;
    return ct_barrier_init_opt(b, parties, &opt);
}

/* ct_queue_new(.maxsize, .kind, .compare, .destructor) for `void *` items,
 * as a function. Returns what ct_queue_new_opts returns (NULL with the
 * reason in ct_exception_current()). */
ct_queue *ct_shim_queue_new(long maxsize, int kind,
                            int (*compare)(const void *, const void *),
                            void (*destructor)(void *)) {
    ct_queue_options opt;
    memset(&opt, 0, sizeof opt);
    opt.maxsize = maxsize;
    opt.kind = (ct_queue_kind)kind;
    opt.compare = compare;
    opt.destructor = destructor;
    return ct_queue_new_opts(&opt);
}
