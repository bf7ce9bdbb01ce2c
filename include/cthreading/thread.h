/* cthreading/thread.h - the thread layer: Thread objects, the registry
 * (current/main thread, enumerate, active_count), thread-local storage,
 * Timer, the exception hook, stack size and exit semantics, with the
 * semantics and errors of Python's threading module.
 *
 *     static int worker(void *arg) { ... return 0; }
 *
 *     ct_thread *t = ct_thread_new(worker, &job, .name = "w1");
 *     ct_thread_start(t);
 *     ct_thread_join(t, CT_FOREVER);
 *     ct_thread_free(t);
 *
 * A target has the signature `int fn(void *arg)`. Returning a negative
 * value is failing (Python: raising); `return ct_raise(CT_EVALUE, "...")`
 * attaches a message. A failure is reported through the exception hook
 * (default: "Exception in thread NAME:" on stderr) and kept in the thread
 * object (ct_thread_result, ct_thread_exception).
 *
 * Ownership: a ct_thread is reference counted. ct_thread_new/_create give
 * the caller one reference; ct_thread_ref and ct_thread_enumerate give
 * more; ct_thread_free releases one. Releasing the last reference of a
 * thread that is still running is safe: the running thread keeps its own
 * reference until it ends (Python: dropping a Thread object does not stop
 * the thread). ct_thread_current and ct_thread_main return borrowed
 * pointers.
 *
 * Exit: when main returns or exit() is called, the library joins every
 * non-daemon thread it started (an atexit handler, as Python's interpreter
 * shutdown does); daemon threads are left running until the process ends
 * and no library state is ever freed under them. _exit(), quick_exit() and
 * a fatal signal join nothing. After fork() only the forking thread exists
 * in the child: every other thread is reported finished there (join
 * returns 0 at once; its OS thread, which does not exist there, is never
 * joined or detached). See docs/threads.md.
 *
 * Signals: threads the library creates block every asynchronous signal
 * (all but SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS), so signals
 * go to the application's own threads. The library installs no handler.
 */
#ifndef CTHREADING_THREAD_H
#define CTHREADING_THREAD_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Thread objects (threading.Thread)
 * ---------------------------------------------------------------------- */

typedef struct ct_thread ct_thread;

/* A thread's target: returns >= 0 on success (kept as the result), a
 * negative CT_E... (or application) code on failure. */
typedef int (*ct_thread_fn)(void *arg);

/* Keyword arguments of Thread(): zero is Python's default. */
typedef struct ct_thread_options {
    /* NULL or "": "Thread-N (target)". Copied, truncated to
     * CT_NAME_MAX - 1 bytes. */
    const char *name;
    /* false: non-daemon. Unlike Python, not inherited from the creating
     * thread; to inherit, pass
     * .daemon = ct_thread_is_daemon(ct_thread_current()). */
    bool daemon;
    /* 0: the process default (ct_thread_stack_size); else >= 32 KiB
     * (CT_EVALUE below). */
    size_t stack_size;
    /* The target's name for the default thread name; the macros set it
     * from the source text of `fn`. NULL: "Thread-N". */
    const char *target_name;
} ct_thread_options;

/* Lifecycle of a thread object. */
typedef enum ct_thread_state {
    CT_THREAD_CREATED = 0, /* not started yet */
    CT_THREAD_STARTED = 1, /* start() returned; target not entered yet */
    CT_THREAD_RUNNING = 2, /* running its target (or its exit tail) */
    CT_THREAD_FINISHED = 3 /* target returned; join() returns at once */
} ct_thread_state;

/* Create a thread object (not started) that will run fn(arg).
 * `opts` may be NULL (all defaults). `arg` is passed as is: it must stay
 * valid while the thread uses it (see ct_thread_create_copy).
 * On success stores the new thread in *out (one reference, released with
 * ct_thread_free) and returns 0. Returns CT_EINVAL for a NULL `out` or
 * `fn`, CT_EVALUE for a stack_size below 32 KiB, CT_ENOMEM if the one
 * allocation failed (*out is then NULL and nothing leaked).
 * Thread-safe. Allocates one block. */
