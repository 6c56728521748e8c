/* t_zset.c - the Z* commands with Redis 7.0's replies, errors and edge
 * cases.
 *
 * The value layer (zset_value.c: zset_new, zset_add, zset_del, ranks,
 * iteration) hides the encoding; the commands work on ranks: an element
 * range by score or by lex is a contiguous run of ranks, so ZRANGEBYSCORE,
 * ZCOUNT and ZREMRANGEBYSCORE are "find the run, then walk / count / delete
 * by rank". The skiplist itself is in zset_skiplist.c.
 *
 * Blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) use blocking.h: a new zset
 * key (ZADD, the STORE commands) is signalled ready, and a waiter is served
 * by popping from it as ZPOPMIN/ZMPOP would.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "config.h"
#include "server.h"
#include "t_set.h"
#include "scan.h"
#include "t_zset.h"
#include "propagate.h"

/* --------------------------------------------------------------- helpers */

static int opt_is(const sstr arg, const char *lit) {
    return util_eq_nocase(arg, sstr_len(arg), lit);
}

/* A reusable sstr holding the bytes to look up: the dicts are keyed by
 * sstr, and members often come from a listpack or a buffer. One per process
 * (the server is single-threaded); never handed out beyond a lookup. */
static sstr probe_key(const char *p, size_t len) {
    static sstr scratch;
    if (!scratch) scratch = sstr_empty();
    sstr_set_len(scratch, 0);
    if (sstr_avail(scratch) < len) scratch = sstr_make_room(scratch, len);
    memcpy(scratch, p, len);
    sstr_set_len(scratch, len);
    return scratch;
}

/* ----------------------------------------------------- lookups & replies */

/* Read lookup that replies WRONGTYPE; *o is NULL when the key is missing.
 * Returns -1 after an error reply. */
