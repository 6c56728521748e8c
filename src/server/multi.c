/* multi.c - MULTI, EXEC, DISCARD, WATCH, UNWATCH; see multi.h for the data
 * model. Behaviour follows Redis 7.0, including its handling of keys that
 * were already expired when WATCHed (they do not fail EXEC by being deleted,
 * but a watched key that expires before EXEC does).
 */
#include "multi.h"

#include <string.h>

#include "../core/mem.h"

/* One (client, db, key) watch. Owned by the client's set; the db's set for
 * the key holds the same pointer, borrowed. */
typedef struct watch_rec {
    client *c; /* borrowed: the watcher */
    sstr key;  /* owned */
    int dbid;
    int expired; /* the key was logically expired when WATCHed */
} watch_rec;

/* ------------------------------------------------------------ dict types */

static uint64_t rec_hash(const void *k) {
    const watch_rec *r = k;
    return dict_hash_sstr(r->key) ^ ((uint64_t)(unsigned)r->dbid * 0x9E3779B97F4A7C15ULL);
}

static int rec_equal(const void *a, const void *b) {
    const watch_rec *x = a, *y = b;
    return x->dbid == y->dbid && dict_sstr_equal(x->key, y->key);
}

static void rec_free(void *k) {
    watch_rec *r = k;
    sstr_free(r->key);
    sk_free(r);
}

static uint64_t ptr_hash(const void *key) {
    return dict_hash_bytes(&key, sizeof(key));
}
static int ptr_equal(const void *a, const void *b) {
    return a == b;
}
static void set_release(void *val) {
    dict_release(val);
}

/* c->watched_keys: set of owned records, identified by (dbid, key). */
static const dict_type client_watch_type = {rec_hash, rec_equal, rec_free, NULL};
/* Per key in db->watched: set of borrowed records. */
static const dict_type rec_set_type = {ptr_hash, ptr_equal, NULL, NULL};
/* db->watched: key -> set of records. */
static const dict_type db_watch_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free,
                                        set_release};

void multi_init_db(sdb *db) {
    db->watched = dict_create(&db_watch_type);
}

void multi_free_db(sdb *db) {
    if (db->watched) dict_release(db->watched);
    db->watched = NULL;
}

size_t multi_watched_count(const client *c) {
    return c->watched_keys ? dict_size(c->watched_keys) : 0;
}

/* ---------------------------------------------------------------- watching */

/* Logically expired: present with a TTL in the past (not yet deleted by
 * lazy or active expiry). */
static int key_is_expired(server *srv, sdb *db, const sstr key) {
    if (!dict_find(db->keys, key)) return 0;
    long long when = db_get_expire(db, key);
    return when >= 0 && server_mstime(srv) > when;
}

static void watch_key(client *c, const sstr key) {
    sdb *db = c->db;
    watch_rec probe = {c, key, db->id, 0};
    if (c->watched_keys && dict_find(c->watched_keys, &probe)) return;
    if (!db->watched) multi_init_db(db);

    watch_rec *r = sk_malloc(sizeof(*r));
    r->c = c;
    r->key = sstr_dup(key);
    r->dbid = db->id;
    r->expired = key_is_expired(c->srv, db, key);
    if (!c->watched_keys) c->watched_keys = dict_create(&client_watch_type);
    dict_add(c->watched_keys, r, NULL);

    dict *set = dict_fetch_value(db->watched, key);
    if (!set) {
        set = dict_create(&rec_set_type);
        dict_add(db->watched, sstr_dup(key), set);
    }
    dict_add(set, r, NULL);
}

static void unwatch_all(client *c) {
    if (!c->watched_keys) return;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, c->watched_keys, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        watch_rec *r = de->key;
        sdb *db = &c->srv->dbs[r->dbid];
        dict *set = db->watched ? dict_fetch_value(db->watched, r->key) : NULL;
        if (!set) continue;
        dict_delete(set, r);
        if (dict_size(set) == 0) dict_delete(db->watched, r->key);
    }
    dict_iter_release(&it);
    dict_release(c->watched_keys); /* frees the records */
    c->watched_keys = NULL;
}

