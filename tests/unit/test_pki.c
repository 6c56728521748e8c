/* test_pki.c - unit tests of src/pki: issue, verify, info, identity matching,
 * CSRs and key files. Hostile certificates (NUL bytes in names, CSRs asking
 * for CA:TRUE) are built directly with OpenSSL here. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/mem.h"
#include "../../src/pki/pki.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
    pki_key *ca_key, *srv_key, *cli_key;
    pki_cert *ca, *srv, *cli;
} fixture;

static const char *srv_dns[] = {"localhost", "db.example.com", "*.svc.example"};
static const char *srv_ips[] = {"127.0.0.1", "::1"};
static const char *srv_uris[] = {"sealkv://c1/node/7/control"};
static const char *srv_emails[] = {"ops@example.com"};

static pki_key *gen(pki_key_type t) {
    char err[256] = "";
    pki_key *k = NULL;
    int rc = pki_key_generate(t, &k, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "keygen: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(k);
    return k;
}

static pki_cert *issue(const pki_key *key, const pki_names *names, pki_usage usage,
                       const pki_cert *ca, const pki_key *ca_key) {
    char err[256] = "";
    pki_issue_req req = {.subject_key = key,
                         .names = names,
                         .usage = usage,
                         .days = 30,
                         .issuer = ca,
                         .issuer_key = ca_key};
    pki_cert *c = NULL;
    int rc = pki_cert_issue(&req, &c, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "issue: %s\n", err);
    assert_int_equal(rc, 0);
    return c;
}

static int setup(void **state) {
    fixture *f = sk_calloc(1, sizeof(*f));
    f->ca_key = gen(PKI_KEY_EC_P256);
    f->srv_key = gen(PKI_KEY_RSA2048);
    f->cli_key = gen(PKI_KEY_EC_P256);
    pki_names ca_names = {.cn = "Test CA"};
    f->ca = issue(f->ca_key, &ca_names, PKI_USE_CA, NULL, NULL);
    pki_names srv = {.cn = "server",
                     .dns = srv_dns,
                     .ndns = 3,
                     .ips = srv_ips,
                     .nips = 2,
                     .uris = srv_uris,
                     .nuris = 1,
                     .emails = srv_emails,
                     .nemails = 1};
    f->srv = issue(f->srv_key, &srv, PKI_USE_SERVER, f->ca, f->ca_key);
    pki_names cli = {.cn = "alice"};
    f->cli = issue(f->cli_key, &cli, PKI_USE_CLIENT, f->ca, f->ca_key);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    pki_cert_free(f->ca);
    pki_cert_free(f->srv);
    pki_cert_free(f->cli);
    pki_key_free(f->ca_key);
    pki_key_free(f->srv_key);
    pki_key_free(f->cli_key);
    sk_free(f);
    return 0;
}

/* ---- issue and verify --------------------------------------------------- */

static void test_chain_verifies(void **state) {
    fixture *f = *state;
    char err[256] = "";
    assert_int_equal(pki_cert_verify(f->srv, f->ca, err, sizeof(err)), 0);
    assert_int_equal(pki_cert_verify(f->cli, f->ca, err, sizeof(err)), 0);
    assert_int_equal(pki_cert_verify(f->ca, f->ca, err, sizeof(err)), 0);
}

static void test_foreign_ca_rejected(void **state) {
    fixture *f = *state;
    pki_key *k = gen(PKI_KEY_EC_P256);
    pki_names n = {.cn = "Test CA"}; /* same name, different key */
    pki_cert *other = issue(k, &n, PKI_USE_CA, NULL, NULL);
    char err[256] = "";
    assert_int_equal(pki_cert_verify(f->srv, other, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "verify failed"));
    pki_cert_free(other);
    pki_key_free(k);
}

static void test_expired_rejected(void **state) {
    fixture *f = *state;
    pki_names n = {.cn = "old", .dns = srv_dns, .ndns = 1};
    pki_issue_req req = {.subject_key = f->cli_key,
                         .names = &n,
                         .usage = PKI_USE_CLIENT,
                         .valid_from = 1000000000,
                         .valid_to = 1000086400,
                         .issuer = f->ca,
                         .issuer_key = f->ca_key};
    pki_cert *c = NULL;
    char err[256] = "";
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), 0);
    assert_int_equal(pki_cert_verify(c, f->ca, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "expired"));
    pki_cert_free(c);
}

