/* store.c - the configuration store: C-Raft + cp_fsm + cp_raftio +
 * cp_transport, and the forwarding of writes from followers to the leader. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "cp_fsm.h"
#include "cp_msg.h"
#include "cp_raftio.h"
#include "cp_transport.h"

#define PROPOSE_TIMEOUT_MS 5000
#define CHANGE_TIMEOUT_MS 20000
#define RECHECK_MS 500
#define FWD_TRIES 3

enum { REQ_APPLY, REQ_ADD, REQ_REMOVE, REQ_FWD };

typedef struct cp_req {
    cp_store *s;
    struct cp_req *next;
    int kind;
    struct raft_apply apply;
    struct raft_change change;
    int raft_owned; /* raft holds &apply / &change until its callback */
    int finished;   /* done was called */
    int fail_rc;    /* for a completion scheduled from the loop */
    int fail_set;   /* fail_rc holds the result (0 included) */
    int64_t timer, step_timer;
    uint64_t fwd_id, node;
    char *addr;      /* REQ_FWD: the JSON payload, kept for a second try */
    int what, tries; /* REQ_FWD */
    cp_store_done_fn *done;
    void *ud;
} cp_req;

struct cp_store {
    ev_loop *loop;
    uint64_t id;
    struct raft raft;
    struct raft_io io;
    cp_fsm fsm;
    cp_transport *tr;
    int raft_inited, started, closing;
    cp_member_check chk;
    cp_req *reqs;
    uint64_t next_fwd;
    int64_t recheck_timer;
    unsigned election_ms, heartbeat_ms;
};

/* ---- requests ---- */

static void req_unlink(cp_req *q) {
    cp_req **pp = &q->s->reqs;
    while (*pp && *pp != q)
        pp = &(*pp)->next;
    if (*pp) *pp = q->next;
}

static void req_free_if_idle(cp_req *q) {
    if (!q->finished || q->raft_owned) return;
    req_unlink(q);
    if (q->timer) ev_del_timer(q->s->loop, q->timer);
    sk_free(q->addr);
    sk_free(q);
}

static void req_finish(cp_req *q, int rc) {
    if (q->finished) return;
    q->finished = 1;
    if (q->timer) {
        ev_del_timer(q->s->loop, q->timer);
        q->timer = 0;
    }
    if (q->done) q->done(q->ud, rc);
}

static int64_t req_timer_cb(ev_loop *loop, int64_t id, void *data) {
    cp_req *q = data;
    (void)loop;
    (void)id;
    q->timer = 0;
    req_finish(q, q->fail_set ? q->fail_rc : SK_ENOQUORUM);
    req_free_if_idle(q);
    return EV_TIMER_STOP;
}

static cp_req *req_new(cp_store *s, int kind, cp_store_done_fn *done, void *ud, int64_t ms) {
    cp_req *q = sk_calloc(1, sizeof(*q));
    q->s = s;
    q->kind = kind;
    q->done = done;
    q->ud = ud;
    q->apply.data = q;
    q->change.data = q;
    q->timer = ev_add_timer(s->loop, ms, req_timer_cb, q);
    q->next = s->reqs;
    s->reqs = q;
    return q;
}

/* Completes q from the loop with rc, 0 included (never inside the caller's call). */
static void req_fail_soon(cp_req *q, int rc) {
    q->fail_rc = rc;
    q->fail_set = 1;
    if (q->timer) ev_del_timer(q->s->loop, q->timer);
    q->timer = ev_add_timer(q->s->loop, 0, req_timer_cb, q);
}

