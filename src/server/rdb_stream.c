/* rdb_stream.c - streams in RDB format (see rdb_value.h), the layout Redis
 * 7.0 writes as RDB_TYPE_STREAM_LISTPACKS_2 and the older
 * RDB_TYPE_STREAM_LISTPACKS (no first / max deleted IDs, entries added or
 * group read counters: they are derived as Redis derives them).
 */
#include <string.h>

#include "../core/err.h"
#include "../core/listpack.h"
#include "../core/mem.h"
#include "rdb_value.h"
#include "t_stream.h"

/* ----------------------------------------------------------------- writing */

static void write_id(sbuf *b, const stream_id *id) {
    rdb_write_len(b, id->ms);
    rdb_write_len(b, id->seq);
}

static void write_raw_id(sbuf *b, const stream_id *id) {
    unsigned char key[16];
    stream_id_encode(key, id);
    sbuf_append(b, key, sizeof(key));
}

static void write_group(sbuf *b, const stream_cg *cg) {
    rdb_write_string(b, cg->name, sstr_len(cg->name));
    write_id(b, &cg->last_id);
    rdb_write_len(b, (uint64_t)cg->entries_read); /* -1 (unknown) as Redis: 2^64-1 */
    rdb_write_len(b, cg->pel.len);
    for (size_t i = 0; i < cg->pel.len; i++) {
        const stream_nack *n = cg->pel.e[i].val;
        write_raw_id(b, &cg->pel.e[i].id);
        rdb_write_millis(b, n->delivery_time);
        rdb_write_len(b, n->delivery_count);
    }
    rdb_write_len(b, cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const stream_consumer *c = cg->consumers[i];
        rdb_write_string(b, c->name, sstr_len(c->name));
        rdb_write_millis(b, c->seen_time);
        rdb_write_len(b, c->pel.len);
        for (size_t j = 0; j < c->pel.len; j++)
            write_raw_id(b, &c->pel.e[j].id);
    }
}

void rdb_write_stream(sbuf *b, const sobj *o) {
    const stream *s = o->ptr;
    rdb_write_len(b, s->nodes.len);
    for (size_t i = 0; i < s->nodes.len; i++) {
        unsigned char key[16];
        const unsigned char *lp = s->nodes.e[i].val;
        stream_id_encode(key, &s->nodes.e[i].id);
        rdb_write_string(b, key, sizeof(key));
        rdb_write_string(b, lp, lp_bytes(lp));
    }
    rdb_write_len(b, s->length);
    write_id(b, &s->last_id);
    write_id(b, &s->first_id);
    write_id(b, &s->max_deleted_id);
    rdb_write_len(b, s->entries_added);
    rdb_write_len(b, s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++)
        write_group(b, s->groups[i]);
}

/* ------------------------------------------------------ node validation */

/* Walks a validated listpack element by element. */
typedef struct lp_cursor {
    const unsigned char *lp, *p; /* p: next element, NULL past the end */
} lp_cursor;

static int cur_skip(lp_cursor *c) {
    if (!c->p) return -1;
    c->p = lp_next(c->lp, c->p);
    return 0;
}

static int cur_int(lp_cursor *c, int64_t *v) {
    if (!c->p || !lp_get_int(c->p, v)) return -1;
    return cur_skip(c);
}

static int cur_skip_n(lp_cursor *c, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (cur_skip(c) < 0) return -1;
    return 0;
}

/* What a node's check learnt: live entries, the last entry ID. */
typedef struct node_info {
    int64_t live;
    stream_id last;
} node_info;

/* One entry after the master: flags, ID diffs, fields, lp-count. *prev is
 * the previous entry's ID (or the bound it must exceed). */