/* EXEC fails if a watched key has expired since WATCH, even though no
 * command touched it yet (Redis 7.0). Keys already expired at WATCH time
 * do not count. */
static int watched_key_expired(client *c) {
    int found = 0;
    if (!c->watched_keys) return 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, c->watched_keys, 0);
    while (!found && (de = dict_iter_next(&it)) != NULL) {
        watch_rec *r = de->key;
        if (!r->expired && key_is_expired(c->srv, &c->srv->dbs[r->dbid], r->key)) found = 1;
    }
    dict_iter_release(&it);
    return found;
}

void multi_touch_watched_key(server *srv, sdb *db, const sstr key) {
    if (!db->watched || dict_size(db->watched) == 0) return;
    dict *set = dict_fetch_value(db->watched, key);
    if (!set) return;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, set, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        watch_rec *r = de->key;
        if (r->expired) {
            /* The key looked absent at WATCH time. Deleting it is no
             * logical change (and from then on it is an ordinary absent
             * key); while it is still there and still expired, neither. */
            if (!dict_find(db->keys, key)) {
                r->expired = 0;
                continue;
            }
            if (key_is_expired(srv, db, key)) continue;
        }
        r->c->flags |= CLIENT_DIRTY_CAS;
    }
    dict_iter_release(&it);
}

/* The watchers of `emptied` see its keyspace go away (FLUSHDB) or be
 * replaced by `replaced` (SWAPDB). A watch is affected only if its key
 * exists in either; expired keys count as absent as in Redis 7.0. */
static void touch_db(server *srv, sdb *emptied, sdb *replaced) {
    if (!emptied->watched || dict_size(emptied->watched) == 0) return;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, emptied->watched, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        sstr key = de->key;
        int in_emptied = dict_find(emptied->keys, key) != NULL;
        int in_replaced = replaced && dict_find(replaced->keys, key) != NULL;
        if (!in_emptied && !in_replaced) continue;
        int replaced_expired = in_replaced && key_is_expired(srv, replaced, key);

        dict_iter rit;
        dict_entry *rde;
        dict_iter_init(&rit, de->v.val, 0);
        while ((rde = dict_iter_next(&rit)) != NULL) {
            watch_rec *r = rde->key;
            if (r->expired) {
                if (!in_replaced) { /* expired key deleted: no logical change */
                    r->expired = 0;
                    continue;
                }
                if (replaced_expired) continue; /* still looks absent */
            } else if (!in_emptied && replaced_expired) {
                r->expired = 1; /* absent key replaced by an expired one */
                continue;
            }
            r->c->flags |= CLIENT_DIRTY_CAS;
        }
        dict_iter_release(&rit);
    }
    dict_iter_release(&it);
}

void multi_touch_all_watched(server *srv, int dbid) {
    if (dbid >= 0) {
        if (dbid < srv->dbnum) touch_db(srv, &srv->dbs[dbid], NULL);
        return;
    }
    for (int i = 0; i < srv->dbnum; i++)
        touch_db(srv, &srv->dbs[i], NULL);
}

void multi_touch_swapdb(server *srv, int id1, int id2) {
    if (id1 < 0 || id2 < 0 || id1 >= srv->dbnum || id2 >= srv->dbnum) return;
    touch_db(srv, &srv->dbs[id1], &srv->dbs[id2]);
    touch_db(srv, &srv->dbs[id2], &srv->dbs[id1]);
}

/* ------------------------------------------------------------- the queue */

static void free_queue(multi_cmd *q, int n) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < q[i].argc; j++)
            sstr_free(q[i].argv[j]);
        sk_free(q[i].argv);
    }
    sk_free(q);
}

