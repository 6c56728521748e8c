/* api.c - REST routes of sealkv-node (see api.h). Cluster joins are in
 * api_join.c; this file has the router, authentication and the admin routes. */
#include "api_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "../pki/pki.h"
#include "cstate.h"
#include "jtoken.h"

#define DESCRIPTION_MAX 4096

/* ------------------------------------------------------------ replies */

void api__store_error(http_exchange *x, int rc) {
    switch (rc) {
    case SK_ENOQUORUM:
        http_respond_error(x, 503, "no_quorum",
                           "the control plane could not reach a majority of the nodes");
        break;
    case SK_ENOTLEADER:
        http_respond_error(x, 503, "no_leader",
                           "no control-plane leader is known (no quorum): try again later");
        break;
    case SK_ECONFLICT:
        http_respond_error(x, 409, "conflict", "the cluster state changed meanwhile: retry");
        break;
    case SK_EINVAL:
        http_respond_error(x, 400, "invalid_request", "the change was refused as invalid");
        break;
    case SK_ECLOSED:
        http_respond_error(x, 503, "shutting_down", "this node is stopping");
        break;
    default:
        http_respond_error(x, 500, "internal_error", sk_strerror(rc));
        break;
    }
}

/* ------------------------------------------------------------ auth */

/* A verified credential is remembered as SHA-256(process salt || user ||
 * NUL || password) so that each request does not pay PBKDF2's 100k rounds
 * on the event loop; the cache is dropped whenever the stored hash changes. */
static void cred_digest(const node_api *a, const char *user, const char *password, char out[65]) {
    size_t ul = strlen(user), pl = strlen(password);
    size_t n = sizeof(a->auth_salt) + ul + 1 + pl;
    unsigned char *buf = sk_malloc(n);
    memcpy(buf, a->auth_salt, sizeof(a->auth_salt));
    memcpy(buf + sizeof(a->auth_salt), user, ul + 1);
    memcpy(buf + sizeof(a->auth_salt) + ul + 1, password, pl);
    pki_sha256_hex(buf, n, out);
    explicit_bzero(buf, n);
    sk_free(buf);
}

static int check_auth(node_api *a, http_exchange *x, const http_request *req, const json_t *state) {
    const json_t *admin = json_object_get(state, "admin");
    const char *user = cstate_str(admin, "user"), *hash = cstate_str(admin, "password_hash");
    if (user == NULL || hash == NULL) {
        http_respond_error(x, 503, "not_ready",
                           "this node has not received the cluster state yet: try again later");
        return -1;
    }
    if (!req->has_basic_auth) {
        http_respond_error(x, 401, "unauthorized", "HTTP Basic authentication is required");
        return -1;
    }
    char digest[65];
    cred_digest(a, req->user, req->password, digest);
    if (a->auth_cache_hash != NULL && strcmp(a->auth_cache_hash, hash) == 0 &&
        pki_secret_equal(a->auth_cache_digest, digest))
        return 0;
    if (!pki_secret_equal(req->user, user) || pki_password_verify(req->password, hash) != 0) {
        log_notice("api: authentication failed from %s", req->peer);
        http_respond_error(x, 401, "unauthorized", "wrong user name or password");
        return -1;
    }
    sk_free(a->auth_cache_hash);
    a->auth_cache_hash = sk_strdup(hash);
    memcpy(a->auth_cache_digest, digest, sizeof(digest));
    return 0;
}

/* ------------------------------------------------------------ pending writes */

api_pending *api__pending_new(node_api *a, http_exchange *x) {
    api_pending *p = sk_calloc(1, sizeof(*p));
    p->api = a;
    p->x = x;
    return p;
}

void api__pending_free(api_pending *p) {
    json_decref(p->body);
    json_decref(p->extra);
    sk_free(p);
}

/* ------------------------------------------------------------ retries */