static int lookup_zset(client *c, const sstr key, int write, sobj **o) {
    *o = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (*o && (*o)->type != OBJ_ZSET) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

/* Pairs reply header: RESP2 flattens member, score; RESP3 nests pairs. */
static void reply_pairs_len(client *c, long long n, int withscores) {
    add_reply_array(c, withscores && c->resp == 2 ? n * 2 : n);
}

static void reply_elem(client *c, const char *p, size_t len, double score, int withscores) {
    if (withscores && c->resp > 2) add_reply_array(c, 2);
    add_reply_bulk(c, p, len);
    if (withscores) add_reply_double(c, score);
}

/* Stores a new non-empty zset under key (STORE commands). As Redis, a key
 * that did not exist is signalled ready for blocked pops. */
static void store_zset(client *c, const sstr key, sobj *val) {
    int existed = db_exists(c->srv, c->db, key);
    db_set_key(c, c->db, key, val, 0);
    c->srv->dirty++;
    if (!existed) blocking_signal_key_ready(c->srv, c->db, key);
}

/* Removes key when its zset became empty; signals the change otherwise. */
static void zset_after_change(client *c, const sstr key, sobj *o) {
    if (zset_length(o) == 0)
        db_delete(c->srv, c->db, key);
    else
        db_signal_modified(c->srv, c->db, key);
}

/* ------------------------------------------------------------- ZADD etc */

typedef struct zadd_args {
    int flags;
    int ch;
    int scoreidx;
    long elements;
    double *scores; /* owned */
    size_t maxlen;
} zadd_args;

static int zadd_parse(client *c, zadd_args *a) {
    int j = 2;
    for (; j < c->argc; j++) {
        const sstr opt = c->argv[j];
        if (opt_is(opt, "nx"))
            a->flags |= ZADD_IN_NX;
        else if (opt_is(opt, "xx"))
            a->flags |= ZADD_IN_XX;
        else if (opt_is(opt, "ch"))
            a->ch = 1;
        else if (opt_is(opt, "incr"))
            a->flags |= ZADD_IN_INCR;
        else if (opt_is(opt, "gt"))
            a->flags |= ZADD_IN_GT;
        else if (opt_is(opt, "lt"))
            a->flags |= ZADD_IN_LT;
        else
            break;
    }
    a->scoreidx = j;
    int n = c->argc - j, f = a->flags;
    if (n == 0 || n % 2) {
        add_reply_syntax_error(c);
        return -1;
    }
    a->elements = n / 2;
    if ((f & ZADD_IN_NX) && (f & ZADD_IN_XX)) {
        add_reply_error(c, "ERR XX and NX options at the same time are not compatible");
        return -1;
    }
    if (((f & ZADD_IN_GT) && (f & (ZADD_IN_NX | ZADD_IN_LT))) ||
        ((f & ZADD_IN_LT) && (f & ZADD_IN_NX))) {
        add_reply_error(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return -1;
    }
    if ((f & ZADD_IN_INCR) && a->elements > 1) {
        add_reply_error(c, "ERR INCR option supports a single increment-element pair");
        return -1;
    }
    a->scores = sk_malloc(sizeof(double) * (size_t)a->elements);
    for (long i = 0; i < a->elements; i++) {
        if (get_double_from_arg(c, j + (int)i * 2, &a->scores[i], NULL) < 0) return -1;
        size_t len = sstr_len(c->argv[j + i * 2 + 1]);
        if (len > a->maxlen) a->maxlen = len;
    }
    return 0;
}

static void zadd_generic(client *c, int flags) {
    server *srv = c->srv;
    sstr key = c->argv[1];
    zadd_args a = {.flags = flags};
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    int incr = flags & ZADD_IN_INCR;
    sobj *o;
    if (zadd_parse(c, &a) < 0 || lookup_zset(c, key, 1, &o) < 0) goto cleanup;
    incr = a.flags & ZADD_IN_INCR;
    if (!o) {
        if (a.flags & ZADD_IN_XX) goto reply;
        o = zset_new(srv, (size_t)a.elements, a.maxlen);
        db_add(srv, c->db, key, o);
        blocking_signal_key_ready(srv, c->db, key);
    }
    for (long i = 0; i < a.elements; i++) {
        const sstr ele = c->argv[a.scoreidx + i * 2 + 1];
        int out;
        double newscore;
        if (!zset_add(srv, o, a.scores[i], ele, sstr_len(ele), a.flags, &out, &newscore)) {
            add_reply_error(c, "ERR resulting score is not a number (NaN)");
            goto done;
        }
        if (out & ZADD_OUT_ADDED) added++;
        if (out & ZADD_OUT_UPDATED) updated++;
        if (!(out & ZADD_OUT_NOP)) processed++;
        score = newscore;
    }
reply:
    if (incr) {
        if (processed)
            add_reply_double(c, score);
        else
            add_reply_null(c);
    } else {
        add_reply_int(c, a.ch ? added + updated : added);
    }
done:
    srv->dirty += added + updated;
    if (added || updated) db_signal_modified(srv, c->db, key);
cleanup:
    sk_free(a.scores);
}

static void zadd_command(client *c) {
    zadd_generic(c, 0);
}

static void zincrby_command(client *c) {
    zadd_generic(c, ZADD_IN_INCR);
}

static void zrem_command(client *c) {
    sstr key = c->argv[1];
    sobj *o;
    long long deleted = 0;
    if (lookup_zset(c, key, 1, &o) < 0) return;
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    for (int j = 2; j < c->argc; j++) {
        if (zset_del(o, c->argv[j], sstr_len(c->argv[j]))) deleted++;
        if (zset_length(o) == 0) break;
    }
    if (deleted) {
        zset_after_change(c, key, o);
        c->srv->dirty += deleted;
    }
    add_reply_int(c, deleted);
}

static void zcard_command(client *c) {
    sobj *o;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    add_reply_int(c, o ? (long long)zset_length(o) : 0);
}

static void zscore_command(client *c) {
    sobj *o;
    double score;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    if (o && zset_score(o, c->argv[2], sstr_len(c->argv[2]), &score))
        add_reply_double(c, score);
    else
        add_reply_null(c);
}

static void zmscore_command(client *c) {
    sobj *o;
    double score;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    add_reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        if (o && zset_score(o, c->argv[j], sstr_len(c->argv[j]), &score))
            add_reply_double(c, score);
        else
            add_reply_null(c);
    }
}

static void zrank_generic(client *c, int reverse) {
    sobj *o;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    long rank = o ? zset_rank(o, c->argv[2], sstr_len(c->argv[2]), reverse) : -1;
    if (rank >= 0)
        add_reply_int(c, rank);
    else
        add_reply_null(c);
}

static void zrank_command(client *c) {
    zrank_generic(c, 0);
}

static void zrevrank_command(client *c) {
    zrank_generic(c, 1);
}

static void zcount_command(client *c) {
    zscore_range r;
    sobj *o;
    unsigned long first;
    if (zscore_range_parse(c->argv[2], c->argv[3], &r) < 0) {
        add_reply_error(c, "ERR min or max is not a float");
        return;
    }
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    add_reply_int(c, o ? (long long)zset_score_span(o, &r, &first) : 0);
}

static void zlexcount_command(client *c) {
    zlex_range r;
    sobj *o;
    unsigned long first;
    if (zlex_range_parse(c->argv[2], c->argv[3], &r) < 0) {
        add_reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    add_reply_int(c, o ? (long long)zset_lex_span(o, &r, 0, &first) : 0);
}

/* --------------------------------------------------------------- ZRANGE */

enum zrange_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum zrange_dir { ZD_AUTO, ZD_FORWARD, ZD_REVERSE };

/* Where range results go: the client, or a new zset stored at dstkey. */
typedef struct zrange_sink {
    client *c;
    sstr dstkey; /* borrowed; NULL for a client reply */
    sobj *dst;   /* owned while building */
    int withscores;
} zrange_sink;

static void sink_begin(zrange_sink *s, unsigned long n) {
    if (s->dstkey)
        s->dst = zset_new(s->c->srv, n, 0);
    else
        reply_pairs_len(s->c, (long long)n, s->withscores);
}

static void sink_emit(zrange_sink *s, const zset_elem *e) {
    if (!s->dstkey) {
        reply_elem(s->c, e->p, e->len, e->score, s->withscores);
        return;
    }
    int out;
    zset_add(s->c->srv, s->dst, e->score, e->p, e->len, 0, &out, NULL);
}

/* Stores the result (or deletes dstkey for an empty one) and replies. */
static void sink_finish(zrange_sink *s, unsigned long n) {
    client *c = s->c;
    if (!s->dstkey) return;
    if (n) {
        store_zset(c, s->dstkey, s->dst);
    } else {
        obj_release(s->dst);
        if (db_delete(c->srv, c->db, s->dstkey)) c->srv->dirty++;
    }
    s->dst = NULL;
    add_reply_int(c, (long long)n);
}

/* Emits n elements from rank `start` (counted from the end when reverse). */
static void sink_ranks(zrange_sink *s, sobj *o, unsigned long start, unsigned long n, int reverse) {
    zset_iter it;
    zset_elem e;
    unsigned long done = 0;
    sink_begin(s, n);
    zset_iter_init(&it, o, start, reverse);
    while (done < n && zset_iter_next(&it, &e)) {
        sink_emit(s, &e);
        done++;
    }
    sink_finish(s, done);
}

static void range_by_rank(zrange_sink *s, sobj *o, long long start, long long end, int reverse) {
    long long llen = (long long)zset_length(o);
    if (start < 0) start += llen;
    if (end < 0) end += llen;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
        sink_ranks(s, o, 0, 0, reverse);
        return;
    }
    if (end >= llen) end = llen - 1;
    sink_ranks(s, o, (unsigned long)start, (unsigned long)(end - start + 1), reverse);
}

/* A run of count elements from rank start (in the walking direction) with
 * LIMIT offset/limit applied. A negative offset selects nothing (Redis walks
 * it off the end). */
static void range_by_span(zrange_sink *s, sobj *o, unsigned long start, unsigned long count,
                          long long offset, long long limit, int reverse) {
    unsigned long llen = zset_length(o);
    if (offset < 0 || (offset > 0 && (unsigned long long)offset >= llen) ||
        (unsigned long long)offset >= count) {
        sink_ranks(s, o, 0, 0, reverse);
        return;
    }
    unsigned long avail = count - (unsigned long)offset;
    unsigned long n = limit < 0 || (unsigned long long)limit > avail ? avail : (unsigned long)limit;
    sink_ranks(s, o, start + (unsigned long)offset, n, reverse);
}

typedef struct zrange_opts {
    enum zrange_type type;
    enum zrange_dir dir;
    int withscores;
    long long offset, limit;
} zrange_opts;

static int zrange_parse_opts(client *c, int argc_start, int store, zrange_opts *z) {
    for (int j = argc_start + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (!store && opt_is(c->argv[j], "withscores")) {
            z->withscores = 1;
        } else if (opt_is(c->argv[j], "limit") && left >= 2) {
            if (get_ll_from_arg(c, j + 1, &z->offset, NULL) < 0 ||
                get_ll_from_arg(c, j + 2, &z->limit, NULL) < 0)
                return -1;
            j += 2;
        } else if (z->dir == ZD_AUTO && opt_is(c->argv[j], "rev")) {
            z->dir = ZD_REVERSE;
        } else if (z->type == ZR_AUTO && opt_is(c->argv[j], "bylex")) {
            z->type = ZR_LEX;
        } else if (z->type == ZR_AUTO && opt_is(c->argv[j], "byscore")) {
            z->type = ZR_SCORE;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (z->dir == ZD_AUTO) z->dir = ZD_FORWARD;
    if (z->type == ZR_AUTO) z->type = ZR_RANK;
    /* As Redis: "LIMIT x -1" reads as no limit at all. */
    if (z->limit != -1 && z->type == ZR_RANK) {
        add_reply_error(c, "ERR syntax error, LIMIT is only supported in combination with either "
                           "BYSCORE or BYLEX");
        return -1;
    }
    if (z->withscores && z->type == ZR_LEX) {
        add_reply_error(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return -1;
    }
    return 0;
}

/* ZRANGE, ZRANGESTORE and the legacy Z[REV]RANGE[BYSCORE|BYLEX]. argc_start
 * is the source key's index. */
static void zrange_generic(client *c, int argc_start, sstr dstkey, enum zrange_type type,
                           enum zrange_dir dir) {
    zrange_opts z = {.type = type, .dir = dir, .limit = -1};
    int minidx = argc_start + 1, maxidx = argc_start + 2;
    long long start = 0, end = 0;
    zscore_range sr;
    zlex_range lr;
    sobj *o;
    if (zrange_parse_opts(c, argc_start, dstkey != NULL, &z) < 0) return;
    int reverse = z.dir == ZD_REVERSE;
    if (reverse && z.type != ZR_RANK) { /* given as max, min */
        minidx = argc_start + 2;
        maxidx = argc_start + 1;
    }
    if (z.type == ZR_RANK) {
        if (get_ll_from_arg(c, minidx, &start, NULL) < 0 ||
            get_ll_from_arg(c, maxidx, &end, NULL) < 0)
            return;
    } else if (z.type == ZR_SCORE &&
               zscore_range_parse(c->argv[minidx], c->argv[maxidx], &sr) < 0) {
        add_reply_error(c, "ERR min or max is not a float");
        return;
    } else if (z.type == ZR_LEX && zlex_range_parse(c->argv[minidx], c->argv[maxidx], &lr) < 0) {
        add_reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    zrange_sink s = {.c = c, .dstkey = dstkey, .withscores = z.withscores || dstkey};
    if (lookup_zset(c, c->argv[argc_start], 0, &o) < 0) return;
    if (!o) {
        if (dstkey) {
            s.dst = zset_new(c->srv, 0, 0);
            sink_finish(&s, 0);
        } else {
            add_reply_array(c, 0);
        }
        return;
    }
    unsigned long first, count;
    if (z.type == ZR_RANK) {
        range_by_rank(&s, o, start, end, reverse);
        return;
    }
    if (z.type == ZR_SCORE) {
        count = zset_score_span(o, &sr, &first);
        if (reverse) first = zset_length(o) - (first + count);
    } else {
        count = zset_lex_span(o, &lr, reverse, &first);
    }
    range_by_span(&s, o, first, count, z.offset, z.limit, reverse);
}

static void zrange_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_AUTO, ZD_AUTO);
}

static void zrangestore_command(client *c) {
    zrange_generic(c, 2, c->argv[1], ZR_AUTO, ZD_AUTO);
}

static void zrevrange_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_RANK, ZD_REVERSE);
}

static void zrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_SCORE, ZD_FORWARD);
}

