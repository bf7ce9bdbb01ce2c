/* cthreading/queue.h - the queue layer: Python's queue module.
 *
 *   Python                          C
 *   q = queue.Queue(maxsize=8)      ct_queue *q = ct_queue_new(.maxsize = 8);
 *   queue.LifoQueue()               ct_queue_new(.kind = CT_QUEUE_LIFO)
 *   queue.PriorityQueue()           ct_queue_new(.kind = CT_QUEUE_PRIORITY,
 *                                                .compare = cmp)
 *   queue.SimpleQueue()             ct_queue_new(.kind = CT_QUEUE_SIMPLE)
 *   q.put(x) / q.put(x, timeout=t)  ct_queue_put(q, x, CT_FOREVER) / (q, x, t)
 *   q.put_nowait(x)                 ct_queue_put_nowait(q, x)
 *   x = q.get() / q.get(timeout=t)  ct_queue_get(q, &x, CT_FOREVER) / (.., t)
 *   x = q.get_nowait()              ct_queue_get_nowait(q, &x)
 *   q.qsize() q.empty() q.full()    ct_queue_qsize(q) ct_queue_empty(q) ...
 *   q.task_done()  q.join()         ct_queue_task_done(q)  ct_queue_join(q, t)
 *   q.shutdown(immediate=False)     ct_queue_shutdown(q, false)
 *   queue.Empty / Full / ShutDown   CT_EEMPTY / CT_EFULL / CT_ESHUTDOWN
 *
 * Items are `void *` (NULL is a valid item: the C spelling of the `None`
 * sentinel), or, for a queue created with `.item_size = sizeof(T)`, values
 * of T copied in by ct_queue_put_copy() and out by ct_queue_get_copy(), so
 * that a producer may pass the address of a stack variable.
 *
 * Ownership: the caller creates with ct_queue_new() and frees with
 * ct_queue_free(). The queue never owns the items it carries, with two
 * exceptions: items discarded by ct_queue_shutdown(q, true) and items still
 * queued at ct_queue_free() are passed to the `.destructor` given at
 * creation (if any), so nothing leaks.
 *
 * Timeouts (see core.h): double seconds; CT_FOREVER waits without limit;
 * 0 does not block (the _nowait forms); NaN is CT_EINVAL. A negative
 * timeout follows Python call by call: for get it is CT_EVALUE (Python's
 * ValueError "'timeout' must be a non-negative number"), even with items
 * queued, unless the queue is shut down and empty (CT_ESHUTDOWN); for put
 * it is CT_ESHUTDOWN after a shutdown, else CT_EVALUE on a bounded queue,
 * and ignored on an unbounded one (such a put never waits); for join it
 * means "already expired". Deadlines run on CLOCK_MONOTONIC.
 *
 * Waiting: blocked getters and putters are woken one at a time in the
 * order they started waiting (FIFO); a put wakes at most one getter and a
 * get at most one putter. A woken thread may still find that a thread
 * that never waited took the item first (as in Python), or, on a bounded
 * FIFO queue, a thread still on its way to sleep (it tries once more
 * after joining the line); the woken thread then waits again at the
 * head of the line.
 *
 * Signals: no function of this header is async-signal-safe (a put or get
 * interrupted by a signal handler that calls into the same queue can
 * lose or duplicate an item on a queue that one thread feeds or drains).
 *
 * Performance: a bounded FIFO queue (maxsize >= 2) is a lock-free ring
 * (one CAS per put or get, or a plain store while a single thread puts,
 * or gets; no allocation after creation); a SimpleQueue
 * puts without any lock into recycled 128-item segments; the other kinds
 * keep their items in one array under a small internal lock, grown by
 * doubling (never one allocation per item). Threads park only when the
 * queue is empty or full. See docs/queue.md.
 */
#ifndef CTHREADING_QUEUE_H
#define CTHREADING_QUEUE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The queue kinds (Python's classes). */
typedef enum ct_queue_kind {
    CT_QUEUE_FIFO = 0,     /* queue.Queue: first in, first out */
    CT_QUEUE_LIFO = 1,     /* queue.LifoQueue: last in, first out */
    CT_QUEUE_PRIORITY = 2, /* queue.PriorityQueue: lowest first, stable */
    CT_QUEUE_SIMPLE = 3    /* queue.SimpleQueue: unbounded FIFO, no tasks,
                              lock-free put (safe from hooks, TLS dtors) */
} ct_queue_kind;

