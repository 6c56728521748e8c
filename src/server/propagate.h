/* propagate.h - hands every change of the dataset, as commands to replay, to
 * the sinks that persist or forward it (the AOF, replication).
 *
 * command_call brackets each command with propagate_call_begin/end. When
 * the command changed the dataset (srv->dirty grew) or asked to propagate
 * (propagate_rewrite/propagate_also), its commands are queued; the queue of
 * one execution unit (a top-level command, EXEC included, or one blocked
 * client served) goes to the sinks when the unit ends, wrapped in
 * MULTI ... EXEC when it holds more than one command (Redis 7.0). Nothing is
 * queued for a command that changed nothing, EXEC itself, or a command that
 * called propagate_prevent.
 *
 * Commands whose effect depends on when or where they run (relative TTLs,
 * random choices, float arithmetic, blocking pops) call propagate_rewrite
 * with a deterministic equivalent, or propagate_also + propagate_prevent to
 * replace themselves with several commands.
 *
 * Keys deleted by expiry or eviction reach the sinks as DEL: at once
 * outside an execution unit and when nothing is queued yet, otherwise after
 * what is queued (so always before the command that found them expired).
 *
 * Sinks track the db they last selected and emit SELECT themselves. They
 * receive borrowed arguments, valid during the call only. A sink must not
 * run commands nor add or remove sinks from inside its callback.
 *
 * Ownership: the module's state hangs from srv->prop (propagate_init /
 * propagate_free). Not thread-safe (the event loop thread only).
 */
#ifndef SEALKV_SERVER_PROPAGATE_H
#define SEALKV_SERVER_PROPAGATE_H

#include "server.h"

#define PROPAGATE_FROM_MASTER 1 /* the command came from our master's stream (a replica) */

/* A sink gets every write as the commands to replay, in order, with the db they apply to.
 * Sinks track their own selected db and emit SELECT themselves. */
typedef void propagate_sink_fn(server *srv, void *ud, int dbid, sstr *argv, int argc, int flags);
void propagate_add_sink(server *srv, propagate_sink_fn *fn, void *ud); /* AOF and replication */
/* Removes the sink added with the same fn and ud (no-op when absent). */
void propagate_remove_sink(server *srv, propagate_sink_fn *fn, void *ud);
/* Non-zero when at least one sink listens (rewrites may be skipped if not). */
int propagate_active(const server *srv);

/* For commands: replace what is propagated for the running command (ownership of argv taken:
 * an sk_malloc'ed array of owned sstr), add extra commands (argv borrowed: copied), or
 * propagate nothing for the running command (extra commands still go). */
void propagate_rewrite(client *c, sstr *argv, int argc);
void propagate_also(client *c, int dbid, sstr *argv, int argc);
void propagate_prevent(client *c);
/* Propagate the running command as is even if it changed nothing (FLUSHDB
 * on an empty db, as Redis 7.0). */
void propagate_force(client *c);
/* Convenience: propagate_rewrite/also with arguments given as C strings
 * (NULL-terminated list); "%s" style formatting is not done. */
void propagate_rewrite_cstr(client *c, const char *first, ...) __attribute__((sentinel));
void propagate_also_cstr(client *c, int dbid, const char *first, ...) __attribute__((sentinel));

/* Builds an sk_malloc'ed argv of argc sstr values given as variadic
 * arguments (ownership of each taken), for propagate_rewrite. */
sstr *propagate_argv(int argc, ...);
/* The common rewrites: DEL key; PEXPIREAT key when_ms. */
void propagate_rewrite_del(client *c, const sstr key);
void propagate_rewrite_pexpireat(client *c, const sstr key, long long when_ms);

/* Keys deleted by expiry or eviction: DEL reaches the sinks (inside a command, before it). */
void propagate_deleted_key(server *srv, int dbid, const sstr key);

/* Outside command_call (blocked clients served by blocking.c, the AOF
 * rewrite): queues argv (copied) as a change made by c. */
void propagate_command(server *srv, int dbid, sstr *argv, int argc, int flags);

/* command_call's bracket. The frame saves the state of an outer command
 * (EXEC) while an inner one runs. */
typedef struct propagate_frame {
    sstr *argv; /* owned while saved */
    int argc;
    int rewritten, prevented, forced;
    long long dirty;
} propagate_frame;
void propagate_call_begin(client *c, propagate_frame *saved);
void propagate_call_end(client *c, propagate_frame *saved);
/* Ends an execution unit outside command_call (blocking.c after serving a
 * client): sends what is queued. No-op inside a command. */
void propagate_flush(server *srv);

void propagate_init(server *srv);
void propagate_free(server *srv);

#endif
