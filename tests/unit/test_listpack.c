/* test_listpack.c - listpack: Redis 7.0 byte format (golden bytes from a real
 * redis-server 7.0 DUMP), navigation, edits, find, validation of corrupt blobs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/core/listpack.h"
#include "../../src/core/mem.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HSET h f0 hello f1 1 f2 -1 ... (see golden_vals) on redis-server 7.0, DUMP,
 * listpack bytes cut out of the payload (rdbcompression no). */
static const unsigned char golden[] = {
    0x56, 0x01, 0x00, 0x00, 0x2a, 0x00, 0x82, 0x66, 0x30, 0x03, 0x85, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    0x06, 0x82, 0x66, 0x31, 0x03, 0x01, 0x01, 0x82, 0x66, 0x32, 0x03, 0xdf, 0xff, 0x02, 0x82, 0x66,
    0x33, 0x03, 0x7f, 0x01, 0x82, 0x66, 0x34, 0x03, 0xc0, 0x80, 0x02, 0x82, 0x66, 0x35, 0x03, 0xd0,
    0x00, 0x02, 0x82, 0x66, 0x36, 0x03, 0xcf, 0xff, 0x02, 0x82, 0x66, 0x37, 0x03, 0xf1, 0x88, 0x13,
    0x03, 0x82, 0x66, 0x38, 0x03, 0xf1, 0x00, 0x80, 0x03, 0x82, 0x66, 0x39, 0x03, 0xf2, 0x40, 0x9c,
    0x00, 0x04, 0x83, 0x66, 0x31, 0x30, 0x04, 0xf2, 0x00, 0x00, 0x80, 0x04, 0x83, 0x66, 0x31, 0x31,
    0x04, 0xf3, 0x00, 0x00, 0x80, 0x00, 0x05, 0x83, 0x66, 0x31, 0x32, 0x04, 0xf4, 0x00, 0x00, 0x00,
    0x80, 0x00, 0x00, 0x00, 0x00, 0x09, 0x83, 0x66, 0x31, 0x33, 0x04, 0xf4, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x80, 0x09, 0x83, 0x66, 0x31, 0x34, 0x04, 0xf4, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0x7f, 0x09, 0x83, 0x66, 0x31, 0x35, 0x04, 0x93, 0x39, 0x32, 0x32, 0x33, 0x33, 0x37,
    0x32, 0x30, 0x33, 0x36, 0x38, 0x35, 0x34, 0x37, 0x37, 0x35, 0x38, 0x30, 0x38, 0x14, 0x83, 0x66,
    0x31, 0x36, 0x04, 0x82, 0x2d, 0x30, 0x03, 0x83, 0x66, 0x31, 0x37, 0x04, 0x82, 0x30, 0x31, 0x03,
    0x83, 0x66, 0x31, 0x38, 0x04, 0x80, 0x01, 0x83, 0x66, 0x31, 0x39, 0x04, 0xbf, 0x61, 0x61, 0x61,
    0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61,
    0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61,
    0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61,
    0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x40, 0x83, 0x66, 0x32,
    0x30, 0x04, 0xe0, 0x40, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62,
    0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62,
    0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62,
    0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62, 0x62,
    0x62, 0x62, 0x62, 0x62, 0x42, 0xff};

static const char *golden_vals[] = {"hello",
                                    "1",
                                    "-1",
                                    "127",
                                    "128",
                                    "-4096",
                                    "4095",
                                    "5000",
                                    "-32768",
                                    "40000",
                                    "-8388608",
                                    "8388608",
                                    "2147483648",
                                    "-9223372036854775808",
                                    "9223372036854775807",
                                    "9223372036854775808",
                                    "-0",
                                    "01",
                                    ""};
#define NGOLDEN_VALS (sizeof(golden_vals) / sizeof(golden_vals[0]))

static unsigned char *ustr(const char *s) {
    return (unsigned char *)s;
}

static unsigned char *build_golden(void) {
    unsigned char *lp = lp_new(0);
    char f[16];
    size_t i = 0;
    for (; i < NGOLDEN_VALS; i++) {
        int n = snprintf(f, sizeof f, "f%zu", i);
        lp = lp_append(lp, ustr(f), (size_t)n);
        lp = lp_append(lp, ustr(golden_vals[i]), strlen(golden_vals[i]));
    }
    char big[65];
    memset(big, 'a', 63);
    lp = lp_append(lp, ustr("f19"), 3);
    lp = lp_append(lp, ustr(big), 63);
    memset(big, 'b', 64);
    lp = lp_append(lp, ustr("f20"), 3);
    lp = lp_append(lp, ustr(big), 64);
    return lp;
}

