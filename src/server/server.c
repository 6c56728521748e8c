/* server.c - sealkv-server's life cycle: create, listen, cron, shutdown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "commands.h"
#include "config.h"
#include "multi.h"
#include "networking.h"
#include "pubsub.h"
#include "replication.h"
#include "server.h"
#include "server_main.h"
#include "blocking.h"
#include "t_hash.h"
#include "t_list.h"
#include "t_set.h"
#include "t_stream.h"
#include "t_zset.h"
#include "evict.h"
#include "tracking.h"
#include "child.h"
#include "rdb.h"
#include "propagate.h"
#include "aof.h"

/* Set by the signal handler, read by the cron: the only cross-context state. */
static volatile sig_atomic_t shutdown_signal;

long long server_mstime(const server *srv) {
    return srv->mstime;
}

long long server_ustime_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void server_update_time(server *srv) {
    srv->ustime = server_ustime_now();
    srv->mstime = srv->ustime / 1000;
    srv->lru_clock = (unsigned)((srv->mstime / 1000) & ((1u << OBJ_LRU_BITS) - 1));
}

void server_reset_stats(server *srv) {
    srv->stat_numcommands = srv->stat_numconnections = srv->stat_rejected_conn = 0;
    srv->stat_keyspace_hits = srv->stat_keyspace_misses = 0;
    srv->stat_expiredkeys = srv->stat_evictedkeys = 0;
    srv->stat_net_input_bytes = srv->stat_net_output_bytes = 0;
    srv->stat_unexpected_error_replies = srv->stat_total_error_replies = 0;
    srv->stat_client_qbuf_limit_disconnections = 0;
    srv->stat_client_outbuf_limit_disconnections = 0;
    uint64_t reloads = srv->tls_stats.ctx_reloads;
    memset(&srv->tls_stats, 0, sizeof(srv->tls_stats));
    srv->tls_stats.ctx_reloads = reloads;
    commands_reset_stats(srv);
}

void server_request_shutdown(server *srv) {
    srv->shutdown_asap = 1;
}

int server_prepare_shutdown(server *srv, int save) {
    repl_shutdown(srv);
    child_kill(srv);
    aof_shutdown(srv);
    return rdb_shutdown_save(srv, save);
}

/* What to load at start; one place so that the AOF can come first. */
int server_load_data(server *srv, char *err, size_t errlen) {
    /* As Redis: with appendonly yes the AOF is the data, the RDB file is ignored. */
    if (srv->cfg->appendonly) return aof_load_at_start(srv, err, errlen);
    int rc = rdb_load_at_start(srv, err, errlen);
    if (rc == 0) rc = aof_load_at_start(srv, err, errlen); /* only reads its manifest */
    return rc;
}

/* ------------------------------------------------------------ listeners */

static sstr listen_key(const server_config *cfg, int port) {
    sstr k = sstr_from_ll(port);
    for (int i = 0; i < cfg->bind_count; i++)
        k = sstr_catfmt(k, " %s", cfg->bind[i]);
    return k;
}

/* (Re)opens one TCP listener when its port or bind list changed. The new
 * socket is bound before the old one closes, so a failure changes nothing. */
static int update_listener(server *srv, listener **slot, sstr *key, int port, listen_accept_fn *fn,
                           int max_accepts, char *err, size_t errlen) {
    sstr want = port ? listen_key(srv->cfg, port) : NULL;
    if ((want == NULL && *slot == NULL) || (want && *key && !strcmp(want, *key))) {
        if (*slot) listen_set_max_accepts(*slot, max_accepts);
        sstr_free(want);
        return 0;
    }
    listener *l = NULL;
    if (want && listen_tcp(srv->loop, srv->cfg->bind, srv->cfg->bind_count, port,
                           srv->cfg->tcp_backlog, fn, srv, &l, err, errlen) < 0) {
        sstr_free(want);
        return -1;
    }
    if (l) listen_set_max_accepts(l, max_accepts);
    if (*slot) listen_close(*slot);
    *slot = l;
    sstr_free(*key);
    *key = want;
    return 0;
}

