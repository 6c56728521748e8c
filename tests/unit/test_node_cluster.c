/* test_node_cluster.c - unit tests of sealkv-node's life-cycle helpers: join
 * token text (jtoken), addresses and staging directories (nodedir), node
 * certificates per plane (nodepki), the state schema's settings checks and
 * views (cstate), and the in-memory key PEM of pki. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "../../src/node/cstate.h"
#include "../../src/node/jtoken.h"
#include "../../src/node/nodedir.h"
#include "../../src/node/nodepki.h"
#include "../../src/pki/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char CA_HEX[] = "a5bd18761f925ce7aa1a10201383df89baa89fbe230a6f990789b364c41e2e61";

/* ------------------------------------------------------------ jtoken */

static void test_jtoken_round_trip(void **state) {
    (void)state;
    jtoken t, back;
    char text[JTOKEN_TEXT_LEN + 1];
    assert_int_equal(jtoken_new(CA_HEX, &t), 0);
    assert_int_equal(strlen(t.id), JTOKEN_ID_HEX);
    assert_int_equal(strlen(t.secret), JTOKEN_SECRET_HEX);
    assert_int_equal(jtoken_format(&t, text, sizeof(text)), 0);
    assert_int_equal(strlen(text), JTOKEN_TEXT_LEN);
    assert_memory_equal(text, "SKJ1-", 5);
    assert_int_equal(jtoken_parse(text, strlen(text), &back), 0);
    assert_string_equal(back.ca_sha256, CA_HEX);
    assert_string_equal(back.id, t.id);
    assert_string_equal(back.secret, t.secret);
    /* Pasted from a file: surrounding blanks are fine; upper case is folded. */
    char padded[JTOKEN_TEXT_LEN + 8];
    snprintf(padded, sizeof(padded), "  %s\r\n", text);
    for (char *c = padded; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
    memcpy(padded + 2, "SKJ1-", 5);
    assert_int_equal(jtoken_parse(padded, strlen(padded), &back), 0);
    assert_string_equal(back.secret, t.secret);
    /* Two tokens never share an id or a secret. */
    jtoken u;
    assert_int_equal(jtoken_new(CA_HEX, &u), 0);
    assert_string_not_equal(u.id, t.id);
    assert_string_not_equal(u.secret, t.secret);
    assert_int_equal(jtoken_format(&t, text, JTOKEN_TEXT_LEN), SK_EINVAL); /* no room */
}

static void test_jtoken_refuses_malformed(void **state) {
    (void)state;
    jtoken t, out;
    char text[JTOKEN_TEXT_LEN + 1];
    assert_int_equal(jtoken_new("abc", &t), SK_EINVAL);
    assert_int_equal(jtoken_new(NULL, &t), SK_EINVAL);
    assert_int_equal(jtoken_new(CA_HEX, &t), 0);
    assert_int_equal(jtoken_format(&t, text, sizeof(text)), 0);
    memset(&out, 0x55, sizeof(out));
    const jtoken before = out;
    char bad[JTOKEN_TEXT_LEN + 2];
    const size_t n = strlen(text);
    /* Each position replaced by a character the format never has there. */
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, text, n + 1);
        bad[i] = (i < 4 || text[i] == '-') ? 'x' : 'g';
        assert_int_equal(jtoken_parse(bad, n, &out), SK_EINVAL);
    }
    assert_int_equal(jtoken_parse(text, n - 1, &out), SK_EINVAL); /* short */
    memcpy(bad, text, n);
    bad[n] = '0';
    assert_int_equal(jtoken_parse(bad, n + 1, &out), SK_EINVAL); /* long */
    assert_int_equal(jtoken_parse("", 0, &out), SK_EINVAL);
    assert_memory_equal(&out, &before, sizeof(out)); /* nothing written on failure */
}

/* ------------------------------------------------------------ nodedir */

