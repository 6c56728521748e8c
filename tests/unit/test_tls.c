/* test_tls.c - TLS contexts and TLS conns: real handshakes on 127.0.0.1.
 *
 * The group setup generates a small PKI with the openssl CLI into a temp dir
 * (CA, server cert with SAN 127.0.0.1/localhost, client certs, a foreign
 * CA's client cert, expired and not-yet-valid certs via `openssl ca`).
 * Server and clients run in one event loop in this process; every wait is
 * bounded (RUN_MS).
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
#include "../../src/net/listen.h"
#include "../../src/net/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 5000
#define MAX_PEERS 16

static char g_dir[64];

static const char gen_script[] =
    "set -e\n"
    "cd \"$1\"\n"
    "exec 2>gen.log\n"
    "K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'\n"
    "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext\n"
    "printf 'subjectAltName=DNS:client1.example.com\\nextendedKeyUsage=clientAuth\\n' > "
    "client.ext\n"
    "printf 'subjectAltName=DNS:other.example.com\\nextendedKeyUsage=clientAuth\\n' > other.ext\n"
    "openssl req -x509 $K -keyout ca.key -out ca.crt -days 30 -subj '/CN=Test CA' >/dev/null\n"
    "openssl req -x509 $K -keyout foreign-ca.key -out foreign-ca.crt -days 30 "
    "-subj '/CN=Foreign CA' >/dev/null\n"
    "issue() {\n"
    "  openssl req $K -keyout $1.key -out $1.csr -subj \"/CN=$2\" >/dev/null\n"
    "  openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key "
    "-set_serial 0x$(openssl rand -hex 8) -days 30 -extfile $4 -out $1.crt >/dev/null\n"
    "}\n"
    "issue server server ca server.ext\n"
    "issue client client1 ca client.ext\n"
    "issue other other ca other.ext\n"
    "issue foreign client1 foreign-ca client.ext\n"
    "mkdir -p newcerts && : > index.txt && echo 01 > serial\n"
    "printf '[ca]\\ndefault_ca=myca\\n[myca]\\ndir=.\\ndatabase=index.txt\\n"
    "new_certs_dir=newcerts\\nserial=serial\\ndefault_md=sha256\\npolicy=pol\\n"
    "copy_extensions=copy\\nunique_subject=no\\n[pol]\\ncommonName=supplied\\n' > ca.cnf\n"
    "dated() {\n"
    "  openssl req $K -keyout $1.key -out $1.csr -subj \"/CN=$2\" "
    "-addext 'subjectAltName=DNS:client1.example.com,IP:127.0.0.1' >/dev/null\n"
    "  openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in $1.csr -out $1.crt "
    "-startdate $3 -enddate $4 -notext >/dev/null\n"
    "}\n"
    "dated expired client1 20200101000000Z 20200201000000Z\n"
    "dated expsrv server 20200101000000Z 20200201000000Z\n"
    "dated future server 20990101000000Z 20990201000000Z\n"
    "openssl pkey -in server.key -aes256 -passout pass:s3cret -out server-enc.key\n"
    "openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh.pem\n"
    "mkdir -p cadir && cp ca.crt cadir/ && openssl rehash cadir\n"
    "chmod 600 *.key\n";

/* Path of a file in the PKI dir; a small ring so several can be live. */
static const char *P(const char *name) {
    static char ring[16][128];
    static int next;
    char *p = ring[next++ % 16];
    snprintf(p, 128, "%s/%s", g_dir, name);
    return p;
}

/* ---- a little world: one loop, one TLS listener, echo servers ---- */

typedef struct peer {
    conn *c;
    sbuf in;         /* client: received; server: to echo back */
    const char *out; /* client: payload (borrowed) */
    size_t outlen, outpos;
    int connected, failed, closed;
    size_t partial_writes;
    char err[256];
} peer;

typedef struct world {
    ev_loop *loop;
    listener *l;
    tls_ctx *sctx; /* owned reference */
    tls_ctx *cctx; /* owned reference */
    tls_stats sstats, cstats;
    peer srv[MAX_PEERS];
    int nsrv;
    peer cli[MAX_PEERS];
    int ncli;
    int close_on_read;
    char peer_cn[128];
} world;

