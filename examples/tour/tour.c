/* The guided tour of cthreading: `make run`.
 *
 * It walks the learning path of the Python guides the project comes from
 * (../shared/seeds/), level by level, each step live with measured output.
 * Each layer adds its steps in its own file (step_<layer>.c).
 *
 * EXPECT: ^== cthreading [0-9]+\.[0-9]+\.[0-9]+ tour
 * EXPECT: ^-- core: errors
 * EXPECT: ^-- core: deadlines
 * EXPECT: ^-- core: parking
 * EXPECT: ^== tour complete
 */
#include "tour.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    printf("== cthreading %s tour (%d CPUs)%s\n", ct_version(), ct_cpu_count(),
           quick ? " [quick]" : "");
    int rc = 0;
    rc |= tour_core(quick);
    if (tour_thread)
        rc |= tour_thread(quick);
    if (tour_sync)
        rc |= tour_sync(quick);
    if (tour_sync_b)
        rc |= tour_sync_b(quick);
    if (tour_queue)
        rc |= tour_queue(quick);
    printf("== tour complete%s\n", rc ? " (with failures)" : "");
    return rc ? 1 : 0;
}