static void test_extensions(void **state) {
    fixture *f = *state;
    X509 *ca = pki_cert_x509(f->ca), *srv = pki_cert_x509(f->srv), *cli = pki_cert_x509(f->cli);
    assert_int_equal(X509_get_version(srv), X509_VERSION_3);
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(X509_check_ca(srv), 0);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(ca) & KU_CRL_SIGN);
    /* RSA leaf: digitalSignature + keyEncipherment; EC leaf: digitalSignature only. */
    assert_int_equal(X509_get_key_usage(srv), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    assert_int_equal(X509_get_key_usage(cli), KU_DIGITAL_SIGNATURE);
    assert_int_equal(X509_get_extended_key_usage(srv), XKU_SSL_SERVER);
    assert_int_equal(X509_get_extended_key_usage(cli), XKU_SSL_CLIENT);
    assert_non_null(X509_get0_subject_key_id(srv));
    assert_non_null(X509_get0_authority_key_id(srv));
    assert_int_equal(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(srv), X509_get0_subject_key_id(ca)), 0);
    assert_int_equal(X509_get_signature_nid(srv), NID_ecdsa_with_SHA256);
    /* Serials are 128 random bits: two certificates never share one. */
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(srv), X509_get0_serialNumber(cli)),
                         0);
}

static void test_both_usage(void **state) {
    fixture *f = *state;
    pki_names n = {.uris = srv_uris, .nuris = 1};
    pki_cert *c = issue(f->cli_key, &n, PKI_USE_BOTH, f->ca, f->ca_key);
    assert_int_equal(X509_get_extended_key_usage(pki_cert_x509(c)),
                     XKU_SSL_SERVER | XKU_SSL_CLIENT);
    pki_cert_free(c);
}

static void test_issue_errors(void **state) {
    fixture *f = *state;
    char err[256] = "";
    pki_cert *c = NULL;
    const char *bad_ip[] = {"1.2.3"};
    pki_names n1 = {.cn = "x", .ips = bad_ip, .nips = 1};
    pki_issue_req req = {.subject_key = f->cli_key,
                         .names = &n1,
                         .usage = PKI_USE_SERVER,
                         .issuer = f->ca,
                         .issuer_key = f->ca_key};
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), SK_EINVAL);
    assert_non_null(strstr(err, "1.2.3"));
    assert_null(c);

    const char *bad_dns[] = {"a b.example"};
    pki_names n2 = {.cn = "x", .dns = bad_dns, .ndns = 1};
    req.names = &n2;
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), SK_EINVAL);

    pki_names n3 = {.cn = "x"};
    req.names = &n3;
    req.issuer_key = f->srv_key; /* not the CA's key */
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "does not match"));

    req.issuer = f->srv; /* a leaf cannot issue */
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "not a CA"));

    req.issuer = f->ca;
    req.issuer_key = f->ca_key;
    req.valid_from = 2000000000;
    req.valid_to = 1000000000;
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), SK_EINVAL);
    assert_null(c);
}

/* ---- info ---------------------------------------------------------------- */

static int has_san(const pki_cert_info *info, const char *want) {
    for (size_t i = 0; i < info->nsans; i++)
        if (strcmp(info->sans[i], want) == 0) return 1;
    return 0;
}

