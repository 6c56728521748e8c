/* test_conn.c - TCP and unix transports and listeners on real sockets.
 *
 * Server and clients run in one event loop in this process, on 127.0.0.1
 * and on a unix socket in a temp dir; every wait is bounded (RUN_MS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"
#include "../../src/core/sbuf.h"
#include "../../src/net/conn.h"
#include "../../src/net/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define RUN_MS 5000
#define MAX_PEERS 8

typedef struct peer {
    conn *c;
    sbuf in;
    const char *out;
    size_t outlen, outpos;
    int connected, failed, closed;
    int last_rc;
    char err[256];
} peer;

typedef struct world {
    ev_loop *loop;
    listener *l;
    int is_unix;
    peer srv[MAX_PEERS];
    int nsrv;
    peer cli[MAX_PEERS];
    int ncli;
    int close_on_read;
    char unix_path[128];
} world;

static world W;
static char g_dir[64];

static void peer_drop(peer *p, int failed, int rc) {
    if (failed)
        p->failed = 1;
    else
        p->closed = 1;
    p->last_rc = rc;
    snprintf(p->err, sizeof(p->err), "%s", conn_last_error(p->c));
    conn_close(p->c);
    p->c = NULL;
}

static void srv_flush(conn *c) {
    peer *p = conn_get_private(c);
    while (p->in.len > 0) {
        size_t half = p->in.len / 2;
        struct iovec iov[2] = {{p->in.data, half}, {p->in.data + half, p->in.len - half}};
        int n = conn_writev(c, iov, 2);
        if (n < 0) {
            peer_drop(p, 1, n);
            return;
        }
        sbuf_consume(&p->in, (size_t)n);
        if (p->in.len > 0) {
            conn_set_write_handler(c, srv_flush);
            return;
        }
    }
    conn_set_write_handler(c, NULL);
}

static void srv_on_read(conn *c) {
    peer *p = conn_get_private(c);
    char buf[16 * 1024];
    int n = conn_read(c, buf, sizeof(buf));
    if (n < 0) {
        peer_drop(p, 0, n);
        return;
    }
    if (W.close_on_read) {
        /* Close from inside the handler, then keep using c: the free is
         * deferred until the handler returns. */
        conn_close(c);
        p->c = NULL;
        p->closed = 1;
        assert_int_equal(conn_get_state(c), CONN_STATE_CONNECTED);
        assert_true(c->flags & CONN_FLAG_CLOSE_SCHEDULED);
        (void)conn_read(c, buf, sizeof(buf));
        return;
    }
    sbuf_append(&p->in, buf, (size_t)n);
    srv_flush(c);
}

static void srv_on_accept(conn *c) {
    peer *p = conn_get_private(c);
    assert_int_equal(conn_get_state(c), CONN_STATE_CONNECTED);
    p->connected = 1;
    conn_set_read_handler(c, srv_on_read);
}

static void on_listen(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)data;
    if (W.nsrv >= MAX_PEERS) {
        close(fd);
        return;
    }
    if (W.is_unix) {
        assert_string_equal(ip, W.unix_path);
        assert_int_equal(port, 0);
    } else {
        assert_string_equal(ip, "127.0.0.1");
        assert_true(port > 0);
    }
    peer *p = &W.srv[W.nsrv++];
    p->c = W.is_unix ? conn_create_unix(W.loop, fd) : conn_create_tcp(W.loop, fd);
    conn_set_private(p->c, p);
    assert_int_equal(conn_accept(p->c, srv_on_accept), 0);
}

static void on_listen6(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)data;
    assert_string_equal(ip, "::1");
    assert_true(port > 0);
    peer *p = &W.srv[W.nsrv++];
    p->c = conn_create_tcp(W.loop, fd);
    conn_set_private(p->c, p);
    assert_int_equal(conn_accept(p->c, srv_on_accept), 0);
}

static void cli_on_write(conn *c) {
    peer *p = conn_get_private(c);
    int n = conn_write(c, p->out + p->outpos, p->outlen - p->outpos);
    if (n < 0) {
        peer_drop(p, 1, n);
        return;
    }
    p->outpos += (size_t)n;
    if (p->outpos == p->outlen) conn_set_write_handler(c, NULL);
}

