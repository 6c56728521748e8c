/* zset_value.c - sorted set values: the listpack and skiplist encodings,
 * conversion, ranks, iteration and the OBJ_ZSET type table (see t_zset.h).
 *
 * Listpack: member, score pairs sorted by (score, member), scores written
 * as Redis writes them, so the bytes match a Redis DUMP payload. Skiplist:
 * a zset_ht (skiplist + dict member -> node). Small sets are walked
 * linearly; the thresholds keep them small.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/listpack.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "server.h"
#include "t_zset.h"

/* A reusable sstr holding the bytes to look up: the dict is keyed by sstr
 * and members often come from a listpack or a buffer. One per process (the
 * server is single-threaded); never kept beyond a lookup. */
static sstr probe_key(const char *p, size_t len) {
    static sstr scratch;
    if (!scratch) scratch = sstr_empty();
    sstr_set_len(scratch, 0);
    if (sstr_avail(scratch) < len) scratch = sstr_make_room(scratch, len);
    memcpy(scratch, p, len);
    sstr_set_len(scratch, len);
    return scratch;
}

static long long zmax_entries(const server *srv) {
    return srv && srv->cfg ? srv->cfg->zset_max_listpack_entries : 128;
}

static long long zmax_value(const server *srv) {
    return srv && srv->cfg ? srv->cfg->zset_max_listpack_value : 64;
}

/* ------------------------------------------------------ listpack encoding */

/* Scores are stored as their "%.17g" text; the listpack keeps integral
 * ones as integers. */
