/* pki_csr.c - certificate signing requests for nodes joining a cluster.
 *
 * Signing trusts the CSR for two things only: the public key (after checking
 * the CSR's self-signature proves possession of the private key) and, unless
 * the CA overrides them, the names. Every extension the requester asked for
 * (CA:TRUE, key usages, ...) is ignored: the CA's own profile is applied.
 */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <limits.h>
#include <openssl/pem.h>
#include <string.h>

static int csr_set_subject(X509_REQ *req, const pki_key *key, const char *cn, char *err,
                           size_t errlen) {
    X509_NAME *subj = X509_NAME_new();
    int ok = subj != NULL && X509_REQ_set_version(req, X509_REQ_VERSION_1) == 1 &&
             X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8,
                                        (const unsigned char *)cn, -1, -1, 0) == 1 &&
             X509_REQ_set_subject_name(req, subj) == 1 && X509_REQ_set_pubkey(req, key->pkey) == 1;
    X509_NAME_free(subj);
    return ok ? 0
              : pki__fail(err, errlen, SK_EINVAL, "cannot build the CSR (common name '%s')", cn);
}

/* The names travel as a subjectAltName in the PKCS#10 extension request. */
static int csr_add_sans(X509_REQ *req, const pki_names *names, char *err, size_t errlen) {
    int rc = 0;
    GENERAL_NAMES *gens = pki__names_to_gens(names, &rc, err, errlen);
    if (gens == NULL) return rc; /* malformed (rc set) or none at all (rc 0) */
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
    if (exts == NULL || ext == NULL || sk_X509_EXTENSION_push(exts, ext) <= 0) {
        X509_EXTENSION_free(ext);
        rc = pki__fail(err, errlen, SK_ETLS, "cannot add names to the CSR");
    } else if (X509_REQ_add_extensions(req, exts) != 1) {
        rc = pki__fail(err, errlen, SK_ETLS, "cannot add names to the CSR");
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    return rc;
}

static int csr_sign_pem(X509_REQ *req, const pki_key *key, char **pem_out, char *err,
                        size_t errlen) {
    BIO *bio = NULL;
    if (X509_REQ_sign(req, key->pkey, EVP_sha256()) <= 0 || (bio = BIO_new(BIO_s_mem())) == NULL ||
        PEM_write_bio_X509_REQ(bio, req) != 1) {
        BIO_free(bio);
        return pki__fail(err, errlen, SK_ETLS, "cannot sign the CSR");
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    *pem_out = sk_malloc((size_t)len + 1);
    memcpy(*pem_out, data, (size_t)len);
    (*pem_out)[len] = '\0';
    BIO_free(bio);
    return 0;
}

int pki_csr_create(const pki_key *key, const pki_names *names, char **pem_out, char *err,
                   size_t errlen) {
    *pem_out = NULL;
    if (key == NULL || names == NULL) return pki__fail(err, errlen, SK_EINVAL, "no key or names");
    X509_REQ *req = X509_REQ_new();
    if (req == NULL) return pki__fail(err, errlen, SK_ENOMEM, "cannot allocate a CSR");
    const char *cn = names->cn != NULL ? names->cn : names->ndns > 0 ? names->dns[0] : "sealkv";
    int rc = csr_set_subject(req, key, cn, err, errlen);
    if (rc == 0) rc = csr_add_sans(req, names, err, errlen);
    if (rc == 0) rc = csr_sign_pem(req, key, pem_out, err, errlen);
    X509_REQ_free(req);
    return rc;
}

/* Names copied out of a CSR: the strings are owned here, the pki_names
 * arrays point into them. */
typedef struct csr_names {
    pki_names names;
    char *cn;
    char **all; /* every string allocated, for freeing */
    size_t nall;
    const char **dns, **ips, **uris, **emails;
} csr_names;

static void csr_names_free(csr_names *cn) {
    sk_free(cn->cn);
    for (size_t i = 0; i < cn->nall; i++)
        sk_free(cn->all[i]);
    sk_free(cn->all);
    sk_free(cn->dns);
    sk_free(cn->ips);
    sk_free(cn->uris);
    sk_free(cn->emails);
}

static int csr_add_name(csr_names *cn, const GENERAL_NAME *gen) {
    int kind;
    char *text = pki__gen_name_text(gen, &kind);
    if (text == NULL) return SK_ECERT; /* NUL byte, bad IP length or an unsupported kind */
    cn->all[cn->nall++] = text;
    switch (kind) {
    case GEN_DNS:
        cn->dns[cn->names.ndns++] = text;
        break;
    case GEN_IPADD:
        cn->ips[cn->names.nips++] = text;
        break;
    case GEN_URI:
        cn->uris[cn->names.nuris++] = text;
        break;
    default:
        cn->emails[cn->names.nemails++] = text;
        break;
    }
    return 0;
}

static GENERAL_NAMES *csr_sans(X509_REQ *req) {
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    int idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
    if (idx >= 0) gens = X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts, idx));
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return gens;
}

