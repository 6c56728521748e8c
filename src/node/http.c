/* http.c - the HTTPS/1.1 server: connections, one exchange at a time per
 * connection, limits and timeouts. Parsing lives in http_parse.c.
 *
 * Flow per connection: TLS handshake (src/net) -> read into `in` -> the
 * parser yields one request -> an exchange goes to the handler -> the single
 * response is queued in `out` and written -> only then are the next
 * (pipelined) bytes parsed. An exchange whose connection went away is
 * detached (x->hc == NULL) and freed by its response.
 */
#include "http.h"

#include "../core/err.h"
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "../net/listen.h"
#include "http_parse.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)
#define OUT_HIGH_WATER (256 * 1024) /* stop parsing pipelined requests above it */

typedef struct hconn hconn;

struct http_exchange {
    hconn *hc;     /* borrowed; NULL once the connection is gone */
    http_msg *msg; /* owned */
};

struct hconn {
    http_server *s; /* borrowed */
    conn *c;        /* owned */
    hconn *prev, *next;
    sbuf in, out;
    http_reqparser rp;
    http_exchange *pending; /* the request awaiting its response (owned by the handler) */
    int64_t req_start_ms;   /* first byte of the request being parsed; 0: none */
    int64_t last_progress_ms;
    int busy;              /* inside process_input: respond only queues */
    int close_after_write; /* the last queued response ends the connection */
    int continue_sent;
    int served; /* requests answered on this connection */
    int reading_paused;
    char peer[64];
};

struct http_server {
    ev_loop *loop; /* borrowed */
    listener *l;   /* owned */
    tls_ctx *tls;  /* owned reference */
    http_handler_fn *handler;
    void *ud;
    http_req_limits lim;
    int max_clients, request_timeout_ms, idle_timeout_ms;
    hconn *conns;
    int nconns;
    int64_t timer;
};

static void on_readable(conn *c);
static void on_writable(conn *c);
static int flush_output(hconn *hc);
static void process_input(hconn *hc);

/* ---- connection lifetime ---- */

static void hconn_close(hconn *hc) {
    http_server *s = hc->s;
    if (hc->pending != NULL) hc->pending->hc = NULL; /* the handler still owns it */
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        s->conns = hc->next;
    if (hc->next) hc->next->prev = hc->prev;
    s->nconns--;
    conn_set_private(hc->c, NULL);
    conn_close(hc->c); /* deferred by the conn layer when inside its callback */
    http_reqparser_free(&hc->rp);
    sbuf_free(&hc->in);
    sbuf_free(&hc->out);
    sk_free(hc);
}

static void on_accepted(conn *c) {
    hconn *hc = conn_get_private(c);
    if (hc == NULL) return;
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        hconn_close(hc); /* plaintext, wrong version, timeout: counted in tls_stats */
        return;
    }
    hc->last_progress_ms = ev_now_ms();
    if (conn_set_read_handler(c, on_readable) != 0) hconn_close(hc);
}

