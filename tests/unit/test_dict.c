/* test_dict.c - dict: CRUD at scale, iterators, scan across resizes, sampling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/dict.h"
#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "../../src/core/sstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_val_frees;

static void val_free(void *v) {
    (void)v;
    g_val_frees++;
}

static const dict_type sstr_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, val_free};

static sstr key_of(long i) {
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "key:%ld", i);
    return sstr_new(buf, (size_t)n);
}

/* Looks key i up with a temporary sstr. */
static dict_entry *find_i(dict *d, long i) {
    sstr k = key_of(i);
    dict_entry *de = dict_find(d, k);
    sstr_free(k);
    return de;
}

static int del_i(dict *d, long i) {
    sstr k = key_of(i);
    int rc = dict_delete(d, k);
    sstr_free(k);
    return rc;
}

static dict *fill(long n) {
    dict *d = dict_create(&sstr_type);
    for (long i = 0; i < n; i++)
        assert_int_equal(dict_add(d, key_of(i), (void *)(intptr_t)(i + 1)), 0);
    return d;
}

static void test_siphash_vectors(void **state) {
    (void)state;
    /* Cross-checked with CPython 3.11's siphash13 (PYTHONHASHSEED=0 = zero key). */
    const uint8_t zero[16] = {0};
    assert_int_equal(dict_siphash(zero, "a", 1), 0x407448d2b89b1813ULL);
    assert_int_equal(dict_siphash(zero, "abc", 3), 0xc03bc3a0042630f2ULL);
    assert_int_equal(dict_siphash(zero, "hello world!", 12), 0x0ba7c0aefd09fad0ULL);
    assert_int_equal(dict_siphash(zero, "0123456789abcdefXYZ", 19), 0x283e7687cd67183bULL);
    uint8_t seed[16];
    for (int i = 0; i < 16; i++)
        seed[i] = (uint8_t)i;
    dict_set_hash_seed(seed);
    assert_int_equal(dict_hash_bytes("abc", 3), dict_siphash(seed, "abc", 3));
    assert_int_equal(dict_hash_bytes_nocase("HeLLo", 5), dict_hash_bytes("hello", 5));
    assert_int_not_equal(dict_hash_bytes("HeLLo", 5), dict_hash_bytes("hello", 5));
}

static void test_add_find_delete_100k(void **state) {
    (void)state;
    const long n = 100000;
    size_t mem0 = sk_mem_used();
    g_val_frees = 0;
    dict *d = fill(n);
    assert_int_equal(dict_size(d), n);
    /* Duplicate add fails and reports the existing entry. */
    sstr dup = key_of(42);
    dict_entry *existing = NULL;
    assert_null(dict_add_raw(d, dup, &existing));
    assert_non_null(existing);
    assert_int_equal((intptr_t)existing->v.val, 43);
    assert_int_equal(dict_add(d, dup, NULL), SK_EINVAL);
    sstr_free(dup);
    for (long i = 0; i < n; i++) {
        dict_entry *de = find_i(d, i);
        if (!de || (intptr_t)de->v.val != i + 1) fail_msg("key %ld missing or wrong value", i);
    }
    assert_null(find_i(d, n));
    sstr k = key_of(7);
    assert_int_equal((intptr_t)dict_fetch_value(d, k), 8);
    sstr_free(k);
    for (long i = 0; i < n; i += 2)
        assert_int_equal(del_i(d, i), 0);
    assert_int_equal(del_i(d, 0), SK_ENOTFOUND);
    assert_int_equal(g_val_frees, n / 2);
    assert_int_equal(dict_size(d), n / 2);
    for (long i = 0; i < n; i++)
        assert_int_equal(find_i(d, i) != NULL, i % 2 == 1);
    /* Unlink keeps the entry alive until dict_free_unlinked. */
    k = key_of(1);
    dict_entry *de = dict_unlink(d, k);
    sstr_free(k);
    assert_non_null(de);
    assert_null(find_i(d, 1));
    assert_string_equal((char *)de->key, "key:1");
    dict_free_unlinked(d, de);
    assert_int_equal(g_val_frees, n / 2 + 1);
    /* Shrink after mass deletion. */
    while (dict_rehash_ms(d, 100))
        ;
    for (long i = 3; i < n; i += 2)
        assert_int_equal(del_i(d, i), 0);
    assert_int_equal(dict_size(d), 0);
    assert_true(dict_needs_shrink(d));
    assert_int_equal(dict_resize(d), 0);
    while (dict_rehash_ms(d, 100))
        ;
    assert_int_equal(dict_buckets(d), 4);
    assert_false(dict_needs_shrink(d));
    dict_release(d);
    assert_int_equal(sk_mem_used(), mem0);
}

