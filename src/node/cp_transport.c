/* cp_transport.c - mTLS connections, identity checks and framing for the
 * control plane. */
#include "cp_transport.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "../core/util.h"
#include "../net/conn.h"
#include "../net/listen.h"
#include "cp_msg.h"

#define CP_CIPHERS "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"
#define OUT_MAX (32u << 20) /* queued bytes per connection before giving up on it */
#define READ_CHUNK 65536
#define REDIAL_MS 300
#define MAX_BACKOFF 64

typedef struct pconn {
    cp_transport *t;
    conn *c;
    uint64_t serial;
    uint64_t peer_id; /* outbound: the peer dialled; inbound: from the certificate */
    int outbound;
    int ready; /* identity checked (and, inbound, HELLO received) */
    int dead;
    char peer_addr[CP_MSG_ADDR_MAX + 1];
    sbuf in, out;
    struct pconn *next;
} pconn;

struct cp_transport {
    ev_loop *loop;
    uint64_t node_id;
    char *addr, *cluster_uid;
    char *ca_file, *cert_file, *key_file;
    cp_transport_cbs cbs;
    tls_stats stats;
    tls_ctx *ctx;
    listener *l;
    pconn *conns;
    uint64_t next_serial;
    int64_t reap_timer;
    struct {
        uint64_t id;
        int64_t until;
    } backoff[MAX_BACKOFF];
    struct {
        uint64_t key;
        const char *why; /* static reasons compare by address */
        int64_t at;
    } refusals[MAX_BACKOFF];
};

/* ---- helpers ---- */

int cp_addr_split(const char *addr, char *host, size_t hostlen, int *port) {
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    const char *h = addr;
    size_t hl;
    long long p;
    if (!colon || colon == addr) return SK_EINVAL;
    hl = (size_t)(colon - addr);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hostlen || !util_str_to_ll(colon + 1, strlen(colon + 1), &p) || p < 0 ||
        p > 65535)
        return SK_EINVAL;
    memcpy(host, h, hl);
    host[hl] = 0;
    *port = (int)p;
    return 0;
}

int cp_ident_parse(const char *uri, const char *cluster_uid, const char *plane, uint64_t *id,
                   const char **why) {
    static const char scheme[] = "sealkv://";
    size_t cl = strlen(cluster_uid);
    const char *p = uri, *slash;
    unsigned long long v;
    if (strncmp(p, scheme, sizeof(scheme) - 1)) {
        *why = "not a sealkv identity";
        return SK_ECERT;
    }
    p += sizeof(scheme) - 1;
    if (strncmp(p, cluster_uid, cl) || p[cl] != '/') {
        *why = "identity of another cluster";
        return SK_ECERT;
    }
    p += cl + 1;
    if (strncmp(p, "node/", 5)) {
        *why = "not a node identity";
        return SK_ECERT;
    }
    p += 5;
    slash = strchr(p, '/');
    if (!slash || !util_str_to_ull(p, (size_t)(slash - p), &v) || v == 0 || slash == p ||
        *p == '0' || *p == '+' || *p == '-') {
        *why = "bad node id in identity";
        return SK_ECERT;
    }
    if (strcmp(slash + 1, plane)) {
        *why = "identity of another plane";
        return SK_ECERT;
    }
    *id = v;
    return 0;
}

/* ---- connection lifecycle ---- */

static int64_t reap_cb(ev_loop *loop, int64_t id, void *data) {
    cp_transport *t = data;
    pconn **pp = &t->conns;
    (void)loop;
    (void)id;
    t->reap_timer = 0;
    while (*pp) {
        pconn *p = *pp;
        if (!p->dead) {
            pp = &p->next;
            continue;
        }
        *pp = p->next;
        sbuf_free(&p->in);
        sbuf_free(&p->out);
        sk_free(p);
    }
    return EV_TIMER_STOP;
}

static void set_backoff(cp_transport *t, uint64_t id) {
    int i, slot = 0;
    for (i = 0; i < MAX_BACKOFF; i++) {
        if (t->backoff[i].id == id || t->backoff[i].until < t->backoff[slot].until) {
            slot = i;
            if (t->backoff[i].id == id) break;
        }
    }
    t->backoff[slot].id = id;
    t->backoff[slot].until = ev_now_ms() + REDIAL_MS;
}

static int in_backoff(cp_transport *t, uint64_t id) {
    int i;
    for (i = 0; i < MAX_BACKOFF; i++)
        if (t->backoff[i].id == id && t->backoff[i].until > ev_now_ms()) return 1;
    return 0;
}

