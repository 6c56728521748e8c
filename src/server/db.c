/* db.c - the keyspace: lookups with lazy expiry, add/overwrite/delete,
 * TTLs, the active expiry cycle, random keys, SWAPDB and FLUSHDB support.
 *
 * Ownership: db->keys owns its key sstr and one reference of each value;
 * db->expires borrows the very same key sstr (so an expires entry must be
 * removed before its keys entry) and keeps the absolute ms time in v.s64.
 *
 * Time: expiry decisions use srv->mstime, the clock cached once per command
 * (as Redis does), so a command sees one consistent "now".
 *
 * Signals: db_add, db_overwrite, db_set_key, db_delete and the deletion of
 * an expired key call db_signal_modified themselves; commands that change a
 * value in place or only a TTL call it explicitly.
 */
#include <stdlib.h>
#include <time.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "blocking.h"
#include "config.h"
#include "multi.h"
#include "replication.h"
#include "server.h"
#include "tracking.h"
#include "propagate.h"

/* Active expiry tuning (Redis 7.0 expire.c, at active-expire-effort 1). */
#define EXPIRE_KEYS_PER_LOOP 20
#define EXPIRE_SLOW_TIME_PERC 25
#define EXPIRE_ACCEPTABLE_STALE 10
#define EXPIRE_DBS_PER_CALL 16
#define DICT_INITIAL_BUCKETS 4

static void val_release(void *v) {
    obj_release(v);
}

static const dict_type keys_dict_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free,
                                         val_release};
static const dict_type expires_dict_type = {dict_hash_sstr, dict_sstr_equal, NULL, NULL};

/* ---------------------------------------------------------------- set up */

void db_init_all(server *srv, int dbnum) {
    srv->dbs = sk_calloc((size_t)dbnum, sizeof(sdb));
    srv->dbnum = dbnum;
    for (int i = 0; i < dbnum; i++) {
        sdb *db = &srv->dbs[i];
        db->keys = dict_create(&keys_dict_type);
        db->expires = dict_create(&expires_dict_type);
        db->id = i;
    }
}

void db_free_all(server *srv) {
    for (int i = 0; srv->dbs && i < srv->dbnum; i++) {
        sdb *db = &srv->dbs[i];
        dict_release(db->expires); /* first: it borrows the keys */
        dict_release(db->keys);
        multi_free_db(db);
    }
    sk_free(srv->dbs);
    srv->dbs = NULL;
    srv->dbnum = 0;
}

/* --------------------------------------------------------------- signals */

void db_signal_modified(server *srv, sdb *db, const sstr key) {
    multi_touch_watched_key(srv, db, key);
    tracking_invalidate_key(srv, key);
}

void db_signal_flushed(server *srv, int dbid) {
    multi_touch_all_watched(srv, dbid);
    tracking_invalidate_all(srv);
}

/* ---------------------------------------------------------------- expiry */

long long db_get_expire(sdb *db, const sstr key) {
    if (dict_size(db->expires) == 0) return -1;
    dict_entry *de = dict_find(db->expires, key);
    return de ? (long long)de->v.s64 : -1;
}

void db_set_expire(server *srv, sdb *db, const sstr key, long long when_ms) {
    (void)srv;
    dict_entry *kde = dict_find(db->keys, key);
    if (!kde) {
        log_warning("db_set_expire on a missing key");
        abort();
    }
    dict_entry *existing = NULL;
    dict_entry *de = dict_add_raw(db->expires, kde->key, &existing);
    if (!de) de = existing;
    de->v.s64 = when_ms;
}

int db_remove_expire(sdb *db, const sstr key) {
    if (dict_size(db->expires) == 0) return 0;
    return dict_delete(db->expires, key) == 0;
}

int db_expire_is_past(const server *srv, long long when_ms) {
    return when_ms <= srv->mstime && !srv->loading && !repl_is_replica(srv);
}

