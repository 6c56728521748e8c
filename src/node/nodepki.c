/* nodepki.c - node certificates per plane (see nodepki.h). */
#include "nodepki.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../core/err.h"

static const char *const plane_label[NODE_PLANES] = {"control", "data", "api"};

const char *nodepki_plane_name(node_plane p) {
    return (unsigned)p < NODE_PLANES ? plane_label[p] : "?";
}

int nodepki_uri(const char *cluster_uid, unsigned id, node_plane p, char *buf, size_t len) {
    int n = snprintf(buf, len, "sealkv://%s/node/%u/%s", cluster_uid, id, nodepki_plane_name(p));
    return n > 0 && (size_t)n < len ? 0 : SK_EINVAL;
}

static int is_ip(const char *host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The names a plane's certificate carries; strings live in the caller's
 * buffers (uri, cn) and in host. */
typedef struct plane_names {
    pki_names names;
    const char *uris[1];
    const char *hosts[1];
    char uri[256];
    char cn[96];
} plane_names;

static int names_for(plane_names *pn, const char *cluster_uid, unsigned id, node_plane p,
                     const char *host) {
    memset(pn, 0, sizeof(*pn));
    if (nodepki_uri(cluster_uid, id, p, pn->uri, sizeof(pn->uri)) != 0) return SK_EINVAL;
    snprintf(pn->cn, sizeof(pn->cn), "sealkv node %u %s", id, nodepki_plane_name(p));
    pn->uris[0] = pn->uri;
    pn->names.cn = pn->cn;
    pn->names.uris = pn->uris;
    pn->names.nuris = 1;
    if (host != NULL && host[0] != '\0') {
        pn->hosts[0] = host;
        if (is_ip(host)) {
            pn->names.ips = pn->hosts;
            pn->names.nips = 1;
        } else {
            pn->names.dns = pn->hosts;
            pn->names.ndns = 1;
        }
    }
    return 0;
}

/* Control and data certificates serve and dial (mutual TLS both ways); the
 * API certificate only serves. */
static pki_usage usage_for(node_plane p) {
    return p == NODE_PLANE_API ? PKI_USE_SERVER : PKI_USE_BOTH;
}

int nodepki_ca_create(const char *cluster_uid, const char *cluster_name, pki_key **key_out,
                      pki_cert **cert_out, char *err, size_t errlen) {
    char cn[64];
    (void)cluster_name;
    /* The uid makes two clusters' CAs distinguishable at a glance; the name
     * may be longer than a CN allows (64). */
    snprintf(cn, sizeof(cn), "sealkv CA %.36s", cluster_uid);
    pki_names names = {.cn = cn};
    pki_key *key = NULL;
    int rc = pki_key_generate(PKI_KEY_RSA2048, &key, err, errlen);
    if (rc != 0) return rc;
    pki_issue_req req = {
        .subject_key = key, .names = &names, .usage = PKI_USE_CA, .days = NODEPKI_CA_DAYS};
    rc = pki_cert_issue(&req, cert_out, err, errlen);
    if (rc != 0) {
        pki_key_free(key);
        return rc;
    }
    *key_out = key;
    return 0;
}

int nodepki_issue(const pki_cert *ca, const pki_key *ca_key, const char *cluster_uid, unsigned id,
                  node_plane p, const char *host, const pki_key *key, pki_cert **out, char *err,
                  size_t errlen) {
    plane_names pn;
    if (names_for(&pn, cluster_uid, id, p, host) != 0) {
        snprintf(err, errlen, "cluster uid too long");
        return SK_EINVAL;
    }
    pki_issue_req req = {.subject_key = key,
                         .names = &pn.names,
                         .usage = usage_for(p),
                         .days = NODEPKI_NODE_DAYS,
                         .issuer = ca,
                         .issuer_key = ca_key};
    return pki_cert_issue(&req, out, err, errlen);
}

int nodepki_sign_csr(const pki_cert *ca, const pki_key *ca_key, const char *cluster_uid,
                     unsigned id, node_plane p, const char *host, const char *csr_pem,
                     pki_cert **out, char *err, size_t errlen) {
    plane_names pn;
    if (names_for(&pn, cluster_uid, id, p, host) != 0) {
        snprintf(err, errlen, "cluster uid too long");
        return SK_EINVAL;
    }
    return pki_csr_sign(csr_pem, strlen(csr_pem), ca, ca_key, usage_for(p), NODEPKI_NODE_DAYS,
                        &pn.names, out, err, errlen);
}

int nodepki_csr(const pki_key *key, node_plane p, char **pem_out, char *err, size_t errlen) {
    char cn[64];
    snprintf(cn, sizeof(cn), "sealkv joining node %s", nodepki_plane_name(p));
    pki_names names = {.cn = cn};
    return pki_csr_create(key, &names, pem_out, err, errlen);
}