/* Closes now, frees later (we may be inside this pconn's read loop). */
static void pconn_kill(pconn *p) {
    cp_transport *t = p->t;
    if (p->dead) return;
    p->dead = 1;
    conn_set_private(p->c, NULL);
    conn_close(p->c);
    p->c = NULL;
    if (p->outbound) {
        set_backoff(t, p->peer_id);
        if (t->cbs.on_peer_lost) t->cbs.on_peer_lost(t->cbs.ud, p->peer_id);
    }
    if (!t->reap_timer) t->reap_timer = ev_add_timer(t->loop, 0, reap_cb, t);
}

/* Same refusal of the same known node within this window: logged at verbose
 * level only (a removed node retries every few hundred ms). */
#define REFUSAL_LOG_MS 10000

static void refuse_as(pconn *p, const char *kind, const char *why) {
    cp_transport *t = p->t;
    char ip[128] = "?";
    uint64_t key = p->peer_id * 2 + (uint64_t)p->outbound;
    int64_t now = ev_now_ms();
    int i, slot = 0, loud = 1;
    /* Strangers (no identity yet) are always logged: each is news. */
    for (i = 0; p->peer_id && i < MAX_BACKOFF; i++) {
        if (t->refusals[i].key == key && t->refusals[i].why == kind) {
            loud = now - t->refusals[i].at >= REFUSAL_LOG_MS;
            slot = i;
            break;
        }
        if (t->refusals[i].at < t->refusals[slot].at) slot = i;
    }
    if (loud) {
        t->refusals[slot].key = key;
        t->refusals[slot].why = kind;
        t->refusals[slot].at = now;
    }
    char who[40] = "unidentified";
    if (p->c) conn_peer_addr(p->c, ip, sizeof(ip));
    if (p->peer_id) snprintf(who, sizeof(who), "node %llu", (unsigned long long)p->peer_id);
    log_msg(loud ? LOG_WARNING : LOG_VERBOSE, "control plane: refused %s %s (%s): %s",
            p->outbound ? "connection to" : "connection from", ip, who, why);
    pconn_kill(p);
}

static void refuse(pconn *p, const char *why) {
    refuse_as(p, why, why);
}

static void on_writable(conn *c);

static void flush_out(pconn *p) {
    while (p->out.len && !p->dead) {
        int n = conn_write(p->c, p->out.data, p->out.len);
        if (n < 0) {
            log_verbose("control plane: write to node %llu failed: %s",
                        (unsigned long long)p->peer_id, conn_last_error(p->c));
            pconn_kill(p);
            return;
        }
        if (n == 0) break;
        sbuf_consume(&p->out, (size_t)n);
    }
    if (p->dead) return;
    conn_set_write_handler(p->c, p->out.len ? on_writable : NULL);
    sbuf_trim(&p->out);
}

static void on_writable(conn *c) {
    pconn *p = conn_get_private(c);
    if (p && !p->dead) flush_out(p);
}

/* Queues bytes already appended to p->out: sends now when ready. */
static int pconn_queued(pconn *p) {
    if (p->out.len > OUT_MAX) {
        log_warning("control plane: node %llu does not read its messages; dropping the link",
                    (unsigned long long)p->peer_id);
        pconn_kill(p);
        return SK_ECLOSED;
    }
    if (p->ready) flush_out(p);
    return 0;
}

/* ---- identity ---- */

typedef struct ident_scan {
    cp_transport *t;
    int found;
    uint64_t id;
    const char *why;
} ident_scan;

static void scan_uri(const char *uri, void *priv) {
    ident_scan *s = priv;
    uint64_t id;
    const char *why = NULL;
    if (cp_ident_parse(uri, s->t->cluster_uid, "control", &id, &why) == 0) {
        if (s->found && s->id != id) s->why = "several node identities";
        s->found++;
        s->id = id;
    } else if (!s->why || !s->found) {
        s->why = why;
    }
}

