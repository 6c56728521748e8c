/* t_list.c - the list command family with Redis 7.0's replies, errors and
 * corner cases, including the blocking commands.
 *
 * Values are quicklists (src/core/quicklist.h); OBJECT ENCODING says
 * "quicklist" for every list, as Redis 7.0 does. A list whose last element
 * goes is deleted from the keyspace. A list created by a push signals its
 * key as ready so clients blocked on it are served after the command.
 */
#include "t_list.h"
#include "propagate.h"

#include <limits.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/quicklist.h"
#include "../core/util.h"
#include "blocking.h"
#include "config.h"

enum { HEAD = QUICKLIST_HEAD, TAIL = QUICKLIST_TAIL };

/* --------------------------------------------------------------- type */

static void list_free_value(sobj *o) {
    quicklist_free(o->ptr);
}

static sobj *list_dup(const sobj *o) {
    return obj_new(OBJ_LIST, OBJ_ENC_QUICKLIST, quicklist_dup(o->ptr));
}

static size_t list_mem_usage(const sobj *o) {
    return quicklist_mem_usage(o->ptr);
}

static const obj_type_ops list_ops = {"list", list_free_value, list_dup, list_mem_usage};

void list_register_type(void) {
    obj_register_type(OBJ_LIST, &list_ops);
}