static int map_raft_rc(cp_store *s, int rc) {
    if (s->closing || rc == RAFT_SHUTDOWN) return SK_ECLOSED;
    switch (rc) {
    case 0:
        return 0;
    case RAFT_NOTLEADER:
        return SK_ENOTLEADER;
    case RAFT_LEADERSHIPLOST:
    case RAFT_NOCONNECTION:
        return SK_ENOQUORUM;
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
        return SK_ECONFLICT;
    case RAFT_BADID:
    case RAFT_NOTFOUND:
        return SK_ENOTFOUND;
    case RAFT_CANTCHANGE:
    case RAFT_BUSY:
        return SK_EBUSY;
    case RAFT_NOMEM:
        return SK_ENOMEM;
    case RAFT_BADROLE:
    case RAFT_INVALID:
    case RAFT_MALFORMED:
        return SK_EINVAL;
    default:
        return SK_ENOQUORUM;
    }
}

/* ---- leader side ---- */

static void apply_cb(struct raft_apply *a, int status, void *result) {
    cp_req *q = a->data;
    q->raft_owned = 0;
    req_finish(q, status ? map_raft_rc(q->s, status) : cp_fsm_result_rc(result));
    req_free_if_idle(q);
}

static int local_propose(cp_store *s, json_t *op, cp_store_done_fn *done, void *ud) {
    struct raft_buffer buf;
    char *text;
    cp_req *q;
    int rc;
    if (cp_ops_validate(op)) return SK_EINVAL;
    text = json_dumps(op, JSON_COMPACT);
    if (!text) return SK_ENOMEM;
    buf.len = strlen(text);
    buf.base = raft_malloc(buf.len);
    memcpy(buf.base, text, buf.len);
    free(text);
    q = req_new(s, REQ_APPLY, done, ud, PROPOSE_TIMEOUT_MS);
    rc = raft_apply(&s->raft, &q->apply, &buf, 1, apply_cb);
    if (rc) {
        raft_free(buf.base);
        q->done = NULL;
        req_finish(q, 0);
        req_free_if_idle(q);
        return map_raft_rc(s, rc);
    }
    q->raft_owned = 1;
    return 0;
}

static int64_t assign_timer_cb(ev_loop *loop, int64_t id, void *data);

static void change_cb(struct raft_change *c, int status) {
    cp_req *q = c->data;
    cp_store *s = q->s;
    q->raft_owned = 0;
    if (status == 0 && q->kind == REQ_ADD && !s->closing && !q->finished) {
        /* Step two from the loop: raft is still inside its change bookkeeping. */
        q->kind = REQ_APPLY; /* marks step one done */
        q->raft_owned = 1;   /* keep q alive until the step runs */
        q->step_timer = ev_add_timer(s->loop, 0, assign_timer_cb, q);
        return;
    }
    req_finish(q, map_raft_rc(s, status));
    req_free_if_idle(q);
    cp_transport_recheck(s->tr);
}

static int64_t assign_timer_cb(ev_loop *loop, int64_t id, void *data) {
    cp_req *q = data;
    int rc;
    (void)loop;
    (void)id;
    q->step_timer = 0;
    rc = q->s->closing ? RAFT_SHUTDOWN
                       : raft_assign(&q->s->raft, &q->change, q->node, RAFT_VOTER, change_cb);
    if (rc) {
        q->raft_owned = 0;
        req_finish(q, map_raft_rc(q->s, rc));
        req_free_if_idle(q);
    }
    return EV_TIMER_STOP;
}

static const struct raft_server *config_find(cp_store *s, uint64_t id) {
    unsigned i;
    for (i = 0; i < s->raft.configuration.n; i++)
        if (s->raft.configuration.servers[i].id == id) return &s->raft.configuration.servers[i];
    return NULL;
}