/* An opaque queue. */
typedef struct ct_queue ct_queue;

/* Options of ct_queue_new() ("keyword arguments"); zero is Python's
 * default for each. */
typedef struct ct_queue_options {
    /* Maximum number of items; 0 or negative: unbounded (Python's
     * maxsize <= 0). Must be 0 for CT_QUEUE_SIMPLE. A bounded FIFO
     * queue allocates its `maxsize` slots at creation. */
    long maxsize;
    /* CT_QUEUE_FIFO (default), _LIFO, _PRIORITY or _SIMPLE. */
    ct_queue_kind kind;
    /* 0: items are `void *` (ct_queue_put/get). > 0: items are values of
     * this many bytes, copied in and out (ct_queue_put_copy/get_copy).
     * At most 65536. */
    size_t item_size;
    /* CT_QUEUE_PRIORITY only (required there): like qsort's comparator,
     * < 0 when `a` comes out before `b`. For `void *` items it receives
     * the items themselves; for by-value items, pointers to the copies.
     * Items that compare equal come out in the order they were put. It
     * is called with the queue's internal lock held: it must not call
     * into this queue. */
    int (*compare)(const void *a, const void *b);
    /* Called on each item the queue discards: by ct_queue_shutdown(q,
     * true) and by ct_queue_free(). For `void *` items it receives the
     * item; for by-value items, a pointer to the copy (valid only during
     * the call). NULL: items are simply dropped. Never called with an
     * internal lock held. */
    void (*destructor)(void *item);
} ct_queue_options;

/* Create a queue. Use through the macro:
 *     ct_queue *q = ct_queue_new(.maxsize = 100);
 *     ct_queue *jobs = ct_queue_new(.item_size = sizeof(struct job));
 * Returns the queue, or NULL with the reason recorded as the calling
 * thread's exception (ct_exception_current()): CT_EINVAL for a NULL
 * `opts`, an unknown kind, a missing `compare` for CT_QUEUE_PRIORITY,
 * `item_size` > 65536 or a bounded CT_QUEUE_SIMPLE; CT_ENOMEM when
 * memory ran out. Thread-safe. Allocates the queue (and the slots of a
 * bounded FIFO queue). */
CT_API ct_queue *ct_queue_new_opts(const ct_queue_options *opts);
#define ct_queue_new(...) ct_queue_new_opts(&(ct_queue_options){__VA_ARGS__})

/* Free the queue. Items still queued are passed to the destructor.
 * Returns 0 (also for NULL, which does nothing); CT_ESTATE (and frees
 * nothing) when it sees threads blocked in put, get or join of this
 * queue - shut it down and let them leave first. That check is a safety
 * net, not a guarantee: a thread woken by the shutdown may still be on
 * its way out, so join (or otherwise wait for) every thread that used
 * the queue before freeing it. No other thread may use the queue during
 * or after the call. Not thread-safe with any other call on `q`. */
CT_API int ct_queue_free(ct_queue *q);

/* Put `item` (a `void *` queue), waiting at most `timeout` seconds for a
 * free slot of a full bounded queue.
 * Returns 0; CT_EFULL when the queue stayed full until the timeout (at
 * once for timeout 0); CT_ESHUTDOWN after ct_queue_shutdown(); CT_ENOMEM
 * when an unbounded queue could not grow (the item was not queued);
 * CT_EVALUE for a negative timeout on a bounded queue (see the top);
 * CT_EINVAL for NULL `q`, NaN, or a by-value queue. Thread-safe. Never
 * blocks on an unbounded queue (a SimpleQueue's put takes no lock at
 * all); allocates only when an unbounded queue grows (in chunks), never
 * on a bounded FIFO queue. Increments the unfinished-task count.
 * Memory order: everything the putter did before the put happens before
 * what the getter of this item does after its get. */
CT_API int ct_queue_put(ct_queue *q, void *item, double timeout);

/* ct_queue_put(q, item, 0): Python's put_nowait. CT_EFULL when full. */
CT_API int ct_queue_put_nowait(ct_queue *q, void *item);

