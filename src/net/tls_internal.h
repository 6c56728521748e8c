/* tls_internal.h - what tls_ctx.c and tls_conn.c share and nobody else sees.
 *
 * A tls_ctx is immutable after tls_ctx_build() except for its reference
 * count, so live conns can keep using it while the owner swaps in a new one.
 */
#ifndef SEALKV_NET_TLS_INTERNAL_H
#define SEALKV_NET_TLS_INTERNAL_H

#include <openssl/ssl.h>
#include <sys/types.h>

/* OpenSSL's stack.h keeps a deprecated alias "sk_free" that would rename
 * core/mem.h's sk_free; OpenSSL's own macros use OPENSSL_sk_free. */
#undef sk_free

#include "tls.h"

#define TLS_MAX_CA_SUMMARIES 8
#define TLS_MAX_FILES 8

typedef struct tls_cert_summary {
    int present;
    char subject[256];
    char serial[80];
    long long not_after; /* unix seconds */
} tls_cert_summary;

typedef struct tls_file_fp {
    char *path; /* owned */
    int exists;
    long long mtime_ns;
    long long size;
    ino_t ino;
} tls_file_fp;

struct tls_ctx {
    int refs;             /* atomic */
    SSL_CTX *server;      /* owned; NULL when built without a server certificate */
    SSL_CTX *client;      /* owned */
    tls_stats *stats;     /* borrowed; may be NULL */
    char **allowed_names; /* owned copies */
    int allowed_names_count;
    int max_handshakes_per_loop;
    int handshake_timeout_ms; /* <= 0: none */
    tls_cert_summary server_cert, client_cert;
    tls_cert_summary ca[TLS_MAX_CA_SUMMARIES];
    int nca;
    tls_file_fp files[TLS_MAX_FILES];
    int nfiles;
};

/* The verify callback installed on both SSL_CTXs (tls_conn.c): applies
 * tls-allowed-names on the server and the expected peer name on clients. */
int tls__verify_cb(int preverify_ok, X509_STORE_CTX *xs);

/* Drains the OpenSSL error queue into buf as "prefix: reason; reason". */
void tls__drain_errors(char *buf, size_t len, const char *prefix);

#endif
