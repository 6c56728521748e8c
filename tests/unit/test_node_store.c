/* test_node_store.c - three real configuration stores in one process, on
 * loopback, over the mTLS control plane: bootstrap, join, writes on the
 * leader and forwarded from followers, leader failover, quorum loss
 * (SK_ENOQUORUM, bounded), restart from disk, and the refusals: plaintext,
 * another CA, a data-plane certificate, a removed node. Every wait is
 * bounded in time; no assertion on timings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/err.h"
#include "../../src/core/ev.h"
#include "../../src/core/log.h"
#include "../../src/net/conn.h"
#include "../../src/net/tls.h"
#include "../../src/node/cp_msg.h"
#include "../../src/node/cp_transport.h"
#include "../../src/node/store.h"
#include "../../src/pki/pki.h"

#define CLUSTER "c0ffee-test"
#define NN 3

static char TMP[256];
static ev_loop *L;
static cp_store *S[NN + 1]; /* 1-based, as node ids */
static char ADDR[NN + 1][64];

static void path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", TMP, name);
}

/* ---- certificates ---- */

static void issue(const pki_key *key, const char *cn, const char *uri, pki_usage usage,
                  const pki_cert *issuer, const pki_key *issuer_key, const char *file) {
    pki_names n;
    pki_issue_req req;
    pki_cert *c;
    char err[256], p[400];
    const char *uris[1] = {uri};
    memset(&n, 0, sizeof(n));
    n.cn = cn;
    if (uri) {
        n.uris = uris;
        n.nuris = 1;
    }
    memset(&req, 0, sizeof(req));
    req.subject_key = key;
    req.names = &n;
    req.usage = usage;
    req.days = 2;
    req.issuer = issuer;
    req.issuer_key = issuer_key;
    assert_int_equal(pki_cert_issue(&req, &c, err, sizeof(err)), 0);
    path(p, sizeof(p), file);
    assert_int_equal(pki_cert_save(c, p, err, sizeof(err)), 0);
    pki_cert_free(c);
}

static pki_cert *load_cert(const char *file) {
    pki_cert *c;
    char err[256], p[400];
    path(p, sizeof(p), file);
    assert_int_equal(pki_cert_load(p, &c, err, sizeof(err)), 0);
    return c;
}

static void make_pki(void) {
    pki_key *cak, *fk, *nk;
    pki_cert *ca, *fca;
    char err[256], p[400], uri[128], name[64];
    int i;
    assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &cak, err, sizeof(err)), 0);
    assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &fk, err, sizeof(err)), 0);
    assert_int_equal(pki_key_generate(PKI_KEY_RSA2048, &nk, err, sizeof(err)), 0);
    path(p, sizeof(p), "node.key");
    assert_int_equal(pki_key_save(nk, p, err, sizeof(err)), 0);
    issue(cak, "cluster CA", NULL, PKI_USE_CA, NULL, NULL, "ca.crt");
    issue(fk, "foreign CA", NULL, PKI_USE_CA, NULL, NULL, "fca.crt");
    path(p, sizeof(p), "other.key");
    assert_int_equal(pki_key_save(fk, p, err, sizeof(err)), 0);
    ca = load_cert("ca.crt");
    fca = load_cert("fca.crt");
    for (i = 1; i <= NN; i++) {
        snprintf(uri, sizeof(uri), "sealkv://%s/node/%d/control", CLUSTER, i);
        snprintf(name, sizeof(name), "node%d.crt", i);
        issue(nk, "node", uri, PKI_USE_BOTH, ca, cak, name);
    }
    /* Right CA, data plane. */
    issue(nk, "node", "sealkv://" CLUSTER "/node/2/data", PKI_USE_BOTH, ca, cak, "data2.crt");
    /* Another CA, the right name. */
    issue(nk, "node", "sealkv://" CLUSTER "/node/2/control", PKI_USE_BOTH, fca, fk, "foreign2.crt");
    /* Right CA, another cluster. */
    issue(nk, "node", "sealkv://other/node/2/control", PKI_USE_BOTH, ca, cak, "other2.crt");
    pki_cert_free(ca);
    pki_cert_free(fca);
    pki_key_free(cak);
    pki_key_free(fk);
    pki_key_free(nk);
}

