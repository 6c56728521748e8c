/* cmd_server.c - server commands: COMMAND INFO CONFIG DBSIZE FLUSHDB
 * FLUSHALL TIME SWAPDB SHUTDOWN.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "commands.h"
#include "config.h"
#include "multi.h"
#include "networking.h"
#include "pubsub.h"
#include "replication.h"
#include "server.h"
#include "tracking.h"
#include "server_main.h"
#include "child.h"
#include "rdb.h"
#include "aof.h"
#include "propagate.h"

/* ----------------------------------------------------------------- INFO */

#ifdef SEALKV_JEMALLOC
#define MEM_ALLOCATOR_NAME "jemalloc"
#else
#define MEM_ALLOCATOR_NAME "libc"
#endif

static void human_bytes(char *buf, size_t len, long long n) {
    double d = (double)n;
    if (n < 1024)
        snprintf(buf, len, "%lldB", n);
    else if (n < 1024 * 1024)
        snprintf(buf, len, "%.2fK", d / 1024);
    else if (n < 1024LL * 1024 * 1024)
        snprintf(buf, len, "%.2fM", d / (1024 * 1024));
    else
        snprintf(buf, len, "%.2fG", d / (1024.0 * 1024 * 1024));
}

static long long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long pages = 0, rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%lld %lld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

static void info_server(server *srv, sbuf *o) {
    struct utsname u;
    uname(&u);
    long long up = (srv->mstime - srv->start_ms) / 1000;
    sbuf_appendf(o,
                 "# Server\r\nredis_version:7.0.15\r\nsealkv_version:0.1.0\r\n"
                 "redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_mode:standalone\r\n"
                 "os:%s %s %s\r\narch_bits:%d\r\nmultiplexing_api:epoll\r\n"
                 "process_id:%d\r\nrun_id:%s\r\ntcp_port:%d\r\nserver_time_usec:%lld\r\n"
                 "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%d\r\nconfigured_hz:%d\r\n"
                 "lru_clock:%u\r\nconfig_file:%s\r\n",
                 u.sysname, u.release, u.machine, (int)(sizeof(void *) * 8), (int)getpid(),
                 srv->runid, srv->cfg->port, srv->ustime, up, up / 86400, srv->cfg->hz,
                 srv->cfg->hz, srv->lru_clock, srv->cfg->config_file ? srv->cfg->config_file : "");
}

static void info_clients(server *srv, sbuf *o) {
    size_t max_in = 0, max_out = 0;
    long long pubsub = 0;
    for (client *c = srv->clients; c; c = c->next) {
        if (c->querybuf.len > max_in) max_in = c->querybuf.len;
        if (c->reply.len - c->sentlen > max_out) max_out = c->reply.len - c->sentlen;
        if (c->flags & CLIENT_PUBSUB) pubsub++;
    }
    sbuf_appendf(o,
                 "# Clients\r\nconnected_clients:%lld\r\ncluster_connections:0\r\n"
                 "maxclients:%d\r\nclient_recent_max_input_buffer:%zu\r\n"
                 "client_recent_max_output_buffer:%zu\r\nblocked_clients:%lld\r\n"
                 "tracking_clients:%lld\r\nclients_in_timeout_table:0\r\npubsub_clients:%lld\r\n",
                 srv->nclients, srv->cfg->maxclients, max_in, max_out, blocking_count(srv),
                 tracking_num_clients(srv), pubsub);
}

