/* http_parse.c - requests from bytes: limits, headers, path, credentials.
 * See http_parse.h. libhttp-parser does the HTTP/1.x grammar; the callbacks
 * here copy what it reports into an http_msg and enforce our limits (its
 * own 80 KiB header limit stays as a second fence).
 */
#include "http_parse.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LIMIT_FAIL(rp, st, ...)                                                                    \
    do {                                                                                           \
        (rp)->status = (st);                                                                       \
        snprintf((rp)->error, sizeof((rp)->error), __VA_ARGS__);                                   \
        return 1;                                                                                  \
    } while (0)

static http_reqparser *RP(http_parser *p) {
    return p->data;
}

static http_msg *msg_new(void) {
    http_msg *m = sk_calloc(1, sizeof(*m));
    sbuf_init(&m->url);
    sbuf_init(&m->body);
    return m;
}

void http_msg_free(http_msg *m) {
    if (m == NULL) return;
    for (int i = 0; i < m->nhdrs; i++) {
        /* Authorization carries the password in base64. */
        if (m->hdrs[i].value != NULL) explicit_bzero(m->hdrs[i].value, strlen(m->hdrs[i].value));
        sk_free(m->hdrs[i].name);
        sk_free(m->hdrs[i].value);
    }
    sk_free(m->hdrs);
    if (m->password != NULL) explicit_bzero(m->password, strlen(m->password));
    sk_free(m->password);
    sk_free(m->user);
    sk_free(m->path);
    sk_free(m->query);
    sbuf_free(&m->url);
    sbuf_free(&m->body);
    sk_free(m);
}

const char *http_msg_header(const http_msg *m, const char *name) {
    for (int i = 0; i < m->nhdrs; i++)
        if (strcasecmp(m->hdrs[i].name, name) == 0) return m->hdrs[i].value;
    return NULL;
}

/* Appends n bytes to a NUL-terminated heap string. */
static void str_append(char **s, const char *p, size_t n) {
    size_t old = *s != NULL ? strlen(*s) : 0;
    *s = sk_realloc(*s, old + n + 1);
    memcpy(*s + old, p, n);
    (*s)[old + n] = '\0';
}

static int count_header_bytes(http_reqparser *rp, size_t n) {
    rp->header_bytes += n;
    return rp->header_bytes > rp->lim.max_header_bytes;
}

static int on_message_begin(http_parser *p) {
    http_reqparser *rp = RP(p);
    if (rp->cur == NULL) rp->cur = msg_new();
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
    http_reqparser *rp = RP(p);
    if (count_header_bytes(rp, n))
        LIMIT_FAIL(rp, 414, "request target longer than %zu bytes", rp->lim.max_header_bytes);
    sbuf_append(&rp->cur->url, at, n);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
    http_reqparser *rp = RP(p);
    http_msg *m = rp->cur;
    if (count_header_bytes(rp, n))
        LIMIT_FAIL(rp, 431, "request headers longer than %zu bytes", rp->lim.max_header_bytes);
    if (m->nhdrs == 0 || rp->in_value) {
        if (m->nhdrs >= rp->lim.max_headers)
            LIMIT_FAIL(rp, 431, "more than %d request headers", rp->lim.max_headers);
        if (m->nhdrs == m->caphdrs) {
            m->caphdrs = m->caphdrs ? m->caphdrs * 2 : 8;
            m->hdrs = sk_realloc(m->hdrs, (size_t)m->caphdrs * sizeof(*m->hdrs));
        }
        m->hdrs[m->nhdrs].name = NULL;
        m->hdrs[m->nhdrs].value = NULL;
        m->nhdrs++;
        rp->in_value = 0;
    }
    str_append(&m->hdrs[m->nhdrs - 1].name, at, n);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
    http_reqparser *rp = RP(p);
    http_msg *m = rp->cur;
    if (count_header_bytes(rp, n))
        LIMIT_FAIL(rp, 431, "request headers longer than %zu bytes", rp->lim.max_header_bytes);
    if (m->nhdrs == 0) return 1; /* cannot happen: a value follows a field */
    str_append(&m->hdrs[m->nhdrs - 1].value, at, n);
    rp->in_value = 1;
    return 0;
}

