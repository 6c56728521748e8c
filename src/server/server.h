/* server.h - types shared by the modules of sealkv-server.
 *
 * The server is one process running one event loop. A `server` value holds
 * its state and is reached from a client through c->srv (there is no global);
 * the modules of src/server/ share the types below:
 *
 *   object.c     values (sobj) and the per-type operation table
 *   db.c         keyspace: lookup, add, delete, expiry (lazy and active), scan
 *   networking.c clients: read, parse, dispatch, replies, output limits
 *   commands.c   the command table and call()
 *   cmd_*.c      command families, one file each
 *   pubsub.c, multi.c, config.c, info.c, main.c
 *
 * Command handlers take the client, read c->argv/c->argc (validated for
 * arity by the dispatcher) and write exactly one reply with the add_reply_*
 * functions. Errors start with a Redis error prefix ("ERR ", "WRONGTYPE ").
 */
#ifndef SEALKV_SERVER_SERVER_H
#define SEALKV_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/dict.h"
#include "../core/ev.h"
#include "../core/sbuf.h"
#include "../core/sstr.h"
#include "../net/conn.h"
#include "../net/listen.h"
#include "../net/tls.h"
#include "../resp/resp.h"

typedef struct server server;
typedef struct client client;
typedef struct sdb sdb;

/* ------------------------------------------------------------------ values */

/* Types as Redis numbers them (RDB type ids differ; see the RDB module). */
enum obj_type {
    OBJ_STRING = 0,
    OBJ_LIST = 1,
    OBJ_SET = 2,
    OBJ_ZSET = 3,
    OBJ_HASH = 4,
    OBJ_STREAM = 6,
    OBJ_TYPE_MAX = 7
};

/* Encodings, with the names OBJECT ENCODING reports. */
enum obj_encoding {
    OBJ_ENC_RAW = 0,       /* "raw": ptr is an sstr */
    OBJ_ENC_INT = 1,       /* "int": the value is in ival */
    OBJ_ENC_HT = 2,        /* "hashtable": ptr is a dict */
    OBJ_ENC_LISTPACK = 3,  /* "listpack" */
    OBJ_ENC_QUICKLIST = 4, /* "quicklist" */
    OBJ_ENC_INTSET = 5,    /* "intset" */
    OBJ_ENC_SKIPLIST = 6,  /* "skiplist" */
    OBJ_ENC_EMBSTR = 7,    /* "embstr": sstr allocated with the object */
    OBJ_ENC_STREAM = 8     /* "stream" */
};

#define OBJ_LRU_BITS 24
#define OBJ_SHARED_REFCOUNT INT32_MAX /* never freed */
#define OBJ_EMBSTR_LIMIT 44           /* as Redis: strings up to 44 bytes embed */

/* A value. 16 bytes. refcount counts owners; the keyspace is one owner. */
typedef struct sobj {
    unsigned type : 4;
    unsigned encoding : 4;
    unsigned lru : OBJ_LRU_BITS; /* LRU clock (seconds) or LFU: 16 bit time + 8 bit counter */
    int32_t refcount;
    union {
        void *ptr;      /* owned: sstr, dict, listpack... per encoding */
        long long ival; /* OBJ_ENC_INT */
    };
} sobj;

/* What each type provides; the data-model families fill in their entry. */
typedef struct obj_type_ops {
    const char *name;                   /* TYPE reply: "string", "list", ... */
    void (*free_value)(sobj *o);        /* frees o->ptr per encoding */
    sobj *(*dup)(const sobj *o);        /* deep copy (COPY) */
    size_t (*mem_usage)(const sobj *o); /* approximate heap bytes of o->ptr */
} obj_type_ops;

void obj_register_type(enum obj_type t, const obj_type_ops *ops);
const obj_type_ops *obj_type_get(enum obj_type t); /* NULL if not registered */
const char *obj_type_name(const sobj *o);
const char *obj_encoding_name(int encoding);

/* Strings. obj_new_string picks int, embstr or raw encoding as Redis does
 * (int only when the text is a canonical long long and len <= 20). */