int server_listen(server *srv, char *err, size_t errlen) {
    server_config *cfg = srv->cfg;
    if (cfg->tls_port && !srv->tls) {
        snprintf(err, errlen,
                 "tls-port is set but TLS is not configured (tls-cert-file, "
                 "tls-key-file)");
        return -1;
    }
    if (update_listener(srv, &srv->tcp_listener, &srv->tcp_listen_key, cfg->port,
                        networking_accept_tcp, 1000, err, errlen) < 0)
        return -1;
    if (update_listener(srv, &srv->tls_listener, &srv->tls_listen_key, cfg->tls_port,
                        networking_accept_tls, cfg->tls_max_handshakes_per_loop, err, errlen) < 0)
        return -1;
    if (cfg->unixsocket && !srv->unix_listener) {
        if (listen_unix(srv->loop, cfg->unixsocket, cfg->unixsocketperm, cfg->tcp_backlog,
                        networking_accept_unix, srv, &srv->unix_listener, err, errlen) < 0)
            return -1;
    }
    if (!srv->tcp_listener && !srv->tls_listener && !srv->unix_listener) {
        snprintf(err, errlen, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ TLS reload */

static int64_t tls_reload_tick(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    server *srv = data;
    if (!srv->tls || srv->cfg->tls_auto_reload_interval <= 0) {
        srv->tls_reload_timer = 0;
        return EV_TIMER_STOP;
    }
    if (tls_ctx_files_changed(srv->tls)) {
        char err[512];
        if (config_apply_tls(srv, err, sizeof(err)) < 0)
            log_warning("TLS files changed on disk but cannot be loaded, keeping the current "
                        "certificates: %s",
                        err);
        else
            log_notice("TLS certificates reloaded from disk");
    }
    return (int64_t)srv->cfg->tls_auto_reload_interval * 1000;
}

void server_tls_timer_update(server *srv) {
    int want = srv->tls && srv->cfg->tls_auto_reload_interval > 0;
    if (srv->tls_reload_timer && !want) {
        ev_del_timer(srv->loop, srv->tls_reload_timer);
        srv->tls_reload_timer = 0;
    } else if (!srv->tls_reload_timer && want) {
        srv->tls_reload_timer = ev_add_timer(
            srv->loop, (int64_t)srv->cfg->tls_auto_reload_interval * 1000, tls_reload_tick, srv);
    }
}

/* ------------------------------------------------------------------ cron */

static void sample_ops(server *srv) {
    long long now = srv->mstime;
    if (now - srv->ops_sample_ms < 100) return;
    long long dt = now - srv->ops_sample_ms;
    uint64_t ops = srv->stat_numcommands - srv->ops_sample_count;
    srv->ops_per_sec = srv->ops_sample_ms ? (long long)(ops * 1000 / (uint64_t)dt) : 0;
    srv->ops_sample_ms = now;
    srv->ops_sample_count = srv->stat_numcommands;
}

static void databases_cron(server *srv) {
    /* A quarter of the CPU at most goes to expiry, as Redis's slow cycle. */
    long long budget_us = 1000000LL * 25 / srv->cfg->hz / 100;
    budget_us += budget_us * (srv->cfg->active_expire_effort - 1) / 4;
    /* A replica's keys expire by its master's DELs only. */
    if (!repl_is_replica(srv)) db_active_expire_cycle(srv, budget_us);
    for (int i = 0; i < srv->dbnum; i++) {
        sdb *db = &srv->dbs[i];
        if (dict_is_rehashing(db->keys))
            dict_rehash_ms(db->keys, 1);
        else if (dict_buckets(db->keys) > 4 && dict_size(db->keys) * 10 < dict_buckets(db->keys))
            dict_resize(db->keys);
        if (dict_is_rehashing(db->expires))
            dict_rehash_ms(db->expires, 1);
        else if (dict_buckets(db->expires) > 4 &&
                 dict_size(db->expires) * 10 < dict_buckets(db->expires))
            dict_resize(db->expires);
    }
}

static int64_t server_cron(ev_loop *loop, int64_t id, void *data) {
    (void)id;
    server *srv = data;
    server_update_time(srv);
    if (shutdown_signal) {
        log_warning("Received %s scheduling shutdown...",
                    shutdown_signal == SIGINT ? "SIGINT" : "SIGTERM");
        shutdown_signal = 0;
        /* As Redis: a failed final save keeps the server running. */
        if (server_prepare_shutdown(srv, 0) == 0) srv->shutdown_asap = 1;
    }
    if (srv->shutdown_asap) {
        ev_stop(loop);
        return EV_TIMER_STOP;
    }
    sample_ops(srv);
    child_reap(srv);
    rdb_cron(srv);
    aof_cron(srv);
    databases_cron(srv);
    evict_cron(srv);
    blocking_check_timeouts(srv);
    if (srv->mstime - srv->last_clients_cron_ms >= 1000) {
        networking_clients_cron(srv);
        srv->last_clients_cron_ms = srv->mstime;
    }
    srv->cronloops++;
    return 1000 / srv->cfg->hz;
}

static void before_sleep(ev_loop *loop, void *data) {
    server *srv = data;
    /* TLS records already decrypted by OpenSSL do not make the socket
     * readable again: serve them before waiting. */
    conn_process_pending(loop);
    /* Keys made ready outside a command, then clients unblocked meanwhile. */
    blocking_handle_ready_keys(srv);
    blocking_process_unblocked(srv);
    tracking_before_sleep(srv);
    /* The AOF first: no reply may acknowledge a write it does not hold yet. */
    aof_before_sleep(srv);
    repl_before_sleep(srv);
    networking_flush_pending(srv);
}

/* --------------------------------------------------------------- create */

static void on_signal(int sig) {
    shutdown_signal = sig;
}

/* Room for maxclients plus listeners, logs and links, as Redis: raise the
 * fd limit if we can, else lower maxclients and say so. */
#define RESERVED_FDS 32

static void adjust_open_files_limit(server_config *cfg) {
    struct rlimit lim;
    rlim_t want = (rlim_t)cfg->maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur >= want) return;
    struct rlimit raised = {want, lim.rlim_max > want ? lim.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
    raised.rlim_cur = raised.rlim_max = lim.rlim_max;
    if (lim.rlim_max > lim.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    if (lim.rlim_cur > RESERVED_FDS) {
        int old = cfg->maxclients;
        cfg->maxclients = (int)(lim.rlim_cur - RESERVED_FDS);
        log_warning("You requested maxclients of %d requiring at least %llu max file "
                    "descriptors. Server can't set maximum open files to %llu because of OS "
                    "error: %s. Current maximum open files is %llu. maxclients has been reduced "
                    "to %d to compensate for low ulimit.",
                    old, (unsigned long long)want, (unsigned long long)want, strerror(errno),
                    (unsigned long long)lim.rlim_cur, cfg->maxclients);
    }
}

static void make_runid(char out[41]) {
    unsigned char raw[20];
    util_random_bytes(raw, sizeof(raw));
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

server *server_create(server_config *cfg, char *err, size_t errlen) {
    server *srv = sk_calloc(1, sizeof(*srv));
    srv->cfg = cfg;
    adjust_open_files_limit(cfg);
    srv->loop = ev_create(cfg->maxclients + 128);
    uint8_t seed[16];
    util_random_bytes(seed, sizeof(seed));
    dict_set_hash_seed(seed);
    server_update_time(srv);
    srv->start_ms = srv->mstime;
    make_runid(srv->runid);
    obj_init_types();
    set_register_type();
    hash_register_type();
    zset_register_type();
    list_register_type();
    stream_register_type();
    obj_apply_config(srv);
    db_init_all(srv, cfg->databases);
    commands_init(srv);
    propagate_init(srv);
    blocking_init(srv);
    pubsub_init(srv);
    tracking_init(srv);
    repl_init(srv);
    rdb_init(srv);
    if (config_tls_wanted(cfg) && config_apply_tls(srv, err, errlen) < 0) goto fail;
    if (server_listen(srv, err, errlen) < 0) goto fail;
    server_tls_timer_update(srv);
    ev_add_timer(srv->loop, 1, server_cron, srv);
    ev_set_before_sleep(srv->loop, before_sleep, srv);
    util_install_stop_signals(on_signal);
    return srv;
fail:
    srv->cfg = NULL; /* the caller still owns cfg on failure */
    server_destroy(srv);
    return NULL;
}

void server_run(server *srv) {
    ev_run(srv->loop);
}

void server_destroy(server *srv) {
    if (!srv) return;
    child_free(srv);
    rdb_free(srv);
    while (srv->clients) {
        client *c = srv->clients;
        srv->current_client = NULL;
        client_free(c);
    }
    if (srv->tcp_listener) listen_close(srv->tcp_listener);
    if (srv->tls_listener) listen_close(srv->tls_listener);
    if (srv->unix_listener) {
        listen_close(srv->unix_listener);
        if (srv->cfg && srv->cfg->unixsocket) unlink(srv->cfg->unixsocket);
    }
    sstr_free(srv->tcp_listen_key);
    sstr_free(srv->tls_listen_key);
    if (srv->tls) tls_ctx_release(srv->tls);
    if (srv->commands) {
        if (srv->pubsub_channels) pubsub_free(srv);
        commands_free(srv);
    }
    repl_free(srv);
    blocking_free(srv);
    tracking_free(srv);
    evict_free(srv);
    aof_free(srv);
    propagate_free(srv);
    db_free_all(srv);
    if (srv->loop) ev_destroy(srv->loop);
    config_free(srv->cfg);
    sk_free(srv);
}
