/* t_hash.c - the hash type: listpack / hashtable encodings and the H*
 * commands with Redis 7.0's replies, errors and corner cases.
 *
 * Encoding rules follow Redis 7.0 exactly (they are observable through
 * OBJECT ENCODING): writers first check the lengths of all their arguments
 * (hash_try_conversion), then each insertion checks the field count. HSETNX
 * of an existing field and HINCRBY* check only what they store.
 */
#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/listpack.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "server.h"
#include "scan.h"
#include "t_hash.h"
#include "propagate.h"

#define DEFAULT_MAX_ENTRIES 128
#define DEFAULT_MAX_VALUE 64
#define LD_STR_MAX 5120          /* room for any finite long double in "%.17Lf" */
#define MEM_USAGE_SAMPLES 64     /* hashtable entries measured by mem_usage */
#define RANDFIELD_SUB_STRATEGY 3 /* Redis's HRANDFIELD_SUB_STRATEGY_MUL */

/* Hashtable encoding: one allocation per field. The dict key is an sstr
 * holding the field; the value is stored in the same block right after the
 * field's NUL, and the entry's v.u64 is its length. Saves an allocation
 * (and its allocator overhead) per field against a separate value sstr. */
static const dict_type hash_dict_type = {
    .hash = dict_hash_sstr,
    .key_equal = dict_sstr_equal,
    .key_free = dict_sstr_free,
    .val_free = NULL,
};

/* A set of borrowed keys (HRANDFIELD's distinct picks). */
static const dict_type borrowed_set_type = {
    .hash = dict_hash_sstr,
    .key_equal = dict_sstr_equal,
    .key_free = NULL,
    .val_free = NULL,
};

static const dict_type owned_set_type = {
    .hash = dict_hash_sstr,
    .key_equal = dict_sstr_equal,
    .key_free = dict_sstr_free,
    .val_free = NULL,
};

/* ------------------------------------------------------------ field blocks */

static sstr pair_new(const void *field, size_t flen, const void *value, size_t vlen) {
    sstr s = sstr_new(NULL, flen + 1 + vlen);
    memcpy(s, field, flen);
    if (vlen) memcpy(s + flen + 1, value, vlen);
    sstr_set_len(s, flen);
    return s;
}

static const char *pair_value(const dict_entry *de) {
    const char *k = de->key;
    return k + sstr_len((const sstr)k) + 1;
}

static size_t pair_vlen(const dict_entry *de) {
    return (size_t)de->v.u64;
}

/* Replaces the value; the block moves when the new value does not fit
 * (same field bytes, so the entry stays in its bucket). */
static void pair_set_value(dict_entry *de, const void *value, size_t vlen) {
    sstr k = de->key;
    size_t flen = sstr_len(k);
    if (vlen < sstr_avail(k)) {
        if (vlen) memmove(k + flen + 1, value, vlen);
    } else {
        de->key = pair_new(k, flen, value, vlen);
        sstr_free(k);
    }
    de->v.u64 = vlen;
}

/* ------------------------------------------------------------ encoding */

static size_t max_entries(const server *srv) {
    if (!srv || !srv->cfg) return DEFAULT_MAX_ENTRIES;
    return (size_t)srv->cfg->hash_max_listpack_entries;
}

static size_t max_value(const server *srv) {
    if (!srv || !srv->cfg) return DEFAULT_MAX_VALUE;
    return (size_t)srv->cfg->hash_max_listpack_value;
}

sobj *hash_new(void) {
    return obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp_new(0));
}

unsigned long hash_length(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return lp_length(o->ptr) / 2;
    return (unsigned long)dict_size(o->ptr);
}

static sstr lp_entry_sstr(const unsigned char *p) {
    unsigned char buf[LP_INTBUF_SIZE];
    uint32_t len;
    const unsigned char *s = lp_get_str(p, &len, buf);
    return sstr_new(s, len);
}

