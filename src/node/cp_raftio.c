/* cp_raftio.c - struct raft_io over the ev loop and files in one directory. */
#include "cp_raftio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/crc64.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "../core/util.h"
#include "cp_msg.h"

#define META_MAGIC "SKRM"
#define LOG_MAGIC "SKRL"
#define SNAP_MAGIC "SKRS"
#define FILE_VERSION 1u
#define REC_HDR 12 /* u32 len + u64 crc */

typedef struct rio_entry {
    uint64_t term;
    unsigned short type;
    void *data; /* owned */
    size_t len;
} rio_entry;

enum { DONE_SEND, DONE_APPEND, DONE_SNAP_PUT, DONE_SNAP_GET };

struct rio;
typedef struct rio_done {
    struct rio_done *next;
    int kind;
    void *req;
    int status;
    struct rio *r;
    struct raft_snapshot *snap; /* DONE_SNAP_GET */
    uint64_t last_index;        /* DONE_APPEND: index of the last entry written */
} rio_done;

typedef struct rio {
    ev_loop *loop;
    char *dir;
    int log_fd;
    uint64_t term, vote;
    uint64_t start; /* index of ent[0] */
    rio_entry *ent;
    size_t n, cap;
    int has_snap;
    int64_t tick_timer, flush_timer;
    unsigned tick_ms;
    raft_io_tick_cb tick;
    raft_io_recv_cb recv;
    cp_raftio_send_fn *send;
    void *send_ud;
    rio_done *head, *tail;
    struct raft_io *io;
    /* While raft handles an AppendEntries (or its append completes), the
     * highest index known to match the leader's log; see io_send. */
    int ack_ctx;
    uint64_t ack_limit;
} rio;

/* ---- files ---- */

static void path_of(const rio *r, const char *name, char *buf, size_t len) {
    snprintf(buf, len, "%s/%s", r->dir, name);
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    if (fd < 0) return -errno;
    if (fsync(fd)) rc = -errno;
    close(fd);
    return rc;
}

static int write_all(int fd, const void *p, size_t len) {
    const char *c = p;
    while (len) {
        ssize_t w = write(fd, c, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? -errno : -EIO;
        c += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Replaces dir/name by data, durably. */
static int write_atomic(const rio *r, const char *name, const void *data, size_t len) {
    char path[4096], tmp[4200];
    int fd, rc;
    path_of(r, name, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd)) rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path)) rc = -errno;
    if (rc == 0) rc = fsync_dir(r->dir);
    if (rc) unlink(tmp);
    return rc;
}

