/* tls_https_client.c - the blocking HTTPS client of https_client.h.
 *
 * Plain OpenSSL on a non-blocking socket with poll() against one deadline,
 * so a silent server cannot hold a CLI longer than timeout_ms. Responses are
 * parsed with libhttp-parser. Verification modes: CA file (OpenSSL's chain
 * check plus host name), or CA pin (our own check after the handshake and
 * before the first request byte; see the header).
 */
#ifndef OPENSSL_API_COMPAT
#define OPENSSL_API_COMPAT 30000
#endif
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#undef sk_free

#include "https_client.h"

#include "../core/err.h"
#include "../core/mem.h"
#include "../core/sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESPONSE_BODY (64 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS 10000

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events. 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)left);
        if (n > 0) return 0;
        if (n < 0 && errno != EINTR) return -errno;
    }
}

/* Drains OpenSSL's error queue into err after a prefix. */
static void ssl_err(char *err, size_t errlen, const char *what) {
    unsigned long e = ERR_get_error();
    char reason[160] = "";
    if (e != 0) ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, errlen, "%s%s%s", what, reason[0] ? ": " : "", reason);
}

static int connect_tcp(const char *host, int port, int64_t deadline, char *err, size_t errlen) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char portstr[16];
    int fd = -1, rc = -ECONNREFUSED;
    snprintf(portstr, sizeof(portstr), "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
        return SK_EINVAL;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (errno == EINPROGRESS) {
            rc = wait_fd(fd, POLLOUT, deadline);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            if (rc == 0) rc = -soerr;
        } else {
            rc = -errno;
        }
        close(fd);
        fd = -1;
        if (rc == -ETIMEDOUT) break;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, sk_strerror(rc));
        return rc;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* request right after Finished */
    return fd;
}

/* Runs an SSL call that may want I/O until it succeeds. Returns its result
 * (> 0), 0 on a clean close (reads), or a negative error. */
static int ssl_io(SSL *ssl, int fd, int64_t deadline, int (*op)(SSL *, void *, int), void *buf,
                  int len) {
    for (;;) {
        ERR_clear_error();
        int n = op(ssl, buf, len);
        if (n > 0) return n;
        int e = SSL_get_error(ssl, n);
        int rc;
        if (e == SSL_ERROR_WANT_READ)
            rc = wait_fd(fd, POLLIN, deadline);
        else if (e == SSL_ERROR_WANT_WRITE)
            rc = wait_fd(fd, POLLOUT, deadline);
        else if (e == SSL_ERROR_ZERO_RETURN)
            return 0;
        else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            return 0; /* EOF w/o notify */
        else
            return SK_ETLS;
        if (rc != 0) return rc;
    }
}

static int op_connect(SSL *ssl, void *buf, int len) {
    (void)buf;
    (void)len;
    return SSL_connect(ssl);
}
static int op_read(SSL *ssl, void *buf, int len) {
    return SSL_read(ssl, buf, len);
}
static int op_write(SSL *ssl, void *buf, int len) {
    return SSL_write(ssl, buf, len);
}

