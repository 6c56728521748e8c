/* cluster_init.c - `sealkv-node create` and `sealkv-node join` (see cluster.h).
 *
 * Both end with the same directory: the CA certificate, three key pairs and
 * certificates (control, data, api) and node.json. create makes the CA and
 * bootstraps the store with the first state (CA key included: any member can
 * then sign joins; see docs/adr/010). join never holds the CA key: it sends
 * CSRs over HTTPS to a member whose CA it pinned from the token.
 */
#include "cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/err.h"
#include "../core/ev.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "../net/https_client.h"
#include "../pki/pki.h"
#include "cstate.h"
#include "jtoken.h"
#include "nodedir.h"
#include "nodepki.h"
#include "store.h"

#define PASSWORD_MAX 1024

/* What create and join write into the staging directory. */
typedef struct node_files {
    const char *cluster_uid, *cluster_name;
    uint64_t node_id;
    const char *addr, *api_addr; /* normalised HOST:PORT */
    const pki_cert *ca;
    pki_key *keys[NODE_PLANES];
    pki_cert *certs[NODE_PLANES];
    json_t *seeds; /* array of node ids, borrowed */
} node_files;

static void node_files_free(node_files *f) {
    for (int i = 0; i < NODE_PLANES; i++) {
        pki_key_free(f->keys[i]);
        pki_cert_free(f->certs[i]);
    }
}

/* "host:port" or "[v6]:port" from a parsed address. */
static void addr_format(const char *host, int port, char *out, size_t len) {
    if (strchr(host, ':') != NULL)
        snprintf(out, len, "[%s]:%d", host, port);
    else
        snprintf(out, len, "%s:%d", host, port);
}

typedef struct addr_parsed {
    char host[NODEDIR_HOST_MAX];
    int port;
    char text[NODEDIR_HOST_MAX + 16];
} addr_parsed;

static int parse_addr(const char *what, const char *text, int defport, addr_parsed *a, char *err,
                      size_t errlen) {
    char why[300];
    if (text == NULL) {
        snprintf(err, errlen, "%s is required", what);
        return SK_EINVAL;
    }
    if (nodedir_parse_addr(text, defport, a->host, &a->port, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", what, why);
        return SK_EINVAL;
    }
    /* The address is advertised (peers dial it) and certified (SAN): a
     * wildcard would be neither reachable nor verifiable. */
    if (!strcmp(a->host, "0.0.0.0") || !strcmp(a->host, "::") || !strcmp(a->host, "*")) {
        snprintf(err, errlen, "%s: give an address the other nodes can reach, not %s", what,
                 a->host);
        return SK_EINVAL;
    }
    addr_format(a->host, a->port, a->text, sizeof(a->text));
    return 0;
}

static int write_node_json(const char *stage, const node_files *f, char *err, size_t errlen) {
    char path[NODEDIR_PATH_MAX];
    json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:O}", "version", 1, "cluster_uid",
                          f->cluster_uid, "cluster_name", f->cluster_name, "node_uid",
                          (json_int_t)f->node_id, "addr", f->addr, "api_addr", f->api_addr, "seeds",
                          f->seeds);
    char *text = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (text == NULL || nodedir_path(stage, "node.json", path) != 0) {
        free(text);
        snprintf(err, errlen, "cannot encode node.json");
        return SK_EINVAL;
    }
    int rc = nodedir_write_file(path, text, strlen(text), 0600, err, errlen);
    free(text);
    return rc;
}

/* The API certificate file carries the CA after the leaf: a joining node
 * pins the CA by hash, so the server must send it in its chain. */
static int write_cert(const node_files *f, node_plane p, const char *path, char *err,
                      size_t errlen) {
    if (p != NODE_PLANE_API) return pki_cert_save(f->certs[p], path, err, errlen);
    char *leaf = pki_cert_to_pem(f->certs[p]), *ca = pki_cert_to_pem(f->ca);
    size_t ll = strlen(leaf), cl = strlen(ca);
    char *chain = sk_malloc(ll + cl + 1);
    memcpy(chain, leaf, ll);
    memcpy(chain + ll, ca, cl + 1);
    int rc = nodedir_write_file(path, chain, ll + cl, 0644, err, errlen);
    sk_free(chain);
    sk_free(leaf);
    sk_free(ca);
    return rc;
}

