/* cmd_string.c - the string command family (GET, SET and friends, counters,
 * ranges, LCS) with Redis 7.0's replies, error texts and corner cases.
 *
 * Values are stored in their most compact encoding (obj_new_string picks
 * int / embstr / raw); commands that edit bytes in place (APPEND, SETRANGE)
 * first unshare the value into a private raw string.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "server.h"
#include "propagate.h"

#define DEFAULT_MAX_BULK (512LL * 1024 * 1024)
#define LD_STR_MAX 5120 /* room for any finite long double in "%.17Lf" */

/* SET / GETEX option flags (Redis's OBJ_SET_* / OBJ_EX ...). */
enum {
    OPT_NX = 1 << 0,
    OPT_XX = 1 << 1,
    OPT_GET = 1 << 2,
    OPT_KEEPTTL = 1 << 3,
    OPT_PERSIST = 1 << 4,
    OPT_EX = 1 << 5,
    OPT_PX = 1 << 6,
    OPT_EXAT = 1 << 7,
    OPT_PXAT = 1 << 8,
};

/* --------------------------------------------------------------- helpers */

static int check_type(client *c, const sobj *o) {
    if (o && o->type != OBJ_STRING) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

static long long max_bulk_len(const server *srv) {
    return srv->cfg ? srv->cfg->proto_max_bulk_len : DEFAULT_MAX_BULK;
}

/* The result of size+append must fit proto-max-bulk-len (the master link
 * is trusted, as in Redis). */
static int check_string_length(client *c, long long size, long long append) {
    if (c->flags & CLIENT_MASTER) return 0;
    long long total = (long long)((uint64_t)size + (uint64_t)append);
    if (total > max_bulk_len(c->srv) || total < size || total < append) {
        add_reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

static void reply_invalid_expire(client *c) {
    add_reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd ? c->cmd->name : "set");
}

/* The value argument as a stored object. */
static sobj *value_from_arg(client *c, int i) {
    obj_apply_config(c->srv); /* MSET creates a value before any lookup */
    return obj_new_string(c->argv[i], sstr_len(c->argv[i]));
}

/* Matches an option keyword: exact length, any case. */
static int opt_is(const sstr arg, const char *lit) {
    return util_eq_nocase(arg, sstr_len(arg), lit);
}

/* Parses SET (is_set) or GETEX options from argv[first]. Every option may
 * repeat; incompatible ones, a missing time or anything else is a syntax
 * error, exactly as Redis's parseExtendedStringArgumentsOrReply. */
static int parse_string_options(client *c, int first, int is_set, int *flags, int *expire_idx) {
    const int any_time = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT;
    for (int j = first; j < c->argc; j++) {
        sstr opt = c->argv[j];
        int has_next = j < c->argc - 1;
        int f = *flags;
        int time_flag = 0;
        if (opt_is(opt, "nx") && !(f & OPT_XX) && is_set) {
            *flags |= OPT_NX;
        } else if (opt_is(opt, "xx") && !(f & OPT_NX) && is_set) {
            *flags |= OPT_XX;
        } else if (opt_is(opt, "get") && is_set) {
            *flags |= OPT_GET;
        } else if (opt_is(opt, "keepttl") && !(f & (OPT_PERSIST | any_time)) && is_set) {
            *flags |= OPT_KEEPTTL;
        } else if (opt_is(opt, "persist") && !is_set && !(f & (OPT_KEEPTTL | any_time))) {
            *flags |= OPT_PERSIST;
        } else if (opt_is(opt, "ex")) {
            time_flag = OPT_EX;
        } else if (opt_is(opt, "px")) {
            time_flag = OPT_PX;
        } else if (opt_is(opt, "exat")) {
            time_flag = OPT_EXAT;
        } else if (opt_is(opt, "pxat")) {
            time_flag = OPT_PXAT;
        } else {
            goto syntax;
        }
        if (time_flag) {
            /* The same unit may repeat (the last wins); another may not. */
            int others = (any_time & ~time_flag) | OPT_KEEPTTL | OPT_PERSIST;
            if ((f & others) || !has_next) goto syntax;
            *flags |= time_flag;
            *expire_idx = ++j;
        }
    }
    return 0;
syntax:
    add_reply_syntax_error(c);
    return -1;
}

/* Turns the expire argument into an absolute ms time (Redis's
 * getExpireMillisecondsOrReply): positive, no overflow. */
static int expire_ms_from_arg(client *c, int idx, int flags, long long *out) {
    long long v;
    if (get_ll_from_arg(c, idx, &v, NULL) < 0) return -1;
    int seconds = flags & (OPT_EX | OPT_EXAT);
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) goto invalid;
    if (seconds) v *= 1000;
    if (flags & (OPT_EX | OPT_PX)) {
        if (v > LLONG_MAX - c->srv->mstime) goto invalid;
        v += c->srv->mstime;
    }
    if (v <= 0) goto invalid;
    *out = v;
    return 0;
invalid:
    reply_invalid_expire(c);
    return -1;
}

/* GET's body; returns -1 when it replied an error (wrong type). */
static int get_generic(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return 0;
    }
    if (check_type(c, o) < 0) return -1;
    add_reply_bulk_obj(c, o);
    return 0;
}