sobj *obj_new_string(const void *p, size_t len);
sobj *obj_new_raw_string(const void *p, size_t len); /* always raw */
sobj *obj_new_string_from_sstr(sstr s);              /* takes ownership of s */
sobj *obj_new_string_ll(long long v);
sobj *obj_new(enum obj_type type, enum obj_encoding enc, void *ptr);
sobj *obj_retain(sobj *o);
void obj_release(sobj *o); /* frees at refcount 0; NULL is fine */
/* String value as bytes: for INT encoding formats into buf (>= 21 bytes). */
const char *obj_string_bytes(const sobj *o, char *buf, size_t *len);
size_t obj_string_len(const sobj *o);
/* For in-place modification (APPEND, SETRANGE): the object becomes RAW and
 * unshared; returns the object to store (may be a new one). */
sobj *obj_unshare_string(sobj *o);
/* Numeric views: return 1 and set *out when the string is a valid number. */
int obj_get_ll(const sobj *o, long long *out);
int obj_get_ld(const sobj *o, long double *out);
/* Shrinks a string value to the most compact encoding (on SET). */
sobj *obj_try_encode(sobj *o);
size_t obj_mem_usage(const sobj *o);

/* LRU/LFU bookkeeping, updated on access by db lookups. */
void obj_touch(server *srv, sobj *o);
unsigned long obj_idle_ms(const server *srv, const sobj *o);
unsigned obj_lfu_counter(const server *srv, sobj *o); /* decayed; for OBJECT FREQ */

/* --------------------------------------------------------------- keyspace */

struct sdb {
    dict *keys;    /* sstr -> sobj*; owns both */
    dict *expires; /* the same sstr (borrowed from keys) -> int64 ms in v.s64 */
    dict *watched; /* sstr -> list of clients WATCHing it (multi.c) */
    int id;
    long long avg_ttl;
    uint64_t expires_cursor; /* active expiry resume point */
};

/* Lookups remove an expired key first (lazy expiry) and update LRU/LFU and
 * the keyspace hit/miss counters (read). They return a borrowed object. */
sobj *db_lookup_read(client *c, const sstr key);
sobj *db_lookup_write(client *c, const sstr key);
/* Same, without touching stats or LRU (TYPE, EXISTS-like internal use). */
sobj *db_lookup_nottouch(sdb *db, server *srv, const sstr key);

/* Stores val under key (takes one reference of val). keep_ttl != 0 keeps an
 * existing TTL (SET KEEPTTL); otherwise any TTL is removed. Signals the key
 * as modified (WATCH). */
void db_set_key(client *c, sdb *db, const sstr key, sobj *val, int keep_ttl);
/* Adds a key that must not exist (takes a reference of val). */
void db_add(server *srv, sdb *db, const sstr key, sobj *val);
/* Replaces the value of an existing key keeping its TTL. */
void db_overwrite(server *srv, sdb *db, const sstr key, sobj *val);
/* Returns 1 if the key existed and was removed. */
int db_delete(server *srv, sdb *db, const sstr key);
int db_exists(server *srv, sdb *db, const sstr key);

/* Expiry: absolute ms since the epoch; -1 when none. */
long long db_get_expire(sdb *db, const sstr key);
void db_set_expire(server *srv, sdb *db, const sstr key, long long when_ms);
int db_remove_expire(sdb *db, const sstr key);
/* Deletes key if its TTL has passed; returns 1 if it did. */
int db_expire_if_needed(server *srv, sdb *db, const sstr key);
/* Active expiry: sample keys with a TTL and delete the expired ones, for at
 * most budget_us microseconds across dbs (the Redis "slow cycle"). */
void db_active_expire_cycle(server *srv, long long budget_us);

long long db_size(const sdb *db);
void db_empty(server *srv, sdb *db);      /* FLUSHDB */
sstr db_random_key(server *srv, sdb *db); /* owned copy, NULL when empty */
int db_swap(server *srv, int id1, int id2);

/* Notify WATCHers (and, later, client-side caching) that key changed. */
void db_signal_modified(server *srv, sdb *db, const sstr key);
void db_signal_flushed(server *srv, int dbid); /* -1: every db */

/* ---------------------------------------------------------------- clients */