static void unlink_retry(api_pending *p) {
    for (api_pending **pp = &p->api->retrying; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    p->next = NULL;
    p->retry_timer = 0;
}

static int64_t retry_timer_cb(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    api_pending *p = data;
    unlink_retry(p);
    p->retry_fn(p);
    return EV_TIMER_STOP;
}

int api__retry_later(api_pending *p, int ms, void (*fn)(api_pending *p)) {
    int64_t t = ev_add_timer(p->api->loop, ms, retry_timer_cb, p);
    if (t <= 0) return -1;
    p->retry_timer = t;
    p->retry_fn = fn;
    p->next = p->api->retrying;
    p->api->retrying = p;
    return 0;
}

static void cancel_retries(node_api *a) {
    while (a->retrying != NULL) {
        api_pending *p = a->retrying;
        ev_del_timer(a->loop, p->retry_timer);
        unlink_retry(p);
        api__store_error(p->x, SK_ECLOSED);
        api__pending_free(p);
    }
}

/* ------------------------------------------------------------ /v1/cluster */

static void get_cluster(node_api *a, http_exchange *x, const json_t *state) {
    http_respond_json(x, 200, cstate_view_cluster(state, cp_store_leader(a->store)));
}

static void put_cluster_done(void *ud, int rc) {
    api_pending *p = ud;
    if (rc != 0 || p->api->stopping) {
        api__store_error(p->x, rc != 0 ? rc : SK_ECLOSED);
    } else {
        /* A follower may not have applied the committed change yet: show
         * what was committed over the local view. */
        json_t *view =
            cstate_view_cluster(cp_store_state(p->api->store), cp_store_leader(p->api->store));
        const json_t *d = json_object_get(p->body, "description");
        if (d != NULL) json_object_set(view, "description", (json_t *)d);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(p->body, "settings"), k, v) {
            json_object_set(json_object_get(view, "settings"), k, v);
        }
        http_respond_json(p->x, 200, view);
    }
    api__pending_free(p);
}

/* Checks a PUT /v1/cluster body; builds the batch of sets. */
static json_t *put_cluster_ops(const json_t *body, char *err, size_t errlen) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "description") == 0) {
            if (!json_is_string(v) || json_string_length(v) > DESCRIPTION_MAX) {
                snprintf(err, errlen, "description must be a string of at most %d bytes",
                         DESCRIPTION_MAX);
                return NULL;
            }
        } else if (strcmp(k, "settings") == 0) {
            if (cstate_settings_check(v, err, errlen) != 0) return NULL;
        } else if (!strcmp(k, "name") || !strcmp(k, "uid") || !strcmp(k, "leader")) {
            snprintf(err, errlen, "'%s' cannot be changed", k);
            return NULL;
        } else {
            snprintf(err, errlen, "unknown field '%.64s'", k);
            return NULL;
        }
    }
    json_t *batch = cstate_op_batch();
    const json_t *d = json_object_get(body, "description");
    if (d != NULL)
        cstate_batch_add(
            batch, cstate_op_set(cstate_path("cluster", "description", NULL), json_deep_copy(d)));
    json_object_foreach(json_object_get(body, "settings"), k, v) {
        cstate_batch_add(
            batch, cstate_op_set(cstate_path("cluster", "settings", k, NULL), json_deep_copy(v)));
    }
    if (json_array_size(json_object_get(batch, "ops")) == 0) {
        json_decref(batch);
        snprintf(err, errlen, "nothing to change (description, settings)");
        return NULL;
    }
    return batch;
}

static void put_cluster(node_api *a, http_exchange *x, const http_request *req) {
    char err[256];
    json_t *body = http_parse_json_body(req, err, sizeof(err));
    if (body == NULL) {
        http_respond_error(x, 400, "bad_request", err);
        return;
    }
    json_t *batch = put_cluster_ops(body, err, sizeof(err));
    if (batch == NULL) {
        json_decref(body);
        http_respond_error(x, 400, "bad_request", err);
        return;
    }
    api_pending *p = api__pending_new(a, x);
    p->body = body;
    int rc = cp_store_propose(a->store, batch, put_cluster_done, p);
    if (rc != 0) {
        api__store_error(x, rc);
        api__pending_free(p);
    }
}

/* ------------------------------------------------------------ join tokens */

