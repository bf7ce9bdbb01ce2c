/* threading.stack_size: the process default stack size for new threads.
 * One relaxed word: a thread started concurrently with a change may use
 * either value, as in Python. */
#include "internal.h"

#include <limits.h>
#include <unistd.h>

enum { MIN_STACK = 32 * 1024 }; /* Python's THREAD_STACK_MIN */

static _Atomic long default_size; /* 0: the platform's default */

long ct_thread_stack_size(void) {
    return atomic_load_explicit(&default_size, memory_order_relaxed);
}

long ct_thread_set_stack_size(long size) {
    if (size < 0 || (size > 0 && size < MIN_STACK))
        return CT_EVALUE; /* "size not valid: %d bytes" */
    return atomic_exchange_explicit(&default_size, size, memory_order_relaxed);
}

size_t ct__stack_size_for(size_t requested) {
    size_t size =
        requested
            ? requested
            : (size_t)atomic_load_explicit(&default_size, memory_order_relaxed);
    if (!size)
        return 0;
    long min = sysconf(_SC_THREAD_STACK_MIN);
    if (min > 0 && size < (size_t)min)
        size = (size_t)min;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0)
        size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    return size;
}
