/* test_pki_secret.c - password hashes, random tokens, SHA-256 pins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/pki/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_hash_verify(void **state) {
    (void)state;
    char h1[PKI_PASSWORD_HASH_MAX], h2[PKI_PASSWORD_HASH_MAX];
    assert_int_equal(pki_password_hash("correct horse", h1, sizeof(h1)), 0);
    assert_int_equal(strncmp(h1, "pbkdf2-sha256$", 14), 0);
    assert_null(strstr(h1, "correct"));
    assert_int_equal(pki_password_verify("correct horse", h1), 0);
    assert_int_equal(pki_password_verify("correct horsE", h1), SK_ECERT);
    assert_int_equal(pki_password_verify("", h1), SK_ECERT);
    /* A fresh salt each time: same password, different strings, both verify. */
    assert_int_equal(pki_password_hash("correct horse", h2, sizeof(h2)), 0);
    assert_string_not_equal(h1, h2);
    assert_int_equal(pki_password_verify("correct horse", h2), 0);
    /* The empty password is a password like another. */
    assert_int_equal(pki_password_hash("", h2, sizeof(h2)), 0);
    assert_int_equal(pki_password_verify("", h2), 0);
    assert_int_equal(pki_password_verify("x", h2), SK_ECERT);
    /* Too small an output buffer. */
    char small[20];
    assert_int_equal(pki_password_hash("pw", small, sizeof(small)), SK_ETOOBIG);
}

static void test_verify_malformed(void **state) {
    (void)state;
    char h[PKI_PASSWORD_HASH_MAX];
    assert_int_equal(pki_password_hash("pw", h, sizeof(h)), 0);
    const char *salt = strchr(strchr(h, '$') + 1, '$') + 1;
    const char *hash = strchr(salt, '$') + 1;
    char buf[256];
    const char *bad[] = {
        "",
        "pw",
        "md5$1000$AAAA$AAAA",
        "pbkdf2-sha256$",
        "pbkdf2-sha256$100$",
        "pbkdf2-sha256$999999999999$x$y",
        "pbkdf2-sha256$0100000$x$y",
        "pbkdf2-sha256$-5$x$y",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(pki_password_verify("pw", bad[i]), SK_EINVAL);
    /* Truncated hash, wrong salt length, extra field, bad base64. */
    snprintf(buf, sizeof(buf), "%.*s", (int)(strlen(h) - 4), h);
    assert_int_equal(pki_password_verify("pw", buf), SK_EINVAL);
    snprintf(buf, sizeof(buf), "pbkdf2-sha256$100000$QUJD$%s", hash);
    assert_int_equal(pki_password_verify("pw", buf), SK_EINVAL);
    snprintf(buf, sizeof(buf), "%s$extra", h);
    assert_int_equal(pki_password_verify("pw", buf), SK_EINVAL);
    snprintf(buf, sizeof(buf), "%s", h);
    buf[strlen(buf) - 3] = '*';
    assert_int_equal(pki_password_verify("pw", buf), SK_EINVAL);
    /* A lower iteration count in the string is honoured (within bounds). */
    snprintf(buf, sizeof(buf), "pbkdf2-sha256$2000$%s", salt);
    assert_int_equal(pki_password_verify("pw", buf), SK_ECERT);
    assert_int_equal(pki_password_verify(NULL, h), SK_EINVAL);
}

static void test_tokens(void **state) {
    (void)state;
    char a[65], b[65], big[2 * 100 + 1];
    assert_int_equal(pki_random_token(a, 32), 0);
    assert_int_equal(pki_random_token(b, 32), 0);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    assert_int_equal(pki_random_token(big, 100), 0);
    assert_int_equal(strlen(big), 200);
    char none[1];
    assert_int_equal(pki_random_token(none, 0), 0);
    assert_string_equal(none, "");
    assert_true(pki_secret_equal("abc", "abc"));
    assert_false(pki_secret_equal("abc", "abd"));
    assert_false(pki_secret_equal("abc", "abcd"));
}

static void test_sha256(void **state) {
    (void)state;
    char hex[65];
    assert_int_equal(pki_sha256_hex("abc", 3, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(pki_sha256_hex("", 0, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_cert_pin(void **state) {
    (void)state;
    char dir[] = "/tmp/sealkv-pin-XXXXXX", cmd[512], path[128], want[128], hex[65];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout ca.key -out ca.crt -days 2 -subj /CN=pin 2>/dev/null >/dev/null && "
             "openssl x509 -in ca.crt -outform DER | sha256sum | cut -c1-64 > want && "
             "echo garbage > bad.crt",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/want", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(want, sizeof(want), f));
    fclose(f);
    want[strcspn(want, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    assert_int_equal(pki_cert_der_sha256_file(path, hex), 0);
    assert_string_equal(hex, want);
    pki_cert *c = NULL;
    char err[256];
    assert_int_equal(pki_cert_load(path, &c, err, sizeof(err)), 0);
    assert_int_equal(pki_cert_der_sha256(c, hex), 0);
    assert_string_equal(hex, want);
    pki_cert_free(c);
    snprintf(path, sizeof(path), "%s/bad.crt", dir);
    assert_int_equal(pki_cert_der_sha256_file(path, hex), SK_ECERT);
    snprintf(path, sizeof(path), "%s/missing.crt", dir);
    assert_true(pki_cert_der_sha256_file(path, hex) < 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify), cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_tokens),      cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_cert_pin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