/* ---- loop helpers ---- */

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    conn_process_pending(loop);
}

typedef int pred_fn(void *arg);

/* Runs the loop until pred holds or ms pass; returns pred. */
static int run_until(pred_fn *pred, void *arg, int64_t ms) {
    int64_t end = ev_now_ms() + ms;
    while (!pred(arg) && ev_now_ms() < end)
        ev_run_once(L, 10);
    return pred(arg);
}

static void run_for(int64_t ms) {
    int64_t end = ev_now_ms() + ms;
    while (ev_now_ms() < end)
        ev_run_once(L, 10);
}

typedef struct done {
    int called, rc;
} done;

static void done_cb(void *ud, int rc) {
    done *d = ud;
    d->called++;
    d->rc = rc;
}

static int is_called(void *arg) {
    return ((done *)arg)->called > 0;
}

static int wait_done(done *d) {
    assert_true(run_until(is_called, d, 30000));
    assert_int_equal(d->called, 1);
    return d->rc;
}

static int leader_of(void) {
    int i;
    for (i = 1; i <= NN; i++)
        if (S[i] && cp_store_is_leader(S[i])) return i;
    return 0;
}

static int has_leader(void *arg) {
    (void)arg;
    return leader_of() != 0;
}

/* Every open store knows leader l. */
static int all_know_leader(void *arg) {
    int i, l = leader_of();
    (void)arg;
    if (!l) return 0;
    for (i = 1; i <= NN; i++)
        if (S[i] && cp_store_leader(S[i]) != (uint64_t)l) return 0;
    return 1;
}

static const char *WANT;
static int all_have_want(void *arg) {
    json_error_t e;
    json_t *w = json_loads(WANT, 0, &e);
    int i, ok = 1;
    (void)arg;
    for (i = 1; i <= NN; i++)
        if (S[i] && !json_equal(cp_store_state(S[i]), w)) ok = 0;
    json_decref(w);
    return ok;
}

static void assert_all_state(const char *want) {
    WANT = want;
    if (!run_until(all_have_want, NULL, 10000)) {
        int i;
        for (i = 1; i <= NN; i++)
            if (S[i]) {
                char *t = json_dumps(cp_store_state(S[i]), JSON_SORT_KEYS | JSON_COMPACT);
                sbuf info = SBUF_INIT;
                cp_store_info(S[i], &info);
                print_message("node %d: %s\n%s", i, t, info.data);
                sbuf_free(&info);
                free(t);
            }
        fail_msg("states differ from %s", want);
    }
}

static cp_store *open_store(int id, const char *addr) {
    cp_store_config c;
    cp_store *s;
    char dir[300], crt[300], key[300], ca[300], name[32], err[256];
    snprintf(name, sizeof(name), "n%d", id);
    path(dir, sizeof(dir), name);
    snprintf(name, sizeof(name), "node%d.crt", id);
    path(crt, sizeof(crt), name);
    path(key, sizeof(key), "node.key");
    path(ca, sizeof(ca), "ca.crt");
    memset(&c, 0, sizeof(c));
    c.loop = L;
    c.dir = dir;
    c.node_id = (uint64_t)id;
    c.addr = addr;
    c.cluster_uid = CLUSTER;
    c.ca_file = ca;
    c.cert_file = crt;
    c.key_file = key;
    c.election_timeout_ms = 400;
    c.heartbeat_ms = 50;
    if (cp_store_open(&c, &s, err, sizeof(err))) fail_msg("open node %d: %s", id, err);
    return s;
}

static json_t *J(const char *t) {
    json_error_t e;
    json_t *v = json_loads(t, 0, &e);
    assert_non_null(v);
    return v;
}

static int propose(int on, const char *op) {
    done d = {0, 0};
    int rc = cp_store_propose(S[on], J(op), done_cb, &d);
    if (rc) return rc;
    return wait_done(&d);
}

/* ---- raw probes against a node's listener ---- */

typedef struct probe {
    conn *c;
    tls_ctx *ctx;
    tls_stats stats;
    int ended, connected;
} probe;

