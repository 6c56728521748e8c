/* stream_read.c - XREAD and XREADGROUP, blocking ones included: a client
 * that finds nothing new blocks through blocking.h and is served when XADD
 * signals one of its keys (Redis 7.0 semantics).
 */
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "blocking.h"
#include "stream_cmd.h"
#include "propagate.h"

/* What a blocked reader waits for; owned by the blocking module. */
typedef struct stream_wait {
    int nkeys;
    sstr *keys;           /* owned copies */
    stream_id *ids;       /* per key: serve entries greater than this (XREAD) */
    sstr group, consumer; /* owned; NULL for XREAD */
    long long count;
    int noack;
} stream_wait;

typedef struct read_args {
    long long count, block_ms; /* block_ms -1: no BLOCK */
    int streams_arg, nstreams, noack;
    int group_arg; /* index of the group name, 0 without GROUP */
} read_args;

static void wait_free(void *p) {
    stream_wait *w = p;
    for (int i = 0; i < w->nkeys; i++)
        sstr_free(w->keys[i]);
    sk_free(w->keys);
    sk_free(w->ids);
    sstr_free(w->group);
    sstr_free(w->consumer);
    sk_free(w);
}

static void reply_key_header(client *c, const sstr key) {
    add_reply_array(c, 2);
    add_reply_bulk_sstr(c, key);
}

/* Serves a blocked XREADGROUP on key: 1 when replied (or group gone). */
static int serve_group(client *c, stream *s, const sstr key, stream_wait *w) {
    stream_cg *cg = stream_cg_lookup(s, w->group, sstr_len(w->group));
    if (!cg) {
        add_reply_error(c, "NOGROUP the consumer group this client was blocked on no longer "
                           "exists");
        return 1;
    }
    stream_id top;
    scmd_last_valid_id(s, &top);
    if (s->length == 0 || stream_id_cmp(&top, &cg->last_id) <= 0) return 0;
    long long now = server_mstime(c->srv);
    stream_consumer *cons = stream_consumer_lookup(cg, w->consumer, sstr_len(w->consumer));
    if (!cons) {
        cons = stream_consumer_create(cg, w->consumer, sstr_len(w->consumer), now);
        scmd_propagate_consumer(c, key, cg, cons->name);
    }
    cons->seen_time = now;
    stream_id start = cg->last_id;
    stream_id_incr(&start);
    add_reply_array(c, 1);
    reply_key_header(c, key);
    scmd_reply_range(c, s, &start, NULL, w->count, 0, cg, cons, w->noack, key);
    c->srv->dirty++;
    return 1;
}

static int stream_serve(client *c, const sstr key, void *priv) {
    stream_wait *w = priv;
    int k = 0;
    while (k < w->nkeys && sstr_cmp(w->keys[k], key) != 0)
        k++;
    if (k == w->nkeys) return 0;
    sobj *o = db_lookup_write(c, key);
    if (!o || o->type != OBJ_STREAM) return 0;
    stream *s = o->ptr;
    if (w->group) return serve_group(c, s, key, w);
    stream_id top;
    scmd_last_valid_id(s, &top);
    if (s->length == 0 || stream_id_cmp(&top, &w->ids[k]) <= 0) return 0;
    stream_id start = w->ids[k];
    stream_id_incr(&start);
    add_reply_array(c, 1);
    reply_key_header(c, key);
    scmd_reply_range(c, s, &start, NULL, w->count, 0, NULL, NULL, 0, NULL);
    return 1;
}

static const blocking_ops stream_blocking_ops = {"stream", stream_serve, NULL, wait_free};

/* ----------------------------------------------------------- parsing */

static int parse_block(client *c, int i, long long *ms) {
    if (get_ll_from_arg(c, i, ms, "ERR timeout is not an integer or out of range") < 0) return -1;
    if (*ms < 0) {
        add_reply_error(c, "ERR timeout is negative");
        return -1;
    }
    return 0;
}

