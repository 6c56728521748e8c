/* pki_internal.h - what the pki_*.c files share and nobody else sees.
 *
 * The opaque pki_key / pki_cert structs are single-field wrappers so that the
 * public header needs no OpenSSL include; each owns its OpenSSL object.
 */
#ifndef SEALKV_PKI_PKI_INTERNAL_H
#define SEALKV_PKI_PKI_INTERNAL_H

/* Hide OpenSSL's pre-1.1 stack macros (sk_free is also our allocator's free)
 * and every other deprecated API. Must come before any OpenSSL header, so
 * this header is the first include of every pki_*.c file. */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif

#include "pki.h"

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct pki_key {
    EVP_PKEY *pkey; /* owned */
};

struct pki_cert {
    X509 *x509; /* owned */
};

/* Formats "msg: <OpenSSL reasons>" into err (when non-NULL), draining the
 * OpenSSL error queue so that a later failure does not report stale reasons.
 * Returns code, so callers can write `return pki__fail(...)`. */
int pki__fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Atomically replaces path with what fn writes (fn returns 1 on success),
 * the file having the given mode from its creation on. */
typedef int (*pki__writer)(FILE *fp, const void *arg);
int pki__write_file(const char *path, unsigned mode, pki__writer fn, const void *arg, char *err,
                    size_t errlen);

/* GENERAL_NAMES (owned by the caller) for the SANs in names; NULL with err
 * set when a value is malformed or when there is no SAN at all (*rc = 0). */
GENERAL_NAMES *pki__names_to_gens(const pki_names *names, int *rc, char *err, size_t errlen);

/* Wraps x (ownership transferred) in a new pki_cert. */
pki_cert *pki__cert_wrap(X509 *x);

/* Subject CN as an owned NUL-terminated UTF-8 string, or NULL when the name
 * has no CN or the CN holds a NUL byte (which could hide a second name). */
char *pki__name_cn(const X509_NAME *name);

/* One GENERAL_NAME as a C string (owned): DNS, URI and email as their text,
 * IP as v4/v6 text. *kind receives the GEN_* type. NULL for other kinds, for
 * malformed values and for any value holding a NUL byte. */
char *pki__gen_name_text(const GENERAL_NAME *gen, int *kind);

#endif
