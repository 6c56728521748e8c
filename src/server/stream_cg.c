/* stream_cg.c - consumer group commands: XGROUP (CREATE, SETID, DESTROY,
 * CREATECONSUMER, DELCONSUMER, HELP), XACK, XPENDING, XCLAIM, XAUTOCLAIM,
 * as Redis 7.0.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "blocking.h"
#include "stream_cmd.h"
#include "propagate.h"

static void reply_nogroup_key(client *c) {
    add_reply_errorf(c, "NOGROUP No such key '%s' or consumer group '%s'", c->argv[1], c->argv[2]);
}

/* The group argv[2] of the stream argv[1] (read lookup); NULL when the key
 * or group is missing (*wrongtype set after a WRONGTYPE reply). */
static stream_cg *lookup_group(client *c, stream **sp, int *wrongtype) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    *wrongtype = 0;
    if (scmd_check_type(c, o) < 0) {
        *wrongtype = 1;
        return NULL;
    }
    if (!o) return NULL;
    *sp = o->ptr;
    return stream_cg_lookup(o->ptr, c->argv[2], sstr_len(c->argv[2]));
}

/* ------------------------------------------------------------------ XGROUP */

static int parse_entries_read(client *c, int i, long long *out) {
    if (get_ll_from_arg(c, i, out, NULL) < 0) return -1;
    if (*out < 0 && *out != STREAM_ENTRIES_READ_INVALID) {
        add_reply_error(c, "ERR value for ENTRIESREAD must be positive or -1");
        return -1;
    }
    return 0;
}

static void xgroup_syntax_error(client *c) {
    add_reply_errorf(c,
                     "ERR unknown subcommand or wrong number of arguments for '%.128s'. Try "
                     "XGROUP HELP.",
                     c->argv[1]);
}

