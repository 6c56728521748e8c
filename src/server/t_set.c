/* t_set.c - sets: the value type (intset / hashtable encodings) and the
 * S* commands with Redis 7.0's replies, errors and algorithms.
 *
 * Where Redis picks an algorithm by size (SPOP and SRANDMEMBER with a count,
 * SDIFF), the same thresholds are used here, because the choice is visible:
 * it decides the encoding of a stored result (SDIFFSTORE) and of what SPOP
 * leaves behind.
 *
 * Replies of SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are RESP3
 * sets ("~n") for RESP3 clients and arrays otherwise; SRANDMEMBER with a
 * count is an array in both, as in Redis 7.0.
 */
#include "scan.h"
#include "t_set.h"
#include "propagate.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"

/* SPOP: below remaining*5 > count pop one by one, else rebuild (Redis). */
#define SPOP_MOVE_STRATEGY_MUL 5
/* SRANDMEMBER: when count*3 > size copy the set and drop random members. */
#define SRANDMEMBER_SUB_STRATEGY_MUL 3
/* mem_usage walks at most this many members of a hashtable, then scales. */
#define MEM_USAGE_SAMPLES 1024

static const dict_type set_dict_type = {
    .hash = dict_hash_sstr,
    .key_equal = dict_sstr_equal,
    .key_free = dict_sstr_free,
    .val_free = NULL,
};

/* ------------------------------------------------------------ the values */

sobj *set_create_intset(void) {
    return obj_new(OBJ_SET, OBJ_ENC_INTSET, intset_new());
}

sobj *set_create_ht(void) {
    return obj_new(OBJ_SET, OBJ_ENC_HT, dict_create(&set_dict_type));
}

sobj *set_from_intset(intset *is) {
    return obj_new(OBJ_SET, OBJ_ENC_INTSET, is);
}

static int member_ll(const sstr s, long long *v) {
    return util_str_to_ll(s, sstr_len(s), v);
}

sobj *set_create_for(const sstr first) {
    long long v;
    return member_ll(first, &v) ? set_create_intset() : set_create_ht();
}

size_t set_size(const sobj *set) {
    if (set->encoding == OBJ_ENC_INTSET) return intset_len(set->ptr);
    return dict_size(set->ptr);
}

void set_convert_to_ht(sobj *set) {
    if (set->encoding != OBJ_ENC_INTSET) return;
    intset *is = set->ptr;
    dict *d = dict_create(&set_dict_type);
    int64_t v;
    for (uint32_t i = 0; intset_get(is, i, &v); i++)
        dict_add(d, sstr_from_ll(v), NULL);
    intset_free(is);
    set->ptr = d;
    set->encoding = OBJ_ENC_HT;
}

/* Adds an integer member without formatting it when the set is an intset. */
static int set_add_ll(sobj *set, int64_t v, long long max_intset) {
    if (set->encoding == OBJ_ENC_INTSET) {
        int added;
        set->ptr = intset_add(set->ptr, v, &added);
        if (added && (long long)intset_len(set->ptr) > max_intset) set_convert_to_ht(set);
        return added;
    }
    sstr s = sstr_from_ll(v);
    if (dict_add(set->ptr, s, NULL) == 0) return 1;
    sstr_free(s);
    return 0;
}

int set_add(sobj *set, const sstr member, long long max_intset_entries) {
    long long v;
    if (set->encoding == OBJ_ENC_INTSET) {
        if (member_ll(member, &v)) return set_add_ll(set, v, max_intset_entries);
        set_convert_to_ht(set);
    }
    dict_entry *de = dict_add_raw(set->ptr, member, NULL);
    if (!de) return 0;
    de->key = sstr_dup(member); /* the dict owns its own copy */
    de->v.val = NULL;
    return 1;
}

int set_remove(sobj *set, const sstr member) {
    if (set->encoding == OBJ_ENC_INTSET) {
        long long v;
        int removed = 0;
        if (member_ll(member, &v)) set->ptr = intset_remove(set->ptr, v, &removed);
        return removed;
    }
    if (dict_delete(set->ptr, member) != 0) return 0;
    if (dict_needs_shrink(set->ptr)) dict_resize(set->ptr);
    return 1;
}

int set_is_member(const sobj *set, const sstr member) {
    if (set->encoding == OBJ_ENC_INTSET) {
        long long v;
        return member_ll(member, &v) && intset_find(set->ptr, v);
    }
    return dict_find(set->ptr, member) != NULL;
}

