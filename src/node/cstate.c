/* cstate.c - the cluster state schema, its ops and views (see cstate.h). */
#include "cstate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../core/err.h"
#include "../pki/pki.h"

/* ------------------------------------------------------------ builders */

json_t *cstate_node_new(const cstate_node_spec *n) {
    json_t *certs = json_object();
    for (int p = 0; p < NODE_PLANES; p++) {
        if (n->cert_pem[p] == NULL) continue;
        json_object_set_new(certs, nodepki_plane_name((node_plane)p),
                            json_pack("{s:s, s:I}", "pem", n->cert_pem[p], "not_after",
                                      (json_int_t)n->not_after[p]));
    }
    return json_pack("{s:I, s:s, s:s, s:I, s:b, s:o}", "uid", (json_int_t)n->id, "addr", n->addr,
                     "api_addr", n->api_addr, "joined", (json_int_t)time(NULL), "voter", n->voter,
                     "certs", certs);
}

json_t *cstate_settings_default(void) {
    return json_pack("{s:s, s:b, s:i}", "min_data_TLS_version", "1.2", "data_internode_encryption",
                     0, "join_token_ttl", 3600);
}

json_t *cstate_initial(const char *name, const char *uid, const char *ca_cert_pem,
                       const char *ca_key_pem, const char *ca_sha256, const char *admin_user,
                       const char *admin_hash, const cstate_node_spec *first) {
    char id[24];
    snprintf(id, sizeof(id), "%" PRIu64, first->id);
    json_t *nodes = json_object();
    json_object_set_new(nodes, id, cstate_node_new(first));
    return json_pack("{s:{s:s, s:s, s:s, s:I, s:o}, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:I, s:o, "
                     "s:{}, s:{}}",
                     "cluster", "name", name, "uid", uid, "description", "", "created",
                     (json_int_t)time(NULL), "settings", cstate_settings_default(), "ca", "cert",
                     ca_cert_pem, "key", ca_key_pem, "sha256", ca_sha256, "admin", "user",
                     admin_user, "password_hash", admin_hash, "next_node_id",
                     (json_int_t)(first->id + 1), "nodes", nodes, "removed", "join_tokens");
}

/* ------------------------------------------------------------ ops */

json_t *cstate_path(const char *first, ...) {
    json_t *path = json_array();
    va_list ap;
    va_start(ap, first);
    for (const char *k = first; k != NULL; k = va_arg(ap, const char *))
        json_array_append_new(path, json_string(k));
    va_end(ap);
    return path;
}

static json_t *op_new(const char *op, json_t *path) {
    return json_pack("{s:s, s:o}", "op", op, "path", path);
}

json_t *cstate_op_set(json_t *path, json_t *value) {
    json_t *op = op_new("set", path);
    json_object_set_new(op, "value", value);
    return op;
}

json_t *cstate_op_create(json_t *path, json_t *value) {
    json_t *op = op_new("create", path);
    json_object_set_new(op, "value", value);
    return op;
}

json_t *cstate_op_cas(json_t *path, json_t *expect, json_t *value) {
    json_t *op = op_new("cas", path);
    json_object_set_new(op, "expect", expect);
    json_object_set_new(op, "value", value);
    return op;
}

json_t *cstate_op_del(json_t *path) {
    return op_new("del", path);
}

json_t *cstate_op_batch(void) {
    return json_pack("{s:s, s:[]}", "op", "batch", "ops");
}

void cstate_batch_add(json_t *batch, json_t *op) {
    json_array_append_new(json_object_get(batch, "ops"), op);
}

/* ------------------------------------------------------------ readers */

const json_t *cstate_node(const json_t *state, uint64_t id) {
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, id);
    return json_object_get(json_object_get(state, "nodes"), key);
}

