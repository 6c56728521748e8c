/* listpack.c - Redis 7.0 listpack byte format; see listpack.h. */
#include "listpack.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* First-byte masks and values of the encodings. */
#define ENC_7BIT_UINT_MASK 0x80
#define ENC_7BIT_UINT 0x00
#define ENC_6BIT_STR_MASK 0xC0
#define ENC_6BIT_STR 0x80
#define ENC_13BIT_INT_MASK 0xE0
#define ENC_13BIT_INT 0xC0
#define ENC_12BIT_STR_MASK 0xF0
#define ENC_12BIT_STR 0xE0
#define ENC_16BIT_INT 0xF1
#define ENC_24BIT_INT 0xF2
#define ENC_32BIT_INT 0xF3
#define ENC_64BIT_INT 0xF4
#define ENC_32BIT_STR 0xF0

#define LP_MAX_INT_ENC 9
#define LP_MAX_BACKLEN 5

/* ---- header ---------------------------------------------------------- */

static uint32_t rd_u32(const unsigned char *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr_u32(unsigned char *p, uint32_t v) {
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}

static uint32_t hdr_total(const unsigned char *lp) {
    return rd_u32(lp);
}

static uint32_t hdr_num(const unsigned char *lp) {
    return (uint32_t)lp[4] | ((uint32_t)lp[5] << 8);
}

static void hdr_set_num(unsigned char *lp, uint32_t n) {
    lp[4] = n & 0xff;
    lp[5] = (n >> 8) & 0xff;
}

/* A corrupt listpack reached a function that trusts its input: stop rather
 * than read out of bounds (callers validate untrusted bytes first). */
static void lp_corrupt(void) {
    fprintf(stderr, "listpack: corrupt entry in a trusted listpack\n");
    abort();
}

/* ---- backlen varint --------------------------------------------------- */

/* Thresholds as Redis 7.0 writes them (note '<' not '<='), so our bytes are
 * identical to theirs. */
static size_t backlen_size(uint64_t l) {
    if (l <= 127) return 1;
    if (l < 16383) return 2;
    if (l < 2097151) return 3;
    if (l < 268435455) return 4;
    return 5;
}

/* Most significant group first, continuation bit on every byte but the
 * first, so a reader starting at the last byte walks left. */
static size_t backlen_encode(unsigned char *buf, uint64_t l) {
    size_t n = backlen_size(l);
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        buf[i] = (unsigned char)((l >> shift) & 127);
        if (i > 0) buf[i] |= 128;
    }
    return n;
}

/* p points at the last byte of a backlen. */
static uint64_t backlen_decode(const unsigned char *p) {
    uint64_t v = 0;
    unsigned shift = 0;
    for (;;) {
        v |= (uint64_t)(p[0] & 127) << shift;
        if (!(p[0] & 128)) break;
        shift += 7;
        p--;
        if (shift > 28) lp_corrupt();
    }
    return v;
}

/* ---- entry encodings -------------------------------------------------- */

int lp_string_to_int64(const void *sv, size_t len, int64_t *v) {
    const unsigned char *s = sv;
    size_t i = 0;
    int neg = 0;
    uint64_t acc;

    if (len == 0 || len >= LP_INTBUF_SIZE) return 0;
    if (len == 1 && s[0] == '0') {
        *v = 0;
        return 1;
    }
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1) return 0;
    }
    if (s[i] < '1' || s[i] > '9') return 0;
    acc = (uint64_t)(s[i++] - '0');
    for (; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') return 0;
        d = (unsigned)(s[i] - '0');
        if (acc > UINT64_MAX / 10 || acc * 10 > UINT64_MAX - d) return 0;
        acc = acc * 10 + d;
    }
    if (neg) {
        if (acc > (uint64_t)INT64_MAX + 1) return 0;
        *v = (int64_t)(0 - acc);
    } else {
        if (acc > (uint64_t)INT64_MAX) return 0;
        *v = (int64_t)acc;
    }
    return 1;
}

/* Decimal text of v into buf (no terminator needed by callers, but one is
 * written when room allows); returns the length. */