#define CLIENT_MULTI (1 << 0)
#define CLIENT_DIRTY_CAS (1 << 1)  /* a WATCHed key changed: EXEC fails */
#define CLIENT_DIRTY_EXEC (1 << 2) /* a command was refused while queuing */
#define CLIENT_CLOSE_AFTER_REPLY (1 << 3)
#define CLIENT_CLOSE_ASAP (1 << 4)
#define CLIENT_PUBSUB (1 << 5)
#define CLIENT_UNIX (1 << 6)
#define CLIENT_TLS (1 << 7)
#define CLIENT_PENDING_WRITE (1 << 8)
#define CLIENT_PROTECTED (1 << 9) /* not freed while a command runs */
#define CLIENT_NO_EVICT (1 << 10)
#define CLIENT_REPLICA (1 << 11)
#define CLIENT_MASTER (1 << 12)
#define CLIENT_BLOCKED (1 << 13)
#define CLIENT_FAKE (1 << 14)          /* no connection: AOF loading, internal */
#define CLIENT_WRITE_HANDLER (1 << 15) /* output waits for the socket */

typedef struct multi_cmd {
    sstr *argv; /* owned */
    int argc;
    const struct command *cmd;
} multi_cmd;

struct client {
    uint64_t id;
    server *srv; /* borrowed */
    conn *conn;  /* owned; NULL for fake clients */
    sdb *db;     /* borrowed: the selected db */
    int flags;
    int resp; /* 2 or 3 */
    int authenticated;
    sstr name;     /* owned, NULL when unset */
    char addr[64]; /* peer "ip:port" */
    char laddr[64];

    sbuf querybuf; /* unparsed input */
    size_t querybuf_peak;
    resp_parser parser;
    sstr *argv; /* owned: the command being run */
    int argc;
    const struct command *cmd, *lastcmd;

    sbuf reply; /* pending output; reply.data + sentlen is next to send */
    size_t sentlen;
    long long reply_bytes_soft_since; /* ms when the soft limit was first passed, 0 if not */

    long long ctime_ms, last_interaction_ms;
    uint64_t commands_processed;

    multi_cmd *mstate; /* owned: queued MULTI commands */
    int mstate_count, mstate_cap;
    dict *watched_keys; /* (db id, key) entries this client WATCHes; multi.c */

    dict *pubsub_channels; /* sstr -> NULL; owned */
    dict *pubsub_patterns;
    struct tracking_client *tracking; /* owned by tracking.c; NULL when tracking is off */

    struct client *prev, *next;                 /* all clients list (server) */
    struct client *pending_prev, *pending_next; /* clients with output to flush */
    struct repl_client *repl;                   /* owned by replication.c; NULL if none */
    long long woff; /* replication offset after this client's last write (WAIT) */
};

/* Replies. Exactly one per command; after CLIENT_CLOSE_AFTER_REPLY they are
 * dropped. Output buffer limits are checked as replies are added. */
