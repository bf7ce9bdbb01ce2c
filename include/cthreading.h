/* cthreading.h - Python's concurrency toolkit (threading, queue,
 * concurrent.futures, multiprocessing) as a C library.
 *
 * The umbrella header: it includes every layer and nothing else.
 *   core    errors, exceptions, time and deadlines, parking, allocation
 *   sync    Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event,
 *           Barrier, once, lock ordering, CT_WITH guards
 *   thread  Thread, current/main thread, enumerate, local, Timer, excepthook
 *   queue   Queue, LifoQueue, PriorityQueue, SimpleQueue
 */
#ifndef CTHREADING_H
#define CTHREADING_H

#include "cthreading/core.h"
#include "cthreading/queue.h"
#include "cthreading/sync.h"
#include "cthreading/thread.h"

#endif