static int clamp_int(long long v) {
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

sobj *list_new_object(const server *srv) {
    int fill = srv->cfg ? clamp_int(srv->cfg->list_max_listpack_size) : -2;
    int depth = srv->cfg ? clamp_int(srv->cfg->list_compress_depth) : 0;
    return obj_new(OBJ_LIST, OBJ_ENC_QUICKLIST, quicklist_create(fill, depth));
}

/* --------------------------------------------------------------- helpers */

static quicklist *ql_of(const sobj *o) {
    return o->ptr;
}

/* Replies WRONGTYPE and returns -1 when o exists and is not a list. */
static int check_list(client *c, const sobj *o) {
    if (o && o->type != OBJ_LIST) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

static void reply_entry(client *c, const quicklist_entry *e) {
    if (e->str)
        add_reply_bulk(c, e->str, e->len);
    else
        add_reply_bulk_ll(c, e->ival);
}

/* After elements left o (stored under key): delete an emptied list, else
 * signal the in-place change. */
static void elements_removed(client *c, const sstr key, sobj *o) {
    if (quicklist_count(ql_of(o)) == 0)
        db_delete(c->srv, c->db, key);
    else
        db_signal_modified(c->srv, c->db, key);
}

/* The list under key, created (and signalled ready) when missing. */
static sobj *create_list(client *c, const sstr key) {
    sobj *o = list_new_object(c->srv);
    db_add(c->srv, c->db, key, o);
    blocking_signal_key_ready(c->srv, c->db, key);
    return o;
}

/* Parses LEFT / RIGHT; replies a syntax error otherwise. */
static int parse_where(client *c, int i, int *where) {
    if (arg_is(c, i, "left"))
        *where = HEAD;
    else if (arg_is(c, i, "right"))
        *where = TAIL;
    else {
        add_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

/* Pops up to count elements from where and replies them as an array, in
 * pop order. The caller handles the emptied key. */
static void pop_range_reply(client *c, sobj *o, int where, long long count) {
    quicklist *ql = ql_of(o);
    unsigned long n = quicklist_count(ql);
    if ((unsigned long long)count < n) n = (unsigned long)count;
    add_reply_array(c, (long long)n);
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql, where, where == HEAD ? 0 : -1);
    for (unsigned long i = 0; i < n && quicklist_next(&it, &e); i++)
        reply_entry(c, &e);
    quicklist_del_range(ql, where == HEAD ? 0 : -(long)n, n);
}

/* Pops one element and replies [key, value] (BLPOP) or [key, [values]]
 * (count >= 0: LMPOP/BLMPOP); deletes the key if emptied. */
static void pop_with_key_reply(client *c, const sstr key, sobj *o, int where, long long count) {
    add_reply_array(c, 2);
    add_reply_bulk_sstr(c, key);
    if (count >= 0) {
        pop_range_reply(c, o, where, count);
    } else {
        size_t len = 0;
        unsigned char *v = quicklist_pop(ql_of(o), where, &len);
        add_reply_bulk(c, v, len);
        sk_free(v);
    }
    elements_removed(c, key, o);
    c->srv->dirty++;
    /* Blocking and multi-key pops replay as the plain pop they did (as Redis). */
    if (propagate_active(c->srv)) {
        sstr argv[3] = {sstr_from_cstr(where == HEAD ? "LPOP" : "RPOP"), key,
                        count >= 0 ? sstr_from_ll(count) : NULL};
        propagate_also(c, c->db->id, argv, count >= 0 ? 3 : 2);
        sstr_free(argv[0]);
        sstr_free(argv[2]);
        propagate_prevent(c);
    }
}

/* Moves one element from src (non-empty, under srckey) to the list dst
 * under dstkey (NULL: created), replying the element (LMOVE). */
static void move_one(client *c, sobj *src, const sstr srckey, sobj *dst, const sstr dstkey,
                     int from, int to) {
    size_t len = 0;
    unsigned char *v = quicklist_pop(ql_of(src), from, &len);
    if (!dst) dst = create_list(c, dstkey);
    quicklist_push(ql_of(dst), to, v, len);
    db_signal_modified(c->srv, c->db, dstkey);
    add_reply_bulk(c, v, len);
    sk_free(v);
    elements_removed(c, srckey, src);
    c->srv->dirty++;
    /* BLMOVE/BRPOPLPUSH, now or when served later, replay as LMOVE. */
    if (propagate_active(c->srv)) {
        sstr argv[5] = {sstr_from_cstr("LMOVE"), srckey, dstkey,
                        sstr_from_cstr(from == HEAD ? "LEFT" : "RIGHT"),
                        sstr_from_cstr(to == HEAD ? "LEFT" : "RIGHT")};
        propagate_also(c, c->db->id, argv, 5);
        sstr_free(argv[0]);
        sstr_free(argv[3]);
        sstr_free(argv[4]);
        propagate_prevent(c);
    }
}

/* --------------------------------------------------------------- push */

static void push_generic(client *c, int where, int only_existing) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (check_list(c, o) < 0) return;
    if (!o) {
        if (only_existing) {
            add_reply_int(c, 0);
            return;
        }
        o = create_list(c, c->argv[1]);
    }
    for (int i = 2; i < c->argc; i++)
        quicklist_push(ql_of(o), where, c->argv[i], sstr_len(c->argv[i]));
    add_reply_int(c, (long long)quicklist_count(ql_of(o)));
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty += c->argc - 2;
}

static void lpush_command(client *c) {
    push_generic(c, HEAD, 0);
}

static void rpush_command(client *c) {
    push_generic(c, TAIL, 0);
}

static void lpushx_command(client *c) {
    push_generic(c, HEAD, 1);
}

static void rpushx_command(client *c) {
    push_generic(c, TAIL, 1);
}

static void linsert_command(client *c) {
    int after;
    if (arg_is(c, 2, "after"))
        after = 1;
    else if (arg_is(c, 2, "before"))
        after = 0;
    else {
        add_reply_syntax_error(c);
        return;
    }
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_list(c, o) < 0) return;
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql_of(o), HEAD, 0);
    while (quicklist_next(&it, &e)) {
        if (!quicklist_entry_equal(&e, c->argv[3], sstr_len(c->argv[3]))) continue;
        quicklist_insert(ql_of(o), &e, c->argv[4], sstr_len(c->argv[4]), after);
        db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty++;
        add_reply_int(c, (long long)quicklist_count(ql_of(o)));
        return;
    }
    add_reply_int(c, -1);
}

/* --------------------------------------------------------------- read */

static void llen_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_list(c, o) < 0) return;
    add_reply_int(c, o ? (long long)quicklist_count(ql_of(o)) : 0);
}

static void lindex_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return;
    }
    if (check_list(c, o) < 0) return;
    long long index;
    if (get_ll_from_arg(c, 2, &index, NULL) < 0) return;
    quicklist_entry e;
    if (quicklist_index(ql_of(o), (long)index, &e))
        reply_entry(c, &e);
    else
        add_reply_null(c);
}

/* Redis's range normalisation; returns 0 when the range is empty. */
static int normalize_range(long long llen, long long *start, long long *end) {
    if (*start < 0) *start += llen;
    if (*end < 0) *end += llen;
    if (*start < 0) *start = 0;
    if (*start > *end || *start >= llen) return 0;
    if (*end >= llen) *end = llen - 1;
    return 1;
}

