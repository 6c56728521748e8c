/* dict.c - chained hash table with incremental rehashing and SipHash-1-3.
 *
 * Two tables exist only while rehashing: entries move from table[0] to
 * table[1] one bucket per operation (or in bulk from dict_rehash_ms), and
 * lookups check both. A table grows when it holds as many entries as
 * buckets; while resizing is discouraged (a fork is sharing pages) it still
 * grows once the load factor passes DICT_FORCE_RATIO, because long chains
 * cost more than copied pages.
 */
#include "dict.h"

#include "err.h"
#include "mem.h"
#include "sstr.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DICT_INITIAL_EXP 2 /* 4 buckets */
#define DICT_FORCE_RATIO 5
#define DICT_EXP_NONE ((uint64_t)-1)
#define DICT_MIN_FILL 10 /* percent: below this dict_needs_shrink says yes */

static bool dict_resize_allowed = true;

/* ---- SipHash (Aumasson & Bernstein), c compression / d finalization rounds ---- */

static uint8_t dict_seed[16];
static bool dict_seed_set;

static inline uint64_t sip_rotl(uint64_t x, int b) {
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t sip_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

typedef struct sip_state {
    uint64_t v0, v1, v2, v3;
} sip_state;

static inline void sip_round(sip_state *s) {
    s->v0 += s->v1;
    s->v1 = sip_rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = sip_rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = sip_rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = sip_rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = sip_rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = sip_rotl(s->v2, 32);
}

static inline void sip_absorb(sip_state *s, uint64_t m, int crounds) {
    s->v3 ^= m;
    for (int i = 0; i < crounds; i++)
        sip_round(s);
    s->v0 ^= m;
}

static inline uint8_t sip_byte(const uint8_t *p, bool nocase) {
    uint8_t c = *p;
    if (nocase && c >= 'A' && c <= 'Z') c = (uint8_t)(c + ('a' - 'A'));
    return c;
}

static uint64_t sip_hash(const uint8_t key[16], const void *data, size_t len, int crounds,
                         int drounds, bool nocase) {
    const uint8_t *p = data;
    uint64_t k0 = sip_le64(key), k1 = sip_le64(key + 8);
    /* "somepseudorandomlygeneratedbytes" */
    sip_state s = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                   k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++, p += 8) {
        uint64_t m = 0;
        for (int j = 7; j >= 0; j--)
            m = (m << 8) | sip_byte(p + j, nocase);
        sip_absorb(&s, m, crounds);
    }
    /* Last block: the remaining bytes, little-endian, with len mod 256 on top. */
    uint64_t b = (uint64_t)len << 56;
    for (size_t j = 0; j < (len & 7); j++)
        b |= (uint64_t)sip_byte(p + j, nocase) << (8 * j);
    sip_absorb(&s, b, crounds);
    s.v2 ^= 0xff;
    for (int i = 0; i < drounds; i++)
        sip_round(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void dict_set_hash_seed(const uint8_t seed[16]) {
    memcpy(dict_seed, seed, 16);
    dict_seed_set = true;
}

/* A process that never set a seed still gets a random one: a fixed key
 * would let clients craft colliding keys. */
static const uint8_t *dict_get_seed(void) {
    if (!dict_seed_set) {
        util_random_bytes(dict_seed, sizeof(dict_seed));
        dict_seed_set = true;
    }
    return dict_seed;
}

uint64_t dict_siphash(const uint8_t key[16], const void *p, size_t len) {
    return sip_hash(key, p, len, 1, 3, false);
}

uint64_t dict_hash_bytes(const void *p, size_t len) {
    return sip_hash(dict_get_seed(), p, len, 1, 3, false);
}

uint64_t dict_hash_bytes_nocase(const void *p, size_t len) {
    return sip_hash(dict_get_seed(), p, len, 1, 3, true);
}

uint64_t dict_hash_sstr(const void *sstr_key) {
    const sstr s = (const sstr)sstr_key;
    return dict_hash_bytes(s, sstr_len(s));
}

int dict_sstr_equal(const void *a, const void *b) {
    const sstr x = (const sstr)a, y = (const sstr)b;
    size_t lx = sstr_len(x);
    return lx == sstr_len(y) && memcmp(x, y, lx) == 0;
}

void dict_sstr_free(void *sstr_key) {
    sstr_free(sstr_key);
}

/* ---- sizes ---- */

static inline uint64_t dict_tsize(const dict *d, int t) {
    return d->size_exp[t] == DICT_EXP_NONE ? 0 : (uint64_t)1 << d->size_exp[t];
}

static inline uint64_t dict_tmask(const dict *d, int t) {
    uint64_t s = dict_tsize(d, t);
    return s ? s - 1 : 0;
}

static void dict_reset_table(dict *d, int t) {
    d->table[t] = NULL;
    d->size_exp[t] = DICT_EXP_NONE;
    d->used[t] = 0;
}

size_t dict_size(const dict *d) {
    return (size_t)(d->used[0] + d->used[1]);
}

size_t dict_buckets(const dict *d) {
    return (size_t)(dict_tsize(d, 0) + dict_tsize(d, 1));
}

int dict_is_rehashing(const dict *d) {
    return d->rehash_idx != -1;
}

void dict_set_resize_allowed(int allowed) {
    dict_resize_allowed = allowed != 0;
}

int dict_needs_shrink(const dict *d) {
    uint64_t size = dict_tsize(d, 0);
    return !dict_is_rehashing(d) && size > ((uint64_t)1 << DICT_INITIAL_EXP) &&
           d->used[0] * 100 / size < DICT_MIN_FILL;
}

dict *dict_create(const dict_type *type) {
    dict *d = sk_malloc(sizeof(*d));
    d->type = type;
    dict_reset_table(d, 0);
    dict_reset_table(d, 1);
    d->rehash_idx = -1;
    d->pause_rehash = 0;
    return d;
}

static void dict_free_entry(dict *d, dict_entry *de) {
    if (d->type->key_free) d->type->key_free(de->key);
    if (d->type->val_free) d->type->val_free(de->v.val);
    sk_free(de);
}

static void dict_clear_table(dict *d, int t) {
    uint64_t size = dict_tsize(d, t);
    for (uint64_t i = 0; i < size && d->used[t] > 0; i++) {
        dict_entry *de = d->table[t][i];
        while (de) {
            dict_entry *next = de->next;
            dict_free_entry(d, de);
            d->used[t]--;
            de = next;
        }
    }
    sk_free(d->table[t]);
    dict_reset_table(d, t);
}

void dict_empty(dict *d) {
    dict_clear_table(d, 0);
    dict_clear_table(d, 1);
    d->rehash_idx = -1;
    d->pause_rehash = 0;
}

void dict_release(dict *d) {
    if (!d) return;
    dict_empty(d);
    sk_free(d);
}

/* ---- resizing ---- */

static uint64_t dict_next_exp(uint64_t size) {
    uint64_t e = DICT_INITIAL_EXP;
    while (e < 63 && ((uint64_t)1 << e) < size)
        e++;
    return e;
}

static int dict_expand_to(dict *d, uint64_t size) {
    if (dict_is_rehashing(d) || d->used[0] > size) return SK_EINVAL;
    uint64_t exp = dict_next_exp(size);
    if (exp == d->size_exp[0]) return SK_EINVAL;
    uint64_t n = (uint64_t)1 << exp;
    if (n > SIZE_MAX / sizeof(dict_entry *)) return SK_ENOMEM;
    dict_entry **t = sk_calloc((size_t)n, sizeof(dict_entry *));
    if (d->table[0] == NULL) {
        d->table[0] = t;
        d->size_exp[0] = exp;
        return 0;
    }
    d->table[1] = t;
    d->size_exp[1] = exp;
    d->rehash_idx = 0;
    return 0;
}

static void dict_expand_if_needed(dict *d) {
    if (dict_is_rehashing(d)) return;
    if (d->table[0] == NULL) {
        dict_expand_to(d, (uint64_t)1 << DICT_INITIAL_EXP);
        return;
    }
    uint64_t size = dict_tsize(d, 0);
    if (d->used[0] < size) return;
    if (dict_resize_allowed || d->used[0] / size > DICT_FORCE_RATIO)
        dict_expand_to(d, d->used[0] + 1);
}

int dict_expand(dict *d, size_t size) {
    if (d->used[0] + d->used[1] > 0 || size <= ((uint64_t)1 << DICT_INITIAL_EXP)) return 0;
    return dict_expand_to(d, size);
}

int dict_resize(dict *d) {
    if (!dict_resize_allowed || dict_is_rehashing(d)) return SK_EINVAL;
    uint64_t minimal = d->used[0];
    if (minimal < ((uint64_t)1 << DICT_INITIAL_EXP)) minimal = (uint64_t)1 << DICT_INITIAL_EXP;
    return dict_expand_to(d, minimal);
}

/* Moves up to n buckets; visits at most n*10 empty ones so a sparse table
 * cannot stall the caller. Returns 1 if work remains. */
static int dict_rehash(dict *d, int n) {
    int empty_visits = n * 10;
    if (!dict_is_rehashing(d)) return 0;
    uint64_t mask1 = dict_tmask(d, 1);
    while (n-- > 0 && d->used[0] != 0) {
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return 1;
        }
        dict_entry *de = d->table[0][d->rehash_idx];
        while (de) {
            dict_entry *next = de->next;
            uint64_t idx = d->type->hash(de->key) & mask1;
            de->next = d->table[1][idx];
            d->table[1][idx] = de;
            d->used[0]--;
            d->used[1]++;
            de = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }
    if (d->used[0] != 0) return 1;
    sk_free(d->table[0]);
    d->table[0] = d->table[1];
    d->size_exp[0] = d->size_exp[1];
    d->used[0] = d->used[1];
    dict_reset_table(d, 1);
    d->rehash_idx = -1;
    return 0;
}

static void dict_rehash_step(dict *d) {
    if (d->pause_rehash == 0) dict_rehash(d, 1);
}

static int64_t dict_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int dict_rehash_ms(dict *d, int ms) {
    if (d->pause_rehash > 0) return dict_is_rehashing(d);
    int64_t start = dict_now_us();
    while (dict_rehash(d, 100)) {
        if (dict_now_us() - start >= (int64_t)ms * 1000) return 1;
    }
    return 0;
}

/* ---- lookup and update ---- */

dict_entry *dict_add_raw(dict *d, void *key, dict_entry **existing) {
    if (dict_is_rehashing(d)) dict_rehash_step(d);
    dict_expand_if_needed(d);
    uint64_t h = d->type->hash(key);
    uint64_t idx = 0;
    for (int t = 0; t <= 1; t++) {
        idx = h & dict_tmask(d, t);
        for (dict_entry *de = d->table[t][idx]; de; de = de->next) {
            if (de->key == key || d->type->key_equal(key, de->key)) {
                if (existing) *existing = de;
                return NULL;
            }
        }
        if (!dict_is_rehashing(d)) break;
    }
    /* New entries go to the table being filled, at the head of the chain
     * (recently added keys tend to be looked up soon). */
    int t = dict_is_rehashing(d) ? 1 : 0;
    dict_entry *de = sk_malloc(sizeof(*de));
    de->key = key;
    de->v.u64 = 0;
    de->next = d->table[t][idx];
    d->table[t][idx] = de;
    d->used[t]++;
    if (existing) *existing = NULL;
    return de;
}

int dict_add(dict *d, void *key, void *val) {
    dict_entry *de = dict_add_raw(d, key, NULL);
    if (!de) return SK_EINVAL;
    de->v.val = val;
    return 0;
}

dict_entry *dict_find(dict *d, const void *key) {
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) dict_rehash_step(d);
    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        uint64_t idx = h & dict_tmask(d, t);
        for (dict_entry *de = d->table[t][idx]; de; de = de->next) {
            if (de->key == key || d->type->key_equal(key, de->key)) return de;
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

void *dict_fetch_value(dict *d, const void *key) {
    dict_entry *de = dict_find(d, key);
    return de ? de->v.val : NULL;
}

static dict_entry *dict_generic_delete(dict *d, const void *key) {
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) dict_rehash_step(d);
    uint64_t h = d->type->hash(key);
    for (int t = 0; t <= 1; t++) {
        uint64_t idx = h & dict_tmask(d, t);
        dict_entry *prev = NULL;
        for (dict_entry *de = d->table[t][idx]; de; prev = de, de = de->next) {
            if (de->key != key && !d->type->key_equal(key, de->key)) continue;
            if (prev)
                prev->next = de->next;
            else
                d->table[t][idx] = de->next;
            d->used[t]--;
            de->next = NULL;
            return de;
        }
        if (!dict_is_rehashing(d)) break;
    }
    return NULL;
}

int dict_delete(dict *d, const void *key) {
    dict_entry *de = dict_generic_delete(d, key);
    if (!de) return SK_ENOTFOUND;
    dict_free_entry(d, de);
    return 0;
}

dict_entry *dict_unlink(dict *d, const void *key) {
    return dict_generic_delete(d, key);
}

void dict_free_unlinked(dict *d, dict_entry *de) {
    if (de) dict_free_entry(d, de);
}

/* ---- random access ---- */

static size_t dict_pick_in_chain(dict_entry *head, dict_entry **out) {
    size_t len = 0;
    for (dict_entry *de = head; de; de = de->next)
        len++;
    size_t k = (size_t)(util_rand64() % len);
    dict_entry *de = head;
    while (k--)
        de = de->next;
    *out = de;
    return len;
}

dict_entry *dict_random_entry(dict *d) {
    if (dict_size(d) == 0) return NULL;
    if (dict_is_rehashing(d)) dict_rehash_step(d);
    dict_entry *head = NULL;
    if (dict_is_rehashing(d)) {
        /* Buckets below rehash_idx of table[0] are empty by construction. */
        uint64_t s0 = dict_tsize(d, 0), s1 = dict_tsize(d, 1);
        uint64_t lo = (uint64_t)d->rehash_idx;
        do {
            uint64_t h = lo + util_rand64() % (s0 + s1 - lo);
            head = h >= s0 ? d->table[1][h - s0] : d->table[0][h];
        } while (head == NULL);
    } else {
        uint64_t mask = dict_tmask(d, 0);
        do {
            head = d->table[0][util_rand64() & mask];
        } while (head == NULL);
    }
    dict_entry *de;
    dict_pick_in_chain(head, &de);
    return de;
}

size_t dict_sample_entries(dict *d, dict_entry **out, size_t count) {
    size_t size = dict_size(d);
    if (count > size) count = size;
    if (count == 0) return 0;
    for (size_t j = 0; j < count && dict_is_rehashing(d); j++)
        dict_rehash_step(d);
    int tables = dict_is_rehashing(d) ? 2 : 1;
    uint64_t maxmask = dict_tmask(d, 0);
    if (tables == 2 && dict_tmask(d, 1) > maxmask) maxmask = dict_tmask(d, 1);
    uint64_t i = util_rand64() & maxmask;
    size_t stored = 0, emptylen = 0, maxsteps = count * 10;
    while (stored < count && maxsteps--) {
        for (int t = 0; t < tables; t++) {
            /* Skip table[0] buckets already moved; if i is past table[1]
             * too, jump to the first unmoved bucket. */
            if (tables == 2 && t == 0 && i < (uint64_t)d->rehash_idx) {
                if (i >= dict_tsize(d, 1))
                    i = (uint64_t)d->rehash_idx;
                else
                    continue;
            }
            if (i >= dict_tsize(d, t)) continue;
            dict_entry *de = d->table[t][i];
            if (!de) {
                /* A run of empty buckets: try elsewhere. */
                if (++emptylen >= 5 && emptylen > count) {
                    i = util_rand64() & maxmask;
                    emptylen = 0;
                }
                continue;
            }
            emptylen = 0;
            for (; de; de = de->next) {
                out[stored++] = de;
                if (stored == count) return stored;
            }
        }
        i = (i + 1) & maxmask;
    }
    return stored;
}

/* ---- iteration ---- */

/* A 64-bit digest of the dict's shape: an unsafe iterator checks that it did
 * not change during the walk. */
static uint64_t dict_fingerprint(const dict *d) {
    uint64_t parts[6] = {(uint64_t)(uintptr_t)d->table[0], d->size_exp[0], d->used[0],
                         (uint64_t)(uintptr_t)d->table[1], d->size_exp[1], d->used[1]};
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 6; i++) {
        h ^= parts[i];
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
    }
    return h;
}

void dict_iter_init(dict_iter *it, dict *d, int safe) {
    it->d = d;
    it->table = 0;
    it->index = -1;
    it->safe = safe;
    it->entry = NULL;
    it->next_entry = NULL;
    it->fingerprint = 0;
}

dict_entry *dict_iter_next(dict_iter *it) {
    for (;;) {
        if (it->entry == NULL) {
            if (it->index == -1 && it->table == 0) {
                if (it->safe)
                    it->d->pause_rehash++;
                else
                    it->fingerprint = dict_fingerprint(it->d);
            }
            it->index++;
            if ((uint64_t)it->index >= dict_tsize(it->d, it->table)) {
                if (dict_is_rehashing(it->d) && it->table == 0) {
                    it->table = 1;
                    it->index = 0;
                    if (dict_tsize(it->d, 1) == 0) break;
                } else {
                    break;
                }
            }
            it->entry = it->d->table[it->table][it->index];
        } else {
            /* next_entry was saved so the caller may delete `entry`. */
            it->entry = it->next_entry;
        }
        if (it->entry) {
            it->next_entry = it->entry->next;
            return it->entry;
        }
    }
    return NULL;
}

void dict_iter_release(dict_iter *it) {
    if (it->index == -1 && it->table == 0) return; /* never started */
    if (it->safe) {
        it->d->pause_rehash--;
    } else if (it->fingerprint != dict_fingerprint(it->d)) {
        fprintf(stderr, "dict: unsafe iterator used while the dict changed\n");
        abort();
    }
    it->index = -1;
    it->table = 0;
}

/* ---- scan ---- */

static uint64_t dict_rev(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    v = ((v >> 8) & 0x00FF00FF00FF00FFULL) | ((v & 0x00FF00FF00FF00FFULL) << 8);
    v = ((v >> 16) & 0x0000FFFF0000FFFFULL) | ((v & 0x0000FFFF0000FFFFULL) << 16);
    return (v >> 32) | (v << 32);
}

static void dict_scan_bucket(dict_entry *de, dict_scan_fn *fn, void *priv) {
    while (de) {
        dict_entry *next = de->next;
        fn(priv, de);
        de = next;
    }
}

/* Increments the high bits first (reverse binary): the cursor then names
 * the same set of buckets, or their expansions/contractions, whatever the
 * table size is at the next call - hence every element present for the
 * whole scan is visited at least once. */
static uint64_t dict_cursor_next(uint64_t v, uint64_t mask) {
    v |= ~mask;
    v = dict_rev(v);
    v++;
    return dict_rev(v);
}

uint64_t dict_scan(dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv) {
    if (dict_size(d) == 0) return 0;
    uint64_t v = cursor;
    d->pause_rehash++; /* the callback must see a stable pair of tables */
    if (!dict_is_rehashing(d)) {
        uint64_t m0 = dict_tmask(d, 0);
        dict_scan_bucket(d->table[0][v & m0], fn, priv);
        v = dict_cursor_next(v, m0);
    } else {
        int small = 0, large = 1;
        if (dict_tsize(d, 0) > dict_tsize(d, 1)) {
            small = 1;
            large = 0;
        }
        uint64_t m0 = dict_tmask(d, small), m1 = dict_tmask(d, large);
        dict_scan_bucket(d->table[small][v & m0], fn, priv);
        /* Then every bucket of the larger table that expands this one. */
        do {
            dict_scan_bucket(d->table[large][v & m1], fn, priv);
            v = dict_cursor_next(v, m1);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}

size_t dict_mem_usage(const dict *d) {
    return sizeof(*d) + (size_t)dict_buckets(d) * sizeof(dict_entry *) +
           dict_size(d) * sizeof(dict_entry);
}