static int write_files(const char *stage, const node_files *f, char *err, size_t errlen) {
    char path[NODEDIR_PATH_MAX], name[32];
    int rc = nodedir_path(stage, "ca.crt", path);
    if (rc == 0) rc = pki_cert_save(f->ca, path, err, errlen);
    for (int i = 0; rc == 0 && i < NODE_PLANES; i++) {
        snprintf(name, sizeof(name), "%s.key", nodepki_plane_name((node_plane)i));
        rc = nodedir_path(stage, name, path);
        if (rc == 0) rc = pki_key_save(f->keys[i], path, err, errlen);
        snprintf(name, sizeof(name), "%s.crt", nodepki_plane_name((node_plane)i));
        if (rc == 0) rc = nodedir_path(stage, name, path);
        if (rc == 0) rc = write_cert(f, (node_plane)i, path, err, errlen);
    }
    if (rc == 0) rc = write_node_json(stage, f, err, errlen);
    return rc;
}

static int gen_keys(node_files *f, char *err, size_t errlen) {
    for (int i = 0; i < NODE_PLANES; i++) {
        /* RSA: the internode suites are ECDHE-RSA (DESIGN.md section 2). */
        int rc = pki_key_generate(PKI_KEY_RSA2048, &f->keys[i], err, errlen);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ create */

static int read_password(const char *file, char **out, char *err, size_t errlen) {
    size_t len = 0;
    char why[300];
    if (file == NULL) {
        snprintf(err, errlen, "--admin-password-file is required");
        return SK_EINVAL;
    }
    int rc = nodedir_read_file(file, PASSWORD_MAX, out, &len, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, errlen, "admin password file: %s", why);
        return rc;
    }
    while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
        (*out)[--len] = '\0';
    if (len == 0 || strlen(*out) != len) {
        explicit_bzero(*out, len);
        sk_free(*out);
        *out = NULL;
        snprintf(err, errlen, "admin password file: the password is empty or holds a NUL byte");
        return SK_EINVAL;
    }
    return 0;
}

static void make_uuid(char out[37]) {
    unsigned char b[16];
    util_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* Opens the store in the staging directory just long enough to write the
 * first Raft configuration and state. */
static int bootstrap_store(const char *stage, const node_files *f, json_t *state, char *err,
                           size_t errlen) {
    char cp_dir[NODEDIR_PATH_MAX], ca[NODEDIR_PATH_MAX], crt[NODEDIR_PATH_MAX],
        key[NODEDIR_PATH_MAX];
    if (nodedir_path(stage, "cp", cp_dir) || nodedir_path(stage, "ca.crt", ca) ||
        nodedir_path(stage, "control.crt", crt) || nodedir_path(stage, "control.key", key)) {
        snprintf(err, errlen, "directory path too long");
        return SK_EINVAL;
    }
    ev_loop *loop = ev_create(64);
    cp_store_config cfg = {.loop = loop,
                           .dir = cp_dir,
                           .node_id = f->node_id,
                           .addr = f->addr,
                           .cluster_uid = f->cluster_uid,
                           .ca_file = ca,
                           .cert_file = crt,
                           .key_file = key};
    cp_store *s = NULL;
    int rc = cp_store_open(&cfg, &s, err, errlen);
    if (rc == 0) {
        rc = cp_store_bootstrap(s, state);
        if (rc != 0) snprintf(err, errlen, "cannot bootstrap the store: %s", sk_strerror(rc));
        cp_store_close(s);
    }
    ev_destroy(loop);
    return rc;
}

static json_t *first_state(const cluster_create_opts *o, const node_files *f, const pki_key *ca_key,
                           const char *ca_sha, const char *pw_hash, char *err, size_t errlen) {
    char *ca_pem = pki_cert_to_pem(f->ca), *key_pem = NULL;
    char *pems[NODE_PLANES] = {NULL};
    json_t *state = NULL;
    cstate_node_spec first = {
        .id = f->node_id, .addr = f->addr, .api_addr = f->api_addr, .voter = 1};
    if (pki_key_to_pem(ca_key, &key_pem, NULL) != 0) {
        snprintf(err, errlen, "cannot encode the CA key");
        goto cleanup;
    }
    for (int i = 0; i < NODE_PLANES; i++) {
        pki_cert_info info;
        pems[i] = pki_cert_to_pem(f->certs[i]);
        first.cert_pem[i] = pems[i];
        if (pki_cert_get_info(f->certs[i], &info) == 0) {
            first.not_after[i] = info.not_after;
            pki_cert_info_free(&info);
        }
    }
    state = cstate_initial(o->name, f->cluster_uid, ca_pem, key_pem, ca_sha,
                           o->admin_user ? o->admin_user : "admin", pw_hash, &first);
    if (state == NULL) snprintf(err, errlen, "cannot build the first cluster state");
cleanup:
    for (int i = 0; i < NODE_PLANES; i++)
        sk_free(pems[i]);
    pki_pem_wipe_free(key_pem);
    sk_free(ca_pem);
    return state;
}

int cluster_create(const cluster_create_opts *o, char *err, size_t errlen) {
    addr_parsed addr, api;
    char uid[37], ca_sha[65], pw_hash[PKI_PASSWORD_HASH_MAX], stage[NODEDIR_PATH_MAX] = "";
    char *password = NULL;
    pki_key *ca_key = NULL;
    pki_cert *ca = NULL;
    json_t *state = NULL, *seeds = json_pack("[i]", 1);
    node_files f = {.node_id = 1, .seeds = seeds};
    int rc = SK_EINVAL;
    if (o->name == NULL || o->name[0] == '\0' || strlen(o->name) > 128) {
        snprintf(err, errlen, "--name is required (1 to 128 characters)");
        goto cleanup;
    }
    if (o->dir == NULL) {
        snprintf(err, errlen, "--dir is required");
        goto cleanup;
    }
    if ((rc = parse_addr("--addr", o->addr, CLUSTER_DEFAULT_CP_PORT, &addr, err, errlen)) ||
        (rc = parse_addr("--api-addr", o->api_addr, CLUSTER_DEFAULT_API_PORT, &api, err, errlen)) ||
        (rc = nodedir_check_new(o->dir, err, errlen)) ||
        (rc = read_password(o->admin_password_file, &password, err, errlen)))
        goto cleanup;
    if ((rc = pki_password_hash(password, pw_hash, sizeof(pw_hash))) != 0) {
        snprintf(err, errlen, "cannot hash the admin password");
        goto cleanup;
    }
    make_uuid(uid);
    f.cluster_uid = uid;
    f.cluster_name = o->name;
    f.addr = addr.text;
    f.api_addr = api.text;
    if ((rc = nodepki_ca_create(uid, o->name, &ca_key, &ca, err, errlen)) ||
        (rc = pki_cert_der_sha256(ca, ca_sha)) || (rc = gen_keys(&f, err, errlen)))
        goto cleanup;
    f.ca = ca;
    for (int i = 0; i < NODE_PLANES; i++) {
        const char *host = i == NODE_PLANE_API ? api.host : addr.host;
        rc = nodepki_issue(ca, ca_key, uid, 1, (node_plane)i, host, f.keys[i], &f.certs[i], err,
                           errlen);
        if (rc != 0) goto cleanup;
    }
    if ((state = first_state(o, &f, ca_key, ca_sha, pw_hash, err, errlen)) == NULL) {
        rc = SK_EINVAL;
        goto cleanup;
    }
    if ((rc = nodedir_stage_begin(o->dir, stage, err, errlen)) ||
        (rc = write_files(stage, &f, err, errlen)) ||
        (rc = bootstrap_store(stage, &f, state, err, errlen)) ||
        (rc = nodedir_stage_commit(stage, o->dir, err, errlen)))
        goto cleanup;
    stage[0] = '\0';
    printf("created cluster '%s'\n  uid: %s\n  node: 1 (control %s, api %s)\n"
           "  CA sha256: %s\n  directory: %s\nstart it with: sealkv-node run --dir %s\n",
           o->name, uid, addr.text, api.text, ca_sha, o->dir, o->dir);
cleanup:
    if (stage[0] != '\0') nodedir_stage_abort(stage);
    if (password != NULL) pki_pem_wipe_free(password);
    explicit_bzero(pw_hash, sizeof(pw_hash));
    json_decref(state); /* holds the CA key PEM: jansson frees, the pages are reused */
    json_decref(seeds);
    node_files_free(&f);
    pki_key_free(ca_key);
    pki_cert_free(ca);
    return rc;
}

/* ------------------------------------------------------------ join */

static json_t *join_request(const cluster_join_opts *o, const node_files *f, char *err,
                            size_t errlen) {
    json_t *csr = json_object();
    for (int i = 0; i < NODE_PLANES; i++) {
        char *pem = NULL;
        if (nodepki_csr(f->keys[i], (node_plane)i, &pem, err, errlen) != 0) {
            json_decref(csr);
            return NULL;
        }
        json_object_set_new(csr, nodepki_plane_name((node_plane)i), json_string(pem));
        sk_free(pem);
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "token", o->token, "addr", f->addr, "api_addr",
                     f->api_addr, "csr", csr);
}

/* Explains a refused join with the peer's JSON error when it sent one. */
static int join_refused(const https_response *r, const char *peer, char *err, size_t errlen) {
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *code = json_string_value(json_object_get(j, "error_code"));
    const char *desc = json_string_value(json_object_get(j, "description"));
    snprintf(err, errlen, "join refused by %s (HTTP %d%s%s): %s", peer, r->status, code ? ", " : "",
             code ? code : "", desc ? desc : "no explanation");
    json_decref(j);
    return r->status == 403 ? SK_ECERT : SK_EINVAL;
}

/* Loads what the member sent and checks it against the pin and our keys. */
static int take_answer(const json_t *ans, const jtoken *t, node_files *f, pki_cert **ca, char *err,
                       size_t errlen) {
    const char *ca_pem = json_string_value(json_object_get(ans, "ca_cert"));
    const json_t *certs = json_object_get(ans, "certificates");
    char sha[65];
    f->node_id = (uint64_t)json_integer_value(json_object_get(ans, "node_uid"));
    f->cluster_uid = json_string_value(json_object_get(json_object_get(ans, "cluster"), "uid"));
    f->cluster_name = json_string_value(json_object_get(json_object_get(ans, "cluster"), "name"));
    if (ca_pem == NULL || f->node_id == 0 || f->cluster_uid == NULL || f->cluster_name == NULL ||
        pki_cert_from_pem(ca_pem, strlen(ca_pem), ca, err, errlen) != 0) {
        snprintf(err, errlen, "the member's answer is incomplete");
        return SK_EPROTO;
    }
    if (pki_cert_der_sha256(*ca, sha) != 0 || strcmp(sha, t->ca_sha256) != 0) {
        snprintf(err, errlen, "the member sent a CA that does not match the token");
        return SK_ECERT;
    }
    for (int i = 0; i < NODE_PLANES; i++) {
        const char *pem = json_string_value(json_object_get(certs, nodepki_plane_name(i)));
        if (pem == NULL || pki_cert_from_pem(pem, strlen(pem), &f->certs[i], err, errlen) != 0 ||
            !pki_cert_key_matches(f->certs[i], f->keys[i]) ||
            pki_cert_verify(f->certs[i], *ca, err, errlen) != 0) {
            snprintf(err, errlen, "the %s certificate sent by the member is not valid for our key",
                     nodepki_plane_name(i));
            return SK_ECERT;
        }
    }
    return 0;
}

static json_t *seed_ids(const json_t *ans) {
    json_t *ids = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(ans, "members"), i, m) {
        json_int_t id = json_integer_value(json_object_get(m, "uid"));
        if (id > 0) json_array_append_new(ids, json_integer(id));
    }
    return ids;
}

int cluster_join(const cluster_join_opts *o, char *err, size_t errlen) {
    addr_parsed addr, api, peer;
    jtoken t;
    char stage[NODEDIR_PATH_MAX] = "", why[512];
    node_files f = {0};
    pki_cert *ca = NULL;
    json_t *req = NULL, *ans = NULL;
    https_response resp;
    memset(&resp, 0, sizeof(resp));
    memset(&t, 0, sizeof(t));
    int rc = SK_EINVAL;
    if (o->token == NULL || jtoken_parse(o->token, strlen(o->token), &t) != 0) {
        snprintf(err, errlen, "--token is missing or malformed (expected SKJ1-...)");
        goto cleanup;
    }
    if (o->dir == NULL) {
        snprintf(err, errlen, "--dir is required");
        goto cleanup;
    }
    if ((rc = parse_addr("--addr", o->addr, CLUSTER_DEFAULT_CP_PORT, &addr, err, errlen)) ||
        (rc = parse_addr("--api-addr", o->api_addr, CLUSTER_DEFAULT_API_PORT, &api, err, errlen)) ||
        (rc = parse_addr("PEER", o->peer, CLUSTER_DEFAULT_API_PORT, &peer, err, errlen)) ||
        (rc = nodedir_check_new(o->dir, err, errlen)))
        goto cleanup;
    f.addr = addr.text;
    f.api_addr = api.text;
    if ((rc = gen_keys(&f, err, errlen)) != 0) goto cleanup;
    if ((req = join_request(o, &f, err, errlen)) == NULL) goto cleanup;
    char *body = json_dumps(req, JSON_COMPACT);
    https_target target = {.host = peer.host,
                           .port = peer.port,
                           .ca_pin_sha256 = t.ca_sha256,
                           .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000};
    rc = https_request(&target, "POST", "/v1/cluster/join", body, &resp, why, sizeof(why));
    explicit_bzero(body, strlen(body)); /* holds the token */
    free(body);
    if (rc != 0) {
        if (rc == SK_ECERT)
            snprintf(err, errlen,
                     "refusing the member at %s: it is not certified by the CA the token pins "
                     "(nothing was sent): %s",
                     peer.text, why);
        else
            snprintf(err, errlen, "cannot reach %s: %s", peer.text, why);
        goto cleanup;
    }
    if (resp.status != 200) {
        rc = join_refused(&resp, peer.text, err, errlen);
        goto cleanup;
    }
    if ((ans = json_loads(resp.body, 0, NULL)) == NULL) {
        snprintf(err, errlen, "the member's answer is not JSON");
        rc = SK_EPROTO;
        goto cleanup;
    }
    if ((rc = take_answer(ans, &t, &f, &ca, err, errlen)) != 0) goto cleanup;
    f.ca = ca;
    f.seeds = seed_ids(ans);
    if ((rc = nodedir_stage_begin(o->dir, stage, err, errlen)) ||
        (rc = write_files(stage, &f, err, errlen)) ||
        (rc = nodedir_stage_commit(stage, o->dir, err, errlen)))
        goto cleanup;
    stage[0] = '\0';
    printf("joined cluster '%s'\n  uid: %s\n  node: %" PRIu64 " (control %s, api %s)\n"
           "  directory: %s\nstart it with: sealkv-node run --dir %s\n",
           f.cluster_name, f.cluster_uid, f.node_id, addr.text, api.text, o->dir, o->dir);
cleanup:
    if (stage[0] != '\0') nodedir_stage_abort(stage);
    jtoken_wipe(&t);
    https_response_free(&resp);
    json_decref(f.seeds);
    json_decref(req);
    json_decref(ans);
    node_files_free(&f);
    pki_cert_free(ca);
    return rc;
}
