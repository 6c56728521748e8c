/* test_server_hll.c - the HyperLogLog encoding of t_hll.c: Redis's byte
 * format (expected bytes below were produced by redis-server 7.0), sparse
 * and dense round trips, promotion, corrupt input and estimator accuracy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/server/t_hll.h"

#define BIG_SPARSE 1000000 /* hll-sparse-max-bytes that never promotes */

static sstr add_n(sstr s, const char *prefix, int from, int to, long long sparse_max) {
    char buf[64];
    for (int i = from; i < to; i++) {
        int n = snprintf(buf, sizeof buf, "%s%d", prefix, i);
        assert_true(hll_add(&s, buf, (size_t)n, sparse_max) >= 0);
    }
    return s;
}

static void hex_of(const sstr s, size_t from, char *out) {
    for (size_t i = from; i < sstr_len(s); i++)
        sprintf(out + 2 * (i - from), "%02x", (uint8_t)s[i]);
}

static void test_create_is_redis_empty(void **state) {
    (void)state;
    static const uint8_t want[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0,    0,
                                   0,   0,   0,   0,   0, 0, 0, 0x7f, 0xff};
    sstr s = hll_create();
    assert_int_equal(sstr_len(s), sizeof want);
    assert_memory_equal(s, want, sizeof want);
    assert_true(hll_header_valid(s, sstr_len(s)));
    assert_true(hll_cache_valid(s));
    assert_int_equal(hll_count(s, NULL), 0);
    sstr_free(s);
}

