/* test_sbuf.c - sbuf: append, printf, consume, trim, NUL termination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/sbuf.h"

#include <string.h>

static void test_append(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    assert_null(b.data);
    sbuf_append(&b, "abc", 3);
    sbuf_append_str(&b, "def");
    sbuf_append_char(&b, 'g');
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "abcdefg");
    assert_true(b.cap >= b.len);
    sbuf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    sbuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    /* Reusable after free. */
    sbuf_append_str(&b, "again");
    assert_string_equal(b.data, "again");
    sbuf_free(&b);
}

static void test_appendf(void **state) {
    (void)state;
    sbuf b;
    sbuf_init(&b);
    sbuf_appendf(&b, "%s=%d;", "k", 12);
    assert_string_equal(b.data, "k=12;");
    char big[5000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sbuf_appendf(&b, "[%s]", big); /* needs the second vsnprintf pass */
    assert_int_equal(b.len, 5 + 4999 + 2);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[5], '[');
    sbuf_free(&b);
}

static void test_consume_and_set_len(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    sbuf_append_str(&b, "hello world");
    sbuf_consume(&b, 6);
    assert_string_equal(b.data, "world");
    assert_int_equal(b.len, 5);
    sbuf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    sbuf_reserve(&b, 10);
    assert_true(b.cap - b.len >= 10);
    memcpy(b.data + b.len, "0123456789", 10);
    sbuf_set_len(&b, b.len + 10);
    assert_string_equal(b.data, "0123456789");
    sbuf_free(&b);
}

static void test_large_and_trim(void **state) {
    (void)state;
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 100000; i++)
        sbuf_append_char(&b, (char)('0' + i % 10));
    assert_int_equal(b.len, 100000);
    for (int i = 0; i < 100000; i += 997)
        assert_int_equal(b.data[i], '0' + i % 10);
    sbuf_consume(&b, 99990);
    assert_string_equal(b.data, "0123456789");
    sbuf_trim(&b);
    assert_int_equal(b.cap, 10);
    assert_string_equal(b.data, "0123456789");
    sbuf_trim(&b); /* no slack: no-op */
    assert_int_equal(b.cap, 10);
    sbuf_clear(&b);
    sbuf_reserve(&b, 64 * 1024);
    sbuf_trim(&b); /* empty with big slack: releases */
    assert_null(b.data);
    sbuf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_appendf),
        cmocka_unit_test(test_consume_and_set_len),
        cmocka_unit_test(test_large_and_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