/* 0 when the peer is a current member of this cluster on this plane. */
static int check_identity(pconn *p) {
    cp_transport *t = p->t;
    ident_scan s = {t, 0, 0, NULL};
    if (conn_get_state(p->c) != CONN_STATE_CONNECTED) {
        char why[300];
        const char *e = conn_last_error(p->c);
        if (p->outbound && strstr(e, "connect:")) {
            /* A peer that is down is not a refusal: say it quietly. */
            log_verbose("control plane: cannot reach node %llu: %s", (unsigned long long)p->peer_id,
                        e);
            pconn_kill(p);
            return SK_ECLOSED;
        }
        snprintf(why, sizeof(why), "%s", e);
        refuse_as(p, "tls", why);
        return SK_ECERT;
    }
    if (conn_tls_peer_uris(p->c, scan_uri, &s) <= 0 || !s.found || s.found > 1) {
        refuse(p, s.found > 1 ? "several node identities"
                              : (s.why ? s.why : "no sealkv identity in the certificate"));
        return SK_ECERT;
    }
    if (p->outbound && s.id != p->peer_id) {
        refuse(p, "certificate names another node");
        return SK_ECERT;
    }
    p->peer_id = s.id;
    if (t->cbs.is_member && !t->cbs.is_member(t->cbs.ud, s.id)) {
        refuse(p, "not a current member of the cluster");
        return SK_ECERT;
    }
    return 0;
}

/* ---- reading ---- */

static void handle_frame(pconn *p, uint8_t kind, const uint8_t *pl, uint32_t len) {
    cp_transport *t = p->t;
    if (!p->outbound && !p->ready) {
        uint64_t id;
        if (kind != CP_MSG_HELLO ||
            cp_msg_decode_hello(pl, len, &id, p->peer_addr, sizeof(p->peer_addr))) {
            refuse(p, "bad first message");
            return;
        }
        if (id != p->peer_id) {
            refuse(p, "HELLO names another node than the certificate");
            return;
        }
        p->ready = 1;
        flush_out(p);
        return;
    }
    switch (kind) {
    case CP_MSG_RAFT: {
        struct raft_message m;
        if (cp_msg_decode_raft(pl, len, &m)) {
            refuse(p, "malformed raft message");
            return;
        }
        m.server_id = p->peer_id;
        m.server_address = p->peer_addr;
        if (t->cbs.on_raft)
            t->cbs.on_raft(t->cbs.ud, p->peer_id, p->peer_addr, &m);
        else
            cp_msg_raft_free(&m);
        return;
    }
    case CP_MSG_FWD_REQ: {
        uint64_t req;
        uint8_t what;
        const char *json;
        size_t jlen;
        if (cp_msg_decode_fwd_req(pl, len, &req, &what, &json, &jlen)) {
            refuse(p, "malformed forward request");
            return;
        }
        if (t->cbs.on_fwd_req)
            t->cbs.on_fwd_req(t->cbs.ud, p->peer_id, p->serial, req, what, json, jlen);
        return;
    }
    case CP_MSG_FWD_RESP: {
        uint64_t req;
        int rc;
        if (cp_msg_decode_fwd_resp(pl, len, &req, &rc)) {
            refuse(p, "malformed forward response");
            return;
        }
        if (t->cbs.on_fwd_resp) t->cbs.on_fwd_resp(t->cbs.ud, p->peer_id, req, rc);
        return;
    }
    default:
        refuse(p, "unexpected message");
    }
}

static void on_readable(conn *c) {
    pconn *p = conn_get_private(c);
    size_t off = 0;
    if (!p || p->dead) return;
    for (;;) {
        int n;
        sbuf_reserve(&p->in, READ_CHUNK);
        n = conn_read(c, p->in.data + p->in.len, READ_CHUNK);
        if (n == 0) break;
        if (n < 0) {
            log_verbose("control plane: link with node %llu closed: %s",
                        (unsigned long long)p->peer_id, conn_last_error(c));
            pconn_kill(p);
            return;
        }
        sbuf_set_len(&p->in, p->in.len + (size_t)n);
        if (p->in.len > CP_MSG_MAX + CP_MSG_HDR) break;
    }
    while (!p->dead) {
        uint8_t kind;
        uint32_t len;
        int rc =
            cp_msg_parse_header((const uint8_t *)p->in.data + off, p->in.len - off, &kind, &len);
        if (rc < 0) {
            refuse(p, "not a control-plane frame (version or size)");
            return;
        }
        if (rc == 0 || p->in.len - off - CP_MSG_HDR < len) break;
        handle_frame(p, kind, (const uint8_t *)p->in.data + off + CP_MSG_HDR, len);
        off += CP_MSG_HDR + len;
    }
    if (!p->dead) {
        sbuf_consume(&p->in, off);
        sbuf_trim(&p->in);
    }
}

/* ---- accepting ---- */

