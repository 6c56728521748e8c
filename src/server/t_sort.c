/* t_sort.c - SORT and SORT_RO (see t_sort.h), with Redis 7.0's parsing,
 * ordering and edge cases.
 *
 * The elements are copied into a vector (each with its numeric score or
 * its ALPHA comparison bytes), sorted, and the LIMIT window is replied or
 * stored as a list. "BY pattern" without '*' means "do not sort": lists
 * and sorted sets then keep their own order (and LIMIT is applied while
 * loading), sets are sorted ALPHA when stored, as Redis does so that the
 * stored result is deterministic.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/quicklist.h"
#include "blocking.h"
#include "server.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_sort.h"
#include "t_zset.h"

typedef struct sort_item {
    sstr obj; /* owned: the element */
    double score;
    sstr cmpobj; /* owned or NULL: the BY value for ALPHA sorting */
} sort_item;

typedef struct sort_opts {
    int desc, alpha, bypattern, store;
} sort_opts;

typedef struct sort_req {
    sort_opts o;
    long limit_start, limit_count;
    int dontsort;
    sstr sortby;   /* borrowed argv */
    sstr storekey; /* borrowed argv */
    sstr *gets;    /* owned array of borrowed argv */
    int ngets;
} sort_req;

/* ------------------------------------------------------------- patterns */

/* The value a pattern names for an element, as an owned sstr, or NULL:
 * "#" is the element; otherwise the first '*' is replaced by the element
 * and the key is read as a string, or, with "->field" after the '*', as a
 * hash field. Lookups count as reads (hits / misses), as in Redis. */
static sstr lookup_by_pattern(client *c, const sstr pat, const sstr elem) {
    size_t plen = sstr_len(pat);
    if (pat[0] == '#' && pat[1] == '\0') return sstr_dup(elem);
    const char *star = strchr(pat, '*');
    if (!star) return NULL;
    const char *arrow = strstr(star + 1, "->");
    size_t fieldlen = 0;
    if (arrow && arrow[2] != '\0') fieldlen = plen - (size_t)(arrow - pat) - 2;
    size_t prefix = (size_t)(star - pat);
    size_t postfix = plen - (prefix + 1) - (fieldlen ? fieldlen + 2 : 0);
    sstr key = sstr_new(pat, prefix);
    key = sstr_cat_sstr(key, elem);
    key = sstr_cat(key, star + 1, postfix);
    sstr out = NULL;
    sobj *o = db_lookup_read(c, key);
    if (!o) goto cleanup;
    if (fieldlen) {
        if (o->type != OBJ_HASH) goto cleanup;
        sstr field = sstr_new(arrow + 2, fieldlen);
        const char *v;
        size_t vlen;
        unsigned char buf[LP_INTBUF_SIZE];
        if (hash_get(o, field, &v, &vlen, buf)) out = sstr_new(v, vlen);
        sstr_free(field);
    } else if (o->type == OBJ_STRING) {
        char buf[32];
        size_t len;
        const char *p = obj_string_bytes(o, buf, &len);
        out = sstr_new(p, len);
    }
cleanup:
    sstr_free(key);
    return out;
}

/* --------------------------------------------------------------- parsing */