static int check_entry(lp_cursor *c, const stream_id *master, int64_t master_fields,
                       stream_id *prev, int first, int *deleted) {
    int64_t flags, msd, seqd, fields = master_fields, extra = 3, lpcount;
    if (cur_int(c, &flags) < 0 || cur_int(c, &msd) < 0 || cur_int(c, &seqd) < 0) return -1;
    if (flags & ~(int64_t)(STREAM_ITEM_DELETED | STREAM_ITEM_SAMEFIELDS)) return -1;
    stream_id id = {master->ms + (uint64_t)msd, master->seq + (uint64_t)seqd};
    /* Entries ascend, the first at or after the master ID. */
    if (first ? stream_id_cmp(&id, master) < 0 : stream_id_cmp(&id, prev) <= 0) return -1;
    *prev = id;
    if (!(flags & STREAM_ITEM_SAMEFIELDS)) {
        if (cur_int(c, &fields) < 0 || fields < 0 || fields > (int64_t)LP_MAX_SAFETY_SIZE)
            return -1;
        if (cur_skip_n(c, 2 * fields) < 0) return -1;
        extra += fields + 1;
    } else if (cur_skip_n(c, fields) < 0) {
        return -1;
    }
    if (cur_int(c, &lpcount) < 0 || lpcount != fields + extra) return -1;
    *deleted = (flags & STREAM_ITEM_DELETED) != 0;
    return 0;
}

/* Redis's streamValidateListpackIntegrity, plus what sealkv's stream code
 * relies on: live / deleted counts exact, IDs ascending from the master
 * one and above after (the previous node's last ID), no live-less node. */
static int check_node(const unsigned char *lp, size_t size, const stream_id *master,
                      const stream_id *after, int have_after, node_info *out) {
    if (size < LP_HDR_SIZE + 1 || !lp_validate(lp, size)) return -1;
    lp_cursor c = {lp, lp_first(lp)};
    int64_t count, deleted, mfields, zero;
    if (cur_int(&c, &count) < 0 || cur_int(&c, &deleted) < 0 || cur_int(&c, &mfields) < 0)
        return -1;
    if (count <= 0 || deleted < 0 || mfields < 0 || mfields > (int64_t)LP_MAX_SAFETY_SIZE)
        return -1;
    if (cur_skip_n(&c, mfields) < 0 || cur_int(&c, &zero) < 0 || zero != 0) return -1;
    if (have_after && stream_id_cmp(master, after) <= 0) return -1;
    stream_id prev = *master;
    int64_t live = 0, dead = 0;
    for (int64_t i = 0; i < count + deleted; i++) {
        int del;
        if (check_entry(&c, master, mfields, &prev, i == 0, &del) < 0) return -1;
        if (del)
            dead++;
        else
            live++;
    }
    if (c.p || live != count || dead != deleted) return -1;
    out->live = live;
    out->last = prev;
    return 0;
}

/* ----------------------------------------------------------------- reading */

static int read_id(rdb_reader *r, stream_id *id) {
    if (rdb_read_len(r, &id->ms, NULL) < 0 || rdb_read_len(r, &id->seq, NULL) < 0) return SK_EPROTO;
    return 0;
}

static int read_raw_id(rdb_reader *r, stream_id *id) {
    unsigned char key[16];
    if (rdb_read_raw(r, key, sizeof(key)) < 0) return SK_EPROTO;
    stream_id_decode(key, id);
    return 0;
}

static int read_nodes(rdb_reader *r, stream *s, uint64_t *live, stream_id *max) {
    uint64_t n;
    if (rdb_read_len(r, &n, NULL) < 0) return SK_EPROTO;
    *live = 0;
    for (uint64_t i = 0; i < n; i++) {
        sstr key = NULL, lp = NULL;
        stream_id master;
        node_info info;
        int rc = SK_EPROTO;
        if (rdb_read_string(r, &key) < 0 || sstr_len(key) != 16) goto cleanup;
        stream_id_decode((const unsigned char *)key, &master);
        if (rdb_read_string(r, &lp) < 0) goto cleanup;
        if (check_node((const unsigned char *)lp, sstr_len(lp), &master, max, i > 0, &info) < 0)
            goto cleanup;
        /* Nodes come in ID order, so this appends. */
        stream_idmap_insert(&s->nodes, &master, sk_memdup(lp, sstr_len(lp)));
        *live += (uint64_t)info.live;
        *max = info.last;
        rc = 0;
    cleanup:
        sstr_free(key);
        sstr_free(lp);
        if (rc < 0) return rc;
    }
    return 0;
}

static int read_group_pel(rdb_reader *r, stream_cg *cg) {
    uint64_t n;
    if (rdb_read_len(r, &n, NULL) < 0) return SK_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        stream_id id;
        long long when;
        uint64_t count;
        if (read_raw_id(r, &id) < 0 || rdb_read_millis(r, &when) < 0 ||
            rdb_read_len(r, &count, NULL) < 0)
            return SK_EPROTO;
        stream_nack *nk = stream_nack_new(NULL, when);
        nk->delivery_count = count;
        if (!stream_idmap_insert(&cg->pel, &id, nk)) { /* the same ID twice */
            sk_free(nk);
            return SK_EPROTO;
        }
    }
    return 0;
}

