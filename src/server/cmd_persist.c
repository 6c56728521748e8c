/* cmd_persist.c - the server's side of RDB persistence: load at start,
 * save points in the cron, BGSAVE bookkeeping, shutdown saves, INFO, and
 * the commands SAVE, BGSAVE, LASTSAVE. The file format is in rdb.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "child.h"
#include "config.h"
#include "rdb.h"
#include "replication.h"

#define BGSAVE_RETRY_DELAY_SECS 5 /* after a failed BGSAVE, as Redis */

static long long now_secs(const server *srv) {
    return server_mstime(srv) / 1000;
}

void rdb_init(server *srv) {
    if (srv->rdb) return;
    srv->rdb = sk_calloc(1, sizeof(rdb_state));
    srv->rdb->lastsave = now_secs(srv);
    srv->rdb->lastbgsave_ok = 1;
    srv->rdb->last_bgsave_secs = -1;
}

void rdb_free(server *srv) {
    sk_free(srv->rdb);
    srv->rdb = NULL;
}

static const char *db_path(const server *srv) {
    return srv->cfg->dbfilename ? srv->cfg->dbfilename : "dump.rdb";
}

/* Replication's id and offset, recorded so a restarted replica can PSYNC
 * (NULL when there is nothing to record). */
static const rdb_save_info *repl_rsi(server *srv, rdb_save_info *buf) {
    return repl_save_info(srv, buf) == 0 ? buf : NULL;
}

int rdb_load_at_start(server *srv, char *err, size_t errlen) {
    rdb_init(srv);
    const char *path = db_path(srv);
    if (access(path, F_OK) < 0) return 0;
    rdb_load_info info;
    long long start = server_ustime_now();
    /* A replica keeps expired keys: its master's DELs remove them. */
    int flags = repl_is_replica(srv) ? RDB_LOAD_KEEP_EXPIRED : 0;
    int rc = rdb_load_file(srv, path, flags, &info, err, errlen);
    if (rc < 0) return rc;
    if (info.has_repl) repl_loaded_from_disk(srv, &info.repl);
    srv->rdb->last_load_keys = info.keys;
    srv->rdb->last_load_expired = info.expired_skipped;
    if (info.redis_ver[0]) log_notice("Loaded an RDB produced by version %s", info.redis_ver);
    log_notice("Done loading RDB, keys loaded: %lld, keys expired: %lld.", info.keys,
               info.expired_skipped);
    log_notice("DB loaded from disk: %.3f seconds", (double)(server_ustime_now() - start) / 1e6);
    return 0;
}

/* ----------------------------------------------------------------- saves */

int rdb_save_now(server *srv) {
    rdb_init(srv);
    if (child_running(srv) && srv->rdb->bgsave_to_disk) {
        log_warning("Background save already in progress");
        return SK_EBUSY;
    }
    char err[512];
    rdb_save_info rsi;
    int rc = rdb_save_file(srv, db_path(srv), repl_rsi(srv, &rsi), err, sizeof(err));
    if (rc < 0) {
        log_warning("%s", err);
        return rc;
    }
    log_notice("DB saved on disk");
    srv->dirty = 0;
    srv->rdb->lastsave = now_secs(srv);
    srv->rdb->lastbgsave_ok = 1;
    return 0;
}

static void bgsave_done(server *srv, int ok, void *ud) {
    (void)ud;
    rdb_state *st = srv->rdb;
    st->last_bgsave_secs = now_secs(srv) - st->lastbgsave_try;
    if (st->bgsave_to_disk) {
        if (ok) {
            log_notice("Background saving terminated with success");
            srv->dirty -= st->dirty_at_bgsave;
            if (srv->dirty < 0) srv->dirty = 0;
            st->lastsave = now_secs(srv);
        } else {
            char tmp[4200];
            log_warning("Background saving error");
            /* A killed or failed child leaves its temp file behind. */
            rdb_temp_path(db_path(srv), st->child_pid, tmp, sizeof(tmp));
            unlink(tmp);
        }
        st->lastbgsave_ok = ok;
    }
    child_done_fn *done = st->user_done;
    void *uud = st->user_ud;
    st->user_done = NULL;
    st->user_ud = NULL;
    st->bgsave_to_disk = 0;
    if (done) done(srv, ok, uud);
}

