/* pki_cert.c - certificates: issue (CA or leaf), load, save, verify.
 *
 * Profile (RFC 5280): X.509 v3, random 128-bit positive serial, SHA-256.
 * CA: basicConstraints critical CA:TRUE, keyUsage critical keyCertSign+cRLSign,
 * SKI. Leaf: basicConstraints critical CA:FALSE, keyUsage critical
 * digitalSignature (+keyEncipherment for RSA, which TLS 1.2 RSA key exchange
 * needs), extendedKeyUsage by usage, SAN, SKI and AKI.
 */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

pki_cert *pki__cert_wrap(X509 *x) {
    pki_cert *c = sk_calloc(1, sizeof(*c));
    c->x509 = x;
    return c;
}

struct x509_st *pki_cert_x509(const pki_cert *cert) {
    return cert != NULL ? cert->x509 : NULL;
}

void pki_cert_free(pki_cert *cert) {
    if (cert == NULL) return;
    X509_free(cert->x509);
    sk_free(cert);
}

/* ---- names ---------------------------------------------------------------- */

/* SAN text must be visible ASCII: IA5String allows more, but a space or a
 * control character in a host name or URI is a mistake or an attack. */
static int san_value_ok(const char *v) {
    if (v == NULL || v[0] == '\0') return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) return 0;
    return 1;
}

static int gens_add(GENERAL_NAMES *gens, int type, const char **vals, size_t n, const char *what,
                    char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        GENERAL_NAME *gen = NULL;
        if (san_value_ok(vals[i])) gen = a2i_GENERAL_NAME(NULL, NULL, NULL, type, vals[i], 0);
        if (gen == NULL)
            return pki__fail(err, errlen, SK_EINVAL, "invalid %s name '%s'", what,
                             vals[i] != NULL ? vals[i] : "");
        if (type == GEN_EMAIL && strchr(vals[i], '@') == NULL) {
            GENERAL_NAME_free(gen);
            return pki__fail(err, errlen, SK_EINVAL, "invalid email name '%s'", vals[i]);
        }
        sk_GENERAL_NAME_push(gens, gen);
    }
    return 0;
}

GENERAL_NAMES *pki__names_to_gens(const pki_names *names, int *rc, char *err, size_t errlen) {
    *rc = 0;
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL) {
        *rc = SK_ENOMEM;
        return NULL;
    }
    *rc = gens_add(gens, GEN_DNS, names->dns, names->ndns, "DNS", err, errlen);
    if (*rc == 0) *rc = gens_add(gens, GEN_IPADD, names->ips, names->nips, "IP", err, errlen);
    if (*rc == 0) *rc = gens_add(gens, GEN_URI, names->uris, names->nuris, "URI", err, errlen);
    if (*rc == 0)
        *rc = gens_add(gens, GEN_EMAIL, names->emails, names->nemails, "email", err, errlen);
    if (*rc != 0 || sk_GENERAL_NAME_num(gens) == 0) {
        GENERAL_NAMES_free(gens);
        return NULL;
    }
    return gens;
}

static const char *default_cn(const pki_names *n, pki_usage usage) {
    if (n != NULL && n->cn != NULL && n->cn[0] != '\0') return n->cn;
    if (usage == PKI_USE_CA) return "sealkv Root CA";
    if (n != NULL && n->ndns > 0) return n->dns[0];
    if (n != NULL && n->nips > 0) return n->ips[0];
    return usage == PKI_USE_CLIENT ? "sealkv client" : "sealkv";
}

static int set_subject(X509 *x, const char *cn, char *err, size_t errlen) {
    X509_NAME *name = X509_NAME_new();
    int ok = name != NULL &&
             X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                        (const unsigned char *)cn, -1, -1, 0) == 1 &&
             X509_set_subject_name(x, name) == 1;
    X509_NAME_free(name);
    return ok ? 0 : pki__fail(err, errlen, SK_EINVAL, "invalid common name '%s'", cn);
}

