/* t_stream.c - stream commands without consumer groups (XADD XLEN XRANGE
 * XREVRANGE XDEL XTRIM XSETID XINFO), the type registration, the shared
 * reply helpers (stream_cmd.h) and the command table. XREAD, XREADGROUP
 * and blocking are in stream_read.c; XGROUP, XACK, XPENDING, XCLAIM and
 * XAUTOCLAIM in stream_cg.c. Semantics and texts are those of Redis 7.0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/err.h"
#include "../core/listpack.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "config.h"
#include "stream_cmd.h"
#include "t_stream.h"
#include "propagate.h"

/* ------------------------------------------------------------- the type */

static void stream_free_value(sobj *o) {
    stream_free(o->ptr);
}

static sobj *stream_dup_value(const sobj *o) {
    return obj_new(OBJ_STREAM, OBJ_ENC_STREAM, stream_dup(o->ptr));
}

static size_t stream_mem_value(const sobj *o) {
    return stream_mem_usage(o->ptr);
}

static const obj_type_ops stream_ops = {"stream", stream_free_value, stream_dup_value,
                                        stream_mem_value};

void stream_register_type(void) {
    obj_register_type(OBJ_STREAM, &stream_ops);
}

sobj *stream_new_object(void) {
    return obj_new(OBJ_STREAM, OBJ_ENC_STREAM, stream_new());
}

/* ------------------------------------------------------ shared helpers */

int scmd_check_type(client *c, const sobj *o) {
    if (o && o->type != OBJ_STREAM) {
        add_reply_wrongtype(c);
        return -1;
    }
    return 0;
}

/* Redis's string2ull: a non-negative long long, or strtoull's full range. */
static int parse_u64(const char *s, unsigned long long *out) {
    long long ll;
    if (util_str_to_ll(s, strlen(s), &ll)) {
        if (ll < 0) return 0;
        *out = (unsigned long long)ll;
        return 1;
    }
    if (!*s) return 0;
    char *end = NULL;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

int scmd_parse_id(const char *arg, size_t len, stream_id *id, uint64_t missing_seq, int strict,
                  int *seq_given) {
    char buf[128];
    if (len > sizeof(buf) - 1) return -1;
    memcpy(buf, arg, len);
    buf[len] = '\0';
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') return -1;
    if (seq_given) *seq_given = 1;
    if (buf[0] == '-' && buf[1] == '\0') {
        *id = (stream_id){0, 0};
        return 0;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        *id = (stream_id){UINT64_MAX, UINT64_MAX};
        return 0;
    }
    unsigned long long ms, seq;
    char *dash = strchr(buf, '-');
    if (dash) *dash = '\0';
    if (!parse_u64(buf, &ms)) return -1;
    if (!dash) {
        seq = missing_seq;
    } else if (seq_given && dash[1] == '*' && dash[2] == '\0') {
        seq = 0;
        *seq_given = 0;
    } else if (!parse_u64(dash + 1, &seq)) {
        return -1;
    }
    id->ms = ms;
    id->seq = seq;
    return 0;
}

static const char invalid_id_msg[] = "ERR Invalid stream ID specified as stream command argument";

int scmd_id_arg(client *c, int i, stream_id *id, uint64_t missing_seq, int strict, int *seq_given) {
    if (scmd_parse_id(c->argv[i], sstr_len(c->argv[i]), id, missing_seq, strict, seq_given) < 0) {
        add_reply_error(c, invalid_id_msg);
        return -1;
    }
    return 0;
}

int scmd_interval_arg(client *c, int i, stream_id *id, uint64_t missing_seq, int is_start) {
    sstr a = c->argv[i];
    size_t len = sstr_len(a);
    int exclusive = len > 1 && a[0] == '(';
    int rc = exclusive ? scmd_parse_id(a + 1, len - 1, id, missing_seq, 1, NULL)
                       : scmd_parse_id(a, len, id, missing_seq, 0, NULL);
    if (rc < 0) {
        add_reply_error(c, invalid_id_msg);
        return -1;
    }
    if (!exclusive) return 0;
    if (is_start && stream_id_incr(id) < 0) {
        add_reply_error(c, "ERR invalid start ID for the interval");
        return -1;
    }
    if (!is_start && stream_id_decr(id) < 0) {
        add_reply_error(c, "ERR invalid end ID for the interval");
        return -1;
    }
    return 0;
}

void scmd_reply_id(client *c, const stream_id *id) {
    char buf[48];
    int n = stream_id_format(buf, id);
    add_reply_bulk(c, buf, (size_t)n);
}

/* [id, [f1, v1, ...]] for the iterator's current entry. */
void scmd_reply_entry(client *c, stream_iter *it) {
    add_reply_array(c, 2);
    scmd_reply_id(c, &it->id);
    add_reply_array(c, it->nfields * 2);
    const unsigned char *f, *v;
    uint32_t fl, vl;
    while (stream_iter_field(it, &f, &fl, &v, &vl)) {
        add_reply_bulk(c, f, fl);
        add_reply_bulk(c, v, vl);
    }
}

/* Emits the entry id as [id, [...]] if it exists; returns 1 if it did. */
int scmd_reply_one(client *c, stream *s, const stream_id *id) {
    stream_iter it;
    stream_iter_start(&it, s, id, id, 0);
    if (!stream_iter_next(&it)) return 0;
    scmd_reply_entry(c, &it);
    return 1;
}

int scmd_entry_exists(stream *s, const stream_id *id) {
    stream_iter it;
    stream_iter_start(&it, s, id, id, 0);
    return stream_iter_next(&it);
}

/* Records a delivery of id to consumer in cg (XREADGROUP without NOACK):
 * a new PEL entry, or an existing one moved to consumer and reset. */
static void deliver_to_pel(stream_cg *cg, stream_consumer *consumer, const stream_id *id,
                           long long now) {
    long i = stream_idmap_find(&cg->pel, id);
    if (i < 0) {
        stream_nack *n = stream_nack_new(consumer, now);
        stream_idmap_insert(&cg->pel, id, n);
        stream_idmap_insert(&consumer->pel, id, n);
        return;
    }
    stream_nack *n = cg->pel.e[i].val;
    stream_idmap_remove(&n->consumer->pel, id);
    n->consumer = consumer;
    n->delivery_time = now;
    n->delivery_count = 1;
    stream_idmap_insert(&consumer->pel, id, n);
}

/* Group bookkeeping for an entry delivered with ">" (Redis 7.0's
 * entries_read tracking). */
static void group_advance(stream *s, stream_cg *cg, const stream_id *id) {
    if (stream_id_cmp(id, &cg->last_id) <= 0) return;
    if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
        !stream_range_has_tombstones(s, id, NULL))
        cg->entries_read++;
    else if (s->entries_added)
        cg->entries_read = stream_estimate_distance(s, id);
    cg->last_id = *id;
}