int db_key_is_expired(const server *srv, sdb *db, const sstr key) {
    long long when = db_get_expire(db, key);
    return when >= 0 && srv->mstime > when;
}

/* Removes key; the key sstr may be the dict's own (active expiry), so the
 * entry is unlinked, signalled, then freed. */
static int delete_key(server *srv, sdb *db, const sstr key) {
    dict_entry *de = dict_unlink(db->keys, key);
    if (!de) return 0;
    if (dict_size(db->expires) > 0) dict_delete(db->expires, de->key);
    db_signal_modified(srv, db, de->key);
    dict_free_unlinked(db->keys, de);
    return 1;
}

static void delete_expired(server *srv, sdb *db, const sstr key) {
    /* Replicas and the AOF replay a DEL instead of their own clock. */
    if (dict_find(db->keys, key)) propagate_deleted_key(srv, db->id, key);
    if (delete_key(srv, db, key)) srv->stat_expiredkeys++;
}

/* On a replica an expired key is gone for its clients but stays until the
 * master's DEL (a write on a writable replica, force, deletes it); the
 * master's own commands still see it (Redis 7.0's expireIfNeeded). */
static int expire_if_needed(server *srv, sdb *db, const sstr key, int force) {
    if (!db_key_is_expired(srv, db, key)) return 0;
    if (repl_is_replica(srv)) {
        if (repl_running_master_command(srv)) return 0;
        if (!force) return 1;
    }
    delete_expired(srv, db, key);
    return 1;
}

int db_expire_if_needed(server *srv, sdb *db, const sstr key) {
    return expire_if_needed(srv, db, key, 0);
}

/* --------------------------------------------------------------- lookups */

sobj *db_lookup(server *srv, sdb *db, const sstr key, int flags) {
    /* Every command reaches its keys through here before creating values:
     * a cheap point to pick up a CONFIG SET of the eviction policy. */
    obj_apply_config(srv);
    dict_entry *de = dict_find(db->keys, key);
    sobj *val = NULL;
    if (de) {
        val = de->v.val;
        if (expire_if_needed(srv, db, key, flags & DB_LOOKUP_WRITE)) val = NULL;
    }
    int count = !(flags & (DB_LOOKUP_NOSTATS | DB_LOOKUP_WRITE));
    if (val) {
        if (!(flags & DB_LOOKUP_NOTOUCH)) obj_touch(srv, val);
        if (count) srv->stat_keyspace_hits++;
    } else if (count) {
        srv->stat_keyspace_misses++;
    }
    return val;
}

sobj *db_lookup_read(client *c, const sstr key) {
    return db_lookup(c->srv, c->db, key, DB_LOOKUP_NONE);
}

sobj *db_lookup_write(client *c, const sstr key) {
    return db_lookup(c->srv, c->db, key, DB_LOOKUP_WRITE);
}

sobj *db_lookup_nottouch(sdb *db, server *srv, const sstr key) {
    return db_lookup(srv, db, key, DB_LOOKUP_NOTOUCH | DB_LOOKUP_NOSTATS);
}

/* ------------------------------------------------------- add / overwrite */

static void add_key(sdb *db, const sstr key, sobj *val) {
    dict_entry *de = dict_add_raw(db->keys, sstr_dup(key), NULL);
    if (!de) {
        log_warning("db_add on an existing key");
        abort();
    }
    de->v.val = val;
}

static void overwrite_key(server *srv, sdb *db, const sstr key, sobj *val) {
    dict_entry *de = dict_find(db->keys, key);
    if (!de) {
        log_warning("db_overwrite on a missing key");
        abort();
    }
    sobj *old = de->v.val;
    /* Under LFU a rewritten key keeps its access history (Redis dbSetValue). */
    if (srv->cfg && MAXMEMORY_IS_LFU(srv->cfg->maxmemory_policy) &&
        val->refcount != OBJ_SHARED_REFCOUNT)
        val->lru = old->lru;
    de->v.val = val;
    obj_release(old);
}