static void lrange_command(client *c) {
    long long start, end;
    if (get_ll_from_arg(c, 2, &start, NULL) < 0 || get_ll_from_arg(c, 3, &end, NULL) < 0) return;
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_list(c, o) < 0) return;
    if (!o || !normalize_range((long long)quicklist_count(ql_of(o)), &start, &end)) {
        add_reply_array(c, 0);
        return;
    }
    long long n = end - start + 1;
    add_reply_array(c, n);
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql_of(o), HEAD, (long)start);
    for (long long i = 0; i < n && quicklist_next(&it, &e); i++)
        reply_entry(c, &e);
}

static void lpos_reply_missing(client *c, long long count) {
    if (count != -1)
        add_reply_array(c, 0);
    else
        add_reply_null(c);
}

/* LPOS options; replies and returns -1 on an error. */
static int lpos_options(client *c, long long *rank, long long *count, long long *maxlen) {
    for (int j = 3; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (more && arg_is(c, j, "rank")) {
            if (get_ll_from_arg(c, ++j, rank, NULL) < 0) return -1;
            if (*rank == 0) {
                add_reply_error(c, "ERR RANK can't be zero: use 1 to start from the first match, "
                                   "2 from the second ... or use negative to start from the end "
                                   "of the list");
                return -1;
            }
        } else if (more && arg_is(c, j, "count")) {
            if (get_positive_ll_from_arg(c, ++j, count, "ERR COUNT can't be negative") < 0)
                return -1;
        } else if (more && arg_is(c, j, "maxlen")) {
            if (get_positive_ll_from_arg(c, ++j, maxlen, "ERR MAXLEN can't be negative") < 0)
                return -1;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

static void lpos_command(client *c) {
    long long rank = 1, count = -1, maxlen = 0;
    if (lpos_options(c, &rank, &count, &maxlen) < 0) return;
    int direction = HEAD;
    if (rank < 0) {
        /* Redis negates in place; LLONG_MIN stays "any match from the tail". */
        rank = rank == LLONG_MIN ? 1 : -rank;
        direction = TAIL;
    }
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        lpos_reply_missing(c, count);
        return;
    }
    if (check_list(c, o) < 0) return;
    long long llen = (long long)quicklist_count(ql_of(o));
    size_t h = count != -1 ? add_reply_deferred_len(c) : 0;
    long long index = 0, matches = 0, found = -1, replied = 0;
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql_of(o), direction, direction == HEAD ? 0 : -1);
    while ((maxlen == 0 || index < maxlen) && quicklist_next(&it, &e)) {
        if (quicklist_entry_equal(&e, c->argv[2], sstr_len(c->argv[2])) && ++matches >= rank) {
            found = direction == HEAD ? index : llen - index - 1;
            if (count == -1) break;
            add_reply_int(c, found);
            replied++;
            if (count && matches - rank + 1 >= count) break;
        }
        index++;
    }
    if (count != -1)
        set_deferred_array_len(c, h, replied);
    else if (found != -1)
        add_reply_int(c, found);
    else
        add_reply_null(c);
}

/* --------------------------------------------------------------- write */

static void lset_command(client *c) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_error(c, "ERR no such key");
        return;
    }
    if (check_list(c, o) < 0) return;
    long long index;
    if (get_ll_from_arg(c, 2, &index, NULL) < 0) return;
    if (!quicklist_replace_at_index(ql_of(o), (long)index, c->argv[3], sstr_len(c->argv[3]))) {
        add_reply_error(c, "ERR index out of range");
        return;
    }
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    add_reply_ok(c);
}

static void ltrim_command(client *c) {
    long long start, end;
    if (get_ll_from_arg(c, 2, &start, NULL) < 0 || get_ll_from_arg(c, 3, &end, NULL) < 0) return;
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_ok(c);
        return;
    }
    if (check_list(c, o) < 0) return;
    quicklist *ql = ql_of(o);
    long long llen = (long long)quicklist_count(ql);
    long long ltrim = llen, rtrim = 0;
    if (normalize_range(llen, &start, &end)) {
        ltrim = start;
        rtrim = llen - end - 1;
    }
    quicklist_del_range(ql, 0, (unsigned long)ltrim);
    if (rtrim) quicklist_del_range(ql, -(long)rtrim, (unsigned long)rtrim);
    elements_removed(c, c->argv[1], o);
    c->srv->dirty += ltrim + rtrim;
    add_reply_ok(c);
}

