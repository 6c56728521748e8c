/* mem.c - allocation wrappers with a byte counter.
 *
 * The counter uses malloc_usable_size() so that it matches what the
 * allocator really holds (what INFO memory and maxmemory care about), and is
 * atomic because background threads (lazy free, I/O) may allocate too.
 */
#include "mem.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_size_t mem_used;

static void mem_oom(size_t size) {
    /* No log_msg here: it might allocate. A plain write is enough to say why. */
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "sealkv: out of memory allocating %zu bytes\n", size);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, msg, (size_t)n);
        (void)w;
    }
    abort();
}

static void mem_account_add(void *p) {
    atomic_fetch_add_explicit(&mem_used, malloc_usable_size(p), memory_order_relaxed);
}

static void mem_account_sub(void *p) {
    atomic_fetch_sub_explicit(&mem_used, malloc_usable_size(p), memory_order_relaxed);
}

void *sk_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) mem_oom(size);
    mem_account_add(p);
    return p;
}

void *sk_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) mem_oom(n * size);
    mem_account_add(p);
    return p;
}

void *sk_realloc(void *ptr, size_t size) {
    if (!ptr) return sk_malloc(size);
    if (size == 0) size = 1; /* keep realloc(p, 0) from freeing behind our back */
    size_t old = malloc_usable_size(ptr);
    void *p = realloc(ptr, size);
    if (!p) mem_oom(size);
    atomic_fetch_sub_explicit(&mem_used, old, memory_order_relaxed);
    mem_account_add(p);
    return p;
}

char *sk_strdup(const char *s) {
    return sk_memdup(s, strlen(s) + 1);
}

void *sk_memdup(const void *p, size_t len) {
    void *q = sk_malloc(len);
    if (len) memcpy(q, p, len);
    return q;
}

void sk_free(void *ptr) {
    if (!ptr) return;
    mem_account_sub(ptr);
    free(ptr);
}

size_t sk_mem_used(void) {
    return atomic_load_explicit(&mem_used, memory_order_relaxed);
}
