/* api_internal.h - what api.c and api_join.c share. */
#ifndef SEALKV_NODE_API_INTERNAL_H
#define SEALKV_NODE_API_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "api.h"
#include "http.h"

struct node_api {
    ev_loop *loop;     /* borrowed */
    cp_store *store;   /* borrowed */
    http_server *http; /* owned; NULL once stopped */
    uint64_t node_id;
    int stopping;
    unsigned char auth_salt[16]; /* per process, for the credential cache */
    char *auth_cache_hash;       /* owned: the stored hash the cache is for */
    char auth_cache_digest[65];
    struct api_pending *retrying; /* requests waiting for a retry timer */
};

/* A request waiting for the store. Owns body/extra. */
typedef struct api_pending {
    node_api *api;    /* borrowed */
    http_exchange *x; /* answered exactly once, then the pending is freed */
    json_t *body;     /* owned: the parsed request body */
    json_t *extra;    /* owned: the response or data for the next step */
    uint64_t node_id;
    int attempts;
    int64_t retry_timer;                     /* a step waiting to run again, or 0 */
    void (*retry_fn)(struct api_pending *p); /* what runs then */
    struct api_pending *next;                /* in node_api.retrying while retry_timer is set */
} api_pending;

api_pending *api__pending_new(node_api *a, http_exchange *x);
void api__pending_free(api_pending *p);
/* Answers a store error with its status (503, 409, ...). */
void api__store_error(http_exchange *x, int rc);
/* POST /v1/cluster/join (token-authenticated). */
void api__join(node_api *a, http_exchange *x, const http_request *req, const json_t *state);
/* Runs fn(p) after ms from the loop; 0, or -1 (then nothing is scheduled).
 * Pending retries are answered 503 and freed when the api stops. */
int api__retry_later(api_pending *p, int ms, void (*fn)(api_pending *p));

#endif