void hash_convert_to_ht(sobj *o) {
    if (o->encoding != OBJ_ENC_LISTPACK) return;
    unsigned char *lp = o->ptr;
    dict *d = dict_create(&hash_dict_type);
    unsigned char *fp = lp_first(lp);
    while (fp) {
        unsigned char *vp = lp_next(lp, fp);
        unsigned char fb[LP_INTBUF_SIZE], vb[LP_INTBUF_SIZE];
        uint32_t flen, vlen;
        const unsigned char *f = lp_get_str(fp, &flen, fb);
        const unsigned char *v = lp_get_str(vp, &vlen, vb);
        sstr pair = pair_new(f, flen, v, vlen);
        dict_entry *de = dict_add_raw(d, pair, NULL);
        /* Validated listpacks have unique fields; keep the first if not. */
        if (de)
            de->v.u64 = vlen;
        else
            sstr_free(pair);
        fp = lp_next(lp, vp);
    }
    lp_free(lp);
    o->ptr = d;
    o->encoding = OBJ_ENC_HT;
}

void hash_convert_if_needed(const server *srv, sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK && hash_length(o) > max_entries(srv)) hash_convert_to_ht(o);
}

/* Before a write of argv[first..last]: any argument over the value limit,
 * or a total the listpack cannot take, converts the hash first. */
static void hash_try_conversion(const server *srv, sobj *o, sstr *argv, int first, int last) {
    if (o->encoding != OBJ_ENC_LISTPACK) return;
    size_t limit = max_value(srv), sum = 0;
    for (int i = first; i <= last; i++) {
        size_t len = sstr_len(argv[i]);
        if (len > limit) {
            hash_convert_to_ht(o);
            return;
        }
        sum += len;
    }
    if (!lp_safe_to_add(o->ptr, sum)) hash_convert_to_ht(o);
}

/* Field's value entry in a listpack hash, or NULL. */
static unsigned char *lp_hash_find(const unsigned char *lp, const void *field, size_t flen) {
    unsigned char *fp = lp_first(lp);
    if (!fp) return NULL;
    fp = lp_find(lp, fp, field, flen, 1);
    return fp ? lp_next(lp, fp) : NULL;
}

/* A value read from a hash: bytes borrowed from it or formatted into buf. */
typedef struct hval {
    const char *p;
    size_t len;
    unsigned char buf[LP_INTBUF_SIZE];
} hval;

static int hash_get_hval(const sobj *o, const sstr field, hval *v) {
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *vp = lp_hash_find(o->ptr, field, sstr_len(field));
        if (!vp) return 0;
        uint32_t len;
        v->p = (const char *)lp_get_str(vp, &len, v->buf);
        v->len = len;
        return 1;
    }
    dict_entry *de = dict_find(o->ptr, field);
    if (!de) return 0;
    v->p = pair_value(de);
    v->len = pair_vlen(de);
    return 1;
}

int hash_get(const sobj *o, const sstr field, const char **value, size_t *vlen,
             unsigned char buf[LP_INTBUF_SIZE]) {
    hval v;
    if (!hash_get_hval(o, field, &v)) return 0;
    if (v.p == (const char *)v.buf) {
        memcpy(buf, v.buf, v.len);
        v.p = (const char *)buf;
    }
    *value = v.p;
    *vlen = v.len;
    return 1;
}

static int hash_exists(const sobj *o, const sstr field) {
    if (o->encoding == OBJ_ENC_LISTPACK)
        return lp_hash_find(o->ptr, field, sstr_len(field)) != NULL;
    return dict_find(o->ptr, field) != NULL;
}

int hash_set(const server *srv, sobj *o, const sstr field, const void *value, size_t vlen) {
    size_t flen = sstr_len(field);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        /* HINCRBY* reach here without hash_try_conversion. */
        if (flen > max_value(srv) || vlen > max_value(srv)) hash_convert_to_ht(o);
    }
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        unsigned char *vp = lp_hash_find(lp, field, flen);
        int update = vp != NULL;
        if (update) {
            lp = lp_replace(lp, &vp, value, vlen);
        } else {
            lp = lp_append(lp, (const unsigned char *)field, flen);
            lp = lp_append(lp, value, vlen);
        }
        o->ptr = lp;
        if (!update && hash_length(o) > max_entries(srv)) hash_convert_to_ht(o);
        return update;
    }
    dict_entry *existing = NULL;
    dict_entry *de = dict_add_raw(o->ptr, field, &existing);
    if (!de) {
        pair_set_value(existing, value, vlen);
        return 1;
    }
    /* dict_add_raw stored the caller's key: give the dict its own block. */
    de->key = pair_new(field, flen, value, vlen);
    de->v.u64 = vlen;
    return 0;
}