/* Parses the options; returns -1 after an error reply. */
static int sort_parse(client *c, int readonly, sort_req *q) {
    for (int j = 2; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (arg_is(c, j, "asc")) {
            q->o.desc = 0;
        } else if (arg_is(c, j, "desc")) {
            q->o.desc = 1;
        } else if (arg_is(c, j, "alpha")) {
            q->o.alpha = 1;
        } else if (arg_is(c, j, "limit") && left >= 2) {
            long long s, n;
            if (get_ll_from_arg(c, j + 1, &s, NULL) < 0 || get_ll_from_arg(c, j + 2, &n, NULL) < 0)
                return -1;
            q->limit_start = (long)s;
            q->limit_count = (long)n;
            j += 2;
        } else if (!readonly && arg_is(c, j, "store") && left >= 1) {
            q->storekey = c->argv[++j];
        } else if (arg_is(c, j, "by") && left >= 1) {
            q->sortby = c->argv[++j];
            /* A pattern without '*' names no per-element key: no sorting. */
            if (!strchr(q->sortby, '*')) q->dontsort = 1;
        } else if (arg_is(c, j, "get") && left >= 1) {
            q->gets = sk_realloc(q->gets, sizeof(sstr) * (size_t)(q->ngets + 1));
            q->gets[q->ngets++] = c->argv[++j];
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* --------------------------------------------------------------- loading */

static sstr entry_to_sstr(const quicklist_entry *e) {
    if (e->str) return sstr_new(e->str, e->len);
    return sstr_from_ll(e->ival);
}

static size_t load_list(sobj *o, long first, int reverse, sort_item *v, size_t max) {
    quicklist_iter it;
    quicklist_entry e;
    size_t j = 0;
    if (!quicklist_iter_init(&it, o->ptr, reverse ? QUICKLIST_TAIL : QUICKLIST_HEAD, first))
        return 0;
    while (j < max && quicklist_next(&it, &e))
        v[j++].obj = entry_to_sstr(&e);
    return j;
}

static size_t load_set(sobj *o, sort_item *v, size_t max) {
    set_iter it;
    sstr s;
    int64_t ll;
    size_t j = 0;
    set_iter_init(&it, o);
    while (j < max && set_iter_next(&it, &s, &ll))
        v[j++].obj = s ? sstr_dup(s) : sstr_from_ll(ll);
    set_iter_release(&it);
    return j;
}

static size_t load_zset(sobj *o, unsigned long rank, int reverse, sort_item *v, size_t max) {
    zset_iter it;
    zset_elem e;
    size_t j = 0;
    zset_iter_init(&it, o, rank, reverse);
    while (j < max && zset_iter_next(&it, &e))
        v[j++].obj = sstr_new(e.p, e.len);
    return j;
}

static long value_length(sobj *o) {
    if (o->type == OBJ_LIST) return (long)quicklist_count(o->ptr);
    if (o->type == OBJ_SET) return (long)set_size(o);
    return (long)zset_length(o);
}

/* ------------------------------------------------------------- ordering */

/* Binary comparison (Redis compareStringObjects). */
static int cmp_binary(const sstr a, const sstr b) {
    size_t la = sstr_len(a), lb = sstr_len(b);
    int r = memcmp(a, b, la < lb ? la : lb);
    if (r) return r;
    return la < lb ? -1 : la > lb;
}

static int sort_cmp(const void *pa, const void *pb, void *arg) {
    const sort_item *a = pa, *b = pb;
    const sort_opts *o = arg;
    int cmp;
    if (!o->alpha) {
        /* Equal scores fall back to the elements so the order is total. */
        cmp = a->score > b->score ? 1 : a->score < b->score ? -1 : cmp_binary(a->obj, b->obj);
    } else if (o->bypattern) {
        if (!a->cmpobj || !b->cmpobj)
            cmp = a->cmpobj == b->cmpobj ? 0 : !a->cmpobj ? -1 : 1;
        else
            cmp = o->store ? cmp_binary(a->cmpobj, b->cmpobj) : strcoll(a->cmpobj, b->cmpobj);
    } else {
        cmp = o->store ? cmp_binary(a->obj, b->obj) : strcoll(a->obj, b->obj);
    }
    return o->desc ? -cmp : cmp;
}

/* Scores (or ALPHA keys) of the vector; returns 1 when a numeric value
 * does not parse (the command then fails). */
static int load_scores(client *c, const sort_req *q, sort_item *v, size_t n) {
    int bad = 0;
    for (size_t j = 0; j < n; j++) {
        sstr byval = q->sortby ? lookup_by_pattern(c, q->sortby, v[j].obj) : v[j].obj;
        if (!byval) continue;
        if (q->o.alpha) {
            if (q->sortby) v[j].cmpobj = byval;
            continue;
        }
        char *end;
        errno = 0;
        v[j].score = strtod(byval, &end);
        if (end[0] != '\0' || errno == ERANGE || isnan(v[j].score)) bad = 1;
        if (q->sortby) sstr_free(byval);
    }
    return bad;
}

/* ---------------------------------------------------------------- output */

static void reply_items(client *c, const sort_req *q, sort_item *v, long start, long end) {
    long n = end - start + 1;
    add_reply_array(c, q->ngets ? (long long)q->ngets * n : n);
    for (long j = start; j <= end; j++) {
        if (!q->ngets) add_reply_bulk_sstr(c, v[j].obj);
        for (int g = 0; g < q->ngets; g++) {
            sstr val = lookup_by_pattern(c, q->gets[g], v[j].obj);
            if (val)
                add_reply_bulk_sstr(c, val);
            else
                add_reply_null(c);
            sstr_free(val);
        }
    }
}

static void store_items(client *c, const sort_req *q, sort_item *v, long start, long end) {
    sobj *list = list_new_object(c->srv);
    long long n = 0;
    for (long j = start; j <= end; j++) {
        if (!q->ngets) {
            quicklist_push(list->ptr, QUICKLIST_TAIL, v[j].obj, sstr_len(v[j].obj));
            n++;
        }
        for (int g = 0; g < q->ngets; g++, n++) {
            /* A missing value is stored as an empty string. */
            sstr val = lookup_by_pattern(c, q->gets[g], v[j].obj);
            quicklist_push(list->ptr, QUICKLIST_TAIL, val ? val : "", val ? sstr_len(val) : 0);
            sstr_free(val);
        }
    }
    if (n) {
        int existed = db_exists(c->srv, c->db, q->storekey);
        db_set_key(c, c->db, q->storekey, list, 0);
        if (!existed) blocking_signal_key_ready(c->srv, c->db, q->storekey);
        c->srv->dirty += n;
    } else {
        obj_release(list);
        if (db_delete(c->srv, c->db, q->storekey)) c->srv->dirty++;
    }
    add_reply_int(c, n);
}

/* --------------------------------------------------------------- command */

/* Loads the elements into v (sized for the whole value); with dontsort on
 * a list or a zset only the LIMIT window is loaded, and *start / *end are
 * rebased on it. Returns the number loaded. */
static size_t load_items(sobj *val, const sort_req *q, sort_item *v, long len, long *start,
                         long *end) {
    int ordered = val->type == OBJ_LIST || val->type == OBJ_ZSET;
    if (ordered && q->dontsort) {
        size_t n = 0;
        if (*end >= *start) {
            size_t want = (size_t)(*end - *start + 1);
            if (val->type == OBJ_LIST)
                n = load_list(val, q->o.desc ? len - *start - 1 : *start, q->o.desc, v, want);
            else
                n = load_zset(val, (unsigned long)*start, q->o.desc, v, want);
        }
        *end -= *start;
        *start = 0;
        return n;
    }
    if (val->type == OBJ_LIST) return load_list(val, 0, 0, v, (size_t)len);
    if (val->type == OBJ_SET) return load_set(val, v, (size_t)len);
    return load_zset(val, 0, 0, v, (size_t)len);
}

static void sort_generic(client *c, int readonly) {
    sort_req q = {.limit_count = -1};
    sort_item *v = NULL;
    size_t n = 0;
    if (sort_parse(c, readonly, &q) < 0) goto cleanup;
    sobj *val = db_lookup_read(c, c->argv[1]);
    if (val && val->type != OBJ_SET && val->type != OBJ_LIST && val->type != OBJ_ZSET) {
        add_reply_wrongtype(c);
        goto cleanup;
    }
    /* A set has no order of its own: a stored "unsorted" result is sorted
     * ALPHA so that it is deterministic. */
    if (val && q.dontsort && val->type == OBJ_SET && q.storekey) {
        q.dontsort = 0;
        q.o.alpha = 1;
        q.sortby = NULL;
    }
    /* Redis converts a listpack zset for SORT, for good (OBJECT ENCODING
     * shows it). */
    if (val && val->type == OBJ_ZSET) zset_convert_to_skiplist(val);
    long len = val ? value_length(val) : 0;
    long start = q.limit_start < 0 ? 0 : q.limit_start;
    long end;
    if (start >= len) { /* an empty window */
        start = len - 1;
        end = len - 2;
    } else {
        end = q.limit_count < 0 || q.limit_count > len ? len - 1 : start + q.limit_count - 1;
        if (end >= len) end = len - 1;
    }
    v = sk_calloc((size_t)(len ? len : 1), sizeof(*v));
    if (val) n = load_items(val, &q, v, len, &start, &end);
    int bad = 0;
    if (!q.dontsort) {
        q.o.bypattern = q.sortby != NULL;
        q.o.store = q.storekey != NULL;
        bad = load_scores(c, &q, v, n);
        qsort_r(v, n, sizeof(*v), sort_cmp, &q.o);
    }
    if (bad)
        add_reply_error(c, "ERR One or more scores can't be converted into double");
    else if (q.storekey)
        store_items(c, &q, v, start, end);
    else
        reply_items(c, &q, v, start, end);
cleanup:
    for (size_t j = 0; j < n; j++) {
        sstr_free(v[j].obj);
        sstr_free(v[j].cmpobj);
    }
    sk_free(v);
    sk_free(q.gets);
}

static void sort_command(client *c) {
    sort_generic(c, 0);
}

static void sort_ro_command(client *c) {
    sort_generic(c, 1);
}

const command cmds_sort[] = {
    {"sort", sort_command, -2, CMD_WRITE | CMD_DENYOOM, 1, 1, 1, "generic",
     "Sort the elements in a list, set or sorted set", "1.0.0", NULL},
    {"sort_ro", sort_ro_command, -2, CMD_READONLY, 1, 1, 1, "generic",
     "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