static void test_info_fields(void **state) {
    fixture *f = *state;
    pki_cert_info info;
    assert_int_equal(pki_cert_get_info(f->srv, &info), 0);
    assert_string_equal(info.subject, "CN=server");
    assert_string_equal(info.issuer, "CN=Test CA");
    assert_int_equal(info.nsans, 7);
    assert_true(has_san(&info, "DNS:localhost"));
    assert_true(has_san(&info, "DNS:*.svc.example"));
    assert_true(has_san(&info, "IP Address:127.0.0.1"));
    assert_true(has_san(&info, "IP Address:::1"));
    assert_true(has_san(&info, "URI:sealkv://c1/node/7/control"));
    assert_true(has_san(&info, "email:ops@example.com"));
    assert_int_equal(info.is_ca, 0);
    long long now = (long long)time(NULL);
    assert_true(info.not_before <= now && info.not_before > now - 400);
    assert_int_equal(info.not_after - info.not_before, 30LL * 86400);

    /* Serial and fingerprint agree with OpenSSL's own view. */
    X509 *x = pki_cert_x509(f->srv);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = BN_bn2hex(bn);
    assert_string_equal(info.serial_hex, hex);
    OPENSSL_free(hex);
    BN_free(bn);
    unsigned char md[32];
    unsigned int n = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
    char want[8];
    snprintf(want, sizeof(want), "%02X:%02X", md[0], md[1]);
    assert_int_equal(strlen(info.sha256_fp), 95);
    assert_memory_equal(info.sha256_fp, want, 5);
    pki_cert_info_free(&info);

    assert_int_equal(pki_cert_get_info(f->ca, &info), 0);
    assert_int_equal(info.is_ca, 1);
    assert_int_equal(info.nsans, 0);
    assert_int_equal(info.not_after - info.not_before, 30LL * 86400);
    pki_cert_info_free(&info);
}

static void test_info_fixed_validity(void **state) {
    fixture *f = *state;
    /* After 2049 RFC 5280 needs GeneralizedTime; both forms must convert. */
    pki_issue_req req = {.subject_key = f->cli_key,
                         .usage = PKI_USE_CLIENT,
                         .valid_from = 1700000000,
                         .valid_to = 2600000000LL,
                         .issuer = f->ca,
                         .issuer_key = f->ca_key};
    pki_names n = {.cn = "t"};
    req.names = &n;
    pki_cert *c = NULL;
    char err[256] = "";
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), 0);
    pki_cert_info info;
    assert_int_equal(pki_cert_get_info(c, &info), 0);
    assert_int_equal(info.not_before, 1700000000LL);
    assert_int_equal(info.not_after, 2600000000LL);
    pki_cert_info_free(&info);
    pki_cert_free(c);
}

/* ---- identity matching -------------------------------------------------- */

static void test_name_matches_san_kinds(void **state) {
    fixture *f = *state;
    X509 *x = pki_cert_x509(f->srv);
    assert_int_equal(pki_x509_name_matches(x, "localhost"), 1);
    assert_int_equal(pki_x509_name_matches(x, "LOCALHOST"), 1); /* DNS: no case */
    assert_int_equal(pki_x509_name_matches(x, "*.example.com"), 1);
    assert_int_equal(pki_x509_name_matches(x, "db.example.co?"), 1);
    assert_int_equal(pki_x509_name_matches(x, "127.0.0.1"), 1);
    assert_int_equal(pki_x509_name_matches(x, "127.0.0.*"), 1);
    assert_int_equal(pki_x509_name_matches(x, "::1"), 1);
    assert_int_equal(pki_x509_name_matches(x, "sealkv://c1/node/*/control"), 1);
    assert_int_equal(pki_x509_name_matches(x, "SEALKV://C1/node/7/control"), 0); /* URI: case */
    assert_int_equal(pki_x509_name_matches(x, "sealkv://c1/node/7/data"), 0);
    assert_int_equal(pki_x509_name_matches(x, "ops@example.com"), 1);
    assert_int_equal(pki_x509_name_matches(x, "server"), 1); /* CN too */
    assert_int_equal(pki_x509_name_matches(x, "evil.example.com.attacker"), 0);
    assert_int_equal(pki_x509_name_matches(x, "10.0.0.1"), 0);
    assert_int_equal(pki_x509_name_matches(x, ""), 0);
    assert_int_equal(pki_x509_name_matches(NULL, "*"), 0);
}

static void test_name_matches_cn_only(void **state) {
    fixture *f = *state;
    X509 *x = pki_cert_x509(f->cli);
    assert_int_equal(pki_x509_name_matches(x, "alice"), 1);
    assert_int_equal(pki_x509_name_matches(x, "ALI*"), 1);
    assert_int_equal(pki_x509_name_matches(x, "bob"), 0);
    assert_int_equal(pki_x509_name_matches(x, "alice2"), 0);
}