static double zzl_score(const unsigned char *sptr) {
    uint32_t slen;
    int64_t iv;
    const unsigned char *s = lp_get(sptr, &slen, &iv);
    if (!s) return (double)iv;
    char buf[128];
    size_t n = slen < sizeof(buf) - 1 ? slen : sizeof(buf) - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

static int zzl_cmp_member(const unsigned char *eptr, const char *p, size_t len) {
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t slen;
    const unsigned char *s = lp_get_str(eptr, &slen, buf);
    return zset_cmp_member((const char *)s, slen, p, len);
}

static unsigned char *zzl_find(unsigned char *lp, const char *ele, size_t len, double *score) {
    unsigned char *first = lp_first(lp);
    if (!first) return NULL;
    unsigned char *eptr = lp_find(lp, first, (const unsigned char *)ele, len, 1);
    if (eptr && score) *score = zzl_score(lp_next(lp, eptr));
    return eptr;
}

/* The text a score is stored as. Redis 7.0 stores integral scores as
 * listpack integers, so -0 becomes 0 here (but stays -0 in a skiplist). */
static int zzl_score_text(char *sbuf, size_t size, double score) {
    if (score == 0) score = 0.0;
    return util_d_to_str(sbuf, size, score);
}

static unsigned char *zzl_insert(unsigned char *lp, const char *ele, size_t len, double score) {
    char sbuf[64];
    int slen = zzl_score_text(sbuf, sizeof(sbuf), score);
    unsigned char *eptr = lp_first(lp);
    while (eptr) {
        unsigned char *sptr = lp_next(lp, eptr);
        double s = zzl_score(sptr);
        if (s > score || (s == score && zzl_cmp_member(eptr, ele, len) > 0)) break;
        eptr = lp_next(lp, sptr);
    }
    if (!eptr) {
        lp = lp_append(lp, (const unsigned char *)ele, len);
        return lp_append(lp, (const unsigned char *)sbuf, (size_t)slen);
    }
    unsigned char *newp;
    lp = lp_insert(lp, (const unsigned char *)ele, len, eptr, LP_BEFORE, &newp);
    return lp_insert(lp, (const unsigned char *)sbuf, (size_t)slen, newp, LP_AFTER, NULL);
}

static unsigned char *zzl_delete(unsigned char *lp, unsigned char *eptr) {
    return lp_delete_range_at(lp, &eptr, 2);
}

/* ------------------------------------------------------ skiplist encoding */

static const dict_type zset_dict_type = {dict_hash_sstr, dict_sstr_equal, NULL, NULL};

static zset_ht *zht_create(void) {
    zset_ht *zs = sk_malloc(sizeof(*zs));
    zs->d = dict_create(&zset_dict_type);
    zs->zsl = zsl_create();
    return zs;
}

static void zht_free(zset_ht *zs) {
    dict_release(zs->d); /* keys are the nodes' members: freed by the skiplist */
    zsl_free(zs->zsl);
    sk_free(zs);
}

static zsl_node *zht_find(zset_ht *zs, const char *ele, size_t len) {
    return dict_fetch_value(zs->d, probe_key(ele, len));
}

static void zht_insert(zset_ht *zs, double score, const char *ele, size_t len) {
    zsl_node *n = zsl_insert(zs->zsl, score, sstr_new(ele, len));
    dict_add(zs->d, n->ele, n);
}

/* ------------------------------------------------------------ value layer */

sobj *zset_new(const server *srv, size_t size_hint, size_t maxlen) {
    if (size_hint <= (unsigned long long)zmax_entries(srv) &&
        maxlen <= (unsigned long long)zmax_value(srv))
        return obj_new(OBJ_ZSET, OBJ_ENC_LISTPACK, lp_new(0));
    return obj_new(OBJ_ZSET, OBJ_ENC_SKIPLIST, zht_create());
}

unsigned long zset_length(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return lp_length(o->ptr) / 2;
    return ((const zset_ht *)o->ptr)->zsl->length;
}

void zset_convert_to_skiplist(sobj *o) {
    if (o->encoding != OBJ_ENC_LISTPACK) return;
    unsigned char *lp = o->ptr;
    zset_ht *zs = zht_create();
    unsigned char *eptr = lp_first(lp);
    while (eptr) {
        unsigned char buf[LP_INTBUF_SIZE];
        uint32_t slen;
        const unsigned char *s = lp_get_str(eptr, &slen, buf);
        unsigned char *sptr = lp_next(lp, eptr);
        zht_insert(zs, zzl_score(sptr), (const char *)s, slen);
        eptr = lp_next(lp, sptr);
    }
    lp_free(lp);
    o->ptr = zs;
    o->encoding = OBJ_ENC_SKIPLIST;
}

int zset_score(sobj *o, const char *ele, size_t len, double *score) {
    if (o->encoding == OBJ_ENC_LISTPACK) return zzl_find(o->ptr, ele, len, score) != NULL;
    zsl_node *n = zht_find(o->ptr, ele, len);
    if (n && score) *score = n->score;
    return n != NULL;
}

/* NX/XX/GT/LT/INCR against an existing score. Returns 1 to go on with
 * *score the new one, 0 for a no-op, -1 for NaN. */
static int add_existing_rule(int in, double cur, double *score, int *out) {
    if (in & ZADD_IN_NX) {
        *out |= ZADD_OUT_NOP;
        return 0;
    }
    if (in & ZADD_IN_INCR) {
        *score += cur;
        if (isnan(*score)) {
            *out |= ZADD_OUT_NAN;
            return -1;
        }
    }
    if (((in & ZADD_IN_LT) && *score >= cur) || ((in & ZADD_IN_GT) && *score <= cur)) {
        *out |= ZADD_OUT_NOP;
        return 0;
    }
    return 1;
}

static int lp_add(const server *srv, sobj *o, double score, const char *ele, size_t len, int in,
                  int *out, double *newscore) {
    double cur;
    unsigned char *eptr = zzl_find(o->ptr, ele, len, &cur);
    if (eptr) {
        int r = add_existing_rule(in, cur, &score, out);
        if (r <= 0) return r == 0;
        if (newscore) *newscore = score;
        if (score != cur) {
            /* Remove and re-insert: the position depends on the score. */
            o->ptr = zzl_delete(o->ptr, eptr);
            o->ptr = zzl_insert(o->ptr, ele, len, score);
            *out |= ZADD_OUT_UPDATED;
        }
        return 1;
    }
    if (in & ZADD_IN_XX) {
        *out |= ZADD_OUT_NOP;
        return 1;
    }
    if (zset_length(o) + 1 > (unsigned long long)zmax_entries(srv) ||
        len > (unsigned long long)zmax_value(srv) || !lp_safe_to_add(o->ptr, len)) {
        zset_convert_to_skiplist(o);
        return -2; /* retry with the skiplist */
    }
    o->ptr = zzl_insert(o->ptr, ele, len, score);
    if (newscore) *newscore = score;
    *out |= ZADD_OUT_ADDED;
    return 1;
}

static int ht_add(sobj *o, double score, const char *ele, size_t len, int in, int *out,
                  double *newscore) {
    zset_ht *zs = o->ptr;
    zsl_node *n = zht_find(zs, ele, len);
    if (n) {
        double cur = n->score;
        int r = add_existing_rule(in, cur, &score, out);
        if (r <= 0) return r == 0;
        if (newscore) *newscore = score;
        if (score != cur) {
            zsl_node *moved = zsl_update_score(zs->zsl, cur, ele, len, score);
            dict_find(zs->d, moved->ele)->v.val = moved;
            *out |= ZADD_OUT_UPDATED;
        }
        return 1;
    }
    if (in & ZADD_IN_XX) {
        *out |= ZADD_OUT_NOP;
        return 1;
    }
    zht_insert(zs, score, ele, len);
    if (newscore) *newscore = score;
    *out |= ZADD_OUT_ADDED;
    return 1;
}

int zset_add(const server *srv, sobj *o, double score, const char *ele, size_t len, int in_flags,
             int *out_flags, double *newscore) {
    *out_flags = 0;
    if (isnan(score)) {
        *out_flags = ZADD_OUT_NAN;
        return 0;
    }
    if (o->encoding == OBJ_ENC_LISTPACK) {
        int r = lp_add(srv, o, score, ele, len, in_flags, out_flags, newscore);
        if (r != -2) return r;
    }
    return ht_add(o, score, ele, len, in_flags, out_flags, newscore);
}

void zset_append_sorted(const server *srv, sobj *o, double score, const char *ele, size_t len) {
    if (o->encoding == OBJ_ENC_LISTPACK) {
        if (zset_length(o) + 1 <= (unsigned long long)zmax_entries(srv) &&
            len <= (unsigned long long)zmax_value(srv) && lp_safe_to_add(o->ptr, len)) {
            char sbuf[64];
            int slen = zzl_score_text(sbuf, sizeof(sbuf), score);
            o->ptr = lp_append(o->ptr, (const unsigned char *)ele, len);
            o->ptr = lp_append(o->ptr, (const unsigned char *)sbuf, (size_t)slen);
            return;
        }
        zset_convert_to_skiplist(o);
    }
    zht_insert(o->ptr, score, ele, len);
}

int zset_del(sobj *o, const char *ele, size_t len) {
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *eptr = zzl_find(o->ptr, ele, len, NULL);
        if (!eptr) return 0;
        o->ptr = zzl_delete(o->ptr, eptr);
        return 1;
    }
    zset_ht *zs = o->ptr;
    zsl_node *n = zht_find(zs, ele, len);
    if (!n) return 0;
    dict_delete(zs->d, n->ele);
    zsl_node *x = zsl_unlink(zs->zsl, n->score, ele, len);
    zsl_free_node(x);
    return 1;
}