/* Membership of an integer member, formatting it only for a hashtable. */
static int set_is_member_ll(const sobj *set, int64_t v) {
    if (set->encoding == OBJ_ENC_INTSET) return intset_find(set->ptr, v);
    sstr s = sstr_from_ll(v);
    int found = dict_find(set->ptr, s) != NULL;
    sstr_free(s);
    return found;
}

void set_iter_init(set_iter *it, const sobj *set) {
    it->set = set;
    it->pos = 0;
    if (set->encoding == OBJ_ENC_HT) dict_iter_init(&it->di, set->ptr, 0);
}

int set_iter_next(set_iter *it, sstr *s, int64_t *ll) {
    if (it->set->encoding == OBJ_ENC_INTSET) {
        *s = NULL;
        return intset_get(it->set->ptr, it->pos++, ll);
    }
    dict_entry *de = dict_iter_next(&it->di);
    if (!de) return 0;
    *s = de->key;
    *ll = 0;
    return 1;
}

void set_iter_release(set_iter *it) {
    if (it->set->encoding == OBJ_ENC_HT) dict_iter_release(&it->di);
}

/* A random member: *s borrowed (hashtable) or NULL with *ll (intset). */
static void set_random(const sobj *set, sstr *s, int64_t *ll) {
    if (set->encoding == OBJ_ENC_INTSET) {
        *s = NULL;
        *ll = intset_random(set->ptr);
        return;
    }
    *s = dict_random_entry(set->ptr)->key;
    *ll = 0;
}

/* An owned sstr of a member as set_iter_next/set_random give it. */
static sstr member_dup(const sstr s, int64_t ll) {
    return s ? sstr_dup(s) : sstr_from_ll(ll);
}

/* ---------------------------------------------------------- type ops */

static void set_free_value(sobj *o) {
    if (o->encoding == OBJ_ENC_INTSET)
        intset_free(o->ptr);
    else
        dict_release(o->ptr);
}

static sobj *set_dup(const sobj *o) {
    if (o->encoding == OBJ_ENC_INTSET) return set_from_intset(intset_dup(o->ptr));
    sobj *d = set_create_ht();
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, o);
    while (set_iter_next(&it, &s, &ll))
        dict_add(d->ptr, sstr_dup(s), NULL);
    set_iter_release(&it);
    return d;
}

/* Exact for small sets; past MEM_USAGE_SAMPLES members the average of the
 * first ones is scaled, so MEMORY USAGE stays cheap on huge sets. */
static size_t set_mem_usage(const sobj *o) {
    if (o->encoding == OBJ_ENC_INTSET) return intset_blob_len(o->ptr);
    dict *d = o->ptr;
    size_t total = dict_mem_usage(d), keys = 0, seen = 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, d, 0);
    while (seen < MEM_USAGE_SAMPLES && (de = dict_iter_next(&it)) != NULL) {
        keys += sstr_alloc_size(de->key);
        seen++;
    }
    dict_iter_release(&it);
    if (seen) total += keys / seen * dict_size(d) + (keys % seen) * dict_size(d) / seen;
    return total;
}

static const obj_type_ops set_ops = {
    .name = "set",
    .free_value = set_free_value,
    .dup = set_dup,
    .mem_usage = set_mem_usage,
};

void set_register_type(void) {
    obj_register_type(OBJ_SET, &set_ops);
}

/* ------------------------------------------------------- command helpers */

static long long max_intset(const client *c) {
    return c->srv->cfg->set_max_intset_entries;
}

/* The set at key, or NULL. Replies WRONGTYPE and returns -1 on another type. */
static int lookup_set(client *c, const sstr key, int write, sobj **out) {
    sobj *o = write ? db_lookup_write(c, key) : db_lookup_read(c, key);
    if (o && o->type != OBJ_SET) {
        add_reply_wrongtype(c);
        return -1;
    }
    *out = o;
    return 0;
}

/* A RESP3 set header, or an array header for RESP2. */
static void reply_set_len(client *c, long long n) {
    if (c->resp != 3) {
        add_reply_array(c, n);
        return;
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "~%lld\r\n", n);
    add_reply_raw(c, buf, (size_t)len);
}

static void reply_member(client *c, const sstr s, int64_t ll) {
    if (s)
        add_reply_bulk_sstr(c, s);
    else
        add_reply_bulk_ll(c, ll);
}