static void test_iteration_counts(void **state) {
    (void)state;
    const long n = 5000;
    dict *d = fill(n);
    assert_true(dict_is_rehashing(d) || dict_buckets(d) >= (size_t)n);
    char *seen = calloc((size_t)n, 1);
    dict_iter it;
    dict_iter_init(&it, d, 0);
    long count = 0;
    dict_entry *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        long v = (long)(intptr_t)de->v.val - 1;
        assert_in_range(v, 0, n - 1);
        assert_int_equal(seen[v], 0);
        seen[v] = 1;
        count++;
    }
    dict_iter_release(&it);
    assert_int_equal(count, n);
    free(seen);
    /* Iterating an empty dict yields nothing. */
    dict *e = dict_create(&sstr_type);
    dict_iter_init(&it, e, 0);
    assert_null(dict_iter_next(&it));
    dict_iter_release(&it);
    dict_release(e);
    dict_release(d);
}

static void test_safe_iterator_deletes(void **state) {
    (void)state;
    const long n = 3000;
    dict *d = fill(n);
    dict_iter it;
    dict_iter_init(&it, d, 1);
    long count = 0;
    dict_entry *de;
    while ((de = dict_iter_next(&it)) != NULL) {
        long v = (long)(intptr_t)de->v.val - 1;
        count++;
        if (v % 3 == 0) assert_int_equal(dict_delete(d, de->key), 0); /* the current entry */
        assert_true(d->pause_rehash > 0);
    }
    dict_iter_release(&it);
    assert_int_equal(d->pause_rehash, 0);
    assert_int_equal(count, n);
    assert_int_equal(dict_size(d), n - (n + 2) / 3);
    dict_release(d);
}

typedef struct scan_ctx {
    char *seen;
    long n;
    long calls;
} scan_ctx;

static void scan_cb(void *priv, const dict_entry *de) {
    scan_ctx *c = priv;
    long v = (long)(intptr_t)de->v.val - 1;
    if (v >= 0 && v < c->n) c->seen[v] = 1;
    c->calls++;
}

static void test_scan_across_resizes(void **state) {
    (void)state;
    const long stable = 2000, extra = 20000;
    dict *d = fill(stable);
    while (dict_rehash_ms(d, 100))
        ;
    scan_ctx c = {calloc((size_t)stable, 1), stable, 0};
    uint64_t cursor = 0;
    long steps = 0, next_extra = stable;
    int phase = 0; /* 0: growing, 1: shrinking */
    do {
        cursor = dict_scan(d, cursor, scan_cb, &c);
        steps++;
        /* Between calls: grow with extra keys (values outside the stable
         * range), then delete them all and shrink. */
        if (phase == 0) {
            for (int j = 0; j < 50 && next_extra < stable + extra; j++, next_extra++)
                assert_int_equal(dict_add(d, key_of(next_extra), (void *)(intptr_t)-1), 0);
            if (next_extra == stable + extra) phase = 1;
        } else if (next_extra > stable) {
            for (int j = 0; j < 200 && next_extra > stable; j++)
                assert_int_equal(del_i(d, --next_extra), 0);
            if (next_extra == stable) dict_resize(d);
        }
        assert_true(steps < 1000000);
    } while (cursor != 0);
    for (long i = 0; i < stable; i++) {
        if (!c.seen[i]) fail_msg("stable key %ld never returned by scan (%ld steps)", i, steps);
    }
    free(c.seen);
    dict_release(d);
}

