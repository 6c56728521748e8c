/* test_sstr.c - sstr: creation, growth across header types, range, cmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/mem.h"
#include "../../src/core/sstr.h"

#include <string.h>

static void test_new_and_len(void **state) {
    (void)state;
    sstr s = sstr_new("ab\0cd", 5);
    assert_int_equal(sstr_len(s), 5);
    assert_memory_equal(s, "ab\0cd", 5);
    assert_int_equal(s[5], '\0');
    sstr z = sstr_new(NULL, 3);
    assert_int_equal(sstr_len(z), 3);
    assert_memory_equal(z, "\0\0\0", 4);
    sstr e = sstr_empty();
    assert_int_equal(sstr_len(e), 0);
    assert_string_equal(e, "");
    sstr n = sstr_from_ll(-9223372036854775807LL - 1);
    assert_string_equal(n, "-9223372036854775808");
    sstr d = sstr_dup(s);
    assert_int_equal(sstr_cmp(d, s), 0);
    sstr_free(s);
    sstr_free(z);
    sstr_free(e);
    sstr_free(n);
    sstr_free(d);
    sstr_free(NULL);
}

static void test_growth_across_types(void **state) {
    (void)state;
    size_t before = sk_mem_used();
    sstr s = sstr_empty();
    size_t hdr8 = sstr_alloc_size(s); /* header + NUL for an empty 8-bit string */
    assert_int_equal(hdr8, 3 + 0 + 1);
    /* Append one byte at a time through 255, 65535 and past: every byte must
     * survive each header change. */
    for (size_t i = 0; i < 70000; i++) {
        char c = (char)('a' + i % 26);
        s = sstr_cat(s, &c, 1);
        assert_int_equal(sstr_len(s), i + 1);
    }
    for (size_t i = 0; i < 70000; i++) {
        if (s[i] != (char)('a' + i % 26)) fail_msg("byte %zu is %c", i, s[i]);
    }
    assert_int_equal(s[70000], '\0');
    /* 32-bit header now: 4 + 4 + 1 bytes. */
    s = sstr_remove_free(s);
    assert_int_equal(sstr_avail(s), 0);
    assert_int_equal(sstr_alloc_size(s), 9 + 70000 + 1);
    /* Shrinking back: range to 100 bytes then drop free space -> 8-bit header. */
    sstr_range(s, 0, 99);
    s = sstr_remove_free(s);
    assert_int_equal(sstr_len(s), 100);
    assert_int_equal(sstr_alloc_size(s), 3 + 100 + 1);
    assert_memory_equal(s, "abcdefghij", 10);
    /* 16-bit header in between. */
    s = sstr_grow_zero(s, 300);
    assert_int_equal(sstr_len(s), 300);
    assert_int_equal(s[299], 0);
    s = sstr_remove_free(s);
    assert_int_equal(sstr_alloc_size(s), 5 + 300 + 1);
    sstr_free(s);
    assert_int_equal(sk_mem_used(), before);
}

static void test_make_room_greedy(void **state) {
    (void)state;
    sstr s = sstr_from_cstr("x");
    s = sstr_make_room(s, 10);
    assert_true(sstr_avail(s) >= 10);
    assert_int_equal(sstr_len(s), 1);
    size_t avail = sstr_avail(s);
    memcpy(s + 1, "yz", 2);
    sstr_set_len(s, 3);
    assert_string_equal(s, "xyz");
    assert_int_equal(sstr_avail(s), avail - 2);
    sstr_clear(s);
    assert_int_equal(sstr_len(s), 0);
    assert_string_equal(s, "");
    sstr_free(s);
}

static void test_cat_variants(void **state) {
    (void)state;
    sstr s = sstr_from_cstr("foo");
    s = sstr_cat_cstr(s, "bar");
    sstr t = sstr_from_cstr("baz");
    s = sstr_cat_sstr(s, t);
    assert_string_equal(s, "foobarbaz");
    s = sstr_catfmt(s, "-%d-%s", 42, "x");
    assert_string_equal(s, "foobarbaz-42-x");
    char big[600];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = sstr_catfmt(s, "%s!", big); /* longer than the small stack buffer */
    assert_int_equal(sstr_len(s), 14 + 599 + 1);
    assert_int_equal(s[sstr_len(s) - 1], '!');
    sstr_free(s);
    sstr_free(t);
}

typedef struct range_case {
    const char *in;
    ptrdiff_t start, end;
    const char *out;
} range_case;

static void test_range(void **state) {
    (void)state;
    /* Expected values follow Redis's sdsrange. */
    static const range_case cases[] = {
        {"ciao", 1, 1, "i"}, {"ciao", 1, -1, "iao"},     {"ciao", -2, -1, "ao"},
        {"ciao", 2, 1, ""},  {"ciao", 1, 100, "iao"},    {"ciao", 100, 100, ""},
        {"ciao", 0, 0, "c"}, {"ciao", -100, -1, "ciao"}, {"ciao", -100, -100, "c"},
        {"ciao", 4, 6, ""},  {"ciao", 3, 3, "o"},        {"ciao", -1, -2, ""},
        {"", 0, 10, ""},     {"hello", 0, -1, "hello"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sstr s = sstr_from_cstr(cases[i].in);
        sstr_range(s, cases[i].start, cases[i].end);
        if (strcmp(s, cases[i].out) != 0 || sstr_len(s) != strlen(cases[i].out))
            fail_msg("case %zu: range(%s,%td,%td) = '%s' want '%s'", i, cases[i].in, cases[i].start,
                     cases[i].end, s, cases[i].out);
        sstr_free(s);
    }
}

static void test_cmp(void **state) {
    (void)state;
    sstr a = sstr_from_cstr("foo"), b = sstr_from_cstr("foa"), c = sstr_from_cstr("foobar");
    sstr d = sstr_new("foo\0", 4);
    assert_true(sstr_cmp(a, b) > 0);
    assert_true(sstr_cmp(b, a) < 0);
    assert_true(sstr_cmp(a, c) < 0);
    assert_true(sstr_cmp(c, a) > 0);
    assert_true(sstr_cmp(a, d) < 0);
    assert_int_equal(sstr_cmp(a, a), 0);
    sstr_free(a);
    sstr_free(b);
    sstr_free(c);
    sstr_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_len),
        cmocka_unit_test(test_growth_across_types),
        cmocka_unit_test(test_make_room_greedy),
        cmocka_unit_test(test_cat_variants),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_cmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
