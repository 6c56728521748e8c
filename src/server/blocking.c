/* blocking.c - clients blocked on keys; see blocking.h for the contract.
 *
 * Data: per db a dict key -> FIFO queue of waiters (one waiter per client
 * and key), a dict client -> its blocked record, the list of every blocked
 * record (timeouts), the ready keys in signalling order (deduplicated per
 * db by a set) and the clients to resume. Serving a key walks its queue
 * from the head and calls the family's serve(); a client served on one key
 * leaves the queues of all its keys.
 */
#include "blocking.h"
#include "propagate.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "networking.h"

#define TIMEOUT_MAX_CHARS 5120 /* Redis's MAX_LONG_DOUBLE_CHARS */

typedef struct waiter {
    client *c; /* borrowed */
    struct waiter *prev, *next;
} waiter;

typedef struct waitq {
    waiter *head, *tail; /* owned */
    size_t len;
} waitq;

typedef struct blocked {
    client *c; /* borrowed */
    const blocking_ops *ops;
    void *priv; /* owned through ops->free_priv */
    int dbid;
    long long deadline_ms; /* 0: none */
    int nkeys;
    sstr *keys;     /* owned, distinct */
    waiter **waits; /* waits[i] is c's node in the queue of keys[i] */
    struct blocked *prev, *next;
} blocked;

typedef struct ready_key {
    int dbid;
    sstr key; /* owned */
} ready_key;

typedef struct blocking_ctx {
    int dbnum;
    dict **waiting;   /* per db: sstr (owned) -> waitq* (owned) */
    dict **ready_set; /* per db: sstr (borrowed from ready[]) -> NULL */
    ready_key *ready;
    size_t nready, ready_cap;
    dict *by_client; /* client* -> blocked* (freed by unblock) */
    blocked *all;
    long long nblocked;
    client **resume; /* borrowed; NULL slots: freed meanwhile */
    size_t nresume, resume_cap;
} blocking_ctx;

static void waitq_free(void *p) {
    waitq *q = p;
    waiter *w = q->head;
    while (w) {
        waiter *next = w->next;
        sk_free(w);
        w = next;
    }
    sk_free(q);
}

static uint64_t hash_ptr(const void *p) {
    return dict_hash_bytes(&p, sizeof(p));
}

static int ptr_equal(const void *a, const void *b) {
    return a == b;
}

static const dict_type waiting_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, waitq_free};
static const dict_type ready_set_type = {dict_hash_sstr, dict_sstr_equal, NULL, NULL};
static const dict_type client_type = {hash_ptr, ptr_equal, NULL, NULL};

/* ------------------------------------------------------------ life cycle */

void blocking_init(server *srv) {
    blocking_ctx *ctx = sk_calloc(1, sizeof(*ctx));
    ctx->dbnum = srv->dbnum;
    ctx->waiting = sk_calloc((size_t)srv->dbnum, sizeof(*ctx->waiting));
    ctx->ready_set = sk_calloc((size_t)srv->dbnum, sizeof(*ctx->ready_set));
    for (int i = 0; i < srv->dbnum; i++) {
        ctx->waiting[i] = dict_create(&waiting_type);
        ctx->ready_set[i] = dict_create(&ready_set_type);
    }
    ctx->by_client = dict_create(&client_type);
    srv->blocking = ctx;
}

static void blocked_free(blocked *b) {
    for (int i = 0; i < b->nkeys; i++)
        sstr_free(b->keys[i]);
    sk_free(b->keys);
    sk_free(b->waits);
    if (b->ops->free_priv && b->priv) b->ops->free_priv(b->priv);
    sk_free(b);
}

void blocking_free(server *srv) {
    blocking_ctx *ctx = srv->blocking;
    if (!ctx) return;
    blocked *b = ctx->all;
    while (b) {
        blocked *next = b->next;
        blocked_free(b);
        b = next;
    }
    for (int i = 0; i < ctx->dbnum; i++) {
        dict_release(ctx->waiting[i]);
        dict_release(ctx->ready_set[i]);
    }
    for (size_t i = 0; i < ctx->nready; i++)
        sstr_free(ctx->ready[i].key);
    sk_free(ctx->ready);
    sk_free(ctx->waiting);
    sk_free(ctx->ready_set);
    dict_release(ctx->by_client);
    sk_free(ctx->resume);
    sk_free(ctx);
    srv->blocking = NULL;
}

/* ------------------------------------------------------------ timeout */

/* Redis's getTimeoutFromObjectOrReply in seconds: strtold, then
 * ceil(seconds * 1000) ms; a value that does not fit a long long behaves
 * as the x86 conversion does (LLONG_MIN), hence "negative". */