static void test_scan_while_rehashing_both_ways(void **state) {
    (void)state;
    /* Scan a dict that sits mid-rehash (grow), then mid-rehash (shrink). */
    for (int shrink = 0; shrink <= 1; shrink++) {
        const long n = 1000;
        dict *d = fill(shrink ? 9000 : n);
        if (shrink) {
            while (dict_rehash_ms(d, 100))
                ;
            for (long i = n; i < 9000; i++)
                assert_int_equal(del_i(d, i), 0);
            assert_int_equal(dict_resize(d), 0);
        } else {
            while (dict_rehash_ms(d, 100))
                ;
            /* Add until the table starts growing (then stop: each add
             * would move one more bucket). */
            for (long i = n; i < 2 * n && !dict_is_rehashing(d); i++)
                dict_add(d, key_of(i), (void *)(intptr_t)(i + 1));
        }
        assert_true(dict_is_rehashing(d));
        scan_ctx c = {calloc((size_t)n, 1), n, 0};
        uint64_t cursor = 0;
        long steps = 0;
        do {
            cursor = dict_scan(d, cursor, scan_cb, &c);
        } while (cursor != 0 && ++steps < 1000000);
        for (long i = 0; i < n; i++)
            if (!c.seen[i]) fail_msg("shrink=%d: key %ld missed", shrink, i);
        free(c.seen);
        dict_release(d);
    }
}

static void test_random_and_sample(void **state) {
    (void)state;
    dict *e = dict_create(&sstr_type);
    assert_null(dict_random_entry(e));
    dict_entry *out[32];
    assert_int_equal(dict_sample_entries(e, out, 10), 0);
    dict_release(e);

    const long n = 1000;
    dict *d = fill(n);
    char *seen = calloc((size_t)n, 1);
    long distinct = 0;
    for (int i = 0; i < 20000; i++) {
        dict_entry *de = dict_random_entry(d);
        assert_non_null(de);
        long v = (long)(intptr_t)de->v.val - 1;
        assert_in_range(v, 0, n - 1);
        if (!seen[v]++) distinct++;
    }
    /* 20 draws per key on average: nearly all keys come up. */
    assert_true(distinct > n * 9 / 10);
    free(seen);
    for (int round = 0; round < 100; round++) {
        size_t got = dict_sample_entries(d, out, 16);
        assert_true(got > 0 && got <= 16);
        for (size_t i = 0; i < got; i++) {
            long v = (long)(intptr_t)out[i]->v.val - 1;
            assert_in_range(v, 0, n - 1);
            for (size_t j = 0; j < i; j++)
                assert_ptr_not_equal(out[i], out[j]);
        }
    }
    dict *small = fill(3);
    assert_int_equal(dict_sample_entries(small, out, 10), 3);
    dict_release(small);
    dict_release(d);
}

static void test_resize_policy(void **state) {
    (void)state;
    dict *d = fill(4);
    while (dict_rehash_ms(d, 100))
        ;
    size_t buckets = dict_buckets(d);
    dict_set_resize_allowed(0);
    /* Grows only once the load factor passes 5. */
    long i = 4;
    for (; (size_t)i <= buckets * 5; i++)
        dict_add(d, key_of(i), (void *)(intptr_t)(i + 1));
    assert_false(dict_is_rehashing(d));
    assert_int_equal(dict_buckets(d), buckets);
    assert_int_equal(dict_resize(d), SK_EINVAL);
    for (int j = 0; j < (int)buckets + 2; j++, i++)
        dict_add(d, key_of(i), (void *)(intptr_t)(i + 1));
    assert_true(dict_buckets(d) > buckets);
    dict_set_resize_allowed(1);
    assert_true(dict_mem_usage(d) >= dict_size(d) * sizeof(dict_entry));
    for (long k = 0; k < i; k++)
        assert_non_null(find_i(d, k));
    dict_empty(d);
    assert_int_equal(dict_size(d), 0);
    assert_int_equal(dict_buckets(d), 0);
    assert_int_equal(dict_add(d, key_of(1), NULL), 0);
    assert_non_null(find_i(d, 1));
    dict_release(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_add_find_delete_100k),
        cmocka_unit_test(test_iteration_counts),
        cmocka_unit_test(test_safe_iterator_deletes),
        cmocka_unit_test(test_scan_across_resizes),
        cmocka_unit_test(test_scan_while_rehashing_both_ways),
        cmocka_unit_test(test_random_and_sample),
        cmocka_unit_test(test_resize_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