static pconn *pconn_new(cp_transport *t, conn *c, int outbound, uint64_t peer) {
    pconn *p = sk_calloc(1, sizeof(*p));
    p->t = t;
    p->c = c;
    p->outbound = outbound;
    p->peer_id = peer;
    p->serial = ++t->next_serial;
    sbuf_init(&p->in);
    sbuf_init(&p->out);
    p->next = t->conns;
    t->conns = p;
    conn_set_private(c, p);
    return p;
}

static void on_accepted(conn *c) {
    pconn *p = conn_get_private(c);
    if (!p || p->dead) return;
    if (check_identity(p)) return;
    conn_set_read_handler(c, on_readable);
}

static void on_accept_fd(listener *l, int fd, const char *ip, int port, void *data) {
    cp_transport *t = data;
    conn *c = conn_create_tls_accepted(t->loop, fd, t->ctx);
    pconn *p;
    (void)l;
    if (!c) {
        log_warning("control plane: cannot set up TLS for %s:%d", ip, port);
        close(fd);
        return;
    }
    p = pconn_new(t, c, 0, 0);
    if (conn_accept(c, on_accepted)) {
        refuse(p, "accept failed");
    }
}

/* ---- dialling ---- */

static void on_connected(conn *c) {
    pconn *p = conn_get_private(c);
    if (!p || p->dead) return;
    if (check_identity(p)) return;
    /* Raft messages are small and latency-bound: no Nagle delay. */
    conn_set_nodelay(c, 1);
    conn_set_keepalive(c, 10);
    p->ready = 1;
    conn_set_read_handler(c, on_readable);
    flush_out(p);
}

static pconn *find_out(cp_transport *t, uint64_t id) {
    pconn *p;
    for (p = t->conns; p; p = p->next)
        if (!p->dead && p->outbound && p->peer_id == id) return p;
    return NULL;
}

static pconn *dial(cp_transport *t, uint64_t to, const char *addr) {
    char host[256], name[512];
    int port;
    conn *c;
    pconn *p;
    if (!addr || cp_addr_split(addr, host, sizeof(host), &port) || port == 0 || in_backoff(t, to))
        return NULL;
    snprintf(name, sizeof(name), "sealkv://%s/node/%llu/control", t->cluster_uid,
             (unsigned long long)to);
    c = conn_create_tls_client(t->loop, t->ctx, name);
    if (!c) return NULL;
    p = pconn_new(t, c, 1, to);
    snprintf(p->peer_addr, sizeof(p->peer_addr), "%s", addr);
    cp_msg_encode_hello(&p->out, t->node_id, t->addr);
    if (conn_connect(c, host, port, NULL, on_connected)) {
        log_verbose("control plane: cannot connect to node %llu at %s: %s", (unsigned long long)to,
                    addr, conn_last_error(c));
        pconn_kill(p);
        return NULL;
    }
    return p;
}

static pconn *out_conn(cp_transport *t, uint64_t to, const char *addr) {
    pconn *p = find_out(t, to);
    return p ? p : dial(t, to, addr);
}

int cp_transport_send_raft(cp_transport *t, uint64_t to, const char *addr,
                           const struct raft_message *m) {
    pconn *p = out_conn(t, to, addr);
    if (!p) return RAFT_NOCONNECTION;
    cp_msg_encode_raft(&p->out, m);
    return pconn_queued(p) ? RAFT_NOCONNECTION : 0;
}

int cp_transport_send_fwd_req(cp_transport *t, uint64_t to, const char *addr, uint64_t req_id,
                              int what, const char *json, size_t len) {
    pconn *p = out_conn(t, to, addr);
    if (!p) return SK_ECLOSED;
    cp_msg_encode_fwd_req(&p->out, req_id, (uint8_t)what, json, len);
    return pconn_queued(p);
}

int cp_transport_send_fwd_resp(cp_transport *t, uint64_t conn_serial, uint64_t req_id, int rc) {
    pconn *p;
    for (p = t->conns; p; p = p->next) {
        if (p->serial == conn_serial && !p->dead) {
            cp_msg_encode_fwd_resp(&p->out, req_id, rc);
            return pconn_queued(p);
        }
    }
    return SK_ECLOSED;
}

void cp_transport_recheck(cp_transport *t) {
    pconn *p;
    if (!t->cbs.is_member) return;
    for (p = t->conns; p; p = p->next) {
        if (p->dead || !p->peer_id || !p->ready) continue;
        if (!t->cbs.is_member(t->cbs.ud, p->peer_id))
            refuse(p, "no longer a member of the cluster");
    }
}