static world W;

static int g_pending_runs;
static size_t g_srv_read_size; /* 0: 64 KiB */

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    g_pending_runs += conn_process_pending(loop);
}

static void peer_drop(peer *p, int failed) {
    if (failed)
        p->failed = 1;
    else
        p->closed = 1;
    snprintf(p->err, sizeof(p->err), "%s", conn_last_error(p->c));
    conn_close(p->c);
    p->c = NULL;
}

static int g_small_bufs;

/* Forces partial writes. Only the send side: shrinking a receive buffer
 * after the handshake shrinks the TCP window and stalls the sender. */
static void small_sndbuf(conn *c) {
    if (!g_small_bufs) return;
    int sz = 16 * 1024;
    setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static void srv_flush(conn *c) {
    peer *p = conn_get_private(c);
    while (p->in.len > 0) {
        size_t half = p->in.len / 2;
        struct iovec iov[2] = {{p->in.data, half}, {p->in.data + half, p->in.len - half}};
        int n = conn_writev(c, iov, 2);
        if (n < 0) {
            peer_drop(p, 1);
            return;
        }
        sbuf_consume(&p->in, (size_t)n);
        if (p->in.len > 0) {
            p->partial_writes++;
            conn_set_write_handler(c, srv_flush);
            return;
        }
    }
    conn_set_write_handler(c, NULL);
}

static void srv_on_read(conn *c) {
    peer *p = conn_get_private(c);
    char buf[64 * 1024];
    int n = conn_read(c, buf, g_srv_read_size ? g_srv_read_size : sizeof(buf));
    if (n < 0) {
        peer_drop(p, 0);
        return;
    }
    if (W.close_on_read) {
        /* Close from inside the handler, then keep using c: it must stay
         * valid until the handler returns. */
        conn_close(c);
        p->c = NULL;
        p->closed = 1;
        assert_true(conn_get_state(c) == CONN_STATE_CONNECTED);
        (void)conn_read(c, buf, sizeof(buf));
        return;
    }
    sbuf_append(&p->in, buf, (size_t)n);
    srv_flush(c);
}

static void srv_on_accept(conn *c) {
    peer *p = conn_get_private(c);
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        peer_drop(p, 1);
        return;
    }
    p->connected = 1;
    small_sndbuf(c);
    conn_tls_peer_cn(c, W.peer_cn, sizeof(W.peer_cn));
    conn_set_read_handler(c, srv_on_read);
}

static void on_listen(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)ip;
    (void)port;
    int tls = data != NULL;
    if (W.nsrv >= MAX_PEERS) {
        close(fd);
        return;
    }
    peer *p = &W.srv[W.nsrv++];
    p->c = tls ? conn_create_tls_accepted(W.loop, fd, W.sctx) : conn_create_tcp(W.loop, fd);
    assert_non_null(p->c);
    conn_set_private(p->c, p);
    assert_int_equal(conn_accept(p->c, srv_on_accept), 0);
}

static void cli_on_write(conn *c) {
    peer *p = conn_get_private(c);
    size_t want = p->outlen - p->outpos;
    if (want > 256 * 1024) want = 256 * 1024;
    int n = want ? conn_write(c, p->out + p->outpos, want) : 0;
    if (n < 0) {
        peer_drop(p, 1);
        return;
    }
    p->outpos += (size_t)n;
    if ((size_t)n < want) p->partial_writes++;
    if (p->outpos == p->outlen) conn_set_write_handler(c, NULL);
}

static void cli_on_read(conn *c) {
    peer *p = conn_get_private(c);
    char buf[64 * 1024];
    for (int i = 0; i < 64; i++) {
        int n = conn_read(c, buf, sizeof(buf));
        if (n < 0) {
            peer_drop(p, 0);
            return;
        }
        if (n == 0) return;
        sbuf_append(&p->in, buf, (size_t)n);
    }
}