static void probe_read(conn *c) {
    probe *p = conn_get_private(c);
    char buf[256];
    int n = conn_read(c, buf, sizeof(buf));
    if (n < 0) p->ended = 1;
}

static void probe_connected(conn *c) {
    probe *p = conn_get_private(c);
    sbuf b = SBUF_INIT;
    if (conn_get_state(c) != CONN_STATE_CONNECTED) {
        p->ended = 1;
        return;
    }
    p->connected = 1;
    /* Say hello as node 2 and wait for the server's verdict. */
    cp_msg_encode_hello(&b, 2, "127.0.0.1:1");
    conn_write(c, b.data, b.len);
    sbuf_free(&b);
    conn_set_read_handler(c, probe_read);
}

static int probe_ended(void *arg) {
    return ((probe *)arg)->ended;
}

/* Connects to node `to` with certificate file crt; returns 1 when the
 * server ended the connection (or the handshake failed), 0 if it stayed up. */
static int tls_probe_with(int to, const char *crt, int protocols, const char *ciphers) {
    tls_config tc;
    probe p;
    char err[256], cert[300], key[300], ca[300], host[64];
    int port;
    memset(&p, 0, sizeof(p));
    memset(&tc, 0, sizeof(tc));
    path(cert, sizeof(cert), crt);
    path(key, sizeof(key), "node.key");
    path(ca, sizeof(ca), "ca.crt");
    tc.cert_file = cert;
    tc.key_file = key;
    tc.ca_cert_file = ca;
    tc.protocols = protocols;
    tc.ciphers = ciphers;
    if (tls_ctx_build(&tc, &p.stats, &p.ctx, err, sizeof(err))) fail_msg("probe ctx: %s", err);
    p.c = conn_create_tls_client(L, p.ctx, NULL);
    conn_set_private(p.c, &p);
    assert_int_equal(cp_addr_split(ADDR[to], host, sizeof(host), &port), 0);
    assert_int_equal(conn_connect(p.c, host, port, NULL, probe_connected), 0);
    run_until(probe_ended, &p, 3000);
    conn_close(p.c);
    tls_ctx_release(p.ctx);
    return p.ended;
}

static int tls_probe(int to, const char *crt) {
    return tls_probe_with(to, crt, 0, NULL);
}

typedef struct raw {
    int fd, ended;
} raw;

static int raw_ended(void *arg) {
    raw *r = arg;
    char buf[64];
    ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) r->ended = 1;
    return r->ended;
}

static int plaintext_probe(int to) {
    struct sockaddr_in sa;
    char host[64];
    int port;
    raw r = {-1, 0};
    const char *junk = "*1\r\n$4\r\nPING\r\n\r\n\r\n\r\n";
    assert_int_equal(cp_addr_split(ADDR[to], host, sizeof(host), &port), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    r.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_true(write(r.fd, junk, strlen(junk)) > 0);
    run_until(raw_ended, &r, 3000);
    close(r.fd);
    return r.ended;
}

/* ---- the scenario ---- */

static int setup(void **unused) {
    (void)unused;
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_NOTICE);
    static int run;
    memset(S, 0, sizeof(S));
    snprintf(TMP, sizeof(TMP), "/tmp/sealkv-test-store-%d-%d", (int)getpid(), run++);
    assert_int_equal(mkdir(TMP, 0700), 0);
    L = ev_create(256);
    ev_set_before_sleep(L, before_sleep, NULL);
    make_pki();
    return 0;
}

static int teardown(void **unused) {
    char cmd[300];
    int i;
    (void)unused;
    for (i = 1; i <= NN; i++)
        cp_store_close(S[i]);
    ev_destroy(L);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", TMP);
    if (system(cmd)) {
    }
    return 0;
}

static void add_node(int on, int id) {
    done d = {0, 0};
    assert_int_equal(cp_store_add_node(S[on], (uint64_t)id, ADDR[id], done_cb, &d), 0);
    assert_int_equal(wait_done(&d), 0);
}