static void token_done(void *ud, int rc) {
    api_pending *p = ud;
    if (rc != 0 || p->api->stopping) {
        api__store_error(p->x, rc != 0 ? rc : SK_ECLOSED);
    } else {
        http_respond_json(p->x, 200, p->extra);
        p->extra = NULL;
    }
    api__pending_free(p);
}

/* Best effort, after a new token: drop tokens expired an hour ago. */
static void sweep_done(void *ud, int rc) {
    (void)ud;
    if (rc != 0) log_verbose("api: expired join tokens not swept (%s)", sk_strerror(rc));
}

static void sweep_tokens(node_api *a, const json_t *state) {
    json_t *batch = cstate_op_batch();
    const char *id;
    json_t *t;
    long long now = (long long)time(NULL);
    json_object_foreach(json_object_get(state, "join_tokens"), id, t) {
        if (cstate_int(t, "expires", 0) + 3600 < now)
            cstate_batch_add(batch, cstate_op_del(cstate_path("join_tokens", id, NULL)));
    }
    if (json_array_size(json_object_get(batch, "ops")) == 0 ||
        cp_store_propose(a->store, batch, sweep_done, NULL) != 0)
        json_decref(batch);
}

static void post_join_token(node_api *a, http_exchange *x, const http_request *req,
                            const json_t *state) {
    char err[256];
    long long ttl = cstate_int(json_object_get(json_object_get(state, "cluster"), "settings"),
                               "join_token_ttl", 3600);
    if (req->body_len > 0) {
        json_t *body = http_parse_json_body(req, err, sizeof(err));
        if (body == NULL) {
            http_respond_error(x, 400, "bad_request", err);
            return;
        }
        const json_t *v = json_object_get(body, "ttl");
        int ok = json_object_size(body) == (v != NULL ? 1u : 0u) &&
                 (v == NULL || (json_is_integer(v) && json_integer_value(v) >= 1 &&
                                json_integer_value(v) <= 7 * 86400));
        if (v != NULL) ttl = json_integer_value(v);
        json_decref(body);
        if (!ok) {
            http_respond_error(x, 400, "bad_request",
                               "the body may only hold \"ttl\": 1..604800 (seconds)");
            return;
        }
    }
    jtoken t;
    char text[JTOKEN_TEXT_LEN + 1], secret_hash[65], expires_iso[32];
    if (jtoken_new(cstate_ca_sha256(state), &t) != 0) {
        http_respond_error(x, 500, "internal_error", "the cluster state has no CA hash");
        return;
    }
    jtoken_format(&t, text, sizeof(text));
    pki_sha256_hex(t.secret, strlen(t.secret), secret_hash);
    long long expires = (long long)time(NULL) + ttl;
    cstate_iso_time(expires, expires_iso);
    json_t *op = cstate_op_create(
        cstate_path("join_tokens", t.id, NULL),
        json_pack("{s:s, s:I}", "secret_sha256", secret_hash, "expires", (json_int_t)expires));
    api_pending *p = api__pending_new(a, x);
    p->extra = json_pack("{s:s, s:s, s:I}", "token", text, "expires", expires_iso, "expires_unix",
                         (json_int_t)expires);
    explicit_bzero(text, sizeof(text));
    jtoken_wipe(&t);
    int rc = cp_store_propose(a->store, op, token_done, p);
    if (rc != 0) {
        api__store_error(x, rc);
        api__pending_free(p);
        return;
    }
    sweep_tokens(a, state);
}

/* ------------------------------------------------------------ /v1/nodes */

