/* multi.h - transactions (MULTI, EXEC, DISCARD) and optimistic locking
 * (WATCH, UNWATCH), with the semantics and error texts of Redis 7.0.
 *
 * Queued commands: c->mstate[0 .. c->mstate_count) own copies of the
 * arguments. Watched keys are kept twice, consistently, by this module only:
 *   c->watched_keys: a dict used as a set of watch records (owned), each
 *     naming (db id, key) and whether the key was already logically expired
 *     when WATCHed. NULL when the client watches nothing.
 *   db->watched: key sstr (owned) -> dict used as a set of the same records
 *     (borrowed). Created by multi_init_db.
 * A watch names a db by number, so SWAPDB must swap the keyspaces (keys,
 * expires) of two sdb structs, not the structs nor their `watched` maps.
 *
 * Keyspace code calls multi_touch_watched_key after changing a key (also
 * after deleting an expired key), and multi_touch_all_watched /
 * multi_touch_swapdb BEFORE emptying / swapping, because only watchers of
 * keys that exist at that moment are affected (Redis 7.0 semantics).
 */
#ifndef SEALKV_SERVER_MULTI_H
#define SEALKV_SERVER_MULTI_H

#include "server.h"

/* Queues c->argv (copied; c keeps its own) for EXEC and replies +QUEUED.
 * Nothing is stored once EXEC is sure to fail (dirty), as Redis does. */
void multi_queue_command(client *c);
/* A command was refused while queuing: the next EXEC replies EXECABORT. */
void multi_flag_exec_error(client *c);
/* Drops the queue and the watches; clears MULTI, DIRTY_CAS, DIRTY_EXEC. */
void multi_discard(client *c);
/* On disconnect and RESET: discard, and free every per-client allocation. */
void multi_client_free(client *c);

/* Marks the clients WATCHing key in db as dirty (EXEC will fail). */
void multi_touch_watched_key(server *srv, sdb *db, const sstr key);
/* FLUSHDB (dbid) / FLUSHALL (-1): call before the keys are removed. */
void multi_touch_all_watched(server *srv, int dbid);
/* SWAPDB id1 id2: call before the swap. */
void multi_touch_swapdb(server *srv, int id1, int id2);

/* db->watched, empty; and its release (no client may still watch it). */
void multi_init_db(sdb *db);
void multi_free_db(sdb *db);

/* Number of keys c watches (CLIENT LIST "watch=" in later Redis). */
size_t multi_watched_count(const client *c);

#endif