static int local_change(cp_store *s, int kind, uint64_t id, const char *addr,
                        cp_store_done_fn *done, void *ud) {
    const struct raft_server *srv;
    cp_req *q;
    int rc;
    if (id == 0 || (kind == REQ_ADD && (!addr || !*addr || strlen(addr) > CP_MSG_ADDR_MAX)))
        return SK_EINVAL;
    q = req_new(s, kind, done, ud, kind == REQ_ADD ? CHANGE_TIMEOUT_MS : PROPOSE_TIMEOUT_MS);
    q->node = id;
    if (kind == REQ_ADD && (srv = config_find(s, id)) != NULL) {
        /* Adding is idempotent: a voter already there is done; one left
         * half-added (spare or standby after a failed catch-up) is promoted. */
        if (strcmp(srv->address, addr)) {
            rc = RAFT_DUPLICATEID;
        } else if (srv->role == RAFT_VOTER) {
            req_fail_soon(q, 0);
            return 0;
        } else {
            q->kind = REQ_APPLY;
            rc = raft_assign(&s->raft, &q->change, id, RAFT_VOTER, change_cb);
        }
    } else if (kind == REQ_ADD)
        rc = raft_add(&s->raft, &q->change, id, addr, change_cb);
    else
        rc = raft_remove(&s->raft, &q->change, id, change_cb);
    if (rc) {
        q->done = NULL;
        req_finish(q, 0);
        req_free_if_idle(q);
        return map_raft_rc(s, rc);
    }
    q->raft_owned = 1;
    return 0;
}

/* ---- follower side: forwarding ---- */

/* Sends q's payload to the leader this node knows; 0 or SK_ENOTLEADER. */
static int forward_send(cp_store *s, cp_req *q) {
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&s->raft, &lid, &laddr);
    if (lid == 0 || lid == s->id || !laddr) return SK_ENOTLEADER;
    q->fwd_id = ++s->next_fwd;
    q->node = lid;
    q->tries++;
    if (cp_transport_send_fwd_req(s->tr, lid, laddr, q->fwd_id, q->what, q->addr, strlen(q->addr)))
        req_fail_soon(q, SK_ENOQUORUM);
    return 0;
}

static int forward(cp_store *s, int what, json_t *payload, cp_store_done_fn *done, void *ud) {
    raft_id lid = 0;
    const char *laddr = NULL;
    char *text;
    cp_req *q;
    raft_leader(&s->raft, &lid, &laddr);
    if (lid == 0 || lid == s->id || !laddr) return SK_ENOTLEADER;
    text = json_dumps(payload, JSON_COMPACT);
    if (!text) return SK_ENOMEM;
    q = req_new(s, REQ_FWD, done, ud, PROPOSE_TIMEOUT_MS + (what == CP_FWD_ADD ? 15000 : 0));
    q->what = what;
    q->addr = sk_strdup(text);
    free(text);
    return forward_send(s, q);
}

typedef struct fwd_origin {
    cp_store *s;
    uint64_t serial, req_id;
} fwd_origin;

static void fwd_done(void *ud, int rc) {
    fwd_origin *o = ud;
    if (!o->s->closing) cp_transport_send_fwd_resp(o->s->tr, o->serial, o->req_id, rc);
    sk_free(o);
}

static void on_fwd_req(void *ud, uint64_t from, uint64_t serial, uint64_t req_id, int what,
                       const char *json, size_t len) {
    cp_store *s = ud;
    json_error_t jerr;
    json_t *v = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    fwd_origin *o = sk_malloc(sizeof(*o));
    int rc;
    o->s = s;
    o->serial = serial;
    o->req_id = req_id;
    (void)from;
    if (!v) {
        rc = SK_EINVAL;
    } else if (raft_state(&s->raft) != RAFT_LEADER) {
        rc = SK_ENOTLEADER; /* no second hop: the follower asks again */
    } else if (what == CP_FWD_PROPOSE) {
        rc = local_propose(s, v, fwd_done, o);
    } else {
        json_int_t id = json_integer_value(json_object_get(v, "id"));
        const char *addr = json_string_value(json_object_get(v, "addr"));
        rc = id <= 0 ? SK_EINVAL
                     : local_change(s, what == CP_FWD_ADD ? REQ_ADD : REQ_REMOVE, (uint64_t)id,
                                    addr, fwd_done, o);
    }
    json_decref(v);
    if (rc) {
        cp_transport_send_fwd_resp(s->tr, serial, req_id, rc);
        sk_free(o);
    }
}