static void info_memory(server *srv, sbuf *o) {
    long long used = (long long)sk_mem_used(), rss = rss_bytes();
    if (used > srv->stat_peak_memory) srv->stat_peak_memory = used;
    char h_used[32], h_peak[32], h_max[32], h_rss[32];
    human_bytes(h_used, sizeof(h_used), used);
    human_bytes(h_peak, sizeof(h_peak), srv->stat_peak_memory);
    human_bytes(h_max, sizeof(h_max), srv->cfg->maxmemory);
    human_bytes(h_rss, sizeof(h_rss), rss);
    static const char *policies[] = {"noeviction",      "volatile-lru",  "volatile-lfu",
                                     "volatile-random", "volatile-ttl",  "allkeys-lru",
                                     "allkeys-lfu",     "allkeys-random"};
    sbuf_appendf(o,
                 "# Memory\r\nused_memory:%lld\r\nused_memory_human:%s\r\n"
                 "used_memory_rss:%lld\r\nused_memory_rss_human:%s\r\n"
                 "used_memory_peak:%lld\r\nused_memory_peak_human:%s\r\n"
                 "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
                 "mem_fragmentation_ratio:%.2f\r\nmem_allocator:%s\r\n",
                 used, h_used, rss, h_rss, srv->stat_peak_memory, h_peak, srv->cfg->maxmemory,
                 h_max, policies[srv->cfg->maxmemory_policy], used ? (double)rss / (double)used : 0,
                 MEM_ALLOCATOR_NAME);
}

static void info_persistence(server *srv, sbuf *o) {
    sbuf_append_str(o, "# Persistence\r\n");
    rdb_info(srv, o);
    aof_info(srv, o);
}

static void info_stats(server *srv, sbuf *o) {
    sbuf_appendf(
        o,
        "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
        "instantaneous_ops_per_sec:%lld\r\ntotal_net_input_bytes:%llu\r\n"
        "total_net_output_bytes:%llu\r\nrejected_connections:%llu\r\nexpired_keys:%llu\r\n"
        "evicted_keys:%llu\r\nkeyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
        "pubsub_channels:%zu\r\npubsub_patterns:%zu\r\ntracking_total_keys:%zu\r\n"
        "tracking_total_items:%zu\r\ntracking_total_prefixes:%zu\r\ntotal_error_replies:%llu\r\n"
        "client_query_buffer_limit_disconnections:%llu\r\n"
        "client_output_buffer_limit_disconnections:%llu\r\n",
        (unsigned long long)srv->stat_numconnections, (unsigned long long)srv->stat_numcommands,
        srv->ops_per_sec, (unsigned long long)srv->stat_net_input_bytes,
        (unsigned long long)srv->stat_net_output_bytes, (unsigned long long)srv->stat_rejected_conn,
        (unsigned long long)srv->stat_expiredkeys, (unsigned long long)srv->stat_evictedkeys,
        (unsigned long long)srv->stat_keyspace_hits, (unsigned long long)srv->stat_keyspace_misses,
        pubsub_num_channels(srv), pubsub_num_patterns(srv), tracking_total_keys(srv),
        tracking_total_items(srv), tracking_total_prefixes(srv),
        (unsigned long long)srv->stat_total_error_replies,
        (unsigned long long)srv->stat_client_qbuf_limit_disconnections,
        (unsigned long long)srv->stat_client_outbuf_limit_disconnections);
    repl_info_stats(srv, o);
    child_info_stats(srv, o);
}

static void info_replication(server *srv, sbuf *o) {
    repl_info(srv, o);
}