/* Whole file into b. SK_ENOTFOUND when missing. */
static int read_file(const rio *r, const char *name, sbuf *b) {
    char path[4096], buf[65536];
    int fd;
    ssize_t n;
    path_of(r, name, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? SK_ENOTFOUND : -errno;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        sbuf_append(b, buf, (size_t)n);
    close(fd);
    return n < 0 ? -EIO : 0;
}

static uint64_t load_u64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void put_u64(sbuf *b, uint64_t v) {
    sbuf_append(b, &v, 8);
}
static void put_u32(sbuf *b, uint32_t v) {
    sbuf_append(b, &v, 4);
}

typedef struct rd {
    const char *p;
    size_t left;
    int bad;
} rd;
static const void *rd_take(rd *x, size_t n) {
    const char *p = x->p;
    if (x->bad || x->left < n) {
        x->bad = 1;
        return NULL;
    }
    x->p += n;
    x->left -= n;
    return p;
}
static uint64_t rd_u64(rd *x) {
    uint64_t v = 0;
    const void *p = rd_take(x, 8);
    if (p) memcpy(&v, p, 8);
    return v;
}
static uint32_t rd_u32(rd *x) {
    uint32_t v = 0;
    const void *p = rd_take(x, 4);
    if (p) memcpy(&v, p, 4);
    return v;
}

static int save_meta(rio *r) {
    sbuf b = SBUF_INIT;
    int rc;
    sbuf_append(&b, META_MAGIC, 4);
    put_u32(&b, FILE_VERSION);
    put_u64(&b, r->term);
    put_u64(&b, r->vote);
    put_u64(&b, crc64(0, b.data, b.len));
    rc = write_atomic(r, "meta", b.data, b.len);
    sbuf_free(&b);
    return rc;
}

static int load_meta(rio *r) {
    sbuf b = SBUF_INIT;
    rd x;
    int rc = read_file(r, "meta", &b);
    if (rc == SK_ENOTFOUND) {
        sbuf_free(&b);
        return 0;
    }
    x = (rd){b.data, b.len, 0};
    if (rc == 0 && (b.len != 32 || memcmp(rd_take(&x, 4), META_MAGIC, 4) ||
                    rd_u32(&x) != FILE_VERSION || crc64(0, b.data, 24) != load_u64(b.data + 24)))
        rc = SK_ECORRUPT;
    if (rc == 0) {
        r->term = rd_u64(&x);
        r->vote = rd_u64(&x);
    }
    sbuf_free(&b);
    return rc;
}

static void put_record(sbuf *b, uint64_t term, unsigned short type, const void *data, size_t len) {
    size_t at;
    uint8_t t = (uint8_t)type;
    put_u32(b, (uint32_t)(8 + 1 + len));
    at = b->len;
    put_u64(b, 0);
    put_u64(b, term);
    sbuf_append(b, &t, 1);
    sbuf_append(b, data, len);
    {
        uint64_t crc = crc64(0, b->data + at + 8, 9 + len);
        memcpy(b->data + at, &crc, 8);
    }
}

static int reopen_log(rio *r) {
    char path[4096];
    if (r->log_fd >= 0) close(r->log_fd);
    path_of(r, "log", path, sizeof(path));
    r->log_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    return r->log_fd < 0 ? -errno : 0;
}

/* Writes the whole in-memory log (after truncation or compaction). */
static int rewrite_log(rio *r) {
    sbuf b = SBUF_INIT;
    size_t i;
    int rc;
    sbuf_append(&b, LOG_MAGIC, 4);
    put_u32(&b, FILE_VERSION);
    put_u64(&b, r->start);
    for (i = 0; i < r->n; i++)
        put_record(&b, r->ent[i].term, r->ent[i].type, r->ent[i].data, r->ent[i].len);
    rc = write_atomic(r, "log", b.data, b.len);
    sbuf_free(&b);
    return rc ? rc : reopen_log(r);
}

static void push_entry(rio *r, uint64_t term, unsigned short type, const void *data, size_t len) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->ent = sk_realloc(r->ent, r->cap * sizeof(*r->ent));
    }
    r->ent[r->n].term = term;
    r->ent[r->n].type = type;
    r->ent[r->n].data = sk_memdup(data, len ? len : 1);
    r->ent[r->n].len = len;
    r->n++;
}

/* Drops entries [from, n). */
static void drop_tail(rio *r, size_t from) {
    while (r->n > from)
        sk_free(r->ent[--r->n].data);
}
/* Drops the first k entries. */
static void drop_head(rio *r, size_t k) {
    size_t i;
    if (k > r->n) k = r->n;
    for (i = 0; i < k; i++)
        sk_free(r->ent[i].data);
    memmove(r->ent, r->ent + k, (r->n - k) * sizeof(*r->ent));
    r->n -= k;
    r->start += k;
}

static int load_log(rio *r) {
    sbuf b = SBUF_INIT;
    rd x;
    int rc = read_file(r, "log", &b), torn = 0;
    if (rc == SK_ENOTFOUND) {
        sbuf_free(&b);
        r->start = 1;
        return rewrite_log(r);
    }
    x = (rd){b.data, b.len, 0};
    if (rc == 0) {
        const void *magic = rd_take(&x, 4);
        if (!magic || memcmp(magic, LOG_MAGIC, 4) || rd_u32(&x) != FILE_VERSION) rc = SK_ECORRUPT;
        r->start = rd_u64(&x);
        if (x.bad || r->start == 0) rc = SK_ECORRUPT;
    }
    while (rc == 0 && x.left) {
        uint32_t len = rd_u32(&x);
        uint64_t crc = rd_u64(&x);
        const char *p = rd_take(&x, len);
        if (!p || len < 9) {
            torn = 1; /* a crash during the last append */
            break;
        }
        if (crc64(0, p, len) != crc) {
            if (x.left == 0) {
                torn = 1;
                break;
            }
            rc = SK_ECORRUPT;
            break;
        }
        {
            uint64_t term;
            memcpy(&term, p, 8);
            push_entry(r, term, (unsigned char)p[8], p + 9, len - 9);
        }
    }
    sbuf_free(&b);
    if (rc) return rc;
    if (torn) {
        log_warning("control plane: dropping a torn record at the end of %s/log", r->dir);
        return rewrite_log(r);
    }
    return reopen_log(r);
}