long long scmd_reply_range(client *c, stream *s, const stream_id *start, const stream_id *end,
                           long long count, int rev, stream_cg *cg, stream_consumer *consumer,
                           int noack, const sstr key) {
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    long long now = server_mstime(c->srv);
    stream_iter it;
    stream_iter_start(&it, s, start, end, rev);
    while ((count == 0 || n < count) && stream_iter_next(&it)) {
        stream_id id = it.id;
        scmd_reply_entry(c, &it);
        n++;
        if (!cg) continue;
        group_advance(s, cg, &id);
        if (noack) continue;
        deliver_to_pel(cg, consumer, &id, now);
        if (key) {
            long i = stream_idmap_find(&cg->pel, &id);
            scmd_propagate_claim(c, key, cg, consumer->name, &id, cg->pel.e[i].val);
        }
    }
    if (cg && key && n > 0) scmd_propagate_setid(c, key, cg);
    set_deferred_array_len(c, h, n);
    return n;
}

static sstr id_sstr(const stream_id *id) {
    char buf[64];
    int len = stream_id_format(buf, id);
    return sstr_new(buf, (size_t)len);
}

void scmd_propagate_claim(client *c, const sstr key, const stream_cg *cg, const sstr consumer,
                          const stream_id *id, const stream_nack *nk) {
    if (!propagate_active(c->srv)) return;
    sstr argv[14] = {sstr_from_cstr("XCLAIM"),
                     key,
                     cg->name,
                     consumer,
                     sstr_from_cstr("0"),
                     id_sstr(id),
                     sstr_from_cstr("TIME"),
                     sstr_from_ll(nk ? nk->delivery_time : 0),
                     sstr_from_cstr("RETRYCOUNT"),
                     sstr_from_ll(nk ? (long long)nk->delivery_count : 0),
                     sstr_from_cstr("FORCE"),
                     sstr_from_cstr("JUSTID"),
                     sstr_from_cstr("LASTID"),
                     id_sstr(&cg->last_id)};
    propagate_also(c, c->db->id, argv, 14);
    for (int i = 0; i < 14; i++)
        if (i < 1 || i > 3) sstr_free(argv[i]);
    propagate_prevent(c);
}

