/* 26 - Testing concurrent code: check the exact end state.
 *
 * Python (seed guide 004 "Best Practices - 5. Testing Concurrent Code"):
 *
 *     def append_numbers(start, end):
 *         for i in range(start, end):
 *             with lock:
 *                 shared_resource.append(i)
 *     for i in range(0, 100, 20):
 *         Thread(target=append_numbers, args=(i, i+20)).start() ...
 *     assert len(shared_resource) == 100
 *     assert set(shared_resource) == set(range(100))
 *     print("Thread safety test passed!")
 *
 * The arguments (start, end) are copied into each thread
 * (ct_thread_new_copy), so the loop variable can change safely.
 *
 * EXPECT: ^len = 100$
 * EXPECT: ^every value 0\.\.99 present exactly once: yes$
 * EXPECT: ^Thread safety test passed!$
 */
#include <cthreading.h>
#include <cthreading/sync.h>
#include <stdio.h>

static ct_lock lock = CT_LOCK_INIT;
static int shared_resource[100]; /* a list: items and length, under lock */
static int len;

struct range {
    int start, end;
};

static int append_numbers(void *arg) {
    const struct range *r = arg;
    for (int i = r->start; i < r->end; i++) {
        CT_WITH(&lock) {
            if (len < 100)
                shared_resource[len++] = i;
        }
    }
    return 0;
}

int main(void) {
    ct_thread *threads[5];
    int n = 0;
    for (int i = 0; i < 100; i += 20) {
        struct range r = {i, i + 20};
        threads[n] = ct_thread_new_copy(append_numbers, &r, sizeof r);
        ct_thread_start(threads[n++]);
    }
    for (int i = 0; i < n; i++) {
        ct_thread_join(threads[i], CT_FOREVER);
        ct_thread_free(threads[i]);
    }
    int count[100] = {0};
    bool once_each = true;
    for (int i = 0; i < len; i++)
        count[shared_resource[i]]++;
    for (int v = 0; v < 100; v++)
        once_each = once_each && count[v] == 1;
    printf("len = %d\n", len);
    printf("every value 0..99 present exactly once: %s\n",
           once_each ? "yes" : "no");
    if (len != 100 || !once_each)
        return 1;
    printf("Thread safety test passed!\n");
    return 0;
}