static int on_headers_complete(http_parser *p) {
    http_reqparser *rp = RP(p);
    http_msg *m = rp->cur;
    /* A header with an empty value never got a value callback. */
    for (int i = 0; i < m->nhdrs; i++)
        if (m->hdrs[i].value == NULL) str_append(&m->hdrs[i].value, "", 0);
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > rp->lim.max_body)
        LIMIT_FAIL(rp, 413, "request body of %llu bytes over the limit of %zu",
                   (unsigned long long)p->content_length, rp->lim.max_body);
    const char *expect = http_msg_header(m, "Expect");
    if (expect != NULL) {
        if (strcasecmp(expect, "100-continue") != 0)
            LIMIT_FAIL(rp, 417, "unsupported Expect: header");
        m->expect_continue = 1;
    }
    rp->headers_done = 1;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
    http_reqparser *rp = RP(p);
    if (rp->cur->body.len + n > rp->lim.max_body)
        LIMIT_FAIL(rp, 413, "request body over the limit of %zu bytes", rp->lim.max_body);
    sbuf_append(&rp->cur->body, at, n);
    return 0;
}

static int on_message_complete(http_parser *p) {
    http_reqparser *rp = RP(p);
    rp->cur->keep_alive = http_should_keep_alive(p);
    rp->done = 1;
    /* Stop right after this request: pipelined bytes wait for its answer. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_reqparser_init(http_reqparser *rp, const http_req_limits *lim) {
    memset(rp, 0, sizeof(*rp));
    http_parser_init(&rp->p, HTTP_REQUEST);
    rp->p.data = rp;
    rp->lim.max_body = lim && lim->max_body ? lim->max_body : HTTP_DEFAULT_MAX_BODY;
    rp->lim.max_header_bytes =
        lim && lim->max_header_bytes ? lim->max_header_bytes : HTTP_DEFAULT_MAX_HEADER_BYTES;
    rp->lim.max_headers = lim && lim->max_headers ? lim->max_headers : HTTP_DEFAULT_MAX_HEADERS;
    if (rp->lim.max_headers > HTTP_HARD_MAX_HEADERS) rp->lim.max_headers = HTTP_HARD_MAX_HEADERS;
}

void http_reqparser_free(http_reqparser *rp) {
    http_msg_free(rp->cur);
    rp->cur = NULL;
}

int http_reqparser_headers_done(const http_reqparser *rp) {
    return rp->headers_done;
}

int http_reqparser_expect_continue(const http_reqparser *rp) {
    return rp->headers_done && rp->cur != NULL && rp->cur->expect_continue;
}

int http_reqparser_in_request(const http_reqparser *rp) {
    return rp->cur != NULL;
}

int http_reqparser_feed(http_reqparser *rp, const char *data, size_t len, size_t *consumed) {
    *consumed = 0;
    if (rp->done) return HTTP_PARSE_DONE;
    if (rp->status) return rp->status;
    size_t n = http_parser_execute(&rp->p, &settings, data, len);
    *consumed = n;
    enum http_errno e = HTTP_PARSER_ERRNO(&rp->p);
    if (rp->status) return rp->status;
    if (e == HPE_PAUSED && rp->done) return HTTP_PARSE_DONE;
    if (e != HPE_OK) {
        rp->status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
        if (e == HPE_INVALID_VERSION) rp->status = 505;
        snprintf(rp->error, sizeof(rp->error), "malformed request: %s", http_errno_description(e));
        return rp->status;
    }
    if (rp->p.upgrade) {
        rp->status = 501;
        snprintf(rp->error, sizeof(rp->error), "protocol upgrade and CONNECT are not supported");
        return rp->status;
    }
    if (n != len) { /* cannot happen without an errno, but never loop on it */
        rp->status = 400;
        snprintf(rp->error, sizeof(rp->error), "malformed request");
        return rp->status;
    }
    return HTTP_PARSE_MORE;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [s, s+n) into an owned string; NULL on a bad escape or %00. */
static char *percent_decode(const char *s, size_t n) {
    char *out = sk_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= n) {
            sk_free(out);
            return NULL;
        }
        int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
        if (h < 0 || l < 0 || (h == 0 && l == 0)) {
            sk_free(out);
            return NULL;
        }
        out[o++] = (char)(h * 16 + l);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 (padding required) into an owned NUL-terminated buffer,
 * *outlen bytes; NULL when malformed. */
