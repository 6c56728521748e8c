/* intset.c - sorted integer array in Redis's intset byte format.
 *
 * Every field is read and written byte by byte in little-endian order, so
 * the block is the serialized form on any host and needs no alignment.
 * Lookups are binary searches; insertions and removals move the tail with
 * memmove and resize the block to its exact size (small sets stay small:
 * that is the point of the encoding).
 */
#include "intset.h"

#include <string.h>

#include "err.h"
#include "mem.h"
#include "util.h"

struct intset {
    uint8_t hdr[INTSET_HEADER_SIZE]; /* encoding, length: uint32 LE each */
    uint8_t contents[];
};

/* ------------------------------------------------------ byte-level access */

static uint32_t rd_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A little-endian two's complement integer of width enc at p. */
static int64_t rd_int(const uint8_t *p, uint32_t enc) {
    uint64_t u = 0;
    for (uint32_t i = 0; i < enc; i++)
        u |= (uint64_t)p[i] << (8 * i);
    if (enc == INTSET_ENC_INT16) return (int16_t)(uint16_t)u;
    if (enc == INTSET_ENC_INT32) return (int32_t)(uint32_t)u;
    return (int64_t)u;
}

static void wr_int(uint8_t *p, uint32_t enc, int64_t v) {
    uint64_t u = (uint64_t)v;
    for (uint32_t i = 0; i < enc; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

static uint32_t enc_of(const intset *is) {
    return rd_u32(is->hdr);
}

static void set_enc(intset *is, uint32_t enc) {
    wr_u32(is->hdr, enc);
}

static void set_len(intset *is, uint32_t len) {
    wr_u32(is->hdr + 4, len);
}

static int64_t get_at(const intset *is, uint32_t pos, uint32_t enc) {
    return rd_int(is->contents + (size_t)pos * enc, enc);
}

static void set_at(intset *is, uint32_t pos, int64_t v) {
    uint32_t enc = enc_of(is);
    wr_int(is->contents + (size_t)pos * enc, enc, v);
}

/* The narrowest width that holds v. */
static uint32_t width_for(int64_t v) {
    if (v >= INT16_MIN && v <= INT16_MAX) return INTSET_ENC_INT16;
    if (v >= INT32_MIN && v <= INT32_MAX) return INTSET_ENC_INT32;
    return INTSET_ENC_INT64;
}

static intset *resize(intset *is, uint32_t len) {
    size_t bytes = INTSET_HEADER_SIZE + (size_t)len * enc_of(is);
    return sk_realloc(is, bytes);
}

/* ---------------------------------------------------------------- search */

/* Binary search. Returns 1 and the position when v is present; else 0 and
 * the position where it would be inserted. */
static int search(const intset *is, int64_t v, uint32_t *pos) {
    uint32_t len = intset_len(is), enc = enc_of(is);
    if (len == 0) {
        *pos = 0;
        return 0;
    }
    /* Appends and prepends are common (increasing ids): check the ends. */
    if (v > get_at(is, len - 1, enc)) {
        *pos = len;
        return 0;
    }
    if (v < get_at(is, 0, enc)) {
        *pos = 0;
        return 0;
    }
    uint32_t lo = 0, hi = len; /* answer in [lo, hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = get_at(is, mid, enc);
        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

/* ------------------------------------------------------------ public API */

intset *intset_new(void) {
    intset *is = sk_malloc(INTSET_HEADER_SIZE);
    set_enc(is, INTSET_ENC_INT16);
    set_len(is, 0);
    return is;
}

void intset_free(intset *is) {
    sk_free(is);
}

intset *intset_dup(const intset *is) {
    return sk_memdup(is, intset_blob_len(is));
}

uint32_t intset_len(const intset *is) {
    return rd_u32(is->hdr + 4);
}

uint32_t intset_encoding(const intset *is) {
    return enc_of(is);
}

size_t intset_blob_len(const intset *is) {
    return INTSET_HEADER_SIZE + (size_t)intset_len(is) * enc_of(is);
}

const uint8_t *intset_blob(const intset *is) {
    return (const uint8_t *)is;
}

/* Widens every element to fit v, then adds v. v is outside the old range
 * (it needs a wider type), so it goes first when negative, last otherwise. */
static intset *upgrade_and_add(intset *is, int64_t v) {
    uint32_t old_enc = enc_of(is), len = intset_len(is);
    uint32_t prepend = v < 0 ? 1 : 0;
    set_enc(is, width_for(v));
    is = resize(is, len + 1);
    /* Back to front, so no element is overwritten before it is read. */
    for (uint32_t i = len; i-- > 0;)
        set_at(is, i + prepend, get_at(is, i, old_enc));
    set_at(is, prepend ? 0 : len, v);
    set_len(is, len + 1);
    return is;
}

intset *intset_add(intset *is, int64_t v, int *added) {
    uint32_t pos, len = intset_len(is);
    if (added) *added = 0;
    if (width_for(v) > enc_of(is)) {
        if (added) *added = 1;
        return upgrade_and_add(is, v);
    }
    if (search(is, v, &pos)) return is;
    if (len == UINT32_MAX) return is; /* full: a 32-bit length cannot count more */
    is = resize(is, len + 1);
    uint32_t enc = enc_of(is);
    if (pos < len)
        memmove(is->contents + (size_t)(pos + 1) * enc, is->contents + (size_t)pos * enc,
                (size_t)(len - pos) * enc);
    set_at(is, pos, v);
    set_len(is, len + 1);
    if (added) *added = 1;
    return is;
}

intset *intset_remove(intset *is, int64_t v, int *removed) {
    uint32_t pos, len = intset_len(is);
    if (removed) *removed = 0;
    if (width_for(v) > enc_of(is) || !search(is, v, &pos)) return is;
    uint32_t enc = enc_of(is);
    if (pos < len - 1)
        memmove(is->contents + (size_t)pos * enc, is->contents + (size_t)(pos + 1) * enc,
                (size_t)(len - pos - 1) * enc);
    set_len(is, len - 1);
    if (removed) *removed = 1;
    return resize(is, len - 1);
}

int intset_find(const intset *is, int64_t v) {
    uint32_t pos;
    return width_for(v) <= enc_of(is) && search(is, v, &pos);
}

int intset_get(const intset *is, uint32_t pos, int64_t *v) {
    if (pos >= intset_len(is)) return 0;
    *v = get_at(is, pos, enc_of(is));
    return 1;
}

int64_t intset_random(const intset *is) {
    uint32_t len = intset_len(is);
    return get_at(is, (uint32_t)(util_rand64() % len), enc_of(is));
}

int64_t intset_min(const intset *is) {
    return get_at(is, 0, enc_of(is));
}

int64_t intset_max(const intset *is) {
    return get_at(is, intset_len(is) - 1, enc_of(is));
}

/* ------------------------------------------------------------ validation */

int intset_validate(const void *blob, size_t size, int deep) {
    const uint8_t *p = blob;
    if (blob == NULL || size < INTSET_HEADER_SIZE) return SK_EINVAL;
    uint32_t enc = rd_u32(p), count = rd_u32(p + 4);
    if (enc != INTSET_ENC_INT16 && enc != INTSET_ENC_INT32 && enc != INTSET_ENC_INT64)
        return SK_EINVAL;
    /* 64-bit arithmetic: count * 8 cannot overflow it. */
    if ((uint64_t)INTSET_HEADER_SIZE + (uint64_t)count * enc != (uint64_t)size) return SK_EINVAL;
    /* An empty set is never stored (the key is deleted instead), as Redis. */
    if (count == 0) return SK_EINVAL;
    if (!deep) return 0;
    const uint8_t *c = p + INTSET_HEADER_SIZE;
    int64_t prev = rd_int(c, enc);
    for (uint32_t i = 1; i < count; i++) {
        int64_t cur = rd_int(c + (size_t)i * enc, enc);
        if (cur <= prev) return SK_EINVAL; /* unsorted or duplicate */
        prev = cur;
    }
    return 0;
}

intset *intset_from_blob(const void *blob, size_t size) {
    if (intset_validate(blob, size, 1) != 0) return NULL;
    return sk_memdup(blob, size);
}
