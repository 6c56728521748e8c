/* test_https_client.c - the blocking HTTPS client (src/net/https_client.h)
 * against our own HTTPS server running in a thread on its own event loop:
 * CA file trust, CA pin match and mismatch (nothing sent on mismatch),
 * foreign CA, redirects, Basic credentials, timeouts. Every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"
#include "../../src/net/https_client.h"
#include "../../src/net/tls.h"
#include "../../src/node/http.h"
#include "../../src/pki/pki.h"
#include "http_certs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
    pthread_t th;
    const char *cert; /* server certificate file (chain) */
    const char *key;
    atomic_int port; /* > 0 once listening, < 0 on failure */
    atomic_int stop;
    atomic_int requests;
    char last_user[64], last_password[64], last_body[256]; /* written by the server thread */
} S;

static void handler(void *ud, http_exchange *x, const http_request *req) {
    (void)ud;
    char loc[128];
    atomic_fetch_add(&S.requests, 1);
    snprintf(S.last_user, sizeof(S.last_user), "%s", req->user);
    snprintf(S.last_password, sizeof(S.last_password), "%s", req->password);
    snprintf(S.last_body, sizeof(S.last_body), "%.*s", (int)req->body_len, req->body);
    if (strcmp(req->path, "/redirect") == 0) {
        snprintf(loc, sizeof(loc), "https://127.0.0.1:%d/echo?from=redirect", atomic_load(&S.port));
        http_respond_redirect(x, 307, loc);
    } else if (strcmp(req->path, "/relative") == 0) {
        http_respond_redirect(x, 307, "/echo");
    } else if (strcmp(req->path, "/loop") == 0) {
        http_respond_redirect(x, 307, "/loop");
    } else if (strcmp(req->path, "/missing") == 0) {
        http_respond_error(x, 404, "not_found", "no such thing");
    } else {
        http_respond_json(x, 200,
                          json_pack("{s:s, s:s, s:s, s:I}", "method", req->method, "path",
                                    req->path, "query", req->query, "body_len",
                                    (json_int_t)req->body_len));
    }
}

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    conn_process_pending(loop);
}

static void *server_main(void *arg) {
    (void)arg;
    char err[512];
    tls_stats stats = {0};
    tls_ctx *ctx = NULL;
    http_server *srv = NULL;
    ev_loop *loop = ev_create(1024);
    ev_set_before_sleep(loop, before_sleep, NULL);
    tls_config tc = {0};
    tc.cert_file = S.cert;
    tc.key_file = S.key;
    tc.need_server_cert = 1;
    if (tls_ctx_build(&tc, &stats, &ctx, err, sizeof(err)) != 0) {
        fprintf(stderr, "server ctx: %s\n", err);
        atomic_store(&S.port, -1);
        ev_destroy(loop);
        return NULL;
    }
    http_server_config cfg = {.loop = loop, .bind = "127.0.0.1", .tls = ctx};
    if (http_server_start(&cfg, handler, NULL, &srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "server: %s\n", err);
        atomic_store(&S.port, -1);
    } else {
        atomic_store(&S.port, http_server_port(srv));
        while (!atomic_load(&S.stop))
            ev_run_once(loop, 20);
        http_server_stop(srv);
    }
    tls_ctx_release(ctx);
    ev_destroy(loop);
    return NULL;
}

static int server_start(const char *cert, const char *key) {
    S.cert = cert;
    S.key = key;
    atomic_store(&S.port, 0);
    atomic_store(&S.stop, 0);
    atomic_store(&S.requests, 0);
    assert_int_equal(pthread_create(&S.th, NULL, server_main, NULL), 0);
    for (int i = 0; i < 500 && atomic_load(&S.port) == 0; i++)
        usleep(10000);
    assert_true(atomic_load(&S.port) > 0);
    return atomic_load(&S.port);
}

static void server_stop(void) {
    atomic_store(&S.stop, 1);
    pthread_join(S.th, NULL);
}

static https_target target(int port) {
    https_target t = {.host = "127.0.0.1", .port = port, .timeout_ms = 5000};
    return t;
}

static void pin_of(const char *file, char out[65]) {
    assert_int_equal(pki_cert_der_sha256_file(HP(file), out), 0);
}

static void test_ca_file_and_auth(void **state) {
    (void)state;
    int port = server_start(HP("server.crt"), HP("server.key"));
    https_target t = target(port);
    t.ca_file = HP("ca.crt");
    t.user = "admin";
    t.password = "pa:ss word";
    https_response r;
    char err[512] = "";
    int rc = https_request(&t, "PUT", "/v1/thing?x=1", "{\"a\":1}", &r, err, sizeof(err));
    if (rc != 0) print_message("err: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "PUT");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/v1/thing");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "x=1");
    json_decref(j);
    assert_string_equal(S.last_user, "admin");
    assert_string_equal(S.last_password, "pa:ss word");
    assert_string_equal(S.last_body, "{\"a\":1}");
    assert_null(r.ca_pem);
    https_response_free(&r);

    /* By name too (the certificate has DNS:localhost). */
    t.host = "localhost";
    rc = https_request(&t, "GET", "/missing", NULL, &r, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "no such thing"));
    https_response_free(&r);
    server_stop();
}

static void test_wrong_ca(void **state) {
    (void)state;
    int port = server_start(HP("server.crt"), HP("server.key"));
    https_target t = target(port);
    t.ca_file = HP("foreign-ca.crt");
    https_response r;
    char err[512] = "";
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "certificate"));
    https_response_free(&r);
    /* Neither a CA file nor a pin: refused before connecting. */
    t.ca_file = NULL;
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), SK_EINVAL);
    https_response_free(&r);
    assert_int_equal(atomic_load(&S.requests), 0);
    server_stop();
}

