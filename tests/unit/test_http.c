/* test_http.c - the HTTPS server (src/node/http.c) and its parser: real TLS
 * on 127.0.0.1 with certificates made for the test; the server and raw TLS
 * clients share one event loop in this process. Every wait is bounded
 * (RUN_MS); no assertion is about timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"
#include "../../src/core/mem.h"
#include "../../src/core/sbuf.h"
#include "../../src/net/conn.h"
#include "../../src/net/tls.h"
#include "../../src/node/http.h"
#include "../../src/node/http_parse.h"
#include "http_certs.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_MS 5000
#define MAX_CLI 8

/* ---- the world: loop, server, TLS clients ---- */

typedef struct tcli {
    conn *c;
    sbuf in;
    int connected, failed, closed;
} tcli;

static struct {
    ev_loop *loop;
    http_server *srv;
    tls_ctx *sctx, *cctx;
    tls_stats sstats, cstats;
    tcli cli[MAX_CLI];
    int ncli;
    int requests;
    http_exchange *held; /* an exchange the handler left unanswered */
    char held_path[64];
} W;

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    conn_process_pending(loop);
}

/* Runs the loop until done(arg) or RUN_MS pass. */
static int run_until(int (*done)(void *), void *arg) {
    int64_t end = ev_now_ms() + RUN_MS;
    while (!done(arg)) {
        if (ev_now_ms() > end) return 0;
        ev_run_once(W.loop, 10);
    }
    return 1;
}

/* The test's REST handler. */
static void handler(void *ud, http_exchange *x, const http_request *req) {
    (void)ud;
    char err[256];
    W.requests++;
    if (strcmp(req->path, "/async") == 0) {
        W.held = x;
        snprintf(W.held_path, sizeof(W.held_path), "%s", req->path);
        return;
    }
    if (strcmp(req->path, "/auth") == 0) {
        if (!req->has_basic_auth || strcmp(req->user, "admin") != 0 ||
            strcmp(req->password, "s3:cret") != 0) {
            http_respond_error(x, 401, "unauthorized", "wrong user name or password");
            return;
        }
    }
    if (strcmp(req->path, "/json") == 0) {
        json_t *j = http_parse_json_body(req, err, sizeof(err));
        if (j == NULL)
            http_respond_error(x, 400, "bad_request", err);
        else
            http_respond_json(x, 200, j);
        return;
    }
    if (strcmp(req->path, "/bytes") == 0) {
        http_respond_text(x, 200, NULL, "\0\1", 2);
        return;
    }
    if (strcmp(req->path, "/text") == 0) {
        http_respond_text(x, 200, "text/plain", "hello", 5);
        return;
    }
    if (strcmp(req->path, "/moved") == 0) {
        http_respond_redirect(x, 307, "https://127.0.0.1:1/elsewhere");
        return;
    }
    const char *hdr = http_exchange_header(x, "x-test");
    http_respond_json(x, 200,
                      json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:s, s:s}", "method", req->method,
                                "path", req->path, "query", req->query, "body_len",
                                (json_int_t)req->body_len, "peer", req->peer, "auth",
                                req->has_basic_auth, "user", req->user, "x_test", hdr ? hdr : ""));
}

static void world_start(const http_server_config *over) {
    char err[512] = "";
    memset(&W, 0, sizeof(W));
    W.loop = ev_create(1024);
    ev_set_before_sleep(W.loop, before_sleep, NULL);
    tls_config s = {0};
    s.cert_file = HP("server.crt");
    s.key_file = HP("server.key");
    s.need_server_cert = 1;
    s.handshake_timeout_ms = 2000;
    assert_int_equal(tls_ctx_build(&s, &W.sstats, &W.sctx, err, sizeof(err)), 0);
    tls_config c = {0};
    c.ca_cert_file = HP("ca.crt");
    assert_int_equal(tls_ctx_build(&c, &W.cstats, &W.cctx, err, sizeof(err)), 0);
    http_server_config cfg = {0};
    if (over != NULL) cfg = *over;
    cfg.loop = W.loop;
    cfg.bind = "127.0.0.1";
    cfg.port = 0;
    cfg.tls = W.sctx;
    int rc = http_server_start(&cfg, handler, NULL, &W.srv, err, sizeof(err));
    if (rc != 0) print_message("start: %s\n", err);
    assert_int_equal(rc, 0);
}