static void zrevrangebyscore_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_SCORE, ZD_REVERSE);
}

static void zrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_LEX, ZD_FORWARD);
}

static void zrevrangebylex_command(client *c) {
    zrange_generic(c, 1, NULL, ZR_LEX, ZD_REVERSE);
}

/* ---------------------------------------------------------- ZREMRANGE* */

static void zremrange_generic(client *c, enum zrange_type type) {
    sstr key = c->argv[1];
    long long start = 0, end = 0;
    zscore_range sr;
    zlex_range lr;
    sobj *o;
    if (type == ZR_RANK) {
        if (get_ll_from_arg(c, 2, &start, NULL) < 0 || get_ll_from_arg(c, 3, &end, NULL) < 0)
            return;
    } else if (type == ZR_SCORE && zscore_range_parse(c->argv[2], c->argv[3], &sr) < 0) {
        add_reply_error(c, "ERR min or max is not a float");
        return;
    } else if (type == ZR_LEX && zlex_range_parse(c->argv[2], c->argv[3], &lr) < 0) {
        add_reply_error(c, "ERR min or max not valid string range item");
        return;
    }
    if (lookup_zset(c, key, 1, &o) < 0) return;
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    unsigned long first = 0, count = 0;
    if (type == ZR_RANK) {
        long long llen = (long long)zset_length(o);
        if (start < 0) start += llen;
        if (end < 0) end += llen;
        if (start < 0) start = 0;
        if (!(start > end || start >= llen)) {
            if (end >= llen) end = llen - 1;
            first = (unsigned long)start;
            count = (unsigned long)(end - start + 1);
        }
    } else {
        count =
            type == ZR_SCORE ? zset_score_span(o, &sr, &first) : zset_lex_span(o, &lr, 0, &first);
    }
    unsigned long deleted = count ? zset_delete_ranks(o, first, first + count - 1) : 0;
    if (deleted) {
        zset_after_change(c, key, o);
        c->srv->dirty += (long long)deleted;
    }
    add_reply_int(c, (long long)deleted);
}

static void zremrangebyrank_command(client *c) {
    zremrange_generic(c, ZR_RANK);
}

