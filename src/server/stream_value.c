/* stream_value.c - the stream value: IDs, ordered ID maps, listpack nodes in
 * Redis's layout (see t_stream.h), iteration, trimming, consumer groups and
 * the type operations (free, dup, memory).
 */
#include <stdio.h>
#include <string.h>

#include "../core/err.h"
#include "../core/listpack.h"
#include "../core/mem.h"
#include "t_stream.h"

/* ------------------------------------------------------------------- IDs */

int stream_id_cmp(const stream_id *a, const stream_id *b) {
    if (a->ms != b->ms) return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

int stream_id_incr(stream_id *id) {
    if (id->seq != UINT64_MAX) {
        id->seq++;
        return 0;
    }
    if (id->ms == UINT64_MAX) return -1;
    id->ms++;
    id->seq = 0;
    return 0;
}

int stream_id_decr(stream_id *id) {
    if (id->seq != 0) {
        id->seq--;
        return 0;
    }
    if (id->ms == 0) return -1;
    id->ms--;
    id->seq = UINT64_MAX;
    return 0;
}

void stream_id_encode(unsigned char out[16], const stream_id *id) {
    for (int i = 0; i < 8; i++) {
        out[i] = (unsigned char)(id->ms >> (56 - 8 * i));
        out[8 + i] = (unsigned char)(id->seq >> (56 - 8 * i));
    }
}

void stream_id_decode(const unsigned char in[16], stream_id *id) {
    id->ms = id->seq = 0;
    for (int i = 0; i < 8; i++) {
        id->ms = (id->ms << 8) | in[i];
        id->seq = (id->seq << 8) | in[8 + i];
    }
}

int stream_id_format(char *buf, const stream_id *id) {
    return snprintf(buf, 42, "%llu-%llu", (unsigned long long)id->ms, (unsigned long long)id->seq);
}

/* ------------------------------------------------------- ordered ID maps */

size_t stream_idmap_lower_bound(const stream_idmap *m, const stream_id *id) {
    size_t lo = 0, hi = m->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(&m->e[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long stream_idmap_find(const stream_idmap *m, const stream_id *id) {
    size_t i = stream_idmap_lower_bound(m, id);
    if (i < m->len && stream_id_cmp(&m->e[i].id, id) == 0) return (long)i;
    return -1;
}

int stream_idmap_insert(stream_idmap *m, const stream_id *id, void *val) {
    size_t i;
    /* Fast path: IDs mostly arrive in increasing order. */
    if (m->len == 0 || stream_id_cmp(&m->e[m->len - 1].id, id) < 0) {
        i = m->len;
    } else {
        i = stream_idmap_lower_bound(m, id);
        if (i < m->len && stream_id_cmp(&m->e[i].id, id) == 0) return 0;
    }
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1; /* a small stream has one node */
        m->e = sk_realloc(m->e, m->cap * sizeof(*m->e));
    }
    memmove(m->e + i + 1, m->e + i, (m->len - i) * sizeof(*m->e));
    m->e[i].id = *id;
    m->e[i].val = val;
    m->len++;
    return 1;
}

void stream_idmap_remove_at(stream_idmap *m, size_t i) {
    memmove(m->e + i, m->e + i + 1, (m->len - i - 1) * sizeof(*m->e));
    m->len--;
    /* Give memory back when a big map empties (a PEL after mass XACK). */
    if (m->cap > 16 && m->len < m->cap / 4) {
        m->cap /= 2;
        m->e = sk_realloc(m->e, m->cap * sizeof(*m->e));
    }
}

void *stream_idmap_remove(stream_idmap *m, const stream_id *id) {
    long i = stream_idmap_find(m, id);
    if (i < 0) return NULL;
    void *v = m->e[i].val;
    stream_idmap_remove_at(m, (size_t)i);
    return v;
}

void stream_idmap_free(stream_idmap *m) {
    sk_free(m->e);
    m->e = NULL;
    m->len = m->cap = 0;
}

/* ------------------------------------------------------ name-sorted arrays */

/* Groups and consumers both start with their sstr name; they are kept
 * sorted in byte order, shorter first on a common prefix (rax order). */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen) {
    int r = memcmp(a, b, alen < blen ? alen : blen);
    if (r) return r;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

static size_t names_lower_bound(void **arr, size_t n, const char *name, size_t len) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        sstr mn = *(sstr *)arr[mid];
        if (name_cmp(mn, sstr_len(mn), name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void *names_find(void **arr, size_t n, const char *name, size_t len) {
    size_t i = names_lower_bound(arr, n, name, len);
    if (i < n) {
        sstr mn = *(sstr *)arr[i];
        if (name_cmp(mn, sstr_len(mn), name, len) == 0) return arr[i];
    }
    return NULL;
}

/* Inserts item (whose name is not present) keeping the order. */
static void names_insert(void ***arr, size_t *n, size_t *cap, void *item) {
    sstr name = *(sstr *)item;
    size_t i = names_lower_bound(*arr, *n, name, sstr_len(name));
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 2;
        *arr = sk_realloc(*arr, *cap * sizeof(void *));
    }
    memmove(*arr + i + 1, *arr + i, (*n - i) * sizeof(void *));
    (*arr)[i] = item;
    (*n)++;
}

static void names_remove(void **arr, size_t *n, void *item) {
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] != item) continue;
        memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(void *));
        (*n)--;
        return;
    }
}

