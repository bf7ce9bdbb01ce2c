// A C++ program including the installed headers: the structs (with
// std::atomic words), static initialisers and plain calls work from C++.
#include <cthreading.h>

#include <atomic>
#include <cstdio>
#include <thread>

static ct_lock lock = CT_LOCK_INIT;
static ct_event done = CT_EVENT_INIT;
static long counter;

int main() {
    static_assert(sizeof(ct_lock) == 8, "ct_lock is 8 bytes in C++ too");
    std::thread t([] {
        for (int i = 0; i < 100000; i++) {
            ct_lock_acquire(&lock, CT_FOREVER);
            counter++;
            ct_lock_release(&lock);
        }
        ct_event_set(&done);
    });
    for (int i = 0; i < 100000; i++) {
        ct_lock_acquire(&lock, CT_FOREVER);
        counter++;
        ct_lock_release(&lock);
    }
    int rc = ct_event_wait(&done, 10.0);
    t.join();
    std::atomic<uint32_t> word{0};
    int woken = ct_park_wake(&word, 1, 0);
    std::printf("c++ consumer: counter %ld, event %d, woken %d\n", counter, rc,
                woken);
    return counter == 200000 && rc == 0 && woken == 0 ? 0 : 1;
}
