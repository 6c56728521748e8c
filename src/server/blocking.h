/* blocking.h - clients blocked on keys (BLPOP, BLMOVE, BLMPOP; later
 * BZPOPMIN/BZMPOP and XREAD BLOCK), served as Redis 7.0 serves them.
 *
 * A family blocks a client with blocking_block_client(), giving the keys,
 * an absolute timeout and a blocking_ops table whose serve() knows how to
 * finish the command once a key can satisfy it. Waiters are kept per
 * database in FIFO order per key: the client that blocked first is served
 * first. A command that may make a key ready (a push creating a list, a
 * key added by RENAME/RESTORE/...) calls blocking_signal_key_ready(); the
 * ready keys are served after the command that signalled them has finished
 * (after EXEC as a whole for a transaction), in the order they were
 * signalled, by blocking_handle_ready_keys(). A blocking command running
 * inside MULTI/EXEC never blocks: the family replies as on a timeout.
 *
 * A blocked client has CLIENT_BLOCKED set, so networking does not parse its
 * further input; once unblocked (served, timed out, CLIENT UNBLOCK) it is
 * queued and blocking_process_unblocked() (before-sleep) resumes its input.
 *
 * Ownership: the module owns all its state, reached from srv->blocking
 * (created by blocking_init). Keys passed in are copied. The priv pointer
 * given to blocking_block_client is owned by the module from then on and
 * released with ops->free_priv. Not thread-safe.
 */
#ifndef SEALKV_SERVER_BLOCKING_H
#define SEALKV_SERVER_BLOCKING_H

#include "server.h"

typedef struct blocking_ops {
    const char *name; /* "list", "zset", "stream": for logs */
    /* Called with c->db being the db c blocked in, when key (one of c's
     * keys) was signalled ready. Finishes c's command if key can serve it
     * now and returns 1 (c then gets unblocked); returns 0 to keep c
     * waiting (key missing, empty, of another type, nothing new). May
     * reply an error and return 1 (BLMOVE to a key of the wrong type). */
    int (*serve)(client *c, const sstr key, void *priv);
    /* The timeout reply; NULL means a nil array (Redis 7.0 for lists,
     * sorted sets and streams alike). */
    void (*reply_timeout)(client *c, void *priv);
    void (*free_priv)(void *priv); /* may be NULL */
} blocking_ops;

/* Life cycle; blocking_init after db_init_all, blocking_free once every
 * client is gone (before db_free_all). */
void blocking_init(server *srv);
void blocking_free(server *srv);

/* Parses argument i as a Redis timeout in seconds (a float; "0" = forever).
 * Sets *abs_ms to the absolute deadline in ms, or 0 for none. Replies
 * "ERR timeout is not a float or out of range" / "ERR timeout is negative"
 * and returns -1 on a bad value; 0 on success. */
int blocking_parse_timeout(client *c, int i, long long *abs_ms);

/* Blocks c on keys[0..nkeys) of c->db until served or abs_ms (0: never).
 * Sets CLIENT_BLOCKED. c must not be blocked already, nor inside MULTI. */
void blocking_block_client(client *c, const blocking_ops *ops, const sstr *keys, int nkeys,
                           long long abs_ms, void *priv);

/* key of db may now serve its waiters (cheap when nobody waits on it).
 * Signals are coalesced until the next blocking_handle_ready_keys. */
void blocking_signal_key_ready(server *srv, sdb *db, const sstr key);
/* SWAPDB: waiters stay on their db number; every key they wait on in the
 * two dbs is signalled (the new content may serve them). */
void blocking_signal_db_swapped(server *srv, int id1, int id2);

/* Serves the waiters of every key signalled so far (repeats while serving
 * signals more keys). Call after each top-level command (command_process
 * after command_call, which covers EXEC) and in before-sleep. */
void blocking_handle_ready_keys(server *srv);
/* Replies to and unblocks the clients whose timeout has passed; cron. */
void blocking_check_timeouts(server *srv);
/* Resumes the input of clients unblocked since the last call; before-sleep
 * (after blocking_handle_ready_keys). */
void blocking_process_unblocked(server *srv);

/* client_free: drops c's waits and any pending resume. Safe for any client. */
void blocking_client_free(client *c);
/* CLIENT UNBLOCK: replies as a timeout (with_error == 0) or with
 * "-UNBLOCKED client unblocked via CLIENT UNBLOCK"; returns 1 if c was
 * blocked, 0 otherwise (nothing done). */
int blocking_unblock_client(client *c, int with_error);

/* Clients currently blocked (INFO blocked_clients). */
long long blocking_count(const server *srv);
/* Keys with at least one waiter, all dbs (INFO blocked_keys, later). */
long long blocking_keys_count(const server *srv);

#endif