int blocking_parse_timeout(client *c, int i, long long *abs_ms) {
    const char *s = c->argv[i];
    size_t len = sstr_len(c->argv[i]);
    char buf[TIMEOUT_MAX_CHARS + 1];
    long double v = 0;
    int ok = len > 0 && len < sizeof(buf);
    if (ok) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end = NULL;
        errno = 0;
        ok = !isspace((unsigned char)buf[0]);
        if (ok) v = strtold(buf, &end);
        if (ok && (*end != '\0' || isnan(v) ||
                   (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0))))
            ok = 0;
    }
    if (!ok) {
        add_reply_error(c, "ERR timeout is not a float or out of range");
        return -1;
    }
    long double ms = ceill(v * 1000.0L);
    long long t =
        (ms >= (long double)LLONG_MIN && ms < -(long double)LLONG_MIN) ? (long long)ms : LLONG_MIN;
    if (t < 0) {
        add_reply_error(c, "ERR timeout is negative");
        return -1;
    }
    if (t > 0) {
        long long now = server_mstime(c->srv);
        t = t > LLONG_MAX - now ? LLONG_MAX : t + now;
    }
    *abs_ms = t;
    return 0;
}

/* ------------------------------------------------------------ blocking */

static int has_key(const blocked *b, const sstr key) {
    for (int i = 0; i < b->nkeys; i++)
        if (dict_sstr_equal(b->keys[i], key)) return 1;
    return 0;
}

static waiter *enqueue(blocking_ctx *ctx, int dbid, const sstr key, client *c) {
    waitq *q = dict_fetch_value(ctx->waiting[dbid], key);
    if (!q) {
        q = sk_calloc(1, sizeof(*q));
        dict_add(ctx->waiting[dbid], sstr_dup(key), q);
    }
    waiter *w = sk_calloc(1, sizeof(*w));
    w->c = c;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->len++;
    return w;
}

void blocking_block_client(client *c, const blocking_ops *ops, const sstr *keys, int nkeys,
                           long long abs_ms, void *priv) {
    blocking_ctx *ctx = c->srv->blocking;
    blocked *b = sk_calloc(1, sizeof(*b));
    b->c = c;
    b->ops = ops;
    b->priv = priv;
    b->dbid = c->db->id;
    b->deadline_ms = abs_ms;
    b->keys = sk_calloc((size_t)nkeys, sizeof(*b->keys));
    b->waits = sk_calloc((size_t)nkeys, sizeof(*b->waits));
    for (int i = 0; i < nkeys; i++) {
        if (has_key(b, keys[i])) continue; /* BLPOP k k waits once */
        b->keys[b->nkeys] = sstr_dup(keys[i]);
        b->waits[b->nkeys] = enqueue(ctx, b->dbid, keys[i], c);
        b->nkeys++;
    }
    b->next = ctx->all;
    if (ctx->all) ctx->all->prev = b;
    ctx->all = b;
    dict_add(ctx->by_client, c, b);
    ctx->nblocked++;
    c->flags |= CLIENT_BLOCKED;
}

static void dequeue(blocking_ctx *ctx, int dbid, const sstr key, waiter *w) {
    dict_entry *de = dict_find(ctx->waiting[dbid], key);
    waitq *q = de->v.val;
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    q->len--;
    sk_free(w);
    if (q->len == 0) dict_delete(ctx->waiting[dbid], key);
}

static void queue_resume(blocking_ctx *ctx, client *c) {
    if (ctx->nresume == ctx->resume_cap) {
        ctx->resume_cap = ctx->resume_cap ? ctx->resume_cap * 2 : 8;
        ctx->resume = sk_realloc(ctx->resume, ctx->resume_cap * sizeof(*ctx->resume));
    }
    ctx->resume[ctx->nresume++] = c;
}

/* Removes c's waits and record; resume != 0 schedules its input. */
static void unblock(blocking_ctx *ctx, blocked *b, int resume) {
    client *c = b->c;
    for (int i = 0; i < b->nkeys; i++)
        dequeue(ctx, b->dbid, b->keys[i], b->waits[i]);
    if (b->prev)
        b->prev->next = b->next;
    else
        ctx->all = b->next;
    if (b->next) b->next->prev = b->prev;
    dict_delete(ctx->by_client, c);
    ctx->nblocked--;
    blocked_free(b);
    c->flags &= ~CLIENT_BLOCKED;
    if (resume) queue_resume(ctx, c);
}

/* ------------------------------------------------------------ ready keys */

void blocking_signal_key_ready(server *srv, sdb *db, const sstr key) {
    blocking_ctx *ctx = srv->blocking;
    if (!ctx || ctx->nblocked == 0) return;
    if (!dict_find(ctx->waiting[db->id], key)) return;
    if (dict_find(ctx->ready_set[db->id], key)) return;
    if (ctx->nready == ctx->ready_cap) {
        ctx->ready_cap = ctx->ready_cap ? ctx->ready_cap * 2 : 8;
        ctx->ready = sk_realloc(ctx->ready, ctx->ready_cap * sizeof(*ctx->ready));
    }
    ready_key *rk = &ctx->ready[ctx->nready++];
    rk->dbid = db->id;
    rk->key = sstr_dup(key);
    dict_add(ctx->ready_set[db->id], rk->key, NULL);
}