long zset_rank(sobj *o, const char *ele, size_t len, int reverse) {
    unsigned long llen = zset_length(o);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        unsigned long rank = 0;
        for (unsigned char *eptr = lp_first(lp); eptr; eptr = lp_next(lp, lp_next(lp, eptr))) {
            if (lp_compare(eptr, (const unsigned char *)ele, len))
                return reverse ? (long)(llen - 1 - rank) : (long)rank;
            rank++;
        }
        return -1;
    }
    zset_ht *zs = o->ptr;
    zsl_node *n = zht_find(zs, ele, len);
    if (!n) return -1;
    unsigned long r = zsl_get_rank(zs->zsl, n->score, ele, len);
    return reverse ? (long)(llen - r) : (long)(r - 1);
}

void zset_iter_init(zset_iter *it, sobj *o, unsigned long rank, int reverse) {
    it->o = o;
    it->reverse = reverse;
    it->eptr = NULL;
    it->node = NULL;
    unsigned long llen = zset_length(o);
    if (rank >= llen) return;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        it->eptr = lp_seek(o->ptr, reverse ? -2 - 2 * (long)rank : 2 * (long)rank);
        return;
    }
    zskiplist *zsl = ((zset_ht *)o->ptr)->zsl;
    it->node = zsl_get_by_rank(zsl, reverse ? llen - rank : rank + 1);
}

int zset_iter_next(zset_iter *it, zset_elem *e) {
    if (it->o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *lp = it->o->ptr;
        if (!it->eptr) return 0;
        uint32_t slen;
        e->p = (const char *)lp_get_str(it->eptr, &slen, e->buf);
        e->len = slen;
        unsigned char *sptr = lp_next(lp, it->eptr);
        e->score = zzl_score(sptr);
        it->eptr = it->reverse ? lp_prev(lp, it->eptr) : lp_next(lp, sptr);
        if (it->reverse && it->eptr) it->eptr = lp_prev(lp, it->eptr);
        return 1;
    }
    if (!it->node) return 0;
    e->p = it->node->ele;
    e->len = sstr_len(it->node->ele);
    e->score = it->node->score;
    it->node = it->reverse ? it->node->backward : it->node->level[0].forward;
    return 1;
}

/* Removes 0-based ranks start..end (inclusive, in range). */
unsigned long zset_delete_ranks(sobj *o, unsigned long start, unsigned long end) {
    unsigned long n = end - start + 1;
    if (o->encoding == OBJ_ENC_LISTPACK) {
        o->ptr = lp_delete_range(o->ptr, 2 * (long)start, 2 * n);
        return n;
    }
    zset_ht *zs = o->ptr;
    return zsl_delete_range_by_rank(zs->zsl, start + 1, end + 1, zs->d);
}

