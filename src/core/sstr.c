/* sstr.c - binary-safe strings with a size-class header before the bytes.
 *
 * Layout: [len][alloc][type] bytes... NUL
 * len and alloc are 1, 2, 4 or 8 byte fields; the type byte sits right
 * before the bytes so s[-1] always says how to read the rest. `alloc` counts
 * usable bytes, not the header nor the trailing NUL.
 */
#include "sstr.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { SSTR_T8 = 0, SSTR_T16 = 1, SSTR_T32 = 2, SSTR_T64 = 3 };

#define SSTR_MAX_PREALLOC (1024 * 1024)

struct __attribute__((packed)) sstr_h8 {
    uint8_t len, alloc;
    unsigned char type;
};
struct __attribute__((packed)) sstr_h16 {
    uint16_t len, alloc;
    unsigned char type;
};
struct __attribute__((packed)) sstr_h32 {
    uint32_t len, alloc;
    unsigned char type;
};
struct __attribute__((packed)) sstr_h64 {
    uint64_t len, alloc;
    unsigned char type;
};

static int sstr_type_for(size_t size) {
    if (size <= UINT8_MAX) return SSTR_T8;
    if (size <= UINT16_MAX) return SSTR_T16;
    if ((uint64_t)size <= UINT32_MAX) return SSTR_T32;
    return SSTR_T64;
}

static size_t sstr_hdr_size(int type) {
    switch (type) {
    case SSTR_T8:
        return sizeof(struct sstr_h8);
    case SSTR_T16:
        return sizeof(struct sstr_h16);
    case SSTR_T32:
        return sizeof(struct sstr_h32);
    default:
        return sizeof(struct sstr_h64);
    }
}

static int sstr_type(const sstr s) {
    return (unsigned char)s[-1] & 3;
}

static void *sstr_hdr(const sstr s) {
    return s - sstr_hdr_size(sstr_type(s));
}

size_t sstr_len(const sstr s) {
    void *h = sstr_hdr(s);
    switch (sstr_type(s)) {
    case SSTR_T8:
        return ((struct sstr_h8 *)h)->len;
    case SSTR_T16:
        return ((struct sstr_h16 *)h)->len;
    case SSTR_T32:
        return ((struct sstr_h32 *)h)->len;
    default:
        return (size_t)((struct sstr_h64 *)h)->len;
    }
}

static size_t sstr_alloc(const sstr s) {
    void *h = sstr_hdr(s);
    switch (sstr_type(s)) {
    case SSTR_T8:
        return ((struct sstr_h8 *)h)->alloc;
    case SSTR_T16:
        return ((struct sstr_h16 *)h)->alloc;
    case SSTR_T32:
        return ((struct sstr_h32 *)h)->alloc;
    default:
        return (size_t)((struct sstr_h64 *)h)->alloc;
    }
}

/* Writes len and alloc; both must fit the current type (callers ensure it). */
static void sstr_set_fields(sstr s, size_t len, size_t alloc) {
    void *h = sstr_hdr(s);
    switch (sstr_type(s)) {
    case SSTR_T8:
        ((struct sstr_h8 *)h)->len = (uint8_t)len;
        ((struct sstr_h8 *)h)->alloc = (uint8_t)alloc;
        break;
    case SSTR_T16:
        ((struct sstr_h16 *)h)->len = (uint16_t)len;
        ((struct sstr_h16 *)h)->alloc = (uint16_t)alloc;
        break;
    case SSTR_T32:
        ((struct sstr_h32 *)h)->len = (uint32_t)len;
        ((struct sstr_h32 *)h)->alloc = (uint32_t)alloc;
        break;
    default:
        ((struct sstr_h64 *)h)->len = len;
        ((struct sstr_h64 *)h)->alloc = alloc;
        break;
    }
}

/* A fresh string of capacity `alloc` holding `len` bytes copied from p. */
static sstr sstr_alloc_new(const void *p, size_t len, size_t alloc) {
    int type = sstr_type_for(alloc);
    size_t hl = sstr_hdr_size(type);
    char *mem = sk_malloc(hl + alloc + 1);
    sstr s = mem + hl;
    s[-1] = (char)type;
    sstr_set_fields(s, len, alloc);
    if (p && len)
        memcpy(s, p, len);
    else if (len)
        memset(s, 0, len);
    s[len] = '\0';
    return s;
}

sstr sstr_new(const void *p, size_t len) {
    return sstr_alloc_new(p, len, len);
}

sstr sstr_from_cstr(const char *s) {
    return sstr_new(s, s ? strlen(s) : 0);
}

sstr sstr_empty(void) {
    return sstr_new("", 0);
}