static void cli_on_connect(conn *c) {
    peer *p = conn_get_private(c);
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        peer_drop(p, 1);
        return;
    }
    p->connected = 1;
    small_sndbuf(c);
    conn_set_read_handler(c, cli_on_read);
    if (p->outlen) conn_set_write_handler(c, cli_on_write);
}

/* ---- config helpers ---- */

static tls_config server_cfg(tls_auth_mode auth) {
    tls_config cfg = {0};
    cfg.cert_file = P("server.crt");
    cfg.key_file = P("server.key");
    cfg.ca_cert_file = P("ca.crt");
    cfg.auth_clients = auth;
    cfg.need_server_cert = 1;
    return cfg;
}

static tls_config client_cfg(const char *cert, const char *key) {
    tls_config cfg = {0};
    cfg.client_cert_file = cert ? P(cert) : NULL;
    cfg.client_key_file = key ? P(key) : NULL;
    cfg.ca_cert_file = P("ca.crt");
    return cfg;
}

static tls_ctx *build_ok(const tls_config *cfg, tls_stats *stats) {
    char err[512] = "";
    tls_ctx *t = NULL;
    int rc = tls_ctx_build(cfg, stats, &t, err, sizeof(err));
    if (rc != 0) print_message("build failed: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(t);
    return t;
}

static int build_err(const tls_config *cfg, char *err, size_t errlen) {
    tls_ctx *t = NULL;
    int rc = tls_ctx_build(cfg, NULL, &t, err, errlen);
    assert_null(t);
    return rc;
}

static void world_start(const tls_config *scfg, const tls_config *ccfg) {
    memset(&W, 0, sizeof(W));
    W.loop = ev_create(64);
    assert_non_null(W.loop);
    ev_set_before_sleep(W.loop, before_sleep, NULL);
    W.sctx = build_ok(scfg, &W.sstats);
    if (ccfg) W.cctx = build_ok(ccfg, &W.cstats);
    char *addrs[] = {"127.0.0.1"};
    char err[256];
    int rc = listen_tcp(W.loop, addrs, 1, 0, 128, on_listen, (void *)1, &W.l, err, sizeof(err));
    assert_int_equal(rc, 0);
    g_small_bufs = 0;
    g_srv_read_size = 0;
    g_pending_runs = 0;
}

static peer *client_start(const char *peer_name, const char *payload, size_t len) {
    assert_true(W.ncli < MAX_PEERS);
    peer *p = &W.cli[W.ncli++];
    p->c = conn_create_tls_client(W.loop, W.cctx, peer_name);
    assert_non_null(p->c);
    conn_set_private(p->c, p);
    p->out = payload;
    p->outlen = len;
    int rc = conn_connect(p->c, "127.0.0.1", listen_port(W.l), NULL, cli_on_connect);
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
    tls_ctx_release(W.sctx);
    tls_ctx_release(W.cctx);
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

/* The server failed a handshake and the client learnt it (failed at its
 * own handshake, or its connection was closed afterwards, as in TLS 1.3
 * where the client finishes first). */
static int refused(void *arg) {
    peer *p = arg;
    return W.sstats.handshakes_failed > 0 && (p->failed || p->closed);
}

static void assert_refused(peer *p) {
    assert_true(run_until(refused, p));
    assert_int_equal(W.sstats.handshakes_ok, 0);
    assert_int_equal(W.sstats.handshakes_failed, 1);
    assert_int_equal(p->in.len, 0);
}

/* ---- tests ---- */

static void test_echo_mtls(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    world_start(&s, &c);
    peer *p = client_start("localhost", "hello tls", 9);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 9);
    assert_memory_equal(p->in.data, "hello tls", 9);
    assert_int_equal(W.sstats.handshakes_ok, 1);
    assert_int_equal(W.cstats.handshakes_ok, 1);
    assert_int_equal(W.sstats.handshakes_failed, 0);
    assert_string_equal(W.peer_cn, "client1");
    assert_true(conn_is_tls(p->c));
    char cn[64];
    assert_int_equal(conn_tls_peer_cn(p->c, cn, sizeof(cn)), 0);
    assert_string_equal(cn, "server");
    world_stop();
}

static void test_ca_dir(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    s.ca_cert_file = NULL;
    s.ca_cert_dir = P("cadir");
    c.ca_cert_file = NULL;
    c.ca_cert_dir = P("cadir");
    world_start(&s, &c);
    peer *p = client_start("localhost", "dir", 3);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 3);
    assert_int_equal(W.sstats.handshakes_ok, 1);
    world_stop();
}