/* ---- open / close ---- */

/* The control plane's TLS policy: not configurable (DESIGN section 2). */
static int build_ctx(cp_transport *t, tls_ctx **out, char *err, size_t errlen) {
    tls_config tc;
    memset(&tc, 0, sizeof(tc));
    tc.cert_file = t->cert_file;
    tc.key_file = t->key_file;
    tc.client_cert_file = t->cert_file;
    tc.client_key_file = t->key_file;
    tc.ca_cert_file = t->ca_file;
    tc.auth_clients = TLS_AUTH_YES;
    tc.protocols = TLS_PROTO_1_2 | TLS_PROTO_1_3;
    tc.ciphers = CP_CIPHERS;
    tc.need_server_cert = 1;
    tc.handshake_timeout_ms = 5000;
    return tls_ctx_build(&tc, &t->stats, out, err, errlen);
}

int cp_transport_reload_tls(cp_transport *t, char *err, size_t errlen) {
    tls_ctx *ctx;
    int rc = build_ctx(t, &ctx, err, errlen);
    if (rc) {
        t->stats.ctx_reload_failures++;
        return rc;
    }
    /* Live connections keep the context they started with. */
    tls_ctx_release(t->ctx);
    t->ctx = ctx;
    t->stats.ctx_reloads++;
    return 0;
}

int cp_transport_open(const cp_transport_config *cfg, const cp_transport_cbs *cbs,
                      cp_transport **out, char *err, size_t errlen) {
    cp_transport *t;
    char host[256], *bind[1];
    int port, rc;
    char addr[300];

    if (!cfg->addr || cp_addr_split(cfg->addr, host, sizeof(host), &port)) {
        snprintf(err, errlen, "bad control-plane address '%s' (want host:port)",
                 cfg->addr ? cfg->addr : "");
        return SK_ECONFIG;
    }
    if (!cfg->cluster_uid || !*cfg->cluster_uid || strchr(cfg->cluster_uid, '/') || !cfg->node_id) {
        snprintf(err, errlen, "control plane needs a cluster uid and a node id");
        return SK_ECONFIG;
    }
    t = sk_calloc(1, sizeof(*t));
    t->loop = cfg->loop;
    t->node_id = cfg->node_id;
    t->cluster_uid = sk_strdup(cfg->cluster_uid);
    t->cbs = *cbs;
    t->ca_file = sk_strdup(cfg->ca_file ? cfg->ca_file : "");
    t->cert_file = sk_strdup(cfg->cert_file ? cfg->cert_file : "");
    t->key_file = sk_strdup(cfg->key_file ? cfg->key_file : "");
    if (!*t->ca_file) {
        snprintf(err, errlen, "control plane needs the cluster CA");
        rc = SK_ECONFIG;
        goto fail;
    }
    rc = build_ctx(t, &t->ctx, err, errlen);
    if (rc) goto fail;
    bind[0] = host;
    rc = listen_tcp(t->loop, bind, 1, port, 128, on_accept_fd, t, &t->l, err, errlen);
    if (rc) goto fail;
    if (port == 0) {
        if (strchr(host, ':'))
            snprintf(addr, sizeof(addr), "[%s]:%d", host, listen_port(t->l));
        else
            snprintf(addr, sizeof(addr), "%s:%d", host, listen_port(t->l));
        t->addr = sk_strdup(addr);
    } else {
        t->addr = sk_strdup(cfg->addr);
    }
    *out = t;
    return 0;
fail:
    cp_transport_close(t);
    return rc;
}

void cp_transport_close(cp_transport *t) {
    pconn *p;
    if (!t) return;
    if (t->l) listen_close(t->l);
    t->cbs.on_peer_lost = NULL;
    for (p = t->conns; p; p = p->next)
        pconn_kill(p);
    if (t->reap_timer) ev_del_timer(t->loop, t->reap_timer);
    reap_cb(t->loop, 0, t);
    if (t->ctx) tls_ctx_release(t->ctx);
    sk_free(t->addr);
    sk_free(t->cluster_uid);
    sk_free(t->ca_file);
    sk_free(t->cert_file);
    sk_free(t->key_file);
    sk_free(t);
}

const char *cp_transport_addr(const cp_transport *t) {
    return t->addr;
}

tls_stats *cp_transport_tls_stats(cp_transport *t) {
    return &t->stats;
}