static char *b64_decode(const char *s, size_t n, size_t *outlen) {
    if (n == 0 || n % 4 != 0) return NULL;
    char *out = sk_malloc(n / 4 * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = pad ? -1 : b64val(c);
            if (v[k] < 0) goto bad;
        }
        if (pad == 1 && s[i + 2] == '=') goto bad;
        unsigned trip = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        out[o++] = (char)(trip >> 16);
        if (pad < 2) out[o++] = (char)(trip >> 8 & 255);
        if (pad < 1) out[o++] = (char)(trip & 255);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
bad:
    explicit_bzero(out, n / 4 * 3 + 1);
    sk_free(out);
    return NULL;
}

/* "Basic <b64(user:password)>" (RFC 7617); anything else leaves no credentials. */
static void parse_basic_auth(http_msg *m) {
    const char *h = http_msg_header(m, "Authorization");
    if (h == NULL || strncasecmp(h, "Basic ", 6) != 0) return;
    h += 6;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    size_t dlen = 0;
    char *dec = b64_decode(h, n, &dlen);
    if (dec == NULL) return;
    char *colon = memchr(dec, ':', dlen);
    if (colon != NULL && memchr(dec, '\0', dlen) == NULL) {
        *colon = '\0';
        m->user = sk_strdup(dec);
        m->password = sk_strdup(colon + 1);
        m->req.has_basic_auth = 1;
    }
    explicit_bzero(dec, dlen);
    sk_free(dec);
}

/* Splits the request target into path (decoded) and raw query. Origin form
 * ("/a?b") is what we serve; absolute form is accepted for its path. */
static int split_target(http_reqparser *rp, http_msg *m) {
    struct http_parser_url u;
    http_parser_url_init(&u);
    int is_connect = rp->p.method == HTTP_CONNECT;
    if (m->url.len == 0 || http_parser_parse_url(m->url.data, m->url.len, is_connect, &u) != 0) {
        snprintf(rp->error, sizeof(rp->error), "malformed request target");
        return 400;
    }
    const char *path = "/";
    size_t plen = 1;
    if (u.field_set & (1 << UF_PATH)) {
        path = m->url.data + u.field_data[UF_PATH].off;
        plen = u.field_data[UF_PATH].len;
    }
    if (plen == 0 || path[0] != '/') {
        snprintf(rp->error, sizeof(rp->error), "the request target must be an absolute path");
        return 400;
    }
    m->path = percent_decode(path, plen);
    if (m->path == NULL) {
        snprintf(rp->error, sizeof(rp->error), "bad percent-encoding in the request path");
        return 400;
    }
    if (u.field_set & (1 << UF_QUERY))
        str_append(&m->query, m->url.data + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    else
        m->query = sk_strdup("");
    return 0;
}

int http_reqparser_take(http_reqparser *rp, http_msg **out) {
    http_msg *m = rp->cur;
    int st;
    *out = NULL;
    if (!rp->done || m == NULL) return 400;
    rp->cur = NULL;
    rp->done = 0;
    rp->headers_done = 0;
    rp->header_bytes = 0;
    rp->in_value = 0;
    http_parser_pause(&rp->p, 0);

    snprintf(m->method, sizeof(m->method), "%s", http_method_str(rp->p.method));
    st = split_target(rp, m);
    if (st != 0) {
        rp->status = st;
        http_msg_free(m);
        return st;
    }
    parse_basic_auth(m);
    sbuf_append(&m->body, "", 0); /* data != NULL and NUL-terminated even when empty */
    m->req.method = m->method;
    m->req.path = m->path;
    m->req.query = m->query;
    m->req.body = m->body.data;
    m->req.body_len = m->body.len;
    m->req.content_type = http_msg_header(m, "Content-Type");
    m->req.user = m->user ? m->user : "";
    m->req.password = m->password ? m->password : "";
    m->req.peer = m->peer;
    *out = m;
    return 0;
}

json_t *http_parse_json_body(const http_request *req, char *err, size_t errlen) {
    json_error_t je;
    if (req->body_len == 0) {
        snprintf(err, errlen, "a JSON object body is required");
        return NULL;
    }
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        snprintf(err, errlen, "invalid JSON body: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, errlen, "the JSON body must be an object");
        return NULL;
    }
    return j;
}

const char *http_status_text(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