static void on_fwd_resp(void *ud, uint64_t from, uint64_t req_id, int rc) {
    cp_store *s = ud;
    cp_req *q;
    for (q = s->reqs; q; q = q->next) {
        if (q->kind == REQ_FWD && q->fwd_id == req_id && q->node == from && !q->finished) {
            /* The node we took for the leader is not (any more): if another
             * one is known now, ask it (a few times at most). */
            if (rc == SK_ENOTLEADER && q->tries < FWD_TRIES && !q->fail_set &&
                cp_store_leader(s) != from && forward_send(s, q) == 0)
                return;
            req_finish(q, rc);
            req_free_if_idle(q);
            return;
        }
    }
}

static void on_peer_lost(void *ud, uint64_t peer) {
    cp_store *s = ud;
    cp_req *q;
    for (q = s->reqs; q; q = q->next)
        if (q->kind == REQ_FWD && q->node == peer && !q->finished && !q->fail_set)
            req_fail_soon(q, SK_ENOQUORUM); /* outcome unknown: not known committed */
}

/* ---- raft glue ---- */

static int start_raft(cp_store *s) {
    int rc;
    if (s->started) return 0;
    rc = raft_start(&s->raft);
    if (rc) {
        log_warning("control plane: cannot start raft: %s (%s)", raft_strerror(rc),
                    raft_errmsg(&s->raft));
        return SK_ECORRUPT;
    }
    s->started = 1;
    return 0;
}

static void on_raft(void *ud, uint64_t from, const char *addr, struct raft_message *m) {
    cp_store *s = ud;
    (void)from;
    (void)addr;
    /* A node that has not joined yet starts raft when its leader calls. */
    if (!s->started && !s->closing && start_raft(s)) {
        cp_msg_raft_free(m);
        return;
    }
    cp_raftio_deliver(&s->io, m);
}

static int send_hook(void *ud, const struct raft_message *m) {
    cp_store *s = ud;
    return cp_transport_send_raft(s->tr, m->server_id, m->server_address, m);
}

static int default_is_member(cp_store *s, uint64_t id) {
    const struct raft_configuration *c = &s->raft.configuration;
    unsigned i;
    if (c->n == 0) return 1; /* not joined yet: the chain and cluster uid are all we know */
    for (i = 0; i < c->n; i++)
        if (c->servers[i].id == id) return 1;
    return 0;
}

static int is_member(void *ud, uint64_t id) {
    cp_store *s = ud;
    if (s->chk.is_member) return s->chk.is_member(s->chk.ud, id);
    return default_is_member(s, id);
}

static int64_t recheck_cb(ev_loop *loop, int64_t id, void *data) {
    cp_store *s = data;
    (void)loop;
    (void)id;
    cp_transport_recheck(s->tr);
    return RECHECK_MS;
}

/* ---- public API ---- */