static void test_no_client_cert(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg(NULL, NULL);
    world_start(&s, &c);
    peer *p = client_start(NULL, "PING\r\n", 6);
    assert_refused(p);
    assert_int_equal(W.sstats.fail_no_cert, 1);
    assert_true(W.srv[0].failed);
    assert_non_null(strstr(W.srv[0].err, "certificate"));
    world_stop();
}

static void test_optional_auth_without_cert(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_OPTIONAL), c = client_cfg(NULL, NULL);
    world_start(&s, &c);
    peer *p = client_start(NULL, "abc", 3);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 3);
    assert_int_equal(W.sstats.handshakes_ok, 1);
    world_stop();
}

static void test_foreign_ca_client(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("foreign.crt", "foreign.key");
    world_start(&s, &c);
    peer *p = client_start(NULL, "PING\r\n", 6);
    assert_refused(p);
    assert_int_equal(W.sstats.fail_untrusted, 1);
    print_message("server saw: %s\nclient saw: %s\n", W.srv[0].err, p->err);
    assert_non_null(strstr(W.srv[0].err, "unable to get local issuer certificate"));
    world_stop();
}

/* Runs `openssl s_client` with a client certificate our builder would refuse
 * to load; returns its pid. stdin is /dev/null, so it leaves after the
 * handshake. */
static pid_t spawn_s_client(const char *cert, const char *key) {
    char port[32];
    snprintf(port, sizeof(port), "127.0.0.1:%d", listen_port(W.l));
    char *with_cert[] = {"openssl", "s_client",          "-connect", port,
                         "-cert",   (char *)P(cert),     "-key",     (char *)P(key),
                         "-CAfile", (char *)P("ca.crt"), NULL};
    /* No cert: reconnect 5 times offering the first session (TLS 1.2). */
    char *reconnect[] = {"openssl", "s_client", "-connect",          port, "-reconnect",
                         "-tls1_2", "-CAfile",  (char *)P("ca.crt"), NULL};
    char **argv = cert ? with_cert : reconnect;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        execvp("openssl", argv);
        _exit(127);
    }
    return pid;
}

static int server_failed(void *arg) {
    (void)arg;
    return W.sstats.handshakes_failed > 0;
}

static void reap(pid_t pid) {
    int64_t deadline = ev_now_ms() + RUN_MS;
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (ev_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        ev_run_once(W.loop, 10);
    }
}

static void test_expired_client(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES);
    world_start(&s, NULL);
    /* Our builder refuses an expired pair, so an outside client brings it. */
    tls_config ce = client_cfg("expired.crt", "expired.key");
    char err[512];
    assert_int_equal(build_err(&ce, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "has expired"));
    pid_t pid = spawn_s_client("expired.crt", "expired.key");
    assert_true(pid > 0);
    assert_true(run_until(server_failed, NULL));
    reap(pid);
    assert_int_equal(W.sstats.handshakes_ok, 0);
    assert_int_equal(W.sstats.fail_expired, 1);
    world_stop();
}

static int six_handshakes(void *arg) {
    (void)arg;
    return W.sstats.handshakes_ok + W.sstats.handshakes_failed >= 6;
}

static void resumption_case(int caching) {
    tls_config s = server_cfg(TLS_AUTH_NO);
    s.session_caching = caching;
    world_start(&s, NULL);
    pid_t pid = spawn_s_client(NULL, NULL);
    assert_true(pid > 0);
    assert_true(run_until(six_handshakes, NULL));
    reap(pid);
    assert_int_equal(W.sstats.handshakes_ok, 6);
    if (caching)
        assert_int_equal(W.sstats.resumed, 5);
    else
        assert_int_equal(W.sstats.resumed, 0);
    world_stop();
}