static void world_stop(void) {
    for (int i = 0; i < W.ncli; i++) {
        if (W.cli[i].c) conn_close(W.cli[i].c);
        sbuf_free(&W.cli[i].in);
    }
    http_server_stop(W.srv);
    if (W.held) http_respond_text(W.held, 200, NULL, NULL, 0); /* detached: only frees */
    for (int i = 0; i < 5; i++)
        ev_run_once(W.loop, 0);
    tls_ctx_release(W.sctx);
    tls_ctx_release(W.cctx);
    ev_destroy(W.loop);
}

static void cli_drop(tcli *t, int failed) {
    if (failed)
        t->failed = 1;
    else
        t->closed = 1;
    conn_close(t->c);
    t->c = NULL;
}

static void cli_on_read(conn *c) {
    tcli *t = conn_get_private(c);
    char buf[16384];
    for (int i = 0; i < 64; i++) {
        int n = conn_read(c, buf, sizeof(buf));
        if (n < 0) {
            cli_drop(t, 0);
            return;
        }
        if (n == 0) return;
        sbuf_append(&t->in, buf, (size_t)n);
    }
}

static void cli_on_connect(conn *c) {
    tcli *t = conn_get_private(c);
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        cli_drop(t, 1);
        return;
    }
    t->connected = 1;
    conn_set_read_handler(c, cli_on_read);
}

static int cli_settled(void *arg) {
    tcli *t = arg;
    return t->connected || t->failed || t->closed;
}

/* A TLS (or, with plain, TCP) client connected to the server. */
static tcli *cli_open_mode(int plain) {
    assert_true(W.ncli < MAX_CLI);
    tcli *t = &W.cli[W.ncli++];
    memset(t, 0, sizeof(*t));
    sbuf_init(&t->in);
    t->c =
        plain ? conn_create_tcp(W.loop, -1) : conn_create_tls_client(W.loop, W.cctx, "127.0.0.1");
    assert_non_null(t->c);
    conn_set_private(t->c, t);
    assert_int_equal(conn_connect(t->c, "127.0.0.1", http_server_port(W.srv), NULL, cli_on_connect),
                     0);
    assert_true(run_until(cli_settled, t));
    return t;
}

static tcli *cli_open(void) {
    tcli *t = cli_open_mode(0);
    assert_true(t->connected);
    return t;
}

/* Writes all of data, turning the loop while the socket is full. */
static void cli_send(tcli *t, const char *data, size_t len) {
    int64_t end = ev_now_ms() + RUN_MS;
    size_t off = 0;
    while (off < len && t->c != NULL) {
        int n = conn_write(t->c, data + off, len - off);
        if (n < 0) return; /* the server may close first; the test checks what it got */
        off += (size_t)n;
        if (off < len) {
            assert_true(ev_now_ms() < end);
            ev_run_once(W.loop, 10);
        }
    }
}

static void cli_sends(tcli *t, const char *s) {
    cli_send(t, s, strlen(s));
}

/* Number of complete responses at the start of buf (Content-Length framed). */
static int count_responses(const sbuf *b, size_t *end_out) {
    size_t off = 0;
    int n = 0;
    while (off < b->len) {
        const char *p = b->data + off;
        const char *hend = strstr(p, "\r\n\r\n");
        if (hend == NULL) break;
        size_t clen = 0;
        const char *cl = strcasestr(p, "\r\nContent-Length:");
        if (cl != NULL && cl < hend) clen = strtoul(cl + 17, NULL, 10);
        if (strncmp(p, "HTTP/1.1 100", 12) == 0) clen = 0;
        size_t total = (size_t)(hend + 4 - p) + clen;
        if (off + total > b->len) break;
        off += total;
        if (strncmp(p, "HTTP/1.1 100", 12) != 0) n++;
    }
    if (end_out) *end_out = off;
    return n;
}

static int want_n;
static int got_n_or_closed(void *arg) {
    tcli *t = arg;
    return t->closed || t->failed || count_responses(&t->in, NULL) >= want_n;
}
static int is_closed(void *arg) {
    tcli *t = arg;
    return t->closed || t->failed;
}

static void wait_responses(tcli *t, int n) {
    want_n = n;
    assert_true(run_until(got_n_or_closed, t));
    if (count_responses(&t->in, NULL) < n)
        print_message("got only: %.*s\n", (int)t->in.len, t->in.data ? t->in.data : "");
    assert_true(count_responses(&t->in, NULL) >= n);
}

static int status_of(const char *resp) {
    return (int)strtol(resp + 9, NULL, 10);
}