static int parse_uid(const char *s, uint64_t *out) {
    unsigned long long v;
    if (!util_str_to_ull(s, strlen(s), &v) || v == 0) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int cmp_uid(const void *a, const void *b) {
    long long x = cstate_int(*(json_t *const *)a, "uid", 0);
    long long y = cstate_int(*(json_t *const *)b, "uid", 0);
    return x < y ? -1 : x > y;
}

static void get_nodes(node_api *a, http_exchange *x, const json_t *state) {
    uint64_t leader = cp_store_leader(a->store);
    const json_t *nodes = json_object_get(state, "nodes");
    size_t n = json_object_size(nodes), i = 0;
    json_t **views = sk_calloc(n + 1, sizeof(*views));
    const char *id;
    json_t *node;
    json_object_foreach((json_t *)nodes, id, node) {
        json_t *v = cstate_view_node(state, (uint64_t)cstate_int(node, "uid", 0), leader);
        if (v != NULL && i < n) views[i++] = v;
    }
    qsort(views, i, sizeof(*views), cmp_uid);
    json_t *arr = json_array();
    for (size_t k = 0; k < i; k++)
        json_array_append_new(arr, views[k]);
    sk_free(views);
    http_respond_json(x, 200, arr);
}

static void get_node(node_api *a, http_exchange *x, const json_t *state, uint64_t id) {
    json_t *v = cstate_view_node(state, id, cp_store_leader(a->store));
    if (v == NULL) {
        http_respond_error(x, 404, "node_not_found", "no node with this uid");
        return;
    }
    http_respond_json(x, 200, v);
}

#define REMOVE_WAIT_MS 100
#define REMOVE_WAIT_ROUNDS 150

static void removed_reply(api_pending *p, int status) {
    json_t *body = json_pack("{s:I, s:b, s:s}", "uid", (json_int_t)p->node_id, "removed", 1,
                             "status", status == 200 ? "removed" : "removing");
    http_respond_json(p->x, status, body);
    api__pending_free(p);
}

/* Until this node's applied state no longer lists the node (the leader
 * took it out of Raft, then out of the state), or a bound. */
static void delete_wait(api_pending *p) {
    if (cstate_node(cp_store_state(p->api->store), p->node_id) == NULL) {
        log_notice("api: node %" PRIu64 " removed from the cluster", p->node_id);
        removed_reply(p, 200);
    } else if (++p->attempts > REMOVE_WAIT_ROUNDS ||
               api__retry_later(p, REMOVE_WAIT_MS, delete_wait) != 0) {
        removed_reply(p, 202); /* committed; the leader finishes it */
    }
}

static void delete_marked(void *ud, int rc) {
    api_pending *p = ud;
    if (rc != 0 || p->api->stopping) {
        api__store_error(p->x, rc != 0 ? rc : SK_ECLOSED);
        api__pending_free(p);
    } else if (p->node_id == p->api->node_id) {
        /* Removing ourselves: we leave Raft and will not see the end. */
        removed_reply(p, 202);
    } else {
        delete_wait(p);
    }
}

/* DELETE marks the node "removing"; the leader's membership round takes it
 * out of Raft and then out of the state (see membership.h), whichever node
 * served the request, the removed node included. */
static void delete_node(node_api *a, http_exchange *x, const json_t *state, uint64_t id) {
    const json_t *node = cstate_node(state, id);
    char key[24];
    if (node == NULL) {
        http_respond_error(x, 404, "node_not_found", "no node with this uid");
        return;
    }
    if (json_object_size(json_object_get(state, "nodes")) <= 1) {
        http_respond_error(x, 409, "last_node", "the last node of a cluster cannot be removed");
        return;
    }
    snprintf(key, sizeof(key), "%" PRIu64, id);
    json_t *marked = json_deep_copy(node);
    json_object_set_new(marked, "removing", json_true());
    json_t *op = cstate_op_cas(cstate_path("nodes", key, NULL), json_deep_copy(node), marked);
    api_pending *p = api__pending_new(a, x);
    p->node_id = id;
    int rc = cp_store_propose(a->store, op, delete_marked, p);
    if (rc != 0) {
        api__store_error(x, rc);
        api__pending_free(p);
    }
}

/* ------------------------------------------------------------ router */

static int method_is(const http_request *req, const char *m) {
    return strcmp(req->method, m) == 0;
}

static void not_allowed(http_exchange *x, const char *allowed) {
    char msg[96];
    snprintf(msg, sizeof(msg), "method not allowed here (allowed: %s)", allowed);
    http_respond_error(x, 405, "method_not_allowed", msg);
}

static void route_cluster(node_api *a, http_exchange *x, const http_request *req,
                          const json_t *state, const char *rest) {
    if (rest[0] == '\0') {
        if (method_is(req, "GET"))
            get_cluster(a, x, state);
        else if (method_is(req, "PUT"))
            put_cluster(a, x, req);
        else
            not_allowed(x, "GET, PUT");
    } else if (strcmp(rest, "/ca") == 0) {
        const char *pem = cstate_ca_cert_pem(state);
        if (!method_is(req, "GET"))
            not_allowed(x, "GET");
        else if (pem == NULL)
            http_respond_error(x, 503, "not_ready", "no CA in the state yet");
        else
            http_respond_text(x, 200, "application/x-pem-file", pem, strlen(pem));
    } else if (strcmp(rest, "/certificates") == 0) {
        if (!method_is(req, "GET"))
            not_allowed(x, "GET");
        else
            http_respond_json(x, 200, cstate_view_certificates(state));
    } else if (strcmp(rest, "/join_tokens") == 0) {
        if (!method_is(req, "POST"))
            not_allowed(x, "POST");
        else
            post_join_token(a, x, req, state);
    } else {
        http_respond_error(x, 404, "not_found", "no such resource");
    }
}

static void route_nodes(node_api *a, http_exchange *x, const http_request *req, const json_t *state,
                        const char *rest) {
    uint64_t id;
    if (rest[0] == '\0') {
        if (method_is(req, "GET"))
            get_nodes(a, x, state);
        else
            not_allowed(x, "GET");
    } else if (rest[0] == '/' && parse_uid(rest + 1, &id) == 0) {
        if (method_is(req, "GET"))
            get_node(a, x, state, id);
        else if (method_is(req, "DELETE"))
            delete_node(a, x, state, id);
        else
            not_allowed(x, "GET, DELETE");
    } else {
        http_respond_error(x, 404, "node_not_found", "no node with this uid");
    }
}

static void handle(void *ud, http_exchange *x, const http_request *req) {
    node_api *a = ud;
    const json_t *state = cp_store_state(a->store);
    if (strcmp(req->path, "/v1/cluster/join") == 0) {
        if (!method_is(req, "POST"))
            not_allowed(x, "POST");
        else
            api__join(a, x, req, state);
        return;
    }
    if (check_auth(a, x, req, state) != 0) return;
    if (strncmp(req->path, "/v1/cluster", 11) == 0 &&
        (req->path[11] == '\0' || req->path[11] == '/'))
        route_cluster(a, x, req, state, req->path + 11);
    else if (strncmp(req->path, "/v1/nodes", 9) == 0 &&
             (req->path[9] == '\0' || req->path[9] == '/'))
        route_nodes(a, x, req, state, req->path + 9);
    else
        http_respond_error(x, 404, "not_found", "no such resource");
}

/* ------------------------------------------------------------ life cycle */

int node_api_start(const node_api_config *cfg, node_api **out, char *err, size_t errlen) {
    node_api *a = sk_calloc(1, sizeof(*a));
    a->loop = cfg->loop;
    a->store = cfg->store;
    a->node_id = cfg->node_id;
    util_random_bytes(a->auth_salt, sizeof(a->auth_salt));
    http_server_config hc = {
        .loop = cfg->loop, .bind = cfg->bind, .port = cfg->port, .tls = cfg->tls};
    int rc = http_server_start(&hc, handle, a, &a->http, err, errlen);
    if (rc != 0) {
        sk_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void node_api_stop(node_api *a) {
    if (a == NULL || a->stopping) return;
    a->stopping = 1;
    cancel_retries(a);
    http_server_stop(a->http);
    a->http = NULL;
}

void node_api_free(node_api *a) {
    if (a == NULL) return;
    node_api_stop(a);
    sk_free(a->auth_cache_hash);
    explicit_bzero(a, sizeof(*a));
    sk_free(a);
}

int node_api_port(const node_api *a) {
    return a->http != NULL ? http_server_port(a->http) : 0;
}