static void test_cluster(void **unused) {
    int i, l, f, other;
    struct tls_stats *st;
    uint64_t failed;
    done d = {0, 0};
    (void)unused;

    /* Node 1 creates the cluster; 2 and 3 join (one added on the leader,
     * one through a follower, which forwards). */
    S[1] = open_store(1, "127.0.0.1:0");
    snprintf(ADDR[1], sizeof(ADDR[1]), "%s", cp_store_addr(S[1]));
    {
        json_t *init = J("{\"cluster\":{\"name\":\"t\"}}");
        assert_int_equal(cp_store_bootstrap(S[1], init), 0);
        json_decref(init);
    }
    assert_int_equal(cp_store_bootstrap(S[1], NULL), SK_EBUSY);
    assert_true(run_until(has_leader, NULL, 5000));
    assert_int_equal(leader_of(), 1);
    assert_true(cp_store_has_quorum(S[1]));
    for (i = 2; i <= NN; i++) {
        S[i] = open_store(i, "127.0.0.1:0");
        snprintf(ADDR[i], sizeof(ADDR[i]), "%s", cp_store_addr(S[i]));
    }
    /* Not joined yet: nothing to propose to. */
    assert_int_equal(
        cp_store_propose(S[2], J("{\"op\":\"set\",\"path\":[\"x\"],\"value\":1}"), done_cb, &d),
        SK_ENOTLEADER);
    add_node(1, 2);
    assert_true(run_until(all_know_leader, NULL, 5000) || 1);
    add_node(2, 3); /* forwarded from follower 2 to leader 1 */
    assert_true(run_until(all_know_leader, NULL, 10000));
    assert_all_state("{\"cluster\":{\"name\":\"t\"}}");
    /* Adding is idempotent; the same id at another address is a conflict. */
    add_node(leader_of(), 3);
    d = (done){0, 0};
    assert_int_equal(cp_store_add_node(S[leader_of()], 3, "127.0.0.1:1", done_cb, &d),
                     SK_ECONFLICT);

    /* Writes: on the leader, and forwarded from a follower. */
    assert_int_equal(propose(1, "{\"op\":\"set\",\"path\":[\"cluster\",\"desc\"],\"value\":\"d\"}"),
                     0);
    assert_int_equal(propose(3, "{\"op\":\"create\",\"path\":[\"dbs\",\"1\"],\"value\":{\"n\":1}}"),
                     0);
    assert_int_equal(propose(2, "{\"op\":\"create\",\"path\":[\"dbs\",\"1\"],\"value\":{}}"),
                     SK_ECONFLICT);
    assert_int_equal(propose(2, "{\"op\":\"bogus\"}"), SK_EINVAL);
    assert_int_equal(propose(3, "{\"op\":\"batch\",\"ops\":[{\"op\":\"set\",\"path\":[\"a\"],"
                                "\"value\":1},{\"op\":\"del\",\"path\":[\"nope\"]}]}"),
                     SK_ECONFLICT);
    assert_all_state("{\"cluster\":{\"name\":\"t\",\"desc\":\"d\"},\"dbs\":{\"1\":{\"n\":1}}}");

    /* Refusals at the control-plane port. */
    st = cp_store_tls_stats(S[1]);
    failed = st->handshakes_failed;
    assert_true(plaintext_probe(1));
    assert_true(st->handshakes_failed > failed);
    assert_true(tls_probe(1, "foreign2.crt"));
    assert_true(tls_probe(1, "data2.crt"));
    assert_true(tls_probe(1, "other2.crt"));
    /* The same probe with node 2's real certificate is accepted. */
    assert_false(tls_probe(1, "node2.crt"));
    /* The TLS policy is fixed: 1.2 with the two ECDHE-RSA-AES-GCM suites, or 1.3. */
    assert_false(tls_probe_with(1, "node2.crt", TLS_PROTO_1_2, "ECDHE-RSA-AES128-GCM-SHA256"));
    assert_false(tls_probe_with(1, "node2.crt", TLS_PROTO_1_2, "ECDHE-RSA-AES256-GCM-SHA384"));
    assert_false(tls_probe_with(1, "node2.crt", TLS_PROTO_1_3, NULL));
    assert_true(tls_probe_with(1, "node2.crt", TLS_PROTO_1_2, "ECDHE-RSA-CHACHA20-POLY1305"));
    assert_true(tls_probe_with(1, "node2.crt", TLS_PROTO_1_2, "AES128-GCM-SHA256"));

    /* Remove node 3: it is refused from then on. */
    l = leader_of();
    d = (done){0, 0};
    assert_int_equal(cp_store_remove_node(S[l == 1 ? 2 : 1], 3, done_cb, &d), 0);
    assert_int_equal(wait_done(&d), 0);
    run_for(1200);
    assert_true(tls_probe(leader_of(), "node3.crt"));
    cp_store_close(S[3]);
    S[3] = NULL;
    assert_int_equal(propose(1, "{\"op\":\"set\",\"path\":[\"after\"],\"value\":3}"), 0);

    /* Put node 3 back (fresh state) to have three again. */
    {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf %s/n3", TMP);
        assert_int_equal(system(cmd), 0);
    }
    S[3] = open_store(3, ADDR[3]);
    add_node(leader_of(), 3);
    assert_all_state("{\"after\":3,\"cluster\":{\"name\":\"t\",\"desc\":\"d\"},"
                     "\"dbs\":{\"1\":{\"n\":1}}}");

    /* Leader failover: the old leader goes away, the others elect. */
    l = leader_of();
    assert_true(l != 0);
    cp_store_close(S[l]);
    S[l] = NULL;
    {
        int64_t t0 = ev_now_ms();
        assert_true(run_until(has_leader, NULL, 10000));
        print_message("new leader elected %lld ms after the old one went away\n",
                      (long long)(ev_now_ms() - t0));
    }
    f = leader_of();
    assert_int_not_equal(f, l);
    assert_int_equal(propose(f, "{\"op\":\"set\",\"path\":[\"failover\"],\"value\":1}"), 0);

    /* Quorum loss: with two of three gone, a write fails within bounds. */
    other = 0;
    for (i = 1; i <= NN; i++)
        if (S[i] && i != f) other = i;
    cp_store_close(S[other]);
    S[other] = NULL;
    {
        int64_t t0 = ev_now_ms();
        int rc = propose(f, "{\"op\":\"set\",\"path\":[\"lost\"],\"value\":1}");
        assert_true(rc == SK_ENOQUORUM || rc == SK_ENOTLEADER);
        print_message("write without quorum failed after %lld ms\n", (long long)(ev_now_ms() - t0));
    }
    assert_false(cp_store_has_quorum(S[f]));

    /* Restart the two from disk: the committed state is back. (The write
     * that failed with SK_ENOQUORUM was not committed in time; Raft may
     * still commit it later, so the test overwrites it.) */
    S[l] = open_store(l, ADDR[l]);
    S[other] = open_store(other, ADDR[other]);
    assert_true(run_until(all_know_leader, NULL, 15000));
    assert_int_equal(propose(leader_of(), "{\"op\":\"batch\",\"ops\":[{\"op\":\"del\",\"path\":"
                                          "[\"failover\"]},{\"op\":\"set\",\"path\":[\"lost\"],"
                                          "\"value\":0}]}"),
                     0);
    assert_all_state("{\"after\":3,\"cluster\":{\"name\":\"t\",\"desc\":\"d\"},"
                     "\"dbs\":{\"1\":{\"n\":1}},\"lost\":0}");
}