/* Every member; as_set selects the RESP3 set header. */
static void reply_all_members(client *c, const sobj *set, int as_set) {
    if (as_set)
        reply_set_len(c, (long long)set_size(set));
    else
        add_reply_array(c, (long long)set_size(set));
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, set);
    while (set_iter_next(&it, &s, &ll))
        reply_member(c, s, ll);
    set_iter_release(&it);
}

/* A reply that cannot reach the client any more need not be built. */
static int client_closing(const client *c) {
    return (c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY)) != 0;
}

/* -------------------------------------------------- SADD SREM SMOVE ... */

static void sadd_command(client *c) {
    sstr key = c->argv[1];
    sobj *set;
    if (lookup_set(c, key, 1, &set) < 0) return;
    if (!set) {
        set = set_create_for(c->argv[2]);
        db_add(c->srv, c->db, key, set);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        added += set_add(set, c->argv[j], max_intset(c));
    if (added) db_signal_modified(c->srv, c->db, key);
    c->srv->dirty += added;
    add_reply_int(c, added);
}

static void srem_command(client *c) {
    sstr key = c->argv[1];
    sobj *set;
    if (lookup_set(c, key, 1, &set) < 0) return;
    if (!set) {
        add_reply_int(c, 0);
        return;
    }
    long long deleted = 0;
    int key_removed = 0;
    for (int j = 2; j < c->argc && !key_removed; j++) {
        if (!set_remove(set, c->argv[j])) continue;
        deleted++;
        if (set_size(set) == 0) {
            db_delete(c->srv, c->db, key);
            key_removed = 1;
        }
    }
    if (deleted) {
        if (!key_removed) db_signal_modified(c->srv, c->db, key);
        c->srv->dirty += deleted;
    }
    add_reply_int(c, deleted);
}

static void smove_command(client *c) {
    server *srv = c->srv;
    sstr srckey = c->argv[1], dstkey = c->argv[2], ele = c->argv[3];
    sobj *src = db_lookup_write(c, srckey);
    sobj *dst = db_lookup_write(c, dstkey);
    if (!src) {
        add_reply_int(c, 0);
        return;
    }
    if (src->type != OBJ_SET || (dst && dst->type != OBJ_SET)) {
        add_reply_wrongtype(c);
        return;
    }
    if (src == dst) { /* the same key: nothing moves */
        add_reply_int(c, set_is_member(src, ele) ? 1 : 0);
        return;
    }
    if (!set_remove(src, ele)) {
        add_reply_int(c, 0);
        return;
    }
    if (set_size(src) == 0)
        db_delete(srv, c->db, srckey);
    else
        db_signal_modified(srv, c->db, srckey);
    if (!dst) {
        dst = set_create_for(ele);
        db_add(srv, c->db, dstkey, dst);
    }
    srv->dirty++;
    if (set_add(dst, ele, max_intset(c))) srv->dirty++;
    db_signal_modified(srv, c->db, dstkey);
    add_reply_int(c, 1);
}

static void sismember_command(client *c) {
    sobj *set;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    add_reply_int(c, set && set_is_member(set, c->argv[2]) ? 1 : 0);
}

static void smismember_command(client *c) {
    sobj *set;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    add_reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        add_reply_int(c, set && set_is_member(set, c->argv[j]) ? 1 : 0);
}

static void scard_command(client *c) {
    sobj *set;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    add_reply_int(c, set ? (long long)set_size(set) : 0);
}

/* ----------------------------------------------------------------- SPOP */

/* SPOP picks at random: replicas and the AOF get SREM of what was popped,
 * in commands of at most SPOP_PROPAGATE_BATCH members (as Redis). */
#define SPOP_PROPAGATE_BATCH 1024

typedef struct srem_batch {
    sstr *argv; /* owned: "SREM", key, members */
    int argc;
} srem_batch;

static void srem_flush(client *c, srem_batch *b) {
    if (b->argc > 2) propagate_also(c, c->db->id, b->argv, b->argc);
    for (int i = 0; i < b->argc; i++)
        sstr_free(b->argv[i]);
    sk_free(b->argv);
    b->argv = NULL;
    b->argc = 0;
}

static void srem_add(client *c, srem_batch *b, const sstr s, int64_t ll) {
    if (!propagate_active(c->srv)) return;
    if (!b->argv) {
        b->argv = sk_malloc(sizeof(sstr) * (SPOP_PROPAGATE_BATCH + 2));
        b->argv[0] = sstr_from_cstr("SREM");
        b->argv[1] = sstr_dup(c->argv[1]);
        b->argc = 2;
    }
    b->argv[b->argc++] = member_dup(s, ll);
    if (b->argc == SPOP_PROPAGATE_BATCH + 2) srem_flush(c, b);
}

/* count >= size: everything goes to the client and the key goes away. */
static void spop_all(client *c, sobj *set) {
    reply_all_members(c, set, 1);
    propagate_rewrite_del(c, c->argv[1]);
    db_delete(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
}

/* Few members popped compared to those left: pop them one at a time. */
static void spop_one_by_one(client *c, sobj *set, unsigned long long count) {
    reply_set_len(c, (long long)count);
    srem_batch b = {NULL, 0};
    while (count--) {
        sstr s;
        int64_t ll;
        set_random(set, &s, &ll);
        reply_member(c, s, ll); /* before the removal frees s */
        srem_add(c, &b, s, ll);
        if (s) {
            set_remove(set, s);
        } else {
            set->ptr = intset_remove(set->ptr, ll, NULL);
        }
    }
    srem_flush(c, &b);
    propagate_prevent(c);
}

/* Most members popped: move the few that stay into a new value and hand
 * the old one to the client (Redis's CASE 3). The new value starts as an
 * intset when its first member is an integer. */
static void spop_rebuild(client *c, sobj *set, unsigned long long remaining) {
    sobj *newset = NULL;
    while (remaining--) {
        sstr s;
        int64_t ll;
        set_random(set, &s, &ll);
        sstr ele = member_dup(s, ll);
        if (!newset) newset = set_create_for(ele);
        set_add(newset, ele, max_intset(c));
        set_remove(set, ele);
        sstr_free(ele);
    }
    reply_all_members(c, set, 1);
    if (propagate_active(c->srv)) {
        srem_batch b = {NULL, 0};
        set_iter it;
        sstr s;
        int64_t ll;
        set_iter_init(&it, set);
        while (set_iter_next(&it, &s, &ll))
            srem_add(c, &b, s, ll);
        set_iter_release(&it);
        srem_flush(c, &b);
        propagate_prevent(c);
    }
    db_overwrite(c->srv, c->db, c->argv[1], newset); /* frees set */
}

static void spop_with_count(client *c) {
    long long l;
    if (get_positive_ll_from_arg(c, 2, &l, "ERR value is out of range, must be positive") < 0)
        return;
    unsigned long long count = (unsigned long long)l;
    sobj *set;
    if (lookup_set(c, c->argv[1], 1, &set) < 0) return;
    if (!set || count == 0) {
        reply_set_len(c, 0);
        return;
    }
    unsigned long long size = set_size(set);
    c->srv->dirty += (long long)count;
    if (count >= size) {
        spop_all(c, set);
        return;
    }
    unsigned long long remaining = size - count;
    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
        spop_one_by_one(c, set, count);
        db_signal_modified(c->srv, c->db, c->argv[1]);
    } else {
        spop_rebuild(c, set, remaining);
    }
    c->srv->dirty++;
}

static void spop_command(client *c) {
    if (c->argc == 3) {
        spop_with_count(c);
        return;
    }
    if (c->argc > 3) {
        add_reply_syntax_error(c);
        return;
    }
    sstr key = c->argv[1];
    sobj *set;
    if (lookup_set(c, key, 1, &set) < 0) return;
    if (!set) {
        add_reply_null(c);
        return;
    }
    sstr s;
    int64_t ll;
    set_random(set, &s, &ll);
    reply_member(c, s, ll);
    if (propagate_active(c->srv))
        propagate_rewrite(
            c, propagate_argv(3, sstr_from_cstr("SREM"), sstr_dup(key), member_dup(s, ll)), 3);
    if (s)
        set_remove(set, s);
    else
        set->ptr = intset_remove(set->ptr, ll, NULL);
    if (set_size(set) == 0)
        db_delete(c->srv, c->db, key);
    else
        db_signal_modified(c->srv, c->db, key);
    c->srv->dirty++;
}

/* ---------------------------------------------------------- SRANDMEMBER */

typedef struct sstr_vec {
    sstr *v; /* owned */
    size_t n, cap;
} sstr_vec;

static void vec_push(sstr_vec *vec, sstr s) {
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 16;
        vec->v = sk_realloc(vec->v, vec->cap * sizeof(*vec->v));
    }
    vec->v[vec->n++] = s;
}

