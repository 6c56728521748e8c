/* tls.h - TLS contexts and TLS connections (OpenSSL 3).
 *
 * A tls_ctx is built from one tls_config and is immutable once built; it holds
 * the server-side and client-side SSL_CTX and a summary of the loaded
 * certificates. Reload = build a new ctx and swap the owner's pointer: new
 * connections take the new ctx, live connections keep a reference to the one
 * they started with (tls_ctx is reference counted). A failed build leaves
 * nothing changed and explains why in err.
 *
 * Connections: conn_create_tls_accepted() wraps an accepted fd for the server
 * side; conn_create_tls_client() for outgoing links (replication, proxy,
 * control plane), optionally requiring a name in the peer certificate.
 * Handshakes are counted and failures classified in the tls_stats the ctx
 * was built with (owned by the caller, must outlive every ctx using it).
 *
 * Only net/tls*.c and pki/ include OpenSSL headers.
 */
#ifndef SEALKV_NET_TLS_H
#define SEALKV_NET_TLS_H

#include <stdint.h>

#include "../core/sbuf.h"
#include "conn.h"

typedef enum { TLS_AUTH_NO = 0, TLS_AUTH_YES = 1, TLS_AUTH_OPTIONAL = 2 } tls_auth_mode;

/* Protocol bits for tls_config.protocols. */
#define TLS_PROTO_1_0 (1 << 0)
#define TLS_PROTO_1_1 (1 << 1)
#define TLS_PROTO_1_2 (1 << 2)
#define TLS_PROTO_1_3 (1 << 3)
#define TLS_PROTO_DEFAULT (TLS_PROTO_1_2 | TLS_PROTO_1_3)

/* Everything a context is built from. Strings are borrowed for the duration
 * of tls_ctx_build only; NULL or "" means unset. */
typedef struct tls_config {
    const char *cert_file, *key_file, *key_file_pass;
    const char *client_cert_file, *client_key_file, *client_key_file_pass;
    const char *ca_cert_file, *ca_cert_dir;
    const char *dh_params_file;
    tls_auth_mode auth_clients;
    int protocols;            /* TLS_PROTO_* bits; 0 means TLS_PROTO_DEFAULT */
    const char *ciphers;      /* TLS <= 1.2 cipher list; NULL: forward-secret AEAD only */
    const char *ciphersuites; /* TLS 1.3 suites; NULL: OpenSSL's default */
    int prefer_server_ciphers;
    int session_caching;
    long session_cache_size;
    long session_cache_timeout;
    /* Glob patterns for the client certificate's SANs/CN. When set, a
     * client certificate is required whatever auth_clients says. */
    const char **allowed_names;
    int allowed_names_count;
    int need_server_cert; /* refuse a config without cert/key (server side) */
    /* Handshake steps run per loop iteration on this thread (0: no bound).
     * Beyond it, handshakes wait for the next iteration (conn_process_pending
     * resumes them), so a storm of new TLS clients cannot starve the
     * established ones. */
    int max_handshakes_per_loop;
    /* A TCP connect plus handshake (either side) not done in this time
     * fails (fail_timeout). 0: 10 s; negative: no limit. */
    int handshake_timeout_ms;
} tls_config;

/* Counters. One per server (or per plane in the node), owned by the caller. */
typedef struct tls_stats {
    uint64_t handshakes_ok;
    uint64_t handshakes_failed;
    uint64_t fail_no_cert;   /* client sent no certificate but one is required */
    uint64_t fail_untrusted; /* chain does not verify (foreign CA, self-signed) */
    uint64_t fail_expired;   /* peer certificate expired or not yet valid */
    uint64_t fail_name;      /* tls-allowed-names / peer name mismatch */
    uint64_t fail_protocol;  /* version / cipher / not TLS at all */
    uint64_t fail_other;
    uint64_t fail_timeout; /* handshake (or TLS client's connect) took too long */
    uint64_t resumed;      /* sessions resumed */
    uint64_t ctx_reloads;
    uint64_t ctx_reload_failures;
} tls_stats;

typedef struct tls_ctx tls_ctx;

/* Parses "TLSv1.2 TLSv1.3" style lists into TLS_PROTO_* bits; 0 or SK_ECONFIG. */
int tls_parse_protocols(const char *s, int *out);

/* Builds a context. Checks: files readable, key matches cert, cert currently
 * valid (not expired, not yet-valid), CA loads. Returns 0 and an owned ctx
 * (refcount 1), or a negative error with the reason in err. */
int tls_ctx_build(const tls_config *cfg, tls_stats *stats, tls_ctx **out, char *err, size_t errlen);
tls_ctx *tls_ctx_retain(tls_ctx *ctx);
void tls_ctx_release(tls_ctx *ctx);

/* Appends INFO-style "key:value\r\n" lines describing the loaded certificates
 * (subject, serial, not-after, seconds to expiry for server, client and CA):
 *   <prefix>server_cert_subject / _serial / _not_after (unix s) / _expires_in_seconds
 *   <prefix>client_cert_... (when a client cert is loaded)
 *   <prefix>ca_cert_count, then <prefix>ca_cert_<i>_... for each CA in ca_cert_file */
void tls_ctx_info(const tls_ctx *ctx, const char *prefix, sbuf *out);
/* Appends the counters as "<prefix>handshakes_ok:N\r\n" ... lines. */
void tls_stats_info(const tls_stats *stats, const char *prefix, sbuf *out);
/* Modification fingerprint of every file the ctx was built from (mtime, size,
 * inode), for tls-auto-reload-interval: non-zero when any changed. */
int tls_ctx_files_changed(const tls_ctx *ctx);

/* Server side: takes ownership of fd (on NULL - ctx without a server
 * certificate, OpenSSL failure - the fd stays the caller's). The handshake
 * starts in conn_accept() and the loop drives it; the accept handler runs
 * once it completed (CONNECTED) or failed (CONN_STATE_ERROR: the failure is
 * already counted in the stats; the handler just closes). tls-allowed-names
 * are enforced during the handshake: a refused client never gets CONNECTED.
 * The conn keeps a reference to ctx. */
conn *conn_create_tls_accepted(ev_loop *loop, int fd, tls_ctx *ctx);
/* Client side: the peer's chain must verify against the ctx's CA (system
 * defaults without one). peer_name (may be NULL) must match a DNS/IP/URI SAN
 * or the CN of the peer's certificate (exact, or a glob), else the handshake
 * fails (counted as fail_name). A DNS peer_name is also sent as SNI. Use
 * conn_connect() next; its handler runs after the TLS handshake. */
conn *conn_create_tls_client(ev_loop *loop, tls_ctx *ctx, const char *peer_name);

/* Identity of the verified peer certificate of an established TLS conn
 * (NULL for non-TLS conns or no certificate). Writes the CN into buf. */
int conn_tls_peer_cn(conn *c, char *buf, size_t len);
/* Non-zero when c is a TLS conn. */
int conn_is_tls(const conn *c);
/* For the node's identity checks: calls fn for each URI SAN of the peer cert. */
int conn_tls_peer_uris(conn *c, void (*fn)(const char *uri, void *priv), void *priv);

#endif