/* Register and value of single elements, read from redis-server's bytes. */
static void test_pattern_matches_redis(void **state) {
    (void)state;
    static const struct {
        const char *ele;
        long reg;
        int val;
        const char *sparse_hex;
    } cases[] = {
        {"a", 12711, 2, "71a6844e57"},
        {"hello", 9216, 1, "63ff805bfe"},
        {"", 5938, 2, "57318468cc"},
        {"foobar123", 638, 1, "427d807d80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long reg;
        int val = hll_pattern(cases[i].ele, strlen(cases[i].ele), &reg);
        assert_int_equal(reg, cases[i].reg);
        assert_int_equal(val, cases[i].val);
        sstr s = hll_create();
        assert_int_equal(hll_add(&s, cases[i].ele, strlen(cases[i].ele), BIG_SPARSE), 1);
        assert_int_equal(hll_add(&s, cases[i].ele, strlen(cases[i].ele), BIG_SPARSE), 0);
        char hex[64];
        hex_of(s, HLL_HDR_SIZE, hex);
        assert_string_equal(hex, cases[i].sparse_hex);
        assert_int_equal(hll_get_register(s, reg), val);
        sstr_free(s);
    }
}

/* Ten elements as redis-server 7.0 stores them (merge of neighbouring VALs). */
static void test_ten_elements_bytes(void **state) {
    (void)state;
    sstr s = add_n(hll_create(), "e", 0, 10, 3000);
    hll_cache_invalidate(s); /* PFADD invalidates after adding */
    char hex[256];
    hex_of(s, 0, hex);
    assert_string_equal(hex, "48594c4c010000000000000000000080452580472e844fc9804412844a5184430d84"
                             "4103844eb984408880406a8441b1");
    assert_int_equal(hll_count(s, NULL), 10);
    sstr_free(s);
}

static void test_sparse_dense_round_trip(void **state) {
    (void)state;
    sstr sp = add_n(hll_create(), "rt", 0, 2000, BIG_SPARSE);
    assert_int_equal(hll_encoding(sp), HLL_SPARSE);
    sstr de = sstr_dup(sp);
    assert_int_equal(hll_sparse_to_dense(&de), 0);
    assert_int_equal(hll_encoding(de), HLL_DENSE);
    assert_int_equal(sstr_len(de), HLL_DENSE_SIZE);
    assert_memory_equal(de + 8, sp + 8, 8); /* cached cardinality carried over */
    for (long i = 0; i < HLL_REGISTERS; i++)
        assert_int_equal(hll_get_register(de, i), hll_get_register(sp, i));
    int inv = 0;
    assert_int_equal(hll_count(de, &inv), hll_count(sp, &inv));
    assert_int_equal(inv, 0);
    /* The same elements added straight into dense give the same registers. */
    sstr d2 = hll_create();
    assert_int_equal(hll_sparse_to_dense(&d2), 0);
    d2 = add_n(d2, "rt", 0, 2000, BIG_SPARSE);
    assert_memory_equal(d2 + HLL_HDR_SIZE, de + HLL_HDR_SIZE, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    uint8_t max[HLL_REGISTERS] = {0};
    assert_int_equal(hll_merge_registers(max, sp), 0);
    assert_int_equal(hll_count_raw(max), hll_count(de, NULL));
    sstr_free(sp);
    sstr_free(de);
    sstr_free(d2);
}

static void test_promotion_at_sparse_max(void **state) {
    (void)state;
    sstr s = hll_create();
    char buf[32];
    int i;
    for (i = 0; i < 10000 && hll_encoding(s) == HLL_SPARSE; i++) {
        int n = snprintf(buf, sizeof buf, "p%d", i);
        assert_true(hll_add(&s, buf, (size_t)n, 300) >= 0);
        if (hll_encoding(s) == HLL_SPARSE) assert_true(sstr_len(s) <= 300);
    }
    assert_int_equal(hll_encoding(s), HLL_DENSE);
    assert_true(i > 20);
    /* A value above 32 cannot be sparse: it promotes whatever the size. */
    sstr t = hll_create();
    assert_int_equal(hll_set_register(&t, 7, 33, BIG_SPARSE), 1);
    assert_int_equal(hll_encoding(t), HLL_DENSE);
    assert_int_equal(hll_get_register(t, 7), 33);
    assert_int_equal(hll_get_register(t, 16383), 0);
    assert_int_equal(hll_set_register(&t, 16383, 63, BIG_SPARSE), 1);
    assert_int_equal(hll_get_register(t, 16383), 63);
    assert_int_equal(hll_get_register(t, 16382), 0);
    assert_int_equal(hll_set_register(&t, 16383, 5, BIG_SPARSE), 0);
    sstr_free(s);
    sstr_free(t);
}

static void test_sparse_split_and_merge(void **state) {
    (void)state;
    sstr s = hll_create();
    /* Raise four neighbours to the same value: they end as one VAL of len 4. */
    for (long i = 100; i < 104; i++)
        assert_int_equal(hll_set_register(&s, i, 3, BIG_SPARSE), 1);
    char hex[64];
    hex_of(s, HLL_HDR_SIZE, hex);
    assert_string_equal(hex, "4063"
                             "8b"
                             "7f97"); /* XZERO 100, VAL 3x4, XZERO 16280 */
    assert_int_equal(hll_set_register(&s, 101, 2, BIG_SPARSE), 0);
    assert_int_equal(hll_set_register(&s, 101, 5, BIG_SPARSE), 1);
    hex_of(s, HLL_HDR_SIZE, hex);
    assert_string_equal(hex, "4063"
                             "88"
                             "90"
                             "89"
                             "7f97"); /* VAL 3, VAL 5, VAL 3x2 */
    assert_false(hll_cache_valid(s));
    sstr_free(s);
}

static void test_corrupt_sparse(void **state) {
    (void)state;
    sstr s = hll_create();
    sstr_set_len(s, HLL_HDR_SIZE); /* no opcodes */
    int inv = 0;
    hll_count(s, &inv);
    assert_int_equal(inv, 1);
    assert_int_equal(hll_add(&s, "x", 1, BIG_SPARSE), -1);
    uint8_t max[HLL_REGISTERS] = {0};
    assert_int_equal(hll_merge_registers(max, s), -1);
    assert_int_equal(hll_sparse_to_dense(&s), -1);
    assert_int_equal(hll_encoding(s), HLL_SPARSE);
    s = sstr_cat(s, "\x7f\xff\xff", 3); /* a VAL run past the end */
    inv = 0;
    hll_count(s, &inv);
    assert_int_equal(inv, 1);
    sstr_free(s);
    assert_false(hll_header_valid("HYLL\x02", 5));
    assert_false(hll_header_valid("HYLX\x01\0\0\0\0\0\0\0\0\0\0\0", 16));
    assert_true(hll_header_valid("HYLL\x01\0\0\0\0\0\0\0\0\0\0\0", 16));
    assert_false(hll_header_valid("HYLL\0\0\0\0\0\0\0\0\0\0\0\0", 16)); /* dense, short */
}

static void test_cache_bytes(void **state) {
    (void)state;
    sstr s = hll_create();
    hll_cache_set(s, 0x0102030405060708ULL);
    assert_true(hll_cache_valid(s));
    assert_int_equal((uint8_t)s[8], 0x08);
    assert_int_equal((uint8_t)s[15], 0x01);
    assert_int_equal(hll_cache_get(s), 0x0102030405060708ULL);
    hll_cache_invalidate(s);
    assert_false(hll_cache_valid(s));
    assert_int_equal((uint8_t)s[15], 0x81);
    sstr_free(s);
}

static void test_accuracy_100k(void **state) {
    (void)state;
    sstr s = add_n(hll_create(), "acc:", 0, 100000, 3000);
    assert_int_equal(hll_encoding(s), HLL_DENSE);
    long long n = (long long)hll_count(s, NULL);
    /* Standard error 1.04/sqrt(16384) = 0.81%; three of them is 2.4%. */
    long long diff = n > 100000 ? n - 100000 : 100000 - n;
    if (diff > 2400) fail_msg("estimate %lld for 100000 elements", n);
    /* Small sets are close to exact (the estimator's low range). */
    sstr t = add_n(hll_create(), "small", 0, 100, 3000);
    long long m = (long long)hll_count(t, NULL);
    if (m < 98 || m > 102) fail_msg("estimate %lld for 100 elements", m);
    sstr_free(s);
    sstr_free(t);
}

static void test_murmur_blocks_and_tail(void **state) {
    (void)state;
    /* Lengths 0..17 cover every tail size and two full blocks; the hash must
     * depend on each byte. */
    char buf[17];
    memset(buf, 'z', sizeof buf);
    for (size_t len = 1; len <= sizeof buf; len++) {
        uint64_t h = hll_murmur64a(buf, len, HLL_HASH_SEED);
        buf[len - 1] = 'y';
        assert_int_not_equal(h, hll_murmur64a(buf, len, HLL_HASH_SEED));
        buf[len - 1] = 'z';
    }
    assert_int_not_equal(hll_murmur64a("", 0, 1), hll_murmur64a("", 0, 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_is_redis_empty),
        cmocka_unit_test(test_pattern_matches_redis),
        cmocka_unit_test(test_ten_elements_bytes),
        cmocka_unit_test(test_sparse_dense_round_trip),
        cmocka_unit_test(test_promotion_at_sparse_max),
        cmocka_unit_test(test_sparse_split_and_merge),
        cmocka_unit_test(test_corrupt_sparse),
        cmocka_unit_test(test_cache_bytes),
        cmocka_unit_test(test_accuracy_100k),
        cmocka_unit_test(test_murmur_blocks_and_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