static void vec_free(sstr_vec *vec) {
    for (size_t i = 0; i < vec->n; i++)
        sstr_free(vec->v[i]);
    sk_free(vec->v);
}

/* count is close to size: copy all, then drop random members. */
static void srandmember_subtract(client *c, const sobj *set, unsigned long long count) {
    sstr_vec all = {0};
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, set);
    while (set_iter_next(&it, &s, &ll))
        vec_push(&all, member_dup(s, ll));
    set_iter_release(&it);
    while (all.n > count) {
        size_t i = (size_t)(util_rand64() % all.n);
        sstr_free(all.v[i]);
        all.v[i] = all.v[--all.n];
    }
    add_reply_array(c, (long long)all.n);
    for (size_t i = 0; i < all.n; i++)
        add_reply_bulk_sstr(c, all.v[i]);
    vec_free(&all);
}

/* count is small against size: draw until count distinct members. */
static void srandmember_draw(client *c, const sobj *set, unsigned long long count) {
    dict *picked = dict_create(&set_dict_type);
    while (dict_size(picked) < count) {
        sstr s;
        int64_t ll;
        set_random(set, &s, &ll);
        sstr ele = member_dup(s, ll);
        if (dict_add(picked, ele, NULL) != 0) sstr_free(ele);
    }
    add_reply_array(c, (long long)count);
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, picked, 0);
    while ((de = dict_iter_next(&it)) != NULL)
        add_reply_bulk_sstr(c, de->key);
    dict_iter_release(&it);
    dict_release(picked);
}

