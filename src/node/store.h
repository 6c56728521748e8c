/* store.h - the replicated cluster configuration store (CCS) of sealkv-node.
 *
 * One JSON document replicated by Raft (C-Raft) across the cluster's nodes
 * over the mTLS control plane (port 3342 by default). Every node applies the
 * same committed ops in the same order, so every node ends with the same
 * document; writes are acknowledged only once a majority has them on disk.
 *
 * Contract:
 * - Driven by the caller's ev_loop (borrowed; outlives the store); every call
 *   from the loop's thread.
 * - Control plane is mTLS only (TLS 1.2 ECDHE-RSA-AES{256,128}-GCM, TLS 1.3;
 *   not configurable). A peer is accepted (either direction) only when its
 *   chain ends at the cluster CA, its URI SAN is
 *   sealkv://<cluster_uid>/node/<id>/control, and the member check (when set)
 *   says <id> is a current member; a removed node is refused from then on,
 *   live connections included. Refusals are logged with the reason.
 * - State (term, vote, log, snapshots) lives under dir (0700, files 0600,
 *   fsync'd); a restarted node resumes where it stopped.
 * - done callbacks run from the loop, never inside the call that queued them,
 *   exactly once, also when the store closes (rc SK_ECLOSED then).
 * - The loop's before-sleep hook must call conn_process_pending() (as for
 *   every TLS conn user): TLS may hold decrypted bytes the socket no longer
 *   signals.
 * - Errors: 0 / negative SK_E* (core/err.h).
 */
#ifndef SEALKV_NODE_STORE_H
#define SEALKV_NODE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/ev.h"

typedef struct cp_store cp_store;

/* Peer acceptance beyond the chain: is this node a current member? */
typedef struct cp_member_check {
    int (*is_member)(void *ud, uint64_t node_id);
    void *ud;
} cp_member_check;

typedef struct cp_store_config {
    ev_loop *loop;
    const char *dir;         /* raft state lives in dir (0700; files 0600) */
    uint64_t node_id;        /* raft id == node uid (small integers 1,2,3... assigned at join) */
    const char *addr;        /* this node's control-plane "host:port" (listen + advertised) */
    const char *cluster_uid; /* peers' certs carry URI sealkv://<cluster_uid>/node/<id>/control */
    const char *ca_file, *cert_file, *key_file; /* control-plane identity (RSA), cluster CA */
    unsigned election_timeout_ms, heartbeat_ms; /* 0: defaults (1000, 100) */
} cp_store_config;

/* Listens on addr and loads the state from dir. */
int cp_store_open(const cp_store_config *cfg, cp_store **out, char *err, size_t errlen);
/* First node of a new cluster: a configuration with only this voter, and the
 * initial state (borrowed). SK_EBUSY when dir already holds state. */
int cp_store_bootstrap(cp_store *s, json_t *initial_state);
void cp_store_close(cp_store *s);

/* Last applied state, borrowed, read-only (an empty object before any). */
const json_t *cp_store_state(const cp_store *s);
int cp_store_is_leader(const cp_store *s);
uint64_t cp_store_leader(const cp_store *s); /* 0 when unknown */
/* Leader that heard from a majority recently. */
int cp_store_has_quorum(const cp_store *s);

/* rc: 0 committed+applied; SK_ENOTLEADER; SK_ENOQUORUM (not committed within
 * the timeout); SK_ECONFLICT (a precondition failed); SK_EINVAL (bad op). */
typedef void cp_store_done_fn(void *ud, int rc);

/* Ops are JSON, applied deterministically by every node:
 *  {"op":"set","path":["cluster","description"],"value":...}   create or replace
 *  {"op":"create","path":[...],"value":...}                     SK_ECONFLICT if it exists
 *  {"op":"cas","path":[...],"expect":...,"value":...}            SK_ECONFLICT unless equal
 *  {"op":"del","path":[...]}                                    SK_ECONFLICT if missing
 *  {"op":"batch","ops":[...]}                                    all or nothing
 * Path elements are object keys (strings); intermediate objects are created
 * by set/create. On a follower, propose forwards the op to the leader over
 * the control plane and reports the leader's result (SK_ENOTLEADER only when
 * no leader is known). Returns 0 (done will be called) or a negative error
 * (done will not be called). */
int cp_store_propose(cp_store *s, json_t *op /* stolen */, cp_store_done_fn *done, void *ud);

/* Membership (leader; forwarded like propose): add a voter (raft_add then
 * raft_assign voter; the new node is caught up first), remove one. Adding
 * is idempotent: a node already voting at that address completes with 0,
 * one left half-added is promoted, the id at another address is
 * SK_ECONFLICT. Removing an unknown id is SK_ENOTFOUND. */
int cp_store_add_node(cp_store *s, uint64_t id, const char *addr, cp_store_done_fn *done, void *ud);
int cp_store_remove_node(cp_store *s, uint64_t id, cp_store_done_fn *done, void *ud);

void cp_store_set_member_check(cp_store *s, cp_member_check chk);
/* fn runs after each applied op (and after a snapshot restore) with the new state. */
void cp_store_on_apply(cp_store *s, void (*fn)(void *ud, const json_t *state), void *ud);

/* The advertised control-plane address (the bound port when addr asked for 0). */
const char *cp_store_addr(const cp_store *s);
/* Re-reads ca/cert/key files (rotation, hitless): new connections use them,
 * live ones keep theirs. On error (reason in err) nothing changes. */
int cp_store_reload_tls(cp_store *s, char *err, size_t errlen);
/* Appends INFO-style lines: cp_role (leader/follower/candidate/unavailable),
 * cp_leader, cp_term, cp_last_index, cp_commit_index, cp_last_applied,
 * cp_voters. */
struct sbuf;
void cp_store_info(cp_store *s, struct sbuf *out);
/* Handshake counters of the control-plane listener and dialer (owned by s). */
struct tls_stats;
struct tls_stats *cp_store_tls_stats(cp_store *s);
/* Entries between snapshots and entries kept behind one (defaults 256, 128). */
void cp_store_set_snapshot_threshold(cp_store *s, unsigned threshold, unsigned trailing);

#endif