void scmd_propagate_setid(client *c, const sstr key, const stream_cg *cg) {
    if (!propagate_active(c->srv)) return;
    int valid = cg->entries_read != STREAM_ENTRIES_READ_INVALID;
    sstr argv[7] = {sstr_from_cstr("XGROUP"),
                    sstr_from_cstr("SETID"),
                    key,
                    cg->name,
                    id_sstr(&cg->last_id),
                    sstr_from_cstr("ENTRIESREAD"),
                    sstr_from_ll(cg->entries_read)};
    propagate_also(c, c->db->id, argv, valid ? 7 : 5);
    sstr_free(argv[0]);
    sstr_free(argv[1]);
    for (int i = 4; i < 7; i++)
        sstr_free(argv[i]);
    propagate_prevent(c);
}

void scmd_propagate_consumer(client *c, const sstr key, const stream_cg *cg, const sstr consumer) {
    if (!propagate_active(c->srv)) return;
    sstr argv[5] = {sstr_from_cstr("XGROUP"), sstr_from_cstr("CREATECONSUMER"), key, cg->name,
                    consumer};
    propagate_also(c, c->db->id, argv, 5);
    sstr_free(argv[0]);
    sstr_free(argv[1]);
    propagate_prevent(c);
}

/* Last live entry ID (Redis's streamLastValidID); 0-0 when empty. */
void scmd_last_valid_id(const stream *s, stream_id *out) {
    stream_edge_id(s, 0, out);
}

/* ------------------------------------------------------------- XADD/XTRIM */

typedef struct add_args {
    stream_trim_args trim;
    stream_id id;
    int id_given, seq_given, nomkstream;
} add_args;

