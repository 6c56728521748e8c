/* t_hll.c - HyperLogLog: Redis 7.0's byte format, its sparse update rules,
 * its estimator, and the PFADD / PFCOUNT / PFMERGE commands.
 *
 * Byte compatibility is the point of this file: two servers that add the
 * same elements in the same order must hold the same bytes. That fixes more
 * than the format: the way a sparse opcode is split when a register is
 * raised, the bounded merge of equal neighbouring VAL opcodes that follows,
 * when a value is promoted to dense, and when the cached cardinality is
 * invalidated all follow Redis's rules (see t_hll.h for the format).
 */
#include "t_hll.h"

#include <math.h>
#include <string.h>

#include "../core/mem.h"
#include "config.h"

#define HLL_Q (64 - HLL_P)         /* hash bits left for the run of zeros */
#define HLL_REGISTER_MAX 63        /* 6 bits */
#define HLL_SPARSE_VAL_MAX 32      /* larger values force the dense encoding */
#define HLL_SPARSE_VAL_MAX_LEN 4   /* registers one VAL opcode covers */
#define HLL_SPARSE_ZERO_MAX_LEN 64 /* longer zero runs use XZERO */
#define HLL_SPARSE_XZERO_MAX_LEN 16384
#define HLL_ALPHA_INF 0.721347520444481703680 /* 0.5 / ln(2) */
#define HLL_CACHE_INVALID 0x80                /* in card[7] */

#define OFF_ENCODING 4
#define OFF_CARD 8

#define ERR_NOT_HLL "WRONGTYPE Key is not a valid HyperLogLog string value."
#define ERR_CORRUPT "INVALIDOBJ Corrupted HLL object detected"

/* ------------------------------------------------------------- hashing */