static int csr_names_read(X509_REQ *req, csr_names *cn) {
    memset(cn, 0, sizeof(*cn));
    cn->cn = pki__name_cn(X509_REQ_get_subject_name(req));
    cn->names.cn = cn->cn;
    GENERAL_NAMES *gens = csr_sans(req);
    int n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
    size_t sz = n > 0 ? (size_t)n : 1;
    cn->all = sk_calloc(sz, sizeof(char *));
    cn->dns = sk_calloc(sz, sizeof(char *));
    cn->ips = sk_calloc(sz, sizeof(char *));
    cn->uris = sk_calloc(sz, sizeof(char *));
    cn->emails = sk_calloc(sz, sizeof(char *));
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = csr_add_name(cn, sk_GENERAL_NAME_value(gens, i));
    GENERAL_NAMES_free(gens);
    cn->names.dns = cn->dns;
    cn->names.ips = cn->ips;
    cn->names.uris = cn->uris;
    cn->names.emails = cn->emails;
    if (rc == 0 && cn->cn == NULL && n == 0) rc = SK_ECERT;
    return rc;
}

static X509_REQ *csr_parse(const char *pem, size_t len) {
    if (pem == NULL || len > INT_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_REQ *req = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return req;
}

/* Weak keys are refused even from an authenticated joiner. */
static int csr_key_ok(EVP_PKEY *pub) {
    int id = EVP_PKEY_get_base_id(pub);
    int bits = EVP_PKEY_get_bits(pub);
    if (id == EVP_PKEY_RSA) return bits >= 2048;
    if (id == EVP_PKEY_EC) return bits >= 256;
    return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
}

int pki_csr_sign(const char *csr_pem, size_t len, const pki_cert *ca, const pki_key *ca_key,
                 pki_usage usage, int days, const pki_names *override_names, pki_cert **out,
                 char *err, size_t errlen) {
    *out = NULL;
    if (ca == NULL || ca_key == NULL || usage == PKI_USE_CA)
        return pki__fail(err, errlen, SK_EINVAL, "CSR signing needs a CA and a leaf usage");
    X509_REQ *req = csr_parse(csr_pem, len);
    if (req == NULL) return pki__fail(err, errlen, SK_ECERT, "cannot parse the CSR");
    int rc = 0;
    csr_names names;
    memset(&names, 0, sizeof(names));
    EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
    if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
        rc = pki__fail(err, errlen, SK_ECERT, "CSR signature does not verify");
        goto cleanup;
    }
    if (!csr_key_ok(pub)) {
        rc = pki__fail(err, errlen, SK_ECERT, "CSR key type or size is not accepted");
        goto cleanup;
    }
    if (override_names == NULL && csr_names_read(req, &names) != 0) {
        rc = pki__fail(err, errlen, SK_ECERT, "CSR names are missing or malformed");
        goto cleanup;
    }
    /* Only the public key is used from this borrowed wrapper. */
    pki_key subject = {.pkey = pub};
    pki_issue_req ireq = {
        .subject_key = &subject,
        .names = override_names != NULL ? override_names : &names.names,
        .usage = usage,
        .days = days,
        .issuer = ca,
        .issuer_key = ca_key,
    };
    rc = pki_cert_issue(&ireq, out, err, errlen);
cleanup:
    csr_names_free(&names);
    X509_REQ_free(req);
    return rc;
}