static void put_conf(sbuf *b, const struct raft_configuration *c) {
    unsigned i;
    put_u32(b, c->n);
    for (i = 0; i < c->n; i++) {
        uint32_t n = (uint32_t)strlen(c->servers[i].address);
        put_u64(b, c->servers[i].id);
        put_u32(b, (uint32_t)c->servers[i].role);
        put_u32(b, n);
        sbuf_append(b, c->servers[i].address, n);
    }
}

static int get_conf(rd *x, struct raft_configuration *c) {
    uint32_t i, n = rd_u32(x);
    raft_configuration_init(c);
    if (x->bad || n > x->left / 16) return SK_ECORRUPT;
    for (i = 0; i < n; i++) {
        uint64_t id = rd_u64(x);
        int role = (int)rd_u32(x);
        uint32_t alen = rd_u32(x);
        const char *a = rd_take(x, alen);
        char addr[CP_MSG_ADDR_MAX + 1];
        if (!a || alen > CP_MSG_ADDR_MAX) goto bad;
        memcpy(addr, a, alen);
        addr[alen] = 0;
        if (raft_configuration_add(c, id, addr, role)) goto bad;
    }
    return 0;
bad:
    raft_configuration_close(c);
    return SK_ECORRUPT;
}

static int save_snap(rio *r, const struct raft_snapshot *s) {
    sbuf b = SBUF_INIT;
    unsigned i;
    uint64_t total = 0;
    int rc;
    sbuf_append(&b, SNAP_MAGIC, 4);
    put_u32(&b, FILE_VERSION);
    put_u64(&b, s->index);
    put_u64(&b, s->term);
    put_u64(&b, s->configuration_index);
    put_conf(&b, &s->configuration);
    for (i = 0; i < s->n_bufs; i++)
        total += s->bufs[i].len;
    put_u64(&b, total);
    for (i = 0; i < s->n_bufs; i++)
        sbuf_append(&b, s->bufs[i].base, s->bufs[i].len);
    put_u64(&b, crc64(0, b.data, b.len));
    rc = write_atomic(r, "snap", b.data, b.len);
    sbuf_free(&b);
    if (rc == 0) r->has_snap = 1;
    return rc;
}

/* Reads the snapshot file: *out NULL when there is none. raft_malloc'd. */
static int load_snap(rio *r, struct raft_snapshot **out) {
    sbuf b = SBUF_INIT;
    struct raft_snapshot *s = NULL;
    const void *magic, *data;
    uint64_t dlen;
    rd x;
    int rc = read_file(r, "snap", &b);
    *out = NULL;
    if (rc == SK_ENOTFOUND) {
        sbuf_free(&b);
        return 0;
    }
    if (rc) goto done;
    rc = SK_ECORRUPT;
    if (b.len < 8 || crc64(0, b.data, b.len - 8) != load_u64(b.data + b.len - 8)) goto done;
    x = (rd){b.data, b.len - 8, 0};
    magic = rd_take(&x, 4);
    if (!magic || memcmp(magic, SNAP_MAGIC, 4) || rd_u32(&x) != FILE_VERSION) goto done;
    s = raft_calloc(1, sizeof(*s));
    s->index = rd_u64(&x);
    s->term = rd_u64(&x);
    s->configuration_index = rd_u64(&x);
    if (get_conf(&x, &s->configuration)) {
        raft_free(s);
        s = NULL;
        goto done;
    }
    dlen = rd_u64(&x);
    data = rd_take(&x, dlen);
    if (!data || x.left) {
        raft_configuration_close(&s->configuration);
        raft_free(s);
        s = NULL;
        goto done;
    }
    s->bufs = raft_malloc(sizeof(*s->bufs));
    s->bufs[0].base = raft_malloc(dlen ? dlen : 1);
    memcpy(s->bufs[0].base, data, dlen);
    s->bufs[0].len = dlen;
    s->n_bufs = 1;
    r->has_snap = 1;
    rc = 0;
done:
    sbuf_free(&b);
    *out = s;
    return rc;
}

/* ---- completions ---- */