/* Each consumer PEL entry must be in the group PEL and owned by no other
 * consumer (two owners would free one nack twice). */
static int read_consumers(rdb_reader *r, stream_cg *cg) {
    uint64_t n;
    if (rdb_read_len(r, &n, NULL) < 0) return SK_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        sstr name;
        long long seen;
        uint64_t npel;
        if (rdb_read_string(r, &name) < 0) return SK_EPROTO;
        stream_consumer *c = NULL;
        if (rdb_read_millis(r, &seen) == 0)
            c = stream_consumer_create(cg, name, sstr_len(name), seen);
        sstr_free(name);
        if (!c || rdb_read_len(r, &npel, NULL) < 0) return SK_EPROTO;
        for (uint64_t j = 0; j < npel; j++) {
            stream_id id;
            if (read_raw_id(r, &id) < 0) return SK_EPROTO;
            long k = stream_idmap_find(&cg->pel, &id);
            if (k < 0) return SK_EPROTO;
            stream_nack *nk = cg->pel.e[k].val;
            if (nk->consumer) return SK_EPROTO;
            nk->consumer = c;
            stream_idmap_insert(&c->pel, &id, nk);
        }
    }
    for (size_t k = 0; k < cg->pel.len; k++)
        if (!((stream_nack *)cg->pel.e[k].val)->consumer) return SK_EPROTO;
    return 0;
}

static int read_groups(rdb_reader *r, stream *s, int v2) {
    uint64_t n;
    if (rdb_read_len(r, &n, NULL) < 0) return SK_EPROTO;
    for (uint64_t i = 0; i < n; i++) {
        sstr name;
        stream_id last;
        uint64_t read = 0;
        if (rdb_read_string(r, &name) < 0) return SK_EPROTO;
        int bad = read_id(r, &last) < 0 || (v2 && rdb_read_len(r, &read, NULL) < 0);
        long long entries_read = v2 ? (long long)read : stream_estimate_distance(s, &last);
        stream_cg *cg = bad ? NULL : stream_cg_create(s, name, sstr_len(name), &last, entries_read);
        sstr_free(name);
        if (!cg) return SK_EPROTO; /* truncated, or a group name twice */
        if (read_group_pel(r, cg) < 0 || read_consumers(r, cg) < 0) return SK_EPROTO;
    }
    return 0;
}

static int read_meta(rdb_reader *r, stream *s, int v2) {
    if (rdb_read_len(r, &s->length, NULL) < 0 || read_id(r, &s->last_id) < 0) return SK_EPROTO;
    if (v2) {
        if (read_id(r, &s->first_id) < 0 || read_id(r, &s->max_deleted_id) < 0 ||
            rdb_read_len(r, &s->entries_added, NULL) < 0)
            return SK_EPROTO;
        return 0;
    }
    /* RDB 9: derived as Redis derives them on load. */
    stream_edge_id(s, 1, &s->first_id);
    s->max_deleted_id = (stream_id){0, 0};
    s->entries_added = s->length;
    return 0;
}

static int read_stream_body(rdb_reader *r, stream *s, int v2) {
    uint64_t live;
    stream_id max = {0, 0};
    if (read_nodes(r, s, &live, &max) < 0 || read_meta(r, s, v2) < 0) return SK_EPROTO;
    /* The length counts the live entries; no entry is past the last ID. */
    if (live != s->length || stream_id_cmp(&max, &s->last_id) > 0) return SK_EPROTO;
    return read_groups(r, s, v2);
}

static int read_stream_version(rdb_reader *r, int v2, sobj **out) {
    sobj *o = stream_new_object();
    if (read_stream_body(r, o->ptr, v2) < 0) {
        obj_release(o);
        return SK_EPROTO;
    }
    *out = o;
    return 0;
}

int rdb_read_stream(rdb_reader *r, sobj **out) {
    return read_stream_version(r, 1, out);
}

int rdb_read_stream_v1(rdb_reader *r, sobj **out) {
    return read_stream_version(r, 0, out);
}
