/* https_client.h - a small blocking HTTPS/1.1 client, for CLIs
 * (sealkv-admin) and `sealkv-node join`.
 *
 * One request per connection (Connection: close). Every step (resolve,
 * connect, handshake, write, read) shares one deadline of timeout_ms. The
 * server is verified either against a CA file (chain + host name), or against
 * a pinned CA hash (join tokens): the chain the server sends must contain a
 * self-signed CA certificate whose DER has that SHA-256, the leaf must verify
 * against that CA alone, and the host must match the leaf - all checked
 * before any request byte is sent. Passwords are never logged or put in err.
 * Implemented in tls_https_client.c (OpenSSL stays in src/net/tls*.c).
 */
#ifndef SEALKV_NET_HTTPS_CLIENT_H
#define SEALKV_NET_HTTPS_CLIENT_H

#include <stddef.h>

/* Strings borrowed for the duration of the call. */
typedef struct https_target {
    const char *host; /* DNS name or IP literal; must match the server cert */
    int port;
    const char *ca_file;         /* verify the server chain against this CA, or */
    const char *ca_pin_sha256;   /* hex SHA-256 of the CA certificate's DER (see above) */
    const char *user, *password; /* Basic auth, may be NULL */
    int timeout_ms;              /* 0: 10 s */
    /* Additions to the brief's contract: */
    int follow_redirects; /* how many 301/302/307/308 to follow (same CA/pin/credentials) */
    int skip_host_check;  /* with a pin only: accept any name in the leaf */
} https_target;

typedef struct https_response {
    int status;
    char *body; /* owned, NUL-terminated */
    size_t body_len;
    char *ca_pem;       /* owned; with ca_pin_sha256: the pinned CA, PEM; else NULL */
    char *location;     /* owned; the Location header of the last response, or NULL */
    char *content_type; /* owned or NULL */
} https_response;

/* json_body may be NULL (no body); when set it is sent as application/json.
 * Returns 0 when a response was received (whatever its status), else an
 * error with the reason in err (SK_ECERT: the server was not trusted, and
 * then nothing was sent). out is zeroed first; free it with
 * https_response_free in every case. */
int https_request(const https_target *t, const char *method, const char *path,
                  const char *json_body, https_response *out, char *err, size_t errlen);
void https_response_free(https_response *r);

/* Parses "https://host:port/path" (host may be [v6]) into the given buffers;
 * for following a Location. 0 or SK_EINVAL. */
int https_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                    size_t pathlen);

#endif