CT_API int ct_thread_create(ct_thread **out, ct_thread_fn fn, void *arg,
                            const ct_thread_options *opts);

/* Same as ct_thread_create, but copies `size` bytes at `arg` into the
 * thread object; the target receives a pointer to that copy (aligned for
 * any type, valid until the target returns). The copy-in form is the safe
 * way to pass a loop variable:
 *     for (int i = 0; i < n; i++)
 *         t[i] = ct_thread_new_copy(work, &i, sizeof i);
 * `arg` may be NULL only when `size` is 0 (the target then gets NULL).
 * Returns as ct_thread_create (CT_EINVAL also for NULL `arg` with size >
 * 0). Still one allocation. */
CT_API int ct_thread_create_copy(ct_thread **out, ct_thread_fn fn,
                                 const void *arg, size_t size,
                                 const ct_thread_options *opts);

/* Convenience forms returning the thread or NULL (for a NULL `fn`, a bad
 * stack_size or an allocation failure; use the _create forms to know
 * which). Keyword options follow the fixed arguments:
 *     ct_thread *t = ct_thread_new(fn, arg, .name = "w1", .daemon = true);
 * The default name is "Thread-N (fn)", fn as written at the call. */
#define ct_thread_new(fn, arg, ...)                                            \
    ct_thread_new_with(                                                        \
        (fn), (arg),                                                           \
        &(const ct_thread_options){.target_name = #fn, __VA_ARGS__})
#define ct_thread_new_copy(fn, arg, size, ...)                                 \
    ct_thread_new_copy_with(                                                   \
        (fn), (arg), (size),                                                   \
        &(const ct_thread_options){.target_name = #fn, __VA_ARGS__})

/* The functions behind the macros above. */
CT_API ct_thread *ct_thread_new_with(ct_thread_fn fn, void *arg,
                                     const ct_thread_options *opts);
CT_API ct_thread *ct_thread_new_copy_with(ct_thread_fn fn, const void *arg,
                                          size_t size,
                                          const ct_thread_options *opts);

/* Start the thread (Thread.start). Returns when the OS thread exists;
 * the thread is alive from then on. Does not wait for the target to be
 * entered.
 * Returns 0; CT_EINVAL for NULL; CT_ESTATE if it was already started
 * (Python: "threads can only be started once") or is the main or a dummy
 * thread; CT_EAGAIN if the OS refused a new thread (Python: "can't start
 * new thread"; the object stays unstarted and may be started again).
 * Thread-safe: of concurrent calls exactly one succeeds. Does not
 * allocate (the OS allocates the stack). */
CT_API int ct_thread_start(ct_thread *t);

/* Wait until the thread finishes, at most `timeout` seconds (Thread.join).
 * CT_FOREVER waits without limit; 0 checks once; a negative timeout is
 * treated as 0 (as Python does).
 * Returns 0 if the thread has finished (its result and exception are then
 * readable), CT_ETIMEDOUT if it is still running, CT_EINVAL for NULL or a
 * NaN timeout, CT_EDEADLK when joining the current thread (Python:
 * RuntimeError "cannot join current thread"), CT_ESTATE for a thread
 * never started or a dummy thread (Python: RuntimeError). In a fork
 * child, a started thread of the parent counts as finished (0 at once).
 * Thread-safe: any number of threads may join the same thread. Acquire
 * order: everything the thread wrote happens-before a 0 return. Cost: on
 * a machine with more than one CPU, a join without limit polls for up to
 * 50 us before it sleeps (a short thread is usually gone by then). */
CT_API int ct_thread_join(ct_thread *t, double timeout);

/* True from a successful start until the target returned (is_alive).
 * The main thread and dummies are alive until their thread ends.
 * NULL gives false. Thread-safe. */
CT_API bool ct_thread_is_alive(const ct_thread *t);

/* The lifecycle state (CT_THREAD_CREATED for NULL). Thread-safe. */
CT_API ct_thread_state ct_thread_get_state(const ct_thread *t);

/* The thread's name. The pointer stays valid while you hold a reference
 * and the name is not changed; for a copy that is safe against concurrent
 * renames use ct_thread_get_name. NULL gives "". Thread-safe. */
CT_API const char *ct_thread_name(const ct_thread *t);

/* Copy the name into buf (size bytes, truncated, always terminated).
 * Returns 0, CT_EINVAL for NULL `t`/`buf` or size 0. Thread-safe. */
CT_API int ct_thread_get_name(const ct_thread *t, char *buf, size_t size);

/* Rename the thread (Thread.name = ...). The name is copied and truncated
 * to CT_NAME_MAX - 1 bytes.
 * The OS name (first 15 bytes, shown by ps, top and gdb) is set by the
 * thread itself: at start (also for default "Thread-N (fn)" names; one
 * prctl, about 0.7 us) and when a running thread renames itself.
 * Renaming another running thread changes only the library's name.
 * Returns 0, CT_EINVAL for NULL `t` or `name`. Thread-safe. */
CT_API int ct_thread_set_name(ct_thread *t, const char *name);

/* Whether the thread is a daemon (false for NULL). Thread-safe. */
CT_API bool ct_thread_is_daemon(const ct_thread *t);

/* Set the daemon flag (Thread.daemon = ...). Only before start: returns
 * CT_ESTATE once started (Python: RuntimeError "cannot set daemon status
 * of active thread") and for the main thread and dummies, CT_EINVAL for
 * NULL, else 0. Thread-safe, and ordered against a concurrent
 * ct_thread_start: a 0 return means the flag was set before the thread
 * became alive, so a running thread's flag never changes. Takes the
 * registry lock briefly. */
CT_API int ct_thread_set_daemon(ct_thread *t, bool daemon);

/* Thread.ident: the pthread_t of the thread as an integer, 0 before
 * start. Kept after the thread ends (and may then be reused by the OS).
 * Thread-safe. */
CT_API unsigned long ct_thread_ident(const ct_thread *t);

/* Thread.native_id: the kernel thread id (gettid), 0 before start. If the
 * thread was started but has not run yet, waits (briefly) until it has.
 * Thread-safe. */
CT_API long ct_thread_native_id(ct_thread *t);

/* The value the target returned once the thread has finished: >= 0 on
 * success, the negative code of its failure. CT_ESTATE while the thread
 * has not finished (check ct_thread_get_state if the target itself can
 * return CT_ESTATE), CT_EINVAL for NULL. Thread-safe (acquire). */
CT_API int ct_thread_result(const ct_thread *t);

/* If the finished thread's target failed, copy its exception (code,
 * message, thread name) into *out and return true; else zero *out and
 * return false. Thread-safe. */
CT_API bool ct_thread_exception(const ct_thread *t, ct_exception *out);

/* Take one more reference to `t` (returned; NULL gives NULL).
 * Thread-safe (relaxed increment: you already hold a reference). */
CT_API ct_thread *ct_thread_ref(ct_thread *t);

/* Release one reference (NULL is ignored). Never blocks and never stops
 * the thread: releasing the last reference of a running thread detaches
 * it, and its object lives on until the thread ends. The main thread's
 * entry is static: freeing it is always a no-op. Other borrowed pointers
 * (ct_thread_current() in a library or foreign thread) must be freed only
 * for references you took with ct_thread_ref. Thread-safe. */
CT_API void ct_thread_free(ct_thread *t);

/* ------------------------------------------------------------------------
 * The registry (module-level functions of threading)
 * ---------------------------------------------------------------------- */

/* The calling thread's object (current_thread). For a thread the library
 * did not create, a "Dummy-N" daemon entry is made on first use and
 * released when that thread exits. Borrowed pointer: valid until the
 * calling thread ends; take a reference to keep it longer.
 * Returns NULL only if the dummy entry could not be allocated.
 * Thread-safe; one thread-local load, no lock (a foreign thread's first
 * call takes the registry lock once to add its dummy). */
CT_API ct_thread *ct_thread_current(void);

/* The main thread's object ("MainThread"; in a forked child, the thread
 * that forked). Alive until it returns from main or calls exit(): from
 * then on it is finished (joining it returns 0). Borrowed pointer, never
 * freed. Thread-safe. */
CT_API ct_thread *ct_thread_main(void);

/* Snapshot of the live threads (threading.enumerate): the main thread,
 * dummies, and library threads started and not finished. Stores up to
 * `cap` of them in buf, each as a new reference the caller releases with
 * ct_thread_free, and returns how many are alive (may exceed cap; then
 * only `cap` were stored). buf may be NULL when cap is 0.
 * Thread-safe; takes the registry lock briefly. Does not allocate. */
CT_API size_t ct_thread_enumerate(ct_thread **buf, size_t cap);

/* The number of live threads, as ct_thread_enumerate counts them
 * (active_count). Thread-safe; lock-free. */
CT_API size_t ct_thread_active_count(void);

/* threading.get_ident(): pthread_self() as an integer. Thread-safe. */
CT_API unsigned long ct_thread_get_ident(void);

/* threading.get_native_id(): the kernel thread id. Thread-safe. */
CT_API long ct_thread_get_native_id(void);

/* Join every non-daemon thread the library started, except the caller,
 * until none is left (also those started meanwhile). Called from a
 * library thread, it also skips the library threads that are themselves
 * inside ct_threading_shutdown (two such calls would otherwise wait for
 * each other forever); called from main, a dummy or a foreign thread it
 * skips none. Runs automatically at exit (atexit handler, registered at
 * the first start or the first thread-local value; when main is the
 * thread exiting, the handler first marks it finished, as Python's
 * shutdown does, so threads joining it are released); call it yourself to
 * do it earlier. Threads may still be started afterwards. Returns the
 * number of threads it joined. Thread-safe. */
CT_API int ct_threading_shutdown(void);

/* ------------------------------------------------------------------------
 * Stack size (threading.stack_size)
 * ---------------------------------------------------------------------- */

/* The process default stack size for threads started from now on (0: the
 * platform default). Thread-safe. */
CT_API long ct_thread_stack_size(void);

/* Set the default stack size and return the previous one (>= 0).
 * 0 restores the platform default; other sizes must be at least 32 KiB
 * (CT_EVALUE otherwise, also for negative sizes, as Python's ValueError)
 * and are raised to the system minimum (PTHREAD_STACK_MIN) and rounded up
 * to a page when a thread is started. Thread-safe. */
CT_API long ct_thread_set_stack_size(long size);

/* ------------------------------------------------------------------------
 * Exception hook (threading.excepthook)
 * ---------------------------------------------------------------------- */

/* Called in the failing thread, after its target returned a negative
 * code, with the exception and the (borrowed) thread. Return 0, or a
 * negative code if the hook itself failed: the library then prints
 * "Exception in threading.excepthook:" and the hook's exception to stderr
 * and never calls the hook for its own failure. `exc` is valid during
 * the call only (copy it to keep it); `thread` is borrowed, alive while
 * the hook runs. Hooks run concurrently when threads fail at once. */
typedef int (*ct_excepthook_fn)(const ct_exception *exc, ct_thread *thread,
                                void *ctx);

/* Install `fn` (with `ctx`) as the hook; NULL restores the default.
 * Returns 0. Thread-safe; a failure being reported at the same time uses
 * either the old or the new hook. */
CT_API int ct_thread_set_excepthook(ct_excepthook_fn fn, void *ctx);

/* The installed hook (the default if none), and its ctx in *ctx if ctx
 * is not NULL. Thread-safe. */
CT_API ct_excepthook_fn ct_thread_get_excepthook(void **ctx);

/* The default hook (threading.__excepthook__): ct_exception_print(exc)
 * ("Exception in thread NAME:" and "Type: message", one write to stderr).
 * NULL exc prints nothing. Returns 0. Thread-safe; does not allocate. */
CT_API int ct_thread_default_excepthook(const ct_exception *exc,
                                        ct_thread *thread, void *ctx);

/* ------------------------------------------------------------------------
 * Timer (threading.Timer): a thread that calls fn(arg) after `interval`
 * seconds unless cancelled first. It is a ct_thread: start, join, name,
 * daemon and free are the thread calls.
 * ---------------------------------------------------------------------- */

/* Create a timer (not started). The interval counts from when the timer
 * thread begins to run. A negative interval fires at once; NaN is
 * CT_EINVAL. fn's failure goes to the exception hook like any target's.
 * Returns as ct_thread_create. */
CT_API int ct_timer_create(ct_thread **out, double interval, ct_thread_fn fn,
                           void *arg, const ct_thread_options *opts);

/* Convenience form returning the timer or NULL (NaN interval, NULL fn,
 * bad stack_size, out of memory); keyword options as ct_thread_new:
 *     ct_thread *t = ct_timer_new(2.0, remind, user, .daemon = true);
 * One reference for the caller (ct_thread_free). Thread-safe. */
#define ct_timer_new(interval, fn, arg, ...)                                   \
    ct_timer_new_with(                                                         \
        (interval), (fn), (arg),                                               \
        &(const ct_thread_options){.target_name = #fn, __VA_ARGS__})
CT_API ct_thread *ct_timer_new_with(double interval, ct_thread_fn fn, void *arg,
                                    const ct_thread_options *opts);

/* Stop the timer if it has not fired yet (Timer.cancel); wakes the timer
 * thread at once so it ends. Returns 1 if the call was prevented, 0 if it
 * was too late (fired already, or cancelled before), CT_EINVAL if `t` is
 * NULL or not a timer. Thread-safe. */
CT_API int ct_timer_cancel(ct_thread *t);

/* ------------------------------------------------------------------------
 * Thread-local storage (threading.local)
 *
 *     static void *make_conn(void *arg) { return open_conn(arg); }
 *     ct_local *conn = ct_local_new(.init = make_conn,
 *                                   .destructor = close_conn);
 *     ... in any thread: db *c = ct_local_get(conn);
 *
 * Each thread sees its own value. `init` makes a thread's value on its
 * first ct_local_get; `destructor` runs, in the thread, at its exit for
 * every non-NULL value it holds (library threads: before join returns;
 * other threads: from a pthread key destructor).
 * ---------------------------------------------------------------------- */

typedef struct ct_local ct_local;

typedef struct ct_local_options {
    void *(*init)(void *arg);        /* NULL: values start as NULL */
    void *init_arg;                  /* passed to init */
    void (*destructor)(void *value); /* NULL: values are not destroyed */
} ct_local_options;

/* Create a key. opts may be NULL. Returns 0 and stores it in *out,
 * CT_EINVAL for NULL out, CT_ENOMEM. Thread-safe. One allocation. */
CT_API int ct_local_create(ct_local **out, const ct_local_options *opts);

/* Convenience form returning the key or NULL (out of memory):
 *     ct_local *l = ct_local_new(.init = make, .destructor = destroy);
 * Released with ct_local_free. Thread-safe. */
#define ct_local_new(...)                                                      \
    ct_local_new_with(&(const ct_local_options){__VA_ARGS__})
CT_API ct_local *ct_local_new_with(const ct_local_options *opts);

/* The calling thread's value; on the thread's first call, the result of
 * init (or NULL without init). Returns NULL also for a NULL key or if the
 * per-thread slot could not be allocated (init is then not called and
 * the next call tries again). Thread-safe; a linear walk over the keys
 * this thread has used. */
CT_API void *ct_local_get(ct_local *l);

/* Replace the calling thread's value (the destructor runs on the old one,
 * in this call, if it is non-NULL and different; set NULL to destroy the
 * value now, as `del local.x`). Returns 0, CT_EINVAL for NULL `l`,
 * CT_ENOMEM if the per-thread slot could not be allocated (the first
 * value of a key in a thread allocates one small cell). Thread-safe: only
 * the calling thread's value is touched. The value stays the caller's;
 * the library only hands it to the destructor. */
CT_API int ct_local_set(ct_local *l, void *value);

/* Release the key. The calling thread's value is destroyed now; values of
 * other threads stay theirs and are destroyed when those threads exit
 * (the key's memory lives until then). Using `l` afterwards is a bug.
 * NULL is ignored. Thread-safe. */
CT_API void ct_local_free(ct_local *l);

#ifdef __cplusplus
}
#endif
#endif /* CTHREADING_THREAD_H */
