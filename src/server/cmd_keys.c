/* cmd_keys.c - the generic keyspace commands (DEL, EXISTS, TYPE, the
 * EXPIRE and TTL families, KEYS, SCAN, RENAME, RANDOMKEY, TOUCH, COPY, MOVE,
 * OBJECT) with Redis 7.0's replies and error texts.
 *
 * Times: relative expiries are based on srv->mstime, the clock cached for
 * the current command, so a command sees one "now".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "scan.h"
#include "server.h"
#include "propagate.h"

/* EXPIRE option flags. */
enum { EXP_NX = 1 << 0, EXP_XX = 1 << 1, EXP_GT = 1 << 2, EXP_LT = 1 << 3 };

static int opt_is(const sstr arg, const char *lit) {
    return util_eq_nocase(arg, sstr_len(arg), lit);
}

/* A db index argument: an int (else the integer error), then in range. */
static int db_index_from_arg(client *c, int i, int *out) {
    long long v;
    if (get_ll_from_arg(c, i, &v, NULL) < 0) return -1;
    if (v < INT_MIN || v > INT_MAX) {
        add_reply_error(c, "ERR value is out of range, value must between -2147483648 and "
                           "2147483647");
        return -1;
    }
    if (v < 0 || v >= c->srv->dbnum) {
        add_reply_error(c, "ERR DB index is out of range");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* ------------------------------------------------------ DEL EXISTS TYPE */

static void del_command(client *c) {
    server *srv = c->srv;
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        /* An expired key is removed as expired, not counted as deleted. */
        db_expire_if_needed(srv, c->db, c->argv[j]);
        if (db_delete(srv, c->db, c->argv[j])) {
            srv->dirty++;
            deleted++;
        }
    }
    add_reply_int(c, deleted);
}

static void exists_command(client *c) {
    long long count = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup(c->srv, c->db, c->argv[j], DB_LOOKUP_NOTOUCH)) count++;
    add_reply_int(c, count);
}

static void type_command(client *c) {
    sobj *o = db_lookup(c->srv, c->db, c->argv[1], DB_LOOKUP_NOTOUCH);
    add_reply_simple(c, obj_type_name(o));
}

static void touch_command(client *c) {
    long long count = 0;
    for (int j = 1; j < c->argc; j++)
        if (db_lookup_read(c, c->argv[j])) count++;
    add_reply_int(c, count);
}

/* --------------------------------------------------------------- EXPIRE */

