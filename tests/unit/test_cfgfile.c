/* test_cfgfile.c - redis.conf tokenizer: quotes, escapes, errors, comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/cfgfile.h"
#include "../../src/core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct split_case {
    const char *in;
    int argc; /* -1: error expected */
    const char *argv[4];
} split_case;

static void test_split_cases(void **state) {
    (void)state;
    static const split_case cases[] = {
        {"", 0, {NULL}},
        {"   \t ", 0, {NULL}},
        {"set foo bar", 3, {"set", "foo", "bar"}},
        {"  lead   trail  ", 2, {"lead", "trail"}},
        {"a \"b c\" d", 3, {"a", "b c", "d"}},
        {"\"\\x41\\x4a\" \"\\n\\t\\\\\\\"\"", 2, {"AJ", "\n\t\\\""}},
        {"\"\\xZZ\"", 1, {"xZZ"}}, /* bad hex: backslash dropped, like Redis */
        {"'it\\'s' 'a\\nb'", 2, {"it's", "a\\nb"}},
        {"x\"y z\"", 1, {"xy z"}}, /* a quote may open inside a token */
        {"\"\"", 1, {""}},
        {"''", 1, {""}},
        {"\"abc\"def", -1, {NULL}}, /* closing quote not followed by space */
        {"'abc'def", -1, {NULL}},
        {"\"unterminated", -1, {NULL}},
        {"'unterminated", -1, {NULL}},
        {"\"abc\"\t x", 2, {"abc", "x"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int argc = -2;
        sstr *argv = cfgfile_split_args(cases[i].in, strlen(cases[i].in), &argc);
        if (cases[i].argc < 0) {
            if (argv) fail_msg("case %zu (%s): expected error, got %d args", i, cases[i].in, argc);
            continue;
        }
        if (!argv) fail_msg("case %zu (%s): unexpected error", i, cases[i].in);
        assert_int_equal(argc, cases[i].argc);
        for (int j = 0; j < argc; j++) {
            assert_int_equal(sstr_len(argv[j]), strlen(cases[i].argv[j]));
            assert_string_equal(argv[j], cases[i].argv[j]);
        }
        cfgfile_free_args(argv, argc);
    }
}

static void test_split_binary(void **state) {
    (void)state;
    int argc;
    sstr *argv = cfgfile_split_args("\"a\\x00b\"", 8, &argc);
    assert_non_null(argv);
    assert_int_equal(argc, 1);
    assert_int_equal(sstr_len(argv[0]), 3);
    assert_memory_equal(argv[0], "a\0b", 3);
    cfgfile_free_args(argv, argc);
    /* Length-bounded input: bytes after len are not read. */
    argv = cfgfile_split_args("abc def", 3, &argc);
    assert_int_equal(argc, 1);
    assert_string_equal(argv[0], "abc");
    cfgfile_free_args(argv, argc);
}

static void test_parse_doc(void **state) {
    (void)state;
    const char *text = "# a comment\n"
                       "\n"
                       "PORT 6380\r\n"
                       "   # indented comment\n"
                       "  tls-cert-file \"/tmp/my cert.pem\"  \n"
                       "\t\n"
                       "save 900 1\n"
                       "requirepass 'p#ss'";
    cfg_doc doc;
    char err[128] = "";
    assert_int_equal(cfgfile_parse(text, strlen(text), &doc, err, sizeof(err)), 0);
    assert_int_equal(doc.count, 4);
    assert_int_equal(doc.lines[0].lineno, 3);
    assert_string_equal(doc.lines[0].argv[0], "port"); /* lowercased */
    assert_string_equal(doc.lines[0].argv[1], "6380");
    assert_int_equal(doc.lines[1].lineno, 5);
    assert_int_equal(doc.lines[1].argc, 2);
    assert_string_equal(doc.lines[1].argv[1], "/tmp/my cert.pem");
    assert_int_equal(doc.lines[2].lineno, 7);
    assert_int_equal(doc.lines[2].argc, 3);
    assert_int_equal(doc.lines[3].lineno, 8);
    assert_string_equal(doc.lines[3].argv[1], "p#ss");
    cfgfile_doc_free(&doc);
    assert_int_equal(doc.count, 0);
}

static void test_parse_error_line(void **state) {
    (void)state;
    const char *text = "port 6379\n# ok\nbind \"127.0.0.1\n";
    cfg_doc doc = {NULL, 0};
    char err[128] = "";
    assert_int_equal(cfgfile_parse(text, strlen(text), &doc, err, sizeof(err)), SK_EPROTO);
    assert_string_equal(err, "line 3: Unbalanced quotes in configuration line");
    assert_null(doc.lines);
    const char *empty = "";
    assert_int_equal(cfgfile_parse(empty, 0, &doc, err, sizeof(err)), 0);
    assert_int_equal(doc.count, 0);
    cfgfile_doc_free(&doc);
}

static void test_read_file(void **state) {
    (void)state;
    char path[] = "/tmp/sealkv_cfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "maxmemory 100mb\nloglevel notice\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cfg_doc doc;
    char err[256];
    assert_int_equal(cfgfile_read_file(path, &doc, err, sizeof(err)), 0);
    assert_int_equal(doc.count, 2);
    assert_string_equal(doc.lines[1].argv[1], "notice");
    assert_int_equal(doc.lines[1].lineno, 2);
    cfgfile_doc_free(&doc);
    unlink(path);
    assert_true(cfgfile_read_file(path, &doc, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "can't open config file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_cases), cmocka_unit_test(test_split_binary),
        cmocka_unit_test(test_parse_doc),   cmocka_unit_test(test_parse_error_line),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