/* A self-signed certificate whose CN and DNS SAN are "good.example\0.evil". */
static X509 *nul_cert(int in_cn, int in_san) {
    static const char bad[] = "good.example\0.evil";
    int badlen = (int)sizeof(bad) - 1;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_NAME *name = X509_get_subject_name(x);
    const char *cn = in_cn ? bad : "plain";
    assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                                (const unsigned char *)cn, in_cn ? badlen : -1, -1,
                                                0),
                     1);
    assert_int_equal(ASN1_STRING_length(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, 0))),
                     in_cn ? badlen : 5);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    if (in_san) {
        GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        ASN1_STRING_set(s, bad, badlen);
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        sk_GENERAL_NAME_push(gens, g);
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0), 1);
        GENERAL_NAMES_free(gens);
    }
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    EVP_PKEY_free(k);
    return x;
}

static void test_nul_in_cn_rejected(void **state) {
    (void)state;
    X509 *x = nul_cert(1, 0);
    assert_int_equal(pki_x509_name_matches(x, "good.example"), 0);
    assert_int_equal(pki_x509_name_matches(x, "good.example*"), 0);
    assert_int_equal(pki_x509_name_matches(x, "*"), 0);
    assert_int_equal(pki_x509_host_matches(x, "good.example"), 0);
    pki_cert_info info;
    assert_int_equal(pki_x509_get_info(x, &info), 0);
    assert_non_null(strstr(info.subject, "good.example")); /* shown, escaped */
    pki_cert_info_free(&info);
    X509_free(x);
}

static void test_nul_in_san_rejected(void **state) {
    (void)state;
    X509 *x = nul_cert(0, 1);
    assert_int_equal(pki_x509_name_matches(x, "good.example"), 0);
    assert_int_equal(pki_x509_name_matches(x, "good.example*"), 0);
    assert_int_equal(pki_x509_name_matches(x, "plain"), 1); /* the clean CN still counts */
    assert_int_equal(pki_x509_host_matches(x, "good.example"), 0);
    pki_cert_info info;
    assert_int_equal(pki_x509_get_info(x, &info), 0);
    assert_int_equal(info.nsans, 1);
    assert_string_equal(info.sans[0], "DNS:good.example\\x00.evil");
    pki_cert_info_free(&info);
    X509_free(x);
}

static void test_host_matches(void **state) {
    fixture *f = *state;
    X509 *x = pki_cert_x509(f->srv);
    assert_int_equal(pki_x509_host_matches(x, "localhost"), 1);
    assert_int_equal(pki_x509_host_matches(x, "DB.example.com"), 1);
    assert_int_equal(pki_x509_host_matches(x, "a.svc.example"), 1);
    assert_int_equal(pki_x509_host_matches(x, "a.b.svc.example"), 0); /* one label only */
    assert_int_equal(pki_x509_host_matches(x, "example.com"), 0);
    assert_int_equal(pki_x509_host_matches(x, "127.0.0.1"), 1);
    assert_int_equal(pki_x509_host_matches(x, "::1"), 1);
    assert_int_equal(pki_x509_host_matches(x, "0:0:0:0:0:0:0:1"), 1);
    assert_int_equal(pki_x509_host_matches(x, "127.0.0.2"), 0);
    assert_int_equal(pki_x509_host_matches(x, "server"), 0);        /* CN ignored: DNS SANs exist */
    assert_int_equal(pki_x509_host_matches(x, "*.example.com"), 0); /* no glob here */
    assert_int_equal(pki_x509_host_matches(x, ""), 0);
    /* No DNS SAN: the CN is the host name (RFC 6125 fallback). */
    assert_int_equal(pki_x509_host_matches(pki_cert_x509(f->cli), "alice"), 1);
    assert_int_equal(pki_x509_host_matches(pki_cert_x509(f->cli), "bob"), 0);
}

static void test_no_partial_wildcard(void **state) {
    fixture *f = *state;
    const char *dns[] = {"w*.example.org"};
    pki_names n = {.cn = "p", .dns = dns, .ndns = 1};
    pki_cert *c = issue(f->cli_key, &n, PKI_USE_SERVER, f->ca, f->ca_key);
    assert_int_equal(pki_x509_host_matches(pki_cert_x509(c), "www.example.org"), 0);
    pki_cert_free(c);
}