static int applied;
static void on_apply(void *ud, const json_t *state) {
    (void)ud;
    (void)state;
    applied++;
}

static cp_store *open_small(int id, const char *addr) {
    cp_store *s = open_store(id, addr);
    cp_store_set_snapshot_threshold(s, 8, 2);
    snprintf(ADDR[id], sizeof(ADDR[id]), "%s", cp_store_addr(s));
    return s;
}

/* Snapshots: taken every 8 entries; a node joining after the log was
 * compacted gets the state as an InstallSnapshot over the control plane; a
 * restart loads snapshot + log. TLS reload keeps the cluster going. */
static void test_snapshots(void **unused) {
    char op[160], err[256];
    json_t *init = json_object();
    int i;
    (void)unused;
    S[1] = open_small(1, "127.0.0.1:0");
    cp_store_on_apply(S[1], on_apply, NULL);
    assert_int_equal(cp_store_bootstrap(S[1], init), 0);
    json_decref(init);
    assert_true(run_until(has_leader, NULL, 5000));
    S[2] = open_small(2, "127.0.0.1:0");
    add_node(1, 2);
    int64_t t0 = ev_now_us();
    for (i = 0; i < 30; i++) {
        snprintf(op, sizeof(op), "{\"op\":\"set\",\"path\":[\"k\",\"%d\"],\"value\":%d}", i % 5, i);
        assert_int_equal(propose(1 + (i % 2), op), 0);
    }
    print_message("30 writes (half forwarded) committed on 2 nodes: %.2f ms each\n",
                  (double)(ev_now_us() - t0) / 30000.0);
    assert_true(applied >= 30);
    S[3] = open_small(3, "127.0.0.1:0");
    add_node(2, 3);
    WANT = NULL;
    assert_all_state("{\"k\":{\"0\":25,\"1\":26,\"2\":27,\"3\":28,\"4\":29}}");
    /* Restart node 1 from its directory. */
    cp_store_close(S[1]);
    S[1] = open_small(1, ADDR[1]);
    assert_true(run_until(all_know_leader, NULL, 10000));
    assert_all_state("{\"k\":{\"0\":25,\"1\":26,\"2\":27,\"3\":28,\"4\":29}}");
    /* Certificate reload on every node, then more writes. */
    for (i = 1; i <= NN; i++)
        assert_int_equal(cp_store_reload_tls(S[i], err, sizeof(err)), 0);
    assert_int_equal(propose(3, "{\"op\":\"del\",\"path\":[\"k\"]}"), 0);
    assert_all_state("{}");
}

