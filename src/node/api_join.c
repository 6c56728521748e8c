/* api_join.c - POST /v1/cluster/join: a new node trades a one-time token and
 * three CSRs for its node id and certificates.
 *
 * Any member can serve a join: the CA key is in the replicated state. The
 * token, the node id and the node's entry change in one batch (token cas
 * unused -> used, next_node_id cas N -> N+1, nodes/N create), so two joins
 * racing for one token, or for one id, cannot both commit; the loser of an
 * id race is retried with the next id. Certificates leave only once the
 * batch is committed. The private keys never come here: only CSRs.
 */
#include "api_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../pki/pki.h"
#include "cstate.h"
#include "jtoken.h"
#include "nodedir.h"
#include "nodepki.h"

#define JOIN_ATTEMPTS 4
#define JOIN_RETRY_MS 250

static void refuse(api_pending *p, int status, const char *code, const char *why) {
    log_notice("api: join refused (%s): %s", code, why);
    http_respond_error(p->x, status, code, why);
    api__pending_free(p);
}

/* The body: {"token", "addr", "api_addr", "csr": {"control","data","api"}}. */
static int check_body(const json_t *body, char *err, size_t errlen) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "token") && strcmp(k, "addr") && strcmp(k, "api_addr") && strcmp(k, "csr")) {
            snprintf(err, errlen, "unknown field '%.64s'", k);
            return -1;
        }
    }
    const char *need[] = {"token", "addr", "api_addr"};
    for (size_t i = 0; i < 3; i++) {
        if (!json_is_string(json_object_get(body, need[i]))) {
            snprintf(err, errlen, "'%s' must be a string", need[i]);
            return -1;
        }
    }
    const json_t *csr = json_object_get(body, "csr");
    for (int p = 0; p < NODE_PLANES; p++) {
        if (!json_is_string(json_object_get(csr, nodepki_plane_name((node_plane)p)))) {
            snprintf(err, errlen, "'csr' must hold PEM strings 'control', 'data' and 'api'");
            return -1;
        }
    }
    if (json_object_size(csr) != NODE_PLANES) {
        snprintf(err, errlen, "'csr' must hold exactly 'control', 'data' and 'api'");
        return -1;
    }
    return 0;
}

/* Finds the token entry; on refusal answers and returns NULL. */
static const json_t *check_token(api_pending *p, const json_t *state, jtoken *t) {
    const char *text = json_string_value(json_object_get(p->body, "token"));
    if (jtoken_parse(text, strlen(text), t) != 0) {
        refuse(p, 403, "invalid_token", "the join token is malformed");
        return NULL;
    }
    const char *ca = cstate_ca_sha256(state);
    if (ca == NULL || !pki_secret_equal(ca, t->ca_sha256)) {
        refuse(p, 403, "ca_mismatch", "the join token is for another cluster (CA hash differs)");
        return NULL;
    }
    const json_t *tok = json_object_get(json_object_get(state, "join_tokens"), t->id);
    char hash[65];
    pki_sha256_hex(t->secret, strlen(t->secret), hash);
    const char *want = tok != NULL ? cstate_str(tok, "secret_sha256") : NULL;
    if (want == NULL || !pki_secret_equal(want, hash)) {
        refuse(p, 403, "invalid_token", "unknown join token");
        return NULL;
    }
    if (json_object_get(tok, "used_by") != NULL) {
        refuse(p, 403, "token_used", "the join token was already used");
        return NULL;
    }
    if (cstate_int(tok, "expires", 0) <= (long long)time(NULL)) {
        refuse(p, 403, "token_expired", "the join token has expired");
        return NULL;
    }
    return tok;
}

/* 0, or answers 400/409 and returns -1. */
static int check_addrs(api_pending *p, const json_t *state, char hosts[2][NODEDIR_HOST_MAX]) {
    char err[300];
    int port;
    const char *addr = json_string_value(json_object_get(p->body, "addr"));
    const char *api_addr = json_string_value(json_object_get(p->body, "api_addr"));
    if (nodedir_parse_addr(addr, 3342, hosts[0], &port, err, sizeof(err)) != 0 ||
        nodedir_parse_addr(api_addr, 9443, hosts[1], &port, err, sizeof(err)) != 0) {
        refuse(p, 400, "bad_request", err);
        return -1;
    }
    const char *id;
    json_t *n;
    json_object_foreach(json_object_get(state, "nodes"), id, n) {
        const char *other = cstate_str(n, "addr");
        if (other != NULL && strcmp(other, addr) == 0) {
            snprintf(err, sizeof(err), "node %s already uses the control-plane address %.200s", id,
                     addr);
            refuse(p, 409, "addr_in_use", err);
            return -1;
        }
    }
    return 0;
}