/* Entry at p as a NUL-terminated string in buf (for assert_string_equal). */
static const char *entry_str(const unsigned char *p, char *buf, size_t bufsize) {
    unsigned char ib[LP_INTBUF_SIZE];
    uint32_t len;
    const unsigned char *s = lp_get_str(p, &len, ib);
    if (len >= bufsize) len = (uint32_t)bufsize - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static void test_empty(void **state) {
    (void)state;
    static const unsigned char want[] = {7, 0, 0, 0, 0, 0, 0xff};
    unsigned char *lp = lp_new(0);
    assert_int_equal(lp_bytes(lp), 7);
    assert_memory_equal(lp, want, 7);
    assert_int_equal(lp_length(lp), 0);
    assert_null(lp_first(lp));
    assert_null(lp_last(lp));
    assert_null(lp_seek(lp, 0));
    assert_null(lp_seek(lp, -1));
    assert_int_equal(lp_validate(lp, 7), 1);
    lp_free(lp);
}

static void test_golden_bytes(void **state) {
    (void)state;
    unsigned char *lp = build_golden();
    assert_int_equal(lp_bytes(lp), sizeof golden);
    for (size_t i = 0; i < sizeof golden; i++) {
        if (lp[i] != golden[i]) fail_msg("byte %zu: ours 0x%02x redis 0x%02x", i, lp[i], golden[i]);
    }
    assert_int_equal(lp_validate(golden, sizeof golden), 1);
    lp_free(lp);
}

static void test_golden_read_back(void **state) {
    (void)state;
    char buf[128];
    unsigned char *p = lp_first(golden);
    for (size_t i = 0; i < NGOLDEN_VALS; i++) {
        char f[16];
        snprintf(f, sizeof f, "f%zu", i);
        assert_non_null(p);
        assert_string_equal(entry_str(p, buf, sizeof buf), f);
        p = lp_next(golden, p);
        assert_string_equal(entry_str(p, buf, sizeof buf), golden_vals[i]);
        p = lp_next(golden, p);
    }
    /* integer typed reads */
    int64_t v;
    assert_int_equal(lp_get_int(lp_seek(golden, 27), &v), 1); /* f13 value */
    assert_true(v == INT64_MIN);
    assert_int_equal(lp_get_int(lp_seek(golden, 31), &v), 0); /* 2^63: a string */
    assert_int_equal(lp_get_int(lp_seek(golden, 33), &v), 0); /* "-0" is a string */
    assert_int_equal(lp_get_int(lp_seek(golden, 11), &v), 1);
    assert_int_equal(v, -4096);
    assert_int_equal(lp_length(golden), 42);
}

static void test_integer_encodings(void **state) {
    (void)state;
    struct {
        int64_t v;
        size_t entry_size; /* encoding + data + backlen */
    } cases[] = {
        {0, 2},
        {127, 2},
        {128, 3},
        {-1, 3},
        {-4096, 3},
        {4095, 3},
        {4096, 4},
        {-4097, 4},
        {32767, 4},
        {-32768, 4},
        {32768, 5},
        {-8388608, 5},
        {8388607, 5},
        {8388608, 6},
        {INT32_MIN, 6},
        {INT32_MAX, 6},
        {(int64_t)INT32_MAX + 1, 10},
        {INT64_MIN, 10},
        {INT64_MAX, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *lp = lp_new(0);
        lp = lp_append_int(lp, cases[i].v);
        unsigned char *p = lp_first(lp);
        int64_t got = 0;
        assert_int_equal(lp_get_int(p, &got), 1);
        if (got != cases[i].v)
            fail_msg("case %zu: %lld != %lld", i, (long long)got, (long long)cases[i].v);
        assert_int_equal(lp_entry_size(p), cases[i].entry_size);
        assert_int_equal(lp_bytes(lp), 7 + cases[i].entry_size);
        /* The same value appended as text gives the same bytes. */
        char txt[32];
        int n = snprintf(txt, sizeof txt, "%lld", (long long)cases[i].v);
        unsigned char *lp2 = lp_new(0);
        lp2 = lp_append(lp2, ustr(txt), (size_t)n);
        assert_int_equal(lp_bytes(lp2), lp_bytes(lp));
        assert_memory_equal(lp2, lp, lp_bytes(lp));
        assert_int_equal(lp_entry_size_str(ustr(txt), (size_t)n), cases[i].entry_size);
        assert_int_equal(lp_compare(p, ustr(txt), (size_t)n), 1);
        lp_free(lp);
        lp_free(lp2);
    }
}

static void test_string_to_int64(void **state) {
    (void)state;
    int64_t v;
    assert_int_equal(lp_string_to_int64(ustr("0"), 1, &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(lp_string_to_int64(ustr("-0"), 2, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("007"), 3, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("+7"), 2, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr(" 7"), 2, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("7 "), 2, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("-"), 1, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr(""), 0, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("1a"), 2, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("9223372036854775807"), 19, &v), 1);
    assert_true(v == INT64_MAX);
    assert_int_equal(lp_string_to_int64(ustr("9223372036854775808"), 19, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("-9223372036854775808"), 20, &v), 1);
    assert_true(v == INT64_MIN);
    assert_int_equal(lp_string_to_int64(ustr("-9223372036854775809"), 20, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("18446744073709551616"), 20, &v), 0);
    assert_int_equal(lp_string_to_int64(ustr("184467440737095516160"), 21, &v), 0);
}

static void test_long_strings(void **state) {
    (void)state;
    size_t lens[] = {0, 1, 63, 64, 125, 126, 4095, 4096, 16377, 16378, 70000};
    /* entry sizes: header + len + backlen (2 bytes above 127, 3 at 16383+) */
    size_t hdr[] = {1, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        unsigned char *s = sk_malloc(lens[i] + 1);
        for (size_t k = 0; k < lens[i]; k++)
            s[k] = (unsigned char)('a' + k % 26);
        unsigned char *lp = lp_new(0);
        lp = lp_append(lp, ustr("x"), 1);
        lp = lp_append(lp, s, lens[i]);
        lp = lp_append(lp, ustr("y"), 1);
        size_t enc = hdr[i] + lens[i];
        size_t bl = enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : 4;
        unsigned char *p = lp_seek(lp, 1);
        assert_int_equal(lp_entry_size(p), enc + bl);
        uint32_t len;
        int64_t iv;
        const unsigned char *got = lp_get(p, &len, &iv);
        assert_non_null(got);
        assert_int_equal(len, lens[i]);
        assert_memory_equal(got, s, lens[i]);
        /* walk back over the long entry from the end */
        unsigned char *last = lp_last(lp);
        assert_int_equal(lp_compare(last, ustr("y"), 1), 1);
        assert_ptr_equal(lp_prev(lp, last), p);
        assert_int_equal(lp_compare(lp_prev(lp, p), ustr("x"), 1), 1);
        assert_int_equal(lp_validate(lp, lp_bytes(lp)), 1);
        lp_free(lp);
        sk_free(s);
    }
}

static void test_seek_and_navigation(void **state) {
    (void)state;
    unsigned char *lp = lp_new(0);
    char buf[32];
    for (int i = 0; i < 10; i++) {
        int n = snprintf(buf, sizeof buf, "e%d", i);
        lp = lp_append(lp, ustr(buf), (size_t)n);
    }
    assert_int_equal(lp_length(lp), 10);
    for (long i = -10; i < 10; i++) {
        unsigned char *p = lp_seek(lp, i);
        char want[32];
        snprintf(want, sizeof want, "e%ld", i < 0 ? i + 10 : i);
        assert_non_null(p);
        assert_string_equal(entry_str(p, buf, sizeof buf), want);
    }
    assert_null(lp_seek(lp, 10));
    assert_null(lp_seek(lp, -11));
    assert_null(lp_seek(lp, LONG_MIN));
    assert_null(lp_prev(lp, lp_first(lp)));
    assert_null(lp_next(lp, lp_last(lp)));
    lp_free(lp);
}

static void test_insert_replace_delete(void **state) {
    (void)state;
    char buf[64];
    unsigned char *lp = lp_new(0), *p, *np;
    lp = lp_append(lp, ustr("b"), 1);
    lp = lp_prepend(lp, ustr("a"), 1);
    lp = lp_append_int(lp, 42);
    lp = lp_prepend_int(lp, -5);
    /* -5 a b 42 */
    p = lp_seek(lp, 1);
    lp = lp_insert(lp, ustr("after-a"), 7, p, LP_AFTER, &np);
    assert_string_equal(entry_str(np, buf, sizeof buf), "after-a");
    p = lp_seek(lp, 0);
    lp = lp_insert(lp, ustr("first"), 5, p, LP_BEFORE, &np);
    assert_ptr_equal(np, lp_first(lp));
    lp = lp_insert_int(lp, 7, lp + lp_bytes(lp) - 1, LP_BEFORE, &np);
    assert_ptr_equal(np, lp_last(lp));
    /* first -5 a after-a b 42 7 */
    const char *want1[] = {"first", "-5", "a", "after-a", "b", "42", "7"};
    assert_int_equal(lp_length(lp), 7);
    p = lp_first(lp);
    for (int i = 0; i < 7; i++, p = lp_next(lp, p))
        assert_string_equal(entry_str(p, buf, sizeof buf), want1[i]);
    assert_null(p);

    p = lp_seek(lp, 4);
    lp = lp_replace(lp, &p, ustr("a much longer replacement"), 25);
    assert_string_equal(entry_str(p, buf, sizeof buf), "a much longer replacement");
    lp = lp_replace_int(lp, &p, 1000000);
    assert_string_equal(entry_str(p, buf, sizeof buf), "1000000");
    assert_int_equal(lp_length(lp), 7);

    p = lp_seek(lp, 2);
    lp = lp_delete(lp, p, &np);
    assert_string_equal(entry_str(np, buf, sizeof buf), "after-a");
    p = lp_last(lp);
    lp = lp_delete(lp, p, &np);
    assert_null(np);
    /* first -5 after-a 1000000 42 */
    const char *want2[] = {"first", "-5", "after-a", "1000000", "42"};
    assert_int_equal(lp_length(lp), 5);
    p = lp_first(lp);
    for (int i = 0; i < 5; i++, p = lp_next(lp, p))
        assert_string_equal(entry_str(p, buf, sizeof buf), want2[i]);
    /* backwards too */
    p = lp_last(lp);
    for (int i = 4; i >= 0; i--, p = lp_prev(lp, p))
        assert_string_equal(entry_str(p, buf, sizeof buf), want2[i]);
    assert_int_equal(lp_validate(lp, lp_bytes(lp)), 1);

    lp = lp_delete_range(lp, -2, 10);
    assert_int_equal(lp_length(lp), 3);
    lp = lp_delete_range(lp, 0, 1);
    assert_string_equal(entry_str(lp_first(lp), buf, sizeof buf), "-5");
    lp = lp_delete_range(lp, 5, 1); /* out of range: no-op */
    assert_int_equal(lp_length(lp), 2);
    p = lp_first(lp);
    lp = lp_delete_range_at(lp, &p, 2);
    assert_null(p);
    assert_int_equal(lp_length(lp), 0);
    assert_int_equal(lp_bytes(lp), 7);
    lp_free(lp);
}

static void test_batch_delete(void **state) {
    (void)state;
    char buf[32];
    unsigned char *lp = lp_new(0);
    for (int i = 0; i < 20; i++) {
        int n = snprintf(buf, sizeof buf, i % 2 ? "s%d" : "%d", i);
        lp = lp_append(lp, ustr(buf), (size_t)n);
    }
    unsigned char *ps[20];
    unsigned long n = 0;
    /* delete indexes 0, 3, 4, 19 */
    ps[n++] = lp_seek(lp, 0);
    ps[n++] = lp_seek(lp, 3);
    ps[n++] = lp_seek(lp, 4);
    ps[n++] = lp_seek(lp, 19);
    lp = lp_batch_delete(lp, ps, n);
    assert_int_equal(lp_length(lp), 16);
    assert_int_equal(lp_validate(lp, lp_bytes(lp)), 1);
    int expect[] = {1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
    unsigned char *p = lp_first(lp);
    for (int i = 0; i < 16; i++, p = lp_next(lp, p)) {
        char want[16];
        snprintf(want, sizeof want, expect[i] % 2 ? "s%d" : "%d", expect[i]);
        assert_string_equal(entry_str(p, buf, sizeof buf), want);
    }
    lp = lp_batch_delete(lp, ps, 0);
    assert_int_equal(lp_length(lp), 16);
    lp_free(lp);
}

static void test_find(void **state) {
    (void)state;
    unsigned char *lp = lp_new(0);
    const char *kv[] = {"name", "joe", "age", "42", "42", "answer", "neg", "-0", "", "empty"};
    for (int i = 0; i < 10; i++)
        lp = lp_append(lp, ustr(kv[i]), strlen(kv[i]));
    unsigned char *first = lp_first(lp);
    /* skip=1 only looks at fields: "42" the value of "age" must not match */
    unsigned char *p = lp_find(lp, first, ustr("42"), 2, 1);
    assert_ptr_equal(p, lp_seek(lp, 4));
    assert_ptr_equal(lp_find(lp, first, ustr("42"), 2, 0), lp_seek(lp, 3));
    assert_null(lp_find(lp, first, ustr("joe"), 3, 1));
    assert_ptr_equal(lp_find(lp, first, ustr("joe"), 3, 0), lp_seek(lp, 1));
    assert_ptr_equal(lp_find(lp, first, ustr("-0"), 2, 0), lp_seek(lp, 7));
    assert_null(lp_find(lp, first, ustr("0"), 1, 0));
    assert_null(lp_find(lp, first, ustr("042"), 3, 0));
    assert_ptr_equal(lp_find(lp, first, ustr(""), 0, 1), lp_seek(lp, 8));
    assert_null(lp_find(lp, NULL, ustr("name"), 4, 1));
    lp_free(lp);
}

static void test_count_unknown(void **state) {
    (void)state;
    unsigned char *lp = lp_new(0);
    for (int i = 0; i < 70000; i++)
        lp = lp_append_int(lp, i);
    assert_int_equal(lp[4] | (lp[5] << 8), LP_NUMELE_UNKNOWN);
    assert_int_equal(lp_length(lp), 70000);
    int64_t v;
    assert_int_equal(lp_get_int(lp_seek(lp, -1), &v), 1);
    assert_int_equal(v, 69999);
    assert_int_equal(lp_get_int(lp_seek(lp, 65535), &v), 1);
    assert_int_equal(v, 65535);
    assert_int_equal(lp_validate(lp, lp_bytes(lp)), 1);
    lp = lp_delete_range(lp, 0, 69990);
    assert_int_equal(lp_length(lp), 10);
    assert_int_equal(lp_validate(lp, lp_bytes(lp)), 1);
    lp_free(lp);
}

/* ---- validation of corrupt blobs ---- */

static int validate_copy(const unsigned char *src, size_t n) {
    /* exact-size heap copy so ASan catches any read past the end */
    unsigned char *b = sk_malloc(n ? n : 1);
    memcpy(b, src, n);
    int r = lp_validate(b, n);
    sk_free(b);
    return r;
}

static void test_validate_corrupt(void **state) {
    (void)state;
    size_t n = sizeof golden;
    unsigned char *b = sk_malloc(n);

    assert_int_equal(validate_copy(golden, n), 1);
    assert_int_equal(lp_validate(NULL, 0), 0);
    /* every truncation fails */
    for (size_t k = 0; k < n; k++)
        if (validate_copy(golden, k)) fail_msg("truncated to %zu accepted", k);
    /* header total wrong */
    memcpy(b, golden, n);
    b[0] ^= 1;
    assert_int_equal(lp_validate(b, n), 0);
    /* count wrong; unknown count accepted */
    memcpy(b, golden, n);
    b[4] = 41;
    assert_int_equal(lp_validate(b, n), 0);
    b[4] = 0xff;
    b[5] = 0xff;
    assert_int_equal(lp_validate(b, n), 1);
    /* terminator missing */
    memcpy(b, golden, n);
    b[n - 1] = 0;
    assert_int_equal(lp_validate(b, n), 0);
    /* invalid encoding byte in the first entry */
    for (int bad = 0xf5; bad <= 0xff; bad++) {
        memcpy(b, golden, n);
        b[LP_HDR_SIZE] = (unsigned char)bad;
        if (lp_validate(b, n)) fail_msg("encoding 0x%02x accepted", bad);
    }
    /* a backlen that does not match */
    memcpy(b, golden, n);
    b[LP_HDR_SIZE + 3] ^= 1; /* "f0" entry: 82 66 30 [03] */
    assert_int_equal(lp_validate(b, n), 0);
    sk_free(b);

    /* 32-bit string length pointing far past the end */
    static const unsigned char huge[] = {13, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0x7f, 5, 0xff};
    assert_int_equal(validate_copy(huge, sizeof huge), 0);
    static const unsigned char huge2[] = {13, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0xff, 5, 0xff};
    assert_int_equal(validate_copy(huge2, sizeof huge2), 0);
    /* 12-bit string header cut by the terminator */
    static const unsigned char cut[] = {8, 0, 0, 0, 1, 0, 0xe1, 0xff};
    assert_int_equal(validate_copy(cut, sizeof cut), 0);
    /* 64-bit int with only 3 data bytes */
    static const unsigned char shortint[] = {12, 0, 0, 0, 1, 0, 0xf4, 1, 2, 3, 4, 0xff};
    assert_int_equal(validate_copy(shortint, sizeof shortint), 0);
    /* valid tiny blob for contrast */
    static const unsigned char ok[] = {9, 0, 0, 0, 1, 0, 0x05, 0x01, 0xff};
    assert_int_equal(validate_copy(ok, sizeof ok), 1);
    /* EOF byte in entry position with total saying there is more */
    static const unsigned char eofmid[] = {9, 0, 0, 0, 0, 0, 0xff, 0x01, 0xff};
    assert_int_equal(validate_copy(eofmid, sizeof eofmid), 0);
    /* non-minimal backlen (2 bytes for 1) */
    static const unsigned char longbl[] = {10, 0, 0, 0, 1, 0, 0x05, 0x00, 0x81, 0xff};
    assert_int_equal(validate_copy(longbl, sizeof longbl), 0);
}

/* Random byte flips of a valid listpack: validate must never read out of
 * bounds (ASan), and whatever it accepts must be walkable both ways. */
static void test_validate_fuzz(void **state) {
    (void)state;
    size_t n = sizeof golden;
    unsigned char *b = sk_malloc(n);
    unsigned int seed = 12345;
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, golden, n);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            b[pos] = (unsigned char)(seed >> 16);
        }
        if (!lp_validate(b, n)) continue;
        accepted++;
        unsigned long fwd = 0, back = 0;
        for (unsigned char *p = lp_first(b); p; p = lp_next(b, p)) {
            unsigned char ib[LP_INTBUF_SIZE];
            uint32_t len;
            (void)lp_get_str(p, &len, ib);
            fwd++;
        }
        for (unsigned char *p = lp_last(b); p; p = lp_prev(b, p))
            back++;
        assert_int_equal(fwd, back);
        assert_int_equal(fwd, lp_length(b));
    }
    assert_true(accepted > 0);
    sk_free(b);
}

static int count_cb(const unsigned char *p, unsigned int head_count, void *ud) {
    (void)p;
    (void)head_count;
    int *c = ud;
    return ++*c < 5;
}

static void test_validate_callback(void **state) {
    (void)state;
    int c = 0;
    assert_int_equal(lp_validate_cb(golden, sizeof golden, count_cb, &c), 0);
    assert_int_equal(c, 5);
    assert_int_equal(lp_validate_cb(golden, sizeof golden, NULL, NULL), 1);
}

static void test_dup_and_safe(void **state) {
    (void)state;
    unsigned char *lp = build_golden();
    unsigned char *d = lp_dup(lp);
    assert_int_equal(lp_bytes(d), lp_bytes(lp));
    assert_memory_equal(d, lp, lp_bytes(lp));
    d = lp_shrink_to_fit(d);
    assert_int_equal(lp_safe_to_add(d, 100), 1);
    assert_int_equal(lp_safe_to_add(d, LP_MAX_SAFETY_SIZE), 0);
    assert_int_equal(lp_safe_to_add(NULL, LP_MAX_SAFETY_SIZE), 1);
    lp_free(lp);
    lp_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_golden_bytes),
        cmocka_unit_test(test_golden_read_back),
        cmocka_unit_test(test_integer_encodings),
        cmocka_unit_test(test_string_to_int64),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_seek_and_navigation),
        cmocka_unit_test(test_insert_replace_delete),
        cmocka_unit_test(test_batch_delete),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_count_unknown),
        cmocka_unit_test(test_validate_corrupt),
        cmocka_unit_test(test_validate_fuzz),
        cmocka_unit_test(test_validate_callback),
        cmocka_unit_test(test_dup_and_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