/* Take the next item into `*out`, waiting at most `timeout` seconds for
 * one. Returns 0; CT_EEMPTY when none came before the timeout (at once
 * for timeout 0); CT_ESHUTDOWN once the queue is shut down and empty (or
 * was shut down with immediate); CT_EVALUE for a negative timeout (see
 * the top); CT_EINVAL for NULL `q` or `out`, NaN, or a by-value queue.
 * `*out` is written only on success. Thread-safe. Does not allocate.
 * Memory order: acquire (pairs with the put of the item).
 * On a bounded FIFO queue a get with timeout 0 may answer CT_EEMPTY while
 * qsize() > 0 when the next item's put has claimed its slot but not yet
 * finished copying (and a put CT_EFULL while a get is still copying
 * out); a get that waits takes that item once it is published. */
CT_API int ct_queue_get(ct_queue *q, void **out, double timeout);

/* ct_queue_get(q, out, 0): Python's get_nowait. CT_EEMPTY when empty. */
CT_API int ct_queue_get_nowait(ct_queue *q, void **out);

/* Copy-in put: copy `item_size` bytes from `item` into the queue (for a
 * `void *` queue, sizeof(void *) bytes: the pointer `*item`). The caller
 * may reuse `*item` as soon as the call returns. Codes as ct_queue_put;
 * CT_EINVAL for NULL `item`. Thread-safe. */
CT_API int ct_queue_put_copy(ct_queue *q, const void *item, double timeout);

/* Copy-out get: copy the next item (`item_size` bytes) into `out`.
 * Codes as ct_queue_get. Thread-safe. */
CT_API int ct_queue_get_copy(ct_queue *q, void *out, double timeout);

/* The number of items queued (approximate while other threads put or
 * get, as in Python), >= 0; CT_EINVAL for NULL. Thread-safe, lock-free. */
CT_API long ct_queue_qsize(const ct_queue *q);

/* qsize() == 0 (true for NULL). Thread-safe, approximate. */
CT_API bool ct_queue_empty(const ct_queue *q);

/* 0 < maxsize <= qsize() (false for NULL). Thread-safe, approximate. */
CT_API bool ct_queue_full(const ct_queue *q);

/* The maxsize given at creation (0: unbounded); CT_EINVAL for NULL. */
CT_API long ct_queue_maxsize(const ct_queue *q);

/* Mark one item taken with get as processed (Python's task_done).
 * Returns 0; CT_EVALUE when called more times than items were put
 * (Python's ValueError "task_done() called too many times"); CT_EINVAL
 * for NULL or a CT_QUEUE_SIMPLE queue (it has no task tracking). When the
 * count of unfinished tasks drops to 0, every join() returns.
 * Thread-safe, lock-free. Memory order: release (a joiner that returns
 * sees everything done before the task_done calls). */
CT_API int ct_queue_task_done(ct_queue *q);

/* Wait until every item put has been matched by a task_done (Python's
 * join), at most `timeout` seconds (negative: already expired).
 * Returns 0; CT_ETIMEDOUT if tasks remained unfinished at the timeout;
 * CT_EINVAL for NULL, NaN or a CT_QUEUE_SIMPLE queue. Thread-safe. */
CT_API int ct_queue_join(ct_queue *q, double timeout);

/* The count of unfinished tasks (Python's unfinished_tasks attribute);
 * CT_EINVAL for NULL or a CT_QUEUE_SIMPLE queue. Thread-safe. */
CT_API long ct_queue_unfinished_tasks(const ct_queue *q);

/* Shut the queue down (Python 3.13's shutdown). Afterwards put fails with
 * CT_ESHUTDOWN; get returns the remaining items, then CT_ESHUTDOWN. With
 * `immediate`, the remaining items are discarded at once (each passed to
 * the destructor), the unfinished-task count is lowered by one per item
 * (not below 0), and join() callers re-check it (they return once it
 * is 0; items already taken by get still need their task_done). Every
 * thread blocked in put or get is woken. Once is_shutdown() answers true
 * to any thread, every put that thread starts fails. Calling it again is
 * allowed (immediate still discards). Returns 0; CT_EINVAL for NULL or a
 * CT_QUEUE_SIMPLE queue (Python's SimpleQueue has no shutdown).
 * Thread-safe; the destructor runs on the calling thread, before
 * join() callers are released. */
CT_API int ct_queue_shutdown(ct_queue *q, bool immediate);

/* True once ct_queue_shutdown() was called (Python's is_shutdown); false
 * for NULL. Thread-safe. */
CT_API bool ct_queue_is_shutdown(const ct_queue *q);

#ifdef __cplusplus
}
#endif
#endif /* CTHREADING_QUEUE_H */
