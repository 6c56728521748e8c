/* evict.h - maxmemory: key eviction and the OOM refusal, as Redis 7.0.
 *
 * When maxmemory is set, every command first calls evict_command_refused(),
 * which evicts keys by maxmemory-policy while sk_mem_used() exceeds
 * maxmemory (Redis counts all client buffers too, except replicas' and the
 * AOF buffer, which sealkv does not have: so the plain allocator count).
 * The LRU/LFU/TTL policies use Redis's approximation: maxmemory-samples
 * keys sampled per db into a pool of the 16 best candidates (largest idle
 * time, 255 - LFU counter, or earliest expiry), and the best is deleted.
 * Evicted keys count in srv->stat_evictedkeys and are signalled as
 * modified (WATCH, client-side caching) by db_delete.
 *
 * The pool is srv->evict_pool (owned here, created on first use).
 * One eviction run takes at most EVICT_TIME_LIMIT_US; evict_cron and the
 * next command continue where memory is still over the limit. Not thread-safe.
 */
#ifndef SEALKV_SERVER_EVICT_H
#define SEALKV_SERVER_EVICT_H

#include <stddef.h>

#include "server.h"

#define EVICT_OK 0      /* under the limit (or no limit) */
#define EVICT_RUNNING 1 /* still over, but progressing: the time budget ran out */
#define EVICT_FAIL (-1) /* over the limit and nothing (more) can be evicted */

#define EVICT_POOL_SIZE 16
#define EVICT_TIME_LIMIT_US 500 /* Redis's default maxmemory-eviction-tenacity (10) */

/* The error a refused command gets (the dispatcher adds nothing). */
#define EVICT_OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."

/* Memory counted against maxmemory. */
size_t evict_mem_used(const server *srv);

/* Evicts keys until memory is under maxmemory, nothing is left to evict
 * or the time budget is spent. Returns EVICT_OK, EVICT_RUNNING or
 * EVICT_FAIL (always EVICT_FAIL when over the limit under noeviction). */
int evict_perform(server *srv);

/* Server cron: continues a run that stopped on its time budget while
 * still over the limit (Redis's eviction time proc), so memory comes down
 * without waiting for the next command. */
void evict_cron(server *srv);

/* Frees srv->evict_pool, the candidates kept between runs (at exit). */
void evict_free(server *srv);

/* The dispatcher's check before running or queueing c->cmd (after
 * authentication, before the pub/sub context check): runs evict_perform
 * when maxmemory is set and returns 1 when the command must be refused with
 * EVICT_OOM_ERROR: a CMD_DENYOOM command, an EXEC whose queue holds one, or
 * any command but EXEC/DISCARD/QUIT/RESET inside MULTI. Else 0. */
int evict_command_refused(client *c);

#endif
