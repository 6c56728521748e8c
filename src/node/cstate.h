/* cstate.h - the schema of the replicated cluster state, in one place.
 *
 * cp_store replicates one JSON document; this module says what is in it,
 * builds the ops that change it and the public views the REST API returns.
 *
 *   cluster      {name, uid, description, created, settings{...}}
 *   ca           {cert (PEM), key (PEM, secret), sha256 (DER pin)}
 *   admin        {user, password_hash (pki_password_hash)}
 *   next_node_id N (ids are handed out once, never reused)
 *   nodes        {"<id>": {uid, addr, api_addr, joined, voter (bool),
 *                          removing (bool, set by DELETE until the leader
 *                          has taken it out of Raft),
 *                          certs{control|data|api: {pem, not_after}}}}
 *   removed      {"<id>": {removed (unix s), raft_removed (bool)}}
 *   join_tokens  {"<token id>": {secret_sha256, expires (unix s), used_by?}}
 *
 * The CA key and the admin hash are secrets: no view built here contains
 * them, and the REST API returns only views. Readers return borrowed
 * pointers into the state (valid until the next applied op).
 */
#ifndef SEALKV_NODE_CSTATE_H
#define SEALKV_NODE_CSTATE_H

#include <jansson.h>
#include <stdint.h>

#include "nodepki.h"

typedef struct cstate_node_spec {
    uint64_t id;
    const char *addr, *api_addr;
    const char *cert_pem[NODE_PLANES];
    long long not_after[NODE_PLANES];
    int voter;
} cstate_node_spec;

/* ---- builders ---- */
json_t *cstate_node_new(const cstate_node_spec *n);
/* The first state of a new cluster (node 1 in it, a voter). */
json_t *cstate_initial(const char *name, const char *uid, const char *ca_cert_pem,
                       const char *ca_key_pem, const char *ca_sha256, const char *admin_user,
                       const char *admin_hash, const cstate_node_spec *first);

/* ---- ops for cp_store_propose (all owned by the caller until proposed) ---- */
json_t *cstate_path(const char *first, ...); /* NULL-terminated keys */
json_t *cstate_op_set(json_t *path, json_t *value);
json_t *cstate_op_create(json_t *path, json_t *value);
json_t *cstate_op_cas(json_t *path, json_t *expect, json_t *value);
json_t *cstate_op_del(json_t *path);
json_t *cstate_op_batch(void); /* add ops with cstate_batch_add */
void cstate_batch_add(json_t *batch, json_t *op /* stolen */);

/* ---- readers (borrowed) ---- */
const json_t *cstate_node(const json_t *state, uint64_t id);
const char *cstate_str(const json_t *obj, const char *key); /* NULL unless a string */
long long cstate_int(const json_t *obj, const char *key, long long def);
int cstate_is_removed(const json_t *state, uint64_t id);
/* Only inside this process (signing joins); never in a response or log. */
const char *cstate_ca_key_pem(const json_t *state);
const char *cstate_ca_cert_pem(const json_t *state);
const char *cstate_ca_sha256(const json_t *state);

/* ---- settings ---- */
/* Checks a PUT /v1/cluster "settings" object: known names, right types.
 * 0, or SK_EINVAL with the reason in err. */
int cstate_settings_check(const json_t *settings, char *err, size_t errlen);
json_t *cstate_settings_default(void);

/* ---- public views (owned) ---- */
/* {name, uid, leader, description, settings, created} */
json_t *cstate_view_cluster(const json_t *state, uint64_t leader);
/* {uid, addr, api_addr, status, role, certificates{plane: {not_after}}} */
json_t *cstate_view_node(const json_t *state, uint64_t id, uint64_t leader);
/* {"ca": {pem, not_after, sha256}, "nodes": [{uid, control|data|api: {pem, not_after}}]} */
json_t *cstate_view_certificates(const json_t *state);

/* "2026-11-22T20:04:07Z" */
void cstate_iso_time(long long unix_s, char buf[32]);

#endif
