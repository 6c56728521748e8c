/* aof.h - the append-only file, as Redis 7.0's multi-part AOF: a directory
 * (appenddirname) holding a manifest, one base part (an RDB file with
 * aof-use-rdb-preamble yes, else commands) and incremental parts of
 * commands. Files written by redis-server 7.0 load here and the other way
 * round. The formats are in aof_file.h.
 *
 * Writing: a propagation sink (propagate.h) appends every write, as RESP,
 * to a buffer; aof_before_sleep writes the buffer to the current incr part
 * before any reply of the same loop iteration leaves (and with appendfsync
 * always also fsyncs it; write_to_client calls aof_flush_before_reply so a
 * reply never overtakes its fsync). With everysec a background thread
 * fsyncs at most once a second; the loop never waits for it (an fsync due
 * while the previous one still runs is skipped and counted in
 * aof_delayed_fsync). A failed write keeps the bytes buffered, refuses
 * writes with MISCONF until a retry succeeds, and with appendfsync always
 * exits (as Redis: a reply may not acknowledge what is not on disk).
 *
 * Rewriting (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET appendonly yes):
 * a new incr part is opened and recorded in the manifest at once; a forked
 * child (child.h) writes a new base from the dataset; when it succeeds the
 * manifest is replaced (temp file + rename + directory fsync) naming the
 * new base and the incr parts opened since, and the older parts are
 * deleted. When another child runs, the rewrite is scheduled.
 *
 * Loading (aof_load_at_start, appendonly yes; the AOF then takes precedence
 * over the RDB file): the base then each incr part in order, commands run by
 * a fake client. A truncated last command of the last part is cut off
 * (aof-load-truncated yes: the file is truncated to the last whole command,
 * logged) or refused (no); any other damage, and a bad manifest, is refused
 * with a reason and nothing on disk is changed. "#TS:" annotation lines
 * (aof-timestamp-enabled) are written and skipped. A single-file AOF of Redis
 * < 7.0 (appendfilename in dir, no manifest) is refused, not converted.
 *
 * State: srv->aof (aof_init / aof_free). Not thread-safe except for the
 * fsync thread's own queue.
 */
#ifndef SEALKV_SERVER_AOF_H
#define SEALKV_SERVER_AOF_H

#include "../core/sbuf.h"
#include "server.h"

enum { AOF_FSYNC_NO = 0, AOF_FSYNC_ALWAYS = 1, AOF_FSYNC_EVERYSEC = 2 };

void aof_init(server *srv);
/* Flushes and fsyncs what is buffered, stops the fsync thread, frees. */
void aof_free(server *srv);

/* At start, with appendonly yes: loads the AOF (0 when there is none), then
 * opens it for appending. < 0 with the reason in err: the server must exit. */
int aof_load_at_start(server *srv, char *err, size_t errlen);
/* Loads the parts that dir/manifest name into the (empty) dataset without
 * opening anything for writing (tests, tools). 0 or < 0 with err. */
int aof_load_dir(server *srv, const char *dir, const char *prefix, char *err, size_t errlen);

/* Writes the buffer (and fsyncs per appendfsync). Before-sleep, before the
 * replies are written. */
void aof_before_sleep(server *srv);
/* A reply is about to be written: with appendfsync always, nothing it
 * acknowledges may still be only in memory. */
void aof_flush_before_reply(server *srv);
/* Cron: scheduled / automatic rewrites, everysec fsync, retrying a failed write. */
void aof_cron(server *srv);
/* At shutdown: write and fsync everything. 0, or < 0 (logged). */
int aof_shutdown(server *srv);

/* CONFIG SET appendonly: yes starts a rewrite that creates the base (as
 * Redis), no stops appending. 0 or < 0 with err. */
int aof_apply_config(server *srv, char *err, size_t errlen);
/* BGREWRITEAOF. 0 started, 1 scheduled (another child runs), < 0 error. */
int aof_rewrite_background(server *srv);

/* Non-zero while the last write to the AOF failed: writes are refused with
 * the text aof_misconf_error gives ("MISCONF Errors writing to the AOF
 * file: <reason>"), as Redis. */
int aof_writes_refused(const server *srv);
void aof_misconf_error(const server *srv, char *out, size_t outlen);

/* INFO persistence aof_* lines. */
void aof_info(server *srv, sbuf *out);

/* BGREWRITEAOF, NULL-name terminated. */
extern const command cmds_aof[];

#endif