/* ---- extensions --------------------------------------------------------- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, char *err, size_t errlen) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : pki__fail(err, errlen, SK_ETLS, "cannot add %s", OBJ_nid2sn(nid));
}

static const char *eku_for(pki_usage usage) {
    switch (usage) {
    case PKI_USE_SERVER:
        return "serverAuth";
    case PKI_USE_CLIENT:
        return "clientAuth";
    default:
        return "serverAuth,clientAuth";
    }
}

static int add_leaf_exts(X509 *x, X509V3_CTX *ctx, const pki_issue_req *req, char *err,
                         size_t errlen) {
    int rsa = EVP_PKEY_get_base_id(req->subject_key->pkey) == EVP_PKEY_RSA;
    int rc = add_ext(x, ctx, NID_basic_constraints, "critical,CA:FALSE", err, errlen);
    if (rc == 0)
        rc =
            add_ext(x, ctx, NID_key_usage,
                    rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature",
                    err, errlen);
    if (rc == 0) rc = add_ext(x, ctx, NID_ext_key_usage, eku_for(req->usage), err, errlen);
    if (rc == 0) rc = add_ext(x, ctx, NID_subject_key_identifier, "hash", err, errlen);
    /* A self-signed leaf has no issuer key to point at. */
    if (rc == 0 && req->issuer != NULL)
        rc = add_ext(x, ctx, NID_authority_key_identifier, "keyid,issuer", err, errlen);
    if (rc != 0 || req->names == NULL) return rc;
    GENERAL_NAMES *gens = pki__names_to_gens(req->names, &rc, err, errlen);
    if (gens != NULL && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0) != 1)
        rc = pki__fail(err, errlen, SK_ETLS, "cannot add subjectAltName");
    GENERAL_NAMES_free(gens);
    return rc;
}

static int add_ca_exts(X509 *x, X509V3_CTX *ctx, const pki_issue_req *req, char *err,
                       size_t errlen) {
    int rc = add_ext(x, ctx, NID_basic_constraints, "critical,CA:TRUE", err, errlen);
    if (rc == 0) rc = add_ext(x, ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err, errlen);
    if (rc == 0) rc = add_ext(x, ctx, NID_subject_key_identifier, "hash", err, errlen);
    if (rc == 0 && req->issuer != NULL)
        rc = add_ext(x, ctx, NID_authority_key_identifier, "keyid,issuer", err, errlen);
    return rc;
}

/* ---- issue -------------------------------------------------------------- */

static int set_serial(X509 *x) {
    unsigned char buf[16];
    if (RAND_bytes(buf, sizeof(buf)) != 1) return SK_ETLS;
    buf[15] |= 1; /* never zero; BN_bin2bn makes it positive */
    BIGNUM *bn = BN_bin2bn(buf, sizeof(buf), NULL);
    int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : SK_ETLS;
}

static int set_validity(X509 *x, const pki_issue_req *req, char *err, size_t errlen) {
    int days = req->days > 0 ? req->days : req->usage == PKI_USE_CA ? 3650 : 365;
    long long from = req->valid_from != 0 ? req->valid_from : (long long)time(NULL) - 300;
    long long to = req->valid_to != 0 ? req->valid_to : from + (long long)days * 86400;
    if (to <= from) return pki__fail(err, errlen, SK_EINVAL, "validity ends before it starts");
    if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)from) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)to) == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "invalid validity period");
    return 0;
}

static int check_issuer(const pki_issue_req *req, char *err, size_t errlen) {
    if (req->subject_key == NULL || req->subject_key->pkey == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "no subject key");
    if (req->issuer == NULL) return 0;
    if (req->issuer_key == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "issuer certificate given without its key");
    if (X509_check_private_key(req->issuer->x509, req->issuer_key->pkey) != 1)
        return pki__fail(err, errlen, SK_ECERT, "CA key does not match the CA certificate");
    if (X509_check_ca(req->issuer->x509) == 0)
        return pki__fail(err, errlen, SK_ECERT, "issuer certificate is not a CA");
    return 0;
}

