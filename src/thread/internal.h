/* src/thread/internal.h - what the thread layer shares with itself. */
#ifndef CT_THREAD_INTERNAL_H
#define CT_THREAD_INTERNAL_H

#include "core/internal.h"
#include "cthreading/thread.h"

#include <pthread.h>
#include <stdalign.h>

/* Low two bits of ct_thread.state: a ct_thread_state. WAITERS is set by
 * a thread about to park on the word (joiners, native_id readers); the
 * thread changing the state wakes the word only when it was set. */
enum { STATE_MASK = 3u, STATE_WAITERS = 4u };

/* ct_thread.kind */
enum {
    KIND_THREAD = 0, /* created by ct_thread_create */
    KIND_TIMER = 1,  /* a Timer: the copy area holds a struct ct__timer */
    KIND_MAIN = 2,   /* the static main-thread entry */
    KIND_DUMMY = 3   /* a thread the library did not create */
};

struct ct_thread {
    _Atomic uint32_t state; /* ct_thread_state | STATE_WAITERS */
    _Atomic uint32_t refs;
    _Atomic uint32_t reap;      /* 1 once someone owns pthread_join/detach */
    _Atomic uint32_t name_lock; /* tiny spin lock for name[] */
    _Atomic bool daemon;
    _Atomic bool in_shutdown; /* inside ct_threading_shutdown */
    uint8_t kind;
    bool registered; /* in the registry list (registry lock) */
    ct_thread_fn fn;
    void *arg;
    const char *target_name;
    size_t stack_size;
    uint32_t gen;     /* fork generation of `handle` (published by reap) */
    pthread_t handle; /* valid only in the process of generation `gen` */
    _Atomic unsigned long ident;
    _Atomic long native_id;
    int result;                    /* written before FINISHED (release) */
    struct ct_thread *prev, *next; /* registry list (registry lock) */
    ct_exception exc;              /* valid if result < 0 */
    char name[CT_NAME_MAX];
    alignas(max_align_t) unsigned char copy[]; /* copy-in argument */
};

/* Timer state, kept in the copy area of its thread. */
struct ct__timer {
    double interval;
    ct_thread_fn fn;
    void *arg;
    _Atomic uint32_t word; /* 0 pending, 1 cancelled, 2 fired */
};

/* The calling thread's object, or NULL (thread the library has not seen
 * yet). initial-exec: one %fs-relative load, no __tls_get_addr call. */
extern _Thread_local ct_thread *ct__self
    __attribute__((tls_model("initial-exec"))) CT_HIDDEN;

/* Registry (registry.c). Every change of a library thread between
 * "listed and alive" and "not listed" happens under the registry lock,
 * together with its state change, so a fork never sees a thread alive
 * but unlisted (the child could not mark it finished). */
/* CREATED -> STARTED, take the running thread's reference and list it;
 * false if it was not CREATED. */
CT_HIDDEN bool ct__registry_start(ct_thread *t);
/* Undo ct__registry_start after the OS refused the thread. */
CT_HIDDEN void ct__registry_unstart(ct_thread *t);
/* Unlist and mark FINISHED (waking waiters) in one step. */
CT_HIDDEN void ct__registry_finish(ct_thread *t);
/* Set the daemon flag if t is still CREATED (CT_ESTATE otherwise). */
CT_HIDDEN int ct__registry_set_daemon(ct_thread *t, bool daemon);
/* Incremented in each fork child: a pthread_t from another generation
 * names a thread that does not exist here; never join or detach it. */
CT_HIDDEN uint32_t ct__fork_generation(void);
/* Register the atexit handler (once): at the first start and the first
 * thread-local value. */
CT_HIDDEN void ct__registry_first_start(void);
/* Next value of the counter shared by "Thread-N" and "Dummy-N". */
CT_HIDDEN unsigned long ct__thread_counter(void);
/* Make sure a thread the library did not create runs the exit clean-up
 * (local destructors, dummy release) when it exits. */
CT_HIDDEN void ct__exit_hook_arm(void);

/* Object (thread.c). */
CT_HIDDEN void ct__thread_set_state(ct_thread *t, uint32_t state);
CT_HIDDEN int ct__thread_make(ct_thread **out, ct_thread_fn fn, void *arg,
                              const void *copy, size_t size,
                              const ct_thread_options *opts);
/* Release without reaping (dummies and fork children). */
CT_HIDDEN void ct__thread_release(ct_thread *t);

/* Locals (local.c): run the destructors of the calling thread's values. */
CT_HIDDEN void ct__local_thread_exit(void);

/* Exception hook (excepthook.c): report a failed target. */
CT_HIDDEN void ct__excepthook_report(const ct_exception *exc, ct_thread *t);

/* Default stack size (stack.c): the size to ask pthread for, 0 default. */
CT_HIDDEN size_t ct__stack_size_for(size_t requested);

/* A tiny lock word: 0 free, 1 held, 2 held with sleepers (parks). */
CT_HIDDEN void ct__word_lock(_Atomic uint32_t *w);
CT_HIDDEN void ct__word_unlock(_Atomic uint32_t *w);

#endif