/* ------------------------------------------------------------ GET / SET */

static void get_command(client *c) {
    get_generic(c);
}

/* The shared body of SET, SETNX, SETEX, PSETEX. int_reply: SETNX answers
 * :1 / :0 instead of +OK / nil. */
static void set_generic(client *c, int flags, int val_idx, int expire_idx, int int_reply) {
    long long when = 0;
    if (expire_idx && expire_ms_from_arg(c, expire_idx, flags, &when) < 0) return;
    if ((flags & OPT_GET) && get_generic(c) < 0) return;

    int found = db_lookup_write(c, c->argv[1]) != NULL;
    if (((flags & OPT_NX) && found) || ((flags & OPT_XX) && !found)) {
        if (!(flags & OPT_GET)) {
            if (int_reply)
                add_reply_int(c, 0);
            else
                add_reply_null(c);
        }
        return;
    }
    db_set_key(c, c->db, c->argv[1], value_from_arg(c, val_idx), flags & OPT_KEEPTTL);
    c->srv->dirty++;
    if (expire_idx) {
        db_set_expire(c->srv, c->db, c->argv[1], when);
        /* An absolute time, so replay does not move it (Redis: SET k v PXAT ms). */
        if (propagate_active(c->srv))
            propagate_rewrite(c,
                              propagate_argv(5, sstr_from_cstr("SET"), sstr_dup(c->argv[1]),
                                             sstr_dup(c->argv[val_idx]), sstr_from_cstr("PXAT"),
                                             sstr_from_ll(when)),
                              5);
    }
    if (!(flags & OPT_GET)) {
        if (int_reply)
            add_reply_int(c, 1);
        else
            add_reply_ok(c);
    }
}

static void set_command(client *c) {
    int flags = 0, expire_idx = 0;
    if (parse_string_options(c, 3, 1, &flags, &expire_idx) < 0) return;
    set_generic(c, flags, 2, expire_idx, 0);
}

static void setnx_command(client *c) {
    set_generic(c, OPT_NX, 2, 0, 1);
}

static void setex_command(client *c) {
    set_generic(c, OPT_EX, 3, 2, 0);
}

static void psetex_command(client *c) {
    set_generic(c, OPT_PX, 3, 2, 0);
}

static void getset_command(client *c) {
    if (get_generic(c) < 0) return;
    db_set_key(c, c->db, c->argv[1], value_from_arg(c, 2), 0);
    c->srv->dirty++;
}

static void getdel_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return;
    }
    if (check_type(c, o) < 0) return;
    add_reply_bulk_obj(c, o);
    db_delete(c->srv, c->db, c->argv[1]);
    propagate_rewrite_del(c, c->argv[1]);
    c->srv->dirty++;
}

static void getex_command(client *c) {
    int flags = 0, expire_idx = 0;
    if (parse_string_options(c, 2, 0, &flags, &expire_idx) < 0) return;
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return;
    }
    if (check_type(c, o) < 0) return;
    long long when = 0;
    if (expire_idx && expire_ms_from_arg(c, expire_idx, flags, &when) < 0) return;
    add_reply_bulk_obj(c, o); /* before the key may go away */

    server *srv = c->srv;
    if ((flags & (OPT_EXAT | OPT_PXAT)) && db_expire_is_past(srv, when)) {
        propagate_rewrite_del(c, c->argv[1]);
        db_delete(srv, c->db, c->argv[1]);
        srv->dirty++;
    } else if (expire_idx) {
        propagate_rewrite_pexpireat(c, c->argv[1], when);
        db_set_expire(srv, c->db, c->argv[1], when);
        db_signal_modified(srv, c->db, c->argv[1]);
        srv->dirty++;
    } else if ((flags & OPT_PERSIST) && db_remove_expire(c->db, c->argv[1])) {
        if (propagate_active(srv))
            propagate_rewrite(c, propagate_argv(2, sstr_from_cstr("PERSIST"), sstr_dup(c->argv[1])),
                              2);
        db_signal_modified(srv, c->db, c->argv[1]);
        srv->dirty++;
    }
}

