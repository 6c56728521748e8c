/* cp_transport.h - the control plane's mTLS connections between nodes.
 *
 * One listener on the node's control-plane address and one outgoing
 * connection per peer this node sends to (dialled on first use, redialled
 * after a failure with a short back-off). Every connection is TLS with the
 * cluster CA on both sides (TLS 1.2 ECDHE-RSA-AES{256,128}-GCM, TLS 1.3; not
 * configurable, no plaintext), and a peer is accepted only when its
 * certificate carries exactly one URI sealkv://<cluster_uid>/node/<id>/control
 * and is_member(id) holds - the dialer checks the listener the same way.
 * cp_transport_recheck() closes live connections of peers that stopped being
 * members. Refusals are logged with the reason. Frames: cp_msg.h.
 */
#ifndef SEALKV_NODE_CP_TRANSPORT_H
#define SEALKV_NODE_CP_TRANSPORT_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/ev.h"
#include "../net/tls.h"

typedef struct cp_transport cp_transport;

typedef struct cp_transport_cbs {
    /* m's contents are the callee's (raft takes them). from_addr borrowed. */
    void (*on_raft)(void *ud, uint64_t from, const char *from_addr, struct raft_message *m);
    /* Answer with cp_transport_send_fwd_resp(t, conn_serial, ...). json borrowed. */
    void (*on_fwd_req)(void *ud, uint64_t from, uint64_t conn_serial, uint64_t req_id, int what,
                       const char *json, size_t len);
    void (*on_fwd_resp)(void *ud, uint64_t from, uint64_t req_id, int rc);
    /* An outgoing connection to peer went away (pending forwards fail). */
    void (*on_peer_lost)(void *ud, uint64_t peer);
    int (*is_member)(void *ud, uint64_t id);
    void *ud;
} cp_transport_cbs;

typedef struct cp_transport_config {
    ev_loop *loop;
    uint64_t node_id;
    const char *addr; /* "host:port" to listen on; port 0 picks one (tests) */
    const char *cluster_uid;
    const char *ca_file, *cert_file, *key_file;
} cp_transport_config;

int cp_transport_open(const cp_transport_config *cfg, const cp_transport_cbs *cbs,
                      cp_transport **out, char *err, size_t errlen);
void cp_transport_close(cp_transport *t);
/* The advertised "host:port" (with the bound port when 0 was asked). */
const char *cp_transport_addr(const cp_transport *t);
tls_stats *cp_transport_tls_stats(cp_transport *t);

/* 0 (queued) or RAFT_NOCONNECTION. */
int cp_transport_send_raft(cp_transport *t, uint64_t to, const char *addr,
                           const struct raft_message *m);
/* 0 (queued) or SK_ECLOSED. */
int cp_transport_send_fwd_req(cp_transport *t, uint64_t to, const char *addr, uint64_t req_id,
                              int what, const char *json, size_t len);
int cp_transport_send_fwd_resp(cp_transport *t, uint64_t conn_serial, uint64_t req_id, int rc);
void cp_transport_recheck(cp_transport *t);
/* Rebuilds the TLS context from the same files (certificate rotation): new
 * connections use it, live ones keep theirs. On error nothing changes. */
int cp_transport_reload_tls(cp_transport *t, char *err, size_t errlen);

/* Splits "host:port" ("[v6]:port" too). 0 or SK_EINVAL. */
int cp_addr_split(const char *addr, char *host, size_t hostlen, int *port);
/* Parses sealkv://<cluster_uid>/node/<id>/<plane>. 0 and *id when the URI
 * names this cluster and plane; else SK_ECERT and a static reason. */
int cp_ident_parse(const char *uri, const char *cluster_uid, const char *plane, uint64_t *id,
                   const char **why);

#endif