static void cli_on_read(conn *c) {
    peer *p = conn_get_private(c);
    char buf[16 * 1024];
    int n = conn_read(c, buf, sizeof(buf));
    if (n < 0) {
        peer_drop(p, 0, n);
        return;
    }
    sbuf_append(&p->in, buf, (size_t)n);
}

static void cli_on_connect(conn *c) {
    peer *p = conn_get_private(c);
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        peer_drop(p, 1, 0);
        return;
    }
    p->connected = 1;
    conn_set_read_handler(c, cli_on_read);
    if (p->outlen) conn_set_write_handler(c, cli_on_write);
}

static void world_start(int is_unix) {
    memset(&W, 0, sizeof(W));
    W.loop = ev_create(64);
    W.is_unix = is_unix;
    char err[256] = "";
    int rc;
    if (is_unix) {
        snprintf(W.unix_path, sizeof(W.unix_path), "%s/s.sock", g_dir);
        rc = listen_unix(W.loop, W.unix_path, 0700, 16, on_listen, NULL, &W.l, err, sizeof(err));
    } else {
        char *addrs[] = {"127.0.0.1"};
        rc = listen_tcp(W.loop, addrs, 1, 0, 16, on_listen, NULL, &W.l, err, sizeof(err));
    }
    if (rc != 0) print_message("listen: %s\n", err);
    assert_int_equal(rc, 0);
}

static peer *client_start(const char *payload, size_t len) {
    peer *p = &W.cli[W.ncli++];
    p->c = W.is_unix ? conn_create_unix(W.loop, -1) : conn_create_tcp(W.loop, -1);
    conn_set_private(p->c, p);
    p->out = payload;
    p->outlen = len;
    int rc = W.is_unix ? conn_connect(p->c, W.unix_path, 0, NULL, cli_on_connect)
                       : conn_connect(p->c, "127.0.0.1", listen_port(W.l), NULL, cli_on_connect);
    assert_int_equal(rc, 0);
    return p;
}

static void world_stop(void) {
    for (int i = 0; i < W.nsrv; i++) {
        if (W.srv[i].c) conn_close(W.srv[i].c);
        sbuf_free(&W.srv[i].in);
    }
    for (int i = 0; i < W.ncli; i++) {
        if (W.cli[i].c) conn_close(W.cli[i].c);
        sbuf_free(&W.cli[i].in);
    }
    listen_close(W.l);
    ev_destroy(W.loop);
}

typedef int cond_fn(void *arg);

static int run_until(cond_fn *cond, void *arg) {
    int64_t deadline = ev_now_ms() + RUN_MS;
    while (!cond(arg) && ev_now_ms() < deadline)
        ev_run_once(W.loop, 10);
    return cond(arg);
}

static int echo_done(void *arg) {
    peer *p = arg;
    return p->in.len >= p->outlen || p->failed || p->closed;
}

/* ---- tests ---- */

static void echo_case(int is_unix) {
    static char big[200 * 1024];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    world_start(is_unix);
    peer *p = client_start(big, sizeof(big));
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, sizeof(big));
    assert_memory_equal(p->in.data, big, sizeof(big));
    assert_int_equal(conn_get_state(p->c), CONN_STATE_CONNECTED);
    assert_false(conn_has_pending(p->c));
    assert_string_equal(p->c->type->name, is_unix ? "unix" : "tcp");
    world_stop();
}

static void test_tcp_echo(void **state) {
    (void)state;
    echo_case(0);
}

static void test_unix_echo(void **state) {
    (void)state;
    echo_case(1);
}