static int parse_expire_flags(client *c, int *flags) {
    for (int j = 3; j < c->argc; j++) {
        if (opt_is(c->argv[j], "nx"))
            *flags |= EXP_NX;
        else if (opt_is(c->argv[j], "xx"))
            *flags |= EXP_XX;
        else if (opt_is(c->argv[j], "gt"))
            *flags |= EXP_GT;
        else if (opt_is(c->argv[j], "lt"))
            *flags |= EXP_LT;
        else {
            add_reply_errorf(c, "ERR Unsupported option %s", c->argv[j]);
            return -1;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        add_reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        add_reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

static void reply_invalid_expire(client *c) {
    add_reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->name);
}

/* NX/XX/GT/LT against the current TTL (-1: none, i.e. infinite). */
static int expire_condition_holds(int flags, long long current, long long when) {
    if ((flags & EXP_NX) && current != -1) return 0;
    if ((flags & EXP_XX) && current == -1) return 0;
    if ((flags & EXP_GT) && (current == -1 || when <= current)) return 0;
    if ((flags & EXP_LT) && current != -1 && when >= current) return 0;
    return 1;
}

/* basetime: 0 for the *AT forms, now for the relative ones. */
static void expire_generic(client *c, long long basetime, int in_seconds) {
    server *srv = c->srv;
    sstr key = c->argv[1];
    int flags = 0;
    long long when;
    if (parse_expire_flags(c, &flags) < 0) return;
    if (get_ll_from_arg(c, 2, &when, NULL) < 0) return;
    /* Negative times are allowed (they delete); overflow is not. */
    if (in_seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_invalid_expire(c);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) {
        reply_invalid_expire(c);
        return;
    }
    when += basetime;

    if (!db_lookup_write(c, key)) {
        add_reply_int(c, 0);
        return;
    }
    if (flags && !expire_condition_holds(flags, db_get_expire(c->db, key), when)) {
        add_reply_int(c, 0);
        return;
    }
    if (db_expire_is_past(srv, when)) {
        propagate_rewrite_del(c, key);
        db_delete(srv, c->db, key); /* already in the past */
    } else {
        /* Replicas and the AOF get an absolute time: replay must not move it. */
        propagate_rewrite_pexpireat(c, key, when);
        db_set_expire(srv, c->db, key, when);
        db_signal_modified(srv, c->db, key);
    }
    srv->dirty++;
    add_reply_int(c, 1);
}

static void expire_command(client *c) {
    expire_generic(c, c->srv->mstime, 1);
}

static void pexpire_command(client *c) {
    expire_generic(c, c->srv->mstime, 0);
}

static void expireat_command(client *c) {
    expire_generic(c, 0, 1);
}

static void pexpireat_command(client *c) {
    expire_generic(c, 0, 0);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 no key, -1 no TTL. */
static void ttl_generic(client *c, int in_ms, int absolute) {
    if (!db_lookup(c->srv, c->db, c->argv[1], DB_LOOKUP_NOTOUCH)) {
        add_reply_int(c, -2);
        return;
    }
    long long expire = db_get_expire(c->db, c->argv[1]);
    if (expire == -1) {
        add_reply_int(c, -1);
        return;
    }
    long long ttl = absolute ? expire : expire - c->srv->mstime;
    if (ttl < 0) ttl = 0;
    add_reply_int(c, in_ms ? ttl : (ttl + 500) / 1000);
}

static void ttl_command(client *c) {
    ttl_generic(c, 0, 0);
}

static void pttl_command(client *c) {
    ttl_generic(c, 1, 0);
}

static void expiretime_command(client *c) {
    ttl_generic(c, 0, 1);
}

static void pexpiretime_command(client *c) {
    ttl_generic(c, 1, 1);
}

static void persist_command(client *c) {
    if (db_lookup_write(c, c->argv[1]) && db_remove_expire(c->db, c->argv[1])) {
        db_signal_modified(c->srv, c->db, c->argv[1]);
        c->srv->dirty++;
        add_reply_int(c, 1);
        return;
    }
    add_reply_int(c, 0);
}

/* ---------------------------------------------------------- KEYS / SCAN */

static void keys_command(client *c) {
    sstr pat = c->argv[1];
    size_t plen = sstr_len(pat);
    int all = plen == 1 && pat[0] == '*';
    size_t handle = add_reply_deferred_len(c);
    long long n = 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, c->db->keys, 1);
    while ((de = dict_iter_next(&it)) != NULL) {
        sstr key = de->key;
        if (!all && !util_glob_match(pat, plen, key, sstr_len(key), 0)) continue;
        /* Expired keys are hidden but left to the expiry machinery. */
        if (db_key_is_expired(c->srv, c->db, key)) continue;
        add_reply_bulk_sstr(c, key);
        n++;
    }
    dict_iter_release(&it);
    set_deferred_array_len(c, handle, n);
}

typedef struct key_list {
    sstr *v; /* owned copies */
    size_t n, cap;
} key_list;

static void scan_collect(void *priv, const dict_entry *de) {
    key_list *l = priv;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = sk_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = sstr_dup(de->key);
}

/* Pattern, then type, then expiry, as Redis filters. Returns 1 to keep. */
static int scan_keep(client *c, const scan_opts *o, const sstr key) {
    if (!scan_matches(o, key, sstr_len(key))) return 0;
    if (o->type) {
        sobj *v = db_lookup(c->srv, c->db, key, DB_LOOKUP_NOTOUCH);
        if (strcasecmp(o->type, obj_type_name(v)) != 0) return 0;
    }
    return !db_expire_if_needed(c->srv, c->db, key);
}

static void scan_command(client *c) {
    unsigned long long cursor;
    scan_opts o = {.count = 10};
    if (scan_parse_cursor(c, 1, &cursor) < 0) return;
    if (scan_parse_opts(c, 2, 1, &o) < 0) return;
    key_list keys = {0};
    cursor = scan_dict(c->db->keys, cursor, o.count, scan_collect, &keys, &keys.n);

    size_t kept = 0;
    for (size_t i = 0; i < keys.n; i++) {
        if (scan_keep(c, &o, keys.v[i]))
            keys.v[kept++] = keys.v[i];
        else
            sstr_free(keys.v[i]);
    }
    scan_reply_header(c, cursor, (long long)kept);
    for (size_t i = 0; i < kept; i++) {
        add_reply_bulk_sstr(c, keys.v[i]);
        sstr_free(keys.v[i]);
    }
    sk_free(keys.v);
}

/* ------------------------------------------------------ RENAME & friends */

static void rename_generic(client *c, int nx) {
    server *srv = c->srv;
    sstr src = c->argv[1], dst = c->argv[2];
    int samekey = sstr_cmp(src, dst) == 0;
    sobj *o = db_lookup_write(c, src);
    if (!o) {
        add_reply_error(c, "ERR no such key");
        return;
    }
    if (samekey) {
        if (nx)
            add_reply_int(c, 0);
        else
            add_reply_ok(c);
        return;
    }
    long long expire = db_get_expire(c->db, src);
    if (db_lookup_write(c, dst)) {
        if (nx) {
            add_reply_int(c, 0);
            return;
        }
        db_delete(srv, c->db, dst);
    }
    db_add(srv, c->db, dst, obj_retain(o));
    if (expire != -1) db_set_expire(srv, c->db, dst, expire);
    db_delete(srv, c->db, src);
    srv->dirty++;
    if (nx)
        add_reply_int(c, 1);
    else
        add_reply_ok(c);
}

static void rename_command(client *c) {
    rename_generic(c, 0);
}

static void renamenx_command(client *c) {
    rename_generic(c, 1);
}

static void randomkey_command(client *c) {
    sstr key = db_random_key(c->srv, c->db);
    if (!key) {
        add_reply_null(c);
        return;
    }
    add_reply_bulk_sstr(c, key);
    sstr_free(key);
}

static void move_command(client *c) {
    server *srv = c->srv;
    sstr key = c->argv[1];
    int dbid;
    if (db_index_from_arg(c, 2, &dbid) < 0) return;
    sdb *src = c->db, *dst = &srv->dbs[dbid];
    if (src == dst) {
        add_reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    sobj *o = db_lookup_write(c, key);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    long long expire = db_get_expire(src, key);
    if (db_lookup(srv, dst, key, DB_LOOKUP_WRITE)) {
        add_reply_int(c, 0);
        return;
    }
    db_add(srv, dst, key, obj_retain(o));
    if (expire != -1) db_set_expire(srv, dst, key, expire);
    db_delete(srv, src, key);
    srv->dirty++;
    add_reply_int(c, 1);
}

static void copy_command(client *c) {
    server *srv = c->srv;
    sdb *src = c->db, *dst = c->db;
    int replace = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (opt_is(c->argv[j], "replace")) {
            replace = 1;
        } else if (opt_is(c->argv[j], "db") && more >= 1) {
            int dbid;
            if (db_index_from_arg(c, j + 1, &dbid) < 0) return;
            dst = &srv->dbs[dbid];
            j++;
        } else {
            add_reply_syntax_error(c);
            return;
        }
    }
    sstr key = c->argv[1], newkey = c->argv[2];
    if (src == dst && sstr_cmp(key, newkey) == 0) {
        add_reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    sobj *o = db_lookup_read(c, key);
    if (!o) {
        add_reply_int(c, 0);
        return;
    }
    long long expire = db_get_expire(src, key);
    int existing = db_lookup(srv, dst, newkey, DB_LOOKUP_WRITE) != NULL;
    if (existing && !replace) {
        add_reply_int(c, 0);
        return;
    }
    sobj *copy = obj_dup(o);
    if (!copy) {
        add_reply_error(c, "ERR unknown type object");
        return;
    }
    if (existing) db_delete(srv, dst, newkey);
    db_add(srv, dst, newkey, copy);
    if (expire != -1) db_set_expire(srv, dst, newkey, expire);
    srv->dirty++;
    add_reply_int(c, 1);
}

/* --------------------------------------------------------------- OBJECT */

static const char *lfu_not_selected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
static const char *lfu_selected =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

static int policy_is_lfu(const server *srv) {
    return srv->cfg && MAXMEMORY_IS_LFU(srv->cfg->maxmemory_policy);
}

/* OBJECT's key lookup: no LRU update; nil when missing. */
static sobj *object_lookup(client *c) {
    sobj *o = db_lookup(c->srv, c->db, c->argv[2], DB_LOOKUP_NOTOUCH);
    if (!o) add_reply_null(c);
    return o;
}

static void object_encoding_command(client *c) {
    sobj *o = object_lookup(c);
    if (o) add_reply_bulk_cstr(c, obj_encoding_name(o->encoding));
}

static void object_refcount_command(client *c) {
    sobj *o = object_lookup(c);
    if (o) add_reply_int(c, o->refcount);
}

static void object_idletime_command(client *c) {
    sobj *o = object_lookup(c);
    if (!o) return;
    if (policy_is_lfu(c->srv)) {
        add_reply_error(c, lfu_selected);
        return;
    }
    add_reply_int(c, (long long)(obj_idle_ms(c->srv, o) / 1000));
}

static void object_freq_command(client *c) {
    sobj *o = object_lookup(c);
    if (!o) return;
    if (!policy_is_lfu(c->srv)) {
        add_reply_error(c, lfu_not_selected);
        return;
    }
    add_reply_int(c, obj_lfu_counter(c->srv, o));
}

static void object_help_command(client *c) {
    static const char *help[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof(help) / sizeof(help[0]);
    char head[160], name[32];
    size_t i = 0;
    for (; c->argv[0][i] && i < sizeof(name) - 1; i++)
        name[i] = (char)toupper((unsigned char)c->argv[0][i]);
    name[i] = '\0';
    snprintf(head, sizeof(head),
             "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name);
    add_reply_array(c, (long long)n + 1);
    add_reply_simple(c, head);
    for (i = 0; i < n; i++)
        add_reply_simple(c, help[i]);
}

/* Reached only if the dispatcher runs the container itself. */
static void object_command(client *c) {
    add_reply_errorf(c, "ERR unknown subcommand '%.128s'. Try OBJECT HELP.",
                     c->argc > 1 ? c->argv[1] : "");
}

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM
#define F CMD_FAST

static const command object_subcommands[] = {
    {"encoding", object_encoding_command, 3, R, 2, 2, 1, "generic",
     "Inspect the internal encoding of a Redis object", "2.2.3", NULL},
    {"freq", object_freq_command, 3, R, 2, 2, 1, "generic",
     "Get the logarithmic access frequency counter of a Redis object", "4.0.0", NULL},
    {"help", object_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "generic",
     "Show helpful text about the different subcommands", "6.2.0", NULL},
    {"idletime", object_idletime_command, 3, R, 2, 2, 1, "generic",
     "Get the time since a Redis object was last accessed", "2.2.3", NULL},
    {"refcount", object_refcount_command, 3, R, 2, 2, 1, "generic",
     "Get the number of references to the value of the key", "2.2.3", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

const command cmds_keys[] = {
    {"del", del_command, -2, W, 1, -1, 1, "generic", "Delete a key", "1.0.0", NULL},
    {"unlink", del_command, -2, W | F, 1, -1, 1, "generic",
     "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
     "blocking.",
     "4.0.0", NULL},
    {"exists", exists_command, -2, R | F, 1, -1, 1, "generic", "Determine if a key exists", "1.0.0",
     NULL},
    {"type", type_command, 2, R | F, 1, 1, 1, "generic", "Determine the type stored at key",
     "1.0.0", NULL},
    {"expire", expire_command, -3, W | F, 1, 1, 1, "generic", "Set a key's time to live in seconds",
     "1.0.0", NULL},
    {"pexpire", pexpire_command, -3, W | F, 1, 1, 1, "generic",
     "Set a key's time to live in milliseconds", "2.6.0", NULL},
    {"expireat", expireat_command, -3, W | F, 1, 1, 1, "generic",
     "Set the expiration for a key as a UNIX timestamp", "1.2.0", NULL},
    {"pexpireat", pexpireat_command, -3, W | F, 1, 1, 1, "generic",
     "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", NULL},
    {"expiretime", expiretime_command, 2, R | F, 1, 1, 1, "generic",
     "Get the expiration Unix timestamp for a key", "7.0.0", NULL},
    {"pexpiretime", pexpiretime_command, 2, R | F, 1, 1, 1, "generic",
     "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", NULL},
    {"ttl", ttl_command, 2, R | F, 1, 1, 1, "generic", "Get the time to live for a key in seconds",
     "1.0.0", NULL},
    {"pttl", pttl_command, 2, R | F, 1, 1, 1, "generic",
     "Get the time to live for a key in milliseconds", "2.6.0", NULL},
    {"persist", persist_command, 2, W | F, 1, 1, 1, "generic", "Remove the expiration from a key",
     "2.2.0", NULL},
    {"keys", keys_command, 2, R, 0, 0, 0, "generic", "Find all keys matching the given pattern",
     "1.0.0", NULL},
    {"scan", scan_command, -2, R, 0, 0, 0, "generic", "Incrementally iterate the keys space",
     "2.8.0", NULL},
    {"rename", rename_command, 3, W, 1, 2, 1, "generic", "Rename a key", "1.0.0", NULL},
    {"renamenx", renamenx_command, 3, W | F, 1, 2, 1, "generic",
     "Rename a key, only if the new key does not exist", "1.0.0", NULL},
    {"randomkey", randomkey_command, 1, R, 0, 0, 0, "generic",
     "Return a random key from the keyspace", "1.0.0", NULL},
    {"touch", touch_command, -2, R | F, 1, -1, 1, "generic",
     "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     "3.2.1", NULL},
    {"copy", copy_command, -3, W | D, 1, 2, 1, "generic", "Copy a key", "6.2.0", NULL},
    {"move", move_command, 3, W | F, 1, 1, 1, "generic", "Move a key to another database", "1.0.0",
     NULL},
    {"object", object_command, -2, 0, 0, 0, 0, "generic",
     "A container for object introspection commands", "2.2.3", object_subcommands},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
