/* 31 - BoundedSemaphore: a pool of 2 connections; a release too many is an
 * error, and a client that cannot wait uses a timeout.
 *
 * Python (seed guide 002 "Locks, Semaphores, and Queues": a semaphore
 * guarding a resource; BoundedSemaphore is its safer form):
 *
 *     pool = threading.BoundedSemaphore(2)
 *     if pool.acquire(timeout=0.05): ... use ...; pool.release()
 *     else: print("busy, try later")
 *     pool.release()   # ValueError: Semaphore released too many times
 *
 * EXPECT: ^client [0-9] got a connection$
 * EXPECT: ^client 9 \(no waiting\): busy, try later$
 * EXPECT: ^extra release: CT_EVALUE \(ValueError\)$
 * EXPECT: ^connections free: 2 of 2$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_bounded_semaphore pool = CT_BOUNDED_SEMAPHORE_INIT(2);

static int client(void *arg) {
    int id = (int)(intptr_t)arg;
    if (ct_bounded_semaphore_acquire(&pool, 5.0) != 0)
        return CT_ETIMEDOUT;
    printf("client %d got a connection\n", id);
    ct_sleep(0.01); /* a query */
    ct_bounded_semaphore_release(&pool, 1);
    return 0;
}

int main(void) {
    ct_thread *t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = ct_thread_new(client, (void *)(intptr_t)i);
        ct_thread_start(t[i]);
    }
    for (int i = 0; i < 4; i++) {
        ct_thread_join(t[i], CT_FOREVER);
        ct_thread_free(t[i]);
    }

    /* Hold both connections: a client that may not wait gives up. */
    ct_bounded_semaphore_acquire(&pool, CT_FOREVER);
    ct_bounded_semaphore_acquire(&pool, CT_FOREVER);
    if (ct_bounded_semaphore_acquire(&pool, 0) == CT_ETIMEDOUT)
        printf("client 9 (no waiting): busy, try later\n");
    ct_bounded_semaphore_release(&pool, 2);

    int rc = ct_bounded_semaphore_release(&pool, 1); /* one too many */
    printf("extra release: %s (%s)\n", ct_errname(rc), ct_exception_type(rc));
    printf("connections free: %d of 2\n", ct_bounded_semaphore_value(&pool));
    return rc == CT_EVALUE ? 0 : 1;
}