int hash_delete(sobj *o, const sstr field) {
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *lp = o->ptr;
        unsigned char *fp = lp_first(lp);
        if (fp) fp = lp_find(lp, fp, field, sstr_len(field), 1);
        if (!fp) return 0;
        o->ptr = lp_delete_range_at(lp, &fp, 2);
        return 1;
    }
    if (dict_delete(o->ptr, field) != 0) return 0;
    if (dict_needs_shrink(o->ptr)) dict_resize(o->ptr);
    return 1;
}

/* ------------------------------------------------------------ iteration */

void hash_iter_init(hash_iter *it, const sobj *o) {
    memset(it, 0, sizeof(*it));
    it->o = o;
    if (o->encoding == OBJ_ENC_HT) dict_iter_init(&it->di, o->ptr, 0);
}

int hash_iter_next(hash_iter *it) {
    if (it->o->encoding == OBJ_ENC_HT) {
        it->de = dict_iter_next(&it->di);
        return it->de != NULL;
    }
    const unsigned char *lp = it->o->ptr;
    if (!it->started) {
        it->started = 1;
        it->fp = lp_first(lp);
    } else if (it->fp) {
        it->fp = lp_next(lp, it->vp);
    }
    if (!it->fp) return 0;
    it->vp = lp_next(lp, it->fp);
    return 1;
}

static const char *lp_bytes_of(const unsigned char *p, size_t *len,
                               unsigned char buf[LP_INTBUF_SIZE]) {
    uint32_t l;
    const unsigned char *s = lp_get_str(p, &l, buf);
    *len = l;
    return (const char *)s;
}

const char *hash_iter_field(hash_iter *it, size_t *len, unsigned char buf[LP_INTBUF_SIZE]) {
    if (it->o->encoding == OBJ_ENC_HT) {
        *len = sstr_len(it->de->key);
        return it->de->key;
    }
    return lp_bytes_of(it->fp, len, buf);
}

const char *hash_iter_value(hash_iter *it, size_t *len, unsigned char buf[LP_INTBUF_SIZE]) {
    if (it->o->encoding == OBJ_ENC_HT) {
        *len = pair_vlen(it->de);
        return pair_value(it->de);
    }
    return lp_bytes_of(it->vp, len, buf);
}

void hash_iter_release(hash_iter *it) {
    if (it->o->encoding == OBJ_ENC_HT) dict_iter_release(&it->di);
}

/* ------------------------------------------------------------ validation */

struct validate_state {
    unsigned long count;
    dict *seen; /* owned copies of the fields */
};

static int validate_pair_entry(const unsigned char *p, unsigned int head_count, void *ud) {
    struct validate_state *st = ud;
    if (st->count == 0 && head_count != LP_NUMELE_UNKNOWN && head_count % 2) return 0;
    int is_field = st->count % 2 == 0;
    st->count++;
    if (!is_field) return 1;
    sstr f = lp_entry_sstr(p);
    if (dict_add(st->seen, f, NULL) != 0) {
        sstr_free(f);
        return 0;
    }
    return 1;
}

int hash_validate_listpack(const unsigned char *lp, size_t size) {
    struct validate_state st = {0, dict_create(&owned_set_type)};
    int ok = lp_validate_cb(lp, size, validate_pair_entry, &st);
    if (ok && st.count % 2) ok = 0;
    dict_release(st.seen);
    return ok;
}

/* ------------------------------------------------------------ type ops */

static void hash_free_value(sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK)
        lp_free(o->ptr);
    else
        dict_release(o->ptr);
}

