/* test_intset.c - the intset: Redis byte format, upgrades, search, removal,
 * random, and validation of untrusted blobs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/core/err.h"
#include "../../src/core/intset.h"
#include "../../src/core/mem.h"

static intset *from_values(const int64_t *v, size_t n) {
    intset *is = intset_new();
    for (size_t i = 0; i < n; i++)
        is = intset_add(is, v[i], NULL);
    return is;
}

static void assert_blob(const intset *is, const uint8_t *want, size_t n) {
    assert_int_equal(intset_blob_len(is), n);
    const uint8_t *got = intset_blob(is);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) print_error("byte %zu differs\n", i);
        assert_int_equal(got[i], want[i]);
    }
}

static void test_empty(void **state) {
    (void)state;
    intset *is = intset_new();
    static const uint8_t want[] = {2, 0, 0, 0, 0, 0, 0, 0};
    assert_blob(is, want, sizeof(want));
    assert_int_equal(intset_len(is), 0);
    assert_int_equal(intset_find(is, 0), 0);
    int64_t v;
    assert_int_equal(intset_get(is, 0, &v), 0);
    int removed = -1;
    is = intset_remove(is, 5, &removed);
    assert_int_equal(removed, 0);
    intset_free(is);
    intset_free(NULL);
}

/* The same bytes redis-server 7.0 puts in DUMP for SADD k 3 1 -2 70000. */
static void test_redis_bytes(void **state) {
    (void)state;
    static const int64_t vals[] = {3, 1, -2, 70000};
    static const uint8_t want[] = {4, 0, 0, 0, 4, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff,
                                   1, 0, 0, 0, 3, 0, 0, 0, 0x70, 0x11, 0x01, 0x00};
    intset *is = from_values(vals, 4);
    assert_blob(is, want, sizeof(want));
    intset_free(is);
}

static void test_int16_bytes(void **state) {
    (void)state;
    static const int64_t vals[] = {-1, 256, 2};
    static const uint8_t want[] = {2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 2, 0, 0, 1};
    intset *is = from_values(vals, 3);
    assert_blob(is, want, sizeof(want));
    intset_free(is);
}

static void test_add_find_sorted(void **state) {
    (void)state;
    intset *is = intset_new();
    int added;
    is = intset_add(is, 5, &added);
    assert_int_equal(added, 1);
    is = intset_add(is, 5, &added);
    assert_int_equal(added, 0);
    is = intset_add(is, 1, &added);
    is = intset_add(is, 9, &added);
    is = intset_add(is, 7, &added);
    assert_int_equal(intset_len(is), 4);
    static const int64_t want[] = {1, 5, 7, 9};
    for (uint32_t i = 0; i < 4; i++) {
        int64_t v;
        assert_int_equal(intset_get(is, i, &v), 1);
        assert_int_equal(v, want[i]);
    }
    assert_true(intset_find(is, 7));
    assert_false(intset_find(is, 6));
    assert_false(intset_find(is, 0));
    assert_false(intset_find(is, 10));
    assert_false(intset_find(is, INT64_MAX)); /* wider than the encoding */
    assert_int_equal(intset_min(is), 1);
    assert_int_equal(intset_max(is), 9);
    intset_free(is);
}

static void check_upgrade(int64_t small, int64_t big, uint32_t enc_after) {
    intset *is = intset_new();
    is = intset_add(is, small, NULL);
    is = intset_add(is, small + 1, NULL);
    assert_int_equal(intset_encoding(is), INTSET_ENC_INT16);
    is = intset_add(is, big, NULL);
    assert_int_equal(intset_encoding(is), enc_after);
    assert_int_equal(intset_len(is), 3);
    assert_true(intset_find(is, small));
    assert_true(intset_find(is, small + 1));
    assert_true(intset_find(is, big));
    int64_t first, last;
    intset_get(is, 0, &first);
    intset_get(is, 2, &last);
    assert_int_equal(first, big < 0 ? big : small);
    assert_int_equal(last, big < 0 ? small + 1 : big);
    assert_int_equal(intset_blob_len(is), INTSET_HEADER_SIZE + 3 * enc_after);
    intset_free(is);
}

static void test_upgrades(void **state) {
    (void)state;
    check_upgrade(32, 65535, INTSET_ENC_INT32);
    check_upgrade(32, -65535, INTSET_ENC_INT32);
    check_upgrade(32, 4294967295LL, INTSET_ENC_INT64);
    check_upgrade(32, -4294967295LL, INTSET_ENC_INT64);
    check_upgrade(-5, INT64_MAX, INTSET_ENC_INT64);
    check_upgrade(-5, INT64_MIN, INTSET_ENC_INT64);
    check_upgrade(INT16_MIN, INT16_MAX + 1LL, INTSET_ENC_INT32);
}

static void test_boundaries(void **state) {
    (void)state;
    static const int64_t vals[] = {INT16_MIN, INT16_MAX, INT32_MIN, INT32_MAX,
                                   INT64_MIN, INT64_MAX, 0,         -1};
    intset *is = from_values(vals, 8);
    assert_int_equal(intset_len(is), 8);
    for (int i = 0; i < 8; i++)
        assert_true(intset_find(is, vals[i]));
    int64_t prev, cur;
    intset_get(is, 0, &prev);
    assert_int_equal(prev, INT64_MIN);
    for (uint32_t i = 1; i < 8; i++) {
        intset_get(is, i, &cur);
        assert_true(cur > prev);
        prev = cur;
    }
    assert_int_equal(prev, INT64_MAX);
    intset_free(is);
}