static void test_session_resumption(void **state) {
    (void)state;
    resumption_case(1);
    resumption_case(0);
}

static void test_tls11_client_refused(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg(NULL, NULL);
    c.protocols = TLS_PROTO_1_1;
    world_start(&s, &c);
    peer *p = client_start(NULL, "PING\r\n", 6);
    assert_refused(p);
    assert_int_equal(W.sstats.fail_protocol, 1);
    assert_true(p->failed);
    world_stop();
}

static void plaintext_case(const char *req, const char *reason) {
    tls_config s = server_cfg(TLS_AUTH_NO);
    world_start(&s, NULL);
    peer *p = &W.cli[W.ncli++];
    p->c = conn_create_tcp(W.loop, -1);
    conn_set_private(p->c, p);
    p->out = req;
    p->outlen = strlen(req);
    assert_int_equal(conn_connect(p->c, "127.0.0.1", listen_port(W.l), NULL, cli_on_connect), 0);
    assert_true(run_until(refused, p));
    assert_int_equal(W.sstats.fail_protocol, 1);
    assert_non_null(strstr(W.srv[0].err, reason));
    world_stop();
}

/* A plain client on the TLS port: an HTTP request, and redis-cli without
 * --tls (RESP bytes read as a record header: "wrong version number"). */
static void test_plaintext_refused(void **state) {
    (void)state;
    plaintext_case("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "http request");
    plaintext_case("*1\r\n$4\r\nPING\r\n", "wrong version number");
}

static void test_allowed_names(void **state) {
    (void)state;
    const char *ok_names[] = {"nomatch", "client1.*"};
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg("client.crt", "client.key");
    s.allowed_names = ok_names;
    s.allowed_names_count = 2;
    world_start(&s, &c);
    peer *p = client_start(NULL, "hi", 2);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 2);
    assert_int_equal(W.sstats.handshakes_ok, 1);
    world_stop();

    /* A certificate of the right CA but another name is refused. */
    tls_config c2 = client_cfg("other.crt", "other.key");
    world_start(&s, &c2);
    p = client_start(NULL, "PING\r\n", 6);
    assert_refused(p);
    assert_int_equal(W.sstats.fail_name, 1);
    world_stop();

    /* So is a client without a certificate. */
    tls_config c3 = client_cfg(NULL, NULL);
    world_start(&s, &c3);
    p = client_start(NULL, "PING\r\n", 6);
    assert_refused(p);
    assert_int_equal(W.sstats.fail_no_cert, 1);
    world_stop();
}

static int client_failed(void *arg) {
    peer *p = arg;
    return p->failed || p->closed || p->connected;
}

static void test_client_peer_name(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg(NULL, NULL);
    world_start(&s, &c);
    peer *a = client_start("127.0.0.1", "a", 1);
    peer *b = client_start("*.example.com", "b", 1);
    peer *d = client_start("wrong.example.com", "d", 1);
    peer *e = client_start("local*", "e", 1);
    assert_true(run_until(echo_done, a));
    assert_true(run_until(client_failed, b));
    assert_true(run_until(client_failed, d));
    assert_true(run_until(echo_done, e));
    assert_int_equal(a->in.len, 1);
    assert_int_equal(e->in.len, 1);
    assert_true(b->failed);
    assert_true(d->failed);
    assert_non_null(strstr(d->err, "does not match the required peer name"));
    assert_int_equal(W.cstats.fail_name, 2);
    assert_int_equal(W.cstats.handshakes_ok, 2);
    world_stop();
}

