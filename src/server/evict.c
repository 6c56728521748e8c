/* evict.c - maxmemory eviction (see evict.h for the contract).
 *
 * Redis's approximated LRU/LFU: exact LRU would need a list threaded
 * through every key; sampling a few keys per db and keeping the best
 * candidates seen so far in a small sorted pool gets close to it at no
 * memory cost. The pool is kept across runs (srv->evict_pool), as Redis
 * does: one command usually evicts one key, and a fresh pool would pick the
 * best of only maxmemory-samples keys.
 */
#include <limits.h>
#include <string.h>

#include "../core/mem.h"
#include "propagate.h"
#include "replication.h"
#include "config.h"
#include "evict.h"
#include "server.h"

#define EVICT_MAX_SAMPLES 64 /* maxmemory-samples' upper bound */

typedef struct pool_entry {
    unsigned long long idle; /* larger is a better candidate */
    sstr key;                /* owned copy, NULL for an empty slot */
    int dbid;
} pool_entry;

struct evict_pool {
    pool_entry e[EVICT_POOL_SIZE];
    int running; /* the last run ran out of time while still over the limit */
};

static pool_entry *pool_of(server *srv) {
    if (!srv->evict_pool) srv->evict_pool = sk_calloc(1, sizeof(*srv->evict_pool));
    return srv->evict_pool->e;
}

size_t evict_mem_used(const server *srv) {
    (void)srv;
    return sk_mem_used();
}

static int policy_allkeys(int policy) {
    return policy == MAXMEMORY_ALLKEYS_LRU || policy == MAXMEMORY_ALLKEYS_LFU ||
           policy == MAXMEMORY_ALLKEYS_RANDOM;
}

static int policy_random(int policy) {
    return policy == MAXMEMORY_ALLKEYS_RANDOM || policy == MAXMEMORY_VOLATILE_RANDOM;
}

static dict *sample_dict(const server *srv, sdb *db) {
    return policy_allkeys(srv->cfg->maxmemory_policy) ? db->keys : db->expires;
}

/* The score of a sampled entry; de comes from db->keys or db->expires. */
static unsigned long long candidate_score(server *srv, sdb *db, dict_entry *de) {
    int policy = srv->cfg->maxmemory_policy;
    if (policy == MAXMEMORY_VOLATILE_TTL) return ULLONG_MAX - (unsigned long long)de->v.s64;
    sobj *o = de->v.val;
    if (!policy_allkeys(policy)) {
        /* Sampled from expires: the value is in keys. */
        o = dict_fetch_value(db->keys, de->key);
        if (!o) return 0;
    }
    if (MAXMEMORY_IS_LFU(policy)) return 255 - obj_lfu_counter(srv, o);
    return obj_idle_ms(srv, o);
}

/* Inserts (idle, key) keeping the pool sorted by ascending idle; the
 * worst candidate drops out when the pool is full. */
static void pool_insert(pool_entry *pool, unsigned long long idle, const sstr key, int dbid) {
    int k = 0;
    while (k < EVICT_POOL_SIZE && pool[k].key && pool[k].idle < idle)
        k++;
    if (k == 0 && pool[EVICT_POOL_SIZE - 1].key) return; /* worse than all of a full pool */
    if (k < EVICT_POOL_SIZE && !pool[k].key) {
        /* An empty slot: nothing to move. */
    } else if (!pool[EVICT_POOL_SIZE - 1].key) {
        memmove(pool + k + 1, pool + k, sizeof(*pool) * (size_t)(EVICT_POOL_SIZE - k - 1));
    } else {
        /* Full: drop the best-to-keep (smallest idle) at the left. */
        k--;
        sstr_free(pool[0].key);
        memmove(pool, pool + 1, sizeof(*pool) * (size_t)k);
    }
    pool[k].idle = idle;
    pool[k].key = sstr_dup(key);
    pool[k].dbid = dbid;
}

static void pool_populate(server *srv, int dbid, pool_entry *pool) {
    sdb *db = &srv->dbs[dbid];
    dict_entry *samples[EVICT_MAX_SAMPLES];
    size_t want = (size_t)srv->cfg->maxmemory_samples;
    if (want < 1) want = 1;
    if (want > EVICT_MAX_SAMPLES) want = EVICT_MAX_SAMPLES;
    size_t n = dict_sample_entries(sample_dict(srv, db), samples, want);
    for (size_t i = 0; i < n; i++)
        pool_insert(pool, candidate_score(srv, db, samples[i]), samples[i]->key, dbid);
}

static void pool_clear(pool_entry *pool) {
    for (int k = 0; k < EVICT_POOL_SIZE; k++) {
        sstr_free(pool[k].key);
        pool[k].key = NULL;
    }
}