/* Options after argv[4] of CREATE (MKSTREAM allowed) and SETID. */
static int xgroup_options(client *c, int create, int *mkstream, long long *entries_read) {
    for (int i = 5; i < c->argc;) {
        if (create && !strcasecmp(c->argv[i], "mkstream")) {
            *mkstream = 1;
            i++;
        } else if (!strcasecmp(c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (parse_entries_read(c, i + 1, entries_read) < 0) return -1;
            i += 2;
        } else {
            xgroup_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* The stream argv[2] for XGROUP; NULL after a reply unless missing_ok. */
static stream *xgroup_stream(client *c, int missing_ok, int *replied) {
    sobj *o = db_lookup_write(c, c->argv[2]);
    *replied = 0;
    if (scmd_check_type(c, o) < 0) {
        *replied = 1;
        return NULL;
    }
    if (o) return o->ptr;
    if (!missing_ok) {
        add_reply_error(c, "ERR The XGROUP subcommand requires the key to exist. Note that for "
                           "CREATE you may want to use the MKSTREAM option to create an empty "
                           "stream automatically.");
        *replied = 1;
    }
    return NULL;
}

/* The group argv[3] of stream argv[2] for SETID / *CONSUMER; NULL after a reply. */
static stream_cg *xgroup_group(client *c, stream **sp) {
    int replied;
    stream *s = xgroup_stream(c, 0, &replied);
    if (!s) return NULL;
    stream_cg *cg = stream_cg_lookup(s, c->argv[3], sstr_len(c->argv[3]));
    if (!cg) {
        add_reply_errorf(c, "NOGROUP No such consumer group '%s' for key name '%s'", c->argv[3],
                         c->argv[2]);
        return NULL;
    }
    *sp = s;
    return cg;
}

static void xgroup_create_command(client *c) {
    int mkstream = 0, replied;
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    if (c->argc > 8) {
        xgroup_syntax_error(c);
        return;
    }
    if (xgroup_options(c, 1, &mkstream, &entries_read) < 0) return;
    stream *s = xgroup_stream(c, mkstream, &replied);
    if (replied) return;
    stream_id id;
    if (strcmp(c->argv[4], "$") == 0)
        id = s ? s->last_id : (stream_id){0, 0};
    else if (scmd_id_arg(c, 4, &id, 0, 1, NULL) < 0)
        return;
    if (!s) {
        sobj *o = stream_new_object();
        db_add(c->srv, c->db, c->argv[2], o);
        s = o->ptr;
    }
    if (!stream_cg_create(s, c->argv[3], sstr_len(c->argv[3]), &id, entries_read)) {
        add_reply_error(c, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    c->srv->dirty++;
    add_reply_ok(c);
}

static void xgroup_setid_command(client *c) {
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    if (c->argc != 5 && c->argc != 7) {
        xgroup_syntax_error(c);
        return;
    }
    if (xgroup_options(c, 0, NULL, &entries_read) < 0) return;
    stream *s;
    stream_cg *cg = xgroup_group(c, &s);
    if (!cg) return;
    stream_id id;
    if (strcmp(c->argv[4], "$") == 0)
        id = s->last_id;
    else if (scmd_id_arg(c, 4, &id, 0, 0, NULL) < 0)
        return;
    cg->last_id = id;
    cg->entries_read = entries_read;
    c->srv->dirty++;
    add_reply_ok(c);
}

static void xgroup_destroy_command(client *c) {
    int replied;
    stream *s = xgroup_stream(c, 0, &replied);
    if (!s) return;
    if (!stream_cg_destroy(s, c->argv[3], sstr_len(c->argv[3]))) {
        add_reply_int(c, 0);
        return;
    }
    c->srv->dirty++;
    add_reply_int(c, 1);
    /* Readers blocked on the group get their NOGROUP error. */
    blocking_signal_key_ready(c->srv, c->db, c->argv[2]);
}

static void xgroup_createconsumer_command(client *c) {
    stream *s;
    stream_cg *cg = xgroup_group(c, &s);
    if (!cg) return;
    stream_consumer *cons =
        stream_consumer_create(cg, c->argv[4], sstr_len(c->argv[4]), server_mstime(c->srv));
    if (cons) c->srv->dirty++;
    add_reply_int(c, cons ? 1 : 0);
}

static void xgroup_delconsumer_command(client *c) {
    stream *s;
    stream_cg *cg = xgroup_group(c, &s);
    if (!cg) return;
    stream_consumer *cons = stream_consumer_lookup(cg, c->argv[4], sstr_len(c->argv[4]));
    long long pending = 0;
    if (cons) {
        pending = stream_consumer_delete(cg, cons);
        c->srv->dirty++;
    }
    add_reply_int(c, pending);
}

static void xgroup_help_command(client *c) {
    static const char *help[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof(help) / sizeof(help[0]);
    add_reply_array(c, (long long)n + 1);
    add_reply_simple(c, "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    for (size_t i = 0; i < n; i++)
        add_reply_simple(c, help[i]);
}

const command stream_xgroup_subcommands[] = {
    {"create", xgroup_create_command, -5, CMD_WRITE | CMD_DENYOOM, 2, 2, 1, "stream",
     "Create a consumer group.", "5.0.0", NULL},
    {"setid", xgroup_setid_command, -5, CMD_WRITE, 2, 2, 1, "stream",
     "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", NULL},
    {"destroy", xgroup_destroy_command, 4, CMD_WRITE, 2, 2, 1, "stream",
     "Destroy a consumer group.", "5.0.0", NULL},
    {"createconsumer", xgroup_createconsumer_command, 5, CMD_WRITE | CMD_DENYOOM, 2, 2, 1, "stream",
     "Create a consumer in a consumer group.", "6.2.0", NULL},
    {"delconsumer", xgroup_delconsumer_command, 5, CMD_WRITE, 2, 2, 1, "stream",
     "Delete a consumer from a consumer group.", "5.0.0", NULL},
    {"help", xgroup_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "stream",
     "Show helpful text about the different subcommands", "5.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

/* -------------------------------------------------------------------- XACK */

static void drop_pending(stream_cg *cg, const stream_id *id) {
    stream_nack *nk = stream_idmap_remove(&cg->pel, id);
    if (!nk) return;
    stream_idmap_remove(&nk->consumer->pel, id);
    sk_free(nk);
}

void xack_command(client *c) {
    stream *s = NULL;
    int wrongtype;
    stream_cg *cg = lookup_group(c, &s, &wrongtype);
    if (wrongtype) return;
    if (!cg) {
        add_reply_int(c, 0);
        return;
    }
    int n = c->argc - 3;
    stream_id *ids = sk_malloc((size_t)n * sizeof(*ids));
    for (int j = 0; j < n; j++)
        if (scmd_id_arg(c, j + 3, &ids[j], 0, 1, NULL) < 0) goto cleanup;
    long long acked = 0;
    for (int j = 0; j < n; j++) {
        if (stream_idmap_find(&cg->pel, &ids[j]) < 0) continue;
        drop_pending(cg, &ids[j]);
        acked++;
        c->srv->dirty++;
    }
    add_reply_int(c, acked);
cleanup:
    sk_free(ids);
}

/* ---------------------------------------------------------------- XPENDING */

typedef struct pending_args {
    long long minidle, count;
    stream_id start, end;
    int consumer_arg; /* 0: none */
} pending_args;

static int parse_pending_args(client *c, pending_args *a) {
    memset(a, 0, sizeof(*a));
    int si = 3;
    if (!strcasecmp(c->argv[3], "IDLE")) {
        if (get_ll_from_arg(c, 4, &a->minidle, NULL) < 0) return -1;
        if (c->argc < 8) {
            add_reply_syntax_error(c);
            return -1;
        }
        si += 2;
    }
    if (get_ll_from_arg(c, si + 2, &a->count, NULL) < 0) return -1;
    if (a->count < 0) a->count = 0;
    if (scmd_interval_arg(c, si, &a->start, 0, 1) < 0) return -1;
    if (scmd_interval_arg(c, si + 1, &a->end, UINT64_MAX, 0) < 0) return -1;
    if (si + 3 < c->argc) a->consumer_arg = si + 3;
    return 0;
}

static void pending_summary(client *c, const stream_cg *cg) {
    add_reply_array(c, 4);
    add_reply_int(c, (long long)cg->pel.len);
    if (cg->pel.len == 0) {
        add_reply_null(c);
        add_reply_null(c);
        add_reply_null_array(c);
        return;
    }
    scmd_reply_id(c, &cg->pel.e[0].id);
    scmd_reply_id(c, &cg->pel.e[cg->pel.len - 1].id);
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (size_t i = 0; i < cg->nconsumers; i++) {
        const stream_consumer *cons = cg->consumers[i];
        if (cons->pel.len == 0) continue;
        add_reply_array(c, 2);
        add_reply_bulk_sstr(c, cons->name);
        add_reply_bulk_ll(c, (long long)cons->pel.len);
        n++;
    }
    set_deferred_array_len(c, h, n);
}

static void pending_extended(client *c, const stream_cg *cg, const pending_args *a) {
    const stream_idmap *pel = &cg->pel;
    if (a->consumer_arg) {
        const sstr name = c->argv[a->consumer_arg];
        const stream_consumer *cons = stream_consumer_lookup(cg, name, sstr_len(name));
        if (!cons) {
            add_reply_array(c, 0);
            return;
        }
        pel = &cons->pel;
    }
    long long now = server_mstime(c->srv), left = a->count, n = 0;
    size_t h = add_reply_deferred_len(c);
    for (size_t i = stream_idmap_lower_bound(pel, &a->start);
         left && i < pel->len && stream_id_cmp(&pel->e[i].id, &a->end) <= 0; i++) {
        const stream_nack *nk = pel->e[i].val;
        long long idle = now - nk->delivery_time;
        if (a->minidle && idle < a->minidle) continue;
        left--;
        n++;
        add_reply_array(c, 4);
        scmd_reply_id(c, &pel->e[i].id);
        add_reply_bulk_sstr(c, nk->consumer->name);
        add_reply_int(c, idle < 0 ? 0 : idle);
        add_reply_int(c, (long long)nk->delivery_count);
    }
    set_deferred_array_len(c, h, n);
}

void xpending_command(client *c) {
    int justinfo = c->argc == 3;
    pending_args a;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        add_reply_syntax_error(c);
        return;
    }
    if (!justinfo && parse_pending_args(c, &a) < 0) return;
    stream *s = NULL;
    int wrongtype;
    stream_cg *cg = lookup_group(c, &s, &wrongtype);
    if (wrongtype) return;
    if (!cg) {
        reply_nogroup_key(c);
        return;
    }
    if (justinfo)
        pending_summary(c, cg);
    else
        pending_extended(c, cg, &a);
}

/* ------------------------------------------------------------------ XCLAIM */

typedef struct claim_args {
    long long minidle, retrycount, deliverytime;
    int force, justid, last_id_arg;
    stream_id last_id;
} claim_args;

static int parse_claim_options(client *c, int j, claim_args *a, long long now) {
    for (; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const char *opt = c->argv[j];
        if (!strcasecmp(opt, "FORCE")) {
            a->force = 1;
        } else if (!strcasecmp(opt, "JUSTID")) {
            a->justid = 1;
        } else if (!strcasecmp(opt, "IDLE") && more) {
            if (get_ll_from_arg(c, ++j, &a->deliverytime,
                                "ERR Invalid IDLE option argument for XCLAIM") < 0)
                return -1;
            a->deliverytime = now - a->deliverytime;
        } else if (!strcasecmp(opt, "TIME") && more) {
            if (get_ll_from_arg(c, ++j, &a->deliverytime,
                                "ERR Invalid TIME option argument for XCLAIM") < 0)
                return -1;
        } else if (!strcasecmp(opt, "RETRYCOUNT") && more) {
            if (get_ll_from_arg(c, ++j, &a->retrycount,
                                "ERR Invalid RETRYCOUNT option argument for XCLAIM") < 0)
                return -1;
        } else if (!strcasecmp(opt, "LASTID") && more) {
            if (scmd_id_arg(c, ++j, &a->last_id, 0, 1, NULL) < 0) return -1;
        } else {
            add_reply_errorf(c, "ERR Unrecognized XCLAIM option '%s'", opt);
            return -1;
        }
    }
    return 0;
}

static stream_consumer *claimer(client *c, stream_cg *cg, stream_consumer **cache, long long now) {
    if (*cache) return *cache;
    const sstr name = c->argv[3];
    stream_consumer *cons = stream_consumer_lookup(cg, name, sstr_len(name));
    if (!cons) cons = stream_consumer_create(cg, name, sstr_len(name), now);
    cons->seen_time = now;
    *cache = cons;
    return cons;
}

static void move_nack(stream_nack *nk, stream_consumer *to, const stream_id *id) {
    if (nk->consumer == to) return;
    if (nk->consumer) stream_idmap_remove(&nk->consumer->pel, id);
    stream_idmap_insert(&to->pel, id, nk);
    nk->consumer = to;
}

/* Claims one ID; returns 1 if it was claimed (and replied). */
static int claim_one(client *c, stream *s, stream_cg *cg, const stream_id *id, const claim_args *a,
                     stream_consumer **cons, long long now) {
    long i = stream_idmap_find(&cg->pel, id);
    stream_nack *nk = i >= 0 ? cg->pel.e[i].val : NULL;
    if (!scmd_entry_exists(s, id)) {
        if (nk) {
            drop_pending(cg, id);
            scmd_propagate_claim(c, c->argv[1], cg, c->argv[3], id, NULL);
            c->srv->dirty++;
        }
        return 0;
    }
    if (!nk && !a->force) return 0;
    if (!nk) {
        nk = stream_nack_new(NULL, now); /* count 1, then bumped below as Redis */
        stream_idmap_insert(&cg->pel, id, nk);
    } else if (nk->consumer && a->minidle && now - nk->delivery_time < a->minidle) {
        return 0;
    }
    move_nack(nk, claimer(c, cg, cons, now), id);
    nk->delivery_time = a->deliverytime;
    if (a->retrycount >= 0)
        nk->delivery_count = (uint64_t)a->retrycount;
    else if (!a->justid)
        nk->delivery_count++;
    if (a->justid)
        scmd_reply_id(c, id);
    else if (!scmd_reply_one(c, s, id))
        add_reply_null(c);
    scmd_propagate_claim(c, c->argv[1], cg, c->argv[3], id, nk);
    c->srv->dirty++;
    return 1;
}

void xclaim_command(client *c) {
    stream *s = NULL;
    int wrongtype;
    stream_cg *cg = lookup_group(c, &s, &wrongtype);
    if (wrongtype) return;
    if (!cg) {
        reply_nogroup_key(c);
        return;
    }
    claim_args a = {0};
    a.retrycount = -1;
    a.deliverytime = -1;
    if (get_ll_from_arg(c, 4, &a.minidle, "ERR Invalid min-idle-time argument for XCLAIM") < 0)
        return;
    if (a.minidle < 0) a.minidle = 0;
    int j = 5;
    stream_id *ids = sk_malloc((size_t)(c->argc - 5) * sizeof(*ids));
    for (; j < c->argc; j++)
        if (scmd_parse_id(c->argv[j], sstr_len(c->argv[j]), &ids[j - 5], 0, 1, NULL) < 0) break;
    int nids = j - 5;
    long long now = server_mstime(c->srv);
    if (parse_claim_options(c, j, &a, now) < 0) goto cleanup;
    /* Replayed as the canonical XCLAIM / XGROUP SETID commands (as Redis). */
    propagate_prevent(c);
    if (stream_id_cmp(&a.last_id, &cg->last_id) > 0) {
        cg->last_id = a.last_id;
        scmd_propagate_setid(c, c->argv[1], cg);
        c->srv->dirty++;
    }
    if (a.deliverytime == -1 || a.deliverytime < 0 || a.deliverytime > now) a.deliverytime = now;
    stream_consumer *cons = NULL;
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (int k = 0; k < nids; k++)
        n += claim_one(c, s, cg, &ids[k], &a, &cons, now);
    set_deferred_array_len(c, h, n);
cleanup:
    sk_free(ids);
}

/* -------------------------------------------------------------- XAUTOCLAIM */

typedef struct autoclaim_args {
    long long minidle, count;
    stream_id start;
    int justid;
} autoclaim_args;

static int parse_autoclaim(client *c, autoclaim_args *a) {
    a->count = 100;
    a->justid = 0;
    if (get_ll_from_arg(c, 4, &a->minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM") < 0)
        return -1;
    if (a->minidle < 0) a->minidle = 0;
    if (scmd_interval_arg(c, 5, &a->start, 0, 1) < 0) return -1;
    for (int j = 6; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (!strcasecmp(c->argv[j], "COUNT") && more) {
            long long max = LONG_MAX / 16;
            if (get_ll_from_arg(c, j + 1, &a->count, "ERR COUNT must be > 0") < 0) return -1;
            if (a->count < 1 || a->count > max) {
                add_reply_error(c, "ERR COUNT must be > 0");
                return -1;
            }
            j++;
        } else if (!strcasecmp(c->argv[j], "JUSTID")) {
            a->justid = 1;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* Scans the group PEL from a->start: claimed IDs into claimed, vanished
 * entries dropped into deleted; returns the cursor for the next call. */
static stream_id autoclaim_scan(client *c, stream *s, stream_cg *cg, const autoclaim_args *a,
                                stream_idmap *claimed, stream_idmap *deleted) {
    long long now = server_mstime(c->srv);
    long long attempts = a->count * 10, count = a->count;
    stream_consumer *cons = NULL;
    size_t i = stream_idmap_lower_bound(&cg->pel, &a->start);
    while (attempts-- && count && i < cg->pel.len) {
        stream_id id = cg->pel.e[i].id;
        stream_nack *nk = cg->pel.e[i].val;
        if (!scmd_entry_exists(s, &id)) {
            drop_pending(cg, &id);
            scmd_propagate_claim(c, c->argv[1], cg, c->argv[3], &id, NULL);
            stream_idmap_insert(deleted, &id, NULL);
            c->srv->dirty++;
            count--;
            continue; /* i now names the next entry */
        }
        i++;
        if (a->minidle && now - nk->delivery_time < a->minidle) continue;
        move_nack(nk, claimer(c, cg, &cons, now), &id);
        nk->delivery_time = now;
        if (!a->justid) nk->delivery_count++;
        scmd_propagate_claim(c, c->argv[1], cg, c->argv[3], &id, nk);
        stream_idmap_insert(claimed, &id, NULL);
        count--;
        c->srv->dirty++;
    }
    if (i < cg->pel.len) return cg->pel.e[i].id;
    return (stream_id){0, 0};
}

void xautoclaim_command(client *c) {
    autoclaim_args a;
    if (parse_autoclaim(c, &a) < 0) return;
    stream *s = NULL;
    int wrongtype;
    stream_cg *cg = lookup_group(c, &s, &wrongtype);
    if (wrongtype) return;
    if (!cg) {
        reply_nogroup_key(c);
        return;
    }
    stream_idmap claimed = {0}, deleted = {0};
    propagate_prevent(c); /* replayed as XCLAIM commands (as Redis) */
    stream_id cursor = autoclaim_scan(c, s, cg, &a, &claimed, &deleted);
    add_reply_array(c, 3);
    scmd_reply_id(c, &cursor);
    add_reply_array(c, (long long)claimed.len);
    for (size_t k = 0; k < claimed.len; k++) {
        if (a.justid || !scmd_reply_one(c, s, &claimed.e[k].id)) scmd_reply_id(c, &claimed.e[k].id);
    }
    add_reply_array(c, (long long)deleted.len);
    for (size_t k = 0; k < deleted.len; k++)
        scmd_reply_id(c, &deleted.e[k].id);
    stream_idmap_free(&claimed);
    stream_idmap_free(&deleted);
}