static void test_parse_addr(void **state) {
    (void)state;
    char host[NODEDIR_HOST_MAX], err[300];
    int port = 0;
    assert_int_equal(nodedir_parse_addr("127.0.0.1:3342", 1, host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 3342);
    assert_int_equal(nodedir_parse_addr("node-a.example", 9443, host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "node-a.example");
    assert_int_equal(port, 9443);
    assert_int_equal(nodedir_parse_addr("[::1]:10", 1, host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 10);
    assert_int_equal(nodedir_parse_addr("::1", 7, host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7);
    const char *bad[] = {"",     ":1",     "h:",    "h:0",  "h:65536", "h:12x",
                         "[::1", "[::1]x", "a b:1", "h:-1", "h: 12",   "h:+12"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(nodedir_parse_addr(bad[i], 1, host, &port, err, sizeof(err)), SK_EINVAL);
        assert_true(err[0] != '\0');
    }
}

static void test_staging_directory(void **state) {
    (void)state;
    char root[] = "/tmp/sealkv-test-nodedir-XXXXXX", dir[256], stage[NODEDIR_PATH_MAX], err[300];
    char path[NODEDIR_PATH_MAX];
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof(dir), "%s/node", root);
    assert_int_equal(nodedir_check_new(dir, err, sizeof(err)), 0); /* missing is fine */
    /* Abort: nothing left. */
    assert_int_equal(nodedir_stage_begin(dir, stage, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(stage, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(nodedir_path(stage, "secret", path), 0);
    assert_int_equal(nodedir_write_file(path, "abc", 3, 0600, err, sizeof(err)), 0);
    nodedir_stage_abort(stage);
    assert_int_not_equal(stat(stage, &st), 0);
    assert_int_not_equal(stat(dir, &st), 0);
    /* Commit over an empty directory. */
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(nodedir_check_new(dir, err, sizeof(err)), 0);
    assert_int_equal(nodedir_stage_begin(dir, stage, err, sizeof(err)), 0);
    assert_int_equal(nodedir_path(stage, "f", path), 0);
    assert_int_equal(nodedir_write_file(path, "hello", 5, 0600, err, sizeof(err)), 0);
    assert_int_equal(nodedir_stage_commit(stage, dir, err, sizeof(err)), 0);
    assert_int_equal(nodedir_path(dir, "f", path), 0);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(nodedir_read_file(path, 100, &text, &len, err, sizeof(err)), 0);
    assert_string_equal(text, "hello");
    sk_free(text);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(nodedir_read_file(path, 4, &text, &len, err, sizeof(err)), SK_ETOOBIG);
    /* A directory with something in it is never taken. */
    assert_int_equal(nodedir_check_new(dir, err, sizeof(err)), SK_EINVAL);
    assert_non_null(strstr(err, "not empty"));
    unlink(path);
    rmdir(dir);
    rmdir(root);
}

/* ------------------------------------------------------------ nodepki */

typedef struct ca_fixture {
    pki_key *ca_key;
    pki_cert *ca;
} ca_fixture;

static int ca_setup(void **state) {
    ca_fixture *f = sk_calloc(1, sizeof(*f));
    char err[256];
    if (nodepki_ca_create("0f0e0d0c-1111-4222-8333-444455556666",
                          "a name that is long enough to "
                          "overflow a common name of sixty-four bytes",
                          &f->ca_key, &f->ca, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int ca_teardown(void **state) {
    ca_fixture *f = *state;
    pki_key_free(f->ca_key);
    pki_cert_free(f->ca);
    sk_free(f);
    return 0;
}

static int has_san(const pki_cert_info *info, const char *want) {
    for (size_t i = 0; i < info->nsans; i++)
        if (strcmp(info->sans[i], want) == 0) return 1;
    return 0;
}

static void test_nodepki_sign_csr_sets_the_names(void **state) {
    ca_fixture *f = *state;
    char err[256] = "";
    pki_key *key = NULL;
    char *csr = NULL;
    pki_cert *cert = NULL;
    pki_cert_info info;
    assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &key, err, sizeof(err)), 0);
    assert_int_equal(nodepki_csr(key, NODE_PLANE_DATA, &csr, err, sizeof(err)), 0);
    assert_int_equal(nodepki_sign_csr(f->ca, f->ca_key, "uid-1", 7, NODE_PLANE_DATA, "10.1.2.3",
                                      csr, &cert, err, sizeof(err)),
                     0);
    assert_int_equal(pki_cert_verify(cert, f->ca, err, sizeof(err)), 0);
    assert_true(pki_cert_key_matches(cert, key));
    assert_int_equal(pki_cert_get_info(cert, &info), 0);
    assert_true(has_san(&info, "URI:sealkv://uid-1/node/7/data"));
    assert_true(has_san(&info, "IP Address:10.1.2.3"));
    assert_int_equal(info.nsans, 2);
    assert_false(info.is_ca);
    long long days = (info.not_after - info.not_before) / 86400;
    assert_true(days >= NODEPKI_NODE_DAYS - 1 && days <= NODEPKI_NODE_DAYS + 1);
    pki_cert_info_free(&info);
    pki_cert_free(cert);
    /* A DNS host is a DNS SAN. */
    assert_int_equal(nodepki_sign_csr(f->ca, f->ca_key, "uid-1", 7, NODE_PLANE_CONTROL,
                                      "node7.example", csr, &cert, err, sizeof(err)),
                     0);
    assert_int_equal(pki_cert_get_info(cert, &info), 0);
    assert_true(has_san(&info, "DNS:node7.example"));
    assert_true(has_san(&info, "URI:sealkv://uid-1/node/7/control"));
    pki_cert_info_free(&info);
    pki_cert_free(cert);
    /* Garbage instead of a CSR. */
    assert_int_not_equal(nodepki_sign_csr(f->ca, f->ca_key, "uid-1", 7, NODE_PLANE_CONTROL, "h",
                                          "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n", &cert, err,
                                          sizeof(err)),
                         0);
    assert_null(cert);
    sk_free(csr);
    pki_key_free(key);
}

static void test_ca_key_pem_round_trip(void **state) {
    ca_fixture *f = *state;
    char err[256], *pem = NULL, sha[65];
    size_t len = 0;
    pki_key *back = NULL;
    assert_int_equal(pki_key_to_pem(f->ca_key, &pem, &len), 0);
    assert_int_equal(strlen(pem), len);
    assert_non_null(strstr(pem, "BEGIN PRIVATE KEY"));
    assert_int_equal(pki_key_from_pem(pem, len, &back, err, sizeof(err)), 0);
    assert_true(pki_cert_key_matches(f->ca, back));
    pki_pem_wipe_free(pem);
    pki_key_free(back);
    assert_int_not_equal(pki_key_from_pem("nope", 4, &back, err, sizeof(err)), 0);
    assert_null(back);
    assert_int_equal(pki_cert_der_sha256(f->ca, sha), 0);
    assert_int_equal(strlen(sha), 64);
    /* The CA names the cluster by uid (the name would not fit a CN). */
    pki_cert_info info;
    assert_int_equal(pki_cert_get_info(f->ca, &info), 0);
    assert_true(info.is_ca);
    assert_non_null(strstr(info.subject, "0f0e0d0c-1111-4222-8333-444455556666"));
    pki_cert_info_free(&info);
}

/* ------------------------------------------------------------ cstate */

static void test_settings_check(void **state) {
    (void)state;
    char err[256];
    const char *good[] = {"{}", "{\"min_data_TLS_version\": \"1.3\"}",
                          "{\"data_internode_encryption\": true, \"join_token_ttl\": 60}"};
    const char *bad[] = {"[]",
                         "{\"min_data_TLS_version\": \"1.4\"}",
                         "{\"min_data_TLS_version\": 1.2}",
                         "{\"data_internode_encryption\": 1}",
                         "{\"join_token_ttl\": 0}",
                         "{\"join_token_ttl\": 604801}",
                         "{\"something\": 1}"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *j = json_loads(good[i], 0, NULL);
        assert_int_equal(cstate_settings_check(j, err, sizeof(err)), 0);
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        err[0] = '\0';
        assert_int_equal(cstate_settings_check(j, err, sizeof(err)), SK_EINVAL);
        assert_true(err[0] != '\0');
        json_decref(j);
    }
}

static void test_views_never_hold_secrets(void **state) {
    (void)state;
    cstate_node_spec n1 = {.id = 1,
                           .addr = "127.0.0.1:3342",
                           .api_addr = "127.0.0.1:9443",
                           .cert_pem = {"CERT-C", "CERT-D", "CERT-A"},
                           .not_after = {1, 2, 3},
                           .voter = 1};
    json_t *st = cstate_initial("demo", "uid-1", "CA-CERT-PEM", "CA-KEY-SECRET", CA_HEX, "admin",
                                "HASH-SECRET", &n1);
    assert_non_null(st);
    assert_string_equal(cstate_ca_key_pem(st), "CA-KEY-SECRET");
    assert_int_equal(cstate_int(st, "next_node_id", 0), 2);
    json_t *views[] = {cstate_view_cluster(st, 1), cstate_view_node(st, 1, 1),
                       cstate_view_certificates(st)};
    for (size_t i = 0; i < 3; i++) {
        char *text = json_dumps(views[i], 0);
        assert_null(strstr(text, "CA-KEY-SECRET"));
        assert_null(strstr(text, "HASH-SECRET"));
        free(text);
        json_decref(views[i]);
    }
    json_t *node = cstate_view_node(st, 1, 1);
    assert_string_equal(json_string_value(json_object_get(node, "role")), "leader");
    assert_string_equal(json_string_value(json_object_get(node, "status")), "active");
    json_decref(node);
    assert_null(cstate_view_node(st, 2, 1));
    json_decref(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jtoken_round_trip),
        cmocka_unit_test(test_jtoken_refuses_malformed),
        cmocka_unit_test(test_parse_addr),
        cmocka_unit_test(test_staging_directory),
        cmocka_unit_test_setup_teardown(test_nodepki_sign_csr_sets_the_names, ca_setup,
                                        ca_teardown),
        cmocka_unit_test_setup_teardown(test_ca_key_pem_round_trip, ca_setup, ca_teardown),
        cmocka_unit_test(test_settings_check),
        cmocka_unit_test(test_views_never_hold_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
