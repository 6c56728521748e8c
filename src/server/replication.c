/* replication.c - replication's life cycle, shared helpers, the commands
 * that are not one side's (REPLICAOF, ROLE), INFO, the cron, and the hooks
 * the rest of the server calls (see replication.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "propagate.h"
#include "rdb.h"
#include "repl_internal.h"

#define REPL_CRON_MS 100

/* ------------------------------------------------------------- history */

void repl_new_replid(repl_state *r) {
    unsigned char raw[REPL_ID_SIZE / 2];
    util_random_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(r->replid + 2 * i, 3, "%02x", raw[i]);
}

void repl_clear_replid2(repl_state *r) {
    memset(r->replid2, '0', REPL_ID_SIZE);
    r->replid2[REPL_ID_SIZE] = '\0';
    r->second_replid_offset = -1;
}

void repl_backlog_create(repl_state *r) {
    if (r->has_backlog) return;
    repl_buf_init(&r->backlog, r->srv->cfg->repl_backlog_size, r->offset);
    r->has_backlog = 1;
    /* The stream restarts: the next command carries its SELECT. */
    r->stream_db = -1;
}

void repl_backlog_drop(repl_state *r) {
    if (!r->has_backlog) return;
    repl_buf_free(&r->backlog);
    r->has_backlog = 0;
}

void repl_stream_append(repl_state *r, const void *p, size_t len) {
    if (!r->has_backlog) return;
    repl_buf_append(&r->backlog, p, len);
    r->offset = r->backlog.end;
}

const char *repl_dir(const server *srv) {
    (void)srv;
    return "."; /* main.c chdir()s to `dir` */
}

int repl_is_replica(const server *srv) {
    return srv->repl && srv->repl->master_host != NULL;
}

int repl_running_master_command(const server *srv) {
    return srv->repl && srv->repl->in_master_command;
}

/* ------------------------------------------------------------ life cycle */

static int64_t repl_cron(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    server *srv = data;
    repl_state *r = srv->repl;
    if (!r) return EV_TIMER_STOP;
    server_update_time(srv);
    if (r->has_backlog) repl_buf_set_limit(&r->backlog, srv->cfg->repl_backlog_size);
    repl_replica_cron(r);
    repl_master_cron(r);
    return REPL_CRON_MS;
}

static int split_replicaof(const char *spec, char *host, size_t hostlen, int *port) {
    const char *sp = strrchr(spec, ' ');
    if (!sp || (size_t)(sp - spec) >= hostlen) return -1;
    memcpy(host, spec, (size_t)(sp - spec));
    host[sp - spec] = '\0';
    *port = atoi(sp + 1);
    return 0;
}

void repl_init(server *srv) {
    repl_state *r = sk_calloc(1, sizeof(*r));
    r->srv = srv;
    srv->repl = r;
    repl_new_replid(r);
    repl_clear_replid2(r);
    r->stream_db = -1;
    r->tmp_fd = -1;
    sbuf_init(&r->scratch);
    sbuf_init(&r->in);
    repl_stream_init(&r->stream, srv->cfg->proto_max_bulk_len);
    propagate_add_sink(srv, repl_master_feed_sink, r);
    r->sink_added = 1;
    ev_add_timer(srv->loop, REPL_CRON_MS, repl_cron, srv);
    if (srv->cfg->replicaof) {
        char host[256];
        int port;
        if (split_replicaof(srv->cfg->replicaof, host, sizeof(host), &port) == 0)
            repl_replica_set_master(r, host, port, 1);
    }
}

void repl_free(server *srv) {
    repl_state *r = srv->repl;
    if (!r) return;
    repl_master_kill_job(r);
    repl_replica_free(r);
    if (r->sink_added) propagate_remove_sink(srv, repl_master_feed_sink, r);
    repl_backlog_drop(r);
    sbuf_free(&r->scratch);
    sbuf_free(&r->in);
    repl_stream_free(&r->stream);
    sk_free(r->master_host);
    sk_free(r);
    srv->repl = NULL;
}

void repl_shutdown(server *srv) {
    if (srv->repl) repl_master_drain(srv->repl, 1000);
}