static int parse_read_args(client *c, read_args *a, int xreadgroup) {
    memset(a, 0, sizeof(*a));
    a->block_ms = -1;
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - i - 1;
        const char *o = c->argv[i];
        if (!strcasecmp(o, "BLOCK") && more) {
            if (parse_block(c, ++i, &a->block_ms) < 0) return -1;
        } else if (!strcasecmp(o, "COUNT") && more) {
            if (get_ll_from_arg(c, ++i, &a->count, NULL) < 0) return -1;
            if (a->count < 0) a->count = 0;
        } else if (!strcasecmp(o, "STREAMS") && more) {
            a->streams_arg = i + 1;
            a->nstreams = c->argc - a->streams_arg;
            if (a->nstreams % 2 != 0) {
                /* Redis 7.0 says XREAD and '$' for XREADGROUP too. */
                add_reply_error(c, "ERR Unbalanced XREAD list of streams: for each stream key an "
                                   "ID or '$' must be specified.");
                return -1;
            }
            a->nstreams /= 2;
            break;
        } else if (!strcasecmp(o, "GROUP") && more >= 2) {
            if (!xreadgroup) {
                add_reply_error(c, "ERR The GROUP option is only supported by XREADGROUP. You "
                                   "called XREAD instead.");
                return -1;
            }
            a->group_arg = i + 1;
            i += 2;
        } else if (!strcasecmp(o, "NOACK")) {
            if (!xreadgroup) {
                add_reply_error(c, "ERR The NOACK option is only supported by XREADGROUP. You "
                                   "called XREAD instead.");
                return -1;
            }
            a->noack = 1;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (a->streams_arg == 0) {
        add_reply_syntax_error(c);
        return -1;
    }
    if (xreadgroup && a->group_arg == 0) {
        add_reply_error(c, "ERR Missing GROUP option for XREADGROUP");
        return -1;
    }
    return 0;
}

/* Per-key state resolved before anything is served. */
typedef struct read_key {
    stream *s;     /* NULL: missing key (XREAD only) */
    stream_cg *cg; /* XREADGROUP */
    stream_id id;  /* exclusive start */
    int newonly;   /* ">" */
} read_key;

static int resolve_key(client *c, const read_args *a, int k, read_key *rk) {
    const sstr key = c->argv[a->streams_arg + k];
    const sstr idarg = c->argv[a->streams_arg + a->nstreams + k];
    int grp = a->group_arg != 0;
    sobj *o = db_lookup_read(c, key);
    if (scmd_check_type(c, o) < 0) return -1;
    rk->s = o ? o->ptr : NULL;
    if (grp) {
        const sstr gname = c->argv[a->group_arg];
        rk->cg = rk->s ? stream_cg_lookup(rk->s, gname, sstr_len(gname)) : NULL;
        if (!rk->cg) {
            add_reply_errorf(c,
                             "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP "
                             "with GROUP option",
                             key, gname);
            return -1;
        }
    }
    if (strcmp(idarg, "$") == 0) {
        if (grp) {
            add_reply_error(c, "ERR The $ ID is meaningless in the context of XREADGROUP: you "
                               "want to read the history of this consumer by specifying a proper "
                               "ID, or use the > ID to get new messages. The $ ID would just "
                               "return an empty result set.");
            return -1;
        }
        rk->id = rk->s ? rk->s->last_id : (stream_id){0, 0};
        return 0;
    }
    if (strcmp(idarg, ">") == 0) {
        if (!grp) {
            add_reply_error(c, "ERR The > ID can be specified only when calling XREADGROUP using "
                               "the GROUP <group> <consumer> option.");
            return -1;
        }
        rk->newonly = 1;
        return 0;
    }
    if (scmd_id_arg(c, a->streams_arg + a->nstreams + k, &rk->id, 0, 0, NULL) < 0) return -1;
    /* Redis encodes ">" as the max ID, so an explicit max ID acts as ">". */
    if (grp && rk->id.ms == UINT64_MAX && rk->id.seq == UINT64_MAX) rk->newonly = 1;
    return 0;
}

/* ----------------------------------------------------------- serving */

/* Entries still pending for consumer from after id (XREADGROUP history). */
static void reply_consumer_history(client *c, stream *s, const sstr key, stream_cg *cg,
                                   stream_consumer *cons, const stream_id *after, long long count) {
    stream_id start = *after;
    stream_id_incr(&start);
    size_t i = stream_idmap_lower_bound(&cons->pel, &start);
    size_t h = add_reply_deferred_len(c);
    long long n = 0, now = server_mstime(c->srv);
    for (; i < cons->pel.len && (count == 0 || n < count); i++, n++) {
        stream_id id = cons->pel.e[i].id;
        if (!scmd_reply_one(c, s, &id)) {
            add_reply_array(c, 2);
            scmd_reply_id(c, &id);
            add_reply_null_array(c);
            continue;
        }
        stream_nack *nk = cons->pel.e[i].val;
        nk->delivery_time = now;
        nk->delivery_count++;
        scmd_propagate_claim(c, key, cg, cons->name, &id, nk);
    }
    set_deferred_array_len(c, h, n);
}

/* Whether key k can be served now; for ">" also sets rk->id to the
 * group's last delivered ID. */
static int can_serve(const read_args *a, read_key *rk) {
    if (!rk->s) return 0;
    if (a->group_arg && !rk->newonly) return 1;
    if (rk->s->length == 0) return 0;
    stream_id top;
    scmd_last_valid_id(rk->s, &top);
    if (rk->newonly) {
        if (stream_id_cmp(&top, &rk->cg->last_id) <= 0) return 0;
        rk->id = rk->cg->last_id;
        return 1;
    }
    return stream_id_cmp(&top, &rk->id) > 0;
}

static stream_consumer *touch_consumer(client *c, const sstr key, stream_cg *cg, const sstr name) {
    long long now = server_mstime(c->srv);
    stream_consumer *cons = stream_consumer_lookup(cg, name, sstr_len(name));
    if (!cons) {
        cons = stream_consumer_create(cg, name, sstr_len(name), now);
        scmd_propagate_consumer(c, key, cg, cons->name);
        c->srv->dirty++;
    }
    cons->seen_time = now;
    return cons;
}

static void serve_key(client *c, const read_args *a, int k, read_key *rk) {
    reply_key_header(c, c->argv[a->streams_arg + k]);
    if (!a->group_arg) {
        stream_id start = rk->id;
        stream_id_incr(&start);
        scmd_reply_range(c, rk->s, &start, NULL, a->count, 0, NULL, NULL, 0, NULL);
        return;
    }
    stream_consumer *cons = stream_consumer_lookup(rk->cg, c->argv[a->group_arg + 1],
                                                   sstr_len(c->argv[a->group_arg + 1]));
    if (!rk->newonly) {
        reply_consumer_history(c, rk->s, c->argv[a->streams_arg + k], rk->cg, cons, &rk->id,
                               a->count);
    } else {
        stream_id start = rk->id;
        stream_id_incr(&start);
        scmd_reply_range(c, rk->s, &start, NULL, a->count, 0, rk->cg, cons, a->noack,
                         c->argv[a->streams_arg + k]);
    }
    c->srv->dirty++;
}

static void block_reader(client *c, const read_args *a, const read_key *rks) {
    stream_wait *w = sk_calloc(1, sizeof(*w));
    w->nkeys = a->nstreams;
    w->keys = sk_calloc((size_t)a->nstreams, sizeof(sstr));
    w->ids = sk_calloc((size_t)a->nstreams, sizeof(stream_id));
    for (int k = 0; k < a->nstreams; k++) {
        w->keys[k] = sstr_dup(c->argv[a->streams_arg + k]);
        w->ids[k] = rks[k].id;
    }
    if (a->group_arg) {
        w->group = sstr_dup(c->argv[a->group_arg]);
        w->consumer = sstr_dup(c->argv[a->group_arg + 1]);
    }
    w->count = a->count;
    w->noack = a->noack;
    long long deadline = a->block_ms > 0 ? server_mstime(c->srv) + a->block_ms : 0;
    blocking_block_client(c, &stream_blocking_ops, c->argv + a->streams_arg, a->nstreams, deadline,
                          w);
}

static void read_generic(client *c, int xreadgroup) {
    read_args a;
    if (parse_read_args(c, &a, xreadgroup) < 0) return;
    read_key *rks = sk_calloc((size_t)a.nstreams, sizeof(*rks));
    for (int k = 0; k < a.nstreams; k++)
        if (resolve_key(c, &a, k, &rks[k]) < 0) goto cleanup;
    size_t h = 0;
    long long served = 0;
    for (int k = 0; k < a.nstreams; k++) {
        if (!can_serve(&a, &rks[k])) continue;
        /* As Redis 7.0: a consumer is created only when served. */
        if (a.group_arg)
            touch_consumer(c, c->argv[a.streams_arg + k], rks[k].cg, c->argv[a.group_arg + 1]);
        if (served++ == 0) h = add_reply_deferred_len(c);
        serve_key(c, &a, k, &rks[k]);
    }
    /* A group read replays as the XCLAIM / XGROUP commands it queued. */
    if (a.group_arg) propagate_prevent(c);
    if (served) {
        set_deferred_array_len(c, h, served);
    } else if (a.block_ms >= 0 && !(c->flags & (CLIENT_MULTI | CLIENT_FAKE))) {
        block_reader(c, &a, rks);
    } else {
        add_reply_null_array(c);
    }
cleanup:
    sk_free(rks);
}

void xread_command(client *c) {
    read_generic(c, 0);
}

void xreadgroup_command(client *c) {
    read_generic(c, 1);
}