static void run_done(rio_done *d) {
    switch (d->kind) {
    case DONE_SEND: {
        struct raft_io_send *q = d->req;
        q->cb(q, d->status);
        break;
    }
    case DONE_APPEND: {
        struct raft_io_append *q = d->req;
        d->r->ack_ctx = 1;
        d->r->ack_limit = d->last_index;
        q->cb(q, d->status);
        d->r->ack_ctx = 0;
        break;
    }
    case DONE_SNAP_PUT: {
        struct raft_io_snapshot_put *q = d->req;
        q->cb(q, d->status);
        break;
    }
    case DONE_SNAP_GET: {
        struct raft_io_snapshot_get *q = d->req;
        q->cb(q, d->snap, d->status);
        break;
    }
    }
    sk_free(d);
}

static void flush_done(rio *r) {
    /* Callbacks may queue more; run until the queue is empty. */
    while (r->head) {
        rio_done *d = r->head;
        r->head = d->next;
        if (!r->head) r->tail = NULL;
        run_done(d);
    }
}

static int64_t flush_timer_cb(ev_loop *loop, int64_t id, void *data) {
    rio *r = data;
    (void)loop;
    (void)id;
    r->flush_timer = 0;
    flush_done(r);
    return EV_TIMER_STOP;
}

static rio_done *queue_done(rio *r, int kind, void *req, int status, struct raft_snapshot *snap) {
    rio_done *d = sk_calloc(1, sizeof(*d));
    d->r = r;
    d->kind = kind;
    d->req = req;
    d->status = status;
    d->snap = snap;
    if (r->tail)
        r->tail->next = d;
    else
        r->head = d;
    r->tail = d;
    if (!r->flush_timer) r->flush_timer = ev_add_timer(r->loop, 0, flush_timer_cb, r);
    return d;
}

/* ---- raft_io methods ---- */

static int io_init(struct raft_io *io, raft_id id, const char *address) {
    (void)io;
    (void)id;
    (void)address;
    return 0;
}

static void io_close(struct raft_io *io, raft_io_close_cb cb) {
    rio *r = io->impl;
    if (r->tick_timer) ev_del_timer(r->loop, r->tick_timer);
    r->tick_timer = 0;
    r->recv = NULL;
    r->tick = NULL;
    /* Pending completions run now (raft is unavailable and just releases
     * them), then raft may free everything: close completes synchronously. */
    flush_done(r);
    if (r->flush_timer) ev_del_timer(r->loop, r->flush_timer);
    r->flush_timer = 0;
    if (cb) cb(io);
}

static int io_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                   struct raft_snapshot **snapshot, raft_index *start_index,
                   struct raft_entry *entries[], size_t *n_entries) {
    rio *r = io->impl;
    struct raft_entry *e = NULL;
    size_t i;
    int rc = load_snap(r, snapshot);
    if (rc) {
        snprintf(io->errmsg, sizeof(io->errmsg), "snapshot in %s: %s", r->dir, sk_strerror(rc));
        return RAFT_CORRUPT;
    }
    *term = r->term;
    *voted_for = r->vote;
    *start_index = r->start;
    if (r->n) {
        e = raft_calloc(r->n, sizeof(*e));
        for (i = 0; i < r->n; i++) {
            e[i].term = r->ent[i].term;
            e[i].type = r->ent[i].type;
            e[i].buf.base = raft_malloc(r->ent[i].len ? r->ent[i].len : 1);
            memcpy(e[i].buf.base, r->ent[i].data, r->ent[i].len);
            e[i].buf.len = r->ent[i].len;
        }
    } else if (*snapshot && r->start <= (*snapshot)->index) {
        *start_index = (*snapshot)->index + 1;
    }
    *entries = e;
    *n_entries = r->n;
    return 0;
}

static int64_t tick_cb(ev_loop *loop, int64_t id, void *data) {
    rio *r = data;
    (void)loop;
    (void)id;
    if (!r->tick) {
        r->tick_timer = 0;
        return EV_TIMER_STOP;
    }
    r->tick(r->io);
    return r->tick_ms;
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                    raft_io_recv_cb recv) {
    rio *r = io->impl;
    r->tick = tick;
    r->recv = recv;
    r->tick_ms = msecs ? msecs : 100;
    r->tick_timer = ev_add_timer(r->loop, r->tick_ms, tick_cb, r);
    return r->tick_timer > 0 ? 0 : RAFT_NOMEM;
}

int cp_raftio_has_state(struct raft_io *io) {
    rio *r = io->impl;
    return r->term != 0 || r->n > 0 || r->has_snap;
}