int cp_store_open(const cp_store_config *cfg, cp_store **out, char *err, size_t errlen) {
    cp_store *s;
    cp_transport_config tc;
    cp_transport_cbs cbs;
    int rc;

    if (!cfg->loop || !cfg->dir || !cfg->node_id) {
        snprintf(err, errlen, "control plane: loop, dir and node id are required");
        return SK_EINVAL;
    }
    s = sk_calloc(1, sizeof(*s));
    s->loop = cfg->loop;
    s->id = cfg->node_id;
    s->election_ms = cfg->election_timeout_ms ? cfg->election_timeout_ms : 1000;
    s->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 100;
    cp_fsm_init(&s->fsm);

    rc = cp_raftio_init(&s->io, s->loop, cfg->dir, err, errlen);
    if (rc) {
        cp_fsm_close(&s->fsm);
        sk_free(s);
        return rc;
    }
    memset(&tc, 0, sizeof(tc));
    tc.loop = cfg->loop;
    tc.node_id = cfg->node_id;
    tc.addr = cfg->addr;
    tc.cluster_uid = cfg->cluster_uid;
    tc.ca_file = cfg->ca_file;
    tc.cert_file = cfg->cert_file;
    tc.key_file = cfg->key_file;
    memset(&cbs, 0, sizeof(cbs));
    cbs.on_raft = on_raft;
    cbs.on_fwd_req = on_fwd_req;
    cbs.on_fwd_resp = on_fwd_resp;
    cbs.on_peer_lost = on_peer_lost;
    cbs.is_member = is_member;
    cbs.ud = s;
    rc = cp_transport_open(&tc, &cbs, &s->tr, err, errlen);
    if (rc) goto fail;
    cp_raftio_set_send(&s->io, send_hook, s);
    rc = raft_init(&s->raft, &s->io, &s->fsm.fsm, s->id, cp_transport_addr(s->tr));
    if (rc) {
        snprintf(err, errlen, "control plane: raft_init: %s", raft_strerror(rc));
        rc = SK_ENOMEM;
        goto fail;
    }
    s->raft_inited = 1;
    raft_set_election_timeout(&s->raft, s->election_ms);
    raft_set_heartbeat_timeout(&s->raft, s->heartbeat_ms);
    raft_set_pre_vote(&s->raft, true); /* a removed or partitioned node cannot disrupt */
    raft_set_snapshot_threshold(&s->raft, 256);
    raft_set_snapshot_trailing(&s->raft, 128);
    if (cp_raftio_has_state(&s->io) && start_raft(s)) {
        snprintf(err, errlen, "control plane: cannot start raft on the state in %s", cfg->dir);
        rc = SK_ECORRUPT;
        goto fail;
    }
    s->recheck_timer = ev_add_timer(s->loop, RECHECK_MS, recheck_cb, s);
    *out = s;
    return 0;
fail:
    cp_store_close(s);
    return rc;
}