/* ------------------------------------------------------ listpack helpers */

static int64_t lp_int_at(const unsigned char *p) {
    int64_t v = 0;
    if (!lp_get_int(p, &v)) {
        /* Fields are written by us as integers; a string here is corrupt. */
        uint32_t len;
        unsigned char buf[LP_INTBUF_SIZE];
        const unsigned char *s = lp_get_str(p, &len, buf);
        lp_string_to_int64(s, len, &v);
    }
    return v;
}

/* Master entry of a node: sets *nfields and returns the first master field
 * (or the terminator when there are none). */
static unsigned char *node_master(unsigned char *lp, int64_t *count, int64_t *deleted,
                                  int64_t *nfields) {
    unsigned char *p = lp_first(lp);
    if (count) *count = lp_int_at(p);
    p = lp_next(lp, p);
    if (deleted) *deleted = lp_int_at(p);
    p = lp_next(lp, p);
    *nfields = lp_int_at(p);
    return lp_next(lp, p);
}

static unsigned char *lp_skip(unsigned char *lp, unsigned char *p, int64_t n) {
    while (n-- > 0 && p)
        p = lp_next(lp, p);
    return p;
}

/* --------------------------------------------------------------- append */

static size_t fv_total_len(const sstr *fv, long npairs) {
    size_t tot = 0;
    for (long i = 0; i < npairs * 2; i++)
        tot += sstr_len(fv[i]);
    return tot;
}

static unsigned char *node_new(const sstr *fv, long npairs) {
    unsigned char *lp = lp_new(0);
    lp = lp_append_int(lp, 1);
    lp = lp_append_int(lp, 0);
    lp = lp_append_int(lp, npairs);
    for (long i = 0; i < npairs; i++)
        lp = lp_append(lp, fv[2 * i], sstr_len(fv[2 * i]));
    return lp_append_int(lp, 0);
}

/* Bumps the live count of an open node; returns 1 if fv's fields equal its
 * master fields (the entry can then omit them). */
static int node_account_new_entry(unsigned char **lpp, const sstr *fv, long npairs) {
    unsigned char *lp = *lpp;
    unsigned char *p = lp_first(lp);
    lp = lp_replace_int(lp, &p, lp_int_at(p) + 1);
    *lpp = lp;
    int64_t nf;
    unsigned char *f = node_master(lp, NULL, NULL, &nf);
    if (nf != npairs) return 0;
    for (long i = 0; i < npairs; i++, f = lp_next(lp, f))
        if (!lp_compare(f, fv[2 * i], sstr_len(fv[2 * i]))) return 0;
    return 1;
}

static int node_is_full(const unsigned char *lp, size_t add, long long max_bytes,
                        long long max_entries) {
    size_t limit = STREAM_LISTPACK_MAX_SIZE;
    if (max_bytes > 0 && (unsigned long long)max_bytes < limit) limit = (size_t)max_bytes;
    if (lp_bytes(lp) + add >= limit) return 1;
    if (max_entries <= 0) return 0;
    unsigned char *p = lp_first(lp);
    int64_t count = lp_int_at(p);
    int64_t deleted = lp_int_at(lp_next(lp, p));
    return count + deleted >= max_entries;
}