static void info_cpu(sbuf *o) {
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    sbuf_appendf(o, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n",
                 (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
                 (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec);
}

static void info_tls(server *srv, sbuf *o) {
    sbuf_appendf(o, "# TLS\r\ntls_enabled:%d\r\ntls_port:%d\r\ntls_auth_clients:%s\r\n",
                 srv->tls != NULL, srv->cfg->tls_port,
                 srv->cfg->tls_auth_clients == TLS_AUTH_YES        ? "yes"
                 : srv->cfg->tls_auth_clients == TLS_AUTH_OPTIONAL ? "optional"
                                                                   : "no");
    if (srv->tls) tls_ctx_info(srv->tls, "tls_", o);
    tls_stats_info(&srv->tls_stats, "tls_", o);
    sbuf_appendf(o, "tls_auto_reload_interval:%d\r\n", srv->cfg->tls_auto_reload_interval);
}

static void info_keyspace(server *srv, sbuf *o) {
    sbuf_append_str(o, "# Keyspace\r\n");
    for (int i = 0; i < srv->dbnum; i++) {
        sdb *db = &srv->dbs[i];
        long long keys = db_size(db), expires = (long long)dict_size(db->expires);
        if (keys == 0) continue;
        sbuf_appendf(o, "db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", i, keys, expires,
                     db->avg_ttl);
    }
}

typedef struct info_section {
    const char *name;
    int in_default;
} info_section;

static const info_section sections[] = {
    {"server", 1},      {"clients", 1}, {"memory", 1}, {"persistence", 1},  {"stats", 1},
    {"replication", 1}, {"cpu", 1},     {"tls", 1},    {"commandstats", 0}, {"keyspace", 1},
};

static void info_append_section(server *srv, const char *name, sbuf *o) {
    if (o->len) sbuf_append_str(o, "\r\n");
    if (!strcmp(name, "server"))
        info_server(srv, o);
    else if (!strcmp(name, "clients"))
        info_clients(srv, o);
    else if (!strcmp(name, "memory"))
        info_memory(srv, o);
    else if (!strcmp(name, "persistence"))
        info_persistence(srv, o);
    else if (!strcmp(name, "stats"))
        info_stats(srv, o);
    else if (!strcmp(name, "replication"))
        info_replication(srv, o);
    else if (!strcmp(name, "cpu"))
        info_cpu(o);
    else if (!strcmp(name, "tls"))
        info_tls(srv, o);
    else if (!strcmp(name, "keyspace"))
        info_keyspace(srv, o);
    else if (!strcmp(name, "commandstats")) {
        sbuf_append_str(o, "# Commandstats\r\n");
        commands_info_stats(srv, o);
    }
}

/* Which sections a request names: "default", "all", "everything" or names. */
static int section_wanted(client *c, const info_section *s) {
    if (c->argc == 1) return s->in_default;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(c, i, "all") || arg_is(c, i, "everything")) return 1;
        if (arg_is(c, i, "default") && s->in_default) return 1;
        if (arg_is(c, i, s->name)) return 1;
    }
    return 0;
}

void info_generate(client *c, sbuf *out) {
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (section_wanted(c, &sections[i])) info_append_section(c->srv, sections[i].name, out);
}

static void info_command(client *c) {
    sbuf out = SBUF_INIT;
    server_update_time(c->srv);
    info_generate(c, &out);
    add_reply_verbatim(c, out.data ? out.data : "", out.len, "txt");
    sbuf_free(&out);
}

/* ------------------------------------------------------- keyspace admin */

static void dbsize_command(client *c) {
    add_reply_int(c, db_size(c->db));
}

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: both run synchronously (freeing is fast
 * enough at our sizes; lazy freeing is a later optimisation). */
static int flush_mode_ok(client *c) {
    if (c->argc == 1) return 1;
    if (c->argc == 2 && (arg_is(c, 1, "async") || arg_is(c, 1, "sync"))) return 1;
    add_reply_syntax_error(c);
    return 0;
}

static void flushdb_command(client *c) {
    if (!flush_mode_ok(c)) return;
    db_signal_flushed(c->srv, c->db->id);
    c->srv->dirty += db_size(c->db);
    db_empty(c->srv, c->db);
    propagate_force(c); /* even when it was empty, as Redis 7.0 */
    add_reply_ok(c);
}

static void flushall_command(client *c) {
    if (!flush_mode_ok(c)) return;
    db_signal_flushed(c->srv, -1);
    for (int i = 0; i < c->srv->dbnum; i++) {
        c->srv->dirty += db_size(&c->srv->dbs[i]);
        db_empty(c->srv, &c->srv->dbs[i]);
    }
    rdb_after_flushall(c->srv);
    c->srv->dirty++;
    add_reply_ok(c);
}

static void time_command(client *c) {
    long long us = server_ustime_now();
    add_reply_array(c, 2);
    add_reply_bulk_ll(c, us / 1000000);
    add_reply_bulk_ll(c, us % 1000000);
}

static void swapdb_command(client *c) {
    long long a, b;
    if (get_ll_from_arg(c, 1, &a, "ERR invalid first DB index") < 0) return;
    if (get_ll_from_arg(c, 2, &b, "ERR invalid second DB index") < 0) return;
    if (a < 0 || a >= c->srv->dbnum || b < 0 || b >= c->srv->dbnum) {
        add_reply_error(c, "ERR DB index is out of range");
        return;
    }
    db_swap(c->srv, (int)a, (int)b);
    c->srv->dirty++;
    add_reply_ok(c);
}