static void lrem_command(client *c) {
    long long toremove;
    if (get_ll_from_arg(c, 2, &toremove, NULL) < 0) return;
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_list(c, o) < 0) return;
    int direction = toremove < 0 ? TAIL : HEAD;
    unsigned long long limit =
        toremove < 0 ? 0ULL - (unsigned long long)toremove : (unsigned long long)toremove;
    long long removed = 0;
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql_of(o), direction, direction == HEAD ? 0 : -1);
    while (quicklist_next(&it, &e)) {
        if (!quicklist_entry_equal(&e, c->argv[3], sstr_len(c->argv[3]))) continue;
        quicklist_iter_del(&it, &e);
        removed++;
        if (limit && (unsigned long long)removed == limit) break;
    }
    if (removed) {
        elements_removed(c, c->argv[1], o);
        c->srv->dirty += removed;
    }
    add_reply_int(c, removed);
}

/* --------------------------------------------------------------- pop */

static void pop_generic(client *c, int where) {
    if (c->argc > 3) {
        add_reply_arity_error(c);
        return;
    }
    int has_count = c->argc == 3;
    long long count = 0;
    if (has_count &&
        get_positive_ll_from_arg(c, 2, &count, "ERR value is out of range, must be positive") < 0)
        return;
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        if (has_count)
            add_reply_null_array(c);
        else
            add_reply_null(c);
        return;
    }
    if (check_list(c, o) < 0) return;
    if (has_count && count == 0) {
        add_reply_array(c, 0);
        return;
    }
    if (has_count) {
        pop_range_reply(c, o, where, count);
    } else {
        size_t len = 0;
        unsigned char *v = quicklist_pop(ql_of(o), where, &len);
        add_reply_bulk(c, v, len);
        sk_free(v);
    }
    elements_removed(c, c->argv[1], o);
    c->srv->dirty++;
}

static void lpop_command(client *c) {
    pop_generic(c, HEAD);
}

static void rpop_command(client *c) {
    pop_generic(c, TAIL);
}

static void lmove_generic(client *c, int from, int to) {
    sobj *src = db_lookup_write(c, c->argv[1]);
    if (!src) {
        add_reply_null(c);
        return;
    }
    if (check_list(c, src) < 0) return;
    sobj *dst = db_lookup_write(c, c->argv[2]);
    if (check_list(c, dst) < 0) return;
    move_one(c, src, c->argv[1], dst, c->argv[2], from, to);
}

static void lmove_command(client *c) {
    int from, to;
    if (parse_where(c, 3, &from) < 0 || parse_where(c, 4, &to) < 0) return;
    lmove_generic(c, from, to);
}

static void rpoplpush_command(client *c) {
    lmove_generic(c, TAIL, HEAD);
}

/* --------------------------------------------------------------- blocking */

enum { WAIT_POP, WAIT_MPOP, WAIT_MOVE };

/* What a blocked list client will do once served. */
typedef struct list_wait {
    int kind;
    int from, to;
    long long count; /* WAIT_MPOP */
    sstr target;     /* owned: WAIT_MOVE destination */
} list_wait;

static void list_wait_free(void *p) {
    list_wait *w = p;
    sstr_free(w->target);
    sk_free(w);
}

static int list_serve(client *c, const sstr key, void *priv) {
    list_wait *w = priv;
    sobj *o = db_lookup_write(c, key);
    if (!o || o->type != OBJ_LIST || quicklist_count(ql_of(o)) == 0) return 0;
    if (w->kind == WAIT_MOVE) {
        sobj *dst = db_lookup_write(c, w->target);
        /* Redis 7.0: the waiter is unblocked with the error, the source kept. */
        if (check_list(c, dst) < 0) return 1;
        move_one(c, o, key, dst, w->target, w->from, w->to);
        return 1;
    }
    pop_with_key_reply(c, key, o, w->from, w->kind == WAIT_MPOP ? w->count : -1);
    return 1;
}

static const blocking_ops list_blocking_ops = {"list", list_serve, NULL, list_wait_free};