int stream_append(stream *s, const sstr *fv, long npairs, const stream_id *id,
                  long long node_max_bytes, long long node_max_entries) {
    size_t tot = fv_total_len(fv, npairs);
    if (tot > STREAM_LISTPACK_MAX_SIZE) return SK_ETOOBIG;
    unsigned char *lp = NULL;
    stream_idmap_entry *tail = s->nodes.len ? &s->nodes.e[s->nodes.len - 1] : NULL;
    if (tail && !node_is_full(tail->val, tot, node_max_bytes, node_max_entries)) lp = tail->val;
    int flags = STREAM_ITEM_NONE;
    stream_id master;
    if (!lp) {
        lp = node_new(fv, npairs);
        master = *id;
        stream_idmap_insert(&s->nodes, id, lp);
        tail = &s->nodes.e[s->nodes.len - 1];
        flags = STREAM_ITEM_SAMEFIELDS;
    } else {
        master = tail->id;
        if (node_account_new_entry(&lp, fv, npairs)) flags = STREAM_ITEM_SAMEFIELDS;
    }
    lp = lp_append_int(lp, flags);
    lp = lp_append_int(lp, (int64_t)(id->ms - master.ms));
    lp = lp_append_int(lp, (int64_t)(id->seq - master.seq));
    if (!(flags & STREAM_ITEM_SAMEFIELDS)) lp = lp_append_int(lp, npairs);
    for (long i = 0; i < npairs; i++) {
        if (!(flags & STREAM_ITEM_SAMEFIELDS)) lp = lp_append(lp, fv[2 * i], sstr_len(fv[2 * i]));
        lp = lp_append(lp, fv[2 * i + 1], sstr_len(fv[2 * i + 1]));
    }
    int64_t lp_count = npairs + 3;
    if (!(flags & STREAM_ITEM_SAMEFIELDS)) lp_count += npairs + 1;
    lp = lp_append_int(lp, lp_count);
    tail->val = lp;
    s->length++;
    s->entries_added++;
    s->last_id = *id;
    if (s->length == 1) s->first_id = *id;
    return 0;
}

/* ------------------------------------------------------------- iteration */

void stream_iter_start(stream_iter *it, stream *s, const stream_id *start, const stream_id *end,
                       int rev) {
    memset(it, 0, sizeof(*it));
    it->s = s;
    it->start = start ? *start : (stream_id){0, 0};
    it->end = end ? *end : (stream_id){UINT64_MAX, UINT64_MAX};
    it->rev = rev;
    /* The node that may hold the first ID to visit: the last one whose
     * master ID is <= it (later nodes start after it). */
    const stream_id *from = rev ? &it->end : &it->start;
    size_t i = stream_idmap_lower_bound(&s->nodes, from);
    if (i == s->nodes.len || stream_id_cmp(&s->nodes.e[i].id, from) > 0) {
        if (i == 0) {
            if (rev) it->done = 1;
        } else {
            i--;
        }
    }
    it->node = i;
    if (s->nodes.len == 0 || stream_id_cmp(&it->start, &it->end) > 0) it->done = 1;
}

static int iter_open_node(stream_iter *it) {
    if (it->node >= it->s->nodes.len) return 0;
    it->lp = it->s->nodes.e[it->node].val;
    it->master = it->s->nodes.e[it->node].id;
    it->master_fields = node_master(it->lp, NULL, NULL, &it->master_nfields);
    unsigned char *term = lp_skip(it->lp, it->master_fields, it->master_nfields);
    /* Forward: p is the flags of the next entry; reverse: the lp-count of
     * the previous one (the master terminator, 0, ends the walk). */
    it->p = it->rev ? lp_last(it->lp) : lp_next(it->lp, term);
    return 1;
}

static void iter_next_node(stream_iter *it) {
    it->lp = NULL;
    if (it->rev) {
        if (it->node == 0) it->done = 1;
        it->node--;
    } else {
        it->node++;
    }
}

