/* pubsub.h - channels and patterns (SUBSCRIBE, PSUBSCRIBE, PUBLISH, PUBSUB),
 * with the reply shapes and counts of Redis 7.0.
 *
 * State lives in two places, kept consistent by this module only:
 *   srv->pubsub_channels / srv->pubsub_patterns: name sstr (owned) -> dict
 *     used as a set of subscribed client* (borrowed); an entry is removed as
 *     soon as its last subscriber leaves, so dict_size() is the number of
 *     active channels / distinct patterns.
 *   c->pubsub_channels / c->pubsub_patterns: name sstr (owned) -> NULL.
 *     Created on the first subscription; may be NULL (no subscription).
 *
 * CLIENT_PUBSUB is set while a client has at least one subscription. In
 * RESP2 such a client may only run the commands that
 * pubsub_command_allowed_in_context() accepts (the dispatcher checks it);
 * in RESP3 messages arrive as push replies and every command is allowed.
 * Not thread-safe (one event loop).
 */
#ifndef SEALKV_SERVER_PUBSUB_H
#define SEALKV_SERVER_PUBSUB_H

#include "server.h"

/* Creates srv->pubsub_channels and srv->pubsub_patterns (empty). */
void pubsub_init(server *srv);
/* Frees both maps; clients' own maps must have been freed before
 * (pubsub_client_free), or must not be used again. */
void pubsub_free(server *srv);

/* Unsubscribes c from every channel and pattern without replying (on
 * disconnect and RESET) and clears CLIENT_PUBSUB. */
void pubsub_client_free(client *c);

/* Delivers msg on channel ch to the subscribers of ch ("message") and of
 * every matching pattern ("pmessage"); returns the number of deliveries. */
long long pubsub_publish(server *srv, const sstr ch, const sstr msg);

/* Channels + patterns c is subscribed to (the count in subscribe replies). */
int pubsub_client_count(const client *c);

/* Non-zero for the commands a RESP2 client in subscribed context may run:
 * (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT, RESET. cmd is the top-level
 * command (a subcommand such as PUBSUB|NUMPAT is refused). */
int pubsub_command_allowed_in_context(const command *cmd);

/* For INFO: active channels and distinct patterns. */
size_t pubsub_num_channels(const server *srv);
size_t pubsub_num_patterns(const server *srv);

#endif