/* ---- CSR ---------------------------------------------------------------- */

static void test_csr_roundtrip(void **state) {
    fixture *f = *state;
    pki_key *k = gen(PKI_KEY_EC_P256);
    const char *uris[] = {"sealkv://c1/node/3/control"};
    const char *ips[] = {"10.1.2.3"};
    pki_names n = {.cn = "node3", .uris = uris, .nuris = 1, .ips = ips, .nips = 1};
    char *pem = NULL;
    char err[256] = "";
    assert_int_equal(pki_csr_create(k, &n, &pem, err, sizeof(err)), 0);
    assert_non_null(strstr(pem, "BEGIN CERTIFICATE REQUEST"));
    pki_cert *c = NULL;
    int rc = pki_csr_sign(pem, strlen(pem), f->ca, f->ca_key, PKI_USE_BOTH, 45, NULL, &c, err,
                          sizeof(err));
    if (rc != 0) fprintf(stderr, "csr_sign: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(pki_cert_verify(c, f->ca, err, sizeof(err)), 0);
    pki_cert_info info;
    assert_int_equal(pki_cert_get_info(c, &info), 0);
    assert_string_equal(info.subject, "CN=node3");
    assert_int_equal(info.nsans, 2);
    assert_true(has_san(&info, "URI:sealkv://c1/node/3/control"));
    assert_true(has_san(&info, "IP Address:10.1.2.3"));
    assert_int_equal(info.is_ca, 0);
    assert_int_equal(info.not_after - info.not_before, 45LL * 86400);
    pki_cert_info_free(&info);
    /* The certified key is the requester's. */
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(pki_cert_x509(c)), pki_key_evp(k)), 1);

    /* Override names replace whatever the CSR asked for. */
    pki_cert *c2 = NULL;
    const char *odns[] = {"only.example"};
    pki_names over = {.cn = "forced", .dns = odns, .ndns = 1};
    assert_int_equal(pki_csr_sign(pem, strlen(pem), f->ca, f->ca_key, PKI_USE_CLIENT, 1, &over, &c2,
                                  err, sizeof(err)),
                     0);
    assert_int_equal(pki_cert_get_info(c2, &info), 0);
    assert_string_equal(info.subject, "CN=forced");
    assert_int_equal(info.nsans, 1);
    assert_string_equal(info.sans[0], "DNS:only.example");
    pki_cert_info_free(&info);
    pki_cert_free(c2);
    pki_cert_free(c);
    sk_free(pem);
    pki_key_free(k);
}

/* A CSR built by hand asking for CA:TRUE and keyCertSign; signed by
 * sign_key (which may differ from the key in the CSR). */