/* Reads the entry whose flags element is e into the iterator; returns the
 * element after its lp-count when want_next. */
static unsigned char *iter_parse_entry(stream_iter *it, unsigned char *e, int want_next) {
    unsigned char *lp = it->lp;
    it->cur = e;
    it->flags = lp_int_at(e);
    unsigned char *p = lp_next(lp, e);
    it->id.ms = it->master.ms + (uint64_t)lp_int_at(p);
    p = lp_next(lp, p);
    it->id.seq = it->master.seq + (uint64_t)lp_int_at(p);
    p = lp_next(lp, p);
    int64_t skip;
    if (it->flags & STREAM_ITEM_SAMEFIELDS) {
        it->nfields = it->master_nfields;
        it->fp = it->master_fields;
        it->vp = p;
        skip = it->nfields;
    } else {
        it->nfields = lp_int_at(p);
        p = lp_next(lp, p);
        it->fp = p;
        it->vp = NULL;
        skip = it->nfields * 2;
    }
    it->fields_left = it->nfields;
    if (!want_next) return NULL;
    p = lp_skip(lp, p, skip); /* now the lp-count */
    return lp_next(lp, p);
}

/* The previous entry in reverse order, or 0 when the node is exhausted. */
static int iter_step_back(stream_iter *it) {
    if (!it->p) return 0;
    int64_t lp_count = lp_int_at(it->p);
    if (lp_count == 0) return 0; /* the master entry terminator */
    unsigned char *e = it->p;
    for (int64_t k = 0; k < lp_count; k++)
        e = lp_prev(it->lp, e);
    it->p = lp_prev(it->lp, e);
    iter_parse_entry(it, e, 0);
    return 1;
}

static int iter_step(stream_iter *it) {
    if (it->rev) return iter_step_back(it);
    if (!it->p) return 0;
    it->p = iter_parse_entry(it, it->p, 1);
    return 1;
}

int stream_iter_next(stream_iter *it) {
    while (!it->done) {
        if (!it->lp && !iter_open_node(it)) {
            it->done = 1;
            break;
        }
        if (!iter_step(it)) {
            iter_next_node(it);
            continue;
        }
        if (it->flags & STREAM_ITEM_DELETED) continue;
        if (!it->rev) {
            if (stream_id_cmp(&it->id, &it->start) < 0) continue;
            if (stream_id_cmp(&it->id, &it->end) > 0) break;
        } else {
            if (stream_id_cmp(&it->id, &it->end) > 0) continue;
            if (stream_id_cmp(&it->id, &it->start) < 0) break;
        }
        return 1;
    }
    it->done = 1;
    return 0;
}

int stream_iter_field(stream_iter *it, const unsigned char **f, uint32_t *flen,
                      const unsigned char **v, uint32_t *vlen) {
    if (it->fields_left <= 0) return 0;
    it->fields_left--;
    unsigned char *vp;
    *f = lp_get_str(it->fp, flen, it->fbuf);
    if (it->flags & STREAM_ITEM_SAMEFIELDS) {
        vp = it->vp;
        it->fp = lp_next(it->lp, it->fp);
        it->vp = lp_next(it->lp, vp);
    } else {
        vp = lp_next(it->lp, it->fp);
        it->fp = lp_next(it->lp, vp);
    }
    *v = lp_get_str(vp, vlen, it->vbuf);
    return 1;
}

/* Removes node i (its last live entry went). */
static void stream_drop_node(stream *s, size_t i) {
    lp_free(s->nodes.e[i].val);
    stream_idmap_remove_at(&s->nodes, i);
}

/* Tombstones the current entry; keep_empty leaves a node whose last live
 * entry went in place (exact trimming does, as Redis; XDEL drops it). */