static void srandmember_with_count(client *c) {
    long long l;
    if (get_ll_from_arg(c, 2, &l, NULL) < 0) return;
    if (l == LLONG_MIN) { /* -l would overflow; Redis's range is [-LONG_MAX, LONG_MAX] */
        add_reply_error(c, "ERR value is out of range, value must between -9223372036854775807 "
                           "and 9223372036854775807");
        return;
    }
    int uniq = l >= 0;
    unsigned long long count = (unsigned long long)(uniq ? l : -l);
    sobj *set;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    if (!set || count == 0) {
        add_reply_array(c, 0);
        return;
    }
    unsigned long long size = set_size(set);
    if (!uniq || count == 1) { /* repetitions allowed: independent draws */
        add_reply_array(c, (long long)count);
        while (count-- && !client_closing(c)) {
            sstr s;
            int64_t ll;
            set_random(set, &s, &ll);
            reply_member(c, s, ll);
        }
        return;
    }
    if (count >= size)
        reply_all_members(c, set, 0);
    else if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size)
        srandmember_subtract(c, set, count);
    else
        srandmember_draw(c, set, count);
}

static void srandmember_command(client *c) {
    if (c->argc == 3) {
        srandmember_with_count(c);
        return;
    }
    if (c->argc > 3) {
        add_reply_syntax_error(c);
        return;
    }
    sobj *set;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    if (!set) {
        add_reply_null(c);
        return;
    }
    sstr s;
    int64_t ll;
    set_random(set, &s, &ll);
    reply_member(c, s, ll);
}

/* ------------------------------------------------- SINTER and its kin */

/* Looks up keys[0..n) as sets (missing ones are NULL). Replies WRONGTYPE
 * and returns -1 if one holds another type; else returns how many are
 * missing. */
static int lookup_sets(client *c, sstr *keys, int n, int write, sobj **sets) {
    int missing = 0;
    for (int j = 0; j < n; j++) {
        if (lookup_set(c, keys[j], write, &sets[j]) < 0) return -1;
        if (!sets[j]) missing++;
    }
    return missing;
}

static int cmp_size_asc(const void *a, const void *b) {
    size_t x = set_size(*(sobj *const *)a), y = set_size(*(sobj *const *)b);
    return x < y ? -1 : x > y;
}

/* NULL (a missing key) counts as empty. */
static int cmp_size_desc(const void *a, const void *b) {
    const sobj *sa = *(sobj *const *)a, *sb = *(sobj *const *)b;
    size_t x = sa ? set_size(sa) : 0, y = sb ? set_size(sb) : 0;
    return x > y ? -1 : x < y;
}

/* Stores result at dstkey (or deletes dstkey when it is empty, replying 0),
 * replacing any value of any type and dropping its TTL, as Redis's setKey.
 * Takes the reference of result. */
static void store_result(client *c, const sstr dstkey, sobj *result) {
    server *srv = c->srv;
    long long n = (long long)set_size(result);
    if (n > 0) {
        db_set_key(c, c->db, dstkey, result, 0);
        srv->dirty++;
    } else {
        obj_release(result);
        if (db_delete(srv, c->db, dstkey)) srv->dirty++;
    }
    add_reply_int(c, n);
}