static size_t int_to_str(int64_t v, unsigned char *buf) {
    unsigned char tmp[LP_INTBUF_SIZE];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (unsigned char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

/* Smallest integer encoding of v into buf; returns its size. */
static size_t encode_int(int64_t v, unsigned char *buf) {
    if (v >= 0 && v <= 127) {
        buf[0] = (unsigned char)v;
        return 1;
    }
    if (v >= -4096 && v <= 4095) {
        uint64_t u = (uint64_t)v & 0x1fff;
        buf[0] = (unsigned char)((u >> 8) | ENC_13BIT_INT);
        buf[1] = u & 0xff;
        return 2;
    }
    uint64_t u = (uint64_t)v;
    size_t nbytes;
    if (v >= -32768 && v <= 32767) {
        buf[0] = ENC_16BIT_INT;
        nbytes = 2;
    } else if (v >= -8388608 && v <= 8388607) {
        buf[0] = ENC_24BIT_INT;
        nbytes = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        buf[0] = ENC_32BIT_INT;
        nbytes = 4;
    } else {
        buf[0] = ENC_64BIT_INT;
        nbytes = 8;
    }
    for (size_t i = 0; i < nbytes; i++)
        buf[1 + i] = (u >> (8 * i)) & 0xff;
    return 1 + nbytes;
}

/* String length prefix into buf; returns its size. */
static size_t encode_str_hdr(size_t len, unsigned char *buf) {
    if (len < 64) {
        buf[0] = (unsigned char)(len | ENC_6BIT_STR);
        return 1;
    }
    if (len < 4096) {
        buf[0] = (unsigned char)((len >> 8) | ENC_12BIT_STR);
        buf[1] = len & 0xff;
        return 2;
    }
    buf[0] = ENC_32BIT_STR;
    wr_u32(buf + 1, (uint32_t)len);
    return 5;
}

/* Bytes of the length prefix needed to know an entry's size (1, 2 or 5),
 * 0 for an invalid first byte. */
static size_t enc_hdr_bytes(unsigned char b) {
    if ((b & ENC_7BIT_UINT_MASK) == ENC_7BIT_UINT || (b & ENC_6BIT_STR_MASK) == ENC_6BIT_STR ||
        (b & ENC_13BIT_INT_MASK) == ENC_13BIT_INT)
        return 1;
    if ((b & ENC_12BIT_STR_MASK) == ENC_12BIT_STR) return 2;
    switch (b) {
    case ENC_16BIT_INT:
    case ENC_24BIT_INT:
    case ENC_32BIT_INT:
    case ENC_64BIT_INT:
        return 1;
    case ENC_32BIT_STR:
        return 5;
    default:
        return 0;
    }
}

/* Size of encoding+data of the entry at p (first enc_hdr_bytes bytes must be
 * readable); 0 for an invalid encoding. 64-bit so a hostile 32-bit length
 * cannot wrap. */
static uint64_t enc_size(const unsigned char *p) {
    unsigned char b = p[0];
    if ((b & ENC_7BIT_UINT_MASK) == ENC_7BIT_UINT) return 1;
    if ((b & ENC_6BIT_STR_MASK) == ENC_6BIT_STR) return 1 + (uint64_t)(b & 0x3f);
    if ((b & ENC_13BIT_INT_MASK) == ENC_13BIT_INT) return 2;
    if ((b & ENC_12BIT_STR_MASK) == ENC_12BIT_STR) return 2 + (((uint64_t)(b & 0x0f) << 8) | p[1]);
    switch (b) {
    case ENC_16BIT_INT:
        return 3;
    case ENC_24BIT_INT:
        return 4;
    case ENC_32BIT_INT:
        return 5;
    case ENC_64BIT_INT:
        return 9;
    case ENC_32BIT_STR:
        return 5 + (uint64_t)rd_u32(p + 1);
    default:
        return 0;
    }
}

static size_t trusted_enc_size(const unsigned char *p) {
    uint64_t n = enc_size(p);
    if (n == 0) lp_corrupt();
    return (size_t)n;
}

size_t lp_entry_size(const unsigned char *p) {
    size_t n = trusted_enc_size(p);
    return n + backlen_size(n);
}

static int64_t sign_extend(uint64_t u, unsigned bits) {
    uint64_t sign = (uint64_t)1 << (bits - 1);
    if (u & sign) return (int64_t)(u - (sign << 1));
    return (int64_t)u;
}

static uint64_t rd_le(const unsigned char *p, size_t n) {
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return u;
}

const unsigned char *lp_get(const unsigned char *p, uint32_t *slen, int64_t *ival) {
    unsigned char b = p[0];
    if ((b & ENC_7BIT_UINT_MASK) == ENC_7BIT_UINT) {
        *ival = b;
        return NULL;
    }
    if ((b & ENC_6BIT_STR_MASK) == ENC_6BIT_STR) {
        *slen = b & 0x3f;
        return p + 1;
    }
    if ((b & ENC_13BIT_INT_MASK) == ENC_13BIT_INT) {
        *ival = sign_extend(((uint64_t)(b & 0x1f) << 8) | p[1], 13);
        return NULL;
    }
    if ((b & ENC_12BIT_STR_MASK) == ENC_12BIT_STR) {
        *slen = ((uint32_t)(b & 0x0f) << 8) | p[1];
        return p + 2;
    }
    switch (b) {
    case ENC_16BIT_INT:
        *ival = sign_extend(rd_le(p + 1, 2), 16);
        return NULL;
    case ENC_24BIT_INT:
        *ival = sign_extend(rd_le(p + 1, 3), 24);
        return NULL;
    case ENC_32BIT_INT:
        *ival = sign_extend(rd_le(p + 1, 4), 32);
        return NULL;
    case ENC_64BIT_INT:
        *ival = (int64_t)rd_le(p + 1, 8);
        return NULL;
    case ENC_32BIT_STR:
        *slen = rd_u32(p + 1);
        return p + 5;
    default:
        lp_corrupt();
        return NULL;
    }
}

const unsigned char *lp_get_str(const unsigned char *p, uint32_t *slen,
                                unsigned char buf[LP_INTBUF_SIZE]) {
    int64_t v;
    const unsigned char *s = lp_get(p, slen, &v);
    if (s) return s;
    *slen = (uint32_t)int_to_str(v, buf);
    return buf;
}

int lp_get_int(const unsigned char *p, int64_t *ival) {
    uint32_t slen;
    return lp_get(p, &slen, ival) == NULL;
}

int lp_compare(const unsigned char *p, const void *s, size_t slen) {
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t elen;
    const unsigned char *e = lp_get_str(p, &elen, buf);
    return elen == slen && (slen == 0 || memcmp(e, s, slen) == 0);
}

/* ---- life cycle and size ----------------------------------------------- */

unsigned char *lp_new(size_t capacity) {
    unsigned char *lp = sk_malloc(capacity > LP_HDR_SIZE + 1 ? capacity : LP_HDR_SIZE + 1);
    wr_u32(lp, LP_HDR_SIZE + 1);
    hdr_set_num(lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    return lp;
}

void lp_free(unsigned char *lp) {
    sk_free(lp);
}

unsigned char *lp_dup(const unsigned char *lp) {
    return sk_memdup(lp, hdr_total(lp));
}

unsigned char *lp_shrink_to_fit(unsigned char *lp) {
    return sk_realloc(lp, hdr_total(lp));
}

size_t lp_bytes(const unsigned char *lp) {
    return hdr_total(lp);
}

unsigned long lp_length(const unsigned char *lp) {
    uint32_t n = hdr_num(lp);
    if (n != LP_NUMELE_UNKNOWN) return n;
    unsigned long count = 0;
    for (const unsigned char *p = lp_first(lp); p; p = lp_next(lp, p))
        count++;
    return count;
}

int lp_safe_to_add(const unsigned char *lp, size_t add) {
    size_t cur = lp ? hdr_total(lp) : 0;
    return add <= LP_MAX_SAFETY_SIZE && cur + add <= LP_MAX_SAFETY_SIZE;
}

size_t lp_entry_size_str(const void *s, size_t len) {
    unsigned char buf[LP_MAX_INT_ENC];
    int64_t v;
    size_t n;
    if (lp_string_to_int64(s, len, &v))
        n = encode_int(v, buf);
    else
        n = encode_str_hdr(len, buf) + len;
    return n + backlen_size(n);
}

/* ---- navigation --------------------------------------------------------- */

unsigned char *lp_first(const unsigned char *lp) {
    unsigned char *p = (unsigned char *)lp + LP_HDR_SIZE;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_next(const unsigned char *lp, const unsigned char *p) {
    (void)lp;
    p += lp_entry_size(p);
    return *p == LP_EOF ? NULL : (unsigned char *)p;
}

unsigned char *lp_prev(const unsigned char *lp, const unsigned char *p) {
    if (p <= lp + LP_HDR_SIZE) return NULL;
    uint64_t n = backlen_decode(p - 1);
    n += backlen_size(n);
    if (n > (uint64_t)(p - (lp + LP_HDR_SIZE))) lp_corrupt();
    return (unsigned char *)p - n;
}

unsigned char *lp_last(const unsigned char *lp) {
    return lp_prev(lp, lp + hdr_total(lp) - 1);
}

unsigned char *lp_seek(const unsigned char *lp, long index) {
    unsigned long len = lp_length(lp);
    unsigned long i;
    unsigned char *p;

    if (index < 0) {
        if ((unsigned long)(-(index + 1)) >= len) return NULL;
        i = len - (unsigned long)(-(index + 1)) - 1;
    } else {
        if ((unsigned long)index >= len) return NULL;
        i = (unsigned long)index;
    }
    if (i <= len / 2) {
        p = lp_first(lp);
        while (i--)
            p = lp_next(lp, p);
    } else {
        p = lp_last(lp);
        for (unsigned long k = len - 1; k > i; k--)
            p = lp_prev(lp, p);
    }
    return p;
}

unsigned char *lp_find(const unsigned char *lp, const unsigned char *p, const void *s, size_t slen,
                       unsigned int skip) {
    int64_t sval = 0;
    int s_is_int = lp_string_to_int64(s, slen, &sval);
    unsigned int skipcnt = 0;

    /* An integer entry equals s only if s is the canonical text of the same
     * value, so compare numbers and never format integers here. */
    while (p) {
        if (skipcnt == 0) {
            uint32_t elen;
            int64_t ev;
            const unsigned char *e = lp_get(p, &elen, &ev);
            if (e) {
                if (elen == slen && (slen == 0 || memcmp(e, s, slen) == 0))
                    return (unsigned char *)p;
            } else if (s_is_int && ev == sval) {
                return (unsigned char *)p;
            }
            skipcnt = skip;
        } else {
            skipcnt--;
        }
        p = lp_next(lp, p);
    }
    return NULL;
}

/* ---- changing ----------------------------------------------------------- */

static void adjust_count(unsigned char *lp, long delta) {
    uint32_t n = hdr_num(lp);
    if (n == LP_NUMELE_UNKNOWN) return;
    long nn = (long)n + delta;
    hdr_set_num(lp, nn >= LP_NUMELE_UNKNOWN ? LP_NUMELE_UNKNOWN : (uint32_t)nn);
}

/* Replace the `del` bytes at offset `off` with `ins` bytes produced by
 * fill(dst, ctx); keeps header total and count (+count_delta) right. */
struct lp_newent {
    unsigned char hdr[LP_MAX_INT_ENC];
    size_t hdr_len;
    const unsigned char *data;
    size_t data_len;
};

static size_t newent_size(const struct lp_newent *e) {
    size_t n = e->hdr_len + e->data_len;
    return n + backlen_size(n);
}

static void newent_write(const struct lp_newent *e, unsigned char *dst) {
    memcpy(dst, e->hdr, e->hdr_len);
    if (e->data_len) memcpy(dst + e->hdr_len, e->data, e->data_len);
    backlen_encode(dst + e->hdr_len + e->data_len, e->hdr_len + e->data_len);
}

static unsigned char *splice(unsigned char *lp, size_t off, size_t del, const struct lp_newent *e,
                             long count_delta) {
    size_t total = hdr_total(lp);
    size_t ins = e ? newent_size(e) : 0;
    size_t newtotal = total - del + ins;
    size_t tail = total - off - del;

    if (newtotal > UINT32_MAX) {
        fprintf(stderr, "listpack: size over 4GB\n");
        abort();
    }
    if (ins > del) {
        lp = sk_realloc(lp, newtotal);
        memmove(lp + off + ins, lp + off + del, tail);
    } else if (ins < del) {
        memmove(lp + off + ins, lp + off + del, tail);
        lp = sk_realloc(lp, newtotal);
    }
    if (e) newent_write(e, lp + off);
    wr_u32(lp, (uint32_t)newtotal);
    adjust_count(lp, count_delta);
    return lp;
}

static void newent_str(struct lp_newent *e, const void *s, size_t slen) {
    int64_t v;
    if (lp_string_to_int64(s, slen, &v)) {
        e->hdr_len = encode_int(v, e->hdr);
        e->data = NULL;
        e->data_len = 0;
    } else {
        e->hdr_len = encode_str_hdr(slen, e->hdr);
        e->data = s;
        e->data_len = slen;
    }
}

static void newent_int(struct lp_newent *e, int64_t v) {
    e->hdr_len = encode_int(v, e->hdr);
    e->data = NULL;
    e->data_len = 0;
}

static unsigned char *insert_ent(unsigned char *lp, const struct lp_newent *e, unsigned char *p,
                                 enum lp_where where, unsigned char **newp) {
    size_t off = (size_t)(p - lp);
    size_t del = 0;
    long delta = 1;

    if (where == LP_AFTER) {
        off += lp_entry_size(p);
    } else if (where == LP_REPLACE) {
        del = lp_entry_size(p);
        delta = 0;
    }
    lp = splice(lp, off, del, e, delta);
    if (newp) *newp = lp + off;
    return lp;
}

unsigned char *lp_insert(unsigned char *lp, const void *s, size_t slen, unsigned char *p,
                         enum lp_where where, unsigned char **newp) {
    struct lp_newent e;
    newent_str(&e, s, slen);
    return insert_ent(lp, &e, p, where, newp);
}

unsigned char *lp_insert_int(unsigned char *lp, int64_t v, unsigned char *p, enum lp_where where,
                             unsigned char **newp) {
    struct lp_newent e;
    newent_int(&e, v);
    return insert_ent(lp, &e, p, where, newp);
}

unsigned char *lp_append(unsigned char *lp, const void *s, size_t slen) {
    return lp_insert(lp, s, slen, lp + hdr_total(lp) - 1, LP_BEFORE, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const void *s, size_t slen) {
    return lp_insert(lp, s, slen, lp + LP_HDR_SIZE, LP_BEFORE, NULL);
}

unsigned char *lp_append_int(unsigned char *lp, int64_t v) {
    return lp_insert_int(lp, v, lp + hdr_total(lp) - 1, LP_BEFORE, NULL);
}

unsigned char *lp_prepend_int(unsigned char *lp, int64_t v) {
    return lp_insert_int(lp, v, lp + LP_HDR_SIZE, LP_BEFORE, NULL);
}

unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const void *s, size_t slen) {
    return lp_insert(lp, s, slen, *p, LP_REPLACE, p);
}

unsigned char *lp_replace_int(unsigned char *lp, unsigned char **p, int64_t v) {
    return lp_insert_int(lp, v, *p, LP_REPLACE, p);
}

unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long num) {
    unsigned char *q = *p;
    size_t off = (size_t)(*p - lp);
    long n = 0;

    while (num-- > 0 && *q != LP_EOF) {
        q += lp_entry_size(q);
        n++;
    }
    lp = splice(lp, off, (size_t)(q - (lp + off)), NULL, -n);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char *p, unsigned char **newp) {
    lp = lp_delete_range_at(lp, &p, 1);
    if (newp) *newp = p;
    return lp;
}

unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long num) {
    unsigned char *p = lp_seek(lp, index);
    if (!p || num == 0) return lp;
    return lp_delete_range_at(lp, &p, num);
}

unsigned char *lp_batch_delete(unsigned char *lp, unsigned char **ps, unsigned long n) {
    if (n == 0) return lp;
    size_t total = hdr_total(lp);
    unsigned char *end = lp + total;
    unsigned char *dst = ps[0];

    /* Slide each kept run left over the holes before it. */
    for (unsigned long i = 0; i < n; i++) {
        unsigned char *src = ps[i] + lp_entry_size(ps[i]);
        unsigned char *stop = i + 1 < n ? ps[i + 1] : end;
        size_t run = (size_t)(stop - src);
        memmove(dst, src, run);
        dst += run;
    }
    size_t newtotal = (size_t)(dst - lp);
    wr_u32(lp, (uint32_t)newtotal);
    adjust_count(lp, -(long)n);
    return sk_realloc(lp, newtotal);
}

/* ---- validation ----------------------------------------------------------- */

/* Checks the entry at p, whose bytes must all lie before `end` (the
 * terminator). Returns the whole entry size, or 0 if it is invalid. */
static uint64_t validate_entry(const unsigned char *p, const unsigned char *end) {
    size_t avail = (size_t)(end - p);
    size_t hb = enc_hdr_bytes(p[0]);
    unsigned char bl[LP_MAX_BACKLEN];

    if (hb == 0 || hb > avail) return 0;
    uint64_t n = enc_size(p);
    size_t bls = backlen_size(n);
    if (n > avail || bls > avail - n) return 0;
    backlen_encode(bl, n);
    if (memcmp(p + n, bl, bls) != 0) return 0;
    return n + bls;
}

int lp_validate_cb(const unsigned char *lp, size_t size, lp_validate_entry_fn cb, void *userdata) {
    if (!lp || size < LP_HDR_SIZE + 1 || size > UINT32_MAX) return 0;
    if (hdr_total(lp) != size || lp[size - 1] != LP_EOF) return 0;

    uint32_t num = hdr_num(lp);
    const unsigned char *end = lp + size - 1;
    const unsigned char *p = lp + LP_HDR_SIZE;
    unsigned long count = 0;

    while (p < end) {
        uint64_t n = validate_entry(p, end);
        if (n == 0) return 0;
        if (cb && !cb(p, num, userdata)) return 0;
        p += n;
        count++;
    }
    if (num != LP_NUMELE_UNKNOWN && count != num) return 0;
    return 1;
}

int lp_validate(const unsigned char *lp, size_t size) {
    return lp_validate_cb(lp, size, NULL, NULL);
}
