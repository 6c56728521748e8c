/* config.c - the directive table and everything that reads or writes it.
 *
 * A directive is described once (type, place in server_config, default,
 * bounds, mutability, apply hook); the config file, command-line arguments,
 * CONFIG GET/SET/REWRITE all use that description. CONFIG SET of several
 * directives is all-or-nothing: values are parsed into a copy, hooks run, and
 * on any failure every directive gets its old value back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/cfgfile.h"
#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "commands.h"
#include "config.h"
#include "evict.h"
#include "aof.h"
#include "server_main.h"

typedef enum { T_BOOL, T_INT, T_LL, T_MEM, T_STR, T_ENUM, T_SPECIAL } dtype;

#define D_IMMUTABLE (1 << 0) /* file / command line only */
#define D_TLS (1 << 1)       /* a change rebuilds the TLS context */
#define D_LISTEN (1 << 2)    /* a change re-opens listeners */
#define D_SECRET (1 << 3)    /* never logged */
#define D_PROTECTED (1 << 4) /* CONFIG SET only with enable-protected-configs (Redis 7) */
#define D_NOSET (1 << 5)     /* not for CONFIG SET, but CONFIG REWRITE writes it (replicaof) */

typedef struct enum_name {
    const char *name;
    int value;
} enum_name;

typedef struct directive directive;
typedef int parse_fn(server_config *cfg, const directive *d, sstr *argv, int argc,
                     const char **err);
typedef void format_fn(const server_config *cfg, const directive *d, sbuf *out);

struct directive {
    const char *name;
    dtype type;
    size_t offset;
    int flags;
    long long min, max;
    const char *def; /* default, in config-file syntax */
    const enum_name *enums;
    parse_fn *parse; /* T_SPECIAL */
    format_fn *format;
    const char *alias;
};

#define OFF(f) offsetof(server_config, f)

/* List directives keep their count right after the array pointer. */
_Static_assert(offsetof(server_config, bind_count) ==
                   offsetof(server_config, bind) + sizeof(char **),
               "bind_count must follow bind");
_Static_assert(offsetof(server_config, tls_allowed_names_count) ==
                   offsetof(server_config, tls_allowed_names) + sizeof(char **),
               "tls_allowed_names_count must follow tls_allowed_names");
#define FIELD(cfg, d, type) ((type *)((char *)(cfg) + (d)->offset))

static const enum_name yes_no_optional[] = {
    {"no", TLS_AUTH_NO}, {"yes", TLS_AUTH_YES}, {"optional", TLS_AUTH_OPTIONAL}, {NULL, 0}};
static const enum_name appendfsync_modes[] = {{"always", AOF_FSYNC_ALWAYS},
                                              {"everysec", AOF_FSYNC_EVERYSEC},
                                              {"no", AOF_FSYNC_NO},
                                              {NULL, 0}};
static const enum_name no_yes_local[] = {
    {"no", PROTECTED_NO}, {"yes", PROTECTED_YES}, {"local", PROTECTED_LOCAL}, {NULL, 0}};
static const enum_name loglevels[] = {{"debug", LOG_DEBUG},
                                      {"verbose", LOG_VERBOSE},
                                      {"notice", LOG_NOTICE},
                                      {"warning", LOG_WARNING},
                                      {NULL, 0}};
static const enum_name diskless_load_modes[] = {{"disabled", 0}, {NULL, 0}};
static const enum_name maxmemory_policies[] = {{"volatile-lru", MAXMEMORY_VOLATILE_LRU},
                                               {"volatile-lfu", MAXMEMORY_VOLATILE_LFU},
                                               {"volatile-random", MAXMEMORY_VOLATILE_RANDOM},
                                               {"volatile-ttl", MAXMEMORY_VOLATILE_TTL},
                                               {"allkeys-lru", MAXMEMORY_ALLKEYS_LRU},
                                               {"allkeys-lfu", MAXMEMORY_ALLKEYS_LFU},
                                               {"allkeys-random", MAXMEMORY_ALLKEYS_RANDOM},
                                               {"noeviction", MAXMEMORY_NO_EVICTION},
                                               {NULL, 0}};

/* ------------------------------------------------------- special types */

static void free_str_list(char **list, int n) {
    for (int i = 0; i < n; i++)
        sk_free(list[i]);
    sk_free(list);
}

static char **copy_args(sstr *argv, int argc) {
    char **list = sk_calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++)
        list[i] = sk_strdup(argv[i]);
    return list;
}

/* A list directive (bind, tls-allowed-names): one or more words; CONFIG SET
 * passes them as one space-separated argument, as Redis does for bind. */
static int parse_list(server_config *cfg, const directive *d, sstr *argv, int argc,
                      const char **err) {
    char ***list = FIELD(cfg, d, char **);
    int *count = (int *)((char *)list + sizeof(char **));
    int n = argc;
    sstr *words = argv;
    sstr *split = NULL;
    if (argc == 1) {
        split = cfgfile_split_args(argv[0], sstr_len(argv[0]), &n);
        if (!split) {
            *err = "unbalanced quotes";
            return -1;
        }
        words = split;
    }
    if (!strcmp(d->name, "bind") && n == 0) {
        *err = "bind needs at least one address";
        if (split) cfgfile_free_args(split, n);
        return -1;
    }
    free_str_list(*list, *count);
    *list = copy_args(words, n);
    *count = n;
    if (split) cfgfile_free_args(split, n);
    return 0;
}

static void format_list(const server_config *cfg, const directive *d, sbuf *out) {
    char *const *list = *FIELD(cfg, d, char **);
    int count = *(const int *)((const char *)cfg + d->offset + sizeof(char **));
    for (int i = 0; i < count; i++) {
        if (i) sbuf_append_char(out, ' ');
        sbuf_append_str(out, list[i]);
    }
}