static void test_ctx_build_errors(void **state) {
    (void)state;
    char err[512];
    tls_config s = server_cfg(TLS_AUTH_YES);
    tls_ctx *good = build_ok(&s, NULL);

    s.key_file = P("client.key");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "does not match"));

    s = server_cfg(TLS_AUTH_YES);
    s.cert_file = P("expsrv.crt");
    s.key_file = P("expsrv.key");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "has expired (notAfter 2020-02-01"));

    s.cert_file = P("future.crt");
    s.key_file = P("future.key");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECERT);
    assert_non_null(strstr(err, "not yet valid"));

    s = server_cfg(TLS_AUTH_YES);
    s.ca_cert_file = P("missing-ca.crt");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);
    assert_non_null(strstr(err, "missing-ca.crt"));

    s = server_cfg(TLS_AUTH_YES);
    s.cert_file = P("nope.crt");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);
    assert_non_null(strstr(err, "nope.crt"));

    s = server_cfg(TLS_AUTH_YES);
    s.key_file = P("server-enc.key");
    s.key_file_pass = "Xyzzy-pass";
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECERT);
    assert_null(strstr(err, "Xyzzy")); /* the passphrase is never echoed */
    s.key_file_pass = "s3cret";
    tls_ctx_release(build_ok(&s, NULL));

    s = server_cfg(TLS_AUTH_YES);
    s.dh_params_file = P("dh.pem");
    tls_ctx_release(build_ok(&s, NULL));
    s.dh_params_file = P("ca.crt");
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);
    assert_non_null(strstr(err, "ca.crt"));

    s = server_cfg(TLS_AUTH_YES);
    s.ciphers = "NOT-A-CIPHER";
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);
    s = server_cfg(TLS_AUTH_YES);
    s.ca_cert_file = NULL;
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);
    s = server_cfg(TLS_AUTH_NO);
    s.cert_file = NULL;
    assert_int_equal(build_err(&s, err, sizeof(err)), SK_ECONFIG);

    /* The failed rebuilds left the good ctx usable. */
    memset(&W, 0, sizeof(W));
    tls_config s2 = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    world_start(&s2, &c);
    tls_ctx_release(W.sctx);
    W.sctx = good;
    peer *p = client_start(NULL, "still", 5);
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, 5);
    world_stop();
}

static void test_protocols_parse(void **state) {
    (void)state;
    int bits = -1;
    assert_int_equal(tls_parse_protocols("TLSv1.2 TLSv1.3", &bits), 0);
    assert_int_equal(bits, TLS_PROTO_1_2 | TLS_PROTO_1_3);
    assert_int_equal(tls_parse_protocols("tlsv1.1", &bits), 0);
    assert_int_equal(bits, TLS_PROTO_1_1);
    assert_int_equal(tls_parse_protocols("", &bits), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(tls_parse_protocols("TLSv1.2 SSLv3", &bits), SK_ECONFIG);
}

static void fill_pattern(char *buf, size_t len) {
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char)(x >> 16);
    }
}

static void test_one_mib_both_ways(void **state) {
    (void)state;
    size_t len = 1024 * 1024;
    char *payload = malloc(len);
    assert_non_null(payload);
    fill_pattern(payload, len);
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    world_start(&s, &c);
    g_small_bufs = 1;
    peer *p = client_start(NULL, payload, len);
    int done = run_until(echo_done, p);
    if (!done) {
        int q1 = 0, q2 = 0, q3 = 0, q4 = 0;
        ioctl(p->c->fd, FIONREAD, &q1);
        ioctl(p->c->fd, TIOCOUTQ, &q2);
        ioctl(W.srv[0].c->fd, FIONREAD, &q3);
        ioctl(W.srv[0].c->fd, TIOCOUTQ, &q4);
        print_message("client sent %zu got %zu failed %d closed %d err '%s'; server in %zu\n",
                      p->outpos, p->in.len, p->failed, p->closed, p->err, W.srv[0].in.len);
        print_message(
            "cli inq %d outq %d pending %d mask %d; srv inq %d outq %d pending %d mask %d\n", q1,
            q2, conn_has_pending(p->c), ev_get_file_mask(W.loop, p->c->fd), q3, q4,
            conn_has_pending(W.srv[0].c), ev_get_file_mask(W.loop, W.srv[0].c->fd));
    }
    assert_true(done);
    assert_int_equal(p->in.len, len);
    assert_memory_equal(p->in.data, payload, len);
    print_message("partial writes: client %zu, server %zu\n", p->partial_writes,
                  W.srv[0].partial_writes);
    assert_true(p->partial_writes > 0);
    assert_true(W.srv[0].partial_writes > 0);
    world_stop();
    free(payload);
}