/* Transactions (and internal clients) never block: as a timeout. */
static int cannot_block(const client *c) {
    return (c->flags & (CLIENT_MULTI | CLIENT_FAKE)) != 0;
}

static void block_on(client *c, const sstr *keys, int nkeys, long long deadline, int kind, int from,
                     int to, long long count, const sstr target) {
    list_wait *w = sk_calloc(1, sizeof(*w));
    w->kind = kind;
    w->from = from;
    w->to = to;
    w->count = count;
    w->target = target ? sstr_dup(target) : NULL;
    blocking_block_client(c, &list_blocking_ops, keys, nkeys, deadline, w);
}

/* BLPOP / BRPOP (count < 0) and BLMPOP (count >= 1) once arguments parsed. */
static void bpop_generic(client *c, const sstr *keys, int nkeys, int where, long long deadline,
                         long long count) {
    for (int i = 0; i < nkeys; i++) {
        sobj *o = db_lookup_write(c, keys[i]);
        if (!o) continue;
        if (check_list(c, o) < 0) return;
        if (quicklist_count(ql_of(o)) == 0) continue;
        pop_with_key_reply(c, keys[i], o, where, count);
        return;
    }
    if (cannot_block(c)) {
        add_reply_null_array(c);
        return;
    }
    block_on(c, keys, nkeys, deadline, count >= 0 ? WAIT_MPOP : WAIT_POP, where, 0, count, NULL);
}

static void bpop_command(client *c, int where) {
    long long deadline;
    if (blocking_parse_timeout(c, c->argc - 1, &deadline) < 0) return;
    bpop_generic(c, c->argv + 1, c->argc - 2, where, deadline, -1);
}

static void blpop_command(client *c) {
    bpop_command(c, HEAD);
}

static void brpop_command(client *c) {
    bpop_command(c, TAIL);
}

static void blmove_generic(client *c, int from, int to, long long deadline) {
    sobj *src = db_lookup_write(c, c->argv[1]);
    if (check_list(c, src) < 0) return;
    if (src) {
        lmove_generic(c, from, to);
        return;
    }
    if (cannot_block(c)) {
        add_reply_null(c);
        return;
    }
    block_on(c, c->argv + 1, 1, deadline, WAIT_MOVE, from, to, 0, c->argv[2]);
}

static void blmove_command(client *c) {
    int from, to;
    long long deadline;
    if (parse_where(c, 3, &from) < 0 || parse_where(c, 4, &to) < 0) return;
    if (blocking_parse_timeout(c, 5, &deadline) < 0) return;
    blmove_generic(c, from, to, deadline);
}

static void brpoplpush_command(client *c) {
    long long deadline;
    if (blocking_parse_timeout(c, 3, &deadline) < 0) return;
    blmove_generic(c, TAIL, HEAD, deadline);
}