static void zremrangebyscore_command(client *c) {
    zremrange_generic(c, ZR_SCORE);
}

static void zremrangebylex_command(client *c) {
    zremrange_generic(c, ZR_LEX);
}

/* ------------------------------------------------ ZUNION / ZINTER / ZDIFF */

/* An input of the set operations: a zset, a plain set (every score 1), or
 * a missing key (empty). */
typedef struct zsrc {
    sobj *o;
    double weight;
} zsrc;

static unsigned long src_len(const zsrc *s) {
    if (!s->o) return 0;
    return s->o->type == OBJ_ZSET ? zset_length(s->o) : (unsigned long)set_size(s->o);
}

static int src_find(const zsrc *s, const char *p, size_t len, double *score) {
    if (!s->o) return 0;
    if (s->o->type == OBJ_ZSET) return zset_score(s->o, p, len, score);
    if (!set_is_member(s->o, probe_key(p, len))) return 0;
    *score = 1.0;
    return 1;
}

/* Calls fn on each element; fn returns non-zero to stop. */
typedef int src_elem_fn(void *priv, const char *p, size_t len, double score);

static void src_foreach(const zsrc *s, src_elem_fn *fn, void *priv) {
    if (!s->o) return;
    if (s->o->type == OBJ_ZSET) {
        zset_iter it;
        zset_elem e;
        zset_iter_init(&it, s->o, 0, 0);
        while (zset_iter_next(&it, &e))
            if (fn(priv, e.p, e.len, e.score)) return;
        return;
    }
    set_iter it;
    sstr m;
    int64_t ll;
    set_iter_init(&it, s->o);
    while (set_iter_next(&it, &m, &ll)) {
        char buf[24];
        const char *p = m;
        size_t len = m ? sstr_len(m) : (size_t)util_ll_to_str(buf, sizeof(buf), ll);
        if (!m) p = buf;
        if (fn(priv, p, len, 1.0)) break;
    }
    set_iter_release(&it);
}

enum { AGG_SUM, AGG_MIN, AGG_MAX };
enum { SETOP_UNION, SETOP_INTER, SETOP_DIFF };

static void aggregate(double *target, double val, int agg) {
    if (agg == AGG_SUM) {
        *target += val;
        if (isnan(*target)) *target = 0.0; /* inf + -inf */
    } else if (agg == AGG_MIN) {
        if (val < *target) *target = val;
    } else if (val > *target) {
        *target = val;
    }
}

/* The result being built: member -> score in a dict (owned sstr keys). */
static void acc_key_free(void *k) {
    sstr_free(k);
}

static const dict_type acc_dict_type = {dict_hash_sstr, dict_sstr_equal, acc_key_free, NULL};

typedef struct setop_ctx {
    zsrc *src;
    long n;
    int op, agg;
    dict *acc;
    double weight;             /* of the input being walked (union) */
    unsigned long card, limit; /* ZINTERCARD */
    int card_only;
} setop_ctx;

static int union_elem(void *priv, const char *p, size_t len, double score) {
    setop_ctx *x = priv;
    double v = x->weight * score;
    if (isnan(v)) v = 0;
    dict_entry *existing = NULL;
    dict_entry *de = dict_add_raw(x->acc, probe_key(p, len), &existing);
    if (de) {
        de->key = sstr_new(p, len); /* the probe was only for the lookup */
        de->v.d = v;
    } else {
        aggregate(&existing->v.d, v, x->agg);
    }
    return 0;
}

static int inter_elem(void *priv, const char *p, size_t len, double score) {
    setop_ctx *x = priv;
    double total = x->src[0].weight * score, v;
    if (isnan(total)) total = 0;
    for (long j = 1; j < x->n; j++) {
        if (x->src[j].o == x->src[0].o) {
            v = score * x->src[j].weight;
        } else if (src_find(&x->src[j], p, len, &v)) {
            v *= x->src[j].weight;
        } else {
            return 0;
        }
        aggregate(&total, v, x->agg);
    }
    if (x->card_only) {
        x->card++;
        return x->limit && x->card >= x->limit;
    }
    dict_entry *de = dict_add_raw(x->acc, sstr_new(p, len), NULL);
    de->v.d = total;
    return 0;
}

static int diff_elem(void *priv, const char *p, size_t len, double score) {
    setop_ctx *x = priv;
    double v;
    for (long j = 1; j < x->n; j++)
        if (src_find(&x->src[j], p, len, &v)) return 0;
    dict_entry *de = dict_add_raw(x->acc, sstr_new(p, len), NULL);
    de->v.d = score;
    return 0;
}

static int cmp_src_len(const void *a, const void *b) {
    unsigned long x = src_len(a), y = src_len(b);
    return (x > y) - (x < y);
}

static void setop_run(setop_ctx *x) {
    if (x->op == SETOP_UNION) {
        for (long i = 0; i < x->n; i++) {
            x->weight = x->src[i].weight;
            src_foreach(&x->src[i], union_elem, x);
        }
        return;
    }
    if (src_len(&x->src[0]) == 0) return;
    if (x->op == SETOP_DIFF) {
        /* Subtracting the first input from itself leaves nothing. */
        for (long j = 1; j < x->n; j++)
            if (x->src[j].o == x->src[0].o) return;
        src_foreach(&x->src[0], diff_elem, x);
        return;
    }
    src_foreach(&x->src[0], inter_elem, x);
}

typedef struct scored {
    sstr ele; /* borrowed from the accumulator */
    double score;
} scored;

static int cmp_scored(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return zset_cmp_member(x->ele, sstr_len(x->ele), y->ele, sstr_len(y->ele));
}

/* The accumulator as an array sorted by (score, member). */
static scored *acc_sorted(dict *acc, size_t *n, size_t *maxlen) {
    *n = dict_size(acc);
    *maxlen = 0;
    scored *v = sk_malloc(sizeof(*v) * (*n ? *n : 1));
    dict_iter it;
    dict_entry *de;
    size_t i = 0;
    dict_iter_init(&it, acc, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        v[i].ele = de->key;
        v[i].score = de->v.d;
        if (sstr_len(de->key) > *maxlen) *maxlen = sstr_len(de->key);
        i++;
    }
    dict_iter_release(&it);
    qsort(v, *n, sizeof(*v), cmp_scored);
    return v;
}

