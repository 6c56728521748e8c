/* rdb.h - RDB files (Redis 7.0, RDB version 10): save, load, BGSAVE, save
 * points.
 *
 * Saving writes exactly what Redis 7.0 writes: "REDIS0010", the AUX fields
 * redis-ver, redis-bits, ctime, used-mem, [repl-stream-db, repl-id,
 * repl-offset], aof-base; then per non-empty db SELECTDB, RESIZEDB and its
 * keys (EXPIRETIME_MS, IDLE/FREQ under an LRU/LFU maxmemory policy, type,
 * key, value through rdb_value.c); EOF and the CRC-64 of everything before
 * it (0 with rdbchecksum no). Strings are never LZF-compressed.
 *
 * Loading takes untrusted bytes: versions 1..10 as Redis 7.0 reads them,
 * EXPIRETIME (seconds), IDLE/FREQ, AUX of any name, RESIZEDB. It refuses
 * with SK_ECORRUPT and a one-line reason in err: bad magic, version > 10,
 * bad checksum, truncation, bytes after the end, duplicate keys, a db index
 * past `databases`, module values and MODULE_AUX, functions (FUNCTION /
 * FUNCTION2: sealkv has no functions). Keys whose TTL has passed are skipped
 * unless RDB_LOAD_KEEP_EXPIRED (a replica keeps them, as Redis). Loading
 * fills fresh dictionaries and swaps them into srv->dbs only on success
 * (the sdb structs stay where they are, so clients' c->db stays valid;
 * WATCHers of the old contents are signalled), so on any error the server's
 * data is unchanged.
 *
 * Not thread-safe; everything runs on the server's thread (or in the forked
 * child for BGSAVE).
 */
#ifndef SEALKV_SERVER_RDB_H
#define SEALKV_SERVER_RDB_H

#include <stddef.h>

#include "child.h"
#include "server.h"

/* ------------------------------------------------------------ contracts */

typedef struct rdb_save_info {
    int repl_stream_db;
    char repl_id[41];
    long long repl_offset;
} rdb_save_info;

/* Receives the file in order; returns 0, or < 0 to abort the save. */
typedef int rdb_write_fn(void *ud, const void *p, size_t len);

/* The whole snapshot through w, in chunks of 64 KiB or more. rsi may be NULL
 * (no replication AUX fields). 0, or the first error w returned. */
int rdb_save_stream(server *srv, const rdb_save_info *rsi, rdb_write_fn *w, void *ud);
/* The temp file rdb_save_file(path) uses in the process pid. */
void rdb_temp_path(const char *path, int pid, char *out, size_t outlen);
/* Same with flags: RDB_SAVE_AOF_BASE writes AUX aof-base 1 (the RDB part of
 * an AOF, as Redis's aof-use-rdb-preamble). */
#define RDB_SAVE_AOF_BASE 1
int rdb_save_stream_flags(server *srv, const rdb_save_info *rsi, int flags, rdb_write_fn *w,
                          void *ud);
/* An rdb_write_fn for a file or pipe (ud points to the int fd): all bytes
 * (waiting on a non-blocking fd that is full) or -errno. */
int rdb_fd_write(void *ud, const void *p, size_t len);
/* A temp file in path's directory, fsync, rename over path, fsync the
 * directory. 0 or < 0 with the reason in err (the old file is untouched). */
int rdb_save_file(server *srv, const char *path, const rdb_save_info *rsi, char *err,
                  size_t errlen);

typedef struct rdb_load_info {
    int has_repl; /* the file had repl-id and repl-offset */
    rdb_save_info repl;
    int aof_base; /* AUX aof-base was 1 (an AOF preamble) */
    long long keys, expired_skipped;
    char redis_ver[32]; /* AUX redis-ver, "" when absent */
} rdb_load_info;

#define RDB_LOAD_KEEP_EXPIRED 1 /* replica: load keys whose TTL has passed */

/* info may be NULL. 0, or SK_ECORRUPT / -errno with the reason in err. */
int rdb_load_file(server *srv, const char *path, int flags, rdb_load_info *info, char *err,
                  size_t errlen);
int rdb_load_buffer(server *srv, const void *p, size_t len, int flags, rdb_load_info *info,
                    char *err, size_t errlen);

/* BGSAVE: a child writes the snapshot to fd (a pipe, for diskless
 * replication) when fd >= 0, else to dir/dbfilename. The parent keeps its copy
 * of fd (close the write end so the reader sees EOF when the child exits).
 * done (may be NULL) runs in the parent when the child exits, after the
 * server's own bookkeeping (lastsave, rdb_last_bgsave_status). Returns the
 * child's pid (> 0), SK_EBUSY if a child is running, or -errno. */
int rdb_bgsave(server *srv, const rdb_save_info *rsi, int fd, child_done_fn *done, void *ud);

/* ------------------------------------------------------ server plumbing */

/* Status the server keeps about saves (srv->rdb). */
typedef struct rdb_state {
    long long lastsave;                          /* unix seconds of the last successful save */
    long long lastbgsave_try;                    /* unix seconds of the last BGSAVE attempt */
    int lastbgsave_ok;                           /* last BGSAVE status, 1 at start */
    long long last_bgsave_secs;                  /* duration of the last BGSAVE, -1 before any */
    long long dirty_at_bgsave;                   /* srv->dirty when the running BGSAVE forked */
    int bgsave_scheduled;                        /* BGSAVE SCHEDULE waiting for the running child */
    int bgsave_to_disk;                          /* the running child writes dir/dbfilename */
    long long saves;                             /* BGSAVE children forked (rdb_saves) */
    int child_pid;                               /* the running BGSAVE's child, for its temp file */
    long long last_load_keys, last_load_expired; /* the start-up load */
    child_done_fn *user_done; /* rdb_bgsave's caller's callback, run after ours */
    void *user_ud;
} rdb_state;

void rdb_init(server *srv);
void rdb_free(server *srv);
/* The file to load at start, if it exists: 0 (also when there is none), or
 * < 0 with the reason in err (the server must not start). */
int rdb_load_at_start(server *srv, char *err, size_t errlen);
/* From the server cron: reap the child, start a scheduled BGSAVE, check the
 * save points. */
void rdb_cron(server *srv);
/* SAVE as the server does it (foreground, dir/dbfilename), with logging and
 * bookkeeping. 0 or < 0. */
int rdb_save_now(server *srv);
/* At shutdown: saves when save points exist (or force > 0; never when
 * force < 0). Returns 0, or < 0 when the save failed. */
int rdb_shutdown_save(server *srv, int force);
/* After FLUSHALL, as Redis: a running BGSAVE is killed (its snapshot is
 * stale) and, with save points, the empty data set is saved at once. */
void rdb_after_flushall(server *srv);
/* Non-zero when writes must be refused with RDB_MISCONF_ERROR. */
int rdb_writes_refused(const server *srv);
/* INFO persistence lines about RDB (after "# Persistence"). */
void rdb_info(server *srv, sbuf *out);

#define RDB_MISCONF_ERROR                                                                          \
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "  \
    "disk. Commands that may modify the data set are disabled, because this instance is "          \
    "configured to report errors during writes if RDB snapshotting fails "                         \
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB " \
    "error."

/* SAVE, BGSAVE, LASTSAVE (cmd_persist.c), NULL-name terminated. */
extern const command cmds_persist[];

#endif