/* ------------------------------------------------------------ MGET / MSET */

static void mget_command(client *c) {
    add_reply_array(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        sobj *o = db_lookup_read(c, c->argv[j]);
        if (!o || o->type != OBJ_STRING)
            add_reply_null(c);
        else
            add_reply_bulk_obj(c, o);
    }
}

static void mset_generic(client *c, int nx) {
    if (c->argc % 2 == 0) {
        add_reply_arity_error(c);
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (db_lookup_write(c, c->argv[j])) {
                add_reply_int(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2)
        db_set_key(c, c->db, c->argv[j], value_from_arg(c, j + 1), 0);
    c->srv->dirty += (c->argc - 1) / 2;
    if (nx)
        add_reply_int(c, 1);
    else
        add_reply_ok(c);
}

static void mset_command(client *c) {
    mset_generic(c, 0);
}

static void msetnx_command(client *c) {
    mset_generic(c, 1);
}

/* ------------------------------------------------------------- counters */

static void incr_decr(client *c, long long incr) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (check_type(c, o) < 0) return;
    long long value = 0;
    if (o && !obj_get_ll(o, &value)) {
        add_reply_not_integer(c);
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        add_reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    server *srv = c->srv;
    if (o && o->refcount == 1 && o->encoding == OBJ_ENC_INT &&
        (value < 0 || value >= OBJ_SHARED_INTEGERS)) {
        o->ival = value; /* private int: update in place */
        db_signal_modified(srv, c->db, c->argv[1]);
    } else if (o) {
        db_overwrite(srv, c->db, c->argv[1], obj_new_string_ll(value));
    } else {
        db_add(srv, c->db, c->argv[1], obj_new_string_ll(value));
    }
    srv->dirty++;
    add_reply_int(c, value);
}

static void incr_command(client *c) {
    incr_decr(c, 1);
}

static void decr_command(client *c) {
    incr_decr(c, -1);
}

static void incrby_command(client *c) {
    long long incr;
    if (get_ll_from_arg(c, 2, &incr, NULL) < 0) return;
    incr_decr(c, incr);
}

static void decrby_command(client *c) {
    long long incr;
    if (get_ll_from_arg(c, 2, &incr, NULL) < 0) return;
    if (incr == LLONG_MIN) { /* its negation would overflow */
        add_reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_decr(c, -incr);
}

static void incrbyfloat_command(client *c) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (check_type(c, o) < 0) return;
    long double value = 0, incr;
    if (o && !obj_get_ld(o, &value)) {
        add_reply_error(c, "ERR value is not a valid float");
        return;
    }
    if (get_ld_from_arg(c, 2, &incr, NULL) < 0) return;
    value += incr;
    if (isnan(value) || isinf(value)) {
        add_reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_STR_MAX];
    int len = util_ld_to_str(buf, sizeof(buf), value);
    /* Stored as text, never int-encoded, as Redis does ("3" stays embstr). */
    sobj *n = obj_new_string_noint(buf, (size_t)len);
    if (o)
        db_overwrite(c->srv, c->db, c->argv[1], n);
    else
        db_add(c->srv, c->db, c->argv[1], n);
    c->srv->dirty++;
    /* Float arithmetic may differ elsewhere: replay the result (Redis: SET KEEPTTL). */
    if (propagate_active(c->srv))
        propagate_rewrite(c,
                          propagate_argv(4, sstr_from_cstr("SET"), sstr_dup(c->argv[1]),
                                         sstr_new(buf, (size_t)len), sstr_from_cstr("KEEPTTL")),
                          4);
    add_reply_bulk(c, buf, (size_t)len);
}

/* --------------------------------------------------------- byte editing */

static void append_command(client *c) {
    server *srv = c->srv;
    sstr key = c->argv[1], arg = c->argv[2];
    size_t total;
    sobj *o = db_lookup_write(c, key);
    if (!o) {
        sobj *v = value_from_arg(c, 2);
        total = obj_string_len(v);
        db_add(srv, c->db, key, v);
    } else {
        if (check_type(c, o) < 0) return;
        if (check_string_length(c, (long long)obj_string_len(o), (long long)sstr_len(arg)) < 0)
            return;
        sobj *u = obj_unshare_string(o);
        if (u != o) db_overwrite(srv, c->db, key, u);
        u->ptr = sstr_cat(u->ptr, arg, sstr_len(arg));
        total = sstr_len(u->ptr);
        db_signal_modified(srv, c->db, key);
    }
    srv->dirty++;
    add_reply_int(c, (long long)total);
}

static void strlen_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_type(c, o) < 0) return;
    add_reply_int(c, (long long)obj_string_len(o));
}