const char *cstate_str(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

long long cstate_int(const json_t *obj, const char *key, long long def) {
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

int cstate_is_removed(const json_t *state, uint64_t id) {
    char key[24];
    snprintf(key, sizeof(key), "%" PRIu64, id);
    return json_object_get(json_object_get(state, "removed"), key) != NULL;
}

const char *cstate_ca_key_pem(const json_t *state) {
    return cstate_str(json_object_get(state, "ca"), "key");
}

const char *cstate_ca_cert_pem(const json_t *state) {
    return cstate_str(json_object_get(state, "ca"), "cert");
}

const char *cstate_ca_sha256(const json_t *state) {
    return cstate_str(json_object_get(state, "ca"), "sha256");
}

/* ------------------------------------------------------------ settings */

static int check_one_setting(const char *k, const json_t *v, char *err, size_t errlen) {
    if (strcmp(k, "min_data_TLS_version") == 0) {
        const char *s = json_string_value(v);
        if (s != NULL &&
            (!strcmp(s, "1") || !strcmp(s, "1.1") || !strcmp(s, "1.2") || !strcmp(s, "1.3")))
            return 0;
        snprintf(err, errlen, "min_data_TLS_version must be \"1\", \"1.1\", \"1.2\" or \"1.3\"");
        return SK_EINVAL;
    }
    if (strcmp(k, "data_internode_encryption") == 0) {
        if (json_is_boolean(v)) return 0;
        snprintf(err, errlen, "data_internode_encryption must be true or false");
        return SK_EINVAL;
    }
    if (strcmp(k, "join_token_ttl") == 0) {
        json_int_t n = json_integer_value(v);
        if (json_is_integer(v) && n >= 1 && n <= 7 * 86400) return 0;
        snprintf(err, errlen, "join_token_ttl must be an integer from 1 to 604800 (seconds)");
        return SK_EINVAL;
    }
    snprintf(err, errlen, "unknown setting '%.64s'", k);
    return SK_EINVAL;
}

int cstate_settings_check(const json_t *settings, char *err, size_t errlen) {
    if (!json_is_object(settings)) {
        snprintf(err, errlen, "settings must be an object");
        return SK_EINVAL;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)settings, k, v) {
        int rc = check_one_setting(k, v, err, errlen);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ views */

void cstate_iso_time(long long unix_s, char buf[32]) {
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "%lld", unix_s);
}

static json_t *iso(long long unix_s) {
    char buf[32];
    cstate_iso_time(unix_s, buf);
    return json_string(buf);
}

json_t *cstate_view_cluster(const json_t *state, uint64_t leader) {
    const json_t *c = json_object_get(state, "cluster");
    const json_t *settings = json_object_get(c, "settings");
    json_t *out = json_object();
    json_object_set_new(out, "name",
                        json_string(cstate_str(c, "name") ? cstate_str(c, "name") : ""));
    json_object_set_new(out, "uid", json_string(cstate_str(c, "uid") ? cstate_str(c, "uid") : ""));
    json_object_set_new(out, "leader", leader ? json_integer((json_int_t)leader) : json_null());
    json_object_set_new(
        out, "description",
        json_string(cstate_str(c, "description") ? cstate_str(c, "description") : ""));
    json_object_set_new(out, "created", iso(cstate_int(c, "created", 0)));
    json_object_set_new(out, "settings",
                        settings ? json_deep_copy(settings) : cstate_settings_default());
    json_object_set_new(
        out, "nodes", json_integer((json_int_t)json_object_size(json_object_get(state, "nodes"))));
    return out;
}

json_t *cstate_view_node(const json_t *state, uint64_t id, uint64_t leader) {
    const json_t *n = cstate_node(state, id);
    if (n == NULL) return NULL;
    int voter = json_is_true(json_object_get(n, "voter"));
    int removing = json_is_true(json_object_get(n, "removing"));
    json_t *certs = json_object();
    const char *plane;
    json_t *c;
    json_object_foreach(json_object_get(n, "certs"), plane, c) {
        json_object_set_new(certs, plane,
                            json_pack("{s:o}", "not_after", iso(cstate_int(c, "not_after", 0))));
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "uid", (json_int_t)id, "addr",
                     cstate_str(n, "addr") ? cstate_str(n, "addr") : "", "api_addr",
                     cstate_str(n, "api_addr") ? cstate_str(n, "api_addr") : "", "status",
                     removing ? "removing"
                     : voter  ? "active"
                              : "joining",
                     "role",
                     id == leader ? "leader"
                     : voter      ? "follower"
                                  : "none",
                     "joined", iso(cstate_int(n, "joined", 0)), "certificates", certs);
}

static json_t *ca_view(const json_t *state) {
    const char *pem = cstate_ca_cert_pem(state);
    json_t *out = json_object();
    json_object_set_new(out, "pem", json_string(pem ? pem : ""));
    json_object_set_new(out, "sha256", json_string(cstate_ca_sha256(state) ?: ""));
    pki_cert *cert = NULL;
    pki_cert_info info;
    if (pem != NULL && pki_cert_from_pem(pem, strlen(pem), &cert, NULL, 0) == 0 &&
        pki_cert_get_info(cert, &info) == 0) {
        json_object_set_new(out, "not_after", iso(info.not_after));
        json_object_set_new(out, "subject", json_string(info.subject ? info.subject : ""));
        pki_cert_info_free(&info);
    }
    pki_cert_free(cert);
    return out;
}

json_t *cstate_view_certificates(const json_t *state) {
    json_t *nodes = json_array();
    const char *id;
    json_t *n;
    json_object_foreach(json_object_get(state, "nodes"), id, n) {
        json_t *entry = json_pack("{s:I}", "uid", (json_int_t)cstate_int(n, "uid", 0));
        const char *plane;
        json_t *c;
        json_object_foreach(json_object_get(n, "certs"), plane, c) {
            json_object_set_new(entry, plane,
                                json_pack("{s:s, s:o}", "pem",
                                          cstate_str(c, "pem") ? cstate_str(c, "pem") : "",
                                          "not_after", iso(cstate_int(c, "not_after", 0))));
        }
        json_array_append_new(nodes, entry);
    }
    return json_pack("{s:o, s:o}", "ca", ca_view(state), "nodes", nodes);
}