static sobj *hash_dup(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return obj_new(OBJ_HASH, OBJ_ENC_LISTPACK, lp_dup(o->ptr));
    dict *d = dict_create(&hash_dict_type);
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, o->ptr, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        dict_entry *nde = dict_add_raw(
            d, pair_new(de->key, sstr_len(de->key), pair_value(de), pair_vlen(de)), NULL);
        nde->v.u64 = pair_vlen(de);
    }
    dict_iter_release(&it);
    return obj_new(OBJ_HASH, OBJ_ENC_HT, d);
}

/* Tables plus the strings of a sample of entries scaled to the whole, as
 * Redis's MEMORY USAGE estimates (a full walk could stall the server). */
static size_t hash_mem_usage(const sobj *o) {
    if (o->encoding == OBJ_ENC_LISTPACK) return lp_bytes(o->ptr);
    dict *d = o->ptr;
    size_t total = dict_mem_usage(d), sampled = 0, bytes = 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, d, 0);
    while (sampled < MEM_USAGE_SAMPLES && (de = dict_iter_next(&it)) != NULL) {
        bytes += sstr_alloc_size(de->key);
        sampled++;
    }
    dict_iter_release(&it);
    if (sampled) total += (size_t)((double)bytes / (double)sampled * (double)dict_size(d));
    return total;
}

static const obj_type_ops hash_ops = {
    .name = "hash",
    .free_value = hash_free_value,
    .dup = hash_dup,
    .mem_usage = hash_mem_usage,
};

void hash_register_type(void) {
    obj_register_type(OBJ_HASH, &hash_ops);
}

/* ------------------------------------------------------------ helpers */

static int check_hash(client *c, const sobj *o) {
    if (o && o->type != OBJ_HASH) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

/* The hash at key for writing, created empty (and stored) when missing;
 * NULL after a WRONGTYPE reply. */
static sobj *lookup_write_or_create(client *c, const sstr key) {
    sobj *o = db_lookup_write(c, key);
    if (check_hash(c, o) < 0) return NULL;
    if (!o) {
        o = hash_new();
        db_add(c->srv, c->db, key, o);
    }
    return o;
}

static void reply_hval(client *c, const hval *v) {
    add_reply_bulk(c, v->p, v->len);
}

static void reply_iter_field(client *c, hash_iter *it) {
    unsigned char buf[LP_INTBUF_SIZE];
    size_t len;
    const char *p = hash_iter_field(it, &len, buf);
    add_reply_bulk(c, p, len);
}

static void reply_iter_value(client *c, hash_iter *it) {
    unsigned char buf[LP_INTBUF_SIZE];
    size_t len;
    const char *p = hash_iter_value(it, &len, buf);
    add_reply_bulk(c, p, len);
}

static void reply_lp_entry(client *c, const unsigned char *p) {
    unsigned char buf[LP_INTBUF_SIZE];
    size_t len;
    const char *s = lp_bytes_of(p, &len, buf);
    add_reply_bulk(c, s, len);
}

/* ------------------------------------------------------------ writes */

static void hset_generic(client *c, int is_hmset) {
    if (c->argc % 2 == 1) {
        add_reply_arity_error(c);
        return;
    }
    sobj *o = lookup_write_or_create(c, c->argv[1]);
    if (!o) return;
    hash_try_conversion(c->srv, o, c->argv, 2, c->argc - 1);
    long long created = 0;
    for (int j = 2; j < c->argc; j += 2) {
        sstr v = c->argv[j + 1];
        created += !hash_set(c->srv, o, c->argv[j], v, sstr_len(v));
    }
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty += (c->argc - 2) / 2;
    if (is_hmset)
        add_reply_ok(c);
    else
        add_reply_int(c, created);
}

static void hset_command(client *c) {
    hset_generic(c, 0);
}

static void hmset_command(client *c) {
    hset_generic(c, 1);
}

static void hsetnx_command(client *c) {
    sobj *o = lookup_write_or_create(c, c->argv[1]);
    if (!o) return;
    if (hash_exists(o, c->argv[2])) {
        add_reply_int(c, 0);
        return;
    }
    hash_try_conversion(c->srv, o, c->argv, 2, 3);
    hash_set(c->srv, o, c->argv[2], c->argv[3], sstr_len(c->argv[3]));
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    add_reply_int(c, 1);
}

static void hdel_command(client *c) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (check_hash(c, o) < 0) return;
    long long deleted = 0;
    int removed = 0;
    for (int j = 2; j < c->argc; j++) {
        if (!hash_delete(o, c->argv[j])) continue;
        deleted++;
        if (hash_length(o) == 0) {
            db_delete(c->srv, c->db, c->argv[1]);
            removed = 1;
            break;
        }
    }
    if (deleted) {
        if (!removed) db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty += deleted;
    }
    add_reply_int(c, deleted);
}