static int parse_trim_strategy(client *c, int *i, add_args *a, int minid) {
    if (a->trim.kind != STREAM_TRIM_NONE) {
        add_reply_error(
            c, "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return -1;
    }
    int more = c->argc - 1 - *i;
    a->trim.approx = 0;
    const char *next = c->argv[*i + 1];
    if (more >= 2 && (strcmp(next, "~") == 0 || strcmp(next, "=") == 0)) {
        a->trim.approx = next[0] == '~';
        (*i)++;
    }
    if (minid) {
        if (scmd_id_arg(c, *i + 1, &a->trim.minid, 0, 1, NULL) < 0) return -1;
        a->trim.kind = STREAM_TRIM_MINID;
    } else {
        if (get_ll_from_arg(c, *i + 1, &a->trim.maxlen, NULL) < 0) return -1;
        if (a->trim.maxlen < 0) {
            add_reply_error(c, "ERR The MAXLEN argument must be >= 0.");
            return -1;
        }
        a->trim.kind = STREAM_TRIM_MAXLEN;
    }
    (*i)++;
    return 0;
}

static int finish_trim_args(client *c, add_args *a, int xadd, int limit_given) {
    if (a->trim.limit && a->trim.kind == STREAM_TRIM_NONE) {
        add_reply_error(c, "ERR syntax error, LIMIT cannot be used without specifying a trimming "
                           "strategy");
        return -1;
    }
    if (!xadd && a->trim.kind == STREAM_TRIM_NONE) {
        add_reply_error(c, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given) {
        if (!a->trim.approx) {
            add_reply_error(c, "ERR syntax error, LIMIT cannot be used without the special ~ "
                               "option");
            return -1;
        }
    } else if (a->trim.approx) {
        long long entries = c->srv->cfg->stream_node_max_entries;
        a->trim.limit = 100 * entries;
        if (a->trim.limit <= 0 || a->trim.limit > (long long)STREAM_LISTPACK_MAX_SIZE)
            a->trim.limit = 10000;
    } else {
        a->trim.limit = 0;
    }
    return 0;
}

/* Parses XADD / XTRIM options from argument 2; for XADD returns the index
 * of the ID argument, for XTRIM argc; -1 after an error reply. */
static int parse_add_trim_args(client *c, add_args *a, int xadd) {
    memset(a, 0, sizeof(*a));
    int limit_given = 0, i = 2;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const char *opt = c->argv[i];
        if (xadd && strcmp(opt, "*") == 0) break;
        if (!strcasecmp(opt, "maxlen") && more) {
            if (parse_trim_strategy(c, &i, a, 0) < 0) return -1;
        } else if (!strcasecmp(opt, "minid") && more) {
            if (parse_trim_strategy(c, &i, a, 1) < 0) return -1;
        } else if (!strcasecmp(opt, "limit") && more) {
            if (get_ll_from_arg(c, i + 1, &a->trim.limit, NULL) < 0) return -1;
            if (a->trim.limit < 0) {
                add_reply_error(c, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            i++;
        } else if (xadd && !strcasecmp(opt, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (scmd_id_arg(c, i, &a->id, 0, 1, &a->seq_given) < 0) return -1;
            a->id_given = 1;
            break;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (finish_trim_args(c, a, xadd, limit_given) < 0) return -1;
    return i;
}

/* The ID XADD would give; -1 when it is not greater than the top item. */
static int next_add_id(const stream *s, const add_args *a, long long now, stream_id *out) {
    if (a->id_given && a->seq_given) {
        *out = a->id;
    } else if (a->id_given) {
        if (s->last_id.ms == a->id.ms) {
            if (s->last_id.seq == UINT64_MAX) return -1;
            *out = s->last_id;
            out->seq++;
        } else {
            *out = a->id;
        }
    } else if ((uint64_t)now > s->last_id.ms) {
        *out = (stream_id){(uint64_t)now, 0};
    } else {
        *out = s->last_id;
        if (stream_id_incr(out) < 0) return -1;
    }
    return stream_id_cmp(out, &s->last_id) > 0 ? 0 : -1;
}

static stream *lookup_or_create(client *c, const sstr key, int nomkstream) {
    sobj *o = db_lookup_write(c, key);
    if (scmd_check_type(c, o) < 0) return NULL;
    if (o) return o->ptr;
    if (nomkstream) {
        add_reply_null(c);
        return NULL;
    }
    o = stream_new_object();
    db_add(c->srv, c->db, key, o);
    return o->ptr;
}

/* What XADD/XTRIM replay: the ID it chose and, when trimming was asked,
 * the exact length it trimmed to (approximate trimming depends on the node
 * layout, which may differ where the command is replayed). */
static void propagate_add_trim(client *c, const stream *s, const add_args *a, int field_pos,
                               const stream_id *id) {
    if (!propagate_active(c->srv)) return;
    int argc = 2 + (a->nomkstream ? 1 : 0) + (a->trim.kind != STREAM_TRIM_NONE ? 3 : 0) +
               (id ? 1 + c->argc - field_pos : 0);
    sstr *argv = sk_malloc(sizeof(sstr) * (size_t)argc);
    int n = 0;
    argv[n++] = sstr_from_cstr(id ? "XADD" : "XTRIM");
    argv[n++] = sstr_dup(c->argv[1]);
    if (a->nomkstream) argv[n++] = sstr_from_cstr("NOMKSTREAM");
    if (a->trim.kind != STREAM_TRIM_NONE) {
        argv[n++] = sstr_from_cstr("MAXLEN");
        argv[n++] = sstr_from_cstr("=");
        argv[n++] = sstr_from_ll((long long)s->length);
    }
    if (id) {
        char buf[64];
        size_t len = (size_t)stream_id_format(buf, id);
        argv[n++] = sstr_new(buf, len);
        for (int j = field_pos; j < c->argc; j++)
            argv[n++] = sstr_dup(c->argv[j]);
    }
    propagate_rewrite(c, argv, n);
}

static void xadd_command(client *c) {
    add_args a;
    int i = parse_add_trim_args(c, &a, 1);
    if (i < 0) return;
    int field_pos = i + 1;
    if (c->argc - i < 3 || (c->argc - field_pos) % 2 != 0) {
        add_reply_error(c, "ERR wrong number of arguments for 'xadd' command");
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        add_reply_error(c, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    stream *s = lookup_or_create(c, c->argv[1], a.nomkstream);
    if (!s) return;
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        add_reply_error(c, "ERR The stream has exhausted the last possible ID, unable to add more "
                           "items");
        return;
    }
    stream_id id;
    if (next_add_id(s, &a, server_mstime(c->srv), &id) < 0) {
        add_reply_error(c, "ERR The ID specified in XADD is equal or smaller than the target "
                           "stream top item");
        return;
    }
    const server_config *cfg = c->srv->cfg;
    if (stream_append(s, c->argv + field_pos, (c->argc - field_pos) / 2, &id,
                      cfg->stream_node_max_bytes, cfg->stream_node_max_entries) < 0) {
        add_reply_error(c, "ERR Elements are too large to be stored");
        return;
    }
    scmd_reply_id(c, &id);
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    if (a.trim.kind != STREAM_TRIM_NONE) stream_trim(s, &a.trim);
    propagate_add_trim(c, s, &a, field_pos, &id);
    blocking_signal_key_ready(c->srv, c->db, c->argv[1]);
}

static void xtrim_command(client *c) {
    add_args a;
    if (parse_add_trim_args(c, &a, 0) < 0) return;
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (scmd_check_type(c, o) < 0) return;
    long long removed = stream_trim(o->ptr, &a.trim);
    if (removed) {
        db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty += removed;
        propagate_add_trim(c, o->ptr, &a, c->argc, NULL);
    }
    add_reply_int(c, removed);
}

/* ------------------------------------------------------ XLEN/XRANGE/XDEL */

static void xlen_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (scmd_check_type(c, o) < 0) return;
    add_reply_int(c, o ? (long long)((stream *)o->ptr)->length : 0);
}

static void range_generic(client *c, int rev) {
    stream_id start, end;
    int si = rev ? 3 : 2, ei = rev ? 2 : 3;
    if (scmd_interval_arg(c, si, &start, 0, 1) < 0) return;
    if (scmd_interval_arg(c, ei, &end, UINT64_MAX, 0) < 0) return;
    long long count = -1;
    for (int j = 4; j < c->argc; j++) {
        if (!strcasecmp(c->argv[j], "count") && j + 1 < c->argc) {
            if (get_ll_from_arg(c, j + 1, &count, NULL) < 0) return;
            if (count < 0) count = 0;
            j++;
        } else {
            add_reply_syntax_error(c);
            return;
        }
    }
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_array(c, 0);
        return;
    }
    if (scmd_check_type(c, o) < 0) return;
    if (count == 0) {
        add_reply_null_array(c);
        return;
    }
    scmd_reply_range(c, o->ptr, &start, &end, count < 0 ? 0 : count, rev, NULL, NULL, 0, NULL);
}

static void xrange_command(client *c) {
    range_generic(c, 0);
}

static void xrevrange_command(client *c) {
    range_generic(c, 1);
}

static void xdel_command(client *c) {
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    if (scmd_check_type(c, o) < 0) return;
    int n = c->argc - 2;
    stream_id *ids = sk_malloc((size_t)n * sizeof(*ids));
    for (int j = 0; j < n; j++) {
        if (scmd_id_arg(c, j + 2, &ids[j], 0, 1, NULL) < 0) goto cleanup;
    }
    stream *s = o->ptr;
    long long deleted = 0;
    int first_gone = 0;
    for (int j = 0; j < n; j++) {
        if (!stream_delete_id(s, &ids[j])) continue;
        if (stream_id_cmp(&ids[j], &s->first_id) == 0) first_gone = 1;
        if (stream_id_cmp(&ids[j], &s->max_deleted_id) > 0) s->max_deleted_id = ids[j];
        deleted++;
    }
    if (deleted) {
        if (s->length == 0)
            s->first_id = (stream_id){0, 0};
        else if (first_gone)
            stream_edge_id(s, 1, &s->first_id);
        db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty += deleted;
    }
    add_reply_int(c, deleted);
cleanup:
    sk_free(ids);
}

/* ------------------------------------------------------------------ XSETID */

static int xsetid_options(client *c, long long *entries_added, stream_id *maxdel,
                          const stream_id *id) {
    for (int i = 3; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        if (!strcasecmp(c->argv[i], "entriesadded") && more) {
            if (get_ll_from_arg(c, i + 1, entries_added, NULL) < 0) return -1;
            if (*entries_added < 0) {
                add_reply_error(c, "ERR entries_added must be positive");
                return -1;
            }
            i++;
        } else if (!strcasecmp(c->argv[i], "maxdeletedid") && more) {
            if (scmd_id_arg(c, i + 1, maxdel, 0, 1, NULL) < 0) return -1;
            if (stream_id_cmp(id, maxdel) < 0) {
                add_reply_error(c, "ERR The ID specified in XSETID is smaller than the provided "
                                   "max_deleted_entry_id");
                return -1;
            }
            i++;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

static void xsetid_command(client *c) {
    stream_id id, maxdel = {0, 0};
    long long entries_added = -1;
    if (scmd_id_arg(c, 2, &id, 0, 1, NULL) < 0) return;
    if (xsetid_options(c, &entries_added, &maxdel, &id) < 0) return;
    sobj *o = db_lookup_write(c, c->argv[1]);
    if (!o) {
        add_reply_error(c, "ERR no such key");
        return;
    }
    if (scmd_check_type(c, o) < 0) return;
    stream *s = o->ptr;
    if (s->length > 0) {
        stream_id top;
        scmd_last_valid_id(s, &top);
        if (stream_id_cmp(&id, &top) < 0) {
            add_reply_error(c, "ERR The ID specified in XSETID is smaller than the target stream "
                               "top item");
            return;
        }
        if (entries_added != -1 && s->length > (uint64_t)entries_added) {
            add_reply_error(c, "ERR The entries_added specified in XSETID is smaller than the "
                               "target stream length");
            return;
        }
    }
    s->last_id = id;
    if (entries_added != -1) s->entries_added = (uint64_t)entries_added;
    if (maxdel.ms || maxdel.seq) s->max_deleted_id = maxdel;
    db_signal_modified(c->srv, c->db, c->argv[1]);
    c->srv->dirty++;
    add_reply_ok(c);
}

/* ------------------------------------------------------------------- XINFO */

static void reply_help(client *c, const char *cmd, const char **lines, size_t n) {
    char head[128];
    snprintf(head, sizeof(head),
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
    add_reply_array(c, (long long)n + 1);
    add_reply_simple(c, head);
    for (size_t i = 0; i < n; i++)
        add_reply_simple(c, lines[i]);
}

static void xinfo_help_command(client *c) {
    static const char *help[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, "XINFO", help, sizeof(help) / sizeof(help[0]));
}

/* Nodes of the radix tree Redis would hold for keys[lo, hi) (16-byte
 * big-endian master IDs, sorted), at byte depth: one compressed node per
 * run of single-child bytes, one branch node per fork, one leaf per key. */
static long long rax_nodes_of(unsigned char (*keys)[16], size_t lo, size_t hi, int depth) {
    if (hi - lo == 1) return (depth < 16 ? 1 : 0) + 1;
    int l = depth;
    while (keys[lo][l] == keys[hi - 1][l])
        l++; /* sorted: first and last bound the prefix */
    long long n = (l > depth ? 1 : 0) + 1;
    for (size_t i = lo; i < hi;) {
        size_t j = i + 1;
        while (j < hi && keys[j][l] == keys[i][l])
            j++;
        n += rax_nodes_of(keys, i, j, l + 1);
        i = j;
    }
    return n;
}

/* XINFO's radix-tree-nodes: what Redis's rax of the node keys would count
 * (its canonical compressed form; an empty rax is its root node). */
static long long rax_nodes(const stream *s) {
    if (s->nodes.len == 0) return 1;
    unsigned char(*keys)[16] = sk_malloc(s->nodes.len * 16);
    for (size_t i = 0; i < s->nodes.len; i++)
        stream_id_encode(keys[i], &s->nodes.e[i].id);
    long long n = rax_nodes_of(keys, 0, s->nodes.len, 0);
    sk_free(keys);
    return n;
}

/* The lag of Redis 7.0's XINFO (streamReplyWithCGLag). */
static void reply_group_lag(client *c, const stream *s, const stream_cg *cg) {
    long long lag = 0;
    int valid = 0;
    if (!s->entries_added) {
        valid = 1;
    } else if (cg->entries_read != STREAM_ENTRIES_READ_INVALID &&
               !stream_range_has_tombstones(s, &cg->last_id, NULL)) {
        lag = (long long)s->entries_added - cg->entries_read;
        valid = 1;
    } else {
        long long er = stream_estimate_distance(s, &cg->last_id);
        if (er != STREAM_ENTRIES_READ_INVALID) {
            lag = (long long)s->entries_added - er;
            valid = 1;
        }
    }
    if (valid)
        add_reply_int(c, lag);
    else
        add_reply_null(c);
}

static void reply_entries_read(client *c, const stream_cg *cg) {
    if (cg->entries_read != STREAM_ENTRIES_READ_INVALID)
        add_reply_int(c, cg->entries_read);
    else
        add_reply_null(c);
}

static void reply_stream_header(client *c, stream *s) {
    add_reply_bulk_cstr(c, "length");
    add_reply_int(c, (long long)s->length);
    add_reply_bulk_cstr(c, "radix-tree-keys");
    add_reply_int(c, (long long)s->nodes.len);
    add_reply_bulk_cstr(c, "radix-tree-nodes");
    add_reply_int(c, rax_nodes(s));
    add_reply_bulk_cstr(c, "last-generated-id");
    scmd_reply_id(c, &s->last_id);
    add_reply_bulk_cstr(c, "max-deleted-entry-id");
    scmd_reply_id(c, &s->max_deleted_id);
    add_reply_bulk_cstr(c, "entries-added");
    add_reply_int(c, (long long)s->entries_added);
    add_reply_bulk_cstr(c, "recorded-first-entry-id");
    scmd_reply_id(c, &s->first_id);
}

static void reply_edge_entry(client *c, stream *s, int rev) {
    stream_iter it;
    stream_iter_start(&it, s, NULL, NULL, rev);
    if (stream_iter_next(&it))
        scmd_reply_entry(c, &it);
    else
        add_reply_null(c);
}

static void reply_stream_brief(client *c, stream *s) {
    add_reply_map(c, 10);
    reply_stream_header(c, s);
    add_reply_bulk_cstr(c, "groups");
    add_reply_int(c, (long long)s->ngroups);
    add_reply_bulk_cstr(c, "first-entry");
    reply_edge_entry(c, s, 0);
    add_reply_bulk_cstr(c, "last-entry");
    reply_edge_entry(c, s, 1);
}

static void reply_full_consumer(client *c, const stream_consumer *cons, long long count) {
    add_reply_map(c, 4);
    add_reply_bulk_cstr(c, "name");
    add_reply_bulk_sstr(c, cons->name);
    add_reply_bulk_cstr(c, "seen-time");
    add_reply_int(c, cons->seen_time);
    add_reply_bulk_cstr(c, "pel-count");
    add_reply_int(c, (long long)cons->pel.len);
    add_reply_bulk_cstr(c, "pending");
    size_t n = cons->pel.len;
    if (count && (size_t)count < n) n = (size_t)count;
    add_reply_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const stream_nack *nk = cons->pel.e[i].val;
        add_reply_array(c, 3);
        scmd_reply_id(c, &cons->pel.e[i].id);
        add_reply_int(c, nk->delivery_time);
        add_reply_int(c, (long long)nk->delivery_count);
    }
}

static void reply_full_group(client *c, const stream *s, const stream_cg *cg, long long count) {
    add_reply_map(c, 7);
    add_reply_bulk_cstr(c, "name");
    add_reply_bulk_sstr(c, cg->name);
    add_reply_bulk_cstr(c, "last-delivered-id");
    scmd_reply_id(c, &cg->last_id);
    add_reply_bulk_cstr(c, "entries-read");
    reply_entries_read(c, cg);
    add_reply_bulk_cstr(c, "lag");
    reply_group_lag(c, s, cg);
    add_reply_bulk_cstr(c, "pel-count");
    add_reply_int(c, (long long)cg->pel.len);
    add_reply_bulk_cstr(c, "pending");
    size_t n = cg->pel.len;
    if (count && (size_t)count < n) n = (size_t)count;
    add_reply_array(c, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const stream_nack *nk = cg->pel.e[i].val;
        add_reply_array(c, 4);
        scmd_reply_id(c, &cg->pel.e[i].id);
        add_reply_bulk_sstr(c, nk->consumer->name);
        add_reply_int(c, nk->delivery_time);
        add_reply_int(c, (long long)nk->delivery_count);
    }
    add_reply_bulk_cstr(c, "consumers");
    add_reply_array(c, (long long)cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++)
        reply_full_consumer(c, cg->consumers[i], count);
}

static void reply_stream_full(client *c, stream *s, long long count) {
    add_reply_map(c, 9);
    reply_stream_header(c, s);
    add_reply_bulk_cstr(c, "entries");
    scmd_reply_range(c, s, NULL, NULL, count, 0, NULL, NULL, 0, NULL);
    add_reply_bulk_cstr(c, "groups");
    add_reply_array(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++)
        reply_full_group(c, s, s->groups[i], count);
}

/* The stream at argv[2] for XINFO; NULL after an error reply. */
static stream *xinfo_stream(client *c) {
    sobj *o = db_lookup_read(c, c->argv[2]);
    if (!o) {
        add_reply_error(c, "ERR no such key");
        return NULL;
    }
    if (scmd_check_type(c, o) < 0) return NULL;
    return o->ptr;
}

static void xinfo_stream_command(client *c) {
    int full = 0;
    long long count = 10;
    /* Redis looks the key up before it reads the options. */
    stream *s = xinfo_stream(c);
    if (!s) return;
    if (c->argc > 3) {
        if (strcasecmp(c->argv[3], "full") != 0 ||
            (c->argc > 4 && (c->argc != 6 || strcasecmp(c->argv[4], "count") != 0))) {
            add_reply_errorf(c,
                             "ERR unknown subcommand or wrong number of arguments for '%.128s'. "
                             "Try XINFO HELP.",
                             c->argv[1]);
            return;
        }
        full = 1;
        if (c->argc == 6) {
            if (get_ll_from_arg(c, 5, &count, NULL) < 0) return;
            if (count < 0) count = 10;
        }
    }
    if (full)
        reply_stream_full(c, s, count);
    else
        reply_stream_brief(c, s);
}

static void xinfo_groups_command(client *c) {
    stream *s = xinfo_stream(c);
    if (!s) return;
    add_reply_array(c, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        const stream_cg *cg = s->groups[i];
        add_reply_map(c, 6);
        add_reply_bulk_cstr(c, "name");
        add_reply_bulk_sstr(c, cg->name);
        add_reply_bulk_cstr(c, "consumers");
        add_reply_int(c, (long long)cg->nconsumers);
        add_reply_bulk_cstr(c, "pending");
        add_reply_int(c, (long long)cg->pel.len);
        add_reply_bulk_cstr(c, "last-delivered-id");
        scmd_reply_id(c, &cg->last_id);
        add_reply_bulk_cstr(c, "entries-read");
        reply_entries_read(c, cg);
        add_reply_bulk_cstr(c, "lag");
        reply_group_lag(c, s, cg);
    }
}

static void xinfo_consumers_command(client *c) {
    stream *s = xinfo_stream(c);
    if (!s) return;
    stream_cg *cg = stream_cg_lookup(s, c->argv[3], sstr_len(c->argv[3]));
    if (!cg) {
        add_reply_errorf(c, "NOGROUP No such consumer group '%s' for key name '%s'", c->argv[3],
                         c->argv[2]);
        return;
    }
    long long now = server_mstime(c->srv);
    add_reply_array(c, (long long)cg->nconsumers);
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const stream_consumer *cons = cg->consumers[i];
        long long idle = now - cons->seen_time;
        add_reply_map(c, 3);
        add_reply_bulk_cstr(c, "name");
        add_reply_bulk_sstr(c, cons->name);
        add_reply_bulk_cstr(c, "pending");
        add_reply_int(c, (long long)cons->pel.len);
        add_reply_bulk_cstr(c, "idle");
        add_reply_int(c, idle < 0 ? 0 : idle);
    }
}

static void container_command(client *c) {
    add_reply_errorf(c, "ERR unknown subcommand '%.128s'. Try %s HELP.",
                     c->argc > 1 ? c->argv[1] : "", c->argv[0]);
}

/* ------------------------------------------------------------------ table */

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

static const command xinfo_subcommands[] = {
    {"consumers", xinfo_consumers_command, 4, R, 2, 2, 1, "stream",
     "List the consumers in a consumer group", "5.0.0", NULL},
    {"groups", xinfo_groups_command, 3, R, 2, 2, 1, "stream",
     "List the consumer groups of a stream", "5.0.0", NULL},
    {"stream", xinfo_stream_command, -3, R, 2, 2, 1, "stream", "Get information about a stream",
     "5.0.0", NULL},
    {"help", xinfo_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "stream",
     "Show helpful text about the different subcommands", "5.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

const command cmds_stream[] = {
    {"xadd", xadd_command, -5, W | D | F, 1, 1, 1, "stream", "Appends a new entry to a stream",
     "5.0.0", NULL},
    {"xlen", xlen_command, 2, R | F, 1, 1, 1, "stream", "Return the number of entries in a stream",
     "5.0.0", NULL},
    {"xrange", xrange_command, -4, R, 1, 1, 1, "stream",
     "Return a range of elements in a stream, with IDs matching the specified IDs interval",
     "5.0.0", NULL},
    {"xrevrange", xrevrange_command, -4, R, 1, 1, 1, "stream",
     "Return a range of elements in a stream, with IDs matching the specified IDs interval, in "
     "reverse order (from greater to smaller IDs) compared to XRANGE",
     "5.0.0", NULL},
    {"xdel", xdel_command, -3, W | F, 1, 1, 1, "stream",
     "Removes the specified entries from the stream. Returns the number of items actually "
     "deleted, that may be different from the number of IDs passed in case certain IDs do not "
     "exist.",
     "5.0.0", NULL},
    {"xtrim", xtrim_command, -4, W, 1, 1, 1, "stream",
     "Trims the stream to (approximately if '~' is passed) a certain size", "5.0.0", NULL},
    {"xsetid", xsetid_command, -3, W | D | F, 1, 1, 1, "stream",
     "An internal command for replicating stream values", "5.0.0", NULL},
    {"xread", xread_command, -4, R | CMD_BLOCKING, 0, 0, 0, "stream",
     "Return never seen elements in multiple streams, with IDs greater than the ones reported by "
     "the caller for each stream. Can block.",
     "5.0.0", NULL},
    {"xreadgroup", xreadgroup_command, -7, W | CMD_BLOCKING, 0, 0, 0, "stream",
     "Return new entries from a stream using a consumer group, or access the history of the "
     "pending entries for a given consumer. Can block.",
     "5.0.0", NULL},
    {"xack", xack_command, -4, W | F, 1, 1, 1, "stream",
     "Marks a pending message as correctly processed, effectively removing it from the pending "
     "entries list of the consumer group. Return value of the command is the number of messages "
     "successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
     "5.0.0", NULL},
    {"xpending", xpending_command, -3, R, 1, 1, 1, "stream",
     "Return information and entries from a stream consumer group pending entries list, that are "
     "messages fetched but never acknowledged.",
     "5.0.0", NULL},
    {"xclaim", xclaim_command, -6, W | F, 1, 1, 1, "stream",
     "Changes (or acquires) ownership of a message in a consumer group, as if the message was "
     "delivered to the specified consumer.",
     "5.0.0", NULL},
    {"xautoclaim", xautoclaim_command, -6, W | F, 1, 1, 1, "stream",
     "Changes (or acquires) ownership of messages in a consumer group, as if the messages were "
     "delivered to the specified consumer.",
     "6.2.0", NULL},
    {"xgroup", container_command, -2, 0, 0, 0, 0, "stream",
     "A container for consumer groups commands", "5.0.0", stream_xgroup_subcommands},
    {"xinfo", container_command, -2, 0, 0, 0, 0, "stream",
     "A container for stream introspection commands", "5.0.0", xinfo_subcommands},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
