/* cp_msg.c - encoders and (untrusted-input) decoders of control-plane frames. */
#include "cp_msg.h"

#include <string.h>

#include "../core/err.h"

/* ---- writing ---- */

static void put8(sbuf *b, uint8_t v) {
    sbuf_append(b, &v, 1);
}
static void put16(sbuf *b, uint16_t v) {
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    sbuf_append(b, x, 2);
}
static void put32(sbuf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    sbuf_append(b, x, 4);
}
static void put64(sbuf *b, uint64_t v) {
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

/* Starts a frame; returns the offset of its length field for finish(). */
static size_t frame_begin(sbuf *b, uint8_t kind) {
    size_t at;
    put8(b, CP_MSG_VERSION);
    put8(b, kind);
    put16(b, 0);
    at = b->len;
    put32(b, 0);
    return at;
}
static void frame_end(sbuf *b, size_t at) {
    uint32_t n = (uint32_t)(b->len - at - 4);
    uint8_t *p = (uint8_t *)b->data + at;
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
}

/* ---- reading ---- */

typedef struct rd {
    const uint8_t *p;
    size_t left;
    int bad;
} rd;

static const uint8_t *take(rd *r, size_t n) {
    const uint8_t *p = r->p;
    if (r->bad || r->left < n) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return p;
}
static uint64_t get(rd *r, int bytes) {
    const uint8_t *p = take(r, (size_t)bytes);
    uint64_t v = 0;
    int i;
    if (!p) return 0;
    for (i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

int cp_msg_parse_header(const uint8_t *p, size_t len, uint8_t *kind, uint32_t *plen) {
    uint32_t n;
    if (len < CP_MSG_HDR) return 0;
    if (p[0] != CP_MSG_VERSION || p[2] || p[3] || p[1] < CP_MSG_HELLO || p[1] > CP_MSG_FWD_RESP)
        return SK_EPROTO;
    n = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    if (n > CP_MSG_MAX) return SK_EPROTO;
    *kind = p[1];
    *plen = n;
    return 1;
}

/* ---- HELLO ---- */

void cp_msg_encode_hello(sbuf *out, uint64_t id, const char *addr) {
    size_t at = frame_begin(out, CP_MSG_HELLO), n = strlen(addr);
    if (n > CP_MSG_ADDR_MAX) n = CP_MSG_ADDR_MAX;
    put64(out, id);
    put16(out, (uint16_t)n);
    sbuf_append(out, addr, n);
    frame_end(out, at);
}

int cp_msg_decode_hello(const uint8_t *p, size_t len, uint64_t *id, char *addr, size_t addrlen) {
    rd r = {p, len, 0};
    size_t n;
    const uint8_t *a;
    *id = get(&r, 8);
    n = (size_t)get(&r, 2);
    a = take(&r, n);
    if (r.bad || r.left || *id == 0 || n == 0 || n > CP_MSG_ADDR_MAX || n >= addrlen ||
        memchr(a, 0, n))
        return SK_EPROTO;
    memcpy(addr, a, n);
    addr[n] = 0;
    return 0;
}

/* ---- RAFT ---- */

static void put_conf(sbuf *b, const struct raft_configuration *c) {
    unsigned i;
    put32(b, c->n);
    for (i = 0; i < c->n; i++) {
        size_t n = strlen(c->servers[i].address);
        put64(b, c->servers[i].id);
        put8(b, (uint8_t)c->servers[i].role);
        put16(b, (uint16_t)n);
        sbuf_append(b, c->servers[i].address, n);
    }
}

void cp_msg_encode_raft(sbuf *out, const struct raft_message *m) {
    size_t at = frame_begin(out, CP_MSG_RAFT);
    unsigned i;
    put8(out, (uint8_t)m->type);
    switch (m->type) {
    case RAFT_IO_APPEND_ENTRIES: {
        const struct raft_append_entries *a = &m->append_entries;
        put64(out, a->term);
        put64(out, a->prev_log_index);
        put64(out, a->prev_log_term);
        put64(out, a->leader_commit);
        put32(out, a->n_entries);
        for (i = 0; i < a->n_entries; i++) {
            put64(out, a->entries[i].term);
            put8(out, (uint8_t)a->entries[i].type);
            put32(out, (uint32_t)a->entries[i].buf.len);
            sbuf_append(out, a->entries[i].buf.base, a->entries[i].buf.len);
        }
        break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        put64(out, m->append_entries_result.term);
        put64(out, m->append_entries_result.rejected);
        put64(out, m->append_entries_result.last_log_index);
        break;
    case RAFT_IO_REQUEST_VOTE:
        put64(out, m->request_vote.term);
        put64(out, m->request_vote.candidate_id);
        put64(out, m->request_vote.last_log_index);
        put64(out, m->request_vote.last_log_term);
        put8(out, (uint8_t)((m->request_vote.disrupt_leader ? 1 : 0) |
                            (m->request_vote.pre_vote ? 2 : 0)));
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        put64(out, m->request_vote_result.term);
        put8(out, m->request_vote_result.vote_granted ? 1 : 0);
        put8(out, (uint8_t)m->request_vote_result.pre_vote);
        break;
    case RAFT_IO_INSTALL_SNAPSHOT: {
        const struct raft_install_snapshot *s = &m->install_snapshot;
        put64(out, s->term);
        put64(out, s->last_index);
        put64(out, s->last_term);
        put64(out, s->conf_index);
        put_conf(out, &s->conf);
        put32(out, (uint32_t)s->data.len);
        sbuf_append(out, s->data.base, s->data.len);
        break;
    }
    case RAFT_IO_TIMEOUT_NOW:
        put64(out, m->timeout_now.term);
        put64(out, m->timeout_now.last_log_index);
        put64(out, m->timeout_now.last_log_term);
        break;
    default:
        break;
    }
    frame_end(out, at);
}

static int get_conf(rd *r, struct raft_configuration *c) {
    uint32_t i, n = (uint32_t)get(r, 4);
    raft_configuration_init(c);
    if (r->bad || n > r->left / 11) /* 11: the smallest server record */
        return SK_EPROTO;
    for (i = 0; i < n; i++) {
        uint64_t id = get(r, 8);
        int role = (int)get(r, 1);
        size_t alen = (size_t)get(r, 2);
        const uint8_t *a = take(r, alen);
        char addr[CP_MSG_ADDR_MAX + 1];
        if (r->bad || alen == 0 || alen > CP_MSG_ADDR_MAX || memchr(a, 0, alen) ||
            role > RAFT_SPARE)
            goto bad;
        memcpy(addr, a, alen);
        addr[alen] = 0;
        if (raft_configuration_add(c, id, addr, role))
            goto bad; /* zero or duplicate id, duplicate address, no memory */
    }
    return 0;
bad:
    raft_configuration_close(c);
    raft_configuration_init(c);
    return SK_EPROTO;
}

static int get_entries(rd *r, struct raft_append_entries *a) {
    uint32_t i, n = (uint32_t)get(r, 4);
    rd scan;
    size_t total = 0;
    uint8_t *batch = NULL;

    a->entries = NULL;
    a->n_entries = 0;
    if (r->bad || n > r->left / 13) /* 13: the smallest entry record */
        return SK_EPROTO;
    if (n == 0) return 0;
    /* First pass: check every record and size the batch. */
    scan = *r;
    for (i = 0; i < n; i++) {
        size_t len;
        get(&scan, 8);
        uint64_t type = get(&scan, 1);
        len = (size_t)get(&scan, 4);
        if (!take(&scan, len) || type < RAFT_COMMAND || type > RAFT_CHANGE) return SK_EPROTO;
        total += len;
    }
    a->entries = raft_calloc(n, sizeof(*a->entries));
    batch = raft_malloc(total ? total : 1);
    if (!a->entries || !batch) {
        raft_free(a->entries);
        raft_free(batch);
        a->entries = NULL;
        return SK_ENOMEM;
    }
    /* Second pass: copy into one batch; raft frees it with the entries. */
    total = 0;
    for (i = 0; i < n; i++) {
        struct raft_entry *e = &a->entries[i];
        size_t len;
        e->term = get(r, 8);
        e->type = (unsigned short)get(r, 1);
        len = (size_t)get(r, 4);
        memcpy(batch + total, take(r, len), len);
        e->buf.base = batch + total;
        e->buf.len = len;
        e->batch = batch;
        total += len;
    }
    a->n_entries = n;
    return 0;
}

int cp_msg_decode_raft(const uint8_t *p, size_t len, struct raft_message *m) {
    rd r = {p, len, 0};
    int rc = 0;
    memset(m, 0, sizeof(*m));
    m->type = (unsigned short)get(&r, 1);
    switch (m->type) {
    case RAFT_IO_APPEND_ENTRIES:
        m->append_entries.term = get(&r, 8);
        m->append_entries.prev_log_index = get(&r, 8);
        m->append_entries.prev_log_term = get(&r, 8);
        m->append_entries.leader_commit = get(&r, 8);
        rc = get_entries(&r, &m->append_entries);
        break;
    case RAFT_IO_APPEND_ENTRIES_RESULT:
        m->append_entries_result.term = get(&r, 8);
        m->append_entries_result.rejected = get(&r, 8);
        m->append_entries_result.last_log_index = get(&r, 8);
        break;
    case RAFT_IO_REQUEST_VOTE: {
        uint64_t flags;
        m->request_vote.term = get(&r, 8);
        m->request_vote.candidate_id = get(&r, 8);
        m->request_vote.last_log_index = get(&r, 8);
        m->request_vote.last_log_term = get(&r, 8);
        flags = get(&r, 1);
        if (flags > 3) rc = SK_EPROTO;
        m->request_vote.disrupt_leader = flags & 1;
        m->request_vote.pre_vote = (flags & 2) != 0;
        break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
        uint64_t g, pv;
        m->request_vote_result.term = get(&r, 8);
        g = get(&r, 1);
        pv = get(&r, 1);
        if (g > 1 || pv > raft_tribool_false) rc = SK_EPROTO;
        m->request_vote_result.vote_granted = g;
        m->request_vote_result.pre_vote = (raft_tribool)pv;
        break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
        struct raft_install_snapshot *s = &m->install_snapshot;
        size_t dlen;
        const uint8_t *d;
        s->term = get(&r, 8);
        s->last_index = get(&r, 8);
        s->last_term = get(&r, 8);
        s->conf_index = get(&r, 8);
        rc = get_conf(&r, &s->conf);
        if (rc) break;
        dlen = (size_t)get(&r, 4);
        d = take(&r, dlen);
        if (!d || r.left) {
            raft_configuration_close(&s->conf);
            return SK_EPROTO;
        }
        s->data.base = raft_malloc(dlen ? dlen : 1);
        if (!s->data.base) {
            raft_configuration_close(&s->conf);
            return SK_ENOMEM;
        }
        memcpy(s->data.base, d, dlen);
        s->data.len = dlen;
        return 0;
    }
    case RAFT_IO_TIMEOUT_NOW:
        m->timeout_now.term = get(&r, 8);
        m->timeout_now.last_log_index = get(&r, 8);
        m->timeout_now.last_log_term = get(&r, 8);
        break;
    default:
        return SK_EPROTO;
    }
    if (rc == 0 && (r.bad || r.left)) rc = SK_EPROTO;
    if (rc) {
        cp_msg_raft_free(m);
        return rc == SK_ENOMEM ? rc : SK_EPROTO;
    }
    return 0;
}

void cp_msg_raft_free(struct raft_message *m) {
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries) {
        if (m->append_entries.n_entries) raft_free(m->append_entries.entries[0].batch);
        raft_free(m->append_entries.entries);
        m->append_entries.entries = NULL;
        m->append_entries.n_entries = 0;
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        raft_configuration_close(&m->install_snapshot.conf);
        raft_configuration_init(&m->install_snapshot.conf);
        raft_free(m->install_snapshot.data.base);
        m->install_snapshot.data.base = NULL;
    }
}

/* ---- forwarding ---- */

void cp_msg_encode_fwd_req(sbuf *out, uint64_t req_id, uint8_t what, const char *json, size_t len) {
    size_t at = frame_begin(out, CP_MSG_FWD_REQ);
    put64(out, req_id);
    put8(out, what);
    put32(out, (uint32_t)len);
    sbuf_append(out, json, len);
    frame_end(out, at);
}

int cp_msg_decode_fwd_req(const uint8_t *p, size_t len, uint64_t *req_id, uint8_t *what,
                          const char **json, size_t *jlen) {
    rd r = {p, len, 0};
    *req_id = get(&r, 8);
    *what = (uint8_t)get(&r, 1);
    *jlen = (size_t)get(&r, 4);
    *json = (const char *)take(&r, *jlen);
    if (r.bad || r.left || *what < CP_FWD_PROPOSE || *what > CP_FWD_REMOVE) return SK_EPROTO;
    return 0;
}

void cp_msg_encode_fwd_resp(sbuf *out, uint64_t req_id, int rc) {
    size_t at = frame_begin(out, CP_MSG_FWD_RESP);
    put64(out, req_id);
    put32(out, (uint32_t)rc);
    frame_end(out, at);
}

int cp_msg_decode_fwd_resp(const uint8_t *p, size_t len, uint64_t *req_id, int *rc) {
    rd r = {p, len, 0};
    *req_id = get(&r, 8);
    *rc = (int)(int32_t)(uint32_t)get(&r, 4);
    if (r.bad || r.left || *rc > 0) return SK_EPROTO;
    return 0;
}