int rdb_bgsave(server *srv, const rdb_save_info *rsi, int fd, child_done_fn *done, void *ud) {
    rdb_init(srv);
    if (child_running(srv)) return SK_EBUSY;
    rdb_state *st = srv->rdb;
    st->lastbgsave_try = now_secs(srv);
    int pid = child_fork(srv, "rdb", bgsave_done, NULL);
    if (pid < 0) {
        if (fd < 0) st->lastbgsave_ok = 0;
        return pid;
    }
    if (pid == 0) {
        int rc;
        if (fd >= 0) {
            rc = rdb_save_stream(srv, rsi, rdb_fd_write, &fd);
            if (rc < 0) log_warning("Error writing the RDB to the pipe: %s", sk_strerror(rc));
            close(fd);
        } else {
            char err[512];
            rc = rdb_save_file(srv, db_path(srv), rsi, err, sizeof(err));
            if (rc < 0)
                log_warning("%s", err);
            else
                log_notice("DB saved on disk");
        }
        child_exit(rc < 0 ? 1 : 0);
    }
    st->dirty_at_bgsave = srv->dirty;
    st->child_pid = pid;
    st->saves++; /* as Redis 7.0's rdb_saves: snapshots forked */
    st->bgsave_to_disk = fd < 0;
    st->user_done = done;
    st->user_ud = ud;
    log_notice("Background saving started by pid %d", pid);
    return pid;
}

static int save_point_due(server *srv) {
    const server_config *cfg = srv->cfg;
    rdb_state *st = srv->rdb;
    long long now = now_secs(srv);
    for (int i = 0; i < cfg->save_point_count; i++) {
        long long secs = cfg->save_points[i][0], changes = cfg->save_points[i][1];
        if (srv->dirty >= changes && now - st->lastsave > secs &&
            (st->lastbgsave_ok || now - st->lastbgsave_try > BGSAVE_RETRY_DELAY_SECS)) {
            log_notice("%lld changes in %lld seconds. Saving...", changes, secs);
            return 1;
        }
    }
    return 0;
}

void rdb_cron(server *srv) {
    rdb_init(srv);
    if (child_running(srv)) return;
    rdb_state *st = srv->rdb;
    if (st->bgsave_scheduled || save_point_due(srv)) {
        rdb_save_info rsi;
        if (rdb_bgsave(srv, repl_rsi(srv, &rsi), -1, NULL, NULL) > 0) st->bgsave_scheduled = 0;
    }
}

int rdb_shutdown_save(server *srv, int force) {
    rdb_init(srv);
    if (force < 0 || (force == 0 && srv->cfg->save_point_count == 0)) return 0;
    log_notice("Saving the final RDB snapshot before exiting.");
    int rc = rdb_save_now(srv);
    if (rc < 0) log_warning("Error trying to save the DB, can't exit.");
    return rc;
}

void rdb_after_flushall(server *srv) {
    rdb_init(srv);
    if (child_running(srv) && srv->rdb->bgsave_to_disk) child_kill(srv);
    if (srv->cfg->save_point_count > 0) rdb_save_now(srv);
}

int rdb_writes_refused(const server *srv) {
    return srv->rdb && srv->cfg->stop_writes_on_bgsave_error && srv->cfg->save_point_count > 0 &&
           !srv->rdb->lastbgsave_ok;
}

