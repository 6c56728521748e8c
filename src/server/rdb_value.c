/* rdb_value.c - serializing and loading one value in RDB format (see
 * rdb_value.h). Layout: primitives, writing, untrusted-blob walkers
 * (ziplist, zipmap, listpack), value loaders per type, payloads. */
#include "rdb_value.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/crc64.h"
#include "../core/dict.h"
#include "../core/err.h"
#include "../core/intset.h"
#include "../core/listpack.h"
#include "../core/lzf.h"
#include "../core/mem.h"
#include "../core/quicklist.h"
#include "config.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_zset.h"

#define RDB_LEN_6BIT 0
#define RDB_LEN_14BIT 1
#define RDB_LEN_32BIT 0x80
#define RDB_LEN_64BIT 0x81
#define RDB_ENCVAL 3
#define RDB_ENC_INT8 0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF 3

#define PAYLOAD_FOOTER 10 /* version (2) + CRC-64 (8) */

/* ------------------------------------------------------------ primitives */

static uint64_t rd_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t rd_be(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static void wr_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_byte(sbuf *b, unsigned v) {
    sbuf_append_char(b, (char)(unsigned char)v);
}

/* ----------------------------------------------------------------- writing */

void rdb_write_len(sbuf *b, uint64_t len) {
    unsigned char buf[9];
    size_t n;
    if (len < 64) {
        buf[0] = (unsigned char)len;
        n = 1;
    } else if (len < 16384) {
        buf[0] = (unsigned char)(0x40 | (len >> 8));
        buf[1] = (unsigned char)(len & 0xff);
        n = 2;
    } else if (len <= UINT32_MAX) {
        buf[0] = RDB_LEN_32BIT;
        for (int i = 0; i < 4; i++)
            buf[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        n = 5;
    } else {
        buf[0] = RDB_LEN_64BIT;
        for (int i = 0; i < 8; i++)
            buf[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        n = 9;
    }
    sbuf_append(b, buf, n);
}

/* Redis's rdbEncodeInteger: the smallest of the 8/16/32-bit forms. */
static size_t encode_int(int64_t v, unsigned char *buf) {
    int width;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        buf[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
        width = 1;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        buf[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
        width = 2;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        buf[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
        width = 4;
    } else {
        return 0;
    }
    wr_le(buf + 1, (uint64_t)v, width);
    return (size_t)width + 1;
}

void rdb_write_string(sbuf *b, const void *s, size_t len) {
    /* As rdbSaveRawString: only short strings are tried as integers. */
    if (len <= 11) {
        int64_t v;
        unsigned char buf[5];
        size_t n;
        if (lp_string_to_int64(s, len, &v) && (n = encode_int(v, buf)) > 0) {
            sbuf_append(b, buf, n);
            return;
        }
    }
    rdb_write_len(b, len);
    sbuf_append(b, s, len);
}

void rdb_write_double(sbuf *b, double d) {
    uint64_t bits;
    unsigned char buf[8];
    memcpy(&bits, &d, sizeof(bits));
    wr_le(buf, bits, 8);
    sbuf_append(b, buf, 8);
}

void rdb_write_millis(sbuf *b, long long ms) {
    unsigned char buf[8];
    wr_le(buf, (uint64_t)ms, 8);
    sbuf_append(b, buf, 8);
}

int rdb_object_type(const sobj *o) {
    switch (o->type) {
    case OBJ_STRING:
        return RDB_TYPE_STRING;
    case OBJ_LIST:
        if (o->encoding == OBJ_ENC_QUICKLIST) return RDB_TYPE_LIST_QUICKLIST_2;
        break;
    case OBJ_SET:
        if (o->encoding == OBJ_ENC_INTSET) return RDB_TYPE_SET_INTSET;
        if (o->encoding == OBJ_ENC_HT) return RDB_TYPE_SET;
        break;
    case OBJ_ZSET:
        if (o->encoding == OBJ_ENC_LISTPACK) return RDB_TYPE_ZSET_LISTPACK;
        if (o->encoding == OBJ_ENC_SKIPLIST) return RDB_TYPE_ZSET_2;
        break;
    case OBJ_HASH:
        if (o->encoding == OBJ_ENC_LISTPACK) return RDB_TYPE_HASH_LISTPACK;
        if (o->encoding == OBJ_ENC_HT) return RDB_TYPE_HASH;
        break;
    case OBJ_STREAM:
        return RDB_TYPE_STREAM_LISTPACKS_2;
    default:
        break;
    }
    return SK_EINVAL;
}

static void write_list(sbuf *b, const sobj *o) {
    const quicklist *ql = o->ptr;
    rdb_write_len(b, ql->len);
    for (const quicklist_node *n = ql->head; n; n = n->next) {
        rdb_write_len(b, RDB_QUICKLIST_PACKED);
        rdb_write_string(b, n->lp, lp_bytes(n->lp));
    }
}

static void write_set_ht(sbuf *b, const sobj *o) {
    set_iter it;
    sstr s;
    int64_t ll;
    rdb_write_len(b, set_size(o));
    set_iter_init(&it, o);
    while (set_iter_next(&it, &s, &ll))
        rdb_write_string(b, s, sstr_len(s));
    set_iter_release(&it);
}

/* Redis saves a skiplist from the highest score down, so that loading
 * inserts each element at the head. */
static void write_zset_skiplist(sbuf *b, const sobj *o) {
    zset_iter it;
    zset_elem e;
    rdb_write_len(b, zset_length(o));
    zset_iter_init(&it, (sobj *)o, 0, 1);
    while (zset_iter_next(&it, &e)) {
        rdb_write_string(b, e.p, e.len);
        rdb_write_double(b, e.score);
    }
}

static void write_hash_ht(sbuf *b, const sobj *o) {
    hash_iter it;
    unsigned char fbuf[LP_INTBUF_SIZE], vbuf[LP_INTBUF_SIZE];
    size_t flen, vlen;
    rdb_write_len(b, hash_length(o));
    hash_iter_init(&it, o);
    while (hash_iter_next(&it)) {
        const char *f = hash_iter_field(&it, &flen, fbuf);
        rdb_write_string(b, f, flen);
        const char *v = hash_iter_value(&it, &vlen, vbuf);
        rdb_write_string(b, v, vlen);
    }
    hash_iter_release(&it);
}

int rdb_write_object(sbuf *b, const sobj *o) {
    int type = rdb_object_type(o);
    switch (type) {
    case RDB_TYPE_STRING: {
        char buf[32];
        size_t len;
        const char *p = obj_string_bytes(o, buf, &len);
        rdb_write_string(b, p, len);
        return 0;
    }
    case RDB_TYPE_LIST_QUICKLIST_2:
        write_list(b, o);
        return 0;
    case RDB_TYPE_SET_INTSET:
        rdb_write_string(b, intset_blob(o->ptr), intset_blob_len(o->ptr));
        return 0;
    case RDB_TYPE_SET:
        write_set_ht(b, o);
        return 0;
    case RDB_TYPE_ZSET_LISTPACK:
    case RDB_TYPE_HASH_LISTPACK:
        rdb_write_string(b, o->ptr, lp_bytes(o->ptr));
        return 0;
    case RDB_TYPE_ZSET_2:
        write_zset_skiplist(b, o);
        return 0;
    case RDB_TYPE_HASH:
        write_hash_ht(b, o);
        return 0;
    case RDB_TYPE_STREAM_LISTPACKS_2:
        rdb_write_stream(b, o);
        return 0;
    default:
        return SK_EINVAL;
    }
}

int rdb_write_typed_object(sbuf *b, const sobj *o) {
    int type = rdb_object_type(o);
    if (type < 0) return type;
    put_byte(b, (unsigned)type);
    return rdb_write_object(b, o);
}

/* ------------------------------------------------------------- primitives in */

void rdb_reader_init(rdb_reader *r, const void *p, size_t len) {
    r->p = p;
    r->len = len;
    r->pos = 0;
}

static size_t left(const rdb_reader *r) {
    return r->len - r->pos;
}

/* Borrows n bytes from the reader, or NULL when fewer are left. */
static const unsigned char *take(rdb_reader *r, size_t n) {
    if (left(r) < n) return NULL;
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

int rdb_read_type(rdb_reader *r, int *type) {
    const unsigned char *p = take(r, 1);
    if (!p) return SK_EPROTO;
    *type = p[0];
    return 0;
}

int rdb_read_len(rdb_reader *r, uint64_t *len, int *encoded) {
    const unsigned char *p = take(r, 1);
    if (!p) return SK_EPROTO;
    int kind = p[0] >> 6;
    if (encoded) *encoded = 0;
    if (kind == RDB_ENCVAL) {
        if (!encoded) return SK_EPROTO; /* a plain length was expected */
        *encoded = 1;
        *len = p[0] & 0x3f;
        return 0;
    }
    if (kind == RDB_LEN_6BIT) {
        *len = p[0] & 0x3f;
        return 0;
    }
    if (kind == RDB_LEN_14BIT) {
        const unsigned char *q = take(r, 1);
        if (!q) return SK_EPROTO;
        *len = ((uint64_t)(p[0] & 0x3f) << 8) | q[0];
        return 0;
    }
    int width = p[0] == RDB_LEN_32BIT ? 4 : p[0] == RDB_LEN_64BIT ? 8 : 0;
    if (!width) return SK_EPROTO;
    const unsigned char *q = take(r, (size_t)width);
    if (!q) return SK_EPROTO;
    *len = rd_be(q, width);
    return 0;
}

static int read_lzf(rdb_reader *r, sstr *out) {
    uint64_t clen, olen;
    if (rdb_read_len(r, &clen, NULL) < 0 || rdb_read_len(r, &olen, NULL) < 0) return SK_EPROTO;
    /* A writer never compresses to nothing, and a valid stream expands at
     * most LZF_MAX_RATIO times: refuse before allocating a claimed size. */
    if (clen == 0 || olen == 0 || clen > left(r) || olen / LZF_MAX_RATIO > clen) return SK_EPROTO;
    const unsigned char *c = take(r, clen);
    sstr s = sstr_new(NULL, olen);
    long n = lzf_decompress(c, clen, s, olen);
    if (n < 0 || (uint64_t)n != olen) {
        sstr_free(s);
        return SK_EPROTO;
    }
    *out = s;
    return 0;
}

int rdb_read_string(rdb_reader *r, sstr *out) {
    uint64_t len;
    int encoded;
    if (rdb_read_len(r, &len, &encoded) < 0) return SK_EPROTO;
    if (encoded) {
        static const int width[] = {1, 2, 4};
        if (len == RDB_ENC_LZF) return read_lzf(r, out);
        if (len > RDB_ENC_INT32) return SK_EPROTO;
        const unsigned char *p = take(r, (size_t)width[len]);
        if (!p) return SK_EPROTO;
        uint64_t u = rd_le(p, width[len]);
        int64_t v = len == RDB_ENC_INT8    ? (int8_t)u
                    : len == RDB_ENC_INT16 ? (int16_t)u
                                           : (int32_t)u;
        *out = sstr_from_ll(v);
        return 0;
    }
    const unsigned char *p = take(r, len > left(r) ? SIZE_MAX : (size_t)len);
    if (!p) return SK_EPROTO;
    *out = sstr_new(p, (size_t)len);
    return 0;
}

int rdb_read_double(rdb_reader *r, double *d) {
    const unsigned char *p = take(r, 8);
    if (!p) return SK_EPROTO;
    uint64_t bits = rd_le(p, 8);
    memcpy(d, &bits, sizeof(*d));
    return 0;
}

int rdb_read_raw(rdb_reader *r, void *out, size_t n) {
    const unsigned char *p = take(r, n);
    if (!p) return SK_EPROTO;
    memcpy(out, p, n);
    return 0;
}

int rdb_read_millis(rdb_reader *r, long long *ms) {
    const unsigned char *p = take(r, 8);
    if (!p) return SK_EPROTO;
    *ms = (long long)rd_le(p, 8);
    return 0;
}

/* A score given as text: the whole text must be a number (inf allowed). */
static int parse_score(const void *s, size_t len, double *d) {
    char buf[128];
    if (len == 0 || len >= sizeof(buf)) return SK_EPROTO;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *d = strtod(buf, &end);
    if (end != buf + len || isspace((unsigned char)buf[0]) || isnan(*d)) return SK_EPROTO;
    return 0;
}

/* Redis's rdbLoadDoubleValue: a length byte, 253/254/255 for nan/+inf/-inf. */
int rdb_read_text_double(rdb_reader *r, double *d) {
    const unsigned char *p = take(r, 1);
    if (!p) return SK_EPROTO;
    if (p[0] == 253) return SK_EPROTO; /* a NaN score is refused */
    if (p[0] == 254 || p[0] == 255) {
        *d = p[0] == 254 ? INFINITY : -INFINITY;
        return 0;
    }
    const unsigned char *t = take(r, p[0]);
    if (!t) return SK_EPROTO;
    return parse_score(t, p[0], d);
}

/* -------------------------------------------------- untrusted blob walkers */

/* One element from a blob: bytes (s != NULL) or an integer v. */
typedef int (*elem_fn)(void *ud, const unsigned char *s, size_t len, int64_t v);

#define ZL_HEADER 10
#define ZL_END 0xFF
#define ZL_BIGLEN 254

/* The size of a ziplist entry's encoding and data at p (q bytes left).
 * Returns 0 when malformed; fills *s and *len, or *v. */
static size_t zl_entry_body(const unsigned char *p, size_t q, const unsigned char **s, size_t *len,
                            int64_t *v) {
    unsigned enc = p[0];
    size_t hdr, dlen;
    *s = NULL;
    switch (enc >> 6) {
    case 0:
        hdr = 1;
        dlen = enc & 0x3f;
        break;
    case 1:
        if (q < 2) return 0;
        hdr = 2;
        dlen = ((size_t)(enc & 0x3f) << 8) | p[1];
        break;
    case 2:
        if (enc != 0x80 || q < 5) return 0;
        hdr = 5;
        dlen = (size_t)rd_be(p + 1, 4);
        break;
    default: {
        int w = enc == 0xC0   ? 2
                : enc == 0xD0 ? 4
                : enc == 0xE0 ? 8
                : enc == 0xF0 ? 3
                : enc == 0xFE ? 1
                              : 0;
        if (w == 0) {
            if (enc < 0xF1 || enc > 0xFD) return 0;
            *v = (int64_t)(enc & 0x0f) - 1;
            return 1;
        }
        if (q < 1 + (size_t)w) return 0;
        uint64_t u = rd_le(p + 1, w);
        *v = w == 1   ? (int8_t)u
             : w == 2 ? (int16_t)u
             : w == 3 ? (int32_t)(u << 8) >> 8
             : w == 4 ? (int32_t)u
                      : (int64_t)u;
        return 1 + (size_t)w;
    }
    }
    if (q < hdr || q - hdr < dlen) return 0;
    *s = p + hdr;
    *len = dlen;
    return hdr + dlen;
}

/* Full check of a ziplist (header bytes and tail offset, every prevlen,
 * every encoding in bounds, count, terminator), calling fn per entry. */
static int zl_walk(const unsigned char *zl, size_t size, elem_fn fn, void *ud) {
    if (size < ZL_HEADER + 1 || rd_le(zl, 4) != size || zl[size - 1] != ZL_END) return SK_EPROTO;
    size_t tail = (size_t)rd_le(zl + 4, 4), count = (size_t)rd_le(zl + 8, 2);
    size_t pos = ZL_HEADER, prev = 0, last = ZL_HEADER, n = 0, end = size - 1;
    while (pos < end) {
        size_t prevlen, ph = zl[pos] < ZL_BIGLEN ? 1 : 5;
        if (zl[pos] > ZL_BIGLEN || end - pos < ph) return SK_EPROTO;
        prevlen = ph == 1 ? zl[pos] : (size_t)rd_le(zl + pos + 1, 4);
        if (prevlen != prev || end - pos == ph) return SK_EPROTO;
        const unsigned char *s;
        size_t len = 0;
        int64_t v = 0;
        size_t body = zl_entry_body(zl + pos + ph, end - pos - ph, &s, &len, &v);
        if (body == 0) return SK_EPROTO;
        if (fn(ud, s, len, v) < 0) return SK_EPROTO;
        last = pos;
        prev = ph + body;
        pos += prev;
        n++;
    }
    if (tail != last || (count != 0xFFFF && count != n)) return SK_EPROTO;
    return 0;
}

/* A zipmap length: one byte below 254, or 254 and 4 bytes LE. */
static int zm_len(const unsigned char *zm, size_t end, size_t *pos, size_t *len) {
    if (*pos >= end) return SK_EPROTO;
    unsigned b = zm[*pos];
    if (b < ZL_BIGLEN) {
        *len = b;
        *pos += 1;
        return 0;
    }
    if (b != ZL_BIGLEN || end - *pos < 5) return SK_EPROTO;
    *len = (size_t)rd_le(zm + *pos + 1, 4);
    *pos += 5;
    return 0;
}

/* zipmap: <count byte> (<len> key <len> <free> value <free bytes>)* 0xFF.
 * Calls fn for key and value alternately. */
static int zm_walk(const unsigned char *zm, size_t size, elem_fn fn, void *ud) {
    if (size < 2 || zm[size - 1] != ZL_END) return SK_EPROTO;
    size_t pos = 1, end = size - 1, n = 0, klen, vlen;
    while (pos < end) {
        if (zm_len(zm, end, &pos, &klen) < 0 || end - pos < klen) return SK_EPROTO;
        const unsigned char *k = zm + pos;
        pos += klen;
        if (zm_len(zm, end, &pos, &vlen) < 0 || pos >= end) return SK_EPROTO;
        size_t freeb = zm[pos++];
        if (end - pos < vlen || end - pos - vlen < freeb) return SK_EPROTO;
        if (fn(ud, k, klen, 0) < 0 || fn(ud, zm + pos, vlen, 0) < 0) return SK_EPROTO;
        pos += vlen + freeb;
        n++;
    }
    if (zm[0] < ZL_BIGLEN && zm[0] != n) return SK_EPROTO;
    return 0;
}

/* A listpack, fully validated first, then walked. */
static int lp_walk(const unsigned char *lp, size_t size, elem_fn fn, void *ud) {
    if (size < LP_HDR_SIZE + 1 || !lp_validate(lp, size)) return SK_EPROTO;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        uint32_t slen = 0;
        int64_t v = 0;
        const unsigned char *s = lp_get(p, &slen, &v);
        if (fn(ud, s, slen, v) < 0) return SK_EPROTO;
    }
    return 0;
}

/* Text of an element: s, or v in decimal written into buf. */
static const unsigned char *elem_text(const unsigned char *s, size_t *len, int64_t v,
                                      char buf[32]) {
    if (s) return s;
    *len = (size_t)snprintf(buf, 32, "%lld", (long long)v);
    return (const unsigned char *)buf;
}

/* ------------------------------------------------------------ list values */

static int list_push_elem(void *ud, const unsigned char *s, size_t len, int64_t v) {
    char buf[32];
    const unsigned char *t = elem_text(s, &len, v, buf);
    quicklist_push(((sobj *)ud)->ptr, QUICKLIST_TAIL, t, len);
    return 0;
}

/* LIST: n strings. LIST_QUICKLIST(_2): n nodes of ziplists / listpacks.
 * LIST_ZIPLIST: one ziplist. Elements are pushed again, so nodes are
 * packed as this server's list-max-listpack-size wants. */
static int load_list(rdb_reader *r, const server *srv, int type, sobj **out) {
    sobj *o = list_new_object(srv);
    uint64_t n = 1;
    int rc = 0;
    if (type != RDB_TYPE_LIST_ZIPLIST && rdb_read_len(r, &n, NULL) < 0) rc = SK_EPROTO;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        uint64_t container = RDB_QUICKLIST_PACKED;
        sstr s = NULL;
        if (type == RDB_TYPE_LIST_QUICKLIST_2 && rdb_read_len(r, &container, NULL) < 0) {
            rc = SK_EPROTO;
            break;
        }
        if (rdb_read_string(r, &s) < 0) {
            rc = SK_EPROTO;
            break;
        }
        const unsigned char *p = (const unsigned char *)s;
        if (type == RDB_TYPE_LIST || container == RDB_QUICKLIST_PLAIN)
            list_push_elem(o, p, sstr_len(s), 0);
        else if (container != RDB_QUICKLIST_PACKED)
            rc = SK_EPROTO;
        else if (type == RDB_TYPE_LIST_QUICKLIST_2)
            rc = lp_walk(p, sstr_len(s), list_push_elem, o);
        else
            rc = zl_walk(p, sstr_len(s), list_push_elem, o);
        sstr_free(s);
    }
    if (rc == 0 && quicklist_count(o->ptr) == 0) rc = SK_EPROTO; /* empty key */
    if (rc < 0) {
        obj_release(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* ------------------------------------------------------------- set values */

static int load_set(rdb_reader *r, const server *srv, sobj **out) {
    uint64_t n;
    if (rdb_read_len(r, &n, NULL) < 0 || n == 0) return SK_EPROTO;
    long long max_is = srv->cfg->set_max_intset_entries;
    sobj *o = n <= (uint64_t)max_is ? set_create_intset() : set_create_ht();
    int rc = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        sstr m;
        if (rdb_read_string(r, &m) < 0) {
            rc = SK_EPROTO;
            break;
        }
        if (!set_add(o, m, max_is)) rc = SK_EPROTO; /* duplicate member */
        sstr_free(m);
    }
    if (rc < 0) {
        obj_release(o);
        return rc;
    }
    *out = o;
    return 0;
}

static int load_set_intset(rdb_reader *r, const server *srv, sobj **out) {
    sstr blob;
    if (rdb_read_string(r, &blob) < 0) return SK_EPROTO;
    intset *is = intset_from_blob(blob, sstr_len(blob));
    sstr_free(blob);
    if (!is) return SK_EPROTO;
    if (intset_len(is) == 0) {
        intset_free(is);
        return SK_EPROTO;
    }
    sobj *o = set_from_intset(is);
    if (intset_len(is) > (uint64_t)srv->cfg->set_max_intset_entries) set_convert_to_ht(o);
    *out = o;
    return 0;
}

/* ------------------------------------------------------------ hash values */

/* Pairs arriving one element at a time (ziplist, zipmap). */
typedef struct hash_build {
    const server *srv;
    sobj *o;
    sstr field; /* owned: the field waiting for its value */
} hash_build;

static int hash_add_elem(void *ud, const unsigned char *s, size_t len, int64_t v) {
    hash_build *hb = ud;
    char buf[32];
    const unsigned char *t = elem_text(s, &len, v, buf);
    if (!hb->field) {
        hb->field = sstr_new(t, len);
        return 0;
    }
    int existed = hash_set(hb->srv, hb->o, hb->field, t, len);
    sstr_free(hb->field);
    hb->field = NULL;
    return existed ? SK_EPROTO : 0; /* a field twice */
}

static int load_hash(rdb_reader *r, const server *srv, int type, sobj **out) {
    hash_build hb = {srv, hash_new(), NULL};
    int rc = 0;
    if (type == RDB_TYPE_HASH) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) rc = SK_EPROTO;
        if (rc == 0 && n > (uint64_t)srv->cfg->hash_max_listpack_entries) hash_convert_to_ht(hb.o);
        for (uint64_t i = 0; rc == 0 && i < 2 * n; i++) {
            sstr s;
            if (rdb_read_string(r, &s) < 0) {
                rc = SK_EPROTO;
                break;
            }
            rc = hash_add_elem(&hb, (const unsigned char *)s, sstr_len(s), 0);
            sstr_free(s);
        }
    } else {
        sstr blob;
        if (rdb_read_string(r, &blob) < 0) {
            rc = SK_EPROTO;
        } else {
            const unsigned char *p = (const unsigned char *)blob;
            rc = type == RDB_TYPE_HASH_ZIPMAP ? zm_walk(p, sstr_len(blob), hash_add_elem, &hb)
                                              : zl_walk(p, sstr_len(blob), hash_add_elem, &hb);
            sstr_free(blob);
        }
    }
    if (rc == 0 && (hb.field || hash_length(hb.o) == 0)) rc = SK_EPROTO; /* odd or empty */
    sstr_free(hb.field);
    if (rc == 0) hash_convert_if_needed(srv, hb.o);
    if (rc < 0) {
        obj_release(hb.o);
        return rc;
    }
    *out = hb.o;
    return 0;
}

/* HASH_LISTPACK: kept as it is once validated, as Redis keeps it. */
static int load_hash_listpack(rdb_reader *r, const server *srv, sobj **out) {
    sstr blob;
    if (rdb_read_string(r, &blob) < 0) return SK_EPROTO;
    size_t size = sstr_len(blob);
    const unsigned char *lp = (const unsigned char *)blob;
    int ok = size >= LP_HDR_SIZE + 1 && hash_validate_listpack(lp, size) && lp_length(lp) > 0;
    if (!ok) {
        sstr_free(blob);
        return SK_EPROTO;
    }
    sobj *o = obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, sk_memdup(lp, size));
    sstr_free(blob);
    hash_convert_if_needed(srv, o);
    *out = o;
    return 0;
}

/* ------------------------------------------------------------ zset values */

/* Members and scores gathered before the value is built: the encoding
 * depends on the count and the longest member, known only at the end. */
typedef struct zset_build {
    sstr *ele; /* owned */
    double *score;
    size_t n, cap, maxlen;
    sstr pending; /* owned: member waiting for its score (blobs) */
} zset_build;

static void zb_push(zset_build *zb, sstr ele, double score) {
    if (zb->n == zb->cap) {
        zb->cap = zb->cap ? zb->cap * 2 : 16;
        zb->ele = sk_realloc(zb->ele, zb->cap * sizeof(*zb->ele));
        zb->score = sk_realloc(zb->score, zb->cap * sizeof(*zb->score));
    }
    zb->ele[zb->n] = ele;
    zb->score[zb->n++] = score;
    if (sstr_len(ele) > zb->maxlen) zb->maxlen = sstr_len(ele);
}

static void zb_free(zset_build *zb) {
    for (size_t i = 0; i < zb->n; i++)
        sstr_free(zb->ele[i]);
    sk_free(zb->ele);
    sk_free(zb->score);
    sstr_free(zb->pending);
}

static int zb_elem(void *ud, const unsigned char *s, size_t len, int64_t v) {
    zset_build *zb = ud;
    char buf[32];
    if (!zb->pending) {
        const unsigned char *t = elem_text(s, &len, v, buf);
        zb->pending = sstr_new(t, len);
        return 0;
    }
    double score = (double)v;
    if (s && parse_score(s, len, &score) < 0) return SK_EPROTO;
    zb_push(zb, zb->pending, score);
    zb->pending = NULL;
    return 0;
}

/* qsort_r comparator over indexes into the zset_build (ctx): by score,
 * then member, the order of a sorted set. */
static int zb_cmp_order(const void *a, const void *b, void *ctx) {
    const zset_build *zb = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (zb->score[i] != zb->score[j]) return zb->score[i] < zb->score[j] ? -1 : 1;
    return zset_cmp_member(zb->ele[i], sstr_len(zb->ele[i]), zb->ele[j], sstr_len(zb->ele[j]));
}

/* Non-zero when a member appears twice: an open-addressing set of indexes
 * keyed by the members' hashes, O(n). */
static int zb_has_duplicate(const zset_build *zb) {
    size_t cap = 16;
    while (cap < zb->n * 2)
        cap <<= 1;
    size_t local[512];
    size_t *slot = cap <= 512 ? local : sk_malloc(cap * sizeof(*slot));
    for (size_t i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    int dup = 0;
    for (size_t i = 0; i < zb->n && !dup; i++) {
        size_t len = sstr_len(zb->ele[i]);
        size_t h = (size_t)dict_hash_bytes(zb->ele[i], len) & (cap - 1);
        for (; slot[h] != SIZE_MAX; h = (h + 1) & (cap - 1)) {
            const sstr other = zb->ele[slot[h]];
            if (sstr_len(other) == len && !memcmp(other, zb->ele[i], len)) {
                dup = 1;
                break;
            }
        }
        slot[h] = i;
    }
    if (slot != local) sk_free(slot);
    return dup;
}

/* Builds the value; a member twice or nothing at all is bad data. Members
 * are put in order first (what Redis writes already is) so each is
 * appended, never searched for: inserting one by one costs O(n^2) score
 * parses in a listpack. A listpack blob (lp, lplen) already in order is
 * kept as it is. */
static int zb_finish(zset_build *zb, const server *srv, const unsigned char *lp, size_t lplen,
                     sobj **out) {
    if (zb->pending || zb->n == 0 || zb_has_duplicate(zb)) return SK_EPROTO;
    size_t *idx = sk_malloc(zb->n * sizeof(*idx));
    int in_order = 1;
    for (size_t i = 0; i < zb->n; i++) {
        idx[i] = i;
        if (i && in_order) in_order = zb_cmp_order(&idx[i - 1], &idx[i], zb) < 0;
    }
    if (!in_order) qsort_r(idx, zb->n, sizeof(*idx), zb_cmp_order, zb);
    sobj *o = zset_new(srv, zb->n, zb->maxlen);
    /* Formatting the scores again would cost more than everything else. */
    if (lp && in_order && o->encoding == OBJ_ENC_LISTPACK && lp_bytes(lp) == lplen) {
        lp_free(o->ptr);
        o->ptr = lp_dup(lp);
    } else {
        for (size_t i = 0; i < zb->n; i++) {
            sstr e = zb->ele[idx[i]];
            zset_append_sorted(srv, o, zb->score[idx[i]], e, sstr_len(e));
        }
    }
    sk_free(idx);
    *out = o;
    return 0;
}

static int load_zset(rdb_reader *r, const server *srv, int type, sobj **out) {
    zset_build zb = {0};
    int rc = 0;
    if (type == RDB_TYPE_ZSET || type == RDB_TYPE_ZSET_2) {
        uint64_t n;
        if (rdb_read_len(r, &n, NULL) < 0) rc = SK_EPROTO;
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            sstr ele;
            double score;
            if (rdb_read_string(r, &ele) < 0) {
                rc = SK_EPROTO;
                break;
            }
            rc = type == RDB_TYPE_ZSET_2 ? rdb_read_double(r, &score)
                                         : rdb_read_text_double(r, &score);
            if (rc == 0 && isnan(score)) rc = SK_EPROTO;
            if (rc < 0) {
                sstr_free(ele);
                break;
            }
            zb_push(&zb, ele, score);
        }
    } else {
        sstr blob;
        if (rdb_read_string(r, &blob) < 0) {
            rc = SK_EPROTO;
        } else {
            const unsigned char *p = (const unsigned char *)blob;
            int is_lp = type == RDB_TYPE_ZSET_LISTPACK;
            rc = is_lp ? lp_walk(p, sstr_len(blob), zb_elem, &zb)
                       : zl_walk(p, sstr_len(blob), zb_elem, &zb);
            if (rc == 0) rc = zb_finish(&zb, srv, is_lp ? p : NULL, sstr_len(blob), out);
            sstr_free(blob);
            zb_free(&zb);
            return rc;
        }
    }
    if (rc == 0) rc = zb_finish(&zb, srv, NULL, 0, out);
    zb_free(&zb);
    return rc;
}

/* ------------------------------------------------------------ dispatching */

int rdb_read_object(rdb_reader *r, const server *srv, int type, sobj **out) {
    switch (type) {
    case RDB_TYPE_STRING: {
        sstr s;
        if (rdb_read_string(r, &s) < 0) return SK_EPROTO;
        *out = obj_try_encode(obj_new_string_from_sstr(s));
        return 0;
    }
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        return load_list(r, srv, type, out);
    case RDB_TYPE_SET:
        return load_set(r, srv, out);
    case RDB_TYPE_SET_INTSET:
        return load_set_intset(r, srv, out);
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
        return load_zset(r, srv, type, out);
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_ZIPMAP:
        return load_hash(r, srv, type, out);
    case RDB_TYPE_HASH_LISTPACK:
        return load_hash_listpack(r, srv, out);
    case RDB_TYPE_STREAM_LISTPACKS_2:
        return rdb_read_stream(r, out);
    case RDB_TYPE_STREAM_LISTPACKS:
        return rdb_read_stream_v1(r, out);
    default:
        return SK_EINVAL; /* modules */
    }
}

/* --------------------------------------------------------------- payloads */

int rdb_dump_payload(sbuf *b, const sobj *o) {
    unsigned char footer[PAYLOAD_FOOTER];
    int rc = rdb_write_typed_object(b, o);
    if (rc < 0) return rc;
    wr_le(footer, RDB_VERSION, 2);
    sbuf_append(b, footer, 2);
    wr_le(footer, crc64(0, b->data, b->len), 8);
    sbuf_append(b, footer, 8);
    return 0;
}

int rdb_verify_payload(const void *p, size_t len) {
    const unsigned char *s = p;
    if (len < PAYLOAD_FOOTER) return SK_EPROTO;
    const unsigned char *footer = s + len - PAYLOAD_FOOTER;
    if (rd_le(footer, 2) > RDB_VERSION) return SK_EPROTO;
    if (crc64(0, s, len - 8) != rd_le(footer + 2, 8)) return SK_EPROTO;
    return 0;
}

int rdb_load_payload(const server *srv, const void *p, size_t len, sobj **out) {
    rdb_reader r;
    int type;
    sobj *o = NULL;
    if (len < PAYLOAD_FOOTER) return SK_EPROTO;
    rdb_reader_init(&r, p, len - PAYLOAD_FOOTER);
    if (rdb_read_type(&r, &type) < 0) return SK_EPROTO;
    int rc = rdb_read_object(&r, srv, type, &o);
    if (rc < 0) return rc;
    if (r.pos != r.len) { /* bytes no value accounts for */
        obj_release(o);
        return SK_EPROTO;
    }
    *out = o;
    return 0;
}
