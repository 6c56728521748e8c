/* test_util.c - number parsing/printing with Redis's rules, glob, random. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/ev.h"
#include "../../src/core/util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

typedef struct ll_case {
    const char *in;
    int ok;
    long long v;
} ll_case;

static void test_str_to_ll(void **state) {
    (void)state;
    static const ll_case cases[] = {
        {"0", 1, 0},
        {"1", 1, 1},
        {"-1", 1, -1},
        {"99", 1, 99},
        {"-99", 1, -99},
        {"9223372036854775807", 1, LLONG_MAX},
        {"-9223372036854775808", 1, LLONG_MIN},
        {"9223372036854775808", 0, 0},
        {"-9223372036854775809", 0, 0},
        {"18446744073709551615", 0, 0},
        {"18446744073709551616", 0, 0},
        {"99999999999999999999999", 0, 0},
        {"", 0, 0},
        {"-", 0, 0},
        {"+1", 0, 0},
        {" 1", 0, 0},
        {"1 ", 0, 0},
        {"01", 0, 0},
        {"-0", 0, 0},
        {"00", 0, 0},
        {"1a", 0, 0},
        {"a1", 0, 0},
        {"1.0", 0, 0},
        {"--1", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long v = 12345;
        int ok = util_str_to_ll(cases[i].in, strlen(cases[i].in), &v);
        if (ok != cases[i].ok) fail_msg("'%s': ok=%d want %d", cases[i].in, ok, cases[i].ok);
        if (ok) assert_int_equal(v, cases[i].v);
    }
    /* Length-bounded: "12" out of "123". */
    long long v;
    assert_int_equal(util_str_to_ll("123", 2, &v), 1);
    assert_int_equal(v, 12);
    assert_int_equal(util_str_to_ll("1\0"
                                    "2",
                                    3, &v),
                     0);
}