static int checked_add(long long a, long long b, long long *out) {
    if ((b < 0 && a < 0 && b < LLONG_MIN - a) || (b > 0 && a > 0 && b > LLONG_MAX - a)) return 0;
    *out = a + b;
    return 1;
}

static void hincrby_command(client *c) {
    long long incr, value = 0;
    if (get_ll_from_arg(c, 3, &incr, NULL) < 0) return;
    sobj *o = lookup_write_or_create(c, c->argv[1]);
    if (!o) return;
    hval v;
    if (hash_get_hval(o, c->argv[2], &v) && !util_str_to_ll(v.p, v.len, &value)) {
        add_reply_error(c, "ERR hash value is not an integer");
        return;
    }
    if (!checked_add(value, incr, &value)) {
        add_reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    char buf[32];
    int len = util_ll_to_str(buf, sizeof(buf), value);
    hash_set(c->srv, o, c->argv[2], buf, (size_t)len);
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    add_reply_int(c, value);
}

static void hincrbyfloat_command(client *c) {
    long double incr, value = 0;
    if (get_ld_from_arg(c, 3, &incr, NULL) < 0) return;
    if (isnan(incr) || isinf(incr)) {
        add_reply_error(c, "ERR value is NaN or Infinity");
        return;
    }
    sobj *o = lookup_write_or_create(c, c->argv[1]);
    if (!o) return;
    hval v;
    if (hash_get_hval(o, c->argv[2], &v) && !util_str_to_ld(v.p, v.len, &value)) {
        add_reply_error(c, "ERR hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        add_reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_STR_MAX];
    int len = util_ld_to_str(buf, sizeof(buf), value);
    hash_set(c->srv, o, c->argv[2], buf, (size_t)len);
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    /* Float arithmetic may differ elsewhere: replay the result (as Redis). */
    if (propagate_active(c->srv))
        propagate_rewrite(c,
                          propagate_argv(4, sstr_from_cstr("HSET"), sstr_dup(c->argv[1]),
                                         sstr_dup(c->argv[2]), sstr_new(buf, (size_t)len)),
                          4);
    add_reply_bulk(c, buf, (size_t)len);
}

/* ------------------------------------------------------------ reads */

static void hget_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    hval v;
    if (o && hash_get_hval(o, c->argv[2], &v))
        reply_hval(c, &v);
    else
        add_reply_null(c);
}

static void hmget_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    add_reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        hval v;
        if (o && hash_get_hval(o, c->argv[j], &v))
            reply_hval(c, &v);
        else
            add_reply_null(c);
    }
}

static void hlen_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    add_reply_int(c, o ? (long long)hash_length(o) : 0);
}

static void hstrlen_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    hval v;
    add_reply_int(c, o && hash_get_hval(o, c->argv[2], &v) ? (long long)v.len : 0);
}

static void hexists_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    add_reply_int(c, o && hash_exists(o, c->argv[2]));
}

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