static void test_unix_listener_files(void **state) {
    (void)state;
    char path[128], err[256];
    listener *l = NULL;
    ev_loop *loop = ev_create(16);
    snprintf(path, sizeof(path), "%s/stale.sock", g_dir);
    /* A stale socket file from a dead process. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    assert_int_equal(listen_unix(loop, path, 0600, 16, on_listen, NULL, &l, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    listen_close(l);
    assert_int_equal(stat(path, &st), -1); /* removed on close */

    /* A regular file is not ours to delete. */
    snprintf(path, sizeof(path), "%s/regular", g_dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    l = NULL;
    assert_true(listen_unix(loop, path, 0600, 16, on_listen, NULL, &l, err, sizeof(err)) < 0);
    assert_null(l);
    assert_non_null(strstr(err, "not a socket"));
    unlink(path);
    ev_destroy(loop);
}

static int both_closed(void *arg) {
    peer *p = arg;
    return W.nsrv > 0 && W.srv[0].closed && (p->closed || p->failed);
}

static void test_handler_closes_own_conn(void **state) {
    (void)state;
    world_start(0);
    W.close_on_read = 1;
    peer *p = client_start("x", 1);
    assert_true(run_until(both_closed, p));
    assert_true(p->closed);
    assert_int_equal(p->last_rc, SK_ECLOSED);
    world_stop();
}

static int connect_done(void *arg) {
    peer *p = arg;
    return p->connected || p->failed;
}

static void test_connect_refused(void **state) {
    (void)state;
    world_start(0);
    int port = listen_port(W.l);
    listen_close(W.l);
    W.l = NULL;
    peer *p = &W.cli[W.ncli++];
    p->c = conn_create_tcp(W.loop, -1);
    conn_set_private(p->c, p);
    assert_int_equal(conn_connect(p->c, "127.0.0.1", port, NULL, cli_on_connect), 0);
    assert_true(run_until(connect_done, p));
    assert_true(p->failed);
    assert_non_null(strstr(p->err, "refused"));
    world_stop();
}

static void test_bind_list(void **state) {
    (void)state;
    ev_loop *loop = ev_create(16);
    char err[256];
    listener *l = NULL;
    /* 192.0.2.1 (TEST-NET-1) is not ours: optional means skipped. */
    char *ok[] = {"-192.0.2.1", "127.0.0.1", "-::1"};
    assert_int_equal(listen_tcp(loop, ok, 3, 0, 16, on_listen, NULL, &l, err, sizeof(err)), 0);
    assert_true(listen_port(l) > 0);
    listen_close(l);

    l = NULL;
    char *bad[] = {"127.0.0.1", "192.0.2.1"};
    assert_true(listen_tcp(loop, bad, 2, 0, 16, on_listen, NULL, &l, err, sizeof(err)) < 0);
    assert_null(l);
    assert_non_null(strstr(err, "192.0.2.1"));

    char *none[] = {"-192.0.2.1"};
    assert_true(listen_tcp(loop, none, 1, 0, 16, on_listen, NULL, &l, err, sizeof(err)) < 0);
    assert_true(listen_tcp(loop, ok, 1, 70000, 16, on_listen, NULL, &l, err, sizeof(err)) < 0);
    ev_destroy(loop);
}

static int raw_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void test_max_accepts(void **state) {
    (void)state;
    world_start(0);
    listen_set_max_accepts(W.l, 1);
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = raw_connect(listen_port(W.l));
    ev_run_once(W.loop, 100);
    assert_int_equal(W.nsrv, 1);
    ev_run_once(W.loop, 100);
    assert_int_equal(W.nsrv, 2);
    ev_run_once(W.loop, 100);
    assert_int_equal(W.nsrv, 3);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    world_stop();
}

static void test_sync_and_addrs(void **state) {
    (void)state;
    world_start(0);
    peer *p = client_start(NULL, 0);
    assert_true(run_until(connect_done, p));
    assert_true(p->connected);
    conn *c = p->c;
    /* Done by hand from here: no read handler competing with sync reads. */
    conn_set_read_handler(c, NULL);
    ev_run_once(W.loop, 10); /* let the server accept */
    assert_int_equal(conn_sync_write(c, "PING\r\nPONG\n", 11, 1000), 11);
    char line[64];
    /* The server echoes from the loop; the sync read polls the socket. */
    for (int i = 0; i < 20; i++)
        ev_run_once(W.loop, 5);
    assert_int_equal(conn_sync_readline(c, line, sizeof(line), 1000), 4);
    assert_string_equal(line, "PING");
    assert_int_equal(conn_sync_readline(c, line, sizeof(line), 1000), 4);
    assert_string_equal(line, "PONG");
    int64_t t0 = ev_now_ms();
    assert_int_equal(conn_sync_read(c, line, 1, 50), -ETIMEDOUT);
    assert_true(ev_now_ms() - t0 >= 40);

    char a[64], b[64];
    assert_int_equal(conn_local_addr(c, a, sizeof(a)), 0);
    assert_int_equal(conn_peer_addr(W.srv[0].c, b, sizeof(b)), 0);
    assert_string_equal(a, b);
    assert_int_equal(strncmp(a, "127.0.0.1:", 10), 0);
    assert_int_equal(conn_peer_addr(c, a, sizeof(a)), 0);
    char expect[64];
    snprintf(expect, sizeof(expect), "127.0.0.1:%d", listen_port(W.l));
    assert_string_equal(a, expect);
    assert_int_equal(conn_set_nodelay(c, 1), 0);
    assert_int_equal(conn_set_keepalive(c, 300), 0);
    assert_int_equal(conn_process_pending(W.loop), 0);
    world_stop();
}

static void noop_handler(conn *c) {
    (void)c;
}

static void test_write_barrier_flag(void **state) {
    (void)state;
    world_start(0);
    peer *p = client_start(NULL, 0);
    assert_true(run_until(connect_done, p));
    conn *c = p->c;
    assert_int_equal(conn_set_write_handler_barrier(c, noop_handler), 0);
    assert_int_equal(ev_get_file_mask(W.loop, c->fd) & (EV_WRITABLE | EV_BARRIER),
                     EV_WRITABLE | EV_BARRIER);
    assert_int_equal(conn_set_write_handler(c, noop_handler), 0);
    assert_int_equal(ev_get_file_mask(W.loop, c->fd) & (EV_WRITABLE | EV_BARRIER), EV_WRITABLE);
    assert_int_equal(conn_set_write_handler(c, NULL), 0);
    assert_int_equal(ev_get_file_mask(W.loop, c->fd) & EV_WRITABLE, 0);
    world_stop();
}

static void test_ipv6_loopback(void **state) {
    (void)state;
    memset(&W, 0, sizeof(W));
    W.loop = ev_create(64);
    char err[256];
    char *addrs[] = {"::1"};
    if (listen_tcp(W.loop, addrs, 1, 0, 16, on_listen6, NULL, &W.l, err, sizeof(err)) != 0) {
        print_message("no IPv6 loopback here (%s): skipped\n", err);
        ev_destroy(W.loop);
        skip();
    }
    peer *p = &W.cli[W.ncli++];
    p->c = conn_create_tcp(W.loop, -1);
    conn_set_private(p->c, p);
    p->out = "six";
    p->outlen = 3;
    assert_int_equal(conn_connect(p->c, "::1", listen_port(W.l), NULL, cli_on_connect), 0);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 3);
    char a[64], expect[64];
    snprintf(expect, sizeof(expect), "[::1]:%d", listen_port(W.l));
    assert_int_equal(conn_peer_addr(p->c, a, sizeof(a)), 0);
    assert_string_equal(a, expect);
    world_stop();
}

static void test_unix_addr(void **state) {
    (void)state;
    world_start(1);
    peer *p = client_start("hi", 2);
    assert_true(run_until(echo_done, p));
    char a[160], expect[160];
    snprintf(expect, sizeof(expect), "%s:0", W.unix_path);
    assert_int_equal(conn_peer_addr(W.srv[0].c, a, sizeof(a)), 0);
    assert_string_equal(a, expect);
    assert_int_equal(conn_set_nodelay(p->c, 1), 0);
    world_stop();
}

static int group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(g_dir, sizeof(g_dir), "/tmp/sealkv-conn-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    return rmdir(g_dir) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_echo),
        cmocka_unit_test(test_unix_echo),
        cmocka_unit_test(test_unix_listener_files),
        cmocka_unit_test(test_handler_closes_own_conn),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_bind_list),
        cmocka_unit_test(test_max_accepts),
        cmocka_unit_test(test_sync_and_addrs),
        cmocka_unit_test(test_write_barrier_flag),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_unix_addr),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