void repl_before_sleep(server *srv) {
    if (srv->repl) repl_master_flush(srv->repl);
}

void repl_client_free(client *c) {
    repl_state *r = c->srv->repl;
    if (!r) return;
    if (c->repl) repl_master_client_free(r, c->repl);
    if (c->flags & CLIENT_MASTER) repl_replica_master_freed(r, c);
}

int repl_save_info(server *srv, rdb_save_info *rsi) {
    repl_state *r = srv->repl;
    if (!r) return -1;
    if (r->master_host) {
        /* A replica records its master's history, with the db the master's
         * stream has selected. */
        if (!r->master && !r->psync_possible) return -1;
        rsi->repl_stream_db = r->master ? r->master->db->id : r->master_db;
    } else {
        if (!r->has_backlog) return -1;
        rsi->repl_stream_db = r->stream_db < 0 ? 0 : r->stream_db;
    }
    memcpy(rsi->repl_id, r->replid, sizeof(rsi->repl_id));
    rsi->repl_offset = r->offset;
    return 0;
}

void repl_loaded_from_disk(server *srv, const rdb_save_info *rsi) {
    repl_state *r = srv->repl;
    if (!r || !rsi || strlen(rsi->repl_id) != REPL_ID_SIZE) return;
    if (!r->master_host) {
        /* A restarted master: its replicas may continue the history the
         * file ends with (Redis 7.0 does the same), under a new id. */
        memcpy(r->replid2, rsi->repl_id, sizeof(r->replid2));
        r->offset = rsi->repl_offset;
        r->second_replid_offset = r->offset + 1;
        repl_new_replid(r);
        repl_backlog_create(r);
        r->no_replicas_since_ms = srv->mstime;
        log_notice("Replicas of the saved history %s may continue up to offset %lld", r->replid2,
                   r->offset);
        return;
    }
    memcpy(r->replid, rsi->repl_id, sizeof(r->replid));
    r->offset = rsi->repl_offset;
    r->master_db =
        rsi->repl_stream_db >= 0 && rsi->repl_stream_db < srv->dbnum ? rsi->repl_stream_db : 0;
    r->psync_possible = 1;
    log_notice("Using the replication id and offset of the data file (%s:%lld) to try a partial "
               "resynchronization",
               r->replid, r->offset);
}

/* --------------------------------------------------------------- refusals */

const char *repl_command_refusal(const client *c) {
    const server *srv = c->srv;
    const repl_state *r = srv->repl;
    if (!r || !c->cmd || (c->flags & CLIENT_MASTER)) return NULL;
    int is_write = (c->cmd->flags & CMD_WRITE) != 0;
    if (r->master_host) {
        if (r->link != LINK_CONNECTED && !srv->cfg->replica_serve_stale_data &&
            !(c->cmd->flags & CMD_STALE))
            return REPL_MASTERDOWN_ERROR;
        if (is_write && srv->cfg->replica_read_only) return REPL_READONLY_ERROR;
        return NULL;
    }
    if (is_write && srv->cfg->min_replicas_to_write > 0 &&
        repl_good_replicas((repl_state *)r) < srv->cfg->min_replicas_to_write)
        return REPL_NOREPLICAS_ERROR;
    return NULL;
}

/* ------------------------------------------------------------------ INFO */

void repl_info(server *srv, sbuf *o) {
    repl_state *r = srv->repl;
    sbuf_append_str(o, "# Replication\r\n");
    if (!r) {
        sbuf_append_str(o, "role:master\r\nconnected_slaves:0\r\n");
        return;
    }
    sbuf_appendf(o, "role:%s\r\n", r->master_host ? "slave" : "master");
    if (r->master_host) repl_replica_info(r, o);
    repl_master_info(r, o);
    sbuf_appendf(o,
                 "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
                 "master_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\n"
                 "repl_backlog_active:%d\r\nrepl_backlog_size:%lld\r\n"
                 "repl_backlog_first_byte_offset:%lld\r\nrepl_backlog_histlen:%lld\r\n",
                 r->replid, r->replid2, r->offset, r->second_replid_offset, r->has_backlog,
                 srv->cfg->repl_backlog_size, r->has_backlog ? r->backlog.start : 0,
                 r->has_backlog ? (long long)r->backlog.held : 0);
}