static void setrange_command(client *c) {
    server *srv = c->srv;
    sstr key = c->argv[1], value = c->argv[3];
    size_t vlen = sstr_len(value);
    long long offset;
    if (get_ll_from_arg(c, 2, &offset, NULL) < 0) return;
    if (offset < 0) {
        add_reply_error(c, "ERR offset is out of range");
        return;
    }
    sobj *o = db_lookup_write(c, key);
    if (!o) {
        if (vlen == 0) { /* nothing to set on a missing key */
            add_reply_int(c, 0);
            return;
        }
        if (check_string_length(c, offset, (long long)vlen) < 0) return;
        o = obj_new_raw_string(NULL, 0);
        db_add(srv, c->db, key, o);
    } else {
        if (check_type(c, o) < 0) return;
        size_t olen = obj_string_len(o);
        if (vlen == 0) {
            add_reply_int(c, (long long)olen);
            return;
        }
        if (check_string_length(c, offset, (long long)vlen) < 0) return;
        sobj *u = obj_unshare_string(o);
        if (u != o) db_overwrite(srv, c->db, key, u);
        o = u;
    }
    size_t end = (size_t)offset + vlen;
    if (sstr_len(o->ptr) < end) o->ptr = sstr_grow_zero(o->ptr, end);
    memcpy((char *)o->ptr + offset, value, vlen);
    db_signal_modified(srv, c->db, key);
    srv->dirty++;
    add_reply_int(c, (long long)sstr_len(o->ptr));
}

static void getrange_command(client *c) {
    long long start, end;
    if (get_ll_from_arg(c, 2, &start, NULL) < 0) return;
    if (get_ll_from_arg(c, 3, &end, NULL) < 0) return;
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_bulk(c, "", 0);
        return;
    }
    if (check_type(c, o) < 0) return;
    char buf[32];
    size_t slen;
    const char *s = obj_string_bytes(o, buf, &slen);
    long long len = (long long)slen;
    if (start < 0 && end < 0 && start > end) {
        add_reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len == 0) {
        add_reply_bulk(c, "", 0);
        return;
    }
    add_reply_bulk(c, s + start, (size_t)(end - start + 1));
}

/* ------------------------------------------------------------------ LCS */

typedef struct lcs_opts {
    int getlen, getidx, withmatchlen;
    long long minmatchlen;
} lcs_opts;

/* The two strings and the DP table: tab[i][j] is the LCS length of
 * a[0..i) and b[0..j), stored row by row. */
typedef struct lcs_ctx {
    const char *a, *b;
    uint32_t alen, blen;
    uint32_t *tab; /* owned */
} lcs_ctx;

#define LCS_AT(x, i, j) ((x)->tab[(size_t)(j) + (size_t)(i) * ((size_t)(x)->blen + 1)])

