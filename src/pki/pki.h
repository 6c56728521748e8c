/* pki.h - keys, certificates and identities on OpenSSL's X509 API.
 *
 * Used by sealkv-certs (standalone deployments), by the TLS layer (identity
 * checks, certificate summaries) and later by sealkv-node (the cluster CA,
 * CSR signing on join, rotation). Objects are opaque wrappers owning their
 * OpenSSL counterparts; each has one owner who frees it. Private keys are
 * written with mode 0600 (created so, never chmod-ed after the fact) and are
 * never logged. Errors: 0 / negative SK_E* with the reason in err.
 */
#ifndef SEALKV_PKI_PKI_H
#define SEALKV_PKI_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct x509_st;     /* OpenSSL's X509 */
struct evp_pkey_st; /* OpenSSL's EVP_PKEY */

typedef struct pki_key pki_key;
typedef struct pki_cert pki_cert;

typedef enum { PKI_KEY_RSA2048 = 0, PKI_KEY_EC_P256 = 1 } pki_key_type;
typedef enum { PKI_USE_CA = 0, PKI_USE_SERVER = 1, PKI_USE_CLIENT = 2, PKI_USE_BOTH = 3 } pki_usage;

/* Names placed in a certificate. Arrays are borrowed. */
typedef struct pki_names {
    const char *cn;
    const char **dns;
    size_t ndns;
    const char **ips;
    size_t nips; /* IPv4 or IPv6 text */
    const char **uris;
    size_t nuris;
    const char **emails;
    size_t nemails;
} pki_names;

typedef struct pki_issue_req {
    const pki_key *subject_key; /* whose public key is certified */
    const pki_names *names;
    pki_usage usage;
    long long valid_from; /* unix seconds; 0 = now - 5 minutes */
    long long valid_to;   /* unix seconds; 0 = valid_from + days */
    int days;
    const pki_cert *issuer; /* NULL: self-signed (subject_key signs) */
    const pki_key *issuer_key;
} pki_issue_req;

int pki_key_generate(pki_key_type type, pki_key **out, char *err, size_t errlen);
int pki_key_load(const char *path, const char *pass, pki_key **out, char *err, size_t errlen);
int pki_key_save(const pki_key *key, const char *path, char *err, size_t errlen); /* 0600 */
void pki_key_free(pki_key *key);
/* In-memory forms (sealkv-node keeps its cluster CA key in the replicated
 * store, not in a file). The PEM text is owned by the caller and holds a
 * secret: release it with pki_pem_wipe_free, which clears it first. */
int pki_key_to_pem(const pki_key *key, char **pem_out, size_t *len_out);
int pki_key_from_pem(const char *pem, size_t len, pki_key **out, char *err, size_t errlen);
void pki_pem_wipe_free(char *pem);
/* Non-zero when cert certifies key's public half. */
int pki_cert_key_matches(const pki_cert *cert, const pki_key *key);

int pki_cert_issue(const pki_issue_req *req, pki_cert **out, char *err, size_t errlen);
int pki_cert_load(const char *path, pki_cert **out, char *err, size_t errlen);
int pki_cert_from_pem(const char *pem, size_t len, pki_cert **out, char *err, size_t errlen);
int pki_cert_save(const pki_cert *cert, const char *path, char *err, size_t errlen); /* 0644 */
/* Owned NUL-terminated PEM text. */
char *pki_cert_to_pem(const pki_cert *cert);
void pki_cert_free(pki_cert *cert);

/* CSRs (for nodes joining a cluster): create from a key and names; sign as CA
 * copying only the names (never extensions the requester asked for). */
int pki_csr_create(const pki_key *key, const pki_names *names, char **pem_out, char *err,
                   size_t errlen);
int pki_csr_sign(const char *csr_pem, size_t len, const pki_cert *ca, const pki_key *ca_key,
                 pki_usage usage, int days, const pki_names *override_names, pki_cert **out,
                 char *err, size_t errlen);

/* Human-readable facts about a certificate. Strings are owned by the info
 * and freed by pki_cert_info_free. */
typedef struct pki_cert_info {
    char *subject, *issuer;
    char *serial_hex;
    char **sans;
    size_t nsans;                    /* "DNS:x", "IP Address:1.2.3.4", "URI:...", "email:..." */
    long long not_before, not_after; /* unix seconds */
    char sha256_fp[96];              /* "AB:CD:..." */
    int is_ca;
} pki_cert_info;

int pki_cert_get_info(const pki_cert *cert, pki_cert_info *out);
int pki_x509_get_info(const struct x509_st *x, pki_cert_info *out);
void pki_cert_info_free(pki_cert_info *info);

/* Verifies cert against ca (chain of one) at the current time. */
int pki_cert_verify(const pki_cert *cert, const pki_cert *ca, char *err, size_t errlen);

/* Identity: non-zero when a DNS, IP, URI or email SAN, or the CN, of x
 * matches the glob pattern (util_glob_match semantics, case-insensitive for
 * DNS names). A CN or SAN holding a NUL byte never matches. */
int pki_x509_name_matches(const struct x509_st *x, const char *pattern);
/* Exact (non-glob) identity match of a peer name (DNS or IP literal). */
int pki_x509_host_matches(const struct x509_st *x, const char *name);

/* Accessors for the TLS layer. Borrowed pointers. */
struct x509_st *pki_cert_x509(const pki_cert *cert);
struct evp_pkey_st *pki_key_evp(const pki_key *key);

/* ---- secrets (pki_secret.c): passwords, tokens, hashes ---- */

/* Room for a pki_password_hash result, NUL included. */
#define PKI_PASSWORD_HASH_MAX 160
/* Hashes a password for storage: "pbkdf2-sha256$<iter>$<salt b64>$<hash b64>"
 * with a random 16-byte salt. 0, or SK_ETOOBIG when outlen is too small. */
int pki_password_hash(const char *password, char *out, size_t outlen);
/* 0 when password matches stored; SK_ECERT on mismatch; SK_EINVAL when stored
 * is not a string pki_password_hash makes. The comparison is constant time. */
int pki_password_verify(const char *password, const char *stored);
/* nbytes_entropy random bytes from the CSPRNG as lowercase hex (URL-safe):
 * out must hold 2 * nbytes_entropy + 1 bytes. 0 or SK_ETLS. */
int pki_random_token(char *out, size_t nbytes_entropy);
/* Lowercase hex SHA-256 of p. */
int pki_sha256_hex(const void *p, size_t len, char out[65]);
/* Lowercase hex SHA-256 of the DER of the first certificate in a PEM file:
 * the CA pin of join tokens. 0 or an error (file unreadable, not PEM). */
int pki_cert_der_sha256_file(const char *cert_pem_file, char out[65]);
/* The same for a loaded certificate. */
int pki_cert_der_sha256(const pki_cert *cert, char out[65]);
/* Constant-time comparison of two NUL-terminated secrets (lengths may differ;
 * only the length leaks). Non-zero when equal. */
int pki_secret_equal(const char *a, const char *b);

#endif
