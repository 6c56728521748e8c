/* dict.h - chained hash table with incremental rehashing.
 *
 * The table of the keyspace and of every hash/set/zset that outgrows its
 * compact encoding. The shape of Redis's dict: two tables while rehashing,
 * one bucket moved per operation (plus dict_rehash_ms from a timer), and a
 * reverse-binary cursor for dict_scan so that an element present for the
 * whole scan is returned at least once, even across resizes.
 *
 * Ownership: the dict owns its entries; keys and values are owned by the
 * dict only if the type gives destructors (then dict_delete and dict_release
 * call them). Hash function: SipHash-1-3 with a per-process random key
 * (dict_set_hash_seed), so clients cannot force collisions.
 * Not thread-safe.
 */
#ifndef SEALKV_CORE_DICT_H
#define SEALKV_CORE_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dict_entry {
    void *key;
    union {
        void *val;
        int64_t s64;
        uint64_t u64;
        double d;
    } v;
    struct dict_entry *next;
} dict_entry;

typedef struct dict_type {
    uint64_t (*hash)(const void *key);
    int (*key_equal)(const void *a, const void *b); /* non-zero when equal */
    void (*key_free)(void *key);                    /* may be NULL */
    void (*val_free)(void *val);                    /* may be NULL */
} dict_type;

typedef struct dict {
    const dict_type *type;
    dict_entry **table[2];
    uint64_t size_exp[2]; /* table size is 1 << size_exp; -1 (all ones) when empty */
    uint64_t used[2];
    int64_t rehash_idx;   /* -1 when not rehashing */
    int16_t pause_rehash; /* > 0 while safe iterators run */
} dict;

typedef struct dict_iter {
    dict *d;
    int64_t index;
    int table;
    int safe;
    dict_entry *entry, *next_entry;
    uint64_t fingerprint;
} dict_iter;

typedef void dict_scan_fn(void *priv, const dict_entry *de);

/* Hash helpers for the common key kinds. */
void dict_set_hash_seed(const uint8_t seed[16]);
uint64_t dict_hash_bytes(const void *p, size_t len);
/* SipHash-1-3 with an explicit key (for tests and for callers with their own key). */
uint64_t dict_siphash(const uint8_t key[16], const void *p, size_t len);
uint64_t dict_hash_bytes_nocase(const void *p, size_t len);
uint64_t dict_hash_sstr(const void *sstr_key);
int dict_sstr_equal(const void *a, const void *b);
void dict_sstr_free(void *sstr_key);

dict *dict_create(const dict_type *type);
void dict_release(dict *d);
void dict_empty(dict *d); /* removes everything, keeps the dict */

size_t dict_size(const dict *d);
size_t dict_buckets(const dict *d);
int dict_is_rehashing(const dict *d);

/* Adds key; returns the new entry, or NULL if the key exists (then *existing
 * is set when existing != NULL). The caller sets the value in the entry. */
dict_entry *dict_add_raw(dict *d, void *key, dict_entry **existing);
/* Adds key->val; returns 0, or SK_EINVAL when the key exists (nothing changes). */
int dict_add(dict *d, void *key, void *val);
dict_entry *dict_find(dict *d, const void *key);
void *dict_fetch_value(dict *d, const void *key); /* NULL when absent */
/* Removes key, calling the destructors. Returns 0 or SK_ENOTFOUND. */
int dict_delete(dict *d, const void *key);
/* Unlinks key without destructors; the caller frees it with dict_free_unlinked. */
dict_entry *dict_unlink(dict *d, const void *key);
void dict_free_unlinked(dict *d, dict_entry *de);

dict_entry *dict_random_entry(dict *d); /* NULL when empty */
/* Up to count entries sampled from around a random place (for eviction and
 * active expiry); returns how many were stored. */
size_t dict_sample_entries(dict *d, dict_entry **out, size_t count);

/* Iteration. A safe iterator allows dict_add/delete during the walk (it
 * pauses rehashing); an unsafe one asserts on release that nothing changed. */
void dict_iter_init(dict_iter *it, dict *d, int safe);
dict_entry *dict_iter_next(dict_iter *it);
void dict_iter_release(dict_iter *it);

/* One SCAN step: calls fn for the entries of one bucket (both tables while
 * rehashing) and returns the next cursor; 0 when the scan is complete. */
uint64_t dict_scan(dict *d, uint64_t cursor, dict_scan_fn *fn, void *priv);

/* Rehash for about ms milliseconds; returns non-zero if work remains. */
int dict_rehash_ms(dict *d, int ms);
/* Resize to the smallest power of two >= size (shrink after mass deletes). */
int dict_resize(dict *d);
/* Sizes an empty dict for `size` entries up front (RDB loading knows the
 * count): no rehashing while it fills. A no-op on a non-empty dict. */
int dict_expand(dict *d, size_t size);
/* Process-wide: while 0 (a fork child shares pages), tables grow only past
 * a load factor of 5 and dict_resize refuses. Default 1. */
void dict_set_resize_allowed(int allowed);
/* Non-zero when under 10% of the buckets are used: time for dict_resize. */
int dict_needs_shrink(const dict *d);
/* Heap bytes of the tables and entries (not keys/values). */
size_t dict_mem_usage(const dict *d);

#endif