static void getall_generic(client *c, int want) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (check_hash(c, o) < 0) return;
    long long n = o ? (long long)hash_length(o) : 0;
    if (want == (WANT_FIELDS | WANT_VALUES))
        add_reply_map(c, n);
    else
        add_reply_array(c, n);
    if (!o) return;
    hash_iter it;
    hash_iter_init(&it, o);
    while (hash_iter_next(&it)) {
        if (want & WANT_FIELDS) reply_iter_field(c, &it);
        if (want & WANT_VALUES) reply_iter_value(c, &it);
    }
    hash_iter_release(&it);
}

static void hkeys_command(client *c) {
    getall_generic(c, WANT_FIELDS);
}

static void hvals_command(client *c) {
    getall_generic(c, WANT_VALUES);
}

static void hgetall_command(client *c) {
    getall_generic(c, WANT_FIELDS | WANT_VALUES);
}

/* ------------------------------------------------------------ HRANDFIELD */

static unsigned long rand_below(unsigned long n) {
    return (unsigned long)(util_rand64() % n);
}

/* Field entry pointers of a listpack hash (owned array of hash_length). */
static unsigned char **lp_field_index(const unsigned char *lp, unsigned long n) {
    unsigned char **fields = sk_malloc((n ? n : 1) * sizeof(*fields));
    unsigned char *fp = lp_first(lp);
    for (unsigned long i = 0; i < n && fp; i++) {
        fields[i] = fp;
        fp = lp_next(lp, lp_next(lp, fp));
    }
    return fields;
}

/* One pair of the reply: [f, v] nested in RESP3 with values, flat in RESP2. */
static void reply_pair_lp(client *c, const unsigned char *lp, unsigned char *fp, int withvalues) {
    if (withvalues && c->resp > 2) add_reply_array(c, 2);
    reply_lp_entry(c, fp);
    if (withvalues) reply_lp_entry(c, lp_next(lp, fp));
}

static void reply_pair_de(client *c, const dict_entry *de, int withvalues) {
    if (withvalues && c->resp > 2) add_reply_array(c, 2);
    add_reply_bulk_sstr(c, de->key);
    if (withvalues) add_reply_bulk(c, pair_value(de), pair_vlen(de));
}

static void reply_rand_header(client *c, unsigned long count, int withvalues) {
    if (withvalues && c->resp == 2)
        add_reply_array(c, (long long)count * 2);
    else
        add_reply_array(c, (long long)count);
}

/* Negative count: count picks with repetition, in random order. */
static void randfield_repeat(client *c, sobj *o, unsigned long count, int withvalues) {
    reply_rand_header(c, count, withvalues);
    unsigned long size = hash_length(o);
    unsigned char **fields = NULL;
    if (o->encoding == OBJ_ENC_LISTPACK) fields = lp_field_index(o->ptr, size);
    while (count--) {
        if (fields)
            reply_pair_lp(c, o->ptr, fields[rand_below(size)], withvalues);
        else
            reply_pair_de(c, dict_random_entry(o->ptr), withvalues);
        /* A reply over the output limit closes the client: stop early. */
        if (c->flags & CLIENT_CLOSE_ASAP) break;
    }
    sk_free(fields);
}

/* count distinct fields of a listpack in listpack order (selection
 * sampling: each field is taken with probability needed/remaining). */
static void randfield_unique_lp(client *c, sobj *o, unsigned long count, int withvalues) {
    unsigned long size = hash_length(o), needed = count;
    const unsigned char *lp = o->ptr;
    reply_rand_header(c, count, withvalues);
    unsigned char *fp = lp_first(lp);
    for (unsigned long i = 0; i < size && needed; i++) {
        if (rand_below(size - i) < needed) {
            reply_pair_lp(c, lp, fp, withvalues);
            needed--;
        }
        fp = lp_next(lp, lp_next(lp, fp));
    }
}

/* count distinct fields of a hashtable, random order. Near the size, a
 * partial shuffle of all entries; far below it, random picks de-duplicated
 * through a set (Redis's CASE 3 / CASE 4). */