/* Best key by the pool; returns an owned copy (and its db) or NULL when
 * there are no candidate keys at all. */
static sstr pick_from_pool(server *srv, pool_entry *pool, int *dbid) {
    for (int round = 0; round < 1000; round++) {
        size_t total = 0;
        for (int i = 0; i < srv->dbnum; i++) {
            size_t n = dict_size(sample_dict(srv, &srv->dbs[i]));
            if (!n) continue;
            pool_populate(srv, i, pool);
            total += n;
        }
        if (!total) return NULL;
        for (int k = EVICT_POOL_SIZE - 1; k >= 0; k--) {
            if (!pool[k].key) continue;
            sstr key = pool[k].key;
            *dbid = pool[k].dbid;
            pool[k].key = NULL;
            pool[k].idle = 0;
            /* A candidate may be gone since it was sampled (a ghost). */
            if (dict_find(sample_dict(srv, &srv->dbs[*dbid]), key)) return key;
            sstr_free(key);
        }
    }
    return NULL;
}

/* A random key of the next non-empty db, round-robin across calls. */
static sstr pick_random(server *srv, int *dbid) {
    static unsigned next_db; /* only a rotation hint */
    for (int i = 0; i < srv->dbnum; i++) {
        int j = (int)(++next_db % (unsigned)srv->dbnum);
        dict_entry *de = dict_random_entry(sample_dict(srv, &srv->dbs[j]));
        if (!de) continue;
        *dbid = j;
        return sstr_dup(de->key);
    }
    return NULL;
}

static int over_limit(const server *srv) {
    return srv->cfg->maxmemory > 0 && evict_mem_used(srv) > (size_t)srv->cfg->maxmemory;
}

int evict_perform(server *srv) {
    if (srv->evict_pool) srv->evict_pool->running = 0;
    /* A replica mirrors its master's data (Redis's replica-ignore-maxmemory yes). */
    if (repl_is_replica(srv)) return EVICT_OK;
    if (!over_limit(srv)) return EVICT_OK;
    int policy = srv->cfg->maxmemory_policy;
    if (policy == MAXMEMORY_NO_EVICTION) return EVICT_FAIL;
    pool_entry *pool = pool_of(srv);
    long long start = server_ustime_now();
    int result = EVICT_OK;
    unsigned long freed = 0;
    while (over_limit(srv)) {
        int dbid = 0;
        sstr key =
            policy_random(policy) ? pick_random(srv, &dbid) : pick_from_pool(srv, pool, &dbid);
        if (!key) {
            result = EVICT_FAIL;
            break;
        }
        propagate_deleted_key(srv, dbid, key);
        if (db_delete(srv, &srv->dbs[dbid], key)) srv->stat_evictedkeys++;
        sstr_free(key);
        /* Bounded: a large overshoot is worked off across commands. */
        if (++freed % 16 == 0 && server_ustime_now() - start > EVICT_TIME_LIMIT_US) {
            result = over_limit(srv) ? EVICT_RUNNING : EVICT_OK;
            break;
        }
    }
    srv->evict_pool->running = result == EVICT_RUNNING;
    return result;
}

void evict_cron(server *srv) {
    if (srv->evict_pool && srv->evict_pool->running) evict_perform(srv);
}

void evict_free(server *srv) {
    if (!srv->evict_pool) return;
    pool_clear(srv->evict_pool->e);
    sk_free(srv->evict_pool);
    srv->evict_pool = NULL;
}

/* Commands that may run in MULTI even when out of memory, as Redis. */
static int multi_oom_exempt(const command *cmd) {
    const char *n = cmd->name;
    return !strcmp(n, "exec") || !strcmp(n, "discard") || !strcmp(n, "quit") || !strcmp(n, "reset");
}

static int queue_has_denyoom(const client *c) {
    for (int i = 0; i < c->mstate_count; i++)
        if (c->mstate[i].cmd && (c->mstate[i].cmd->flags & CMD_DENYOOM)) return 1;
    return 0;
}

int evict_command_refused(client *c) {
    server *srv = c->srv;
    if (!srv->cfg || srv->cfg->maxmemory <= 0 || !c->cmd) return 0;
    if (evict_perform(srv) != EVICT_FAIL) return 0;
    const command *cmd = c->cmd;
    int denyoom = (cmd->flags & CMD_DENYOOM) != 0;
    if (!strcmp(cmd->name, "exec") && queue_has_denyoom(c)) denyoom = 1;
    if ((c->flags & CLIENT_MULTI) && !multi_oom_exempt(cmd)) denyoom = 1;
    return denyoom;
}