static int io_bootstrap(struct raft_io *io, const struct raft_configuration *conf) {
    rio *r = io->impl;
    struct raft_buffer buf;
    int rc;
    if (cp_raftio_has_state(io)) return RAFT_CANTBOOTSTRAP;
    rc = raft_configuration_encode(conf, &buf);
    if (rc) return rc;
    r->term = 1;
    r->vote = 0;
    r->start = 1;
    push_entry(r, 1, RAFT_CHANGE, buf.base, buf.len);
    raft_free(buf.base);
    if (save_meta(r) || rewrite_log(r)) return RAFT_IOERR;
    return 0;
}

int cp_raftio_bootstrap_snapshot(struct raft_io *io, const struct raft_configuration *conf,
                                 const void *data, size_t len) {
    rio *r = io->impl;
    struct raft_snapshot s;
    struct raft_buffer b = {(void *)data, len};
    if (cp_raftio_has_state(io)) return RAFT_CANTBOOTSTRAP;
    memset(&s, 0, sizeof(s));
    s.index = 1;
    s.term = 1;
    s.configuration = *conf;
    s.configuration_index = 1;
    s.bufs = &b;
    s.n_bufs = 1;
    r->term = 1;
    r->vote = 0;
    r->start = 2;
    if (save_snap(r, &s) || save_meta(r) || rewrite_log(r)) return RAFT_IOERR;
    return 0;
}

static int io_recover(struct raft_io *io, const struct raft_configuration *conf) {
    (void)io;
    (void)conf;
    return RAFT_NOTFOUND; /* not offered: a lost majority is rebuilt, not forced */
}

static int io_set_term(struct raft_io *io, raft_term term) {
    rio *r = io->impl;
    r->term = term;
    r->vote = 0;
    return save_meta(r) ? RAFT_IOERR : 0;
}

static int io_set_vote(struct raft_io *io, raft_id id) {
    rio *r = io->impl;
    r->vote = id;
    return save_meta(r) ? RAFT_IOERR : 0;
}

static int io_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb) {
    rio *r = io->impl;
    struct raft_message clamped;
    int rc;
    /* C-Raft 0.15 reports its whole stored log (last_stored) in a successful
     * AppendEntries result, and the leader takes that as the match index. A
     * follower holding an uncommitted suffix from an old term would so claim
     * entries it does not have, and never be repaired. Claim only what the
     * AppendEntries being answered proved to match. */
    if (r->ack_ctx && m->type == RAFT_IO_APPEND_ENTRIES_RESULT &&
        m->append_entries_result.rejected == 0 &&
        m->append_entries_result.last_log_index > r->ack_limit) {
        clamped = *m;
        clamped.append_entries_result.last_log_index = r->ack_limit;
        m = &clamped;
    }
    rc = r->send ? r->send(r->send_ud, m) : RAFT_NOCONNECTION;
    req->cb = cb;
    queue_done(r, DONE_SEND, req, rc, NULL);
    return 0;
}

static int io_append(struct raft_io *io, struct raft_io_append *req,
                     const struct raft_entry entries[], unsigned n, raft_io_append_cb cb) {
    rio *r = io->impl;
    sbuf b = SBUF_INIT;
    unsigned i;
    int rc;
    for (i = 0; i < n; i++)
        put_record(&b, entries[i].term, entries[i].type, entries[i].buf.base, entries[i].buf.len);
    rc = write_all(r->log_fd, b.data, b.len);
    if (rc == 0 && fdatasync(r->log_fd)) rc = -errno;
    sbuf_free(&b);
    if (rc == 0) {
        for (i = 0; i < n; i++)
            push_entry(r, entries[i].term, entries[i].type, entries[i].buf.base,
                       entries[i].buf.len);
    } else {
        log_warning("control plane: appending to %s/log: %s", r->dir, sk_strerror(rc));
        rewrite_log(r); /* drop a partial record, best effort */
    }
    req->cb = cb;
    queue_done(r, DONE_APPEND, req, rc ? RAFT_IOERR : 0, NULL)->last_index = r->start + r->n - 1;
    return 0;
}

static int io_truncate(struct raft_io *io, raft_index index) {
    rio *r = io->impl;
    if (index < r->start) index = r->start;
    if (index - r->start >= r->n) return 0;
    drop_tail(r, (size_t)(index - r->start));
    return rewrite_log(r) ? RAFT_IOERR : 0;
}