static int parse_mem_value(const char *s, long long *out) {
    size_t len = strlen(s);
    long long mul = 1;
    size_t digits = len;
    static const struct {
        const char *suffix;
        long long mul;
    } units[] = {{"kb", 1024},
                 {"k", 1000},
                 {"mb", 1024 * 1024},
                 {"m", 1000 * 1000},
                 {"gb", 1LL << 30},
                 {"g", 1000LL * 1000 * 1000},
                 {"b", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t sl = strlen(units[i].suffix);
        if (len > sl && !strcasecmp(s + len - sl, units[i].suffix)) {
            mul = units[i].mul;
            digits = len - sl;
            break;
        }
    }
    long long v;
    if (!util_str_to_ll(s, digits, &v) || v < 0) return -1;
    if (v > LLONG_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

/* client-output-buffer-limit <class> <hard> <soft> <seconds> [<class> ...] */
static int parse_obuf(server_config *cfg, const directive *d, sstr *argv, int argc,
                      const char **err) {
    (void)d;
    int n = argc;
    sstr *words = argv;
    sstr *split = NULL;
    if (argc == 1) {
        split = cfgfile_split_args(argv[0], sstr_len(argv[0]), &n);
        words = split;
    }
    int rc = -1;
    long long hard[3], soft[3], secs[3];
    memcpy(hard, cfg->obuf_hard, sizeof(hard));
    memcpy(soft, cfg->obuf_soft, sizeof(soft));
    memcpy(secs, cfg->obuf_soft_seconds, sizeof(secs));
    *err = "Wrong number of arguments in buffer limit configuration.";
    if (!words || n == 0 || n % 4) goto cleanup;
    for (int i = 0; i < n; i += 4) {
        int cls;
        if (!strcasecmp(words[i], "normal"))
            cls = 0;
        else if (!strcasecmp(words[i], "replica") || !strcasecmp(words[i], "slave"))
            cls = 1;
        else if (!strcasecmp(words[i], "pubsub"))
            cls = 2;
        else {
            *err = "Invalid client class specified in buffer limit configuration.";
            goto cleanup;
        }
        long long s;
        if (parse_mem_value(words[i + 1], &hard[cls]) ||
            parse_mem_value(words[i + 2], &soft[cls]) ||
            !util_str_to_ll(words[i + 3], strlen(words[i + 3]), &s) || s < 0) {
            *err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            goto cleanup;
        }
        secs[cls] = s;
    }
    memcpy(cfg->obuf_hard, hard, sizeof(hard));
    memcpy(cfg->obuf_soft, soft, sizeof(soft));
    memcpy(cfg->obuf_soft_seconds, secs, sizeof(secs));
    rc = 0;
cleanup:
    if (split) cfgfile_free_args(split, n);
    return rc;
}

static void format_obuf(const server_config *cfg, const directive *d, sbuf *out) {
    (void)d;
    static const char *names[] = {"normal", "replica", "pubsub"};
    for (int i = 0; i < 3; i++)
        sbuf_appendf(out, "%s%s %lld %lld %lld", i ? " " : "", names[i], cfg->obuf_hard[i],
                     cfg->obuf_soft[i], cfg->obuf_soft_seconds[i]);
}

static int parse_octal(server_config *cfg, const directive *d, sstr *argv, int argc,
                       const char **err) {
    (void)d;
    char *end;
    errno = 0;
    long v = argc == 1 ? strtol(argv[0], &end, 8) : -1;
    if (argc != 1 || errno || *end || v < 0 || v > 0777) {
        *err = "Invalid socket file permissions";
        return -1;
    }
    cfg->unixsocketperm = (unsigned)v;
    return 0;
}

static void format_octal(const server_config *cfg, const directive *d, sbuf *out) {
    (void)d;
    sbuf_appendf(out, "%o", cfg->unixsocketperm);
}

/* save: "<seconds> <changes> ..." pairs, or "" for none. CONFIG SET
 * replaces the list; in config files and on the command line the `save`
 * lines accumulate, the first one replacing the defaults, as Redis. */
static int parse_save(server_config *cfg, const directive *d, sstr *argv, int argc,
                      const char **err) {
    (void)d;
    long long pts[CONFIG_MAX_SAVE_POINTS][2];
    int words = 0;
    for (int i = 0; i < argc; i++) {
        char buf[512];
        snprintf(buf, sizeof(buf), "%s", argv[i]);
        for (char *sv = NULL, *tok = strtok_r(buf, " \t", &sv); tok;
             tok = strtok_r(NULL, " \t", &sv)) {
            long long v;
            if (!util_str_to_ll(tok, strlen(tok), &v) || v < 0 || (words % 2 == 0 && v == 0)) {
                *err = "Invalid save parameters";
                return -1;
            }
            if (words / 2 >= CONFIG_MAX_SAVE_POINTS) {
                *err = "Too many save points";
                return -1;
            }
            pts[words / 2][words % 2] = v;
            words++;
        }
    }
    if (words % 2) {
        *err = "Invalid save parameters";
        return -1;
    }
    int n = words / 2;
    int append = cfg->loading_file && cfg->save_seen_in_file && n > 0;
    if (append && cfg->save_point_count + n > CONFIG_MAX_SAVE_POINTS) {
        *err = "Too many save points";
        return -1;
    }
    if (!append) cfg->save_point_count = 0;
    memcpy(cfg->save_points[cfg->save_point_count], pts, sizeof(pts[0]) * (size_t)n);
    cfg->save_point_count += n;
    if (cfg->loading_file) cfg->save_seen_in_file = 1;
    return 0;
}

/* As Redis: a file name, not a path (the place is `dir`). */
static int parse_dbfilename(server_config *cfg, const directive *d, sstr *argv, int argc,
                            const char **err) {
    (void)d;
    if (argc != 1 || sstr_len(argv[0]) == 0 || strchr(argv[0], '/') ||
        strlen(argv[0]) != sstr_len(argv[0])) {
        *err =
            argc != 1 ? "wrong number of arguments" : "dbfilename can't be a path, just a filename";
        return -1;
    }
    sk_free(cfg->dbfilename);
    cfg->dbfilename = sk_strdup(argv[0]);
    return 0;
}

static void format_save(const server_config *cfg, const directive *d, sbuf *out) {
    (void)d;
    for (int i = 0; i < cfg->save_point_count; i++)
        sbuf_appendf(out, "%s%lld %lld", i ? " " : "", cfg->save_points[i][0],
                     cfg->save_points[i][1]);
}

static int parse_tls_protocols(server_config *cfg, const directive *d, sstr *argv, int argc,
                               const char **err) {
    (void)d;
    sstr joined = sstr_empty();
    for (int i = 0; i < argc; i++) {
        if (i) joined = sstr_cat(joined, " ", 1);
        joined = sstr_cat_sstr(joined, argv[i]);
    }
    int bits;
    if (sstr_len(joined) && tls_parse_protocols(joined, &bits) < 0) {
        sstr_free(joined);
        *err = "Invalid tls-protocols: use TLSv1.2 and/or TLSv1.3 (TLSv1, TLSv1.1 also accepted)";
        return -1;
    }
    sk_free(cfg->tls_protocols);
    cfg->tls_protocols = sstr_len(joined) ? sk_strdup(joined) : NULL;
    sstr_free(joined);
    return 0;
}

static void format_str_field(const server_config *cfg, const directive *d, sbuf *out) {
    const char *s = *(char *const *)((const char *)cfg + d->offset);
    if (s) sbuf_append_str(out, s);
}

/* replicaof <host> <port> (also as one "host port" argument); "no one" or
 * "" unsets it. */
static int parse_replicaof(server_config *cfg, const directive *d, sstr *argv, int argc,
                           const char **err) {
    (void)d;
    int n = argc;
    sstr *words = argv;
    sstr *split = NULL;
    int rc = -1;
    if (argc == 1) {
        split = cfgfile_split_args(argv[0], sstr_len(argv[0]), &n);
        words = split;
    }
    long long port;
    if (words && n == 0) {
        sk_free(cfg->replicaof);
        cfg->replicaof = NULL;
        rc = 0;
    } else if (words && n == 2 && !strcasecmp(words[0], "no") && !strcasecmp(words[1], "one")) {
        sk_free(cfg->replicaof);
        cfg->replicaof = NULL;
        rc = 0;
    } else if (!words || n != 2 || sstr_len(words[0]) == 0) {
        *err = "wrong number of arguments (replicaof <host> <port>)";
    } else if (!util_str_to_ll(words[1], sstr_len(words[1]), &port) || port < 1 || port > 65535) {
        *err = "Invalid master port";
    } else {
        sk_free(cfg->replicaof);
        size_t cap = sstr_len(words[0]) + 8;
        cfg->replicaof = sk_malloc(cap);
        snprintf(cfg->replicaof, cap, "%s %lld", words[0], port);
        rc = 0;
    }
    if (split) cfgfile_free_args(split, n);
    return rc;
}

/* --------------------------------------------------------------- table */

#define B(n, f, fl, def)                                                                           \
    { n, T_BOOL, OFF(f), fl, 0, 1, def, NULL, NULL, NULL, NULL }
#define I(n, f, fl, mn, mx, def)                                                                   \
    { n, T_INT, OFF(f), fl, mn, mx, def, NULL, NULL, NULL, NULL }
#define L(n, f, fl, mn, mx, def)                                                                   \
    { n, T_LL, OFF(f), fl, mn, mx, def, NULL, NULL, NULL, NULL }
#define M(n, f, fl, mn, mx, def)                                                                   \
    { n, T_MEM, OFF(f), fl, mn, mx, def, NULL, NULL, NULL, NULL }
#define S(n, f, fl, def)                                                                           \
    { n, T_STR, OFF(f), fl, 0, 0, def, NULL, NULL, NULL, NULL }
#define E(n, f, fl, en, def)                                                                       \
    { n, T_ENUM, OFF(f), fl, 0, 0, def, en, NULL, NULL, NULL }
#define X(n, f, fl, def, p, fm)                                                                    \
    { n, T_SPECIAL, OFF(f), fl, 0, 0, def, NULL, p, fm, NULL }

static const directive directives[] = {
    X("bind", bind, D_LISTEN, "* -::*", parse_list, format_list),
    I("port", port, D_LISTEN, 0, 65535, "6379"),
    I("tls-port", tls_port, D_LISTEN, 0, 65535, "0"),
    S("unixsocket", unixsocket, D_IMMUTABLE, ""),
    X("unixsocketperm", unixsocketperm, D_IMMUTABLE, "0", parse_octal, format_octal),
    I("tcp-backlog", tcp_backlog, D_IMMUTABLE, 0, INT_MAX, "511"),
    I("maxclients", maxclients, 0, 1, INT_MAX, "10000"),
    I("timeout", timeout, 0, 0, INT_MAX, "0"),
    I("tcp-keepalive", tcp_keepalive, 0, 0, INT_MAX, "300"),
    B("protected-mode", protected_mode, 0, "yes"),
    S("requirepass", requirepass, D_SECRET, ""),
    B("daemonize", daemonize, D_IMMUTABLE, "no"),
    S("pidfile", pidfile, D_IMMUTABLE, ""),
    S("logfile", logfile, D_IMMUTABLE, ""),
    S("dir", dir, D_PROTECTED, ""),
    X("dbfilename", dbfilename, D_PROTECTED, "dump.rdb", parse_dbfilename, format_str_field),
    E("enable-protected-configs", enable_protected_configs, D_IMMUTABLE, no_yes_local, "no"),
    X("save", save_points, 0, "3600 1 300 100 60 10000", parse_save, format_save),
    B("rdbcompression", rdbcompression, 0, "yes"),
    B("rdbchecksum", rdbchecksum, D_IMMUTABLE, "yes"), /* immutable in Redis too */
    B("stop-writes-on-bgsave-error", stop_writes_on_bgsave_error, 0, "yes"),
    B("rdb-del-sync-files", rdb_del_sync_files, 0, "no"),
    B("appendonly", appendonly, 0, "no"),
    E("loglevel", loglevel, 0, loglevels, "notice"),
    I("databases", databases, D_IMMUTABLE, 1, INT_MAX, "16"),
    I("hz", hz, 0, 1, 500, "10"),
    M("proto-max-bulk-len", proto_max_bulk_len, 0, 1024 * 1024, LLONG_MAX, "512mb"),
    M("client-query-buffer-limit", client_query_buffer_limit, 0, 1024 * 1024, LLONG_MAX, "1gb"),
    X("client-output-buffer-limit", obuf_hard, 0,
      "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60", parse_obuf, format_obuf),
    M("maxmemory", maxmemory, 0, 0, LLONG_MAX, "0"),
    E("maxmemory-policy", maxmemory_policy, 0, maxmemory_policies, "noeviction"),
    I("maxmemory-samples", maxmemory_samples, 0, 1, 64, "5"),
    I("active-expire-effort", active_expire_effort, 0, 1, 10, "1"),
    I("lfu-log-factor", lfu_log_factor, 0, 0, INT_MAX, "10"),
    I("lfu-decay-time", lfu_decay_time, 0, 0, INT_MAX, "1"),
    B("lazyfree-lazy-user-del", lazyfree_lazy_user_del, 0, "no"),
    L("tracking-table-max-keys", tracking_table_max_keys, 0, 0, LLONG_MAX, "1000000"),
    B("lazyfree-lazy-user-flush", lazyfree_lazy_user_flush, 0, "no"),
    /* TLS */
    S("tls-cert-file", tls_cert_file, D_TLS, ""),
    S("tls-key-file", tls_key_file, D_TLS, ""),
    S("tls-key-file-pass", tls_key_file_pass, D_TLS | D_SECRET, ""),
    S("tls-client-cert-file", tls_client_cert_file, D_TLS, ""),
    S("tls-client-key-file", tls_client_key_file, D_TLS, ""),
    S("tls-client-key-file-pass", tls_client_key_file_pass, D_TLS | D_SECRET, ""),
    S("tls-ca-cert-file", tls_ca_cert_file, D_TLS, ""),
    S("tls-ca-cert-dir", tls_ca_cert_dir, D_TLS, ""),
    S("tls-dh-params-file", tls_dh_params_file, D_TLS, ""),
    E("tls-auth-clients", tls_auth_clients, D_TLS, yes_no_optional, "yes"),
    X("tls-protocols", tls_protocols, D_TLS, "", parse_tls_protocols, format_str_field),
    S("tls-ciphers", tls_ciphers, D_TLS, ""),
    S("tls-ciphersuites", tls_ciphersuites, D_TLS, ""),
    B("tls-prefer-server-ciphers", tls_prefer_server_ciphers, D_TLS, "no"),
    B("tls-session-caching", tls_session_caching, D_TLS, "yes"),
    L("tls-session-cache-size", tls_session_cache_size, D_TLS, 0, LLONG_MAX, "20480"),
    L("tls-session-cache-timeout", tls_session_cache_timeout, D_TLS, 0, LLONG_MAX, "300"),
    B("tls-replication", tls_replication, D_TLS, "no"),
    B("tls-cluster", tls_cluster, 0, "no"),
    X("tls-allowed-names", tls_allowed_names, D_TLS, "", parse_list, format_list),
    I("tls-auto-reload-interval", tls_auto_reload_interval, 0, 0, 86400, "0"),
    I("tls-max-handshakes-per-loop", tls_max_handshakes_per_loop, D_LISTEN, 1, 100000, "64"),
    I("tls-handshake-timeout", tls_handshake_timeout, D_TLS, 100, 3600000, "10000"),
    /* replication */
    X("replicaof", replicaof, D_NOSET, "", parse_replicaof, format_str_field),
    S("masterauth", masterauth, D_SECRET, ""),
    S("masteruser", masteruser, 0, ""),
    B("replica-read-only", replica_read_only, 0, "yes"),
    B("replica-serve-stale-data", replica_serve_stale_data, 0, "yes"),
    M("repl-backlog-size", repl_backlog_size, 0, 16 * 1024, LLONG_MAX, "1mb"),
    I("repl-backlog-ttl", repl_backlog_ttl, 0, 0, INT_MAX, "3600"),
    I("repl-timeout", repl_timeout, 0, 1, INT_MAX, "60"),
    I("repl-ping-replica-period", repl_ping_replica_period, 0, 1, INT_MAX, "10"),
    B("repl-diskless-sync", repl_diskless_sync, 0, "yes"),
    I("repl-diskless-sync-delay", repl_diskless_sync_delay, 0, 0, INT_MAX, "5"),
    I("repl-diskless-sync-max-replicas", repl_diskless_sync_max_replicas, 0, 0, INT_MAX, "0"),
    E("repl-diskless-load", repl_diskless_load, 0, diskless_load_modes, "disabled"),
    I("min-replicas-to-write", min_replicas_to_write, 0, 0, INT_MAX, "0"),
    I("min-replicas-max-lag", min_replicas_max_lag, 0, 0, INT_MAX, "10"),
    S("replica-announce-ip", replica_announce_ip, 0, ""),
    I("replica-announce-port", replica_announce_port, 0, 0, 65535, "0"),
    I("replica-priority", replica_priority, 0, 0, INT_MAX, "100"),
    B("replica-announced", replica_announced, 0, "yes"),
    B("repl-disable-tcp-nodelay", repl_disable_tcp_nodelay, 0, "no"),
    S("tls-replication-peer-name", tls_replication_peer_name, 0, ""),
    /* encodings */
    L("hash-max-listpack-entries", hash_max_listpack_entries, 0, 0, LLONG_MAX, "512"),
    L("hash-max-listpack-value", hash_max_listpack_value, 0, 0, LLONG_MAX, "64"),
    L("set-max-intset-entries", set_max_intset_entries, 0, 0, LLONG_MAX, "512"),
    L("set-max-listpack-entries", set_max_listpack_entries, 0, 0, LLONG_MAX, "128"),
    L("set-max-listpack-value", set_max_listpack_value, 0, 0, LLONG_MAX, "64"),
    L("zset-max-listpack-entries", zset_max_listpack_entries, 0, 0, LLONG_MAX, "128"),
    L("zset-max-listpack-value", zset_max_listpack_value, 0, 0, LLONG_MAX, "64"),
    L("list-max-listpack-size", list_max_listpack_size, 0, LLONG_MIN, LLONG_MAX, "-2"),
    L("list-compress-depth", list_compress_depth, 0, 0, LLONG_MAX, "0"),
    L("stream-node-max-bytes", stream_node_max_bytes, 0, 0, LLONG_MAX, "4096"),
    L("stream-node-max-entries", stream_node_max_entries, 0, 0, LLONG_MAX, "100"),
    M("hll-sparse-max-bytes", hll_sparse_max_bytes, 0, 0, LLONG_MAX, "3000"),
    E("appendfsync", appendfsync, 0, appendfsync_modes, "everysec"),
    S("appenddirname", appenddirname, D_IMMUTABLE, "appendonlydir"),
    S("appendfilename", appendfilename, D_IMMUTABLE, "appendonly.aof"),
    I("auto-aof-rewrite-percentage", auto_aof_rewrite_percentage, 0, 0, INT_MAX, "100"),
    M("auto-aof-rewrite-min-size", auto_aof_rewrite_min_size, 0, 0, LLONG_MAX, "64mb"),
    B("aof-load-truncated", aof_load_truncated, 0, "yes"),
    B("aof-use-rdb-preamble", aof_use_rdb_preamble, 0, "yes"),
    B("aof-timestamp-enabled", aof_timestamp_enabled, 0, "no"),
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static const struct {
    const char *alias, *name;
} aliases[] = {
    {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
    {"hash-max-ziplist-value", "hash-max-listpack-value"},
    {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
    {"zset-max-ziplist-value", "zset-max-listpack-value"},
    {"list-max-ziplist-size", "list-max-listpack-size"},
    {"slaveof", "replicaof"},
    {"slave-read-only", "replica-read-only"},
    {"slave-serve-stale-data", "replica-serve-stale-data"},
    {"repl-ping-slave-period", "repl-ping-replica-period"},
    {"min-slaves-to-write", "min-replicas-to-write"},
    {"min-slaves-max-lag", "min-replicas-max-lag"},
    {"slave-announce-ip", "replica-announce-ip"},
    {"slave-announce-port", "replica-announce-port"},
    {"slave-priority", "replica-priority"},
};

static const directive *find_directive(const char *name) {
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (!strcasecmp(name, aliases[i].alias)) name = aliases[i].name;
    for (size_t i = 0; i < NDIRECTIVES; i++)
        if (!strcasecmp(directives[i].name, name)) return &directives[i];
    return NULL;
}

/* ------------------------------------------------------- parse / format */

static int parse_value(server_config *cfg, const directive *d, sstr *argv, int argc,
                       const char **err) {
    if (d->type == T_SPECIAL) return d->parse(cfg, d, argv, argc, err);
    if (argc != 1) {
        *err = "wrong number of arguments";
        return -1;
    }
    const char *v = argv[0];
    size_t vlen = sstr_len(argv[0]);
    long long n;
    switch (d->type) {
    case T_BOOL:
        if (!strcasecmp(v, "yes"))
            *FIELD(cfg, d, int) = 1;
        else if (!strcasecmp(v, "no"))
            *FIELD(cfg, d, int) = 0;
        else {
            *err = "argument must be 'yes' or 'no'";
            return -1;
        }
        return 0;
    case T_INT:
    case T_LL:
    case T_MEM:
        if (d->type == T_MEM ? parse_mem_value(v, &n) < 0 : !util_str_to_ll(v, vlen, &n)) {
            *err = d->type == T_MEM ? "argument must be a memory value"
                                    : "argument couldn't be parsed into an integer";
            return -1;
        }
        if (n < d->min || n > d->max) {
            static char msg[128];
            snprintf(msg, sizeof(msg), "argument must be between %lld and %lld inclusive", d->min,
                     d->max);
            *err = msg;
            return -1;
        }
        if (d->type == T_INT)
            *FIELD(cfg, d, int) = (int)n;
        else
            *FIELD(cfg, d, long long) = n;
        return 0;
    case T_STR: {
        char **field = FIELD(cfg, d, char *);
        sk_free(*field);
        *field = vlen ? sk_strdup(v) : NULL;
        return 0;
    }
    case T_ENUM:
        for (const enum_name *e = d->enums; e->name; e++) {
            if (!strcasecmp(e->name, v)) {
                *FIELD(cfg, d, int) = e->value;
                return 0;
            }
        }
        {
            static char msg[512];
            size_t used =
                (size_t)snprintf(msg, sizeof(msg), "argument(s) must be one of the following: ");
            for (const enum_name *e = d->enums; e->name && used < sizeof(msg); e++)
                used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s",
                                         e == d->enums ? "" : ", ", e->name);
            *err = msg;
        }
        return -1;
    default:
        *err = "internal error";
        return -1;
    }
}

static void format_value(const server_config *cfg, const directive *d, sbuf *out) {
    const char *p = (const char *)cfg + d->offset;
    switch (d->type) {
    case T_BOOL:
        sbuf_append_str(out, *(const int *)p ? "yes" : "no");
        break;
    case T_INT:
        sbuf_appendf(out, "%d", *(const int *)p);
        break;
    case T_LL:
    case T_MEM:
        sbuf_appendf(out, "%lld", *(const long long *)p);
        break;
    case T_STR:
        if (*(char *const *)p) sbuf_append_str(out, *(char *const *)p);
        break;
    case T_ENUM:
        for (const enum_name *e = d->enums; e->name; e++)
            if (e->value == *(const int *)p) sbuf_append_str(out, e->name);
        break;
    case T_SPECIAL:
        d->format(cfg, d, out);
        break;
    }
}

static int apply_default(server_config *cfg, const directive *d) {
    const char *err = NULL;
    sstr one = sstr_from_cstr(d->def);
    int rc = parse_value(cfg, d, &one, 1, &err);
    sstr_free(one);
    return rc;
}

server_config *config_create_defaults(void) {
    server_config *cfg = sk_calloc(1, sizeof(*cfg));
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        if (apply_default(cfg, &directives[i]) < 0) {
            log_warning("bad built-in default for %s", directives[i].name);
            abort();
        }
    }
    return cfg;
}

void config_free(server_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const directive *d = &directives[i];
        if (d->type == T_STR || (d->type == T_SPECIAL && d->format == format_str_field))
            sk_free(*FIELD(cfg, d, char *));
    }
    free_str_list(cfg->bind, cfg->bind_count);
    free_str_list(cfg->tls_allowed_names, cfg->tls_allowed_names_count);
    sk_free(cfg->config_file);
    sk_free(cfg);
}

/* ------------------------------------------------------------- loading */

static int load_doc(server_config *cfg, const cfg_doc *doc, const char *origin, int depth,
                    char *err, size_t errlen);

/* An error inside an included file names the include line too:
 * "main.conf:3: include: extra.conf:7: 'port': ...". */
static int load_include(server_config *cfg, const cfg_line *ln, const char *origin, int depth,
                        char *err, size_t errlen) {
    char inner[768];
    cfg_doc doc = {0};
    int rc = SK_ECONFIG;
    if (depth > 8) {
        snprintf(inner, sizeof(inner), "include nesting too deep");
    } else if (cfgfile_read_file(ln->argv[1], &doc, inner, sizeof(inner)) == 0) {
        rc = load_doc(cfg, &doc, ln->argv[1], depth + 1, inner, sizeof(inner));
        cfgfile_doc_free(&doc);
    }
    if (rc < 0) snprintf(err, errlen, "%s:%d: include: %s", origin, ln->lineno, inner);
    return rc < 0 ? SK_ECONFIG : 0;
}

static int load_doc(server_config *cfg, const cfg_doc *doc, const char *origin, int depth,
                    char *err, size_t errlen) {
    for (int i = 0; i < doc->count; i++) {
        const cfg_line *ln = &doc->lines[i];
        if (ln->argc == 0) continue;
        if (!strcmp(ln->argv[0], "include") && ln->argc == 2) {
            if (load_include(cfg, ln, origin, depth, err, errlen) < 0) return SK_ECONFIG;
            continue;
        }
        const directive *d = find_directive(ln->argv[0]);
        const char *why = NULL;
        if (!d)
            why = "Bad directive or wrong number of arguments";
        else if (ln->argc < 2)
            why = "wrong number of arguments";
        else if (parse_value(cfg, d, ln->argv + 1, ln->argc - 1, &why) == 0)
            continue;
        snprintf(err, errlen, "%s:%d: '%s': %s", origin, ln->lineno, ln->argv[0], why);
        return SK_ECONFIG;
    }
    return 0;
}

int config_load_string(server_config *cfg, const char *text, size_t len, const char *origin,
                       char *err, size_t errlen) {
    cfg_doc doc = {0};
    char perr[256];
    if (cfgfile_parse(text, len, &doc, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "%s: %s", origin, perr);
        return SK_ECONFIG;
    }
    cfg->loading_file = 1;
    int rc = load_doc(cfg, &doc, origin, 0, err, errlen);
    cfg->loading_file = 0;
    cfgfile_doc_free(&doc);
    return rc;
}

/* "--port 7000 --bind a b" becomes the lines "port 7000" and "bind a b".
 * Arguments are quoted so spaces and quotes in them survive the split. */
static sstr args_to_text(int argc, char **argv) {
    sstr text = sstr_empty();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--", 2)) {
            if (sstr_len(text)) text = sstr_cat(text, "\n", 1);
            text = sstr_cat_cstr(text, a + 2);
            continue;
        }
        text = sstr_cat(text, " \"", 2);
        for (const char *p = a; *p; p++) {
            if (*p == '"' || *p == '\\') text = sstr_cat(text, "\\", 1);
            if (*p == '\n')
                text = sstr_cat(text, "\\n", 2);
            else
                text = sstr_cat(text, p, 1);
        }
        text = sstr_cat(text, "\"", 1);
    }
    return sstr_cat(text, "\n", 1);
}

int config_load(server_config *cfg, const char *path, int argc, char **argv, char *err,
                size_t errlen) {
    if (path) {
        cfg_doc doc = {0};
        char perr[256];
        if (cfgfile_read_file(path, &doc, perr, sizeof(perr)) < 0) {
            snprintf(err, errlen, "%s: %s", path, perr);
            return SK_ECONFIG;
        }
        cfg->loading_file = 1;
        int rc = load_doc(cfg, &doc, path, 0, err, errlen);
        cfg->loading_file = 0;
        cfgfile_doc_free(&doc);
        if (rc < 0) return rc;
        char abs[PATH_MAX];
        cfg->config_file = sk_strdup(realpath(path, abs) ? abs : path);
    }
    if (argc > 0) {
        if (strncmp(argv[0], "--", 2)) {
            snprintf(err, errlen, "(command line): expected --directive, got '%s'", argv[0]);
            return SK_ECONFIG;
        }
        sstr text = args_to_text(argc, argv);
        int rc = config_load_string(cfg, text, sstr_len(text), "(command line)", err, errlen);
        sstr_free(text);
        if (rc < 0) return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- TLS */

void config_to_tls(const server_config *cfg, tls_config *out) {
    memset(out, 0, sizeof(*out));
    out->cert_file = cfg->tls_cert_file;
    out->key_file = cfg->tls_key_file;
    out->key_file_pass = cfg->tls_key_file_pass;
    out->client_cert_file = cfg->tls_client_cert_file;
    out->client_key_file = cfg->tls_client_key_file;
    out->client_key_file_pass = cfg->tls_client_key_file_pass;
    out->ca_cert_file = cfg->tls_ca_cert_file;
    out->ca_cert_dir = cfg->tls_ca_cert_dir;
    out->dh_params_file = cfg->tls_dh_params_file;
    out->auth_clients = (tls_auth_mode)cfg->tls_auth_clients;
    if (cfg->tls_protocols) tls_parse_protocols(cfg->tls_protocols, &out->protocols);
    out->ciphers = cfg->tls_ciphers;
    out->ciphersuites = cfg->tls_ciphersuites;
    out->prefer_server_ciphers = cfg->tls_prefer_server_ciphers;
    out->session_caching = cfg->tls_session_caching;
    out->session_cache_size = (long)cfg->tls_session_cache_size;
    out->session_cache_timeout = (long)cfg->tls_session_cache_timeout;
    out->allowed_names = (const char **)cfg->tls_allowed_names;
    out->allowed_names_count = cfg->tls_allowed_names_count;
    out->max_handshakes_per_loop = cfg->tls_max_handshakes_per_loop;
    out->handshake_timeout_ms = cfg->tls_handshake_timeout;
    out->need_server_cert = 1;
}

int config_apply_tls(server *srv, char *err, size_t errlen) {
    tls_config tc;
    config_to_tls(srv->cfg, &tc);
    tls_ctx *ctx = NULL;
    int rc = tls_ctx_build(&tc, &srv->tls_stats, &ctx, err, errlen);
    if (rc < 0) {
        srv->tls_stats.ctx_reload_failures++;
        return rc;
    }
    if (srv->tls) {
        srv->tls_stats.ctx_reloads++;
        tls_ctx_release(srv->tls);
    }
    srv->tls = ctx;
    return 0;
}

int config_tls_wanted(const server_config *cfg) {
    return cfg->tls_port != 0 || cfg->tls_replication || cfg->tls_cluster;
}

/* ------------------------------------------------------------------ dir */

/* As Redis: the process works in `dir`, so relative dbfilename (and
 * appendfilename) resolve there; dir is kept as the absolute path. */
int config_apply_dir(server_config *cfg, char *err, size_t errlen) {
    if (!cfg->dir) return 0;
    if (chdir(cfg->dir) < 0) {
        snprintf(err, errlen, "Can't chdir to '%s': %s", cfg->dir, strerror(errno));
        return -1;
    }
    char abs[PATH_MAX];
    if (getcwd(abs, sizeof(abs))) {
        sk_free(cfg->dir);
        cfg->dir = sk_strdup(abs);
    }
    return 0;
}

/* ---------------------------------------------------------- CONFIG GET */

static void config_get(client *c) {
    const server_config *cfg = c->srv->cfg;
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    sbuf val = SBUF_INIT;
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const directive *d = &directives[i];
        for (int a = 2; a < c->argc; a++) {
            if (!util_glob_match(c->argv[a], sstr_len(c->argv[a]), d->name, strlen(d->name), 1))
                continue;
            sbuf_clear(&val);
            format_value(cfg, d, &val);
            add_reply_bulk_cstr(c, d->name);
            add_reply_bulk(c, val.data ? val.data : "", val.len);
            n += 2;
            break;
        }
    }
    sbuf_free(&val);
    set_deferred_array_len(c, h, n);
}

/* ---------------------------------------------------------- CONFIG SET */

/* As Redis 7: directives that choose where files are written (dir,
 * dbfilename) change only when enable-protected-configs allows it. */
static int protected_allowed(const client *c) {
    int mode = c->srv->cfg->enable_protected_configs;
    if (mode == PROTECTED_YES) return 1;
    if (mode != PROTECTED_LOCAL) return 0;
    return (c->flags & CLIENT_UNIX) || !strncmp(c->addr, "127.", 4) ||
           !strncmp(c->addr, "::1:", 4) || !strncmp(c->addr, "[::1]", 5);
}

typedef struct set_item {
    const directive *d;
    sbuf old; /* formatted old value, for rollback */
} set_item;

/* Every directive parses its own formatted value given as one argument. */
static int restore_item(server_config *cfg, set_item *it) {
    const char *err;
    sstr one = sstr_new(it->old.data, it->old.len);
    int rc = parse_value(cfg, it->d, &one, 1, &err);
    sstr_free(one);
    return rc;
}

/* Runs the side effects of changed directives. Returns 0 or -1 with errstr. */
static int apply_changes(server *srv, set_item *items, int n, char *errstr, size_t errlen) {
    int tls = 0, listen = 0;
    for (int i = 0; i < n; i++) {
        if (items[i].d->flags & D_TLS) tls = 1;
        if (items[i].d->flags & D_LISTEN) listen = 1;
        if (!strcmp(items[i].d->name, "loglevel")) log_set_level(srv->cfg->loglevel);
        if (!strcmp(items[i].d->name, "dir") && config_apply_dir(srv->cfg, errstr, errlen) < 0)
            return -1;
        if (!strncmp(items[i].d->name, "maxmemory", 9)) obj_apply_config(srv);
        if (!strcmp(items[i].d->name, "appendonly") && aof_apply_config(srv, errstr, errlen) < 0)
            return -1;
        /* As Redis: a lower limit evicts now, not at the next command. */
        if (!strcmp(items[i].d->name, "maxmemory") && srv->dbs) evict_perform(srv);
    }
    if (tls && (config_tls_wanted(srv->cfg) || srv->tls)) {
        if (config_apply_tls(srv, errstr, errlen) < 0) return -1;
    }
    if (listen && server_listen(srv, errstr, errlen) < 0) return -1;
    if (tls || listen) server_tls_timer_update(srv);
    return 0;
}

static void config_set(client *c) {
    server *srv = c->srv;
    if ((c->argc - 2) % 2 != 0 || c->argc < 4) {
        add_reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
                         c->argc > 2 ? c->argv[2] : "");
        return;
    }
    int n = (c->argc - 2) / 2;
    set_item *items = sk_calloc((size_t)n, sizeof(*items));
    const char *why = NULL;
    char errbuf[512];
    int failed = -1, done = 0;
    for (int i = 0; i < n; i++) {
        const directive *d = find_directive(c->argv[2 + 2 * i]);
        if (!d) {
            add_reply_errorf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
                             c->argv[2 + 2 * i]);
            goto cleanup;
        }
        for (int j = 0; j < i; j++) {
            if (items[j].d == d) {
                failed = i;
                why = "duplicate parameter";
                goto fail;
            }
        }
        items[i].d = d;
        if (d->flags & (D_IMMUTABLE | D_NOSET)) {
            failed = i;
            why = "can't set immutable config";
            goto fail;
        }
        if ((d->flags & D_PROTECTED) && !protected_allowed(c)) {
            failed = i;
            why = "can't set protected config";
            goto fail;
        }
    }
    for (int i = 0; i < n; i++) {
        format_value(srv->cfg, items[i].d, &items[i].old);
        done = i + 1;
        if (parse_value(srv->cfg, items[i].d, &c->argv[3 + 2 * i], 1, &why) < 0) {
            failed = i;
            goto fail;
        }
    }
    if (apply_changes(srv, items, n, errbuf, sizeof(errbuf)) < 0) {
        why = errbuf;
        goto fail;
    }
    for (int i = 0; i < n; i++)
        if (!(items[i].d->flags & D_SECRET))
            log_notice("CONFIG SET %s by client id=%llu", items[i].d->name,
                       (unsigned long long)c->id);
    add_reply_ok(c);
    goto cleanup;
fail:
    for (int i = done - 1; i >= 0; i--)
        restore_item(srv->cfg, &items[i]);
    if (done && failed < 0) {
        /* Side effects failed: put them back as they were. */
        char ignore[256];
        apply_changes(srv, items, n, ignore, sizeof(ignore));
    }
    if (failed >= 0)
        add_reply_errorf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                         c->argv[2 + 2 * failed], why);
    else
        add_reply_errorf(c, "ERR CONFIG SET failed - %s", why);
