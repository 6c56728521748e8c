/* mem.h - allocation wrappers.
 *
 * sk_malloc/sk_calloc/sk_realloc never return NULL: on failure they log and
 * abort, as Redis's zmalloc does (an in-memory database that runs out of
 * memory cannot keep its promises; maxmemory is the way to stay clear of it).
 * sk_strdup/sk_memdup likewise. sk_free(NULL) is a no-op.
 */
#ifndef SEALKV_CORE_MEM_H
#define SEALKV_CORE_MEM_H

#include <stddef.h>

void *sk_malloc(size_t size);
void *sk_calloc(size_t n, size_t size);
void *sk_realloc(void *ptr, size_t size);
char *sk_strdup(const char *s);
void *sk_memdup(const void *p, size_t len);
void sk_free(void *ptr);

/* Bytes handed out and not yet freed (via malloc_usable_size). */
size_t sk_mem_used(void);

#endif