static int lcs_parse(client *c, lcs_opts *o) {
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (opt_is(c->argv[j], "idx")) {
            o->getidx = 1;
        } else if (opt_is(c->argv[j], "len")) {
            o->getlen = 1;
        } else if (opt_is(c->argv[j], "withmatchlen")) {
            o->withmatchlen = 1;
        } else if (opt_is(c->argv[j], "minmatchlen") && more) {
            if (get_ll_from_arg(c, j + 1, &o->minmatchlen, NULL) < 0) return -1;
            if (o->minmatchlen < 0) o->minmatchlen = 0;
            j++;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (o->getidx && o->getlen) {
        add_reply_error(c, "ERR If you want both the length and indexes, please just use IDX.");
        return -1;
    }
    return 0;
}

/* The bytes of a string value, or "" for a missing key (buf: >= 21 bytes
 * for int-encoded values). */
static const char *lcs_bytes(const sobj *o, char *buf, size_t *len) {
    if (!o) {
        *len = 0;
        return "";
    }
    return obj_string_bytes(o, buf, len);
}

/* Allocates and fills the table; replies and returns -1 when the table
 * would exceed proto-max-bulk-len (the transient memory cap Redis uses). */
static int lcs_build(client *c, lcs_ctx *x) {
    unsigned long long cells = (x->alen + 1ULL) * (x->blen + 1ULL);
    unsigned long long bytes = cells * sizeof(uint32_t);
    if (bytes / sizeof(uint32_t) != cells || bytes > (unsigned long long)max_bulk_len(c->srv)) {
        add_reply_error(c, "ERR Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len");
        return -1;
    }
    x->tab = sk_malloc((size_t)bytes);
    for (uint32_t i = 0; i <= x->alen; i++) {
        for (uint32_t j = 0; j <= x->blen; j++) {
            if (i == 0 || j == 0)
                LCS_AT(x, i, j) = 0;
            else if (x->a[i - 1] == x->b[j - 1])
                LCS_AT(x, i, j) = LCS_AT(x, i - 1, j - 1) + 1;
            else if (LCS_AT(x, i - 1, j) > LCS_AT(x, i, j - 1))
                LCS_AT(x, i, j) = LCS_AT(x, i - 1, j);
            else
                LCS_AT(x, i, j) = LCS_AT(x, i, j - 1);
        }
    }
    return 0;
}

typedef struct lcs_range {
    uint32_t a_start, a_end, b_start, b_end;
} lcs_range;

/* Returns 1 if the range was long enough to be emitted. */
static int lcs_emit_range(client *c, const lcs_opts *o, const lcs_range *r) {
    uint32_t match_len = r->a_end - r->a_start + 1;
    if (o->minmatchlen != 0 && (long long)match_len < o->minmatchlen) return 0;
    add_reply_array(c, 2 + o->withmatchlen);
    add_reply_array(c, 2);
    add_reply_int(c, r->a_start);
    add_reply_int(c, r->a_end);
    add_reply_array(c, 2);
    add_reply_int(c, r->b_start);
    add_reply_int(c, r->b_end);
    if (o->withmatchlen) add_reply_int(c, match_len);
    return 1;
}

/* Walks the table back from (alen, blen) writing the LCS into result and,
 * with IDX, emitting the matched ranges from the end (Redis's order).
 * Returns the number of ranges emitted. */
static long long lcs_backtrack(client *c, const lcs_opts *o, const lcs_ctx *x, char *result) {
    uint32_t idx = LCS_AT(x, x->alen, x->blen);
    uint32_t i = x->alen, j = x->blen;
    lcs_range r = {x->alen, 0, 0, 0}; /* a_start == alen: no range open */
    long long ranges = 0;
    while (i > 0 && j > 0) {
        int emit = 0;
        if (x->a[i - 1] == x->b[j - 1]) {
            result[idx - 1] = x->a[i - 1];
            if (r.a_start == x->alen) {
                r = (lcs_range){i - 1, i - 1, j - 1, j - 1};
            } else if (r.a_start == i && r.b_start == j) {
                r.a_start--; /* contiguous: extend backwards */
                r.b_start--;
            } else {
                emit = 1;
            }
            if (r.a_start == 0 || r.b_start == 0) emit = 1;
            idx--;
            i--;
            j--;
        } else {
            if (LCS_AT(x, i - 1, j) > LCS_AT(x, i, j - 1))
                i--;
            else
                j--;
            if (r.a_start != x->alen) emit = 1;
        }
        if (emit) {
            if (o->getidx) ranges += lcs_emit_range(c, o, &r);
            r.a_start = x->alen;
        }
    }
    return ranges;
}

static void lcs_reply(client *c, const lcs_opts *o, const lcs_ctx *x) {
    uint32_t total = LCS_AT(x, x->alen, x->blen);
    char *result = o->getidx || !o->getlen ? sk_malloc((size_t)total + 1) : NULL;
    if (o->getidx) {
        add_reply_map(c, 2);
        add_reply_bulk_cstr(c, "matches");
        size_t handle = add_reply_deferred_len(c);
        long long ranges = lcs_backtrack(c, o, x, result);
        set_deferred_array_len(c, handle, ranges);
        add_reply_bulk_cstr(c, "len");
        add_reply_int(c, total);
    } else if (o->getlen) {
        add_reply_int(c, total);
    } else {
        lcs_backtrack(c, o, x, result);
        add_reply_bulk(c, result, total);
    }
    sk_free(result);
}

static void lcs_command(client *c) {
    sobj *oa = db_lookup_read(c, c->argv[1]);
    sobj *ob = db_lookup_read(c, c->argv[2]);
    if ((oa && oa->type != OBJ_STRING) || (ob && ob->type != OBJ_STRING)) {
        add_reply_error(c, "ERR The specified keys must contain string values");
        return;
    }
    lcs_opts opts = {0};
    if (lcs_parse(c, &opts) < 0) return;

    char abuf[32], bbuf[32];
    size_t alen, blen;
    lcs_ctx x = {0};
    x.a = lcs_bytes(oa, abuf, &alen);
    x.b = lcs_bytes(ob, bbuf, &blen);
    if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1) {
        add_reply_error(c, "ERR String too long for LCS");
        return;
    }
    x.alen = (uint32_t)alen;
    x.blen = (uint32_t)blen;
    if (lcs_build(c, &x) < 0) return;
    lcs_reply(c, &opts, &x);
    sk_free(x.tab);
}