static int io_snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                           const struct raft_snapshot *snap, raft_io_snapshot_put_cb cb) {
    rio *r = io->impl;
    int rc = save_snap(r, snap);
    if (rc == 0) {
        if (trailing == 0) {
            /* An installed snapshot replaces the whole log. */
            drop_tail(r, 0);
            r->start = snap->index + 1;
        } else if (snap->index > trailing) {
            uint64_t keep_from = snap->index - trailing + 1;
            if (keep_from > r->start + r->n) {
                drop_tail(r, 0);
                r->start = keep_from;
            } else if (keep_from > r->start) {
                drop_head(r, (size_t)(keep_from - r->start));
            }
        }
        rc = rewrite_log(r);
    }
    if (rc) log_warning("control plane: saving a snapshot in %s: %s", r->dir, sk_strerror(rc));
    req->cb = cb;
    queue_done(r, DONE_SNAP_PUT, req, rc ? RAFT_IOERR : 0, NULL);
    return 0;
}

static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb) {
    rio *r = io->impl;
    struct raft_snapshot *s = NULL;
    int rc = load_snap(r, &s);
    req->cb = cb;
    queue_done(r, DONE_SNAP_GET, req, rc ? RAFT_IOERR : (s ? 0 : RAFT_NOTFOUND), s);
    return 0;
}

static raft_time io_time(struct raft_io *io) {
    (void)io;
    return (raft_time)ev_now_ms();
}

static int io_random(struct raft_io *io, int min, int max) {
    (void)io;
    if (max <= min) return min;
    return min + (int)(util_rand64() % (uint64_t)(max - min));
}

int cp_raftio_init(struct raft_io *io, ev_loop *loop, const char *dir, char *err, size_t errlen) {
    rio *r;
    int rc;
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -errno;
    }
    memset(io, 0, sizeof(*io));
    r = sk_calloc(1, sizeof(*r));
    r->loop = loop;
    r->dir = sk_strdup(dir);
    r->log_fd = -1;
    r->io = io;
    io->version = 1;
    io->impl = r;
    io->init = io_init;
    io->close = io_close;
    io->load = io_load;
    io->start = io_start;
    io->bootstrap = io_bootstrap;
    io->recover = io_recover;
    io->set_term = io_set_term;
    io->set_vote = io_set_vote;
    io->send = io_send;
    io->append = io_append;
    io->truncate = io_truncate;
    io->snapshot_put = io_snapshot_put;
    io->snapshot_get = io_snapshot_get;
    io->time = io_time;
    io->random = io_random;
    crc64_init();
    rc = load_meta(r);
    if (rc == 0) rc = load_log(r);
    if (rc == 0) {
        char path[4096];
        path_of(r, "snap", path, sizeof(path));
        r->has_snap = access(path, F_OK) == 0;
    }
    if (rc) {
        snprintf(err, errlen, "raft state in %s: %s", dir, sk_strerror(rc));
        cp_raftio_destroy(io);
        return rc;
    }
    return 0;
}

void cp_raftio_set_send(struct raft_io *io, cp_raftio_send_fn *fn, void *ud) {
    rio *r = io->impl;
    r->send = fn;
    r->send_ud = ud;
}

void cp_raftio_deliver(struct raft_io *io, struct raft_message *m) {
    rio *r = io->impl;
    if (r->recv && m->type == RAFT_IO_APPEND_ENTRIES) {
        r->ack_ctx = 1;
        r->ack_limit = m->append_entries.prev_log_index + m->append_entries.n_entries;
        r->recv(io, m);
        r->ack_ctx = 0;
    } else if (r->recv)
        r->recv(io, m);
    else
        cp_msg_raft_free(m);
}

void cp_raftio_destroy(struct raft_io *io) {
    rio *r = io->impl;
    if (!r) return;
    if (r->tick_timer) ev_del_timer(r->loop, r->tick_timer);
    if (r->flush_timer) ev_del_timer(r->loop, r->flush_timer);
    while (r->head) {
        rio_done *d = r->head;
        r->head = d->next;
        sk_free(d);
    }
    drop_tail(r, 0);
    sk_free(r->ent);
    if (r->log_fd >= 0) close(r->log_fd);
    sk_free(r->dir);
    sk_free(r);
    io->impl = NULL;
}
