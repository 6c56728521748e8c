/* replication.h - master/replica replication, Redis 7.0's protocol.
 *
 * A sealkv-server is a master, or a replica of one master (REPLICAOF, the
 * `replicaof` directive), and in both roles may serve replicas of its own.
 * The wire protocol is Redis 7.0's (PSYNC2): handshake, +FULLRESYNC with the
 * snapshot as "$<len>" (disk) or "$EOF:<mark>" (diskless) payload, or
 * +CONTINUE from the backlog, then the command stream with REPLCONF
 * ACK/GETACK, so redis-server 7.0 can sit on either end. With
 * tls-replication the link to the master is TLS (certificate chain checked,
 * tls-replication-peer-name required in the master's certificate when set).
 *
 * Split: replication.c (life cycle, commands, INFO, cron), repl_master.c
 * (serving replicas), repl_replica.c (the link to our master),
 * repl_backlog.c (the shared stream buffer), repl_proto.c (pure parsers).
 *
 * Ownership: the module's state hangs from srv->repl; per-client state from
 * c->repl (replicas only). Not thread-safe (the event loop thread).
 */
#ifndef SEALKV_SERVER_REPLICATION_H
#define SEALKV_SERVER_REPLICATION_H

#include "../core/sbuf.h"
#include "server.h"

struct rdb_save_info;

/* Life cycle: init after the dbs and the propagation module, before the
 * server runs; applies the `replicaof` directive. free at shutdown. */
void repl_init(server *srv);
void repl_free(server *srv);

/* Before exit: online replicas get up to a second to receive the stream
 * written so far (Redis waits for them up to shutdown-timeout), so they
 * continue with PSYNC from the restarted master. */
void repl_shutdown(server *srv);

/* Hooks of the rest of the server. */
void repl_before_sleep(server *srv); /* flushes replica output, sends GETACKs */
void repl_client_free(client *c);    /* any client; cheap for normal ones */
/* NULL, or the error a write (or other) command gets here: READONLY on a
 * read-only replica, NOREPLICAS under min-replicas-to-write, MASTERDOWN on a
 * stale replica. */
const char *repl_command_refusal(const client *c);
/* Non-zero when this server is a replica (keys then expire only by the
 * master's DEL) */
int repl_is_replica(const server *srv);
/* Non-zero while the running command comes from our master. */
int repl_running_master_command(const server *srv);
/* Fills what an RDB file records about replication (repl-id, offset, the
 * stream's db) so a restarted replica can PSYNC. Returns 0, or -1 when
 * there is nothing worth recording (rsi untouched). */
int repl_save_info(server *srv, struct rdb_save_info *rsi);
/* After loading the RDB at start: a replica adopts its replication id and
 * offset (to PSYNC), a master offers them as its previous history. */
void repl_loaded_from_disk(server *srv, const struct rdb_save_info *rsi);

/* INFO replication section, and the sync_* lines of INFO stats. */
void repl_info(server *srv, sbuf *out);
void repl_info_stats(server *srv, sbuf *out);

/* REPLICAOF SLAVEOF REPLCONF PSYNC SYNC ROLE WAIT. */
extern const command cmds_repl[];

#define REPL_READONLY_ERROR "READONLY You can't write against a read only replica."
#define REPL_NOREPLICAS_ERROR "NOREPLICAS Not enough good replicas to write."
#define REPL_MASTERDOWN_ERROR                                                                      \
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

#endif