static void randfield_unique_ht(client *c, sobj *o, unsigned long count, int withvalues) {
    dict *d = o->ptr;
    unsigned long size = dict_size(d);
    reply_rand_header(c, count, withvalues);
    if (count * RANDFIELD_SUB_STRATEGY > size) {
        dict_entry **all = sk_malloc(size * sizeof(*all));
        dict_iter it;
        dict_entry *de;
        unsigned long n = 0;
        dict_iter_init(&it, d, 0);
        while ((de = dict_iter_next(&it)) != NULL && n < size)
            all[n++] = de;
        dict_iter_release(&it);
        for (unsigned long i = 0; i < count; i++) {
            unsigned long j = i + rand_below(n - i);
            dict_entry *t = all[i];
            all[i] = all[j];
            all[j] = t;
            reply_pair_de(c, all[i], withvalues);
        }
        sk_free(all);
        return;
    }
    dict *seen = dict_create(&borrowed_set_type);
    unsigned long added = 0;
    while (added < count) {
        dict_entry *de = dict_random_entry(d);
        if (dict_add(seen, de->key, NULL) != 0) continue;
        reply_pair_de(c, de, withvalues);
        added++;
    }
    dict_release(seen);
}

static void hrandfield_with_count(client *c, long long l, int withvalues) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_array(c, 0);
        return;
    }
    if (check_hash(c, o) < 0) return;
    unsigned long size = hash_length(o);
    if (l == 0) {
        add_reply_array(c, 0);
        return;
    }
    if (l < 0) {
        randfield_repeat(c, o, (unsigned long)-l, withvalues);
        return;
    }
    unsigned long count = (unsigned long)l;
    if (count == 1) {
        randfield_repeat(c, o, 1, withvalues);
        return;
    }
    if (count >= size) {
        reply_rand_header(c, size, withvalues);
        hash_iter it;
        hash_iter_init(&it, o);
        while (hash_iter_next(&it)) {
            if (withvalues && c->resp > 2) add_reply_array(c, 2);
            reply_iter_field(c, &it);
            if (withvalues) reply_iter_value(c, &it);
        }
        hash_iter_release(&it);
        return;
    }
    if (o->encoding == OBJ_ENC_LISTPACK)
        randfield_unique_lp(c, o, count, withvalues);
    else
        randfield_unique_ht(c, o, count, withvalues);
}

static void hrandfield_command(client *c) {
    if (c->argc >= 3) {
        long long l;
        if (get_ll_from_arg(c, 2, &l, NULL) < 0) return;
        if (l < -LLONG_MAX) {
            add_reply_errorf(c, "ERR value is out of range, value must between %lld and %lld",
                             -LLONG_MAX, LLONG_MAX);
            return;
        }
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !arg_is(c, 3, "withvalues"))) {
            add_reply_syntax_error(c);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                add_reply_error(c, "ERR value is out of range");
                return;
            }
        }
        hrandfield_with_count(c, l, withvalues);
        return;
    }
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return;
    }
    if (check_hash(c, o) < 0) return;
    unsigned long size = hash_length(o);
    if (o->encoding == OBJ_ENC_LISTPACK) {
        unsigned char *fp = lp_seek(o->ptr, (long)(2 * rand_below(size)));
        reply_lp_entry(c, fp);
    } else {
        add_reply_bulk_sstr(c, dict_random_entry(o->ptr)->key);
    }
}

/* ------------------------------------------------------------ HSCAN */

/* Field/value copies collected by a scan, flat: f0 v0 f1 v1 ... */
typedef struct pair_list {
    sstr *v;
    size_t n, cap;
} pair_list;

static void pair_list_push(pair_list *l, sstr s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = sk_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = s;
}

static void scan_collect(void *priv, const dict_entry *de) {
    pair_list *l = priv;
    pair_list_push(l, sstr_dup(de->key));
    pair_list_push(l, sstr_new(pair_value(de), pair_vlen(de)));
}

static void hscan_reply(client *c, unsigned long long cursor, pair_list *l, const scan_opts *opt) {
    size_t kept = 0;
    for (size_t i = 0; i + 1 < l->n; i += 2) {
        sstr f = l->v[i], v = l->v[i + 1];
        if (!scan_matches(opt, f, sstr_len(f))) {
            sstr_free(f);
            sstr_free(v);
            continue;
        }
        l->v[kept++] = f;
        l->v[kept++] = v;
    }
    scan_reply_header(c, cursor, (long long)kept);
    for (size_t i = 0; i < kept; i++) {
        add_reply_bulk_sstr(c, l->v[i]);
        sstr_free(l->v[i]);
    }
    sk_free(l->v);
}