static char *hostile_csr(EVP_PKEY *key, EVP_PKEY *sign_key) {
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                               (const unsigned char *)"evil-ca", -1, -1, 0);
    X509_REQ_set_subject_name(req, name);
    X509_NAME_free(name);
    X509_REQ_set_pubkey(req, key);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE"));
    sk_X509_EXTENSION_push(
        exts, X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign"));
    assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    assert_true(X509_REQ_sign(req, sign_key, EVP_sha256()) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(bio, req);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = sk_malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(bio);
    X509_REQ_free(req);
    return out;
}

static void test_csr_ca_true_ignored(void **state) {
    fixture *f = *state;
    EVP_PKEY *pk = pki_key_evp(f->cli_key);
    char *pem = hostile_csr(pk, pk);
    pki_cert *c = NULL;
    char err[256] = "";
    int rc = pki_csr_sign(pem, strlen(pem), f->ca, f->ca_key, PKI_USE_CLIENT, 1, NULL, &c, err,
                          sizeof(err));
    if (rc != 0) fprintf(stderr, "csr_sign: %s\n", err);
    assert_int_equal(rc, 0);
    X509 *x = pki_cert_x509(c);
    assert_int_equal(X509_check_ca(x), 0);
    assert_false(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
    pki_cert_info info;
    assert_int_equal(pki_cert_get_info(c, &info), 0);
    assert_int_equal(info.is_ca, 0);
    assert_string_equal(info.subject, "CN=evil-ca");
    pki_cert_info_free(&info);
    pki_cert_free(c);
    sk_free(pem);
}

static void test_csr_bad_signature(void **state) {
    fixture *f = *state;
    /* Public key of cli, signed with srv's key: no proof of possession. */
    char *pem = hostile_csr(pki_key_evp(f->cli_key), pki_key_evp(f->srv_key));
    pki_cert *c = NULL;
    char err[256] = "";
    assert_int_equal(pki_csr_sign(pem, strlen(pem), f->ca, f->ca_key, PKI_USE_CLIENT, 1, NULL, &c,
                                  err, sizeof(err)),
                     SK_ECERT);
    assert_null(c);
    assert_non_null(strstr(err, "signature"));
    sk_free(pem);
    assert_int_equal(
        pki_csr_sign("garbage", 7, f->ca, f->ca_key, PKI_USE_CLIENT, 1, NULL, &c, err, sizeof(err)),
        SK_ECERT);
    assert_int_equal(
        pki_csr_sign("x", 1, f->ca, f->ca_key, PKI_USE_CA, 1, NULL, &c, err, sizeof(err)),
        SK_EINVAL);
}

static void test_csr_nul_san_refused(void **state) {
    fixture *f = *state;
    static const char bad[] = "good.example\0.evil";
    X509_REQ *req = X509_REQ_new();
    X509_REQ_set_pubkey(req, pki_key_evp(f->cli_key));
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    ASN1_STRING_set(ia5, bad, (int)sizeof(bad) - 1);
    GENERAL_NAME_set0_value(g, GEN_DNS, ia5);
    sk_GENERAL_NAME_push(gens, g);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(exts, X509V3_EXT_i2d(NID_subject_alt_name, 0, gens));
    assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
    assert_true(X509_REQ_sign(req, pki_key_evp(f->cli_key), EVP_sha256()) > 0);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(bio, req);
    char *pem = NULL;
    long len = BIO_get_mem_data(bio, &pem);
    pki_cert *c = NULL;
    char err[256] = "";
    assert_int_equal(pki_csr_sign(pem, (size_t)len, f->ca, f->ca_key, PKI_USE_SERVER, 1, NULL, &c,
                                  err, sizeof(err)),
                     SK_ECERT);
    assert_null(c);
    assert_non_null(strstr(err, "malformed"));
    BIO_free(bio);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);
}

static void test_csr_create_bad_names(void **state) {
    fixture *f = *state;
    const char *ips[] = {"300.1.1.1"};
    pki_names n = {.cn = "x", .ips = ips, .nips = 1};
    char *pem = NULL;
    char err[256] = "";
    assert_int_equal(pki_csr_create(f->cli_key, &n, &pem, err, sizeof(err)), SK_EINVAL);
    assert_null(pem);
    assert_non_null(strstr(err, "300.1.1.1"));
    /* A CN alone is a valid request. */
    pki_names cn_only = {.cn = "just-a-cn"};
    assert_int_equal(pki_csr_create(f->cli_key, &cn_only, &pem, err, sizeof(err)), 0);
    pki_cert *c = NULL;
    assert_int_equal(pki_csr_sign(pem, strlen(pem), f->ca, f->ca_key, PKI_USE_CLIENT, 1, NULL, &c,
                                  err, sizeof(err)),
                     0);
    assert_int_equal(pki_x509_name_matches(pki_cert_x509(c), "just-a-cn"), 1);
    pki_cert_free(c);
    sk_free(pem);
}

/* ---- files -------------------------------------------------------------- */

static void tmp_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "/tmp/test_pki.%ld.%s", (long)getpid(), name);
}

static void test_key_file_mode(void **state) {
    fixture *f = *state;
    char path[256], err[256] = "";
    tmp_path(path, sizeof(path), "key.pem");
    /* An existing world-readable file is replaced by a 0600 one. */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(path, 0644), 0);
    mode_t old = umask(0);
    int rc = pki_key_save(f->srv_key, path, err, sizeof(err));
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    pki_key *back = NULL;
    assert_int_equal(pki_key_load(path, NULL, &back, err, sizeof(err)), 0);
    assert_int_equal(EVP_PKEY_eq(pki_key_evp(back), pki_key_evp(f->srv_key)), 1);
    pki_key_free(back);
    unlink(path);
    assert_int_equal(pki_key_load(path, NULL, &back, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, path));
}