static void iter_remove(stream_iter *it, int keep_empty) {
    unsigned char *lp = it->lp;
    /* Offsets from the end survive the master header changing size. */
    size_t p_off = it->p ? lp_bytes(lp) - (size_t)(it->p - lp) : 0;
    unsigned char *e = it->cur;
    lp = lp_replace_int(lp, &e, it->flags | STREAM_ITEM_DELETED);
    unsigned char *c = lp_first(lp);
    int64_t count = lp_int_at(c) - 1;
    lp = lp_replace_int(lp, &c, count);
    c = lp_next(lp, c);
    lp = lp_replace_int(lp, &c, lp_int_at(c) + 1);
    it->s->length--;
    it->s->nodes.e[it->node].val = lp;
    if (count == 0 && !keep_empty) {
        stream_drop_node(it->s, it->node);
        it->lp = NULL;
        if (it->rev) {
            if (it->node == 0) it->done = 1;
            it->node--;
        }
        return;
    }
    it->lp = lp;
    it->p = it->p ? lp + lp_bytes(lp) - p_off : NULL;
    it->master_fields = node_master(lp, NULL, NULL, &it->master_nfields);
    it->cur = NULL;
    it->fields_left = 0;
}

void stream_iter_remove(stream_iter *it) {
    iter_remove(it, 0);
}

int stream_delete_id(stream *s, const stream_id *id) {
    stream_iter it;
    stream_iter_start(&it, s, id, id, 0);
    if (!stream_iter_next(&it)) return 0;
    stream_iter_remove(&it);
    return 1;
}

void stream_edge_id(const stream *s, int first, stream_id *out) {
    stream_iter it;
    stream_iter_start(&it, (stream *)s, NULL, NULL, !first);
    if (stream_iter_next(&it)) {
        *out = it.id;
        return;
    }
    if (first)
        *out = (stream_id){UINT64_MAX, UINT64_MAX};
    else
        *out = (stream_id){0, 0};
}

/* --------------------------------------------------------------- trimming */

/* Last entry ID of a node (live or not), for MINID whole-node removal. */
static stream_id node_last_id(const stream_idmap_entry *n) {
    stream_iter it;
    memset(&it, 0, sizeof(it));
    it.rev = 1;
    it.lp = n->val;
    it.master = n->id;
    it.master_fields = node_master(it.lp, NULL, NULL, &it.master_nfields);
    it.p = lp_last(it.lp);
    if (!iter_step_back(&it)) return n->id;
    return it.id;
}

/* Tombstones entries of node 0 from its start while keep_going says so;
 * returns how many were removed. */
static long long trim_inside_node(stream *s, const stream_trim_args *a) {
    stream_iter it;
    memset(&it, 0, sizeof(it));
    it.s = s;
    it.end = (stream_id){UINT64_MAX, UINT64_MAX};
    it.node = 0;
    iter_open_node(&it);
    long long removed = 0;
    while (it.lp && iter_step(&it)) {
        if (a->kind == STREAM_TRIM_MAXLEN && s->length <= (uint64_t)a->maxlen) break;
        if (a->kind == STREAM_TRIM_MINID && stream_id_cmp(&it.id, &a->minid) >= 0) break;
        if (it.flags & STREAM_ITEM_DELETED) continue;
        iter_remove(&it, 1);
        removed++;
    }
    return removed;
}

long long stream_trim(stream *s, const stream_trim_args *a) {
    if (a->kind == STREAM_TRIM_NONE) return 0;
    long long removed = 0;
    while (s->nodes.len) {
        if (a->kind == STREAM_TRIM_MAXLEN && s->length <= (uint64_t)a->maxlen) break;
        int64_t entries, nf;
        node_master(s->nodes.e[0].val, &entries, NULL, &nf);
        if (a->limit && removed + entries > a->limit) break;
        int whole;
        if (a->kind == STREAM_TRIM_MAXLEN) {
            whole = s->length - (uint64_t)entries >= (uint64_t)a->maxlen;
        } else {
            stream_id last = node_last_id(&s->nodes.e[0]);
            whole = stream_id_cmp(&last, &a->minid) < 0;
        }
        if (whole) {
            stream_drop_node(s, 0);
            s->length -= (uint64_t)entries;
            removed += entries;
            continue;
        }
        if (!a->approx) removed += trim_inside_node(s, a);
        break;
    }
    if (s->length == 0)
        s->first_id = (stream_id){0, 0};
    else
        stream_edge_id(s, 1, &s->first_id);
    return removed;
}

/* ------------------------------------------------------------ lag (7.0) */

