/* The tour's steps, one function per layer (examples/tour/step_<layer>.c).
 * Each prints its steps with live, measured output and returns 0, or 1 if
 * something did not behave as it should. `quick` shortens long steps (the
 * test suite runs the tour with --quick). */
#ifndef CT_TOUR_H
#define CT_TOUR_H

#include <cthreading.h>
#include <stdbool.h>

int tour_core(bool quick);
/* Layers still being written are weak until they land. */
__attribute__((weak)) int tour_thread(bool quick);
__attribute__((weak)) int tour_sync(bool quick);
__attribute__((weak)) int tour_queue(bool quick);
__attribute__((weak)) int tour_sync_b(bool quick);

/* A step heading: "-- <layer>: <title>". */
#define TOUR_STEP(layer, title) printf("\n-- %s: %s\n", layer, title)

#endif
