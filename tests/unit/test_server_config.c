/* Unit tests for the server's directive table (src/server/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/server/config.h"

static server_config *load(const char *text, int expect_rc, char *err, size_t errlen) {
    server_config *cfg = config_create_defaults();
    int rc = config_load_string(cfg, text, strlen(text), "test.conf", err, errlen);
    assert_int_equal(rc < 0, expect_rc < 0);
    return cfg;
}

static void test_defaults(void **state) {
    (void)state;
    server_config *cfg = config_create_defaults();
    assert_int_equal(cfg->port, 6379);
    assert_int_equal(cfg->tls_port, 0);
    assert_int_equal(cfg->databases, 16);
    assert_int_equal(cfg->maxclients, 10000);
    assert_int_equal(cfg->tls_auth_clients, TLS_AUTH_YES);
    assert_int_equal(cfg->bind_count, 2);
    assert_string_equal(cfg->bind[0], "*");
    assert_string_equal(cfg->bind[1], "-::*");
    assert_true(cfg->proto_max_bulk_len == 512LL * 1024 * 1024);
    assert_true(cfg->obuf_hard[1] == 256LL * 1024 * 1024);
    assert_true(cfg->obuf_soft_seconds[2] == 60);
    assert_null(cfg->requirepass);
    config_free(cfg);
}

static void test_values_and_units(void **state) {
    (void)state;
    char err[256];
    server_config *cfg = load("port 7000\nmaxmemory 100mb\nproto-max-bulk-len 2gb\n"
                              "tls-auth-clients optional\nrequirepass \"a b\\\"c\"\n"
                              "bind 127.0.0.1 -::1\nunixsocketperm 700\n"
                              "client-output-buffer-limit normal 1mb 512kb 10\n"
                              "tls-allowed-names client*.example \"URI:spiffe://x/*\"\n",
                              0, err, sizeof(err));
    assert_int_equal(cfg->port, 7000);
    assert_true(cfg->maxmemory == 100LL * 1024 * 1024);
    assert_true(cfg->proto_max_bulk_len == 2LL * 1024 * 1024 * 1024);
    assert_int_equal(cfg->tls_auth_clients, TLS_AUTH_OPTIONAL);
    assert_string_equal(cfg->requirepass, "a b\"c");
    assert_int_equal(cfg->bind_count, 2);
    assert_string_equal(cfg->bind[1], "-::1");
    assert_int_equal(cfg->unixsocketperm, 0700);
    assert_true(cfg->obuf_hard[0] == 1024 * 1024);
    assert_true(cfg->obuf_soft[0] == 512 * 1024);
    assert_true(cfg->obuf_soft_seconds[0] == 10);
    assert_true(cfg->obuf_hard[2] == 32LL * 1024 * 1024); /* pubsub untouched */
    assert_int_equal(cfg->tls_allowed_names_count, 2);
    assert_string_equal(cfg->tls_allowed_names[1], "URI:spiffe://x/*");
    config_free(cfg);
}

static void test_errors_name_the_line(void **state) {
    (void)state;
    struct {
        const char *text, *expect;
    } cases[] = {
        {"port 1\nnosuchdirective yes\n", "test.conf:2:"},
        {"\n\nport 70000\n", "test.conf:3:"},
        {"port abc\n", "couldn't be parsed into an integer"},
        {"protected-mode maybe\n", "'yes' or 'no'"},
        {"tls-auth-clients sometimes\n", "test.conf:1:"},
        {"maxmemory 12xb\n", "memory value"},
        {"client-output-buffer-limit bogus 1 1 1\n", "Invalid client class"},
        {"client-output-buffer-limit normal 1 1\n", "Wrong number of arguments"},
        {"port \"unterminated\n", "test.conf"},
        {"save 900\n", "Invalid save parameters"},
        {"save 0 1\n", "Invalid save parameters"},
        {"dbfilename ../x.rdb\n", "can't be a path"},
        {"tls-protocols TLSv9\n", "tls-protocols"},
        {"hz 0\n", "between 1 and 500"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        server_config *cfg = load(cases[i].text, -1, err, sizeof(err));
        if (!strstr(err, cases[i].expect))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].expect);
        config_free(cfg);
    }
}

static void test_failed_load_keeps_earlier_lines(void **state) {
    (void)state;
    char err[256];
    server_config *cfg = load("port 7001\nport nope\n", -1, err, sizeof(err));
    assert_int_equal(cfg->port, 7001);
    config_free(cfg);
}

static void test_include_errors_name_both_files(void **state) {
    (void)state;
    char inner[] = "/tmp/sealkv-test-include-XXXXXX";
    int fd = mkstemp(inner);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "port 7002\nbogus 1\n", 19), 19);
    close(fd);
    char text[256], err[512] = "";
    snprintf(text, sizeof(text), "port 7001\ninclude %s\n", inner);
    server_config *cfg = load(text, -1, err, sizeof(err));
    unlink(inner);
    char want[128];
    snprintf(want, sizeof(want), "test.conf:2: include: %s:2:", inner);
    if (!strstr(err, want)) fail_msg("'%s' lacks '%s'", err, want);
    assert_int_equal(cfg->port, 7002); /* lines before the error applied */
    config_free(cfg);
    err[0] = '\0';
    cfg = load("include /nonexistent/sealkv.conf\n", -1, err, sizeof(err));
    if (strncmp(err, "test.conf:1: include:", 21)) fail_msg("unexpected: '%s'", err);
    config_free(cfg);
}

static void test_aliases(void **state) {
    (void)state;
    char err[256];
    server_config *cfg = load("hash-max-ziplist-entries 77\n", 0, err, sizeof(err));
    assert_true(cfg->hash_max_listpack_entries == 77);
    config_free(cfg);
}

static void test_command_line_arguments(void **state) {
    (void)state;
    server_config *cfg = config_create_defaults();
    char *argv[] = {"--port", "7777", "--bind", "127.0.0.1", "::1", "--requirepass", "p w\"x"};
    char err[256];
    assert_int_equal(config_load(cfg, NULL, 7, argv, err, sizeof(err)), 0);
    assert_int_equal(cfg->port, 7777);
    assert_int_equal(cfg->bind_count, 2);
    assert_string_equal(cfg->requirepass, "p w\"x");
    char *bad[] = {"port", "1"};
    assert_true(config_load(cfg, NULL, 2, bad, err, sizeof(err)) < 0);
    config_free(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values_and_units),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_failed_load_keeps_earlier_lines),
        cmocka_unit_test(test_include_errors_name_both_files),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_command_line_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