/* LMPOP / BLMPOP: numkeys at argv[first]. Replies and returns -1 on error. */
static int parse_mpop(client *c, int first, long long *numkeys, int *where, long long *count) {
    const char *nk_err = "ERR numkeys should be greater than 0";
    if (get_ll_from_arg(c, first, numkeys, nk_err) < 0) return -1;
    if (*numkeys < 1) {
        add_reply_error(c, nk_err);
        return -1;
    }
    if (*numkeys >= c->argc - first) {
        add_reply_syntax_error(c);
        return -1;
    }
    int where_idx = first + (int)*numkeys + 1;
    if (parse_where(c, where_idx, where) < 0) return -1;
    *count = -1;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (*count == -1 && j + 1 < c->argc && arg_is(c, j, "count")) {
            const char *msg = "ERR count should be greater than 0";
            if (get_ll_from_arg(c, ++j, count, msg) < 0) return -1;
            if (*count < 1) {
                add_reply_error(c, msg);
                return -1;
            }
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (*count == -1) *count = 1;
    return 0;
}

static void lmpop_command(client *c) {
    long long numkeys, count;
    int where;
    if (parse_mpop(c, 1, &numkeys, &where, &count) < 0) return;
    const sstr *keys = c->argv + 2;
    for (long long i = 0; i < numkeys; i++) {
        sobj *o = db_lookup_write(c, keys[i]);
        if (!o) continue;
        if (check_list(c, o) < 0) return;
        if (quicklist_count(ql_of(o)) == 0) continue;
        pop_with_key_reply(c, keys[i], o, where, count);
        return;
    }
    add_reply_null_array(c);
}

static void blmpop_command(client *c) {
    long long deadline, numkeys, count;
    int where;
    if (blocking_parse_timeout(c, 1, &deadline) < 0) return;
    if (parse_mpop(c, 2, &numkeys, &where, &count) < 0) return;
    bpop_generic(c, c->argv + 3, (int)numkeys, where, deadline, count);
}

/* --------------------------------------------------------------- table */

#define W CMD_WRITE
#define R CMD_READONLY
#define DOOM CMD_DENYOOM
#define FAST CMD_FAST
#define BLK CMD_BLOCKING

const command cmds_list[] = {
    {"lpush", lpush_command, -3, W | DOOM | FAST, 1, 1, 1, "list",
     "Prepend one or multiple elements to a list", "1.0.0", NULL},
    {"rpush", rpush_command, -3, W | DOOM | FAST, 1, 1, 1, "list",
     "Append one or multiple elements to a list", "1.0.0", NULL},
    {"lpushx", lpushx_command, -3, W | DOOM | FAST, 1, 1, 1, "list",
     "Prepend an element to a list, only if the list exists", "2.2.0", NULL},
    {"rpushx", rpushx_command, -3, W | DOOM | FAST, 1, 1, 1, "list",
     "Append an element to a list, only if the list exists", "2.2.0", NULL},
    {"linsert", linsert_command, 5, W | DOOM, 1, 1, 1, "list",
     "Insert an element before or after another element in a list", "2.2.0", NULL},
    {"lpop", lpop_command, -2, W | FAST, 1, 1, 1, "list",
     "Remove and get the first elements in a list", "1.0.0", NULL},
    {"rpop", rpop_command, -2, W | FAST, 1, 1, 1, "list",
     "Remove and get the last elements in a list", "1.0.0", NULL},
    {"llen", llen_command, 2, R | FAST, 1, 1, 1, "list", "Get the length of a list", "1.0.0", NULL},
    {"lindex", lindex_command, 3, R, 1, 1, 1, "list", "Get an element from a list by its index",
     "1.0.0", NULL},
    {"lrange", lrange_command, 4, R, 1, 1, 1, "list", "Get a range of elements from a list",
     "1.0.0", NULL},
    {"lpos", lpos_command, -3, R, 1, 1, 1, "list",
     "Return the index of matching elements on a list", "6.0.6", NULL},
    {"lset", lset_command, 4, W | DOOM, 1, 1, 1, "list",
     "Set the value of an element in a list by its index", "1.0.0", NULL},
    {"ltrim", ltrim_command, 4, W, 1, 1, 1, "list", "Trim a list to the specified range", "1.0.0",
     NULL},
    {"lrem", lrem_command, 4, W, 1, 1, 1, "list", "Remove elements from a list", "1.0.0", NULL},
    {"lmove", lmove_command, 5, W | DOOM, 1, 2, 1, "list",
     "Pop an element from a list, push it to another list and return it", "6.2.0", NULL},
    {"rpoplpush", rpoplpush_command, 3, W | DOOM, 1, 2, 1, "list",
     "Remove the last element in a list, prepend it to another list and return it", "1.2.0", NULL},
    {"lmpop", lmpop_command, -4, W, 0, 0, 0, "list", "Pop elements from a list", "7.0.0", NULL},
    {"blpop", blpop_command, -3, W | BLK, 1, -2, 1, "list",
     "Remove and get the first element in a list, or block until one is available", "2.0.0", NULL},
    {"brpop", brpop_command, -3, W | BLK, 1, -2, 1, "list",
     "Remove and get the last element in a list, or block until one is available", "2.0.0", NULL},
    {"brpoplpush", brpoplpush_command, 4, W | DOOM | BLK, 1, 2, 1, "list",
     "Pop an element from a list, push it to another list and return it; or block until one "
     "is available",
     "2.2.0", NULL},
    {"blmove", blmove_command, 6, W | DOOM | BLK, 1, 2, 1, "list",
     "Pop an element from a list, push it to another list and return it; or block until one "
     "is available",
     "6.2.0", NULL},
    {"blmpop", blmpop_command, -5, W | BLK, 0, 0, 0, "list",
     "Pop elements from a list, or block until one is available", "7.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