sstr sstr_from_ll(long long v) {
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", v);
    return sstr_new(buf, (size_t)n);
}

sstr sstr_dup(const sstr s) {
    return sstr_new(s, sstr_len(s));
}

void sstr_free(sstr s) {
    if (s) sk_free(sstr_hdr(s));
}

size_t sstr_avail(const sstr s) {
    return sstr_alloc(s) - sstr_len(s);
}

void sstr_set_len(sstr s, size_t len) {
    size_t alloc = sstr_alloc(s);
    if (len > alloc) len = alloc; /* never past the allocation, whatever the caller says */
    sstr_set_fields(s, len, alloc);
    s[len] = '\0';
}

size_t sstr_alloc_size(const sstr s) {
    return sstr_hdr_size(sstr_type(s)) + sstr_alloc(s) + 1;
}

/* Moves s into an allocation of capacity `alloc` (>= len), changing header
 * type when the size class changes. */
static sstr sstr_resize(sstr s, size_t alloc) {
    size_t len = sstr_len(s);
    int oldtype = sstr_type(s);
    int type = sstr_type_for(alloc);
    if (type == oldtype) {
        size_t hl = sstr_hdr_size(type);
        char *mem = sk_realloc(sstr_hdr(s), hl + alloc + 1);
        s = mem + hl;
        sstr_set_fields(s, len, alloc);
        return s;
    }
    sstr ns = sstr_alloc_new(s, len, alloc);
    sstr_free(s);
    return ns;
}

sstr sstr_make_room(sstr s, size_t addlen) {
    size_t len = sstr_len(s);
    if (sstr_alloc(s) - len >= addlen) return s;
    size_t newlen = len + addlen;
    if (newlen < len) newlen = SIZE_MAX - 64; /* overflow: let the allocator fail loudly */
    /* Greedy growth so that repeated appends are amortised O(1). */
    if (newlen < SSTR_MAX_PREALLOC)
        newlen *= 2;
    else if (newlen < SIZE_MAX - 64 - SSTR_MAX_PREALLOC)
        newlen += SSTR_MAX_PREALLOC;
    return sstr_resize(s, newlen);
}

sstr sstr_remove_free(sstr s) {
    if (sstr_avail(s) == 0) return s;
    return sstr_resize(s, sstr_len(s));
}

sstr sstr_cat(sstr s, const void *p, size_t len) {
    size_t cur = sstr_len(s);
    s = sstr_make_room(s, len);
    if (len) memcpy(s + cur, p, len);
    sstr_set_len(s, cur + len);
    return s;
}

sstr sstr_cat_cstr(sstr s, const char *t) {
    return sstr_cat(s, t, strlen(t));
}

sstr sstr_cat_sstr(sstr s, const sstr t) {
    return sstr_cat(s, t, sstr_len(t));
}

sstr sstr_catfmt(sstr s, const char *fmt, ...) {
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return s;
    if ((size_t)n < sizeof(small)) return sstr_cat(s, small, (size_t)n);
    size_t cur = sstr_len(s);
    s = sstr_make_room(s, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(s + cur, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sstr_set_len(s, cur + (size_t)n);
    return s;
}

sstr sstr_grow_zero(sstr s, size_t len) {
    size_t cur = sstr_len(s);
    if (len <= cur) return s;
    s = sstr_make_room(s, len - cur);
    memset(s + cur, 0, len - cur + 1);
    sstr_set_len(s, len);
    return s;
}

void sstr_range(sstr s, ptrdiff_t start, ptrdiff_t end) {
    ptrdiff_t len = (ptrdiff_t)sstr_len(s);
    if (len == 0) return;
    if (start < 0) {
        start += len;
        if (start < 0) start = 0;
    }
    if (end < 0) {
        end += len;
        if (end < 0) end = 0;
    }
    ptrdiff_t newlen = (start > end) ? 0 : end - start + 1;
    if (newlen != 0) {
        if (start >= len) {
            newlen = 0;
        } else if (end >= len) {
            end = len - 1;
            newlen = end - start + 1;
        }
    }
    if (start && newlen) memmove(s, s + start, (size_t)newlen);
    sstr_set_len(s, (size_t)newlen);
}

void sstr_clear(sstr s) {
    sstr_set_len(s, 0);
}

int sstr_cmp(const sstr a, const sstr b) {
    size_t la = sstr_len(a), lb = sstr_len(b);
    size_t min = la < lb ? la : lb;
    int c = memcmp(a, b, min);
    if (c != 0) return c;
    if (la == lb) return 0;
    return la < lb ? -1 : 1;
}