/* Signs the three CSRs for node id; fills spec's PEMs (owned by pems). */
static int sign_all(api_pending *p, const json_t *state, uint64_t id,
                    char hosts[2][NODEDIR_HOST_MAX], char *pems[NODE_PLANES],
                    long long not_after[NODE_PLANES], char *err, size_t errlen) {
    const char *ca_pem = cstate_ca_cert_pem(state), *key_pem = cstate_ca_key_pem(state);
    const char *uid = cstate_str(json_object_get(state, "cluster"), "uid");
    pki_cert *ca = NULL;
    pki_key *ca_key = NULL;
    int rc = ca_pem && key_pem && uid ? 0 : SK_EINVAL;
    if (rc == 0) rc = pki_cert_from_pem(ca_pem, strlen(ca_pem), &ca, err, errlen);
    if (rc == 0) rc = pki_key_from_pem(key_pem, strlen(key_pem), &ca_key, err, errlen);
    const json_t *csr = json_object_get(p->body, "csr");
    for (int pl = 0; rc == 0 && pl < NODE_PLANES; pl++) {
        const char *csr_pem = json_string_value(json_object_get(csr, nodepki_plane_name(pl)));
        pki_cert *cert = NULL;
        pki_cert_info info;
        rc = nodepki_sign_csr(ca, ca_key, uid, (unsigned)id, (node_plane)pl,
                              hosts[pl == NODE_PLANE_API ? 1 : 0], csr_pem, &cert, err, errlen);
        if (rc == 0 && pki_cert_get_info(cert, &info) == 0) {
            not_after[pl] = info.not_after;
            pki_cert_info_free(&info);
        }
        if (rc == 0) pems[pl] = pki_cert_to_pem(cert);
        pki_cert_free(cert);
    }
    pki_cert_free(ca);
    pki_key_free(ca_key);
    return rc;
}

static json_t *members_view(const json_t *state, const cstate_node_spec *self) {
    json_t *arr = json_array();
    const char *id;
    json_t *n;
    json_object_foreach(json_object_get(state, "nodes"), id, n) {
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "uid",
                                             (json_int_t)cstate_int(n, "uid", 0), "addr",
                                             cstate_str(n, "addr") ?: "", "api_addr",
                                             cstate_str(n, "api_addr") ?: ""));
    }
    json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "uid", (json_int_t)self->id, "addr",
                                         self->addr, "api_addr", self->api_addr));
    return arr;
}

static void join_done(void *ud, int rc);
static void join_attempt(api_pending *p, const json_t *state);

static void join_retry(api_pending *p) {
    join_attempt(p, cp_store_state(p->api->store));
}

/* A token created on the leader a moment ago may not be applied on this
 * follower yet (operators script "create token, join via another node"):
 * wait a little before calling it unknown. Non-zero when a retry is set. */
static int token_not_here_yet(api_pending *p, const json_t *state) {
    jtoken t;
    const char *text = json_string_value(json_object_get(p->body, "token"));
    int later = 0;
    if (!cp_store_is_leader(p->api->store) && jtoken_parse(text, strlen(text), &t) == 0 &&
        json_object_get(json_object_get(state, "join_tokens"), t.id) == NULL &&
        ++p->attempts < JOIN_ATTEMPTS)
        later = api__retry_later(p, JOIN_RETRY_MS, join_retry) == 0;
    jtoken_wipe(&t);
    return later;
}