void db_add(server *srv, sdb *db, const sstr key, sobj *val) {
    add_key(db, key, val);
    db_signal_modified(srv, db, key);
    blocking_signal_key_ready(srv, db, key);
}

void db_overwrite(server *srv, sdb *db, const sstr key, sobj *val) {
    overwrite_key(srv, db, key, val);
    db_signal_modified(srv, db, key);
}

void db_set_key(client *c, sdb *db, const sstr key, sobj *val, int keep_ttl) {
    server *srv = c->srv;
    if (db_lookup(srv, db, key, DB_LOOKUP_WRITE))
        overwrite_key(srv, db, key, val);
    else
        add_key(db, key, val);
    blocking_signal_key_ready(srv, db, key);
    if (!keep_ttl) db_remove_expire(db, key);
    db_signal_modified(srv, db, key);
}

int db_delete(server *srv, sdb *db, const sstr key) {
    return delete_key(srv, db, key);
}

int db_exists(server *srv, sdb *db, const sstr key) {
    return dict_find(db->keys, key) != NULL && !db_key_is_expired(srv, db, key);
}

long long db_size(const sdb *db) {
    return (long long)dict_size(db->keys);
}

/* ------------------------------------------------------ active expiry */

typedef struct expire_sample {
    sstr key; /* borrowed from the dict */
    long long when;
} expire_sample;

typedef struct sample_buf {
    expire_sample *v;
    size_t n, cap;
} sample_buf;

static void collect_sample(void *priv, const dict_entry *de) {
    sample_buf *b = priv;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->v = sk_realloc(b->v, b->cap * sizeof(*b->v));
    }
    b->v[b->n].key = de->key;
    b->v[b->n].when = de->v.s64;
    b->n++;
}

static long long mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct expire_round {
    unsigned long sampled, expired;
    long long ttl_sum;
    long ttl_samples;
} expire_round;

/* One sampling round over db->expires, resuming at db->expires_cursor:
 * at most `num` keys or num*20 buckets (empty buckets are cheap). */
static void expire_one_round(server *srv, sdb *db, unsigned long num, sample_buf *buf,
                             expire_round *r) {
    long long now = srv->mstime;
    unsigned long max_buckets = num * 20, checked = 0;
    while (r->sampled < num && checked < max_buckets && dict_size(db->expires) > 0) {
        buf->n = 0;
        db->expires_cursor = dict_scan(db->expires, db->expires_cursor, collect_sample, buf);
        checked++;
        /* Deleting here is safe: the scan call is over and each sample
         * names a different entry. */
        for (size_t i = 0; i < buf->n; i++) {
            long long ttl = buf->v[i].when - now;
            if (now > buf->v[i].when) {
                delete_expired(srv, db, buf->v[i].key);
                r->expired++;
            } else if (ttl > 0) {
                r->ttl_sum += ttl;
                r->ttl_samples++;
            }
            r->sampled++;
        }
    }
}

static void update_avg_ttl(sdb *db, const expire_round *r) {
    if (!r->ttl_samples) return;
    long long avg = r->ttl_sum / r->ttl_samples;
    /* Running average: 2% the new estimate, 98% the previous one. */
    if (db->avg_ttl == 0) db->avg_ttl = avg;
    db->avg_ttl = (db->avg_ttl / 50) * 49 + (avg / 50);
}

/* Resume state across calls, as Redis keeps it in statics: one server per
 * process. */
static unsigned expire_next_db;
static int expire_timelimit_exit;