void repl_info_stats(server *srv, sbuf *o) {
    repl_state *r = srv->repl;
    sbuf_appendf(o, "sync_full:%lld\r\nsync_partial_ok:%lld\r\nsync_partial_err:%lld\r\n",
                 r ? r->stat_sync_full : 0, r ? r->stat_sync_partial_ok : 0,
                 r ? r->stat_sync_partial_err : 0);
}

/* ------------------------------------------------------------- commands */

/* REPLICAOF host port | NO ONE */
static void replicaof_command(client *c) {
    repl_state *r = c->srv->repl;
    if (arg_is(c, 1, "no") && arg_is(c, 2, "one")) {
        /* CONFIG REWRITE records the role REPLICAOF gave, as Redis. */
        sk_free(c->srv->cfg->replicaof);
        c->srv->cfg->replicaof = NULL;
        if (r->master_host) {
            repl_replica_unset_master(r);
            log_notice("MASTER MODE enabled (user request from 'id=%llu addr=%s')",
                       (unsigned long long)c->id, c->addr);
        }
        add_reply_ok(c);
        return;
    }
    if (c->flags & CLIENT_REPLICA) {
        add_reply_error(c, "ERR Command is not valid when client is a replica.");
        return;
    }
    long long port;
    if (get_ll_from_arg(c, 2, &port, NULL) < 0) return;
    if (port < 0 || port > 65535) {
        add_reply_error(c, "ERR Invalid master port");
        return;
    }
    if (r->master_host && !strcasecmp(r->master_host, c->argv[1]) && r->master_port == port) {
        log_notice("REPLICAOF would result into synchronization with the master we are already "
                   "connected with. No operation performed.");
        add_reply_simple(c, "OK Already connected to specified master");
        return;
    }
    repl_replica_set_master(r, c->argv[1], (int)port, 0);
    sk_free(c->srv->cfg->replicaof);
    size_t cap = sstr_len(c->argv[1]) + 8;
    c->srv->cfg->replicaof = sk_malloc(cap);
    snprintf(c->srv->cfg->replicaof, cap, "%s %d", c->argv[1], (int)port);
    log_notice("REPLICAOF %s:%d enabled (user request from 'id=%llu addr=%s')", r->master_host,
               r->master_port, (unsigned long long)c->id, c->addr);
    add_reply_ok(c);
}

static void role_command(client *c) {
    repl_state *r = c->srv->repl;
    if (!r->master_host) {
        repl_master_role(r, c);
        return;
    }
    add_reply_array(c, 5);
    add_reply_bulk_cstr(c, "slave");
    add_reply_bulk_cstr(c, r->master_host);
    add_reply_int(c, r->master_port);
    add_reply_bulk_cstr(c, repl_replica_state_name(r));
    add_reply_int(c, r->link == LINK_CONNECTED ? r->offset : -1);
}

#define RF_ADMIN (CMD_ADMIN | CMD_NOSCRIPT)

const command cmds_repl[] = {
    {"replicaof", replicaof_command, 3, RF_ADMIN | CMD_STALE, 0, 0, 0, "server",
     "Configures a server as replica of another, or promotes it to a master.", "5.0.0", NULL},
    {"slaveof", replicaof_command, 3, RF_ADMIN | CMD_STALE, 0, 0, 0, "server",
     "Sets a Redis server as a replica of another, or promotes it to being a master.", "1.0.0",
     NULL},
    {"replconf", replconf_command, -1, RF_ADMIN | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY, 0, 0, 0,
     "server", "An internal command for configuring the replication stream.", "3.0.0", NULL},
    {"psync", psync_command, -3, RF_ADMIN | CMD_NO_MULTI, 0, 0, 0, "server",
     "An internal command used in replication.", "2.8.0", NULL},
    {"sync", sync_command, 1, RF_ADMIN | CMD_NO_MULTI, 0, 0, 0, "server",
     "An internal command used in replication.", "1.0.0", NULL},
    {"role", role_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Returns the replication role.", "2.8.12", NULL},
    {"wait", wait_command, 3, CMD_NOSCRIPT, 0, 0, 0, "generic",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "3.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