void add_reply_simple(client *c, const char *s);
void add_reply_ok(client *c);
void add_reply_error(client *c, const char *msg); /* msg already prefixed ("ERR ...") */
void add_reply_errorf(client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void add_reply_int(client *c, long long v);
void add_reply_bulk(client *c, const void *p, size_t len);
void add_reply_bulk_cstr(client *c, const char *s);
void add_reply_bulk_sstr(client *c, const sstr s);
void add_reply_bulk_obj(client *c, const sobj *o); /* a string object */
void add_reply_bulk_ll(client *c, long long v);
void add_reply_double(client *c, double d);
void add_reply_null(client *c);       /* nil bulk ($-1) */
void add_reply_null_array(client *c); /* nil array (*-1) */
void add_reply_array(client *c, long long n);
void add_reply_map(client *c, long long n);
void add_reply_verbatim(client *c, const char *p, size_t len, const char *ext);
void add_reply_raw(client *c, const void *p, size_t len); /* pre-encoded RESP */
/* A HELP reply: one status line per entry. */
void add_reply_help(client *c, const char *const *lines, size_t n);
/* For replies whose length is known only at the end. */
size_t add_reply_deferred_len(client *c);
void set_deferred_array_len(client *c, size_t handle, long long n);

/* Common error replies with Redis's texts. */
void add_reply_wrongtype(client *c);
void add_reply_syntax_error(client *c);
void add_reply_not_integer(client *c); /* "ERR value is not an integer or out of range" */
void add_reply_arity_error(client *c);

/* Parses argument i as an integer; on failure replies (msg or the standard
 * text) and returns -1; on success returns 0. */
int get_ll_from_arg(client *c, int i, long long *out, const char *msg);
int get_positive_ll_from_arg(client *c, int i, long long *out, const char *msg);
int get_ld_from_arg(client *c, int i, long double *out, const char *msg);
int get_double_from_arg(client *c, int i, double *out, const char *msg);
int arg_is(const client *c, int i, const char *lit); /* case-insensitive */

client *client_create(server *srv, conn *cn, int flags);
void client_free(client *c);
void client_free_async(client *c); /* closes after the current event */
void client_select_db(client *c, int id);

/* ---------------------------------------------------------------- commands */

#define CMD_WRITE (1 << 0)
#define CMD_READONLY (1 << 1)
#define CMD_DENYOOM (1 << 2)
#define CMD_ADMIN (1 << 3)
#define CMD_PUBSUB (1 << 4)
#define CMD_NOSCRIPT (1 << 5)
#define CMD_LOADING (1 << 6)
#define CMD_STALE (1 << 7)
#define CMD_FAST (1 << 8)
#define CMD_NO_AUTH (1 << 9)
#define CMD_NO_MULTI (1 << 10)
#define CMD_ALLOW_BUSY (1 << 11)
#define CMD_BLOCKING (1 << 12)
#define CMD_MAY_REPLICATE (1 << 13)

typedef void command_fn(client *c);

typedef struct command {
    const char *name; /* lowercase; for a subcommand the part after '|' */
    command_fn *fn;
    int arity; /* > 0 exact, < 0 at least -arity */
    int flags;
    int first_key, last_key, key_step; /* positions for COMMAND INFO / GETKEYS */
    const char *group;                 /* "string", "generic", "server", ... */
    const char *summary;
    const char *since;
    const struct command *subcommands; /* NULL-name terminated, or NULL */
} command;

/* Each family exports its table (terminated by a NULL name) and commands.c
 * merges them into the lookup dict at start. */
extern const command cmds_string[];
extern const command cmds_keys[];
extern const command cmds_connection[];
extern const command cmds_server[];
extern const command cmds_pubsub[];
extern const command cmds_multi[];

const command *command_lookup(server *srv, const sstr name);
/* "get", or "object|encoding" for a subcommand (static storage). */
const char *command_fullname(const command *cmd);
const command *command_lookup_sub(const command *cmd, const sstr sub);
/* Runs c->cmd on c->argv: stats, dirty tracking, propagation hooks. */
void command_call(client *c);
/* Full path used by networking.c: lookup, arity, auth, MULTI queueing. */
void command_process(client *c);
void commands_init(server *srv);
void commands_free(server *srv);
size_t commands_count(const server *srv);

/* ------------------------------------------------------------------- server */

typedef struct server_config server_config; /* config.c */

struct server {
    ev_loop *loop;      /* owned */
    server_config *cfg; /* owned */
    sdb *dbs;           /* owned: cfg databases entries */
    int dbnum;
    dict *commands; /* name -> const command* */

    listener *tcp_listener, *tls_listener, *unix_listener; /* owned */
    sstr tcp_listen_key, tls_listen_key; /* owned: "port bind..." each is bound to */
    tls_ctx *tls;                        /* owned reference; swapped on reload */
    tls_stats tls_stats;
    int64_t tls_reload_timer;

    client *clients;        /* all connected clients (list head) */
    client *pending_writes; /* clients with replies to flush in before-sleep */
    client *current_client; /* running a command */
    int call_depth;         /* command_call nesting (EXEC runs commands) */
    uint64_t next_client_id;
    long long nclients;

    struct blocking_ctx *blocking; /* owned by blocking.c: blocked clients, ready keys */
    dict *pubsub_channels;         /* channel sstr -> dict of clients */
    dict *pubsub_patterns;         /* pattern sstr -> dict of clients */
    struct tracking_ctx *tracking; /* owned by tracking.c: client-side caching */
    struct evict_pool *evict_pool; /* owned by evict.c: eviction candidates, or NULL */

    /* stats */
    long long start_ms;
    long long dirty;
    uint64_t stat_numcommands, stat_numconnections, stat_rejected_conn;
    uint64_t stat_keyspace_hits, stat_keyspace_misses;
    uint64_t stat_expiredkeys, stat_evictedkeys;
    uint64_t stat_net_input_bytes, stat_net_output_bytes;
    uint64_t stat_unexpected_error_replies, stat_total_error_replies;
    uint64_t stat_client_qbuf_limit_disconnections, stat_client_outbuf_limit_disconnections;
    long long stat_peak_memory;
    unsigned lru_clock; /* seconds, OBJ_LRU_BITS wide */
    long long mstime;   /* cached wall clock, see server_update_time */
    long long ustime;
    long long cronloops;
    long long last_clients_cron_ms;
    long long ops_sample_ms, ops_per_sec;
    uint64_t ops_sample_count;
    int shutdown_asap;
    char runid[41];
    char *executable, *config_file; /* owned, absolute */
    struct repl_state *repl;        /* owned by replication.c */
    /* persistence */
    struct child_state *child;  /* owned by child.c: the forked child, fork stats */
    struct rdb_state *rdb;      /* owned by rdb.c: save points, last save status */
    int loading;                /* 1 while a data file is being loaded */
    struct propagate_ctx *prop; /* owned by propagate.c: queued commands, sinks */
    struct aof_state *aof;      /* owned by aof.c, NULL until aof_init */
};

/* Time as Redis uses it: cached wall clock refreshed each loop iteration
 * and before each command, so a command sees one "now". */
long long server_mstime(const server *srv);
void server_update_time(server *srv);
/* Wall clock in microseconds, read now (not cached). */
long long server_ustime_now(void);

/* data layer additions (object.c, db.c; owner: data layer)
 *
 * Keyspace contract details: db_add, db_overwrite, db_set_key, db_delete
 * and the deletion of an expired key call db_signal_modified themselves;
 * a command that edits a value in place or only changes a TTL calls it.
 * Commands count srv->dirty. db_exists is "present and not logically
 * expired" (nothing deleted, no stats). db_empty signals the watchers of
 * its db before emptying it. db_swap returns 0 or SK_EINVAL. */

#define OBJ_SHARED_INTEGERS 10000 /* 0..9999 are shared int objects */

/* Registers the string type and builds the shared integers; call once at
 * start, before any value is created. */
void obj_init_types(void);
/* Re-reads maxmemory / maxmemory-policy: whether new integer values may be
 * shared (not under an LRU/LFU policy with maxmemory set) and how new
 * objects initialise their LRU/LFU field. Call at start and after CONFIG
 * SET of either (db_lookup and the expiry cycle also call it, so a missed
 * call costs at most one stale decision). */
void obj_apply_config(const server *srv);
/* Embstr (<= OBJ_EMBSTR_LIMIT bytes) or raw, never int (Redis's
 * createStringObject: INCRBYFLOAT results keep their text form). */
sobj *obj_new_string_noint(const void *p, size_t len);
/* Deep copy through the type's dup op; NULL when the type has none. */
sobj *obj_dup(const sobj *o);

/* Lookup flags (Redis's LOOKUP_*). A WRITE lookup counts no hit/miss. */
#define DB_LOOKUP_NONE 0
#define DB_LOOKUP_NOTOUCH (1 << 0) /* leave LRU/LFU alone (TYPE, TTL, OBJECT) */
#define DB_LOOKUP_NOSTATS (1 << 1) /* no keyspace hit/miss */
#define DB_LOOKUP_WRITE (1 << 2)
/* The general lookup behind db_lookup_read/write/nottouch: lazy expiry,
 * then LRU/LFU and stats per flags. Returns a borrowed object or NULL. */
sobj *db_lookup(server *srv, sdb *db, const sstr key, int flags);
/* Non-zero when key has a TTL in the past (nothing is deleted). */
int db_key_is_expired(const server *srv, sdb *db, const sstr key);
/* Whether a command setting the absolute expiry `when` should delete the key
 * now instead (Redis's checkAlreadyExpired): never on a replica applying its
 * master's stream, nor while loading a file, where only the source may decide
 * that a key is gone; a lagging replica would otherwise diverge. */
int db_expire_is_past(const server *srv, long long when_ms);
/* Allocates srv->dbs (dbnum empty databases, ids 0..dbnum-1, watched NULL
 * until multi.c needs it) with the keyspace's dict types; db_free_all
 * frees them, content and multi_free_db included. */
void db_init_all(server *srv, int dbnum);
void db_free_all(server *srv);

#endif