/* ---- the dialer checks the listener ---- */

static int got_raft;
static void count_raft(void *ud, uint64_t from, const char *addr, struct raft_message *m) {
    (void)ud;
    (void)addr;
    if (from == 1) got_raft++;
    cp_msg_raft_free(m);
}

static cp_transport *open_tr(uint64_t id, const char *crt) {
    cp_transport_config c;
    cp_transport_cbs cbs;
    cp_transport *t;
    char cert[300], key[300], ca[300], err[256];
    path(cert, sizeof(cert), crt);
    path(key, sizeof(key), "node.key");
    path(ca, sizeof(ca), "ca.crt");
    memset(&c, 0, sizeof(c));
    c.loop = L;
    c.node_id = id;
    c.addr = "127.0.0.1:0";
    c.cluster_uid = CLUSTER;
    c.ca_file = ca;
    c.cert_file = cert;
    c.key_file = key;
    memset(&cbs, 0, sizeof(cbs));
    cbs.on_raft = count_raft;
    if (cp_transport_open(&c, &cbs, &t, err, sizeof(err))) fail_msg("transport: %s", err);
    return t;
}

static int got_some(void *arg) {
    (void)arg;
    return got_raft > 0;
}

/* Node 1 sends to "node 2" at a listener presenting crt: 1 if it arrived. */
static int dial_listener_with(const char *crt) {
    cp_transport *a = open_tr(1, "node1.crt"), *b = open_tr(2, crt);
    struct raft_message m;
    int i;
    memset(&m, 0, sizeof(m));
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.timeout_now.term = 1;
    got_raft = 0;
    /* A few tries: a refused dial backs off for a moment. */
    for (i = 0; i < 5 && !got_raft; i++) {
        cp_transport_send_raft(a, 2, cp_transport_addr(b), &m);
        run_until(got_some, NULL, 400);
    }
    cp_transport_close(a);
    cp_transport_close(b);
    return got_raft > 0;
}

static void test_dialer_checks_listener(void **unused) {
    (void)unused;
    assert_true(dial_listener_with("node2.crt"));
    assert_false(dial_listener_with("data2.crt"));  /* data plane */
    assert_false(dial_listener_with("node3.crt"));  /* another node */
    assert_false(dial_listener_with("other2.crt")); /* another cluster */
}

/* ---- bad configuration and bad calls: a clear error, nothing running ---- */