static void join_attempt(api_pending *p, const json_t *state) {
    jtoken t;
    char hosts[2][NODEDIR_HOST_MAX], err[300], key[24];
    if (cstate_ca_key_pem(state) == NULL || cstate_int(state, "next_node_id", 0) <= 0) {
        refuse(p, 503, "not_ready", "this node has not received the cluster state yet");
        return;
    }
    if (token_not_here_yet(p, state)) return;
    const json_t *tok = check_token(p, state, &t);
    jtoken_wipe(&t);
    if (tok == NULL || check_addrs(p, state, hosts) != 0) return;
    uint64_t id = (uint64_t)cstate_int(state, "next_node_id", 0);
    char *pems[NODE_PLANES] = {NULL};
    long long not_after[NODE_PLANES] = {0};
    if (sign_all(p, state, id, hosts, pems, not_after, err, sizeof(err)) != 0) {
        for (int i = 0; i < NODE_PLANES; i++)
            sk_free(pems[i]);
        refuse(p, 400, "bad_csr", err);
        return;
    }
    cstate_node_spec spec = {.id = id,
                             .addr = json_string_value(json_object_get(p->body, "addr")),
                             .api_addr = json_string_value(json_object_get(p->body, "api_addr")),
                             .voter = 0};
    for (int i = 0; i < NODE_PLANES; i++) {
        spec.cert_pem[i] = pems[i];
        spec.not_after[i] = not_after[i];
    }
    const char *tid = json_string_value(json_object_get(p->body, "token")) + 5 + JTOKEN_CA_HEX + 1;
    char token_id[JTOKEN_ID_HEX + 1];
    memcpy(token_id, tid, JTOKEN_ID_HEX);
    token_id[JTOKEN_ID_HEX] = '\0';
    for (char *c = token_id; *c; c++)
        if (*c >= 'A' && *c <= 'F') *c = (char)(*c - 'A' + 'a');
    snprintf(key, sizeof(key), "%" PRIu64, id);
    json_t *used = json_deep_copy(tok);
    json_object_set_new(used, "used_by", json_integer((json_int_t)id));
    json_t *batch = cstate_op_batch();
    cstate_batch_add(batch, cstate_op_cas(cstate_path("join_tokens", token_id, NULL),
                                          json_deep_copy(tok), used));
    cstate_batch_add(batch,
                     cstate_op_cas(cstate_path("next_node_id", NULL), json_integer((json_int_t)id),
                                   json_integer((json_int_t)id + 1)));
    cstate_batch_add(batch,
                     cstate_op_create(cstate_path("nodes", key, NULL), cstate_node_new(&spec)));
    const json_t *cl = json_object_get(state, "cluster");
    json_t *certs = json_object();
    for (int i = 0; i < NODE_PLANES; i++)
        json_object_set_new(certs, nodepki_plane_name((node_plane)i), json_string(pems[i]));
    json_decref(p->extra);
    p->extra = json_pack("{s:I, s:{s:s, s:s}, s:s, s:o, s:o}", "node_uid", (json_int_t)id,
                         "cluster", "uid", cstate_str(cl, "uid") ?: "", "name",
                         cstate_str(cl, "name") ?: "", "ca_cert", cstate_ca_cert_pem(state),
                         "certificates", certs, "members", members_view(state, &spec));
    p->node_id = id;
    for (int i = 0; i < NODE_PLANES; i++)
        sk_free(pems[i]);
    int rc = cp_store_propose(p->api->store, batch, join_done, p);
    if (rc != 0) {
        api__store_error(p->x, rc);
        api__pending_free(p);
    }
}

static void join_done(void *ud, int rc) {
    api_pending *p = ud;
    if (rc == 0) {
        log_notice("api: node %" PRIu64 " joined the cluster", p->node_id);
        http_respond_json(p->x, 200, p->extra);
        p->extra = NULL;
        api__pending_free(p);
        return;
    }
    /* A conflict: the token was used meanwhile or another join took this
     * id. Retry a little later: on a follower the committed change that
     * beat us may not be applied here yet, and the retry must see it (to
     * answer "token used", or to take the next id). */
    if (rc == SK_ECONFLICT && !p->api->stopping && ++p->attempts < JOIN_ATTEMPTS) {
        if (api__retry_later(p, JOIN_RETRY_MS, join_retry) == 0) return;
    }
    api__store_error(p->x, rc);
    api__pending_free(p);
}

void api__join(node_api *a, http_exchange *x, const http_request *req, const json_t *state) {
    char err[256];
    json_t *body = http_parse_json_body(req, err, sizeof(err));
    if (body == NULL) {
        http_respond_error(x, 400, "bad_request", err);
        return;
    }
    if (check_body(body, err, sizeof(err)) != 0) {
        json_decref(body);
        http_respond_error(x, 400, "bad_request", err);
        return;
    }
    api_pending *p = api__pending_new(a, x);
    p->body = body;
    join_attempt(p, state);
}