static void test_pin(void **state) {
    (void)state;
    char pin[65], foreign[65];
    pin_of("ca.crt", pin);
    pin_of("foreign-ca.crt", foreign);
    int port = server_start(HP("server-chain.crt"), HP("server.key"));
    https_target t = target(port);
    https_response r;
    char err[512] = "";

    /* Match: the response carries the pinned CA. */
    t.ca_pin_sha256 = pin;
    int rc = https_request(&t, "GET", "/x", NULL, &r, err, sizeof(err));
    if (rc != 0) print_message("err: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.ca_pem);
    assert_int_equal(strncmp(r.ca_pem, "-----BEGIN CERTIFICATE-----", 27), 0);
    https_response_free(&r);
    assert_int_equal(atomic_load(&S.requests), 1);

    /* Mismatch: refused, and not a byte of the request went out. */
    t.ca_pin_sha256 = foreign;
    t.user = "admin";
    t.password = "secret";
    assert_int_equal(https_request(&t, "POST", "/join", "{}", &r, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "pinned"));
    assert_null(strstr(err, "secret"));
    https_response_free(&r);
    /* Malformed pin: same. */
    t.ca_pin_sha256 = "abcd";
    assert_int_equal(https_request(&t, "POST", "/join", "{}", &r, err, sizeof(err)), SK_ECERT);
    https_response_free(&r);
    assert_int_equal(atomic_load(&S.requests), 1);
    server_stop();

    /* A server that does not send its CA cannot match a pin. */
    port = server_start(HP("server.crt"), HP("server.key"));
    t = target(port);
    t.ca_pin_sha256 = pin;
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), SK_ECERT);
    https_response_free(&r);
    assert_int_equal(atomic_load(&S.requests), 0);
    server_stop();

    /* A foreign server whose chain holds a self-signed CA with another hash. */
    port = server_start(HP("fserver-chain.crt"), HP("fserver.key"));
    t = target(port);
    t.ca_pin_sha256 = pin;
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), SK_ECERT);
    https_response_free(&r);
    t.ca_pin_sha256 = foreign; /* and its own pin works */
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 200);
    https_response_free(&r);
    assert_int_equal(atomic_load(&S.requests), 1);
    server_stop();
}

static void test_redirects(void **state) {
    (void)state;
    int port = server_start(HP("server.crt"), HP("server.key"));
    https_target t = target(port);
    t.ca_file = HP("ca.crt");
    https_response r;
    char err[512] = "";
    /* Not followed by default: the caller sees the 307 and its Location. */
    assert_int_equal(https_request(&t, "GET", "/redirect", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 307);
    assert_non_null(r.location);
    assert_non_null(strstr(r.location, "/echo?from=redirect"));
    https_response_free(&r);
    /* Followed once, absolute and relative. */
    t.follow_redirects = 1;
    assert_int_equal(https_request(&t, "DELETE", "/redirect", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 200);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/echo");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "from=redirect");
    assert_string_equal(json_string_value(json_object_get(j, "method")), "DELETE");
    json_decref(j);
    https_response_free(&r);
    assert_int_equal(https_request(&t, "GET", "/relative", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 200);
    https_response_free(&r);
    /* A loop stops after the allowed hops with the last 307. */
    assert_int_equal(https_request(&t, "GET", "/loop", NULL, &r, err, sizeof(err)), 0);
    assert_int_equal(r.status, 307);
    https_response_free(&r);
    server_stop();
}

static void test_url_parse(void **state) {
    (void)state;
    char host[64], path[64];
    int port;
    assert_int_equal(https_parse_url("https://a.b:9443/v1/x?q", host, 64, &port, path, 64), 0);
    assert_string_equal(host, "a.b");
    assert_int_equal(port, 9443);
    assert_string_equal(path, "/v1/x?q");
    assert_int_equal(https_parse_url("https://[::1]/", host, 64, &port, path, 64), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 443);
    assert_int_equal(https_parse_url("https://h", host, 64, &port, path, 64), 0);
    assert_string_equal(path, "/");
    const char *bad[] = {"http://h/",    "https://",      "https://h:0/", "https://h:99999/",
                         "https://h:x/", "https://[::1/", "https://h#x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(https_parse_url(bad[i], host, 64, &port, path, 64), SK_EINVAL);
}

static void test_timeouts_and_refused(void **state) {
    (void)state;
    /* A socket that listens but never speaks TLS. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    https_target t = target(ntohs(sa.sin_port));
    t.ca_file = HP("ca.crt");
    t.timeout_ms = 200;
    https_response r;
    char err[512] = "";
    assert_int_equal(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)), -ETIMEDOUT);
    assert_non_null(strstr(err, "timed out"));
    https_response_free(&r);
    close(fd); /* now the port refuses */
    assert_true(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot connect"));
    https_response_free(&r);
    t.host = "no-such-host.invalid";
    assert_true(https_request(&t, "GET", "/", NULL, &r, err, sizeof(err)) < 0);
    https_response_free(&r);
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
        cmocka_unit_test(test_url_parse), cmocka_unit_test(test_ca_file_and_auth),
        cmocka_unit_test(test_wrong_ca),  cmocka_unit_test(test_pin),
        cmocka_unit_test(test_redirects), cmocka_unit_test(test_timeouts_and_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