void multi_queue_command(client *c) {
    /* A doomed transaction keeps no commands: they would only use memory. */
    if (!(c->flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC))) {
        if (c->mstate_count == c->mstate_cap) {
            c->mstate_cap = c->mstate_cap ? c->mstate_cap * 2 : 4;
            c->mstate = sk_realloc(c->mstate, (size_t)c->mstate_cap * sizeof(*c->mstate));
        }
        multi_cmd *m = &c->mstate[c->mstate_count++];
        m->argc = c->argc;
        m->argv = sk_malloc((size_t)c->argc * sizeof(*m->argv));
        for (int i = 0; i < c->argc; i++)
            m->argv[i] = sstr_dup(c->argv[i]);
        m->cmd = c->cmd;
    }
    add_reply_simple(c, "QUEUED");
}

void multi_flag_exec_error(client *c) {
    if (c->flags & CLIENT_MULTI) c->flags |= CLIENT_DIRTY_EXEC;
}

void multi_discard(client *c) {
    free_queue(c->mstate, c->mstate_count);
    c->mstate = NULL;
    c->mstate_count = c->mstate_cap = 0;
    c->flags &= ~(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC);
    unwatch_all(c);
}

void multi_client_free(client *c) {
    multi_discard(c);
}

/* -------------------------------------------------------------- commands */

static void multi_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        add_reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= CLIENT_MULTI;
    add_reply_ok(c);
}

static void discard_command(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        add_reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    multi_discard(c);
    add_reply_ok(c);
}

/* Runs the queued commands; c->argv/argc/cmd are swapped for each and
 * restored afterwards, so the caller sees EXEC's own arguments again. */
static void run_queue(client *c, multi_cmd *q, int n) {
    sstr *orig_argv = c->argv;
    int orig_argc = c->argc;
    const command *orig_cmd = c->cmd;
    add_reply_array(c, n);
    for (int i = 0; i < n; i++) {
        c->argv = q[i].argv;
        c->argc = q[i].argc;
        c->cmd = q[i].cmd;
        command_call(c);
        /* A command may rewrite its arguments; keep ownership straight. */
        q[i].argv = c->argv;
        q[i].argc = c->argc;
    }
    c->argv = orig_argv;
    c->argc = orig_argc;
    c->cmd = orig_cmd;
}

static void exec_command(client *c) {
    if (!(c->flags & CLIENT_MULTI)) {
        add_reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (watched_key_expired(c)) c->flags |= CLIENT_DIRTY_CAS;
    if (c->flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC)) {
        if (c->flags & CLIENT_DIRTY_EXEC)
            add_reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        else
            add_reply_null_array(c);
        multi_discard(c);
        return;
    }
    /* Our own writes below must not count as a conflict. */
    unwatch_all(c);
    /* Take the queue out of the client: nothing run below can then free
     * or grow it under us. */
    multi_cmd *q = c->mstate;
    int n = c->mstate_count;
    c->mstate = NULL;
    c->mstate_count = c->mstate_cap = 0;
    run_queue(c, q, n);
    free_queue(q, n);
    multi_discard(c);
}

static void watch_command(client *c) {
    if (c->flags & CLIENT_MULTI) {
        add_reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    /* Already doomed: more watches change nothing. */
    if (!(c->flags & CLIENT_DIRTY_CAS))
        for (int i = 1; i < c->argc; i++)
            watch_key(c, c->argv[i]);
    add_reply_ok(c);
}

static void unwatch_command(client *c) {
    unwatch_all(c);
    c->flags &= ~CLIENT_DIRTY_CAS;
    add_reply_ok(c);
}

#define TX_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

const command cmds_multi[] = {
    {"multi", multi_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0, "transactions",
     "Mark the start of a transaction block", "1.2.0", NULL},
    {"exec", exec_command, 1, TX_FLAGS, 0, 0, 0, "transactions",
     "Execute all commands issued after MULTI", "1.2.0", NULL},
    {"discard", discard_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0, "transactions",
     "Discard all commands issued after MULTI", "2.0.0", NULL},
    {"watch", watch_command, -2, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, 1, -1, 1, "transactions",
     "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", NULL},
    {"unwatch", unwatch_command, 1, TX_FLAGS | CMD_FAST | CMD_ALLOW_BUSY, 0, 0, 0, "transactions",
     "Forget about all watched keys", "2.2.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