void db_active_expire_cycle(server *srv, long long budget_us) {
    obj_apply_config(srv); /* cheap; keeps the constructors' policy in step */
    if (srv->dbnum <= 0) return;
    int effort =
        (srv->cfg && srv->cfg->active_expire_effort > 0 ? srv->cfg->active_expire_effort : 1) - 1;
    unsigned long keys_per_loop = EXPIRE_KEYS_PER_LOOP + EXPIRE_KEYS_PER_LOOP / 4 * effort;
    unsigned long acceptable_stale = EXPIRE_ACCEPTABLE_STALE - effort;
    if (budget_us <= 0) {
        int hz = srv->cfg && srv->cfg->hz > 0 ? srv->cfg->hz : 10;
        budget_us = (long long)(EXPIRE_SLOW_TIME_PERC + 2 * effort) * 1000000 / hz / 100;
        if (budget_us <= 0) budget_us = 1;
    }
    int dbs_per_call = EXPIRE_DBS_PER_CALL;
    if (dbs_per_call > srv->dbnum || expire_timelimit_exit) dbs_per_call = srv->dbnum;
    expire_timelimit_exit = 0;

    long long start = mono_us();
    sample_buf buf = {0};
    int iteration = 0;
    for (int j = 0; j < dbs_per_call && !expire_timelimit_exit; j++) {
        sdb *db = &srv->dbs[expire_next_db % (unsigned)srv->dbnum];
        expire_next_db++; /* so a timeout here resumes at the next db */
        expire_round r;
        do {
            iteration++;
            unsigned long num = dict_size(db->expires);
            if (num == 0) {
                db->avg_ttl = 0;
                break;
            }
            /* A very sparse table is costly to sample; wait for its resize. */
            unsigned long slots = dict_buckets(db->expires);
            if (slots > DICT_INITIAL_BUCKETS && num * 100 / slots < 1) break;
            if (num > keys_per_loop) num = keys_per_loop;
            r = (expire_round){0};
            expire_one_round(srv, db, num, &buf, &r);
            update_avg_ttl(db, &r);
            if ((iteration & 0xf) == 0 && mono_us() - start > budget_us) {
                expire_timelimit_exit = 1;
                break;
            }
        } while (r.sampled == 0 || r.expired * 100 / r.sampled > acceptable_stale);
    }
    sk_free(buf.v);
}

/* ------------------------------------------------------ whole-db helpers */

void db_empty(server *srv, sdb *db) {
    /* Watchers are told first: only keys existing now affect them. */
    db_signal_flushed(srv, db->id);
    dict_empty(db->expires);
    dict_empty(db->keys);
    db->avg_ttl = 0;
    db->expires_cursor = 0;
}

sstr db_random_key(server *srv, sdb *db) {
    /* Each retry deletes an expired key, so the loop ends; the bound is
     * only a guard. */
    size_t tries = dict_size(db->keys) + 1;
    while (tries--) {
        dict_entry *de = dict_random_entry(db->keys);
        if (!de) return NULL;
        sstr key = de->key;
        if (db_expire_if_needed(srv, db, key)) continue;
        return sstr_dup(key);
    }
    return NULL;
}

int db_swap(server *srv, int id1, int id2) {
    if (id1 < 0 || id1 >= srv->dbnum || id2 < 0 || id2 >= srv->dbnum) return SK_EINVAL;
    if (id1 == id2) return 0;
    /* Before the swap: watchers of keys that exist in either db fail. */
    multi_touch_swapdb(srv, id1, id2);
    sdb *a = &srv->dbs[id1], *b = &srv->dbs[id2];
    /* The structs stay (clients and watches name dbs by number); only the
     * keyspaces move. */
    dict *keys = a->keys, *expires = a->expires;
    long long avg_ttl = a->avg_ttl;
    uint64_t cursor = a->expires_cursor;
    a->keys = b->keys;
    a->expires = b->expires;
    a->avg_ttl = b->avg_ttl;
    a->expires_cursor = b->expires_cursor;
    b->keys = keys;
    b->expires = expires;
    b->avg_ttl = avg_ttl;
    b->expires_cursor = cursor;
    blocking_signal_db_swapped(srv, id1, id2);
    return 0;
}