/* The run of 0-based ranks inside a score range: returns its length and
 * sets *first. */
unsigned long zset_score_span(sobj *o, const zscore_range *r, unsigned long *first) {
    *first = 0;
    if (zscore_range_empty(r)) return 0;
    if (o->encoding == OBJ_ENC_SKIPLIST) {
        zskiplist *zsl = ((zset_ht *)o->ptr)->zsl;
        unsigned long a, b;
        if (!zsl_first_in_range(zsl, r, &a) || !zsl_last_in_range(zsl, r, &b) || b < a) return 0;
        *first = a - 1;
        return b - a + 1;
    }
    unsigned char *lp = o->ptr;
    unsigned long rank = 0, count = 0;
    for (unsigned char *eptr = lp_first(lp); eptr; rank++) {
        unsigned char *sptr = lp_next(lp, eptr);
        double s = zzl_score(sptr);
        if (!zscore_lte_max(s, r)) break;
        if (zscore_gte_min(s, r)) {
            if (!count) *first = rank;
            count++;
        }
        eptr = lp_next(lp, sptr);
    }
    return count;
}

static void lp_member_at(const unsigned char *eptr, zset_elem *e) {
    uint32_t slen;
    e->p = (const char *)lp_get_str(eptr, &slen, e->buf);
    e->len = slen;
}

/* Lex runs follow Redis's walk exactly, so members with different scores
 * (where lex ranges are unspecified) give Redis's answers on listpacks:
 * forward, from the first member >= min while <= max; reverse, from the last
 * member <= max backwards while >= min. *start is a rank in the walking
 * direction (from the end when reverse). */
static unsigned long lp_lex_span(unsigned char *lp, const zlex_range *r, int reverse,
                                 unsigned long *start) {
    zset_elem e;
    unsigned char *eptr = lp_seek(lp, -2);
    if (!eptr) return 0;
    lp_member_at(eptr, &e);
    if (!zlex_gte_min(e.p, e.len, r)) return 0;
    lp_member_at(lp_first(lp), &e);
    if (!zlex_lte_max(e.p, e.len, r)) return 0;
    unsigned long rank = 0, count = 0;
    eptr = reverse ? lp_seek(lp, -2) : lp_first(lp);
    for (; eptr; rank++) {
        lp_member_at(eptr, &e);
        int in_start = reverse ? zlex_lte_max(e.p, e.len, r) : zlex_gte_min(e.p, e.len, r);
        int in_run = reverse ? zlex_gte_min(e.p, e.len, r) : zlex_lte_max(e.p, e.len, r);
        if (count == 0 && in_start) *start = rank;
        if (count || in_start) {
            if (!in_run) break;
            count++;
        }
        if (reverse) {
            eptr = lp_prev(lp, eptr);
            if (eptr) eptr = lp_prev(lp, eptr);
        } else {
            eptr = lp_next(lp, lp_next(lp, eptr));
        }
    }
    return count;
}

unsigned long zset_lex_span(sobj *o, const zlex_range *r, int reverse, unsigned long *start) {
    *start = 0;
    if (zlex_range_empty(r)) return 0;
    if (o->encoding == OBJ_ENC_LISTPACK) return lp_lex_span(o->ptr, r, reverse, start);
    zskiplist *zsl = ((zset_ht *)o->ptr)->zsl;
    unsigned long a, b;
    if (!zsl_first_in_lex_range(zsl, r, &a) || !zsl_last_in_lex_range(zsl, r, &b) || b < a)
        return 0;
    *start = reverse ? zsl->length - b : a - 1;
    return b - a + 1;
}

/* ----------------------------------------------------------- type table */

static void zset_free_value(sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_free(o->ptr);
    else
        zht_free(o->ptr);
}

static sobj *zset_dup(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return obj_new(OBJ_ZSET, OBJ_ENC_LISTPACK, lp_dup(o->ptr));
    zset_ht *src = o->ptr, *dst = zht_create();
    for (zsl_node *x = src->zsl->header->level[0].forward; x; x = x->level[0].forward)
        zht_insert(dst, x->score, x->ele, sstr_len(x->ele));
    return obj_new(OBJ_ZSET, OBJ_ENC_SKIPLIST, dst);
}

static size_t zset_mem_usage(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return lp_bytes(o->ptr);
    const zset_ht *zs = o->ptr;
    return sizeof(*zs) + dict_mem_usage(zs->d) + zsl_mem_usage(zs->zsl);
}

static const obj_type_ops zset_ops = {"zset", zset_free_value, zset_dup, zset_mem_usage};

void zset_register_type(void) {
    obj_register_type(OBJ_ZSET, &zset_ops);
}