cleanup:
    for (int i = 0; i < n; i++)
        sbuf_free(&items[i].old);
    sk_free(items);
}

/* ------------------------------------------------------ CONFIG REWRITE */

/* Quotes a value for the config file when it needs it. */
static void append_quoted(sbuf *out, const char *s, size_t len) {
    int plain = len > 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] == '"' || s[i] == '\'' || s[i] == '\\' || (unsigned char)s[i] > 126)
            plain = 0;
    if (plain) {
        sbuf_append(out, s, len);
        return;
    }
    sbuf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            sbuf_appendf(out, "\\%c", ch);
        else if (ch < ' ' || ch > 126)
            sbuf_appendf(out, "\\x%02x", ch);
        else
            sbuf_append_char(out, (char)ch);
    }
    sbuf_append_char(out, '"');
}

static void directive_line(const server_config *cfg, const directive *d, sbuf *out) {
    sbuf val = SBUF_INIT;
    format_value(cfg, d, &val);
    sbuf_append_str(out, d->name);
    sbuf_append_char(out, ' ');
    int multi_word = d->parse == parse_list || d->parse == parse_obuf ||
                     d->parse == parse_tls_protocols || d->parse == parse_save ||
                     d->parse == parse_replicaof;
    if (multi_word && val.len)
        sbuf_append(out, val.data, val.len);
    else
        append_quoted(out, val.data ? val.data : "", val.len);
    sbuf_append_char(out, '\n');
    sbuf_free(&val);
}

