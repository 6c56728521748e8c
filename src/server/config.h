/* config.h - sealkv-server's directives: parsing, CONFIG GET/SET/REWRITE.
 *
 * One table describes every directive (name, type, default, bounds, whether
 * it can change at run time, and an apply hook). The config file, the
 * command line ("--port 7000") and CONFIG SET all go through it, so the
 * rules and error texts are the same everywhere. A bad directive in a file is
 * reported as "<file>:<line>: <reason>" and the server does not start.
 */
#ifndef SEALKV_SERVER_CONFIG_H
#define SEALKV_SERVER_CONFIG_H

#include "server.h"

struct server_config {
    /* network */
    char **bind;
    int bind_count;
    int port, tls_port;
    char *unixsocket;
    unsigned unixsocketperm;
    int tcp_backlog;
    int maxclients;
    int timeout; /* idle seconds, 0 = never */
    int tcp_keepalive;
    int protected_mode;
    char *requirepass; /* NULL when unset; never logged */
    /* process */
    int daemonize;
    char *pidfile, *logfile, *dir, *dbfilename;
    char *config_file; /* absolute path, NULL without a file */
    int loglevel;
    int databases;
    int hz;
    /* limits */
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long obuf_hard[3], obuf_soft[3], obuf_soft_seconds[3]; /* normal, replica, pubsub */
    long long maxmemory;
    int maxmemory_policy;
    int maxmemory_samples;
    int lfu_log_factor, lfu_decay_time;
    int active_expire_effort;
    int lazyfree_lazy_user_del, lazyfree_lazy_user_flush;
    long long tracking_table_max_keys;
    /* tls */
    char *tls_cert_file, *tls_key_file, *tls_key_file_pass;
    char *tls_client_cert_file, *tls_client_key_file, *tls_client_key_file_pass;
    char *tls_ca_cert_file, *tls_ca_cert_dir, *tls_dh_params_file;
    int tls_auth_clients;
    char *tls_protocols, *tls_ciphers, *tls_ciphersuites;
    int tls_prefer_server_ciphers, tls_session_caching;
    long long tls_session_cache_size, tls_session_cache_timeout;
    int tls_replication, tls_cluster;
    char **tls_allowed_names;
    int tls_allowed_names_count;
    int tls_auto_reload_interval;
    int tls_max_handshakes_per_loop;
    int tls_handshake_timeout; /* ms */
    /* replication (replication.c) */
    char *replicaof; /* "host port", NULL when unset */
    char *masterauth, *masteruser;
    int replica_read_only, replica_serve_stale_data;
    long long repl_backlog_size;
    int repl_backlog_ttl, repl_timeout, repl_ping_replica_period;
    int repl_diskless_sync, repl_diskless_sync_delay, repl_diskless_sync_max_replicas;
    int repl_diskless_load;
    int min_replicas_to_write, min_replicas_max_lag;
    char *replica_announce_ip;
    int replica_announce_port, replica_priority, replica_announced;
    int repl_disable_tcp_nodelay;
    char *tls_replication_peer_name;
    /* encodings (thresholds used by the data-model families) */
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries, set_max_listpack_entries, set_max_listpack_value;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long list_max_listpack_size, list_compress_depth;
    long long stream_node_max_bytes, stream_node_max_entries;
    long long hll_sparse_max_bytes; /* sparse HLL promoted to dense past this size */
    /* replication and persistence placeholders live in their own modules */
    /* RDB (rdb.c, cmd_persist.c) */
#define CONFIG_MAX_SAVE_POINTS 32
    long long save_points[CONFIG_MAX_SAVE_POINTS][2]; /* seconds, changes */
    int save_point_count;
    int loading_file;      /* set while a file or the command line is read */
    int save_seen_in_file; /* later `save` lines there add to the first */
    int rdbcompression, rdbchecksum, stop_writes_on_bgsave_error, rdb_del_sync_files;
    /* append-only file (aof.c) */
    int appendonly;
    int appendfsync; /* AOF_FSYNC_* (aof.h) */
    char *appenddirname, *appendfilename;
    int auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    int aof_load_truncated, aof_use_rdb_preamble, aof_timestamp_enabled;
    int enable_protected_configs; /* PROTECTED_*: may CONFIG SET change dir, dbfilename */
};

enum maxmemory_policy {
    MAXMEMORY_NO_EVICTION = 0,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_ALLKEYS_RANDOM
};
enum { PROTECTED_NO = 0, PROTECTED_YES = 1, PROTECTED_LOCAL = 2 };

#define MAXMEMORY_IS_LFU(p) ((p) == MAXMEMORY_VOLATILE_LFU || (p) == MAXMEMORY_ALLKEYS_LFU)
#define MAXMEMORY_IS_LRU(p) ((p) == MAXMEMORY_VOLATILE_LRU || (p) == MAXMEMORY_ALLKEYS_LRU)

server_config *config_create_defaults(void);
void config_free(server_config *cfg);

/* Loads a config file then applies "--name value ..." arguments. Returns 0,
 * or SK_ECONFIG with "file:line: reason" in err. */
int config_load(server_config *cfg, const char *path, int argc, char **argv, char *err,
                size_t errlen);

/* Same from a text (fuzzing, tests); origin names it in errors. */
int config_load_string(server_config *cfg, const char *text, size_t len, const char *origin,
                       char *err, size_t errlen);
/* Non-zero when some listener or link needs a TLS context. */
int config_tls_wanted(const server_config *cfg);
int config_rewrite(server *srv, char *err, size_t errlen);

/* Applies the TLS part of cfg to srv (builds a new context, swaps it). */
int config_apply_tls(server *srv, char *err, size_t errlen);

/* chdir to cfg->dir (when set) and store it as an absolute path. 0, or -1
 * with the reason in err. */
int config_apply_dir(server_config *cfg, char *err, size_t errlen);

/* CONFIG GET/SET/REWRITE/RESETSTAT handlers. */
void config_command(client *c);

/* Fills a tls_config from the server's directives (pointers borrowed). */
void config_to_tls(const server_config *cfg, tls_config *out);

#endif