static void test_remove(void **state) {
    (void)state;
    static const int64_t vals[] = {1, 2, 3, 100000};
    intset *is = from_values(vals, 4);
    int removed;
    is = intset_remove(is, 2, &removed);
    assert_int_equal(removed, 1);
    is = intset_remove(is, 2, &removed);
    assert_int_equal(removed, 0);
    is = intset_remove(is, INT64_MAX, &removed); /* wider than the encoding */
    assert_int_equal(removed, 0);
    /* The width stays after the wide value goes, as Redis keeps it. */
    is = intset_remove(is, 100000, &removed);
    assert_int_equal(removed, 1);
    assert_int_equal(intset_encoding(is), INTSET_ENC_INT32);
    assert_int_equal(intset_len(is), 2);
    assert_int_equal(intset_blob_len(is), INTSET_HEADER_SIZE + 2 * 4);
    is = intset_remove(is, 1, &removed);
    is = intset_remove(is, 3, &removed);
    assert_int_equal(intset_len(is), 0);
    assert_int_equal(intset_blob_len(is), INTSET_HEADER_SIZE);
    intset_free(is);
}

/* A random mix of adds and removes against a plain reference array. */
static void test_against_reference(void **state) {
    (void)state;
    enum { RANGE = 600, STEPS = 20000 };
    char present[RANGE] = {0};
    intset *is = intset_new();
    srand(42);
    for (int s = 0; s < STEPS; s++) {
        int k = rand() % RANGE;
        int64_t v = (int64_t)(k - RANGE / 2) * 7919; /* spans int16 and int32 */
        int changed;
        if (rand() % 3) {
            is = intset_add(is, v, &changed);
            assert_int_equal(changed, !present[k]);
            present[k] = 1;
        } else {
            is = intset_remove(is, v, &changed);
            assert_int_equal(changed, present[k]);
            present[k] = 0;
        }
    }
    uint32_t n = 0;
    for (int k = 0; k < RANGE; k++) {
        int64_t v = (int64_t)(k - RANGE / 2) * 7919;
        assert_int_equal(intset_find(is, v), present[k]);
        n += present[k];
    }
    assert_int_equal(intset_len(is), n);
    assert_int_equal(intset_validate(intset_blob(is), intset_blob_len(is), 1), 0);
    intset_free(is);
}

static void test_random(void **state) {
    (void)state;
    static const int64_t vals[] = {10, 20, 30};
    intset *is = from_values(vals, 3);
    int seen[3] = {0};
    for (int i = 0; i < 300; i++) {
        int64_t v = intset_random(is);
        assert_true(v == 10 || v == 20 || v == 30);
        seen[v / 10 - 1]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(seen[i] > 0);
    intset_free(is);
}

static void test_dup(void **state) {
    (void)state;
    static const int64_t vals[] = {-70000, 5, 9};
    intset *is = from_values(vals, 3);
    intset *copy = intset_dup(is);
    assert_int_equal(intset_blob_len(copy), intset_blob_len(is));
    assert_memory_equal(intset_blob(copy), intset_blob(is), intset_blob_len(is));
    copy = intset_add(copy, 6, NULL);
    assert_false(intset_find(is, 6));
    intset_free(is);
    intset_free(copy);
}

static void test_validate(void **state) {
    (void)state;
    static const uint8_t good[] = {2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0};
    assert_int_equal(intset_validate(good, sizeof(good), 1), 0);
    assert_int_equal(intset_validate(good, sizeof(good), 0), 0);
    /* size does not match the length */
    assert_int_equal(intset_validate(good, sizeof(good) - 1, 0), SK_EINVAL);
    assert_int_equal(intset_validate(good, 7, 0), SK_EINVAL);
    assert_int_equal(intset_validate(NULL, 0, 0), SK_EINVAL);
    static const uint8_t bad_enc[] = {3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0};
    assert_int_equal(intset_validate(bad_enc, sizeof(bad_enc), 0), SK_EINVAL);
    static const uint8_t empty[] = {2, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(intset_validate(empty, sizeof(empty), 0), SK_EINVAL);
    static const uint8_t unsorted[] = {2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0};
    assert_int_equal(intset_validate(unsorted, sizeof(unsorted), 0), 0); /* shallow */
    assert_int_equal(intset_validate(unsorted, sizeof(unsorted), 1), SK_EINVAL);
    static const uint8_t dups[] = {4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    assert_int_equal(intset_validate(dups, sizeof(dups), 1), SK_EINVAL);
    /* a length whose byte count would overflow 32 bits */
    static const uint8_t huge[] = {8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(intset_validate(huge, sizeof(huge), 1), SK_EINVAL);
    /* signed order, not byte order: -1 < 1 */
    static const uint8_t neg[] = {2, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 1, 0};
    assert_int_equal(intset_validate(neg, sizeof(neg), 1), 0);

    intset *is = intset_from_blob(neg, sizeof(neg));
    assert_non_null(is);
    assert_true(intset_find(is, -1));
    assert_true(intset_find(is, 1));
    is = intset_add(is, 0, NULL);
    assert_int_equal(intset_len(is), 3);
    intset_free(is);
    assert_null(intset_from_blob(unsorted, sizeof(unsorted)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_redis_bytes),
        cmocka_unit_test(test_int16_bytes), cmocka_unit_test(test_add_find_sorted),
        cmocka_unit_test(test_upgrades),    cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_remove),      cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_random),      cmocka_unit_test(test_dup),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