static void test_str_to_ull(void **state) {
    (void)state;
    unsigned long long v;
    assert_int_equal(util_str_to_ull("18446744073709551615", 20, &v), 1);
    assert_true(v == ULLONG_MAX);
    assert_int_equal(util_str_to_ull("18446744073709551616", 20, &v), 0);
    assert_int_equal(util_str_to_ull("0", 1, &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(util_str_to_ull("-1", 2, &v), 0);
    assert_int_equal(util_str_to_ull("+1", 2, &v), 0);
    assert_int_equal(util_str_to_ull("007", 3, &v), 0);
    assert_int_equal(util_str_to_ull("", 0, &v), 0);
}

static void test_str_to_ld(void **state) {
    (void)state;
    long double v;
    assert_int_equal(util_str_to_ld("10.5", 4, &v), 1);
    assert_true(v == 10.5L);
    assert_int_equal(util_str_to_ld("-3", 2, &v), 1);
    assert_true(v == -3.0L);
    assert_int_equal(util_str_to_ld("5.0e3", 5, &v), 1);
    assert_true(v == 5000.0L);
    assert_int_equal(util_str_to_ld("+1.5", 4, &v), 1); /* strtold takes a sign */
    assert_int_equal(util_str_to_ld("", 0, &v), 0);
    assert_int_equal(util_str_to_ld(" 1", 2, &v), 0);
    assert_int_equal(util_str_to_ld("1 ", 2, &v), 0);
    assert_int_equal(util_str_to_ld("nan", 3, &v), 0);
    assert_int_equal(util_str_to_ld("abc", 3, &v), 0);
    assert_int_equal(util_str_to_ld("1e999999", 8, &v), 0); /* overflow */
    assert_int_equal(util_str_to_ld("1.5", 2, &v), 1);      /* bounded: "1." */
    assert_true(v == 1.0L);
    double d;
    assert_int_equal(util_str_to_d("3.25", 4, &d), 1);
    assert_true(d == 3.25);
    assert_int_equal(util_str_to_d("inf", 3, &d), 1);
    assert_true(isinf(d) && d > 0);
    assert_int_equal(util_str_to_d("-inf", 4, &d), 1);
    assert_true(isinf(d) && d < 0);
    assert_int_equal(util_str_to_d("nan", 3, &d), 0);
    assert_int_equal(util_str_to_d("1e400", 5, &d), 0);
    assert_int_equal(util_str_to_d("\t1", 2, &d), 0);
    assert_int_equal(util_str_to_d("1x", 2, &d), 0);
}

static void test_ll_to_str(void **state) {
    (void)state;
    char buf[32];
    assert_int_equal(util_ll_to_str(buf, sizeof(buf), 0), 1);
    assert_string_equal(buf, "0");
    assert_int_equal(util_ll_to_str(buf, sizeof(buf), -42), 3);
    assert_string_equal(buf, "-42");
    assert_int_equal(util_ll_to_str(buf, sizeof(buf), LLONG_MIN), 20);
    assert_string_equal(buf, "-9223372036854775808");
    assert_int_equal(util_ll_to_str(buf, sizeof(buf), LLONG_MAX), 19);
    assert_string_equal(buf, "9223372036854775807");
    assert_int_equal(util_ull_to_str(buf, sizeof(buf), ULLONG_MAX), 20);
    assert_string_equal(buf, "18446744073709551615");
    /* Too short: 0, never a truncated number. */
    assert_int_equal(util_ll_to_str(buf, 3, 123), 0);
    assert_int_equal(util_ll_to_str(buf, 4, 123), 3);
    assert_int_equal(util_ll_to_str(buf, 4, -123), 0);
}

static void check_ld(long double v, const char *want) {
    char buf[5120];
    int n = util_ld_to_str(buf, sizeof(buf), v);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_ld_to_str(void **state) {
    (void)state;
    check_ld(3.0L, "3");
    check_ld(10.5L, "10.5");
    check_ld(5.0e3L, "5000");
    check_ld(-0.0L, "0");
    check_ld(0.0L, "0");
    check_ld(-2.25L, "-2.25");
    check_ld(0.1L, "0.1");
    check_ld(1.0L / 0.0L, "inf");
    check_ld(-1.0L / 0.0L, "-inf");
    check_ld(1e20L, "100000000000000000000");
    char small[4];
    assert_int_equal(util_ld_to_str(small, sizeof(small), 12345.0L), 0);
}

static void test_d_to_str(void **state) {
    (void)state;
    char buf[64];
    assert_true(util_d_to_str(buf, sizeof(buf), 1.5) > 0);
    assert_string_equal(buf, "1.5");
    util_d_to_str(buf, sizeof(buf), 0.1);
    assert_string_equal(buf, "0.10000000000000001");
    util_d_to_str(buf, sizeof(buf), 3.0);
    assert_string_equal(buf, "3");
    util_d_to_str(buf, sizeof(buf), 1e300);
    assert_string_equal(buf, "1.0000000000000001e+300");
    util_d_to_str(buf, sizeof(buf), -1.0 / 0.0);
    assert_string_equal(buf, "-inf");
}

typedef struct glob_case {
    const char *pat;
    const char *str;
    int nocase;
    int want;
} glob_case;

static void test_glob(void **state) {
    (void)state;
    static const glob_case cases[] = {
        {"*", "", 0, 1},
        {"*", "anything", 0, 1},
        {"", "", 0, 1},
        {"", "a", 0, 0},
        {"a", "", 0, 0},
        {"h?llo", "hello", 0, 1},
        {"h?llo", "hllo", 0, 0},
        {"h*llo", "hllo", 0, 1},
        {"h*llo", "heeeello", 0, 1},
        {"h[ae]llo", "hallo", 0, 1},
        {"h[ae]llo", "hillo", 0, 0},
        {"h[^e]llo", "hallo", 0, 1},
        {"h[^e]llo", "hello", 0, 0},
        {"h[a-b]llo", "hbllo", 0, 1},
        {"h[a-b]llo", "hcllo", 0, 0},
        {"h[b-a]llo", "hallo", 0, 1}, /* reversed range */
        {"h\\*llo", "h*llo", 0, 1},
        {"h\\*llo", "hello", 0, 0},
        {"h\\?llo", "h?llo", 0, 1},
        {"[\\]]", "]", 0, 1},
        {"[\\-]", "-", 0, 1},
        {"a\\", "a\\", 0, 1}, /* trailing backslash is literal */
        {"HELLO", "hello", 1, 1},
        {"HELLO", "hello", 0, 0},
        {"h[A-Z]llo", "hello", 1, 1},
        {"h[A-Z]llo", "hello", 0, 0},
        {"h[E]llo", "hello", 1, 1},
        {"user:*:name", "user:1000:name", 0, 1},
        {"user:*:name", "user:1000:email", 0, 0},
        {"*a*b*c*", "xxaxxbxxcxx", 0, 1},
        {"*a*b*c*", "xxaxxcxxbxx", 0, 0},
        {"a**b", "ab", 0, 1},
        {"a*", "a", 0, 1},
        {"[abc", "c", 0, 1}, /* unclosed class: the rest is the set */
        {"[abc", "d", 0, 0},
        {"[", "x", 0, 0},
        {"?", "", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const glob_case *c = &cases[i];
        int got = util_glob_match(c->pat, strlen(c->pat), c->str, strlen(c->str), c->nocase);
        if (got != c->want)
            fail_msg("glob '%s' vs '%s' nocase=%d: got %d want %d", c->pat, c->str, c->nocase, got,
                     c->want);
    }
}

static void test_glob_pathological(void **state) {
    (void)state;
    char s[4096];
    memset(s, 'a', sizeof(s));
    const char *pat = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
    int64_t t0 = ev_now_ms();
    assert_int_equal(util_glob_match(pat, strlen(pat), s, sizeof(s), 0), 0);
    /* A hang detector, not a timing claim: backtracking would take ages. */
    assert_true(ev_now_ms() - t0 < 10000);
    /* Nesting bound: thousands of stars are refused rather than recursed. */
    char stars[3000];
    for (size_t i = 0; i < sizeof(stars); i += 2) {
        stars[i] = '*';
        stars[i + 1] = 'a';
    }
    assert_int_equal(util_glob_match(stars, sizeof(stars), s, sizeof(s), 0), 0);
    /* Still matches when the pattern is reasonable. */
    assert_int_equal(util_glob_match("a*a*a*", 6, s, sizeof(s), 0), 1);
}

static void test_random(void **state) {
    (void)state;
    unsigned char a[32] = {0}, b[32] = {0};
    util_random_bytes(a, sizeof(a));
    util_random_bytes(b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
    uint64_t x = util_rand64(), y = util_rand64();
    assert_true(x != y);
    /* Rough uniformity on the low bit. */
    int ones = 0;
    for (int i = 0; i < 10000; i++)
        ones += (int)(util_rand64() & 1);
    assert_in_range(ones, 4500, 5500);
}

static void test_eq_nocase(void **state) {
    (void)state;
    assert_true(util_eq_nocase("GeT", 3, "get"));
    assert_false(util_eq_nocase("GeT", 2, "get"));
    assert_false(util_eq_nocase("gets", 4, "get"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_str_to_ll), cmocka_unit_test(test_str_to_ull),
        cmocka_unit_test(test_str_to_ld), cmocka_unit_test(test_ll_to_str),
        cmocka_unit_test(test_ld_to_str), cmocka_unit_test(test_d_to_str),
        cmocka_unit_test(test_glob),      cmocka_unit_test(test_glob_pathological),
        cmocka_unit_test(test_random),    cmocka_unit_test(test_eq_nocase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
