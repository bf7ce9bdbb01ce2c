// bench/queue_cxx.cpp - the C++ queue alternatives behind extern "C"
// wrappers (our public headers are C11 and not meant for C++).
//
//   oneTBB     tbb::concurrent_bounded_queue<void *>, capacity set: push
//              blocks when full, pop blocks when empty
//   moodycamel moodycamel::BlockingConcurrentQueue<void *>: unbounded
//              (enqueue allocates blocks, no back-pressure), FIFO per
//              producer only, used without producer tokens
#include <cstddef>

#ifdef BENCH_HAVE_TBB
#include <tbb/concurrent_queue.h>
#endif
#ifdef BENCH_HAVE_MOODY
#include <blockingconcurrentqueue.h>
#endif

extern "C" {
void *bench_tbb_new(long cap);
void bench_tbb_put(void *q, void *item);
void *bench_tbb_get(void *q);
void bench_tbb_free(void *q);
void *bench_moody_new(long cap);
void bench_moody_put(void *q, void *item);
void *bench_moody_get(void *q);
void bench_moody_free(void *q);
}

#ifdef BENCH_HAVE_TBB
using tbb_queue = tbb::concurrent_bounded_queue<void *>;

void *bench_tbb_new(long cap) {
    auto *q = new tbb_queue();
    q->set_capacity(cap);
    return q;
}
void bench_tbb_put(void *q, void *item) {
    static_cast<tbb_queue *>(q)->push(item);
}
void *bench_tbb_get(void *q) {
    void *item = nullptr;
    static_cast<tbb_queue *>(q)->pop(item);
    return item;
}
void bench_tbb_free(void *q) {
    delete static_cast<tbb_queue *>(q);
}
#endif

#ifdef BENCH_HAVE_MOODY
using moody_queue = moodycamel::BlockingConcurrentQueue<void *>;

void *bench_moody_new(long cap) {
    return new moody_queue(static_cast<size_t>(cap));
}
void bench_moody_put(void *q, void *item) {
    static_cast<moody_queue *>(q)->enqueue(item);
}
void *bench_moody_get(void *q) {
    void *item = nullptr;
    static_cast<moody_queue *>(q)->wait_dequeue(item);
    return item;
}
void bench_moody_free(void *q) {
    delete static_cast<moody_queue *>(q);
}
#endif