static int server_closed(void *arg) {
    peer *p = arg;
    return W.nsrv > 0 && W.srv[0].closed && (p->closed || p->failed);
}

static void test_handler_closes_own_conn(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg(NULL, NULL);
    world_start(&s, &c);
    W.close_on_read = 1;
    peer *p = client_start(NULL, "x", 1);
    assert_true(run_until(server_closed, p));
    assert_true(p->closed);
    assert_int_equal(p->in.len, 0);
    world_stop();
}

static int all_echoed(void *arg) {
    (void)arg;
    for (int i = 0; i < W.ncli; i++)
        if (!echo_done(&W.cli[i])) return 0;
    return 1;
}

/* The server reads 100 bytes per call: the rest of each record stays
 * decrypted inside OpenSSL, invisible to epoll, and only
 * conn_process_pending() gets it read. */
static void test_pending_plaintext(void **state) {
    (void)state;
    static char msg[10000];
    memset(msg, 'p', sizeof(msg));
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg(NULL, NULL);
    world_start(&s, &c);
    g_srv_read_size = 100;
    peer *p = client_start(NULL, msg, sizeof(msg));
    assert_true(run_until(echo_done, p));
    assert_int_equal(p->in.len, sizeof(msg));
    assert_true(g_pending_runs >= 50);
    world_stop();
}

static int g_silent_fds[4];
static int g_nsilent;

/* A plain listener that accepts and then says nothing. */
static void on_listen_silent(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)ip;
    (void)port;
    (void)data;
    if (g_nsilent < 4)
        g_silent_fds[g_nsilent++] = fd;
    else
        close(fd);
}

static int timeouts_seen(void *arg) {
    peer *p = arg;
    return W.sstats.fail_timeout > 0 && p->failed;
}

static void test_handshake_timeout(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_NO), c = client_cfg(NULL, NULL);
    s.handshake_timeout_ms = 200;
    c.handshake_timeout_ms = 200;
    world_start(&s, &c);
    /* A silent client on the TLS port... */
    peer *raw = &W.cli[W.ncli++];
    raw->c = conn_create_tcp(W.loop, -1);
    conn_set_private(raw->c, raw);
    assert_int_equal(conn_connect(raw->c, "127.0.0.1", listen_port(W.l), NULL, cli_on_connect), 0);
    /* ...and a TLS client facing a silent server. */
    char *addrs[] = {"127.0.0.1"};
    char err[256];
    listener *silent = NULL;
    g_nsilent = 0;
    assert_int_equal(
        listen_tcp(W.loop, addrs, 1, 0, 16, on_listen_silent, NULL, &silent, err, sizeof(err)), 0);
    peer *p = &W.cli[W.ncli++];
    p->c = conn_create_tls_client(W.loop, W.cctx, NULL);
    conn_set_private(p->c, p);
    assert_int_equal(conn_connect(p->c, "127.0.0.1", listen_port(silent), NULL, cli_on_connect), 0);
    int64_t t0 = ev_now_ms();
    assert_true(run_until(timeouts_seen, p));
    int64_t took = ev_now_ms() - t0;
    /* Not before the timeout; the upper bound only catches a missing one. */
    assert_true(took >= 150 && took < 10000);
    assert_int_equal(W.sstats.fail_timeout, 1);
    assert_int_equal(W.sstats.handshakes_failed, 1);
    assert_string_equal(W.srv[0].err, "TLS handshake timed out");
    assert_int_equal(W.cstats.fail_timeout, 1);
    assert_string_equal(p->err, "TLS handshake timed out");
    for (int i = 0; i < g_nsilent; i++)
        close(g_silent_fds[i]);
    listen_close(silent);
    world_stop();
}