static int build_cert(X509 *x, const pki_issue_req *req, char *err, size_t errlen) {
    X509 *issuer = req->issuer != NULL ? req->issuer->x509 : x;
    EVP_PKEY *sign_key = req->issuer != NULL ? req->issuer_key->pkey : req->subject_key->pkey;
    int rc = set_subject(x, default_cn(req->names, req->usage), err, errlen);
    if (rc != 0) return rc;
    if (X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) != 0 ||
        X509_set_issuer_name(x, X509_get_subject_name(issuer)) != 1 ||
        X509_set_pubkey(x, req->subject_key->pkey) != 1)
        return pki__fail(err, errlen, SK_ETLS, "cannot fill the certificate");
    if ((rc = set_validity(x, req, err, errlen)) != 0) return rc;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    rc = req->usage == PKI_USE_CA ? add_ca_exts(x, &ctx, req, err, errlen)
                                  : add_leaf_exts(x, &ctx, req, err, errlen);
    if (rc != 0) return rc;
    if (X509_sign(x, sign_key, EVP_sha256()) <= 0)
        return pki__fail(err, errlen, SK_ETLS, "cannot sign the certificate");
    return 0;
}

int pki_cert_issue(const pki_issue_req *req, pki_cert **out, char *err, size_t errlen) {
    *out = NULL;
    int rc = check_issuer(req, err, errlen);
    if (rc != 0) return rc;
    X509 *x = X509_new();
    if (x == NULL) return pki__fail(err, errlen, SK_ENOMEM, "cannot allocate a certificate");
    rc = build_cert(x, req, err, errlen);
    if (rc != 0) {
        X509_free(x);
        return rc;
    }
    *out = pki__cert_wrap(x);
    return 0;
}

/* ---- load / save -------------------------------------------------------- */

int pki_cert_load(const char *path, pki_cert **out, char *err, size_t errlen) {
    *out = NULL;
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL)
        return pki__fail(err, errlen, SK_ENOTFOUND, "cannot open certificate file %s", path);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    /* Operators also hand us DER files (.cer from Windows CAs). */
    if (x == NULL && BIO_reset(bio) == 0) {
        ERR_clear_error();
        x = d2i_X509_bio(bio, NULL);
    }
    BIO_free(bio);
    if (x == NULL)
        return pki__fail(err, errlen, SK_ECERT, "cannot read a PEM or DER certificate from %s",
                         path);
    *out = pki__cert_wrap(x);
    return 0;
}

int pki_cert_from_pem(const char *pem, size_t len, pki_cert **out, char *err, size_t errlen) {
    *out = NULL;
    if (pem == NULL || len > INT_MAX) return pki__fail(err, errlen, SK_EINVAL, "no PEM text");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (x == NULL) return pki__fail(err, errlen, SK_ECERT, "cannot parse PEM certificate");
    *out = pki__cert_wrap(x);
    return 0;
}

static int write_cert(FILE *fp, const void *arg) {
    return PEM_write_X509(fp, (X509 *)arg);
}

int pki_cert_save(const pki_cert *cert, const char *path, char *err, size_t errlen) {
    if (cert == NULL || path == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "no certificate or path");
    return pki__write_file(path, 0644, write_cert, cert->x509, err, errlen);
}

char *pki_cert_to_pem(const pki_cert *cert) {
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio != NULL && cert != NULL && PEM_write_bio_X509(bio, cert->x509) == 1) {
        char *data = NULL;
        long len = BIO_get_mem_data(bio, &data);
        out = sk_malloc((size_t)len + 1);
        memcpy(out, data, (size_t)len);
        out[len] = '\0';
    }
    BIO_free(bio);
    return out;
}

/* ---- verify ------------------------------------------------------------- */

int pki_cert_verify(const pki_cert *cert, const pki_cert *ca, char *err, size_t errlen) {
    if (cert == NULL || ca == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "no certificate or CA");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = 0;
    if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, ca->x509) != 1 ||
        X509_STORE_CTX_init(ctx, store, cert->x509, NULL) != 1) {
        rc = pki__fail(err, errlen, SK_ETLS, "cannot set up verification");
        goto cleanup;
    }
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        rc = pki__fail(err, errlen, SK_ECERT, "certificate verify failed: %s",
                       X509_verify_cert_error_string(e));
    }
cleanup:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}