int stream_range_has_tombstones(const stream *s, const stream_id *start, const stream_id *end) {
    stream_id zero = {0, 0};
    if (s->length == 0 || stream_id_cmp(&s->max_deleted_id, &zero) == 0) return 0;
    /* Every tombstone is before the first entry: none in any live range. */
    if (stream_id_cmp(&s->first_id, &s->max_deleted_id) > 0) return 0;
    stream_id lo = start ? *start : zero;
    stream_id hi = end ? *end : (stream_id){UINT64_MAX, UINT64_MAX};
    return stream_id_cmp(&lo, &s->max_deleted_id) <= 0 &&
           stream_id_cmp(&s->max_deleted_id, &hi) <= 0;
}

long long stream_estimate_distance(const stream *s, const stream_id *id) {
    if (!s->entries_added) return 0;
    if (!s->length && stream_id_cmp(id, &s->last_id) < 1) return (long long)s->entries_added;
    int cmp_last = stream_id_cmp(id, &s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_READ_INVALID;
    stream_id zero = {0, 0};
    int cmp_first = stream_id_cmp(id, &s->first_id);
    if (stream_id_cmp(&s->max_deleted_id, &zero) == 0 ||
        stream_id_cmp(&s->max_deleted_id, &s->first_id) < 0) {
        if (cmp_first < 0) return (long long)(s->entries_added - s->length);
        if (cmp_first == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_READ_INVALID;
}

/* ------------------------------------------------------- consumer groups */

stream_cg *stream_cg_lookup(const stream *s, const char *name, size_t len) {
    return names_find((void **)s->groups, s->ngroups, name, len);
}

stream_cg *stream_cg_create(stream *s, const char *name, size_t len, const stream_id *last_id,
                            long long entries_read) {
    if (stream_cg_lookup(s, name, len)) return NULL;
    stream_cg *cg = sk_calloc(1, sizeof(*cg));
    cg->name = sstr_new(name, len);
    cg->last_id = *last_id;
    cg->entries_read = entries_read;
    names_insert((void ***)&s->groups, &s->ngroups, &s->groups_cap, cg);
    return cg;
}

static void consumer_free(stream_consumer *c) {
    stream_idmap_free(&c->pel);
    sstr_free(c->name);
    sk_free(c);
}

static void cg_free(stream_cg *cg) {
    for (size_t i = 0; i < cg->pel.len; i++)
        sk_free(cg->pel.e[i].val);
    stream_idmap_free(&cg->pel);
    for (size_t i = 0; i < cg->nconsumers; i++)
        consumer_free(cg->consumers[i]);
    sk_free(cg->consumers);
    sstr_free(cg->name);
    sk_free(cg);
}

int stream_cg_destroy(stream *s, const char *name, size_t len) {
    stream_cg *cg = stream_cg_lookup(s, name, len);
    if (!cg) return 0;
    names_remove((void **)s->groups, &s->ngroups, cg);
    cg_free(cg);
    return 1;
}

stream_consumer *stream_consumer_lookup(const stream_cg *cg, const char *name, size_t len) {
    return names_find((void **)cg->consumers, cg->nconsumers, name, len);
}

stream_consumer *stream_consumer_create(stream_cg *cg, const char *name, size_t len,
                                        long long now_ms) {
    if (stream_consumer_lookup(cg, name, len)) return NULL;
    stream_consumer *c = sk_calloc(1, sizeof(*c));
    c->name = sstr_new(name, len);
    c->seen_time = now_ms;
    names_insert((void ***)&cg->consumers, &cg->nconsumers, &cg->consumers_cap, c);
    return c;
}

long long stream_consumer_delete(stream_cg *cg, stream_consumer *consumer) {
    long long pending = (long long)consumer->pel.len;
    for (size_t i = 0; i < consumer->pel.len; i++) {
        stream_nack *n = stream_idmap_remove(&cg->pel, &consumer->pel.e[i].id);
        sk_free(n);
    }
    names_remove((void **)cg->consumers, &cg->nconsumers, consumer);
    consumer_free(consumer);
    return pending;
}

stream_nack *stream_nack_new(stream_consumer *consumer, long long now_ms) {
    stream_nack *n = sk_calloc(1, sizeof(*n));
    n->consumer = consumer;
    n->delivery_time = now_ms;
    n->delivery_count = 1;
    return n;
}

/* ------------------------------------------------------------ life cycle */

stream *stream_new(void) {
    return sk_calloc(1, sizeof(stream));
}

void stream_free(stream *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nodes.len; i++)
        lp_free(s->nodes.e[i].val);
    stream_idmap_free(&s->nodes);
    for (size_t i = 0; i < s->ngroups; i++)
        cg_free(s->groups[i]);
    sk_free(s->groups);
    sk_free(s);
}

static void idmap_copy(stream_idmap *dst, const stream_idmap *src) {
    dst->len = dst->cap = src->len;
    dst->e = src->len ? sk_memdup(src->e, src->len * sizeof(*src->e)) : NULL;
}

static stream_cg *cg_dup(const stream_cg *src) {
    stream_cg *cg = sk_calloc(1, sizeof(*cg));
    cg->name = sstr_dup(src->name);
    cg->last_id = src->last_id;
    cg->entries_read = src->entries_read;
    idmap_copy(&cg->pel, &src->pel);
    cg->nconsumers = cg->consumers_cap = src->nconsumers;
    cg->consumers = src->nconsumers ? sk_calloc(src->nconsumers, sizeof(void *)) : NULL;
    for (size_t i = 0; i < src->nconsumers; i++) {
        const stream_consumer *oc = src->consumers[i];
        stream_consumer *c = sk_calloc(1, sizeof(*c));
        c->name = sstr_dup(oc->name);
        c->seen_time = oc->seen_time;
        idmap_copy(&c->pel, &oc->pel);
        cg->consumers[i] = c;
    }
    /* New nacks, then point both PELs at them. */
    for (size_t i = 0; i < cg->pel.len; i++) {
        const stream_nack *on = src->pel.e[i].val;
        stream_nack *n = sk_memdup(on, sizeof(*n));
        stream_consumer *c =
            stream_consumer_lookup(cg, on->consumer->name, sstr_len(on->consumer->name));
        n->consumer = c;
        cg->pel.e[i].val = n;
        long j = stream_idmap_find(&c->pel, &cg->pel.e[i].id);
        if (j >= 0) c->pel.e[j].val = n;
    }
    return cg;
}

stream *stream_dup(const stream *src) {
    stream *s = stream_new();
    s->nodes.len = s->nodes.cap = src->nodes.len;
    s->nodes.e = src->nodes.len ? sk_calloc(src->nodes.len, sizeof(*s->nodes.e)) : NULL;
    for (size_t i = 0; i < src->nodes.len; i++) {
        s->nodes.e[i].id = src->nodes.e[i].id;
        s->nodes.e[i].val = lp_dup(src->nodes.e[i].val);
    }
    s->length = src->length;
    s->last_id = src->last_id;
    s->first_id = src->first_id;
    s->max_deleted_id = src->max_deleted_id;
    s->entries_added = src->entries_added;
    s->ngroups = s->groups_cap = src->ngroups;
    s->groups = src->ngroups ? sk_calloc(src->ngroups, sizeof(void *)) : NULL;
    for (size_t i = 0; i < src->ngroups; i++)
        s->groups[i] = cg_dup(src->groups[i]);
    return s;
}

size_t stream_mem_usage(const stream *s) {
    size_t n = sizeof(*s) + s->nodes.cap * sizeof(stream_idmap_entry);
    for (size_t i = 0; i < s->nodes.len; i++)
        n += lp_bytes(s->nodes.e[i].val);
    n += s->groups_cap * sizeof(void *);
    for (size_t i = 0; i < s->ngroups; i++) {
        const stream_cg *cg = s->groups[i];
        n += sizeof(*cg) + sstr_alloc_size(cg->name) + cg->pel.cap * sizeof(stream_idmap_entry);
        n += cg->pel.len * sizeof(stream_nack) + cg->consumers_cap * sizeof(void *);
        for (size_t j = 0; j < cg->nconsumers; j++) {
            const stream_consumer *c = cg->consumers[j];
            n += sizeof(*c) + sstr_alloc_size(c->name) + c->pel.cap * sizeof(stream_idmap_entry);
        }
    }
    return n;
}