uint64_t hll_murmur64a(const void *key, size_t len, uint32_t seed) {
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const uint8_t *p = key;
    uint64_t h = (uint64_t)seed ^ ((uint64_t)len * m);
    size_t blocks = len / 8;
    for (size_t b = 0; b < blocks; b++, p += 8) {
        uint64_t k = 0;
        for (int i = 7; i >= 0; i--)
            k = (k << 8) | p[i]; /* little endian on any host */
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = len & 7;
    for (size_t i = tail; i > 0; i--)
        h ^= (uint64_t)p[i - 1] << (8 * (i - 1));
    if (tail) h *= m;
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

int hll_pattern(const void *ele, size_t len, long *reg) {
    uint64_t h = hll_murmur64a(ele, len, HLL_HASH_SEED);
    *reg = (long)(h & (HLL_REGISTERS - 1));
    h >>= HLL_P;
    h |= (uint64_t)1 << HLL_Q; /* bounds the count to Q + 1 */
    return __builtin_ctzll(h) + 1;
}

/* ------------------------------------------------------------- header */

static uint8_t *hdr_of(const sstr s) {
    return (uint8_t *)s;
}

int hll_header_valid(const void *p, size_t len) {
    const uint8_t *b = p;
    if (len < HLL_HDR_SIZE || memcmp(b, "HYLL", 4) != 0) return 0;
    if (b[OFF_ENCODING] > HLL_SPARSE) return 0;
    if (b[OFF_ENCODING] == HLL_DENSE && len != HLL_DENSE_SIZE) return 0;
    return 1;
}

int hll_encoding(const sstr s) {
    return hdr_of(s)[OFF_ENCODING];
}

int hll_cache_valid(const sstr s) {
    return (hdr_of(s)[OFF_CARD + 7] & HLL_CACHE_INVALID) == 0;
}

uint64_t hll_cache_get(const sstr s) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | hdr_of(s)[OFF_CARD + i];
    return v;
}

void hll_cache_set(sstr s, uint64_t card) {
    for (int i = 0; i < 8; i++)
        hdr_of(s)[OFF_CARD + i] = (uint8_t)(card >> (8 * i));
}

void hll_cache_invalidate(sstr s) {
    hdr_of(s)[OFF_CARD + 7] |= HLL_CACHE_INVALID;
}

/* -------------------------------------------------------------- dense */

static unsigned dense_get(const uint8_t *r, long i) {
    unsigned long bit = (unsigned long)i * HLL_BITS, byte = bit >> 3, fb = bit & 7;
    unsigned v = r[byte] >> fb;
    if (fb > 8 - HLL_BITS) v |= (unsigned)r[byte + 1] << (8 - fb); /* spans two bytes */
    return v & HLL_REGISTER_MAX;
}

static void dense_put(uint8_t *r, long i, unsigned val) {
    unsigned long bit = (unsigned long)i * HLL_BITS, byte = bit >> 3, fb = bit & 7;
    r[byte] = (uint8_t)((r[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb));
    if (fb > 8 - HLL_BITS)
        r[byte + 1] =
            (uint8_t)((r[byte + 1] & ~(HLL_REGISTER_MAX >> (8 - fb))) | (val >> (8 - fb)));
}

static int dense_set(uint8_t *r, long i, uint8_t val) {
    if (val <= dense_get(r, i)) return 0;
    dense_put(r, i, val);
    return 1;
}

/* ------------------------------------------------------------- sparse */

static int sp_is_zero(const uint8_t *p) {
    return (*p & 0xc0) == 0;
}
static int sp_is_xzero(const uint8_t *p) {
    return (*p & 0xc0) == 0x40;
}
static int sp_is_val(const uint8_t *p) {
    return (*p & 0x80) != 0;
}
static long sp_zero_len(const uint8_t *p) {
    return (*p & 0x3f) + 1;
}
/* The second byte of a truncated XZERO is the sstr's NUL: still readable. */
static long sp_xzero_len(const uint8_t *p) {
    return (((long)(p[0] & 0x3f) << 8) | p[1]) + 1;
}
static int sp_val_value(const uint8_t *p) {
    return ((*p >> 2) & 0x1f) + 1;
}
static long sp_val_len(const uint8_t *p) {
    return (*p & 0x3) + 1;
}
static void sp_put_val(uint8_t *p, int val, long len) {
    *p = (uint8_t)(0x80 | ((val - 1) << 2) | (len - 1));
}
/* A run of len zero registers as ZERO or XZERO; returns the bytes written. */
static int sp_put_zeros(uint8_t *p, long len) {
    if (len > HLL_SPARSE_ZERO_MAX_LEN) {
        p[0] = (uint8_t)(0x40 | ((len - 1) >> 8));
        p[1] = (uint8_t)((len - 1) & 0xff);
        return 2;
    }
    p[0] = (uint8_t)(len - 1);
    return 1;
}

/* Runs of a sparse HLL, in order; val 0 for zero runs. Only VAL runs are
 * checked to stay within the registers (as Redis checks), so a callback
 * must not index registers for a zero run. */
typedef void run_fn(void *ctx, long first, long len, int val);

/* Walks the opcodes of sparse s. 0 when they cover exactly the 16384
 * registers; -1 when a VAL run would pass the end or the total is wrong
 * (the callback then has seen a prefix only). */
static int sparse_walk(const sstr s, run_fn *fn, void *ctx) {
    const uint8_t *p = hdr_of(s) + HLL_HDR_SIZE, *end = hdr_of(s) + sstr_len(s);
    long idx = 0;
    while (p < end) {
        long len;
        int val = 0;
        if (sp_is_zero(p)) {
            len = sp_zero_len(p++);
        } else if (sp_is_xzero(p)) {
            len = sp_xzero_len(p);
            p += 2;
        } else {
            len = sp_val_len(p);
            val = sp_val_value(p++);
            if (idx + len > HLL_REGISTERS) return -1;
        }
        fn(ctx, idx, len, val);
        idx += len;
    }
    return idx == HLL_REGISTERS ? 0 : -1;
}

static void run_to_dense(void *ctx, long first, long len, int val) {
    for (long i = 0; val && i < len; i++)
        dense_put(ctx, first + i, (unsigned)val);
}

static void run_to_max(void *ctx, long first, long len, int val) {
    uint8_t *max = ctx;
    if (!val) return; /* zero runs are unchecked and may pass the end */
    for (long i = 0; i < len; i++)
        if (val > max[first + i]) max[first + i] = (uint8_t)val;
}

static void run_to_histo(void *ctx, long first, long len, int val) {
    (void)first;
    ((int *)ctx)[val] += (int)len;
}

typedef struct reg_query {
    long idx;
    int val;
} reg_query;

static void run_find(void *ctx, long first, long len, int val) {
    reg_query *q = ctx;
    if (q->idx >= first && q->idx < first + len) q->val = val;
}

int hll_sparse_to_dense(sstr *s) {
    if (hll_encoding(*s) == HLL_DENSE) return 0;
    sstr d = sstr_new(NULL, HLL_DENSE_SIZE);
    memcpy(d, *s, HLL_HDR_SIZE); /* magic, reserved bytes and cached cardinality */
    hdr_of(d)[OFF_ENCODING] = HLL_DENSE;
    if (sparse_walk(*s, run_to_dense, hdr_of(d) + HLL_HDR_SIZE) < 0) {
        sstr_free(d);
        return -1;
    }
    sstr_free(*s);
    *s = d;
    return 0;
}

/* Merges neighbouring VAL opcodes of equal value (combined length <= 4),
 * looking at no more than five opcodes from p, as Redis does after each
 * update: the bound is part of the byte format two servers must agree on. */
static void sparse_merge_near(sstr s, uint8_t *p, uint8_t *end) {
    int scan = 5;
    while (p < end && scan--) {
        if (sp_is_xzero(p)) {
            p += 2;
            continue;
        }
        if (sp_is_zero(p)) {
            p++;
            continue;
        }
        if (p + 1 < end && sp_is_val(p + 1) && sp_val_value(p) == sp_val_value(p + 1)) {
            long len = sp_val_len(p) + sp_val_len(p + 1);
            if (len <= HLL_SPARSE_VAL_MAX_LEN) {
                sp_put_val(p + 1, sp_val_value(p), len);
                memmove(p, p + 1, (size_t)(end - p - 1));
                end--;
                sstr_set_len(s, sstr_len(s) - 1);
                continue; /* the merged opcode may merge with its right neighbour */
            }
        }
        p++;
    }
}

/* The opcodes that replace the one at p (covering [first, last]) so that
 * register idx holds val; returns their length in seq. */
static int sparse_split(const uint8_t *p, long first, long last, long idx, int val, uint8_t *seq) {
    int n = 0;
    if (sp_is_val(p)) {
        int cur = sp_val_value(p);
        if (idx != first) sp_put_val(seq + n++, cur, idx - first);
        sp_put_val(seq + n++, val, 1);
        if (idx != last) sp_put_val(seq + n++, cur, last - idx);
        return n;
    }
    if (idx != first) n += sp_put_zeros(seq + n, idx - first);
    sp_put_val(seq + n++, val, 1);
    if (idx != last) n += sp_put_zeros(seq + n, last - idx);
    return n;
}

static int sparse_promote(sstr *s, long idx, uint8_t val) {
    if (hll_sparse_to_dense(s) < 0) return -1;
    /* Only a register that needs raising gets here, so this always changes it. */
    return dense_set(hdr_of(*s) + HLL_HDR_SIZE, idx, val);
}

static int sparse_set(sstr *s, long idx, uint8_t val, long long sparse_max) {
    if (val > HLL_SPARSE_VAL_MAX) return sparse_promote(s, idx, val);
    /* Room for the worst split (XZERO -> XZERO VAL XZERO) before taking pointers. */
    *s = sstr_make_room(*s, 3);
    uint8_t *sparse = hdr_of(*s) + HLL_HDR_SIZE, *end = hdr_of(*s) + sstr_len(*s);
    uint8_t *p = sparse, *prev = NULL;
    long first = 0, span = 0;
    while (p < end) {
        long oplen = sp_is_xzero(p) ? 2 : 1;
        span = sp_is_zero(p) ? sp_zero_len(p) : sp_is_val(p) ? sp_val_len(p) : sp_xzero_len(p);
        if (idx <= first + span - 1) break;
        prev = p;
        p += oplen;
        first += span;
    }
    if (span == 0 || p >= end) return -1;
    uint8_t *next = sp_is_xzero(p) ? p + 2 : p + 1;
    if (next >= end) next = NULL;
    long runlen = sp_is_zero(p) ? sp_zero_len(p) : sp_is_val(p) ? sp_val_len(p) : sp_xzero_len(p);

    if (sp_is_val(p)) {
        if (sp_val_value(p) >= val) return 0;
        if (runlen == 1) {
            sp_put_val(p, val, 1);
            goto updated;
        }
    } else if (sp_is_zero(p) && runlen == 1) {
        sp_put_val(p, val, 1);
        goto updated;
    }

    uint8_t seq[5];
    int seqlen = sparse_split(p, first, first + span - 1, idx, val, seq);
    int oldlen = sp_is_xzero(p) ? 2 : 1;
    int delta = seqlen - oldlen;
    if (delta > 0 && (long long)sstr_len(*s) + delta > sparse_max)
        return sparse_promote(s, idx, val);
    if (delta && next) memmove(next + delta, next, (size_t)(end - next));
    sstr_set_len(*s, (size_t)((long long)sstr_len(*s) + delta));
    memcpy(p, seq, (size_t)seqlen);
    end += delta;

updated:
    sparse_merge_near(*s, prev ? prev : sparse, end);
    hll_cache_invalidate(*s);
    return 1;
}

/* ---------------------------------------------------------- public ops */

sstr hll_create(void) {
    int ops = (HLL_REGISTERS + HLL_SPARSE_XZERO_MAX_LEN - 1) / HLL_SPARSE_XZERO_MAX_LEN;
    sstr s = sstr_new(NULL, HLL_HDR_SIZE + (size_t)ops * 2);
    uint8_t *p = hdr_of(s) + HLL_HDR_SIZE;
    memcpy(s, "HYLL", 4);
    hdr_of(s)[OFF_ENCODING] = HLL_SPARSE;
    for (long left = HLL_REGISTERS; left > 0;) {
        long run = left < HLL_SPARSE_XZERO_MAX_LEN ? left : HLL_SPARSE_XZERO_MAX_LEN;
        p += sp_put_zeros(p, run);
        left -= run;
    }
    return s;
}

int hll_set_register(sstr *s, long idx, uint8_t val, long long sparse_max) {
    if (hll_encoding(*s) == HLL_DENSE) return dense_set(hdr_of(*s) + HLL_HDR_SIZE, idx, val);
    return sparse_set(s, idx, val, sparse_max);
}

int hll_add(sstr *s, const void *ele, size_t len, long long sparse_max) {
    long idx;
    int val = hll_pattern(ele, len, &idx);
    return hll_set_register(s, idx, (uint8_t)val, sparse_max);
}

int hll_get_register(const sstr s, long idx) {
    if (hll_encoding(s) == HLL_DENSE) return (int)dense_get(hdr_of(s) + HLL_HDR_SIZE, idx);
    reg_query q = {idx, 0};
    sparse_walk(s, run_find, &q);
    return q.val;
}

int hll_merge_registers(uint8_t *max, const sstr s) {
    if (hll_encoding(s) == HLL_SPARSE) return sparse_walk(s, run_to_max, max);
    const uint8_t *r = hdr_of(s) + HLL_HDR_SIZE;
    for (long i = 0; i < HLL_REGISTERS; i++) {
        unsigned v = dense_get(r, i);
        if (v > max[i]) max[i] = (uint8_t)v;
    }
    return 0;
}

/* ---------------------------------------------------------- estimator */

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches"
 * (arXiv:1702.01284): sigma and tau series, iterated to a fixed point. */
static double hll_sigma(double x) {
    if (x == 1.) return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double hll_tau(double x) {
    if (x == 0. || x == 1.) return 0.;
    double y = 1.0, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

static uint64_t estimate(const int *histo) {
    double m = HLL_REGISTERS;
    double z = m * hll_tau((m - histo[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; j--) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * hll_sigma(histo[0] / m);
    return (uint64_t)llround(HLL_ALPHA_INF * m * m / z);
}

uint64_t hll_count(const sstr s, int *invalid) {
    int histo[64] = {0};
    if (hll_encoding(s) == HLL_DENSE) {
        const uint8_t *r = hdr_of(s) + HLL_HDR_SIZE;
        for (long i = 0; i < HLL_REGISTERS; i++)
            histo[dense_get(r, i)]++;
    } else if (sparse_walk(s, run_to_histo, histo) < 0) {
        if (invalid) *invalid = 1;
        return 0;
    }
    return estimate(histo);
}

uint64_t hll_count_raw(const uint8_t *regs) {
    int histo[64] = {0};
    for (long i = 0; i < HLL_REGISTERS; i++)
        histo[regs[i] & 63]++;
    return estimate(histo);
}

/* ------------------------------------------------------------ commands */

static long long sparse_max_bytes(const client *c) {
    return c->srv->cfg ? c->srv->cfg->hll_sparse_max_bytes : HLL_SPARSE_MAX_BYTES_DEFAULT;
}

/* A string holding a valid HLL header, else the reply (Redis's texts). */
static int check_hll(client *c, const sobj *o) {
    if (o->type != OBJ_STRING) {
        add_reply_wrongtype(c);
        return -1;
    }
    if (o->encoding == OBJ_ENC_INT || !hll_header_valid(o->ptr, sstr_len(o->ptr))) {
        add_reply_error(c, ERR_NOT_HLL);
        return -1;
    }
    return 0;
}

/* The value of key o (already checked) as a private raw string. */
static sobj *unshare(client *c, const sstr key, sobj *o) {
    sobj *u = obj_unshare_string(o);
    if (u != o) db_overwrite(c->srv, c->db, key, u);
    return u;
}

static void pfadd_command(client *c) {
    sstr key = c->argv[1];
    int updated = 0;
    sobj *o = db_lookup_write(c, key);
    if (!o) {
        o = obj_new_string_from_sstr(hll_create());
        db_add(c->srv, c->db, key, o);
        updated++;
    } else {
        if (check_hll(c, o) < 0) return;
        o = unshare(c, key, o);
    }
    long long max = sparse_max_bytes(c);
    for (int j = 2; j < c->argc; j++) {
        sstr s = o->ptr;
        int r = hll_add(&s, c->argv[j], sstr_len(c->argv[j]), max);
        o->ptr = s;
        if (r < 0) {
            add_reply_error(c, ERR_CORRUPT);
            return;
        }
        updated += r;
    }
    if (updated) {
        hll_cache_invalidate(o->ptr);
        db_signal_modified(c->srv, c->db, key);
        c->srv->dirty += updated;
    }
    add_reply_int(c, updated ? 1 : 0);
}

/* PFCOUNT of several keys: the union's estimate; nothing is modified. */
static void pfcount_union(client *c) {
    uint8_t *max = sk_calloc(HLL_REGISTERS, 1);
    for (int j = 1; j < c->argc; j++) {
        sobj *o = db_lookup_read(c, c->argv[j]);
        if (!o) continue; /* a missing key is an empty HLL */
        if (check_hll(c, o) < 0) goto cleanup;
        if (hll_merge_registers(max, o->ptr) < 0) {
            add_reply_error(c, ERR_CORRUPT);
            goto cleanup;
        }
    }
    add_reply_int(c, (long long)hll_count_raw(max));
cleanup:
    sk_free(max);
}

static void pfcount_command(client *c) {
    if (c->argc > 2) {
        pfcount_union(c);
        return;
    }
    sstr key = c->argv[1];
    sobj *o = db_lookup_read(c, key);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_hll(c, o) < 0) return;
    o = unshare(c, key, o);
    if (hll_cache_valid(o->ptr)) {
        add_reply_int(c, (long long)hll_cache_get(o->ptr));
        return;
    }
    int invalid = 0;
    uint64_t card = hll_count(o->ptr, &invalid);
    if (invalid) {
        add_reply_error(c, ERR_CORRUPT);
        return;
    }
    /* A read that rewrites the cache: the value changed, as in Redis. */
    hll_cache_set(o->ptr, card);
    db_signal_modified(c->srv, c->db, key);
    c->srv->dirty++;
    add_reply_int(c, (long long)card);
}

/* Union of the registers of argv[1..] (the destination included) into max;
 * *dense set when any is dense. -1 after an error reply. */
static int pfmerge_collect(client *c, uint8_t *max, int *dense) {
    for (int j = 1; j < c->argc; j++) {
        sobj *o = db_lookup_read(c, c->argv[j]);
        if (!o) continue;
        if (check_hll(c, o) < 0) return -1;
        if (hll_encoding(o->ptr) == HLL_DENSE) *dense = 1;
        if (hll_merge_registers(max, o->ptr) < 0) {
            add_reply_error(c, ERR_CORRUPT);
            return -1;
        }
    }
    return 0;
}

static void pfmerge_command(client *c) {
    sstr key = c->argv[1];
    int dense = 0;
    uint8_t *max = sk_calloc(HLL_REGISTERS, 1);
    if (pfmerge_collect(c, max, &dense) < 0) goto cleanup;
    sobj *o = db_lookup_write(c, key);
    if (!o) {
        o = obj_new_string_from_sstr(hll_create());
        db_add(c->srv, c->db, key, o);
    } else {
        o = unshare(c, key, o); /* checked above as a source */
    }
    sstr s = o->ptr;
    /* The result is dense when any input was, else it stays sparse as far
     * as hll-sparse-max-bytes allows (Redis 7.0). */
    if (dense && hll_sparse_to_dense(&s) < 0) {
        add_reply_error(c, ERR_CORRUPT);
        goto cleanup;
    }
    long long smax = sparse_max_bytes(c);
    for (long i = 0; i < HLL_REGISTERS; i++)
        if (max[i]) hll_set_register(&s, i, max[i], smax);
    o->ptr = s;
    hll_cache_invalidate(o->ptr);
    db_signal_modified(c->srv, c->db, key);
    c->srv->dirty++;
    add_reply_ok(c);
cleanup:
    sk_free(max);
}

/* ------------------------------------------------------------------ table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

const command cmds_hll[] = {
    {"pfadd", pfadd_command, -2, W | D | F, 1, 1, 1, "hyperloglog",
     "Adds the specified elements to the specified HyperLogLog.", "2.8.9", NULL},
    {"pfcount", pfcount_command, -2, R | CMD_MAY_REPLICATE, 1, -1, 1, "hyperloglog",
     "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
     "2.8.9", NULL},
    {"pfmerge", pfmerge_command, -2, W | D, 1, -1, 1, "hyperloglog",
     "Merge N different HyperLogLogs into a single one.", "2.8.9", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
