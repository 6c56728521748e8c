/* nodepki.h - the certificates of a cluster node, signed by the cluster CA.
 *
 * A node has one identity per plane, a URI SAN
 *   sealkv://<cluster-uid>/node/<id>/<plane>     (plane: control, data, api)
 * plus the IP or DNS name of the address it serves that plane on. The CA
 * alone decides the names: a joining node's CSR contributes its public key
 * and nothing else (pki_csr_sign with override names). Node ids are small
 * integers the cluster hands out once and never reuses, so a removed node's
 * certificate can never name a later member.
 */
#ifndef SEALKV_NODE_NODEPKI_H
#define SEALKV_NODE_NODEPKI_H

#include <stddef.h>

#include "../pki/pki.h"

typedef enum { NODE_PLANE_CONTROL = 0, NODE_PLANE_DATA = 1, NODE_PLANE_API = 2 } node_plane;
#define NODE_PLANES 3

/* Lifetimes (days). DESIGN.md section 2: internal certificates live 45 days. */
#define NODEPKI_CA_DAYS 3650
#define NODEPKI_NODE_DAYS 45

/* "control", "data", "api". */
const char *nodepki_plane_name(node_plane p);
/* Writes the plane's identity URI; SK_EINVAL when buf is short. */
int nodepki_uri(const char *cluster_uid, unsigned id, node_plane p, char *buf, size_t len);

/* A new cluster CA (RSA-2048, self-signed) for cluster uid/name. */
int nodepki_ca_create(const char *cluster_uid, const char *cluster_name, pki_key **key_out,
                      pki_cert **cert_out, char *err, size_t errlen);

/* Certifies key (a local key, at create) for node id's plane at host. */
int nodepki_issue(const pki_cert *ca, const pki_key *ca_key, const char *cluster_uid, unsigned id,
                  node_plane p, const char *host, const pki_key *key, pki_cert **out, char *err,
                  size_t errlen);
/* Signs a joining node's CSR for node id's plane at host. */
int nodepki_sign_csr(const pki_cert *ca, const pki_key *ca_key, const char *cluster_uid,
                     unsigned id, node_plane p, const char *host, const char *csr_pem,
                     pki_cert **out, char *err, size_t errlen);
/* The CSR a joining node sends for one plane (names are only a hint). */
int nodepki_csr(const pki_key *key, node_plane p, char **pem_out, char *err, size_t errlen);

#endif