static int try_open(uint64_t id, const char *addr, const char *dirname, const char *crt,
                    const char *keyname, const char *caname, const char *cluster, char *err,
                    size_t errlen) {
    cp_store_config c;
    cp_store *s = NULL;
    char dir[300], cert[300], key[300], ca[300];
    int rc;
    path(dir, sizeof(dir), dirname);
    path(cert, sizeof(cert), crt);
    path(key, sizeof(key), keyname);
    path(ca, sizeof(ca), caname);
    memset(&c, 0, sizeof(c));
    c.loop = L;
    c.dir = dir;
    c.node_id = id;
    c.addr = addr;
    c.cluster_uid = cluster;
    c.ca_file = ca;
    c.cert_file = cert;
    c.key_file = key;
    err[0] = 0;
    rc = cp_store_open(&c, &s, err, errlen);
    if (rc == 0) cp_store_close(s);
    return rc;
}

static void test_open_errors(void **unused) {
    char err[256], p[300];
    int fd;
    json_t *v;
    done d = {0, 0};
    (void)unused;
    assert_int_equal(
        try_open(1, "nohost", "e1", "node1.crt", "node.key", "ca.crt", CLUSTER, err, sizeof(err)),
        SK_ECONFIG);
    assert_non_null(strstr(err, "nohost"));
    assert_int_equal(try_open(0, "127.0.0.1:0", "e1", "node1.crt", "node.key", "ca.crt", CLUSTER,
                              err, sizeof(err)),
                     SK_EINVAL);
    assert_true(try_open(1, "127.0.0.1:0", "e1", "node1.crt", "node.key", "missing.crt", CLUSTER,
                         err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "missing.crt"));
    assert_true(try_open(1, "127.0.0.1:0", "e1", "nope.crt", "node.key", "ca.crt", CLUSTER, err,
                         sizeof(err)) < 0);
    assert_true(err[0] != 0);
    /* A key that does not match the certificate. */
    assert_true(try_open(1, "127.0.0.1:0", "e1", "node1.crt", "other.key", "ca.crt", CLUSTER, err,
                         sizeof(err)) < 0);
    assert_true(err[0] != 0);
    assert_int_equal(
        try_open(1, "127.0.0.1:0", "e1", "node1.crt", "node.key", "ca.crt", "", err, sizeof(err)),
        SK_ECONFIG);
    /* The address is taken. */
    S[1] = open_store(1, "127.0.0.1:0");
    snprintf(ADDR[1], sizeof(ADDR[1]), "%s", cp_store_addr(S[1]));
    assert_true(try_open(2, ADDR[1], "e2", "node2.crt", "node.key", "ca.crt", CLUSTER, err,
                         sizeof(err)) < 0);
    assert_true(err[0] != 0);
    /* Damaged state is refused, not repaired by guessing. */
    path(p, sizeof(p), "e3");
    assert_int_equal(mkdir(p, 0700), 0);
    path(p, sizeof(p), "e3/meta");
    fd = open(p, O_WRONLY | O_CREAT, 0600);
    assert_true(write(fd, "garbage", 7) == 7);
    close(fd);
    assert_int_equal(try_open(3, "127.0.0.1:0", "e3", "node3.crt", "node.key", "ca.crt", CLUSTER,
                              err, sizeof(err)),
                     SK_ECORRUPT);
    assert_non_null(strstr(err, "e3"));

    /* Bad calls on a store that is not started yet / bad arguments. */
    assert_int_equal(cp_store_propose(S[1], J("{\"op\":\"nope\"}"), done_cb, &d), SK_EINVAL);
    assert_int_equal(cp_store_propose(S[1], NULL, done_cb, &d), SK_EINVAL);
    assert_int_equal(cp_store_add_node(S[1], 0, "127.0.0.1:1", done_cb, &d), SK_EINVAL);
    assert_int_equal(cp_store_add_node(S[1], 2, "", done_cb, &d), SK_EINVAL);
    assert_int_equal(cp_store_remove_node(S[1], 0, done_cb, &d), SK_EINVAL);
    v = J("[1]");
    assert_int_equal(cp_store_bootstrap(S[1], v), SK_EINVAL);
    json_decref(v);
    assert_int_equal(cp_store_leader(S[1]), 0);
    assert_false(cp_store_is_leader(S[1]));
    assert_int_equal(json_object_size(cp_store_state(S[1])), 0);
    run_for(50);
    assert_int_equal(d.called, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dialer_checks_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