/* Whether a member of sets[0] is in every other set. */
static int in_all_others(sobj **sets, int n, const sstr s, int64_t ll) {
    for (int j = 1; j < n; j++) {
        if (sets[j] == sets[0]) continue;
        int found = s ? set_is_member(sets[j], s) : set_is_member_ll(sets[j], ll);
        if (!found) return 0;
    }
    return 1;
}

/* A member as the iterators give it: s borrowed from an unchanged set, or
 * the integer ll when s is NULL. */
typedef struct member_ref {
    sstr s;
    int64_t ll;
} member_ref;

typedef struct inter_out {
    sobj *dst;       /* STORE: the result being built */
    long long card;  /* cardinality so far */
    long long limit; /* SINTERCARD LIMIT; 0: none */
    int card_only;
    member_ref *found; /* plain SINTER: members to send (owned array) */
    size_t cap;
} inter_out;

static void found_push(inter_out *o, const sstr s, int64_t ll) {
    size_t n = (size_t)o->card - 1;
    if (n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->found = sk_realloc(o->found, o->cap * sizeof(*o->found));
    }
    o->found[n].s = s;
    o->found[n].ll = ll;
}

/* Returns 0 to stop early (SINTERCARD LIMIT reached). */
static int inter_emit(client *c, inter_out *o, const sstr s, int64_t ll) {
    o->card++;
    if (o->card_only) return !(o->limit && o->card >= o->limit);
    if (o->dst) {
        if (s)
            set_add(o->dst, s, max_intset(c));
        else
            set_add_ll(o->dst, ll, max_intset(c));
    } else {
        found_push(o, s, ll);
    }
    return 1;
}

static void inter_reply_empty(client *c, const sstr dstkey, int card_only) {
    if (dstkey) {
        if (db_delete(c->srv, c->db, dstkey)) c->srv->dirty++;
        add_reply_int(c, 0);
    } else if (card_only) {
        add_reply_int(c, 0);
    } else {
        reply_set_len(c, 0);
    }
}

static void sinter_generic(client *c, sstr *keys, int n, const sstr dstkey, int card_only,
                           long long limit) {
    sobj **sets = sk_malloc(sizeof(*sets) * (size_t)n);
    inter_out out = {.card_only = card_only, .limit = limit};
    int missing = lookup_sets(c, keys, n, dstkey != NULL, sets);
    if (missing < 0) goto cleanup;
    if (missing > 0) { /* an intersection with an empty set is empty */
        inter_reply_empty(c, dstkey, card_only);
        goto cleanup;
    }
    /* Walk the smallest set, probe the others. */
    qsort(sets, (size_t)n, sizeof(*sets), cmp_size_asc);
    if (dstkey) out.dst = set_create_intset();
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &s, &ll)) {
        if (in_all_others(sets, n, s, ll) && !inter_emit(c, &out, s, ll)) break;
    }
    set_iter_release(&it);
    if (dstkey) {
        store_result(c, dstkey, out.dst);
    } else if (card_only) {
        add_reply_int(c, out.card);
    } else {
        reply_set_len(c, out.card);
        for (long long i = 0; i < out.card; i++)
            reply_member(c, out.found[i].s, out.found[i].ll);
    }
cleanup:
    sk_free(out.found);
    sk_free(sets);
}

static void sinter_command(client *c) {
    sinter_generic(c, c->argv + 1, c->argc - 1, NULL, 0, 0);
}

static void smembers_command(client *c) {
    sinter_generic(c, c->argv + 1, 1, NULL, 0, 0);
}

static void sinterstore_command(client *c) {
    sinter_generic(c, c->argv + 2, c->argc - 2, c->argv[1], 0, 0);
}

static void sintercard_command(client *c) {
    const char *nk_msg = "ERR numkeys should be greater than 0";
    long long numkeys, limit = 0;
    if (get_ll_from_arg(c, 1, &numkeys, nk_msg) < 0) return;
    if (numkeys < 1) {
        add_reply_error(c, nk_msg);
        return;
    }
    if (numkeys > c->argc - 2) {
        add_reply_error(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (arg_is(c, j, "limit") && more) {
            j++;
            if (get_positive_ll_from_arg(c, j, &limit, "ERR LIMIT can't be negative") < 0) return;
        } else {
            add_reply_syntax_error(c);
            return;
        }
    }
    sinter_generic(c, c->argv + 2, (int)numkeys, NULL, 1, limit);
}

/* --------------------------------------------------- SUNION and SDIFF */

enum set_op { SET_OP_UNION, SET_OP_DIFF };

static void add_all(client *c, sobj *dst, const sobj *src) {
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, src);
    while (set_iter_next(&it, &s, &ll)) {
        if (s)
            set_add(dst, s, max_intset(c));
        else
            set_add_ll(dst, ll, max_intset(c));
    }
    set_iter_release(&it);
}