static int differs_from_default(const server_config *cfg, const directive *d) {
    server_config *def = config_create_defaults();
    sbuf a = SBUF_INIT, b = SBUF_INIT;
    format_value(cfg, d, &a);
    format_value(def, d, &b);
    int diff = a.len != b.len || (a.len && memcmp(a.data, b.data, a.len));
    sbuf_free(&a);
    sbuf_free(&b);
    config_free(def);
    return diff;
}

/* Keeps comments and unknown lines, replaces the first line of each
 * directive with its current value, drops repeated ones, and appends
 * directives that differ from their default. Written atomically. */
int config_rewrite(server *srv, char *err, size_t errlen) {
    const char *path = srv->cfg->config_file;
    cfg_doc doc = {0};
    sbuf out = SBUF_INIT;
    char perr[256];
    int rc = SK_ECONFIG;
    FILE *f = fopen(path, "r");
    sbuf raw = SBUF_INIT;
    if (f) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            sbuf_append(&raw, buf, n);
        fclose(f);
    }
    if (cfgfile_parse(raw.data ? raw.data : "", raw.len, &doc, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "%s", perr);
        goto cleanup;
    }
    char written[NDIRECTIVES];
    memset(written, 0, sizeof(written));
    /* Walk the raw lines; a parsed line with lineno == current is a directive. */
    int li = 0, lineno = 0;
    const char *p = raw.data ? raw.data : "", *end = p + raw.len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        while (li < doc.count && doc.lines[li].lineno < lineno)
            li++;
        const directive *d = NULL;
        if (li < doc.count && doc.lines[li].lineno == lineno && doc.lines[li].argc > 0)
            d = find_directive(doc.lines[li].argv[0]);
        if (d && !(d->flags & D_IMMUTABLE)) {
            size_t idx = (size_t)(d - directives);
            if (!written[idx]) directive_line(srv->cfg, d, &out);
            written[idx] = 1;
        } else if (!(len == strlen("# Generated by CONFIG REWRITE") &&
                     !memcmp(p, "# Generated by CONFIG REWRITE", len))) {
            sbuf_append(&out, p, len);
            sbuf_append_char(&out, '\n');
        }
        p += len + 1;
    }
    int header = 0;
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const directive *d = &directives[i];
        if (written[i] || (d->flags & D_IMMUTABLE) || !differs_from_default(srv->cfg, d)) continue;
        if (!header++) sbuf_append_str(&out, "# Generated by CONFIG REWRITE\n");
        directive_line(srv->cfg, d, &out);
    }
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.rewrite.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "Rewriting config file: %s", strerror(errno));
        goto cleanup;
    }
    ssize_t w = write(fd, out.data ? out.data : "", out.len);
    int synced = fsync(fd);
    close(fd);
    if (w != (ssize_t)out.len || synced < 0 || rename(tmp, path) < 0) {
        snprintf(err, errlen, "Rewriting config file: %s", strerror(errno));
        unlink(tmp);
        goto cleanup;
    }
    rc = 0;
