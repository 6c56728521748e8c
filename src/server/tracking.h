/* tracking.h - client-side caching (CLIENT TRACKING), as Redis 7.0.
 *
 * A tracking client in default mode has the keys its read-only commands
 * touch remembered in the tracking table (key -> ids of clients that may
 * cache it). When such a key is modified, or evicted, or expires, every
 * client that read it gets one invalidation message and the key is
 * forgotten until read again. In BCAST mode the client instead subscribes
 * to key prefixes and gets, once per event-loop iteration, the keys under
 * each prefix that changed. OPTIN / OPTOUT with CLIENT CACHING restrict
 * which reads are remembered; NOLOOP skips keys the client changed itself.
 *
 * Only RESP2 is served, so messages go to the REDIRECT client, as a
 * pub/sub "message" on "__redis__:invalidate" whose payload is an array of
 * keys, or a nil bulk after FLUSHDB / FLUSHALL; the redirect client must be
 * in subscribed context. A client tracking without a redirect gets nothing
 * (RESP2 has no push) and a redirect to a client that is gone marks the
 * tracker "broken_redirect" (CLIENT TRACKINGINFO).
 *
 * State: srv->tracking (owned here) holds the table, the prefixes and the
 * set of tracking clients; c->tracking (owned here, NULL when tracking is
 * off) holds a client's mode. Not thread-safe (one event loop).
 */
#ifndef SEALKV_SERVER_TRACKING_H
#define SEALKV_SERVER_TRACKING_H

#include <stddef.h>

#include "server.h"

#define TRACKING_CHANNEL "__redis__:invalidate"
#define TRACKING_TABLE_MAX_KEYS_DEFAULT 1000000

/* Creates / frees srv->tracking. tracking_free must run after every client
 * was freed (or tracking_client_free was called for it). */
void tracking_init(server *srv);
void tracking_free(server *srv);

/* On disconnect and RESET: tracking off for c, and forget c as a
 * redirect target. Safe for any client, tracking or not. */
void tracking_client_free(client *c);

/* db_signal_modified hook: invalidate key for every client that read it
 * and queue it for the BCAST prefixes that match. */
void tracking_invalidate_key(server *srv, const sstr key);
/* db_signal_flushed hook: one nil invalidation per tracking client (at
 * most once per command, since a FLUSHALL signals every db) and the table
 * is emptied. */
void tracking_invalidate_all(server *srv);

/* After a read-only command ran (command_call): remember the keys of
 * c->argv for c when it tracks in default mode and OPTIN/OPTOUT allow. */
void tracking_remember_keys(client *c);
/* After command_process ran a command (not a queued one): the CLIENT
 * CACHING choice lasts one command (or one transaction), as Redis. */
void tracking_after_command(client *c);
/* Before sleep: send the pending BCAST invalidations and bring the table
 * back under tracking-table-max-keys. */
void tracking_before_sleep(server *srv);

/* CLIENT subcommands (cmd_connection.c's table). Arity: TRACKING -3,
 * CACHING 3, GETREDIR 2, TRACKINGINFO 2. */
void tracking_client_tracking_command(client *c);
void tracking_client_caching_command(client *c);
void tracking_client_getredir_command(client *c);
void tracking_client_trackinginfo_command(client *c);

/* CLIENT LIST / INFO flag letters, as Redis: 't' tracking, 'R' broken
 * redirect, 'B' BCAST. Writes at most 3 chars (no NUL) and returns how
 * many. */
int tracking_flag_chars(const client *c, char *out);

/* INFO: tracking_clients (Clients), tracking_total_keys / items /
 * prefixes (Stats). */
long long tracking_num_clients(const server *srv);
size_t tracking_total_keys(const server *srv);
size_t tracking_total_items(const server *srv);
size_t tracking_total_prefixes(const server *srv);
/* Appends those four INFO lines in Redis's order, for the two sections. */
void tracking_info_clients(const server *srv, sbuf *out);
void tracking_info_stats(const server *srv, sbuf *out);

#endif