static void remove_all(sobj *dst, const sobj *src) {
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, src);
    while (set_iter_next(&it, &s, &ll) && set_size(dst) > 0) {
        if (s) {
            set_remove(dst, s);
        } else if (dst->encoding == OBJ_ENC_INTSET) {
            dst->ptr = intset_remove(dst->ptr, ll, NULL);
        } else {
            sstr t = sstr_from_ll(ll);
            set_remove(dst, t);
            sstr_free(t);
        }
    }
    set_iter_release(&it);
}

/* Algorithm 1: each member of sets[0] checked against the others (sorted
 * largest first, so a member present elsewhere is rejected early). */
static void diff_probe(client *c, sobj *dst, sobj **sets, int n) {
    set_iter it;
    sstr s;
    int64_t ll;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &s, &ll)) {
        int keep = 1;
        for (int j = 1; j < n && keep; j++) {
            if (!sets[j]) continue;
            if (sets[j] == sets[0])
                keep = 0;
            else
                keep = !(s ? set_is_member(sets[j], s) : set_is_member_ll(sets[j], ll));
        }
        if (!keep) continue;
        if (s)
            set_add(dst, s, max_intset(c));
        else
            set_add_ll(dst, ll, max_intset(c));
    }
    set_iter_release(&it);
}

/* Redis 7.0's choice: probing costs |sets[0]| per set (halved, as it
 * often stops early); subtracting costs the sum of the sizes. */
static int diff_algorithm(sobj **sets, int n) {
    long long one = 0, two = 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j]) continue;
        one += (long long)set_size(sets[0]);
        two += (long long)set_size(sets[j]);
    }
    return one / 2 <= two ? 1 : 2;
}

static void diff_into(client *c, sobj *dst, sobj **sets, int n) {
    if (!sets[0]) return;
    for (int j = 1; j < n; j++)
        if (sets[j] == sets[0]) return; /* A - A - ... is empty */
    if (diff_algorithm(sets, n) == 1) {
        if (n > 1) qsort(sets + 1, (size_t)n - 1, sizeof(*sets), cmp_size_desc);
        diff_probe(c, dst, sets, n);
        return;
    }
    add_all(c, dst, sets[0]);
    for (int j = 1; j < n && set_size(dst) > 0; j++)
        if (sets[j]) remove_all(dst, sets[j]);
}

static void sunion_diff_generic(client *c, sstr *keys, int n, const sstr dstkey, enum set_op op) {
    sobj **sets = sk_malloc(sizeof(*sets) * (size_t)n);
    if (lookup_sets(c, keys, n, dstkey != NULL, sets) < 0) goto cleanup;
    /* Built as Redis builds it (an intset first), so a stored result gets
     * the encoding Redis would give it. */
    sobj *dst = set_create_intset();
    if (op == SET_OP_UNION) {
        for (int j = 0; j < n; j++)
            if (sets[j]) add_all(c, dst, sets[j]);
    } else {
        diff_into(c, dst, sets, n);
    }
    if (dstkey) {
        store_result(c, dstkey, dst);
    } else {
        reply_all_members(c, dst, 1);
        obj_release(dst);
    }
cleanup:
    sk_free(sets);
}

static void sunion_command(client *c) {
    sunion_diff_generic(c, c->argv + 1, c->argc - 1, NULL, SET_OP_UNION);
}

static void sunionstore_command(client *c) {
    sunion_diff_generic(c, c->argv + 2, c->argc - 2, c->argv[1], SET_OP_UNION);
}

static void sdiff_command(client *c) {
    sunion_diff_generic(c, c->argv + 1, c->argc - 1, NULL, SET_OP_DIFF);
}

static void sdiffstore_command(client *c) {
    sunion_diff_generic(c, c->argv + 2, c->argc - 2, c->argv[1], SET_OP_DIFF);
}

/* ---------------------------------------------------------------- SSCAN */

static void scan_collect(void *priv, const dict_entry *de) {
    vec_push(priv, sstr_dup(de->key));
}

