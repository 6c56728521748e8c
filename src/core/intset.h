/* intset.h - a sorted set of integers in one flat allocation.
 *
 * The compact encoding of small all-integer sets. The bytes are Redis's
 * intset format exactly, so RDB/DUMP code can emit and load them as they are:
 *
 *   uint32 encoding   2, 4 or 8: the width in bytes of every element
 *   uint32 length     number of elements
 *   int<w> contents[] ascending, no duplicates
 *
 * all little-endian. The width is the smallest one that holds every element
 * ever added (it is not narrowed on removal, as Redis does not); adding a
 * wider value upgrades the whole array in place.
 *
 * Ownership: an intset is one heap block (sk_malloc) owned by the caller.
 * Functions that can grow or shrink it return the (possibly moved) pointer;
 * the old one must not be used after. Allocation failure aborts.
 * Not thread-safe.
 */
#ifndef SEALKV_CORE_INTSET_H
#define SEALKV_CORE_INTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct intset intset; /* opaque: the bytes described above */

#define INTSET_ENC_INT16 2
#define INTSET_ENC_INT32 4
#define INTSET_ENC_INT64 8
#define INTSET_HEADER_SIZE 8

intset *intset_new(void);
void intset_free(intset *is); /* NULL is fine */
intset *intset_dup(const intset *is);

/* Adds v; *added (may be NULL) is 1 when it was new, 0 when present. */
intset *intset_add(intset *is, int64_t v, int *added);
/* Removes v; *removed (may be NULL) is 1 when it was there. */
intset *intset_remove(intset *is, int64_t v, int *removed);
int intset_find(const intset *is, int64_t v); /* 1 when present */

uint32_t intset_len(const intset *is);
/* Element at pos (0 = smallest); returns 1, or 0 when pos is out of range. */
int intset_get(const intset *is, uint32_t pos, int64_t *v);
/* A uniformly chosen element; the set must not be empty. */
int64_t intset_random(const intset *is);
int64_t intset_min(const intset *is); /* the set must not be empty */
int64_t intset_max(const intset *is);
uint32_t intset_encoding(const intset *is); /* 2, 4 or 8 */

/* The serialized form: the intset's own bytes, blob_len of them. */
size_t intset_blob_len(const intset *is);
const uint8_t *intset_blob(const intset *is);

/* Checks an untrusted blob (RESTORE, RDB): a known encoding, a length that
 * matches size exactly and, when deep != 0, strictly ascending contents (so
 * sorted and free of duplicates). Returns 0 or SK_EINVAL. */
int intset_validate(const void *blob, size_t size, int deep);
/* A private copy of a blob, after a deep validation; NULL when invalid. */
intset *intset_from_blob(const void *blob, size_t size);

#endif