static void signal_all_waited(server *srv, int dbid) {
    blocking_ctx *ctx = srv->blocking;
    dict_iter it;
    dict_iter_init(&it, ctx->waiting[dbid], 1);
    dict_entry *de;
    while ((de = dict_iter_next(&it)))
        blocking_signal_key_ready(srv, &srv->dbs[dbid], de->key);
    dict_iter_release(&it);
}

void blocking_signal_db_swapped(server *srv, int id1, int id2) {
    if (!srv->blocking || srv->blocking->nblocked == 0) return;
    signal_all_waited(srv, id1);
    if (id2 != id1) signal_all_waited(srv, id2);
}

/* Offers key to its waiters in FIFO order. Only the clients waiting when
 * we start are considered; those served leave the queue. */
static void serve_key(server *srv, int dbid, const sstr key) {
    blocking_ctx *ctx = srv->blocking;
    waitq *q = dict_fetch_value(ctx->waiting[dbid], key);
    if (!q) return;
    size_t budget = q->len;
    waiter *w = q->head;
    while (w && budget--) {
        /* next stays valid: serving c only removes c's own waiters, and the
         * queue is freed only when it empties (then next is NULL). */
        waiter *next = w->next;
        client *c = w->c;
        blocked *b = dict_fetch_value(ctx->by_client, c);
        if (!(c->flags & CLIENT_CLOSE_ASAP)) {
            client *prev = srv->current_client;
            srv->current_client = c;
            int done = b->ops->serve(c, key, b->priv);
            srv->current_client = prev;
            /* What the serve changed reaches the AOF and replicas as its own unit. */
            propagate_flush(srv);
            if (done) unblock(ctx, b, 1);
        }
        w = next;
    }
}

void blocking_handle_ready_keys(server *srv) {
    blocking_ctx *ctx = srv->blocking;
    if (!ctx) return;
    while (ctx->nready) {
        ready_key *batch = ctx->ready;
        size_t n = ctx->nready;
        ctx->ready = NULL;
        ctx->nready = ctx->ready_cap = 0;
        /* Forget the batch first so serving can signal these keys again. */
        for (size_t i = 0; i < n; i++)
            dict_delete(ctx->ready_set[batch[i].dbid], batch[i].key);
        for (size_t i = 0; i < n; i++)
            serve_key(srv, batch[i].dbid, batch[i].key);
        for (size_t i = 0; i < n; i++)
            sstr_free(batch[i].key);
        sk_free(batch);
    }
}

/* ------------------------------------------------------------ timeouts */

static void reply_timeout(blocked *b) {
    if (b->ops->reply_timeout)
        b->ops->reply_timeout(b->c, b->priv);
    else
        add_reply_null_array(b->c);
}

void blocking_check_timeouts(server *srv) {
    blocking_ctx *ctx = srv->blocking;
    if (!ctx || ctx->nblocked == 0) return;
    long long now = server_mstime(srv);
    blocked *b = ctx->all;
    while (b) {
        blocked *next = b->next;
        if (b->deadline_ms && b->deadline_ms <= now) {
            reply_timeout(b);
            unblock(ctx, b, 1);
        }
        b = next;
    }
}

void blocking_process_unblocked(server *srv) {
    blocking_ctx *ctx = srv->blocking;
    if (!ctx) return;
    /* Indexing afresh each time: resuming may append (and reallocate) or
     * clear slots of clients freed meanwhile. */
    for (size_t i = 0; i < ctx->nresume; i++) {
        client *c = ctx->resume[i];
        if (!c) continue;
        ctx->resume[i] = NULL;
        if (c->flags & (CLIENT_BLOCKED | CLIENT_CLOSE_ASAP)) continue;
        networking_resume_client(c);
    }
    ctx->nresume = 0;
}

/* ------------------------------------------------------------ clients */

void blocking_client_free(client *c) {
    blocking_ctx *ctx = c->srv->blocking;
    if (!ctx) return;
    if (c->flags & CLIENT_BLOCKED) {
        blocked *b = dict_fetch_value(ctx->by_client, c);
        if (b) unblock(ctx, b, 0);
    }
    for (size_t i = 0; i < ctx->nresume; i++)
        if (ctx->resume[i] == c) ctx->resume[i] = NULL;
}

int blocking_unblock_client(client *c, int with_error) {
    blocking_ctx *ctx = c->srv->blocking;
    if (!ctx || !(c->flags & CLIENT_BLOCKED)) return 0;
    blocked *b = dict_fetch_value(ctx->by_client, c);
    if (!b) return 0;
    if (with_error)
        add_reply_error(c, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    else
        reply_timeout(b);
    unblock(ctx, b, 1);
    return 1;
}

long long blocking_count(const server *srv) {
    return srv->blocking ? srv->blocking->nblocked : 0;
}

long long blocking_keys_count(const server *srv) {
    const blocking_ctx *ctx = srv->blocking;
    if (!ctx) return 0;
    long long n = 0;
    for (int i = 0; i < ctx->dbnum; i++)
        n += (long long)dict_size(ctx->waiting[i]);
    return n;
}