static int is_ip(const char *host) {
    unsigned char b[16];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static int set_host_check(X509_VERIFY_PARAM *vp, const char *host) {
    if (is_ip(host)) return X509_VERIFY_PARAM_set1_ip_asc(vp, host) == 1 ? 0 : SK_EINVAL;
    return X509_VERIFY_PARAM_set1_host(vp, host, 0) == 1 ? 0 : SK_EINVAL;
}

static void hex_of(const unsigned char *p, size_t n, char *out) {
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[p[i] >> 4];
        out[2 * i + 1] = h[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int cert_matches_pin(X509 *x, const char *pin) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1) return 0;
    hex_of(md, mdlen, hex);
    return strlen(pin) == 2 * (size_t)mdlen && strcasecmp(hex, pin) == 0;
}

static char *x509_to_pem(X509 *x) {
    BIO *b = BIO_new(BIO_s_mem());
    char *out = NULL, *data;
    if (b != NULL && PEM_write_bio_X509(b, x) == 1) {
        long n = BIO_get_mem_data(b, &data);
        if (n > 0) {
            out = sk_malloc((size_t)n + 1);
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

/* The pin check: a self-signed CA with the pinned hash in the sent chain, and
 * the leaf verifying against that CA alone (and naming host). */
static int check_pin(SSL *ssl, const https_target *t, const char *host, https_response *out,
                     char *err, size_t errlen) {
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509 *leaf = SSL_get0_peer_certificate(ssl), *ca = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *vctx = NULL;
    int rc = SK_ECERT;
    if (leaf == NULL || chain == NULL) {
        snprintf(err, errlen, "the server sent no certificate");
        return SK_ECERT;
    }
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        if (X509_check_issued(x, x) == X509_V_OK && cert_matches_pin(x, t->ca_pin_sha256)) {
            ca = x;
            break;
        }
    }
    if (ca == NULL) {
        snprintf(err, errlen, "the server's certificate chain has no CA matching the pinned hash");
        return SK_ECERT;
    }
    store = X509_STORE_new();
    vctx = X509_STORE_CTX_new();
    if (store == NULL || vctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
        X509_STORE_CTX_init(vctx, store, leaf, chain) != 1) {
        ssl_err(err, errlen, "pin check");
        rc = SK_ETLS;
        goto cleanup;
    }
    X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_SERVER);
    if (!t->skip_host_check && set_host_check(X509_STORE_CTX_get0_param(vctx), host) != 0) {
        snprintf(err, errlen, "pin check: bad host name %s", host);
        goto cleanup;
    }
    if (X509_verify_cert(vctx) != 1) {
        snprintf(err, errlen, "server certificate rejected: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
        ERR_clear_error();
        goto cleanup;
    }
    sk_free(out->ca_pem);
    out->ca_pem = x509_to_pem(ca);
    rc = 0;
cleanup:
    X509_STORE_CTX_free(vctx);
    X509_STORE_free(store);
    return rc;
}

static SSL_CTX *make_ctx(const https_target *t, char *err, size_t errlen) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) goto fail;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (t->ca_pin_sha256 != NULL && t->ca_pin_sha256[0]) {
        /* Checked by check_pin after the handshake, before anything is sent. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        if (SSL_CTX_load_verify_locations(ctx, t->ca_file, NULL) != 1) {
            SSL_CTX_free(ctx);
            ssl_err(err, errlen, "cannot load the CA file");
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
fail:
    ssl_err(err, errlen, "TLS context");
    return NULL;
}

/* ---- response parsing ---- */

typedef struct resp_state {
    https_response *r;
    sbuf body;
    char field[64];
    int want; /* 1: Location, 2: Content-Type, 0: other */
    int done;
    int too_big;
} resp_state;

static int on_hfield(http_parser *p, const char *at, size_t n) {
    resp_state *rs = p->data;
    if (rs->want != -1) rs->field[0] = '\0'; /* a new field (else: its continuation) */
    size_t l = strlen(rs->field);
    if (l + n < sizeof(rs->field)) {
        memcpy(rs->field + l, at, n);
        rs->field[l + n] = '\0';
    } else {
        snprintf(rs->field, sizeof(rs->field), "-"); /* too long to be one we want */
    }
    rs->want = -1;
    return 0;
}

static int on_hvalue(http_parser *p, const char *at, size_t n) {
    resp_state *rs = p->data;
    char **dst = NULL;
    if (rs->want == -1) { /* first value piece after a field */
        rs->want = strcasecmp(rs->field, "Location") == 0       ? 1
                   : strcasecmp(rs->field, "Content-Type") == 0 ? 2
                                                                : 0;
        rs->field[0] = '\0';
        if (rs->want == 1) sk_free(rs->r->location), rs->r->location = NULL;
        if (rs->want == 2) sk_free(rs->r->content_type), rs->r->content_type = NULL;
    }
    if (rs->want == 1) dst = &rs->r->location;
    if (rs->want == 2) dst = &rs->r->content_type;
    if (dst != NULL) {
        size_t old = *dst ? strlen(*dst) : 0;
        if (old + n > 8192) return 1;
        *dst = sk_realloc(*dst, old + n + 1);
        memcpy(*dst + old, at, n);
        (*dst)[old + n] = '\0';
    }
    return 0;
}

static int on_hdone(http_parser *p) {
    resp_state *rs = p->data;
    rs->want = 0;
    rs->field[0] = '\0';
    return 0;
}

static int on_rbody(http_parser *p, const char *at, size_t n) {
    resp_state *rs = p->data;
    if (rs->body.len + n > MAX_RESPONSE_BODY) {
        rs->too_big = 1;
        return 1;
    }
    sbuf_append(&rs->body, at, n);
    return 0;
}

static int on_rdone(http_parser *p) {
    resp_state *rs = p->data;
    rs->done = 1;
    return 0;
}

static const http_parser_settings resp_settings = {
    .on_header_field = on_hfield,
    .on_header_value = on_hvalue,
    .on_headers_complete = on_hdone,
    .on_body = on_rbody,
    .on_message_complete = on_rdone,
};

/* Standard base64 of user:password into an owned string. */
static char *basic_credentials(const char *user, const char *password) {
    size_t n = strlen(user) + 1 + strlen(password);
    unsigned char *plain = sk_malloc(n + 1);
    snprintf((char *)plain, n + 1, "%s:%s", user, password);
    char *out = sk_malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, plain, (int)n);
    OPENSSL_cleanse(plain, n);
    sk_free(plain);
    return out;
}

static int build_request(const https_target *t, const char *host, int port, const char *method,
                         const char *path, const char *json_body, sbuf *req) {
    int v6 = strchr(host, ':') != NULL;
    sbuf_appendf(req, "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n", method, path, v6 ? "[" : "", host,
                 v6 ? "]" : "", port);
    sbuf_append_str(req, "User-Agent: sealkv\r\nAccept: application/json\r\n"
                         "Connection: close\r\n");
    if (t->user != NULL && t->user[0]) {
        char *cred = basic_credentials(t->user, t->password ? t->password : "");
        sbuf_appendf(req, "Authorization: Basic %s\r\n", cred);
        OPENSSL_cleanse(cred, strlen(cred));
        sk_free(cred);
    }
    if (json_body != NULL)
        sbuf_appendf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(json_body), json_body);
    else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        sbuf_append_str(req, "Content-Length: 0\r\n\r\n");
    else
        sbuf_append_str(req, "\r\n");
    return 0;
}

static int read_response(SSL *ssl, int fd, int64_t deadline, https_response *out, char *err,
                         size_t errlen) {
    http_parser p;
    resp_state rs = {.r = out};
    char buf[16384];
    int rc = 0;
    sbuf_init(&rs.body);
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = &rs;
    while (!rs.done) {
        int n = ssl_io(ssl, fd, deadline, op_read, buf, sizeof(buf));
        if (n < 0) {
            if (n == -ETIMEDOUT)
                snprintf(err, errlen, "timed out waiting for the response");
            else
                ssl_err(err, errlen, "reading the response");
            rc = n;
            goto cleanup;
        }
        size_t used = http_parser_execute(&p, &resp_settings, buf, (size_t)n);
        if (n == 0) break; /* EOF (already signalled to the parser by a 0-byte execute) */
        if (HTTP_PARSER_ERRNO(&p) != HPE_OK || used != (size_t)n) {
            snprintf(err, errlen, "%s",
                     rs.too_big ? "response body too large" : "malformed HTTP response");
            rc = SK_EPROTO;
            goto cleanup;
        }
    }
    if (!rs.done) {
        snprintf(err, errlen, "the server closed the connection before a complete response");
        rc = SK_ECLOSED;
        goto cleanup;
    }
    out->status = p.status_code;
    sbuf_append(&rs.body, "", 0);
    out->body = rs.body.data;
    out->body_len = rs.body.len;
    rs.body.data = NULL;
cleanup:
    sbuf_free(&rs.body);
    return rc;
}

/* One request to one host; no redirects. */
static int request_once(const https_target *t, const char *host, int port, const char *method,
                        const char *path, const char *json_body, https_response *out, char *err,
                        size_t errlen) {
    int64_t deadline = now_ms() + (t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS);
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    sbuf req;
    int fd = -1, rc;
    sbuf_init(&req);

    ctx = make_ctx(t, err, errlen);
    if (ctx == NULL) return SK_ETLS;
    fd = connect_tcp(host, port, deadline, err, errlen);
    if (fd < 0) {
        rc = fd;
        goto cleanup;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        ssl_err(err, errlen, "TLS session");
        rc = SK_ETLS;
        goto cleanup;
    }
    if (!is_ip(host)) SSL_set_tlsext_host_name(ssl, host);
    if (!(t->ca_pin_sha256 && t->ca_pin_sha256[0]) && set_host_check(SSL_get0_param(ssl), host)) {
        snprintf(err, errlen, "bad host name %s", host);
        rc = SK_EINVAL;
        goto cleanup;
    }
    rc = ssl_io(ssl, fd, deadline, op_connect, NULL, 0);
    if (rc <= 0) {
        long vr = SSL_get_verify_result(ssl);
        if (rc == -ETIMEDOUT) {
            snprintf(err, errlen, "TLS handshake with %s:%d timed out", host, port);
        } else if (vr != X509_V_OK) {
            snprintf(err, errlen, "server certificate rejected: %s",
                     X509_verify_cert_error_string(vr));
            ERR_clear_error();
            rc = SK_ECERT;
        } else {
            ssl_err(err, errlen, "TLS handshake failed");
            rc = SK_ETLS;
        }
        if (rc == 0) rc = SK_ECLOSED;
        goto cleanup;
    }
    if (t->ca_pin_sha256 && t->ca_pin_sha256[0]) {
        rc = check_pin(ssl, t, host, out, err, errlen);
        if (rc != 0) goto cleanup; /* nothing was sent */
    }
    build_request(t, host, port, method, path, json_body, &req);
    for (size_t off = 0; off < req.len;) {
        int n = ssl_io(ssl, fd, deadline, op_write, req.data + off, (int)(req.len - off));
        if (n <= 0) {
            if (n == -ETIMEDOUT)
                snprintf(err, errlen, "timed out sending the request");
            else
                ssl_err(err, errlen, "sending the request");
            rc = n < 0 ? n : SK_ECLOSED;
            goto cleanup;
        }
        off += (size_t)n;
    }
    rc = read_response(ssl, fd, deadline, out, err, errlen);
cleanup:
    if (req.data != NULL) OPENSSL_cleanse(req.data, req.len); /* holds the credentials */
    sbuf_free(&req);
    if (ssl != NULL) {
        if (rc == 0) SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    if (fd >= 0) close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int https_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                    size_t pathlen) {
    const char *p, *hend, *rest;
    if (strncasecmp(url, "https://", 8) != 0) return SK_EINVAL;
    p = url + 8;
    int bracketed = *p == '[';
    if (bracketed) {
        hend = strchr(p, ']');
        if (hend == NULL) return SK_EINVAL;
        p++;
        rest = hend + 1;
    } else {
        hend = p + strcspn(p, ":/?");
        rest = hend;
    }
    size_t hl = (size_t)(hend - p);
    if (hl == 0 || hl >= hostlen) return SK_EINVAL;
    for (size_t i = 0; i < hl; i++) {
        char c = p[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || (c == ':' && bracketed);
        if (!ok) return SK_EINVAL;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    *port = 443;
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || v <= 0 || v > 65535) return SK_EINVAL;
        *port = (int)v;
        rest = end;
    }
    if (*rest != '\0' && *rest != '/' && *rest != '?') return SK_EINVAL;
    int n = snprintf(path, pathlen, "%s%s", *rest == '/' ? "" : "/", rest);
    if (n < 0 || (size_t)n >= pathlen) return SK_EINVAL;
    return 0;
}

static int is_redirect(int st) {
    return st == 301 || st == 302 || st == 307 || st == 308;
}

int https_request(const https_target *t, const char *method, const char *path,
                  const char *json_body, https_response *out, char *err, size_t errlen) {
    char host[256], cur_path[2048];
    int port = t->port, rc;
    memset(out, 0, sizeof(*out));
    if (err != NULL && errlen > 0) err[0] = '\0';
    if (t->host == NULL || path == NULL || method == NULL ||
        ((t->ca_file == NULL || !t->ca_file[0]) &&
         (t->ca_pin_sha256 == NULL || !t->ca_pin_sha256[0]))) {
        snprintf(err, errlen, "host, path and a CA file or CA pin are required");
        return SK_EINVAL;
    }
    snprintf(host, sizeof(host), "%s", t->host);
    snprintf(cur_path, sizeof(cur_path), "%s", path);
    for (int hop = 0;; hop++) {
        rc = request_once(t, host, port, method, cur_path, json_body, out, err, errlen);
        if (rc != 0 || !is_redirect(out->status) || out->location == NULL ||
            hop >= t->follow_redirects)
            return rc;
        if (out->location[0] == '/') {
            snprintf(cur_path, sizeof(cur_path), "%s", out->location);
        } else if (https_parse_url(out->location, host, sizeof(host), &port, cur_path,
                                   sizeof(cur_path)) != 0) {
            snprintf(err, errlen, "cannot follow the redirect to %s", out->location);
            return SK_EPROTO;
        }
        char *ca_pem = out->ca_pem;
        out->ca_pem = NULL;
        https_response_free(out);
        out->ca_pem = ca_pem; /* the same pin is checked again on the next hop */
    }
}

void https_response_free(https_response *r) {
    if (r == NULL) return;
    sk_free(r->body);
    sk_free(r->ca_pem);
    sk_free(r->location);
    sk_free(r->content_type);
    memset(r, 0, sizeof(*r));
}