static void hscan_command(client *c) {
    unsigned long long cursor;
    if (scan_parse_cursor(c, 2, &cursor) < 0) return;
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        scan_reply_header(c, 0, 0);
        return;
    }
    if (check_hash(c, o) < 0) return;
    scan_opts opt = {.count = 10};
    if (scan_parse_opts(c, 3, 0, &opt) < 0) return;

    pair_list l = {0};
    if (o->encoding == OBJ_ENC_LISTPACK) {
        /* Compact encodings are returned whole, with cursor 0. */
        for (unsigned char *fp = lp_first(o->ptr); fp;) {
            unsigned char *vp = lp_next(o->ptr, fp);
            pair_list_push(&l, lp_entry_sstr(fp));
            pair_list_push(&l, lp_entry_sstr(vp));
            fp = lp_next(o->ptr, vp);
        }
        cursor = 0;
    } else {
        /* Like Redis, fields and values both count towards COUNT. */
        cursor = scan_dict(o->ptr, cursor, opt.count, scan_collect, &l, &l.n);
    }
    hscan_reply(c, cursor, &l, &opt);
}

/* ------------------------------------------------------------ table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

const command cmds_hash[] = {
    {"hset", hset_command, -4, W | D | F, 1, 1, 1, "hash", "Set the string value of a hash field",
     "2.0.0", NULL},
    {"hsetnx", hsetnx_command, 4, W | D | F, 1, 1, 1, "hash",
     "Set the value of a hash field, only if the field does not exist", "2.0.0", NULL},
    {"hget", hget_command, 3, R | F, 1, 1, 1, "hash", "Get the value of a hash field", "2.0.0",
     NULL},
    {"hmget", hmget_command, -3, R | F, 1, 1, 1, "hash",
     "Get the values of all the given hash fields", "2.0.0", NULL},
    {"hmset", hmset_command, -4, W | D | F, 1, 1, 1, "hash",
     "Set multiple hash fields to multiple values", "2.0.0", NULL},
    {"hdel", hdel_command, -3, W | F, 1, 1, 1, "hash", "Delete one or more hash fields", "2.0.0",
     NULL},
    {"hlen", hlen_command, 2, R | F, 1, 1, 1, "hash", "Get the number of fields in a hash", "2.0.0",
     NULL},
    {"hstrlen", hstrlen_command, 3, R | F, 1, 1, 1, "hash",
     "Get the length of the value of a hash field", "3.2.0", NULL},
    {"hexists", hexists_command, 3, R | F, 1, 1, 1, "hash", "Determine if a hash field exists",
     "2.0.0", NULL},
    {"hincrby", hincrby_command, 4, W | D | F, 1, 1, 1, "hash",
     "Increment the integer value of a hash field by the given number", "2.0.0", NULL},
    {"hincrbyfloat", hincrbyfloat_command, 4, W | D | F, 1, 1, 1, "hash",
     "Increment the float value of a hash field by the given amount", "2.6.0", NULL},
    {"hkeys", hkeys_command, 2, R, 1, 1, 1, "hash", "Get all the fields in a hash", "2.0.0", NULL},
    {"hvals", hvals_command, 2, R, 1, 1, 1, "hash", "Get all the values in a hash", "2.0.0", NULL},
    {"hgetall", hgetall_command, 2, R, 1, 1, 1, "hash", "Get all the fields and values in a hash",
     "2.0.0", NULL},
    {"hrandfield", hrandfield_command, -2, R, 1, 1, 1, "hash",
     "Get one or multiple random fields from a hash", "6.2.0", NULL},
    {"hscan", hscan_command, -3, R, 1, 1, 1, "hash",
     "Incrementally iterate hash fields and associated values", "2.8.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
