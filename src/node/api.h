/* api.h - sealkv-node's REST API: the routes, over http.h, on cp_store.
 *
 *   GET  /v1/cluster               name, uid, leader, description, settings
 *   PUT  /v1/cluster               description and settings (200 once committed)
 *   GET  /v1/cluster/ca            the CA certificate (PEM)
 *   GET  /v1/cluster/certificates  public certificates and their expiry
 *   POST /v1/cluster/join_tokens   a one-time join token {"token","expires"}
 *   POST /v1/cluster/join          token-authenticated: CSRs in, certificates out
 *   GET  /v1/nodes                 every node
 *   GET  /v1/nodes/{uid}           one node
 *   DELETE /v1/nodes/{uid}         removes a node (Raft, then the state)
 *
 * Every route but join needs HTTP Basic auth with the admin credential of
 * the replicated state. Errors are {"error_code","description"}: 400 bad
 * body, 401, 403 (join token refused), 404, 405, 409 conflict, 503 no quorum
 * or no leader. Writes go through cp_store_propose (a follower forwards to
 * the leader). No response is built from anything but cstate's views: the
 * CA key never leaves the process.
 */
#ifndef SEALKV_NODE_API_H
#define SEALKV_NODE_API_H

#include <stddef.h>
#include <stdint.h>

#include "../core/ev.h"
#include "../net/tls.h"
#include "store.h"

typedef struct node_api node_api;

typedef struct node_api_config {
    ev_loop *loop;    /* borrowed */
    cp_store *store;  /* borrowed; outlives the api until node_api_free */
    uint64_t node_id; /* this node */
    const char *bind; /* API listen address (host of --api-addr) */
    int port;
    tls_ctx *tls; /* API certificate; the server takes a reference */
} node_api_config;

int node_api_start(const node_api_config *cfg, node_api **out, char *err, size_t errlen);
/* Stops listening and detaches pending requests (their store callbacks still
 * run, and only free what they hold). */
void node_api_stop(node_api *a);
/* After the store is closed (every store callback has run). NULL is a no-op. */
void node_api_free(node_api *a);
int node_api_port(const node_api *a);

#endif