static void on_accept(listener *l, int fd, const char *ip, int port, void *data) {
    http_server *s = data;
    (void)l;
    if (s->nconns >= s->max_clients) {
        close(fd);
        return;
    }
    conn *c = conn_create_tls_accepted(s->loop, fd, s->tls);
    if (c == NULL) {
        close(fd);
        return;
    }
    hconn *hc = sk_calloc(1, sizeof(*hc));
    hc->s = s;
    hc->c = c;
    sbuf_init(&hc->in);
    sbuf_init(&hc->out);
    http_reqparser_init(&hc->rp, &s->lim);
    snprintf(hc->peer, sizeof(hc->peer), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
    hc->last_progress_ms = ev_now_ms();
    hc->next = s->conns;
    if (s->conns) s->conns->prev = hc;
    s->conns = hc;
    s->nconns++;
    conn_set_private(c, hc);
    if (conn_accept(c, on_accepted) != 0) hconn_close(hc);
}

/* ---- responses ---- */

/* Appends a complete response to hc->out. */
static void queue_response(hconn *hc, int status, const char *ctype, const void *body, size_t len,
                           const char *location, int head, int close) {
    sbuf *o = &hc->out;
    sbuf_appendf(o, "HTTP/1.1 %d %s\r\n", status, http_status_text(status));
    if (len > 0 || ctype != NULL)
        sbuf_appendf(o, "Content-Type: %s\r\n", ctype ? ctype : "application/octet-stream");
    sbuf_appendf(o, "Content-Length: %zu\r\nCache-Control: no-store\r\n", len);
    if (location != NULL) sbuf_appendf(o, "Location: %s\r\n", location);
    if (status == 401) sbuf_append_str(o, "WWW-Authenticate: Basic realm=\"sealkv\"\r\n");
    if (close) sbuf_append_str(o, "Connection: close\r\n");
    sbuf_append_str(o, "\r\n");
    if (!head && len > 0) sbuf_append(o, body, len);
    if (close) hc->close_after_write = 1;
}

static void queue_error(hconn *hc, int status, const char *code, const char *desc, int head,
                        int close) {
    json_t *j = json_pack("{s:s, s:s}", "error_code", code, "description", desc);
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    const char *body = txt ? txt : "{}";
    queue_response(hc, status, "application/json", body, strlen(body), NULL, head, close);
    free(txt); /* jansson's allocator */
    json_decref(j);
}

/* Sends what the exchange queued, then resumes parsing. hc may be gone after. */
static void finish_exchange(http_exchange *x, int status, const char *ctype, const void *body,
                            size_t len, const char *location) {
    hconn *hc = x->hc;
    if (hc != NULL) {
        int head = strcmp(x->msg->method, "HEAD") == 0;
        queue_response(hc, status, ctype, body, len, location, head, !x->msg->keep_alive);
        hc->pending = NULL;
        hc->served++;
    }
    http_msg_free(x->msg);
    sk_free(x);
    if (hc == NULL || hc->busy) return; /* process_input flushes */
    if (flush_output(hc) != 0) return;
    process_input(hc);
}

void http_respond_text(http_exchange *x, int status, const char *content_type, const void *body,
                       size_t len) {
    finish_exchange(x, status, len > 0 ? content_type : NULL, body, len, NULL);
}

void http_respond_json(http_exchange *x, int status, json_t *body) {
    char *txt = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (body != NULL && txt == NULL) {
        http_respond_error(x, 500, "internal_error", "the response could not be encoded");
        return;
    }
    finish_exchange(x, status, txt ? "application/json" : NULL, txt, txt ? strlen(txt) : 0, NULL);
    free(txt);
}

void http_respond_error(http_exchange *x, int status, const char *error_code,
                        const char *description) {
    json_t *j = json_pack("{s:s, s:s}", "error_code", error_code ? error_code : "error",
                          "description", description ? description : "");
    http_respond_json(x, status, j);
}

void http_respond_redirect(http_exchange *x, int status, const char *location) {
    finish_exchange(x, status, NULL, NULL, 0, location);
}

const char *http_exchange_header(const http_exchange *x, const char *name) {
    return http_msg_header(x->msg, name);
}

/* ---- I/O ---- */

/* Writes hc->out. Returns 0 while the connection lives, -1 when it was closed. */
static int flush_output(hconn *hc) {
    while (hc->out.len > 0) {
        int n = conn_write(hc->c, hc->out.data, hc->out.len);
        if (n < 0) {
            hconn_close(hc);
            return -1;
        }
        if (n == 0) {
            if (conn_set_write_handler(hc->c, on_writable) != 0) {
                hconn_close(hc);
                return -1;
            }
            return 0;
        }
        sbuf_consume(&hc->out, (size_t)n);
        hc->last_progress_ms = ev_now_ms();
    }
    conn_set_write_handler(hc->c, NULL);
    sbuf_trim(&hc->out);
    if (hc->close_after_write) {
        hconn_close(hc);
        return -1;
    }
    if (hc->reading_paused) {
        hc->reading_paused = 0;
        conn_set_read_handler(hc->c, on_readable);
    }
    return 0;
}

static void on_writable(conn *c) {
    hconn *hc = conn_get_private(c);
    if (hc == NULL) return;
    if (flush_output(hc) != 0) return;
    if (hc->pending == NULL && hc->out.len == 0) process_input(hc);
}

/* Parses and dispatches buffered requests, one at a time, then writes. */
static void process_input(hconn *hc) {
    http_server *s = hc->s;
    while (hc->pending == NULL && !hc->close_after_write && hc->out.len < OUT_HIGH_WATER) {
        if (hc->in.len == 0) break;
        if (!http_reqparser_in_request(&hc->rp) && hc->req_start_ms == 0)
            hc->req_start_ms = ev_now_ms();
        size_t used = 0;
        int st = http_reqparser_feed(&hc->rp, hc->in.data, hc->in.len, &used);
        sbuf_consume(&hc->in, used);
        if (st == HTTP_PARSE_MORE) {
            if (http_reqparser_expect_continue(&hc->rp) && !hc->continue_sent) {
                sbuf_append_str(&hc->out, "HTTP/1.1 100 Continue\r\n\r\n");
                hc->continue_sent = 1;
            }
            break;
        }
        http_msg *m = NULL;
        if (st == HTTP_PARSE_DONE) st = http_reqparser_take(&hc->rp, &m);
        if (st != 0) {
            const char *code = st == 413   ? "request_too_large"
                               : st == 431 ? "headers_too_large"
                               : st == 414 ? "uri_too_long"
                                           : "bad_request";
            queue_error(hc, st, code, hc->rp.error, 0, 1);
            break;
        }
        hc->req_start_ms = 0;
        hc->continue_sent = 0;
        snprintf(m->peer, sizeof(m->peer), "%s", hc->peer);
        http_exchange *x = sk_calloc(1, sizeof(*x));
        x->hc = hc;
        x->msg = m;
        hc->pending = x;
        hc->busy = 1;
        s->handler(s->ud, x, &m->req);
        hc->busy = 0;
    }
    if (hc->in.len == 0) sbuf_trim(&hc->in);
    flush_output(hc);
}

static void on_readable(conn *c) {
    hconn *hc = conn_get_private(c);
    if (hc == NULL) return;
    /* While a request is pending, keep reading (to notice a client that goes
     * away) but only up to a bound; then wait for the response. */
    size_t cap = hc->s->lim.max_header_bytes + hc->s->lim.max_body + READ_CHUNK;
    if (hc->in.len >= cap) {
        hc->reading_paused = 1;
        conn_set_read_handler(c, NULL);
        return;
    }
    sbuf_reserve(&hc->in, READ_CHUNK);
    int n = conn_read(c, hc->in.data + hc->in.len, READ_CHUNK);
    if (n < 0) {
        hconn_close(hc); /* closed or failed; a pending exchange is detached */
        return;
    }
    if (n == 0) return;
    sbuf_set_len(&hc->in, hc->in.len + (size_t)n);
    hc->last_progress_ms = ev_now_ms();
    if (hc->pending == NULL && !hc->close_after_write) process_input(hc);
}

/* ---- timeouts ---- */

static int64_t sweep(ev_loop *loop, int64_t id, void *data) {
    http_server *s = data;
    int64_t now = ev_now_ms();
    hconn *next;
    (void)loop;
    (void)id;
    for (hconn *hc = s->conns; hc != NULL; hc = next) {
        next = hc->next;
        if (hc->pending != NULL || conn_get_state(hc->c) != CONN_STATE_CONNECTED) continue;
        if (hc->close_after_write) {
            /* The client does not read its error: give up after the idle time. */
            if (now - hc->last_progress_ms > s->idle_timeout_ms) hconn_close(hc);
            continue;
        }
        if (hc->req_start_ms != 0 && now - hc->req_start_ms > s->request_timeout_ms) {
            queue_error(hc, 408, "request_timeout", "the request was not completed in time", 0, 1);
            flush_output(hc);
            continue;
        }
        /* A connection that never sent a request gets only the request
         * timeout: idle handshaken connections must not fill max_clients. */
        int64_t idle = hc->served ? s->idle_timeout_ms : s->request_timeout_ms;
        if (hc->req_start_ms == 0 && hc->in.len == 0 && now - hc->last_progress_ms > idle)
            hconn_close(hc);
    }
    int64_t t =
        s->request_timeout_ms < s->idle_timeout_ms ? s->request_timeout_ms : s->idle_timeout_ms;
    t /= 4;
    return t < 10 ? 10 : t > 1000 ? 1000 : t;
}

/* ---- server ---- */

int http_server_start(const http_server_config *cfg, http_handler_fn *h, void *ud,
                      http_server **out, char *err, size_t errlen) {
    *out = NULL;
    if (cfg == NULL || cfg->loop == NULL || cfg->tls == NULL || h == NULL) {
        snprintf(err, errlen, "http server: loop, TLS context and handler are required");
        return SK_EINVAL;
    }
    http_server *s = sk_calloc(1, sizeof(*s));
    s->loop = cfg->loop;
    s->handler = h;
    s->ud = ud;
    http_req_limits lim = {cfg->max_body, cfg->max_header_bytes, cfg->max_headers};
    http_reqparser tmp;
    http_reqparser_init(&tmp, &lim); /* resolves the defaults */
    s->lim = tmp.lim;
    s->max_clients = cfg->max_clients > 0 ? cfg->max_clients : HTTP_DEFAULT_MAX_CLIENTS;
    s->request_timeout_ms =
        cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : HTTP_DEFAULT_REQUEST_TIMEOUT_MS;
    s->idle_timeout_ms =
        cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : HTTP_DEFAULT_IDLE_TIMEOUT_MS;
    s->tls = tls_ctx_retain(cfg->tls);
    char *addr = (char *)(cfg->bind != NULL && cfg->bind[0] ? cfg->bind : "*");
    int rc = listen_tcp(cfg->loop, &addr, 1, cfg->port, 128, on_accept, s, &s->l, err, errlen);
    if (rc != 0) goto fail;
    s->timer = ev_add_timer(cfg->loop, 10, sweep, s);
    if (s->timer < 0) {
        rc = (int)s->timer;
        snprintf(err, errlen, "http server: cannot add a timer");
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (s->l) listen_close(s->l);
    tls_ctx_release(s->tls);
    sk_free(s);
    return rc;
}

void http_server_set_tls(http_server *s, tls_ctx *tls) {
    tls_ctx *old = s->tls;
    s->tls = tls_ctx_retain(tls);
    tls_ctx_release(old);
}

void http_server_stop(http_server *s) {
    if (s == NULL) return;
    listen_close(s->l);
    ev_del_timer(s->loop, s->timer);
    while (s->conns != NULL)
        hconn_close(s->conns);
    tls_ctx_release(s->tls);
    sk_free(s);
}

int http_server_port(const http_server *s) {
    return listen_port(s->l);
}

int http_server_clients(const http_server *s) {
    return s->nconns;
}