static void setop_reply(client *c, sstr dstkey, dict *acc, int withscores) {
    size_t n, maxlen;
    scored *v = acc_sorted(acc, &n, &maxlen);
    if (!dstkey) {
        reply_pairs_len(c, (long long)n, withscores);
        for (size_t i = 0; i < n; i++)
            reply_elem(c, v[i].ele, sstr_len(v[i].ele), v[i].score, withscores);
    } else if (n) {
        sobj *dst = zset_new(c->srv, n, maxlen);
        int out;
        for (size_t i = 0; i < n; i++)
            zset_add(c->srv, dst, v[i].score, v[i].ele, sstr_len(v[i].ele), 0, &out, NULL);
        store_zset(c, dstkey, dst);
        add_reply_int(c, (long long)n);
    } else {
        add_reply_int(c, 0);
        if (db_delete(c->srv, c->db, dstkey)) c->srv->dirty++;
    }
    sk_free(v);
}

/* WEIGHTS / AGGREGATE / WITHSCORES / LIMIT after the keys, at index j. */
static int setop_parse_opts(client *c, int j, setop_ctx *x, sstr dstkey, int *withscores) {
    while (j < c->argc) {
        int remaining = c->argc - j;
        int full = x->op != SETOP_DIFF && !x->card_only;
        if (full && remaining >= x->n + 1 && opt_is(c->argv[j], "weights")) {
            j++;
            for (long i = 0; i < x->n; i++, j++)
                if (get_double_from_arg(c, j, &x->src[i].weight,
                                        "ERR weight value is not a float") < 0)
                    return -1;
        } else if (full && remaining >= 2 && opt_is(c->argv[j], "aggregate")) {
            const sstr a = c->argv[j + 1];
            if (opt_is(a, "sum"))
                x->agg = AGG_SUM;
            else if (opt_is(a, "min"))
                x->agg = AGG_MIN;
            else if (opt_is(a, "max"))
                x->agg = AGG_MAX;
            else {
                add_reply_syntax_error(c);
                return -1;
            }
            j += 2;
        } else if (!dstkey && !x->card_only && opt_is(c->argv[j], "withscores")) {
            *withscores = 1;
            j++;
        } else if (x->card_only && remaining >= 2 && opt_is(c->argv[j], "limit")) {
            long long l;
            if (get_positive_ll_from_arg(c, j + 1, &l, "ERR LIMIT can't be negative") < 0)
                return -1;
            x->limit = (unsigned long)l;
            j += 2;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

static void setop_generic(client *c, sstr dstkey, int numkeys_idx, int op, int card_only) {
    long long setnum;
    setop_ctx x = {.op = op, .agg = AGG_SUM, .card_only = card_only};
    int withscores = 0;
    if (get_ll_from_arg(c, numkeys_idx, &setnum, NULL) < 0) return;
    if (setnum < 1) {
        add_reply_errorf(c, "ERR at least 1 input key is needed for '%s' command",
                         command_fullname(c->cmd));
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        add_reply_syntax_error(c);
        return;
    }
    x.n = (long)setnum;
    x.src = sk_calloc((size_t)x.n, sizeof(*x.src));
    for (long i = 0; i < x.n; i++) {
        sobj *o = db_lookup_read(c, c->argv[numkeys_idx + 1 + i]);
        if (o && o->type != OBJ_ZSET && o->type != OBJ_SET) {
            add_reply_wrongtype(c);
            goto cleanup;
        }
        x.src[i].o = o;
        x.src[i].weight = 1.0;
    }
    if (setop_parse_opts(c, numkeys_idx + 1 + x.n, &x, dstkey, &withscores) < 0) goto cleanup;
    /* Smallest first: intersections walk the smallest input. */
    if (op != SETOP_DIFF) qsort(x.src, (size_t)x.n, sizeof(*x.src), cmp_src_len);
    x.acc = dict_create(&acc_dict_type);
    setop_run(&x);
    if (card_only)
        add_reply_int(c, (long long)x.card);
    else
        setop_reply(c, dstkey, x.acc, withscores);
    dict_release(x.acc);
cleanup:
    sk_free(x.src);
}

static void zunionstore_command(client *c) {
    setop_generic(c, c->argv[1], 2, SETOP_UNION, 0);
}

static void zinterstore_command(client *c) {
    setop_generic(c, c->argv[1], 2, SETOP_INTER, 0);
}

static void zdiffstore_command(client *c) {
    setop_generic(c, c->argv[1], 2, SETOP_DIFF, 0);
}

static void zunion_command(client *c) {
    setop_generic(c, NULL, 1, SETOP_UNION, 0);
}

static void zinter_command(client *c) {
    setop_generic(c, NULL, 1, SETOP_INTER, 0);
}

static void zdiff_command(client *c) {
    setop_generic(c, NULL, 1, SETOP_DIFF, 0);
}

static void zintercard_command(client *c) {
    setop_generic(c, NULL, 1, SETOP_INTER, 1);
}

/* -------------------------------------------------------- ZPOP / ZMPOP */

enum { ZPOP_MIN = 0, ZPOP_MAX = 1 };

/* Pops up to count (-1: a single one) from the first existing key among
 * keys[0..nkeys). Shapes as Redis: flat [m, s, ...] or nested [[m, s]...];
 * with emitkey, BZPOPMIN's flat [key, m, s] or ZMPOP's [key, [[m, s]...]]. */
static void zpop_generic(client *c, sstr *keys, int nkeys, int where, int emitkey, long long count,
                         int nested, int nil_when_empty) {
    sobj *o = NULL;
    sstr key = NULL;
    for (int i = 0; i < nkeys && !o; i++) {
        key = keys[i];
        if (lookup_zset(c, key, 1, &o) < 0) return;
    }
    if (!o) {
        if (nil_when_empty)
            add_reply_null_array(c);
        else
            add_reply_array(c, 0);
        return;
    }
    if (count == 0) {
        add_reply_array(c, 0);
        return;
    }
    int with_count = count != -1;
    if (count == -1) count = 1;
    unsigned long llen = zset_length(o);
    unsigned long n = (unsigned long long)count > llen ? llen : (unsigned long)count;
    if (emitkey && nested) {
        add_reply_array(c, 2);
        add_reply_bulk_sstr(c, key);
        add_reply_array(c, (long long)n);
    } else if (emitkey) {
        add_reply_array(c, (long long)n * 2 + 1);
        add_reply_bulk_sstr(c, key);
    } else {
        add_reply_array(c, nested ? (long long)n : (long long)n * 2);
    }
    for (unsigned long i = 0; i < n; i++) {
        zset_iter it;
        zset_elem e;
        zset_iter_init(&it, o, 0, where == ZPOP_MAX);
        zset_iter_next(&it, &e);
        /* Copy out: the element's bytes may live in the value being edited. */
        sstr ele = sstr_new(e.p, e.len);
        double score = e.score;
        zset_del(o, ele, sstr_len(ele));
        if (nested) add_reply_array(c, 2);
        add_reply_bulk_sstr(c, ele);
        add_reply_double(c, score);
        sstr_free(ele);
    }
    c->srv->dirty += (long long)n;
    /* BZPOP*, ZMPOP and BZMPOP, now or when served later, replay as the
     * plain pop of the key they used (as Redis). */
    if (propagate_active(c->srv)) {
        sstr argv[3] = {sstr_from_cstr(where == ZPOP_MAX ? "ZPOPMAX" : "ZPOPMIN"), key,
                        with_count ? sstr_from_ll(count) : NULL};
        propagate_also(c, c->db->id, argv, with_count ? 3 : 2);
        sstr_free(argv[0]);
        sstr_free(argv[2]);
        propagate_prevent(c);
    }
    zset_after_change(c, key, o);
}

/* Redis getRangeLongFromObjectOrReply with a message: the same text for a
 * non-integer and for a value below min. */
static int range_ll_from_arg(client *c, int i, long long min, long long *out, const char *msg) {
    if (get_ll_from_arg(c, i, out, msg) < 0) return -1;
    if (*out < min) {
        add_reply_error(c, msg);
        return -1;
    }
    return 0;
}

static void zpop_minmax(client *c, int where) {
    long long count = -1;
    if (c->argc > 3) {
        add_reply_syntax_error(c);
        return;
    }
    if (c->argc == 3 &&
        range_ll_from_arg(c, 2, 0, &count, "ERR value is out of range, must be positive") < 0)
        return;
    zpop_generic(c, &c->argv[1], 1, where, 0, count, c->resp > 2 && count != -1, 0);
}

static void zpopmin_command(client *c) {
    zpop_minmax(c, ZPOP_MIN);
}

static void zpopmax_command(client *c) {
    zpop_minmax(c, ZPOP_MAX);
}

/* ZMPOP / BZMPOP arguments from numkeys at argv[first]. Replies and
 * returns -1 on error. */
static int zmpop_parse(client *c, int first, long long *numkeys, int *where, long long *count) {
    *count = -1;
    if (range_ll_from_arg(c, first, 1, numkeys, "ERR numkeys should be greater than 0") < 0)
        return -1;
    if (*numkeys >= c->argc - first - 1) { /* no room for MIN|MAX */
        add_reply_syntax_error(c);
        return -1;
    }
    int where_idx = first + 1 + (int)*numkeys;
    if (opt_is(c->argv[where_idx], "min")) {
        *where = ZPOP_MIN;
    } else if (opt_is(c->argv[where_idx], "max")) {
        *where = ZPOP_MAX;
    } else {
        add_reply_syntax_error(c);
        return -1;
    }
    for (int j = where_idx + 1; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (*count == -1 && opt_is(c->argv[j], "count") && more) {
            j++;
            if (range_ll_from_arg(c, j, 1, count, "ERR count should be greater than 0") < 0)
                return -1;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (*count == -1) *count = 1;
    return 0;
}

static void zmpop_command(client *c) {
    long long numkeys, count;
    int where;
    if (zmpop_parse(c, 1, &numkeys, &where, &count) < 0) return;
    zpop_generic(c, &c->argv[2], (int)numkeys, where, 1, count, 1, 1);
}

/* ------------------------------------------------- BZPOPMIN / BZMPOP */

/* What a blocked client pops once a key is ready. */
typedef struct zpop_wait {
    int where;
    long long count; /* -1: BZPOPMIN/BZPOPMAX */
    int nested;      /* BZMPOP's reply shape */
} zpop_wait;

static int zset_serve(client *c, const sstr key, void *priv) {
    zpop_wait *w = priv;
    sobj *o = db_lookup_write(c, key);
    if (!o || o->type != OBJ_ZSET) return 0;
    sstr k = key;
    zpop_generic(c, &k, 1, w->where, 1, w->count, w->nested, 1);
    return 1;
}

static void zpop_wait_free(void *p) {
    sk_free(p);
}

static const blocking_ops zset_blocking_ops = {"zset", zset_serve, NULL, zpop_wait_free};

/* Pops from the first existing key, else blocks (or, inside MULTI, replies
 * as on a timeout). */
static void bzpop_generic(client *c, sstr *keys, int nkeys, int where, long long deadline,
                          long long count, int nested) {
    for (int i = 0; i < nkeys; i++) {
        sobj *o;
        if (lookup_zset(c, keys[i], 1, &o) < 0) return;
        if (!o) continue;
        zpop_generic(c, &keys[i], 1, where, 1, count, nested, 1);
        return;
    }
    if (c->flags & (CLIENT_MULTI | CLIENT_FAKE)) {
        add_reply_null_array(c);
        return;
    }
    zpop_wait *w = sk_calloc(1, sizeof(*w));
    w->where = where;
    w->count = count;
    w->nested = nested;
    blocking_block_client(c, &zset_blocking_ops, keys, nkeys, deadline, w);
}

static void bzpop_minmax(client *c, int where) {
    long long deadline;
    if (blocking_parse_timeout(c, c->argc - 1, &deadline) < 0) return;
    bzpop_generic(c, &c->argv[1], c->argc - 2, where, deadline, -1, 0);
}

static void bzpopmin_command(client *c) {
    bzpop_minmax(c, ZPOP_MIN);
}

static void bzpopmax_command(client *c) {
    bzpop_minmax(c, ZPOP_MAX);
}

/* As Redis: the pop arguments are checked before the timeout. */
static void bzmpop_command(client *c) {
    long long numkeys, count, deadline;
    int where;
    if (zmpop_parse(c, 2, &numkeys, &where, &count) < 0) return;
    if (blocking_parse_timeout(c, 1, &deadline) < 0) return;
    bzpop_generic(c, &c->argv[3], (int)numkeys, where, deadline, count, 1);
}

/* ---------------------------------------------------------- ZRANDMEMBER */

/* A random element (uniform over ranks). */
static void random_elem(sobj *o, zset_elem *e) {
    if (o->encoding == OBJ_ENC_SKIPLIST) {
        zsl_node *n = dict_random_entry(((zset_ht *)o->ptr)->d)->v.val;
        e->p = n->ele;
        e->len = sstr_len(n->ele);
        e->score = n->score;
        return;
    }
    zset_iter it;
    zset_iter_init(&it, o, util_rand64() % zset_length(o), 0);
    zset_iter_next(&it, e);
}

/* count distinct elements, count < size: a partial Fisher-Yates over all
 * ranks when the set is not much bigger, else random picks with a seen-set. */
static void randmember_unique(client *c, sobj *o, unsigned long count, int withscores) {
    unsigned long size = zset_length(o);
    reply_pairs_len(c, (long long)count, withscores);
    if (count * 3 > size || o->encoding == OBJ_ENC_LISTPACK) {
        unsigned long *idx = sk_malloc(sizeof(*idx) * size);
        for (unsigned long i = 0; i < size; i++)
            idx[i] = i;
        for (unsigned long i = 0; i < count; i++) {
            unsigned long j = i + (unsigned long)(util_rand64() % (size - i));
            unsigned long t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
            zset_iter it;
            zset_elem e;
            zset_iter_init(&it, o, idx[i], 0);
            zset_iter_next(&it, &e);
            reply_elem(c, e.p, e.len, e.score, withscores);
        }
        sk_free(idx);
        return;
    }
    dict *seen = dict_create(&acc_dict_type);
    unsigned long added = 0;
    while (added < count) {
        zset_elem e;
        random_elem(o, &e);
        if (dict_find(seen, probe_key(e.p, e.len))) continue;
        dict_add(seen, sstr_new(e.p, e.len), NULL);
        added++;
        reply_elem(c, e.p, e.len, e.score, withscores);
    }
    dict_release(seen);
}

static void zrandmember_with_count(client *c, long long l, int withscores) {
    sobj *o;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    if (!o || l == 0) {
        add_reply_array(c, 0);
        return;
    }
    unsigned long size = zset_length(o);
    if (l < 0 || l == 1) {
        unsigned long count = l < 0 ? (unsigned long)-l : 1;
        reply_pairs_len(c, (long long)count, withscores);
        if (o->encoding == OBJ_ENC_LISTPACK && count > 1) {
            /* One walk instead of a seek per pick. */
            zset_elem *all = sk_malloc(sizeof(*all) * size);
            zset_iter it;
            zset_iter_init(&it, o, 0, 0);
            for (unsigned long i = 0; i < size; i++)
                zset_iter_next(&it, &all[i]);
            for (unsigned long i = 0; i < count; i++) {
                const zset_elem *e = &all[util_rand64() % size];
                reply_elem(c, e->p, e->len, e->score, withscores);
            }
            sk_free(all);
            return;
        }
        for (unsigned long i = 0; i < count; i++) {
            zset_elem e;
            random_elem(o, &e);
            reply_elem(c, e.p, e.len, e.score, withscores);
        }
        return;
    }
    if ((unsigned long long)l >= size) {
        zset_iter it;
        zset_elem e;
        reply_pairs_len(c, (long long)size, withscores);
        zset_iter_init(&it, o, 0, 0);
        while (zset_iter_next(&it, &e))
            reply_elem(c, e.p, e.len, e.score, withscores);
        return;
    }
    randmember_unique(c, o, (unsigned long)l, withscores);
}

static void zrandmember_command(client *c) {
    sobj *o;
    if (c->argc >= 3) {
        long long l;
        if (get_ll_from_arg(c, 2, &l, NULL) < 0) return;
        if (l < -LLONG_MAX) {
            add_reply_error(c, "ERR value is out of range, value must between "
                               "-9223372036854775807 and 9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !opt_is(c->argv[3], "withscores"))) {
            add_reply_syntax_error(c);
            return;
        }
        zrandmember_with_count(c, l, c->argc == 4);
        return;
    }
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    if (!o) {
        add_reply_null(c);
        return;
    }
    zset_elem e;
    random_elem(o, &e);
    add_reply_bulk(c, e.p, e.len);
}

/* ----------------------------------------------------------------- ZSCAN */

typedef struct scan_acc {
    sstr *v; /* owned: member, score text, member, ... */
    size_t n, cap;
} scan_acc;

static void scan_push(scan_acc *a, const char *p, size_t len) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = sk_realloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = sstr_new(p, len);
}

static void scan_push_pair(scan_acc *a, const char *p, size_t len, double score) {
    char buf[64];
    int n = util_d_to_str(buf, sizeof(buf), score);
    scan_push(a, p, len);
    scan_push(a, buf, (size_t)n);
}

static void zscan_collect(void *priv, const dict_entry *de) {
    const zsl_node *n = de->v.val;
    scan_push_pair(priv, n->ele, sstr_len(n->ele), n->score);
}

static void zscan_command(client *c) {
    unsigned long long cursor;
    scan_opts opt = {.count = 10};
    sobj *o;
    if (scan_parse_cursor(c, 2, &cursor) < 0) return;
    if (lookup_zset(c, c->argv[1], 0, &o) < 0) return;
    if (!o) {
        scan_reply_header(c, 0, 0);
        return;
    }
    if (scan_parse_opts(c, 3, 0, &opt) < 0) return;
    scan_acc a = {0};
    if (o->encoding == OBJ_ENC_SKIPLIST) {
        dict *d = ((zset_ht *)o->ptr)->d;
        cursor = scan_dict(d, cursor, opt.count, zscan_collect, &a, &a.n);
    } else {
        zset_iter it;
        zset_elem e;
        zset_iter_init(&it, o, 0, 0);
        while (zset_iter_next(&it, &e))
            scan_push_pair(&a, e.p, e.len, e.score);
        cursor = 0;
    }
    size_t kept = 0;
    for (size_t i = 0; i < a.n; i += 2) {
        if (!scan_matches(&opt, a.v[i], sstr_len(a.v[i]))) {
            sstr_free(a.v[i]);
            sstr_free(a.v[i + 1]);
            continue;
        }
        a.v[kept++] = a.v[i];
        a.v[kept++] = a.v[i + 1];
    }
    scan_reply_header(c, cursor, (long long)kept);
    for (size_t i = 0; i < kept; i++) {
        add_reply_bulk_sstr(c, a.v[i]);
        sstr_free(a.v[i]);
    }
    sk_free(a.v);
}

/* --------------------------------------------------------------- table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST
#define G "sorted-set"

const command cmds_zset[] = {
    {"zadd", zadd_command, -4, W | D | F, 1, 1, 1, G,
     "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0",
     NULL},
    {"zincrby", zincrby_command, 4, W | D | F, 1, 1, 1, G,
     "Increment the score of a member in a sorted set", "1.2.0", NULL},
    {"zrem", zrem_command, -3, W | F, 1, 1, 1, G, "Remove one or more members from a sorted set",
     "1.2.0", NULL},
    {"zcard", zcard_command, 2, R | F, 1, 1, 1, G, "Get the number of members in a sorted set",
     "1.2.0", NULL},
    {"zscore", zscore_command, 3, R | F, 1, 1, 1, G,
     "Get the score associated with the given member in a sorted set", "1.2.0", NULL},
    {"zmscore", zmscore_command, -3, R | F, 1, 1, 1, G,
     "Get the score associated with the given members in a sorted set", "6.2.0", NULL},
    {"zrank", zrank_command, 3, R | F, 1, 1, 1, G,
     "Determine the index of a member in a sorted set", "2.0.0", NULL},
    {"zrevrank", zrevrank_command, 3, R | F, 1, 1, 1, G,
     "Determine the index of a member in a sorted set, with scores ordered from high to low",
     "2.0.0", NULL},
    {"zcount", zcount_command, 4, R | F, 1, 1, 1, G,
     "Count the members in a sorted set with scores within the given values", "2.0.0", NULL},
    {"zlexcount", zlexcount_command, 4, R | F, 1, 1, 1, G,
     "Count the number of members in a sorted set between a given lexicographical range", "2.8.9",
     NULL},
    {"zrange", zrange_command, -4, R, 1, 1, 1, G, "Return a range of members in a sorted set",
     "1.2.0", NULL},
    {"zrangestore", zrangestore_command, -5, W | D, 1, 2, 1, G,
     "Store a range of members from sorted set into another key", "6.2.0", NULL},
    {"zrevrange", zrevrange_command, -4, R, 1, 1, 1, G,
     "Return a range of members in a sorted set, by index, with scores ordered from high to low",
     "1.2.0", NULL},
    {"zrangebyscore", zrangebyscore_command, -4, R, 1, 1, 1, G,
     "Return a range of members in a sorted set, by score", "1.0.5", NULL},
    {"zrevrangebyscore", zrevrangebyscore_command, -4, R, 1, 1, 1, G,
     "Return a range of members in a sorted set, by score, with scores ordered from high to low",
     "2.2.0", NULL},
    {"zrangebylex", zrangebylex_command, -4, R, 1, 1, 1, G,
     "Return a range of members in a sorted set, by lexicographical range", "2.8.9", NULL},
    {"zrevrangebylex", zrevrangebylex_command, -4, R, 1, 1, 1, G,
     "Return a range of members in a sorted set, by lexicographical range, ordered from higher "
     "to lower strings.",
     "2.8.9", NULL},
    {"zremrangebyrank", zremrangebyrank_command, 4, W, 1, 1, 1, G,
     "Remove all members in a sorted set within the given indexes", "2.0.0", NULL},
    {"zremrangebyscore", zremrangebyscore_command, 4, W, 1, 1, 1, G,
     "Remove all members in a sorted set within the given scores", "1.2.0", NULL},
    {"zremrangebylex", zremrangebylex_command, 4, W, 1, 1, 1, G,
     "Remove all members in a sorted set between the given lexicographical range", "2.8.9", NULL},
    {"zunion", zunion_command, -3, R, 0, 0, 0, G, "Add multiple sorted sets", "6.2.0", NULL},
    {"zinter", zinter_command, -3, R, 0, 0, 0, G, "Intersect multiple sorted sets", "6.2.0", NULL},
    {"zdiff", zdiff_command, -3, R, 0, 0, 0, G, "Subtract multiple sorted sets", "6.2.0", NULL},
    {"zintercard", zintercard_command, -3, R, 0, 0, 0, G,
     "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", NULL},
    {"zunionstore", zunionstore_command, -4, W | D, 1, 1, 1, G,
     "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", NULL},
    {"zinterstore", zinterstore_command, -4, W | D, 1, 1, 1, G,
     "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0",
     NULL},
    {"zdiffstore", zdiffstore_command, -4, W | D, 1, 1, 1, G,
     "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0",
     NULL},
    {"zrandmember", zrandmember_command, -2, R, 1, 1, 1, G,
     "Get one or multiple random elements from a sorted set", "6.2.0", NULL},
    {"zpopmin", zpopmin_command, -2, W | F, 1, 1, 1, G,
     "Remove and return members with the lowest scores in a sorted set", "5.0.0", NULL},
    {"zpopmax", zpopmax_command, -2, W | F, 1, 1, 1, G,
     "Remove and return members with the highest scores in a sorted set", "5.0.0", NULL},
    {"zmpop", zmpop_command, -4, W, 0, 0, 0, G,
     "Remove and return members with scores in a sorted set", "7.0.0", NULL},
    {"bzpopmin", bzpopmin_command, -3, W | F | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, G,
     "Remove and return the member with the lowest score from one or more sorted sets, or "
     "block until one is available",
     "5.0.0", NULL},
    {"bzpopmax", bzpopmax_command, -3, W | F | CMD_NOSCRIPT | CMD_BLOCKING, 1, -2, 1, G,
     "Remove and return the member with the highest score from one or more sorted sets, or "
     "block until one is available",
     "5.0.0", NULL},
    {"bzmpop", bzmpop_command, -5, W | CMD_BLOCKING, 0, 0, 0, G,
     "Remove and return members with scores in a sorted set or block until one is available",
     "7.0.0", NULL},
    {"zscan", zscan_command, -3, R, 1, 1, 1, G,
     "Incrementally iterate sorted sets elements and associated scores", "2.8.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