/* ---------------------------------------------------------------- table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

const command cmds_string[] = {
    {"get", get_command, 2, R | F, 1, 1, 1, "string", "Get the value of a key", "1.0.0", NULL},
    {"set", set_command, -3, W | D, 1, 1, 1, "string", "Set the string value of a key", "1.0.0",
     NULL},
    {"setnx", setnx_command, 3, W | D | F, 1, 1, 1, "string",
     "Set the value of a key, only if the key does not exist", "1.0.0", NULL},
    {"setex", setex_command, 4, W | D, 1, 1, 1, "string", "Set the value and expiration of a key",
     "2.0.0", NULL},
    {"psetex", psetex_command, 4, W | D, 1, 1, 1, "string",
     "Set the value and expiration in milliseconds of a key", "2.6.0", NULL},
    {"getset", getset_command, 3, W | D | F, 1, 1, 1, "string",
     "Set the string value of a key and return its old value", "1.0.0", NULL},
    {"getdel", getdel_command, 2, W | F, 1, 1, 1, "string",
     "Get the value of a key and delete the key", "6.2.0", NULL},
    {"getex", getex_command, -2, W | F, 1, 1, 1, "string",
     "Get the value of a key and optionally set its expiration", "6.2.0", NULL},
    {"mget", mget_command, -2, R | F, 1, -1, 1, "string", "Get the values of all the given keys",
     "1.0.0", NULL},
    {"mset", mset_command, -3, W | D, 1, -1, 2, "string", "Set multiple keys to multiple values",
     "1.0.1", NULL},
    {"msetnx", msetnx_command, -3, W | D, 1, -1, 2, "string",
     "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", NULL},
    {"incr", incr_command, 2, W | D | F, 1, 1, 1, "string",
     "Increment the integer value of a key by one", "1.0.0", NULL},
    {"decr", decr_command, 2, W | D | F, 1, 1, 1, "string",
     "Decrement the integer value of a key by one", "1.0.0", NULL},
    {"incrby", incrby_command, 3, W | D | F, 1, 1, 1, "string",
     "Increment the integer value of a key by the given amount", "1.0.0", NULL},
    {"decrby", decrby_command, 3, W | D | F, 1, 1, 1, "string",
     "Decrement the integer value of a key by the given number", "1.0.0", NULL},
    {"incrbyfloat", incrbyfloat_command, 3, W | D | F, 1, 1, 1, "string",
     "Increment the float value of a key by the given amount", "2.6.0", NULL},
    {"append", append_command, 3, W | D | F, 1, 1, 1, "string", "Append a value to a key", "2.0.0",
     NULL},
    {"strlen", strlen_command, 2, R | F, 1, 1, 1, "string",
     "Get the length of the value stored in a key", "2.2.0", NULL},
    {"setrange", setrange_command, 4, W | D, 1, 1, 1, "string",
     "Overwrite part of a string at key starting at the specified offset", "2.2.0", NULL},
    {"getrange", getrange_command, 4, R, 1, 1, 1, "string",
     "Get a substring of the string stored at a key", "2.4.0", NULL},
    {"substr", getrange_command, 4, R, 1, 1, 1, "string",
     "Get a substring of the string stored at a key", "1.0.0", NULL},
    {"lcs", lcs_command, -3, R, 1, 2, 1, "string", "Find longest common substring", "7.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