static void test_key_encrypted(void **state) {
    fixture *f = *state;
    char path[256], err[256] = "";
    tmp_path(path, sizeof(path), "enc.pem");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(PEM_write_PrivateKey(fp, pki_key_evp(f->cli_key), EVP_aes_128_cbc(),
                                          (unsigned char *)"s3cret", 6, NULL, NULL),
                     1);
    fclose(fp);
    pki_key *k = NULL;
    /* No password: fails without prompting. */
    assert_int_equal(pki_key_load(path, NULL, &k, err, sizeof(err)), SK_ETLS);
    assert_int_equal(pki_key_load(path, "wrong", &k, err, sizeof(err)), SK_ETLS);
    assert_null(strstr(err, "s3cret"));
    assert_int_equal(pki_key_load(path, "s3cret", &k, err, sizeof(err)), 0);
    assert_int_equal(EVP_PKEY_eq(pki_key_evp(k), pki_key_evp(f->cli_key)), 1);
    pki_key_free(k);
    unlink(path);
}

static void test_cert_pem_roundtrip(void **state) {
    fixture *f = *state;
    char path[256], err[256] = "";
    tmp_path(path, sizeof(path), "cert.pem");
    assert_int_equal(pki_cert_save(f->srv, path, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    pki_cert *c = NULL;
    assert_int_equal(pki_cert_load(path, &c, err, sizeof(err)), 0);
    assert_int_equal(X509_cmp(pki_cert_x509(c), pki_cert_x509(f->srv)), 0);
    pki_cert_free(c);
    /* DER is read too. */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(i2d_X509_fp(fp, pki_cert_x509(f->srv)), 1);
    fclose(fp);
    assert_int_equal(pki_cert_load(path, &c, err, sizeof(err)), 0);
    assert_int_equal(X509_cmp(pki_cert_x509(c), pki_cert_x509(f->srv)), 0);
    pki_cert_free(c);
    /* A key is not a certificate. */
    assert_int_equal(pki_key_save(f->cli_key, path, err, sizeof(err)), 0);
    assert_int_equal(pki_cert_load(path, &c, err, sizeof(err)), SK_ECERT);
    assert_null(c);
    assert_null(strstr(err, "PRIVATE"));
    unlink(path);

    char *pem = pki_cert_to_pem(f->cli);
    assert_non_null(pem);
    assert_int_equal(pki_cert_from_pem(pem, strlen(pem), &c, err, sizeof(err)), 0);
    assert_int_equal(X509_cmp(pki_cert_x509(c), pki_cert_x509(f->cli)), 0);
    pki_cert_free(c);
    sk_free(pem);
    assert_int_equal(pki_cert_from_pem("nope", 4, &c, err, sizeof(err)), SK_ECERT);
    assert_null(c);
    assert_non_null(strstr(err, "cannot parse"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_verifies),
        cmocka_unit_test(test_foreign_ca_rejected),
        cmocka_unit_test(test_expired_rejected),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_both_usage),
        cmocka_unit_test(test_issue_errors),
        cmocka_unit_test(test_info_fields),
        cmocka_unit_test(test_info_fixed_validity),
        cmocka_unit_test(test_name_matches_san_kinds),
        cmocka_unit_test(test_name_matches_cn_only),
        cmocka_unit_test(test_nul_in_cn_rejected),
        cmocka_unit_test(test_nul_in_san_rejected),
        cmocka_unit_test(test_host_matches),
        cmocka_unit_test(test_no_partial_wildcard),
        cmocka_unit_test(test_csr_roundtrip),
        cmocka_unit_test(test_csr_ca_true_ignored),
        cmocka_unit_test(test_csr_bad_signature),
        cmocka_unit_test(test_csr_nul_san_refused),
        cmocka_unit_test(test_csr_create_bad_names),
        cmocka_unit_test(test_key_file_mode),
        cmocka_unit_test(test_key_encrypted),
        cmocka_unit_test(test_cert_pem_roundtrip),
    };
    return cmocka_run_group_tests_name("pki", tests, setup, teardown);
}