/* Body of the i-th response (0-based) as JSON. */
static json_t *body_json(tcli *t, int i) {
    const char *p = t->in.data;
    for (int k = 0; k <= i; k++) {
        const char *hend = strstr(p, "\r\n\r\n");
        assert_non_null(hend);
        const char *cl = strcasestr(p, "\r\nContent-Length:");
        size_t clen = cl && cl < hend ? strtoul(cl + 17, NULL, 10) : 0;
        if (strncmp(p, "HTTP/1.1 100", 12) == 0) {
            p = hend + 4;
            k--;
            continue;
        }
        if (k == i) return json_loadb(hend + 4, clen, 0, NULL);
        p = hend + 4 + clen;
    }
    return NULL;
}

static const char *jstr(json_t *j, const char *k) {
    const char *s = json_string_value(json_object_get(j, k));
    return s ? s : "(none)";
}

/* ---- server tests ---- */

static void test_get_and_keepalive(void **state) {
    (void)state;
    world_start(NULL);
    tcli *t = cli_open();
    cli_sends(t, "GET /v1/nodes/2?x=1 HTTP/1.1\r\nHost: a\r\nX-Test: yes\r\n\r\n");
    wait_responses(t, 1);
    assert_int_equal(status_of(t->in.data), 200);
    assert_non_null(strstr(t->in.data, "Content-Type: application/json\r\n"));
    json_t *j = body_json(t, 0);
    assert_string_equal(jstr(j, "method"), "GET");
    assert_string_equal(jstr(j, "path"), "/v1/nodes/2");
    assert_string_equal(jstr(j, "query"), "x=1");
    assert_string_equal(jstr(j, "x_test"), "yes");
    assert_int_equal(strncmp(jstr(j, "peer"), "127.0.0.1:", 10), 0);
    json_decref(j);
    /* The same connection serves the next request. */
    cli_sends(t, "PUT /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
    wait_responses(t, 2);
    assert_false(t->closed);
    j = body_json(t, 1);
    assert_string_equal(jstr(j, "method"), "PUT");
    assert_int_equal(json_integer_value(json_object_get(j, "body_len")), 3);
    json_decref(j);
    assert_int_equal(http_server_clients(W.srv), 1);
    assert_int_equal(W.requests, 2);
    world_stop();
}

static void test_pipelined(void **state) {
    (void)state;
    world_start(NULL);
    tcli *t = cli_open();
    cli_sends(t, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                 "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nxyz\r\n0\r\n\r\n"
                 "GET /text HTTP/1.1\r\nHost: a\r\n\r\n"
                 "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    wait_responses(t, 4);
    json_t *a = body_json(t, 0), *b = body_json(t, 1), *c = body_json(t, 3);
    assert_string_equal(jstr(a, "path"), "/a");
    assert_string_equal(jstr(b, "path"), "/b");
    assert_int_equal(json_integer_value(json_object_get(b, "body_len")), 3);
    assert_non_null(strstr(t->in.data, "\r\n\r\nhello"));
    assert_string_equal(jstr(c, "path"), "/c");
    json_decref(a);
    json_decref(b);
    json_decref(c);
    /* Connection: close is honoured after the last response. */
    assert_true(run_until(is_closed, t));
    assert_non_null(strstr(t->in.data, "Connection: close"));
    world_stop();
}

/* Sends req on a new connection, expects one response with status and then
 * the connection closed (when closes). */
static tcli *expect_status(const char *req, size_t len, int status, int closes) {
    tcli *t = cli_open();
    cli_send(t, req, len);
    wait_responses(t, 1);
    if (status_of(t->in.data) != status) print_message("response: %s\n", t->in.data);
    assert_int_equal(status_of(t->in.data), status);
    if (closes) assert_true(run_until(is_closed, t));
    return t;
}

static void test_malformed(void **state) {
    (void)state;
    world_start(NULL);
    const char *bad[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", /* found by fuzz_http: not a path */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tcli *t = expect_status(bad[i], strlen(bad[i]), 400, 1);
        json_t *j = body_json(t, 0);
        assert_string_equal(jstr(j, "error_code"), "bad_request");
        json_decref(j);
    }
    assert_int_equal(W.requests, 0);
    world_stop();
}

static void test_body_limit(void **state) {
    (void)state;
    http_server_config cfg = {.max_body = 1000};
    world_start(&cfg);
    const char *big = "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n";
    tcli *t = expect_status(big, strlen(big), 413, 1);
    json_t *j = body_json(t, 0);
    assert_string_equal(jstr(j, "error_code"), "request_too_large");
    json_decref(j);
    /* Chunked bodies are counted as they arrive. */
    sbuf req = SBUF_INIT;
    sbuf_append_str(&req, "PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        sbuf_append_str(&req, "1f4\r\n");
        for (int k = 0; k < 500; k++)
            sbuf_append_char(&req, 'a');
        sbuf_append_str(&req, "\r\n");
    }
    expect_status(req.data, req.len, 413, 1);
    sbuf_free(&req);
    /* Exactly the limit is fine. */
    sbuf ok = SBUF_INIT;
    sbuf_append_str(&ok, "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n");
    for (int k = 0; k < 1000; k++)
        sbuf_append_char(&ok, 'b');
    expect_status(ok.data, ok.len, 200, 0);
    sbuf_free(&ok);
    world_stop();
}

static void test_header_limits(void **state) {
    (void)state;
    http_server_config cfg = {.max_header_bytes = 1024, .max_headers = 8};
    world_start(&cfg);
    sbuf req = SBUF_INIT;
    sbuf_append_str(&req, "GET / HTTP/1.1\r\nX-Big: ");
    for (int k = 0; k < 2000; k++)
        sbuf_append_char(&req, 'h');
    sbuf_append_str(&req, "\r\n\r\n");
    expect_status(req.data, req.len, 431, 1);
    sbuf_clear(&req);
    sbuf_append_str(&req, "GET / HTTP/1.1\r\n");
    for (int k = 0; k < 9; k++)
        sbuf_appendf(&req, "X-H%d: v\r\n", k);
    sbuf_append_str(&req, "\r\n");
    expect_status(req.data, req.len, 431, 1);
    sbuf_clear(&req);
    sbuf_append_str(&req, "GET /");
    for (int k = 0; k < 2000; k++)
        sbuf_append_char(&req, 'u');
    sbuf_append_str(&req, " HTTP/1.1\r\n\r\n");
    expect_status(req.data, req.len, 414, 1);
    sbuf_free(&req);
    assert_int_equal(W.requests, 0);
    world_stop();
}

static void test_basic_auth(void **state) {
    (void)state;
    world_start(NULL);
    /* No credentials: the handler says 401; the server adds the challenge. */
    const char *r1 = "GET /auth HTTP/1.1\r\nHost: a\r\n\r\n";
    tcli *t = expect_status(r1, strlen(r1), 401, 0);
    assert_non_null(strstr(t->in.data, "WWW-Authenticate: Basic"));
    assert_false(t->closed);
    /* admin:s3:cret - the password may hold a colon. */
    const char *r2 =
        "GET /auth HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YWRtaW46czM6Y3JldA==\r\n\r\n";
    t = expect_status(r2, strlen(r2), 200, 0);
    json_t *j = body_json(t, 0);
    assert_true(json_is_true(json_object_get(j, "auth")));
    assert_string_equal(jstr(j, "user"), "admin");
    json_decref(j);
    /* Malformed base64 or no colon: no credentials, not a crash. */
    const char *r3 = "GET /auth HTTP/1.1\r\nHost: a\r\nAuthorization: Basic ***\r\n\r\n";
    expect_status(r3, strlen(r3), 401, 0);
    const char *r4 = "GET /auth HTTP/1.1\r\nHost: a\r\nAuthorization: Basic YWRtaW4=\r\n\r\n";
    expect_status(r4, strlen(r4), 401, 0);
    world_stop();
}

static void test_slow_client(void **state) {
    (void)state;
    http_server_config cfg = {.request_timeout_ms = 200, .idle_timeout_ms = 400};
    world_start(&cfg);
    tcli *t = cli_open();
    cli_sends(t, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow"); /* and nothing more */
    wait_responses(t, 1);
    assert_int_equal(status_of(t->in.data), 408);
    assert_true(run_until(is_closed, t));
    /* A connection that never sends a request is closed without a response. */
    tcli *u = cli_open();
    assert_true(run_until(is_closed, u));
    assert_int_equal(u->in.len, 0);
    assert_int_equal(W.requests, 0);
    /* So is an idle keep-alive connection after its requests. */
    tcli *v = cli_open();
    cli_sends(v, "GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
    wait_responses(v, 1);
    size_t got = v->in.len;
    assert_true(run_until(is_closed, v));
    assert_int_equal(v->in.len, got);
    assert_int_equal(W.requests, 1);
    world_stop();
}

static int held(void *arg) {
    (void)arg;
    return W.held != NULL;
}
static int no_clients(void *arg) {
    (void)arg;
    return http_server_clients(W.srv) == 0;
}

static void test_async_response(void **state) {
    (void)state;
    world_start(NULL);
    tcli *t = cli_open();
    /* A pipelined request waits behind the held one. */
    cli_sends(t, "GET /async HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(run_until(held, NULL));
    for (int i = 0; i < 10; i++)
        ev_run_once(W.loop, 5);
    assert_int_equal(W.requests, 1);
    assert_int_equal(t->in.len, 0);
    http_exchange *x = W.held;
    W.held = NULL;
    http_respond_json(x, 202, json_pack("{s:s}", "later", "yes"));
    wait_responses(t, 2);
    assert_int_equal(status_of(t->in.data), 202);
    json_t *j = body_json(t, 1);
    assert_string_equal(jstr(j, "path"), "/after");
    json_decref(j);

    /* The client goes away before the answer: responding only frees. */
    tcli *u = cli_open();
    cli_sends(u, "GET /async HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(run_until(held, NULL));
    conn_close(u->c);
    u->c = NULL;
    conn_close(t->c);
    t->c = NULL;
    assert_true(run_until(no_clients, NULL));
    x = W.held;
    W.held = NULL;
    http_respond_error(x, 500, "late", "nobody is listening");
    world_stop();
}

static void test_plaintext_and_max_clients(void **state) {
    (void)state;
    http_server_config cfg = {.max_clients = 2};
    world_start(&cfg);
    tcli *p = cli_open_mode(1);
    assert_true(p->connected);
    cli_sends(p, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_true(run_until(is_closed, p));
    assert_null(strstr(p->in.data ? p->in.data : "", "200"));
    assert_int_equal(W.requests, 0);
    assert_true(W.sstats.fail_protocol >= 1);

    tcli *a = cli_open(), *b = cli_open();
    (void)a;
    (void)b;
    tcli *c = cli_open_mode(0); /* over the limit: closed before the handshake ends */
    assert_false(c->connected);
    assert_int_equal(http_server_clients(W.srv), 2);
    world_stop();
}

static void test_json_bodies(void **state) {
    (void)state;
    world_start(NULL);
    const char *ok = "PUT /json HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n{\"a\": 1}\n";
    tcli *t = expect_status(ok, strlen(ok), 200, 0);
    json_t *j = body_json(t, 0);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    json_decref(j);
    const char *bad[] = {
        "PUT /json HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n[1]",
        "PUT /json HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n{\"a\"",
        "PUT /json HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        "PUT /json HTTP/1.1\r\nHost: a\r\nContent-Length: 15\r\n\r\n{\"a\":1,\"a\":2}  ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = expect_status(bad[i], strlen(bad[i]), 400, 0);
        j = body_json(t, 0);
        assert_string_equal(jstr(j, "error_code"), "bad_request");
        assert_true(strlen(jstr(j, "description")) > 0);
        json_decref(j);
    }
    world_stop();
}

static void test_head_continue_redirect(void **state) {
    (void)state;
    world_start(NULL);
    const char *head =
        "HEAD /text HTTP/1.1\r\nHost: a\r\n\r\nGET /moved HTTP/1.1\r\nHost: a\r\n\r\n";
    tcli *t = cli_open();
    cli_sends(t, head);
    /* HEAD: Content-Length of the body, no body; the next response follows directly. */
    want_n = 1;
    assert_true(run_until(got_n_or_closed, t));
    assert_true(run_until(is_closed, t) || strstr(t->in.data, "Location:") != NULL);
    assert_int_equal(strncmp(t->in.data, "HTTP/1.1 200", 12), 0);
    assert_non_null(strstr(t->in.data, "Content-Length: 5\r\n"));
    assert_null(strstr(t->in.data, "hello"));
    assert_non_null(strstr(t->in.data, "HTTP/1.1 307 Temporary Redirect\r\n"));
    assert_non_null(strstr(t->in.data, "Location: https://127.0.0.1:1/elsewhere\r\n"));

    const char *bytes = "GET /bytes HTTP/1.1\r\nHost: a\r\n\r\n";
    tcli *b = expect_status(bytes, strlen(bytes), 200, 0);
    assert_non_null(strstr(b->in.data, "Content-Type: application/octet-stream\r\n"));

    tcli *u = cli_open();
    cli_sends(u, "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
    int64_t end = ev_now_ms() + RUN_MS;
    while (u->in.len < strlen(cont) && ev_now_ms() < end)
        ev_run_once(W.loop, 10);
    assert_int_equal(strncmp(u->in.data, cont, strlen(cont)), 0);
    cli_sends(u, "ok");
    wait_responses(u, 1);
    world_stop();
}

static void test_rotation(void **state) {
    (void)state;
    world_start(NULL);
    tcli *t = cli_open();
    /* New connections get the new context; the live one keeps working. */
    char err[512];
    tls_ctx *fresh = NULL;
    tls_config s = {0};
    s.cert_file = HP("server-chain.crt");
    s.key_file = HP("server.key");
    s.need_server_cert = 1;
    assert_int_equal(tls_ctx_build(&s, &W.sstats, &fresh, err, sizeof(err)), 0);
    http_server_set_tls(W.srv, fresh);
    tls_ctx_release(fresh);
    tcli *u = cli_open();
    cli_sends(u, "GET /u HTTP/1.1\r\nHost: a\r\n\r\n");
    cli_sends(t, "GET /t HTTP/1.1\r\nHost: a\r\n\r\n");
    wait_responses(u, 1);
    wait_responses(t, 1);
    world_stop();
}

static void test_start_errors(void **state) {
    (void)state;
    world_start(NULL);
    char err[256] = "";
    http_server *s2 = NULL;
    /* The port is taken by the running server. */
    http_server_config cfg = {
        .loop = W.loop, .bind = "127.0.0.1", .port = http_server_port(W.srv), .tls = W.sctx};
    assert_true(http_server_start(&cfg, handler, NULL, &s2, err, sizeof(err)) < 0);
    assert_null(s2);
    assert_true(strlen(err) > 0);
    /* No TLS context: refused before anything is opened. */
    cfg.port = 0;
    cfg.tls = NULL;
    err[0] = '\0';
    assert_int_equal(http_server_start(&cfg, handler, NULL, &s2, err, sizeof(err)), SK_EINVAL);
    assert_null(s2);
    assert_non_null(strstr(err, "TLS"));
    cfg.tls = W.sctx;
    cfg.bind = "not-an-address";
    assert_true(http_server_start(&cfg, handler, NULL, &s2, err, sizeof(err)) < 0);
    assert_null(s2);
    /* The first server is unaffected. */
    const char *req = "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n";
    expect_status(req, strlen(req), 200, 0);
    world_stop();
}

/* ---- the parser alone ---- */

static void test_parser_split_feed(void **state) {
    (void)state;
    const char *req = "POST /p%20q?z=%41 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                      "Content-Length: 2\r\n\r\n{}GET /next HTTP/1.0\r\n\r\n";
    http_reqparser rp;
    http_reqparser_init(&rp, NULL);
    size_t len = strlen(req), off = 0, used;
    int st = HTTP_PARSE_MORE;
    /* One byte at a time. */
    while (off < len && st == HTTP_PARSE_MORE) {
        st = http_reqparser_feed(&rp, req + off, 1, &used);
        off += used;
    }
    assert_int_equal(st, HTTP_PARSE_DONE);
    http_msg *m = NULL;
    assert_int_equal(http_reqparser_take(&rp, &m), 0);
    assert_string_equal(m->req.path, "/p q");
    assert_string_equal(m->req.query, "z=%41");
    assert_string_equal(m->req.content_type, "application/json");
    assert_int_equal(m->req.body_len, 2);
    assert_true(m->keep_alive);
    char err[128];
    json_t *j = http_parse_json_body(&m->req, err, sizeof(err));
    assert_non_null(j);
    json_decref(j);
    http_msg_free(m);
    st = http_reqparser_feed(&rp, req + off, len - off, &used);
    assert_int_equal(st, HTTP_PARSE_DONE);
    assert_int_equal(http_reqparser_take(&rp, &m), 0);
    assert_string_equal(m->req.method, "GET");
    assert_false(m->keep_alive); /* HTTP/1.0 without keep-alive */
    http_msg_free(m);
    http_reqparser_free(&rp);
}

static int group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    return hc_make_pki();
}

static int group_teardown(void **state) {
    (void)state;
    return hc_remove_pki();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_split_feed), cmocka_unit_test(test_get_and_keepalive),
        cmocka_unit_test(test_pipelined),         cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_body_limit),        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_basic_auth),        cmocka_unit_test(test_slow_client),
        cmocka_unit_test(test_async_response),    cmocka_unit_test(test_plaintext_and_max_clients),
        cmocka_unit_test(test_json_bodies),       cmocka_unit_test(test_head_continue_redirect),
        cmocka_unit_test(test_rotation),          cmocka_unit_test(test_start_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