cleanup:
    cfgfile_doc_free(&doc);
    sbuf_free(&raw);
    sbuf_free(&out);
    return rc;
}

static void config_rewrite_command(client *c) {
    if (!c->srv->cfg->config_file) {
        add_reply_error(c, "ERR The server is running without a config file");
        return;
    }
    char err[300];
    if (config_rewrite(c->srv, err, sizeof(err)) < 0) {
        log_warning("CONFIG REWRITE failed: %s", err);
        add_reply_errorf(c, "ERR %s", err);
        return;
    }
    log_notice("CONFIG REWRITE executed with success.");
    add_reply_ok(c);
}

static void config_resetstat(client *c) {
    server_reset_stats(c->srv);
    add_reply_ok(c);
}

static void config_help(client *c) {
    static const char *lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Print this help.",
    };
    add_reply_help(c, lines, sizeof(lines) / sizeof(lines[0]));
}

void config_command(client *c) {
    const char *sub = c->cmd->name;
    if (!strcmp(sub, "get"))
        config_get(c);
    else if (!strcmp(sub, "set"))
        config_set(c);
    else if (!strcmp(sub, "rewrite"))
        config_rewrite_command(c);
    else if (!strcmp(sub, "resetstat"))
        config_resetstat(c);
    else
        config_help(c);
}