static void shutdown_command(client *c) {
    int save = 0, nosave = 0, force = 0;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(c, i, "nosave"))
            nosave = 1;
        else if (arg_is(c, i, "save"))
            save = 1;
        else if (arg_is(c, i, "force"))
            force = 1;
        else if (!arg_is(c, i, "now")) {
            add_reply_syntax_error(c);
            return;
        }
    }
    if (save && nosave) {
        add_reply_syntax_error(c);
        return;
    }
    if (server_prepare_shutdown(c->srv, nosave ? -1 : save) < 0 && !force) {
        add_reply_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
        return;
    }
    /* Like Redis, no reply on success: the connection just closes. */
    server_request_shutdown(c->srv);
    ev_stop(c->srv->loop);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

static void config_dispatch(client *c) {
    config_command(c);
}

#define SRV_FLAGS (CMD_LOADING | CMD_STALE)

static const command command_subcommands[] = {
    {"count", command_count_command, 2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns a count of commands.", "2.8.13", NULL},
    {"info", command_info_command, -2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns information about one, multiple or all commands.", "2.8.13", NULL},
    {"docs", command_docs_command, -2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns documentary information about one, multiple or all commands.", "7.0.0", NULL},
    {"list", command_list_command, -2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns a list of command names.", "7.0.0", NULL},
    {"getkeys", command_getkeys_command, -3, SRV_FLAGS, 0, 0, 0, "server",
     "Extracts the key names from an arbitrary command.", "2.8.13", NULL},
    {"help", command_help_command, 2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "5.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static const command config_subcommands[] = {
    {"get", config_dispatch, -3, CMD_ADMIN | CMD_NOSCRIPT | SRV_FLAGS, 0, 0, 0, "server",
     "Returns the effective values of configuration parameters.", "2.0.0", NULL},
    {"set", config_dispatch, -4, CMD_ADMIN | CMD_NOSCRIPT | SRV_FLAGS, 0, 0, 0, "server",
     "Sets configuration parameters in-flight.", "2.0.0", NULL},
    {"rewrite", config_dispatch, 2, CMD_ADMIN | CMD_NOSCRIPT | SRV_FLAGS, 0, 0, 0, "server",
     "Persists the effective configuration to file.", "2.8.0", NULL},
    {"resetstat", config_dispatch, 2, CMD_ADMIN | CMD_NOSCRIPT | SRV_FLAGS, 0, 0, 0, "server",
     "Resets the server's statistics.", "2.0.0", NULL},
    {"help", config_dispatch, 2, SRV_FLAGS, 0, 0, 0, "server",
     "Returns helpful text about the different subcommands.", "5.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

const command cmds_server[] = {
    {"command", command_command, -1, SRV_FLAGS, 0, 0, 0, "server",
     "Returns detailed information about all commands.", "2.8.13", command_subcommands},
    {"info", info_command, -1, SRV_FLAGS, 0, 0, 0, "server",
     "Returns information and statistics about the server.", "1.0.0", NULL},
    {"config", NULL, -2, 0, 0, 0, 0, "server", "A container for server configuration commands.",
     "2.0.0", config_subcommands},
    {"dbsize", dbsize_command, 1, CMD_READONLY | CMD_FAST, 0, 0, 0, "server",
     "Returns the number of keys in the database.", "1.0.0", NULL},
    {"flushdb", flushdb_command, -1, CMD_WRITE, 0, 0, 0, "server",
     "Removes all keys from the current database.", "1.0.0", NULL},
    {"flushall", flushall_command, -1, CMD_WRITE, 0, 0, 0, "server",
     "Removes all keys from all databases.", "1.0.0", NULL},
    {"time", time_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Returns the server time.", "2.6.0", NULL},
    {"swapdb", swapdb_command, 3, CMD_WRITE | CMD_FAST, 0, 0, 0, "server",
     "Swaps two Redis databases.", "4.0.0", NULL},
    {"shutdown", shutdown_command, -1,
     CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY, 0, 0, 0,
     "server", "Synchronously saves the database(s) to disk and shuts down the Redis server.",
     "1.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
