/* The one place the library allocates. Tests install a failing allocator
 * through ct_set_allocator() to prove every allocation site recovers. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void *std_alloc(void *ctx, size_t n) {
    (void)ctx;
    return malloc(n);
}
static void *std_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    return realloc(p, n);
}
static void std_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

/* Written only by ct_set_allocator, which is documented as start-up only
 * (no concurrent allocation), so plain reads suffice. One struct, so a
 * reader never mixes two allocators' functions. */
static ct_allocator current = {std_alloc, std_realloc, std_free, NULL};

int ct_set_allocator(const ct_allocator *a) {
    if (a == NULL) {
        current = (ct_allocator){std_alloc, std_realloc, std_free, NULL};
        return 0;
    }
    if (!a->alloc || !a->realloc || !a->free)
        return CT_EINVAL;
    current = *a;
    return 0;
}

void ct_get_allocator(ct_allocator *out) {
    if (out)
        *out = current;
}

void *ct__alloc(size_t size) {
    return current.alloc(current.ctx, size ? size : 1);
}

void *ct__calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = ct__alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* Over-allocates by a line plus a pointer; the pointer just below the
 * aligned block is the one to free. */
void *ct__calloc_lines(size_t size) {
    if (size > SIZE_MAX - 2 * CT__LINE - sizeof(void *))
        return NULL;
    size = (size + CT__LINE - 1) & ~(size_t)(CT__LINE - 1);
    unsigned char *raw = ct__alloc(size + CT__LINE - 1 + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + CT__LINE - 1) &
                   ~(uintptr_t)(CT__LINE - 1);
    unsigned char *p = raw + (at - (uintptr_t)raw);
    memcpy(p - sizeof(void *), &raw, sizeof raw);
    memset(p, 0, size);
    return p;
}

void ct__free_lines(void *p) {
    if (p) {
        void *raw;
        memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof raw);
        ct__free(raw);
    }
}

void *ct__realloc(void *p, size_t size) {
    return current.realloc(current.ctx, p, size ? size : 1);
}

void ct__free(void *p) {
    if (p)
        current.free(current.ctx, p);
}
