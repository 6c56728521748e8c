/* http.h - an HTTPS/1.1 server on our event loop, for the REST API.
 *
 * Connections and TLS come from src/net (the same machinery as every other
 * listener), parsing from libhttp-parser (see http_parse.h, which a fuzzer
 * drives without I/O). Only HTTPS: a plaintext request on the port fails the
 * TLS handshake and the connection is closed.
 *
 * Contract:
 * - One request at a time per connection: keep-alive and pipelining are safe
 *   (bytes after a complete request wait until its response is written).
 * - Limits, answered with a JSON error {"error_code":..,"description":..}
 *   and then the connection is closed: malformed request -> 400; body over
 *   max_body (default 1 MiB) -> 413; headers over max_header_bytes or
 *   max_headers -> 431; a request not complete within request_timeout_ms
 *   (slowloris) -> 408. An idle keep-alive connection is closed silently after
 *   idle_timeout_ms (request_timeout_ms before its first request). Beyond
 *   max_clients, new connections are closed at once.
 * - The handler is called once per complete request, from the loop. It (or
 *   anything later, e.g. after a Raft commit) calls exactly one http_respond_*
 *   on the exchange. req and its strings stay valid until then. If the
 *   client went away (or the server stopped) meanwhile, responding only frees
 *   the exchange. Authentication is the handler's job (401 responses get a
 *   WWW-Authenticate: Basic header added here).
 * - The loop's owner calls conn_process_pending(loop) from its before-sleep
 *   hook (TLS buffers plaintext the socket no longer signals; see conn.h).
 * - Passwords from Authorization headers are wiped when the exchange is
 *   freed and never logged.
 */
#ifndef SEALKV_NODE_HTTP_H
#define SEALKV_NODE_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "../core/ev.h"
#include "../net/tls.h"

typedef struct http_server http_server;
typedef struct http_exchange http_exchange; /* one request awaiting its single response */

/* All strings borrowed from the exchange; NUL-terminated. */
typedef struct http_request {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* percent-decoded path without query, e.g. "/v1/nodes/2" */
    const char *query;  /* raw query string or "" */
    const char *body;   /* NUL-terminated too (a NUL inside is possible) */
    size_t body_len;
    const char *content_type;    /* or NULL */
    int has_basic_auth;          /* a well-formed "Authorization: Basic" header */
    const char *user, *password; /* decoded; "" when !has_basic_auth */
    const char *peer;            /* "ip:port" */
} http_request;

typedef void http_handler_fn(void *ud, http_exchange *x, const http_request *req);

#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTP_DEFAULT_MAX_HEADER_BYTES (16 * 1024)
#define HTTP_DEFAULT_MAX_HEADERS 64
#define HTTP_DEFAULT_REQUEST_TIMEOUT_MS 10000
#define HTTP_DEFAULT_IDLE_TIMEOUT_MS 60000
#define HTTP_DEFAULT_MAX_CLIENTS 256

/* 0 in a numeric field means its default. */
typedef struct http_server_config {
    ev_loop *loop;    /* borrowed; outlives the server */
    const char *bind; /* address ("127.0.0.1", "*"); NULL = "*" */
    int port;         /* 0: the kernel picks one (tests; see http_server_port) */
    tls_ctx *tls;     /* borrowed: the server takes its own reference */
    size_t max_body;
    int max_clients;
    /* Additions to the brief's contract: */
    size_t max_header_bytes; /* request line + headers */
    int max_headers;
    int request_timeout_ms; /* first byte of a request to its last */
    int idle_timeout_ms;    /* keep-alive connection without a request */
} http_server_config;

/* Starts listening. Returns 0 and an owned server, or an error (err says why). */
int http_server_start(const http_server_config *cfg, http_handler_fn *h, void *ud,
                      http_server **out, char *err, size_t errlen);
/* New connections use tls (the server takes a reference; rotation); live
 * connections keep theirs. */
void http_server_set_tls(http_server *s, tls_ctx *tls);
/* Closes the listener and every connection; pending exchanges are detached
 * (responding to them later just frees them). Frees s. NULL is a no-op.
 * Not from inside the handler (defer it to a timer). */
void http_server_stop(http_server *s);
/* The bound port (useful with port 0). */
int http_server_port(const http_server *s);
/* Connections currently open. */
int http_server_clients(const http_server *s);

/* Exactly one response per exchange. */
void http_respond_json(http_exchange *x, int status, json_t *body /* stolen; NULL = no body */);
/* {"error_code":..,"description":..} */
void http_respond_error(http_exchange *x, int status, const char *error_code,
                        const char *description);
void http_respond_text(http_exchange *x, int status, const char *content_type, const void *body,
                       size_t len);
void http_respond_redirect(http_exchange *x, int status, const char *location);

/* A request header by name (case-insensitive), or NULL. Borrowed until the
 * response. */
const char *http_exchange_header(const http_exchange *x, const char *name);

/* Parses a JSON body: an owned object, or NULL with a description in err
 * (the caller replies 400). Arrays/scalars at the top are refused. The
 * Content-Type is not checked (curl -d sends a form type by default). */
json_t *http_parse_json_body(const http_request *req, char *err, size_t errlen);

#endif