int cp_store_bootstrap(cp_store *s, json_t *initial_state) {
    struct raft_configuration conf;
    char *text;
    int rc;
    if (s->started || cp_raftio_has_state(&s->io)) return SK_EBUSY;
    if (initial_state && !json_is_object(initial_state)) return SK_EINVAL;
    text = initial_state ? json_dumps(initial_state, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    raft_configuration_init(&conf);
    rc = raft_configuration_add(&conf, s->id, cp_transport_addr(s->tr), RAFT_VOTER);
    if (rc == 0)
        rc = cp_raftio_bootstrap_snapshot(&s->io, &conf, text ? text : "{}",
                                          text ? strlen(text) : 2);
    raft_configuration_close(&conf);
    free(text);
    if (rc) return rc == RAFT_CANTBOOTSTRAP ? SK_EBUSY : -EIO;
    return start_raft(s);
}

void cp_store_close(cp_store *s) {
    cp_req *q, *next;
    if (!s) return;
    s->closing = 1;
    if (s->recheck_timer) ev_del_timer(s->loop, s->recheck_timer);
    /* Forwarded requests first: raft does not know them. */
    for (q = s->reqs; q; q = next) {
        next = q->next;
        if (q->kind == REQ_FWD) {
            req_finish(q, SK_ECLOSED);
            req_free_if_idle(q);
        }
    }
    if (s->raft_inited)
        raft_close(&s->raft, NULL); /* our io closes synchronously; callbacks ran */
    else if (s->io.impl)
        s->io.close(&s->io, NULL);
    for (q = s->reqs; q; q = next) {
        next = q->next;
        if (q->step_timer) ev_del_timer(s->loop, q->step_timer);
        q->raft_owned = 0;
        req_finish(q, SK_ECLOSED);
        req_free_if_idle(q);
    }
    cp_raftio_destroy(&s->io);
    cp_transport_close(s->tr);
    cp_fsm_close(&s->fsm);
    sk_free(s);
}

const json_t *cp_store_state(const cp_store *s) {
    return s->fsm.state;
}

int cp_store_is_leader(const cp_store *s) {
    return s->started && raft_state((struct raft *)&s->raft) == RAFT_LEADER;
}

uint64_t cp_store_leader(const cp_store *s) {
    raft_id id = 0;
    const char *addr = NULL;
    if (!s->started) return 0;
    raft_leader((struct raft *)&s->raft, &id, &addr);
    return id;
}

int cp_store_has_quorum(const cp_store *s) {
    /* C-Raft's leader steps down after an election timeout without hearing
     * from a majority, so leadership implies recent quorum contact. */
    return cp_store_is_leader(s);
}

int cp_store_propose(cp_store *s, json_t *op, cp_store_done_fn *done, void *ud) {
    int rc;
    if (!op) return SK_EINVAL;
    if (cp_ops_validate(op))
        rc = SK_EINVAL;
    else if (!s->started)
        rc = SK_ENOTLEADER;
    else if (cp_store_is_leader(s))
        rc = local_propose(s, op, done, ud);
    else
        rc = forward(s, CP_FWD_PROPOSE, op, done, ud);
    json_decref(op);
    return rc;
}

int cp_store_add_node(cp_store *s, uint64_t id, const char *addr, cp_store_done_fn *done,
                      void *ud) {
    json_t *p;
    int rc;
    if (id == 0 || !addr || !*addr || strlen(addr) > CP_MSG_ADDR_MAX) return SK_EINVAL;
    if (!s->started) return SK_ENOTLEADER;
    if (cp_store_is_leader(s)) return local_change(s, REQ_ADD, id, addr, done, ud);
    p = json_pack("{sIss}", "id", (json_int_t)id, "addr", addr);
    rc = forward(s, CP_FWD_ADD, p, done, ud);
    json_decref(p);
    return rc;
}

int cp_store_remove_node(cp_store *s, uint64_t id, cp_store_done_fn *done, void *ud) {
    json_t *p;
    int rc;
    if (id == 0) return SK_EINVAL;
    if (!s->started) return SK_ENOTLEADER;
    if (cp_store_is_leader(s)) return local_change(s, REQ_REMOVE, id, NULL, done, ud);
    p = json_pack("{sI}", "id", (json_int_t)id);
    rc = forward(s, CP_FWD_REMOVE, p, done, ud);
    json_decref(p);
    return rc;
}

void cp_store_set_member_check(cp_store *s, cp_member_check chk) {
    s->chk = chk;
    cp_transport_recheck(s->tr);
}

void cp_store_on_apply(cp_store *s, void (*fn)(void *ud, const json_t *state), void *ud) {
    s->fsm.on_apply = fn;
    s->fsm.on_apply_ud = ud;
}

const char *cp_store_addr(const cp_store *s) {
    return cp_transport_addr(s->tr);
}

void cp_store_set_snapshot_threshold(cp_store *s, unsigned threshold, unsigned trailing) {
    raft_set_snapshot_threshold(&s->raft, threshold);
    raft_set_snapshot_trailing(&s->raft, trailing);
}

struct tls_stats *cp_store_tls_stats(cp_store *s) {
    return cp_transport_tls_stats(s->tr);
}

void cp_store_info(cp_store *s, sbuf *out) {
    static const char *roles[] = {"unavailable", "follower", "candidate", "leader"};
    struct raft *r = &s->raft;
    int st = s->started ? raft_state(r) : RAFT_UNAVAILABLE;
    unsigned i, voters = 0;
    for (i = 0; i < r->configuration.n; i++)
        voters += r->configuration.servers[i].role == RAFT_VOTER;
    sbuf_appendf(out,
                 "cp_role:%s\r\ncp_leader:%llu\r\ncp_term:%llu\r\ncp_last_index:%llu\r\n"
                 "cp_commit_index:%llu\r\ncp_last_applied:%llu\r\ncp_voters:%u\r\n",
                 st >= 0 && st <= 3 ? roles[st] : "?", (unsigned long long)cp_store_leader(s),
                 (unsigned long long)r->current_term,
                 (unsigned long long)(s->started ? raft_last_index(r) : 0),
                 (unsigned long long)r->commit_index, (unsigned long long)r->last_applied, voters);
}

int cp_store_reload_tls(cp_store *s, char *err, size_t errlen) {
    return cp_transport_reload_tls(s->tr, err, errlen);
}