void rdb_info(server *srv, sbuf *o) {
    rdb_init(srv);
    rdb_state *st = srv->rdb;
    int in_progress = child_running(srv) && st->bgsave_to_disk;
    long long elapsed = in_progress ? now_secs(srv) - st->lastbgsave_try : -1;
    sbuf_appendf(o,
                 "loading:%d\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
                 "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
                 "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
                 "rdb_changes_since_last_save:%lld\r\nrdb_bgsave_in_progress:%d\r\n"
                 "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
                 "rdb_last_bgsave_time_sec:%lld\r\nrdb_current_bgsave_time_sec:%lld\r\n"
                 "rdb_saves:%lld\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:%lld\r\n"
                 "rdb_last_load_keys_loaded:%lld\r\n",
                 srv->loading, srv->dirty, in_progress, st->lastsave,
                 st->lastbgsave_ok ? "ok" : "err", st->last_bgsave_secs, elapsed, st->saves,
                 st->last_load_expired, st->last_load_keys);
}

/* -------------------------------------------------------------- commands */

/* A snapshot child (to disk or to a pipe) runs: Redis's CHILD_TYPE_RDB. */
static int rdb_child_running(const server *srv) {
    const char *p = child_purpose(srv);
    return p && !strcmp(p, "rdb");
}

static void save_command(client *c) {
    if (rdb_child_running(c->srv)) {
        add_reply_error(c, "ERR Background save already in progress");
        return;
    }
    if (rdb_save_now(c->srv) < 0)
        add_reply_error(c, "ERR");
    else
        add_reply_ok(c);
}

static void bgsave_command(client *c) {
    server *srv = c->srv;
    rdb_init(srv);
    int schedule = 0;
    if (c->argc > 1) {
        if (c->argc == 2 && arg_is(c, 1, "schedule")) {
            schedule = 1;
        } else {
            add_reply_syntax_error(c);
            return;
        }
    }
    if (rdb_child_running(srv)) {
        add_reply_error(c, "ERR Background save already in progress");
        return;
    }
    if (child_running(srv)) {
        if (!schedule) {
            add_reply_error(c, "ERR Another child process is active (AOF?): can't BGSAVE right "
                               "now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever "
                               "possible.");
            return;
        }
        srv->rdb->bgsave_scheduled = 1;
        add_reply_simple(c, "Background saving scheduled");
        return;
    }
    rdb_save_info rsi;
    if (rdb_bgsave(srv, repl_rsi(srv, &rsi), -1, NULL, NULL) < 0) {
        add_reply_error(c, "ERR Background save failed (fork); check the server log");
        return;
    }
    add_reply_simple(c, "Background saving started");
}

static void lastsave_command(client *c) {
    rdb_init(c->srv);
    add_reply_int(c, c->srv->rdb->lastsave);
}

/* DEBUG RELOAD: save, empty, load again (what Redis does, for tests). */
static void debug_command(client *c) {
    if (!arg_is(c, 1, "reload") || c->argc != 2) {
        add_reply_error(c, "ERR DEBUG: sealkv supports only DEBUG RELOAD");
        return;
    }
    server *srv = c->srv;
    if (rdb_save_now(srv) < 0) {
        add_reply_error(c, "ERR Error trying to save the DB (see the log)");
        return;
    }
    char err[512];
    if (rdb_load_file(srv, db_path(srv), 0, NULL, err, sizeof(err)) < 0) {
        log_warning("DEBUG RELOAD: %s", err);
        add_reply_error(c, "ERR Error trying to load the RDB dump, check server logs.");
        return;
    }
    log_notice("DB reloaded by DEBUG RELOAD");
    add_reply_ok(c);
}

const command cmds_persist[] = {
    {"save", save_command, 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, 0, 0, 0, "server",
     "Synchronously saves the database(s) to disk.", "1.0.0", NULL},
    {"bgsave", bgsave_command, -1, CMD_ADMIN | CMD_NOSCRIPT, 0, 0, 0, "server",
     "Asynchronously saves the database(s) to disk.", "1.0.0", NULL},
    {"lastsave", lastsave_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "server",
     "Returns the Unix timestamp of the last successful save to disk.", "1.0.0", NULL},
    {"debug", debug_command, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, 0, 0, 0,
     "server", "A container for debugging commands (sealkv: RELOAD only).", "1.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