/* An intset is small: all of it in one step, cursor 0, as Redis. */
static unsigned long long scan_members(const sobj *set, unsigned long long cursor, long long count,
                                       sstr_vec *out) {
    if (set->encoding == OBJ_ENC_INTSET) {
        int64_t v;
        for (uint32_t i = 0; intset_get(set->ptr, i, &v); i++)
            vec_push(out, sstr_from_ll(v));
        return 0;
    }
    return scan_dict(set->ptr, cursor, count, scan_collect, out, &out->n);
}

static void reply_scan(client *c, unsigned long long cursor, sstr *v, size_t n) {
    scan_reply_header(c, cursor, (long long)n);
    for (size_t i = 0; i < n; i++)
        add_reply_bulk_sstr(c, v[i]);
}

static void sscan_command(client *c) {
    unsigned long long cursor;
    scan_opts o = {.count = 10};
    sobj *set;
    /* Redis's order: the cursor, then the key, then the options. */
    if (scan_parse_cursor(c, 2, &cursor) < 0) return;
    if (lookup_set(c, c->argv[1], 0, &set) < 0) return;
    if (!set) {
        reply_scan(c, 0, NULL, 0);
        return;
    }
    if (scan_parse_opts(c, 3, 0, &o) < 0) return;
    sstr_vec found = {0};
    cursor = scan_members(set, cursor, o.count, &found);
    size_t kept = 0;
    for (size_t i = 0; i < found.n; i++) {
        sstr s = found.v[i];
        if (scan_matches(&o, s, sstr_len(s)))
            found.v[kept++] = s;
        else
            sstr_free(s);
    }
    found.n = kept;
    reply_scan(c, cursor, found.v, found.n);
    vec_free(&found);
}

/* ---------------------------------------------------------------- table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

const command cmds_set[] = {
    {"sadd", sadd_command, -3, W | D | F, 1, 1, 1, "set", "Add one or more members to a set",
     "1.0.0", NULL},
    {"scard", scard_command, 2, R | F, 1, 1, 1, "set", "Get the number of members in a set",
     "1.0.0", NULL},
    {"sdiff", sdiff_command, -2, R, 1, -1, 1, "set", "Subtract multiple sets", "1.0.0", NULL},
    {"sdiffstore", sdiffstore_command, -3, W | D, 1, -1, 1, "set",
     "Subtract multiple sets and store the resulting set in a key", "1.0.0", NULL},
    {"sinter", sinter_command, -2, R, 1, -1, 1, "set", "Intersect multiple sets", "1.0.0", NULL},
    /* Keys are after numkeys (movable): no fixed range, as Redis reports. */
    {"sintercard", sintercard_command, -3, R, 0, 0, 0, "set",
     "Intersect multiple sets and return the cardinality of the result", "7.0.0", NULL},
    {"sinterstore", sinterstore_command, -3, W | D, 1, -1, 1, "set",
     "Intersect multiple sets and store the resulting set in a key", "1.0.0", NULL},
    {"sismember", sismember_command, 3, R | F, 1, 1, 1, "set",
     "Determine if a given value is a member of a set", "1.0.0", NULL},
    {"smembers", smembers_command, 2, R, 1, 1, 1, "set", "Get all the members in a set", "1.0.0",
     NULL},
    {"smismember", smismember_command, -3, R | F, 1, 1, 1, "set",
     "Returns the membership associated with the given elements for a set", "6.2.0", NULL},
    {"smove", smove_command, 4, W | F, 1, 2, 1, "set", "Move a member from one set to another",
     "1.0.0", NULL},
    {"spop", spop_command, -2, W | F, 1, 1, 1, "set",
     "Remove and return one or multiple random members from a set", "1.0.0", NULL},
    {"srandmember", srandmember_command, -2, R, 1, 1, 1, "set",
     "Get one or multiple random members from a set", "1.0.0", NULL},
    {"srem", srem_command, -3, W | F, 1, 1, 1, "set", "Remove one or more members from a set",
     "1.0.0", NULL},
    {"sscan", sscan_command, -3, R, 1, 1, 1, "set", "Incrementally iterate Set elements", "2.8.0",
     NULL},
    {"sunion", sunion_command, -2, R, 1, -1, 1, "set", "Add multiple sets", "1.0.0", NULL},
    {"sunionstore", sunionstore_command, -3, W | D, 1, -1, 1, "set",
     "Add multiple sets and store the resulting set in a key", "1.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