static void test_handshake_budget(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    s.max_handshakes_per_loop = 1;
    world_start(&s, &c);
    for (int i = 0; i < 6; i++)
        client_start(NULL, "ping", 4);
    assert_true(run_until(all_echoed, NULL));
    for (int i = 0; i < 6; i++)
        assert_int_equal(W.cli[i].in.len, 4);
    assert_int_equal(W.sstats.handshakes_ok, 6);
    world_stop();
}

static void test_sync_helpers(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES), c = client_cfg("client.crt", "client.key");
    world_start(&s, &c);
    peer *p = client_start(NULL, NULL, 0);
    assert_true(run_until(client_failed, p));
    assert_true(p->connected);
    conn_set_read_handler(p->c, NULL);
    assert_int_equal(conn_sync_write(p->c, "PING\r\nPONG\n", 11, 1000), 11);
    for (int i = 0; i < 20; i++) /* the server echoes from the loop */
        ev_run_once(W.loop, 5);
    char line[64];
    assert_int_equal(conn_sync_readline(p->c, line, sizeof(line), 1000), 4);
    assert_string_equal(line, "PING");
    assert_true(conn_has_pending(p->c)); /* "PONG\n" is already decrypted */
    assert_int_equal(conn_sync_readline(p->c, line, sizeof(line), 1000), 4);
    assert_string_equal(line, "PONG");
    assert_int_equal(conn_sync_read(p->c, line, 1, 50), -ETIMEDOUT);
    world_stop();
}

static void test_ctx_info_and_files(void **state) {
    (void)state;
    tls_config s = server_cfg(TLS_AUTH_YES);
    s.client_cert_file = P("client.crt");
    s.client_key_file = P("client.key");
    tls_ctx *t = build_ok(&s, NULL);
    sbuf out = SBUF_INIT;
    tls_ctx_info(t, "tls_", &out);
    assert_non_null(strstr(out.data, "tls_server_cert_subject:CN=server\r\n"));
    assert_non_null(strstr(out.data, "tls_client_cert_subject:CN=client1\r\n"));
    assert_non_null(strstr(out.data, "tls_ca_cert_count:1\r\n"));
    assert_non_null(strstr(out.data, "tls_ca_cert_0_subject:CN=Test CA\r\n"));
    assert_non_null(strstr(out.data, "tls_server_cert_expires_in_seconds:"));
    tls_stats st = {.handshakes_ok = 7};
    sbuf_clear(&out);
    tls_stats_info(&st, "tls_", &out);
    assert_non_null(strstr(out.data, "tls_handshakes_ok:7\r\n"));
    sbuf_free(&out);

    assert_int_equal(tls_ctx_files_changed(t), 0);
    struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, P("ca.crt"), ts, 0), 0);
    assert_int_equal(tls_ctx_files_changed(t), 1);
    tls_ctx_release(t);
}

/* ---- PKI generation ---- */

static int group_setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(g_dir, sizeof(g_dir), "/tmp/sealkv-tls-XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    char script[128], cmd[512];
    snprintf(script, sizeof(script), "%s/gen.sh", g_dir);
    FILE *f = fopen(script, "w");
    if (!f) return -1;
    fputs(gen_script, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "sh %s %s", script, g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "certificate generation failed, see %s/gen.log\n", g_dir);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocols_parse),
        cmocka_unit_test(test_echo_mtls),
        cmocka_unit_test(test_ca_dir),
        cmocka_unit_test(test_no_client_cert),
        cmocka_unit_test(test_optional_auth_without_cert),
        cmocka_unit_test(test_foreign_ca_client),
        cmocka_unit_test(test_expired_client),
        cmocka_unit_test(test_tls11_client_refused),
        cmocka_unit_test(test_session_resumption),
        cmocka_unit_test(test_plaintext_refused),
        cmocka_unit_test(test_allowed_names),
        cmocka_unit_test(test_client_peer_name),
        cmocka_unit_test(test_ctx_build_errors),
        cmocka_unit_test(test_one_mib_both_ways),
        cmocka_unit_test(test_handler_closes_own_conn),
        cmocka_unit_test(test_pending_plaintext),
        cmocka_unit_test(test_handshake_budget),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_sync_helpers),
        cmocka_unit_test(test_ctx_info_and_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
