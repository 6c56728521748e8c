/* cluster_run.c - `sealkv-node run`: the control plane and the REST API of
 * one node on one event loop (see cluster.h).
 *
 * Everything comes from the node directory; the cluster state itself comes
 * from the store (cp_store replays it from disk, then from the leader). A
 * SIGKILL at any point is survivable: the store is crash-safe and nothing
 * else here is written at run time.
 */
#include "cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "../net/conn.h"
#include "../net/tls.h"
#include "api.h"
#include "membership.h"
#include "nodedir.h"
#include "store.h"

#define SIGNAL_POLL_MS 100

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) {
    stop_signal = sig;
}

static int64_t check_signal(ev_loop *loop, int64_t id, void *data) {
    (void)id;
    (void)data;
    if (stop_signal == 0) return SIGNAL_POLL_MS;
    log_notice("received %s, stopping", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    ev_stop(loop);
    return EV_TIMER_STOP;
}

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    conn_process_pending(loop);
}

/* The node directory's identity file. */
typedef struct node_identity {
    json_t *json; /* owned */
    const char *cluster_uid, *addr, *api_addr;
    uint64_t node_id;
    uint64_t seeds[64];
    size_t nseeds;
} node_identity;

static int load_identity(const char *dir, node_identity *id, char *err, size_t errlen) {
    char path[NODEDIR_PATH_MAX];
    json_error_t jerr;
    memset(id, 0, sizeof(*id));
    if (nodedir_path(dir, "node.json", path) != 0) {
        snprintf(err, errlen, "directory path too long");
        return SK_EINVAL;
    }
    id->json = json_load_file(path, 0, &jerr);
    if (id->json == NULL) {
        snprintf(err, errlen,
                 "cannot load %s: %s (is this a node directory made by create or join?)", path,
                 jerr.text);
        return SK_ECONFIG;
    }
    id->cluster_uid = json_string_value(json_object_get(id->json, "cluster_uid"));
    id->addr = json_string_value(json_object_get(id->json, "addr"));
    id->api_addr = json_string_value(json_object_get(id->json, "api_addr"));
    id->node_id = (uint64_t)json_integer_value(json_object_get(id->json, "node_uid"));
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(id->json, "seeds"), i, s) {
        if (id->nseeds < 64 && json_integer_value(s) > 0)
            id->seeds[id->nseeds++] = (uint64_t)json_integer_value(s);
    }
    if (id->cluster_uid == NULL || id->addr == NULL || id->api_addr == NULL || id->node_id == 0) {
        snprintf(err, errlen, "%s is incomplete", path);
        return SK_ECONFIG;
    }
    return 0;
}

/* What a running node holds; torn down in reverse order. */
typedef struct node_run {
    ev_loop *loop;
    tls_stats api_stats;
    tls_ctx *api_tls;
    cp_store *store;
    membership *members;
    node_api *api;
} node_run;

static int open_store(node_run *r, const char *dir, const node_identity *id,
                      const cluster_run_opts *o, char *err, size_t errlen) {
    char cp_dir[NODEDIR_PATH_MAX], ca[NODEDIR_PATH_MAX], crt[NODEDIR_PATH_MAX],
        key[NODEDIR_PATH_MAX];
    if (nodedir_path(dir, "cp", cp_dir) || nodedir_path(dir, "ca.crt", ca) ||
        nodedir_path(dir, "control.crt", crt) || nodedir_path(dir, "control.key", key)) {
        snprintf(err, errlen, "directory path too long");
        return SK_EINVAL;
    }
    cp_store_config cfg = {.loop = r->loop,
                           .dir = cp_dir,
                           .node_id = id->node_id,
                           .addr = id->addr,
                           .cluster_uid = id->cluster_uid,
                           .ca_file = ca,
                           .cert_file = crt,
                           .key_file = key,
                           .election_timeout_ms = o->election_timeout_ms,
                           .heartbeat_ms = o->heartbeat_ms};
    int rc = cp_store_open(&cfg, &r->store, err, errlen);
    if (rc != 0) return rc;
    r->members = membership_start(r->loop, r->store, id->node_id, dir, id->seeds, id->nseeds);
    cp_store_set_member_check(
        r->store, (cp_member_check){.is_member = membership_is_member, .ud = r->members});
    return 0;
}

static int open_api(node_run *r, const char *dir, const node_identity *id, char *err,
                    size_t errlen) {
    char crt[NODEDIR_PATH_MAX], key[NODEDIR_PATH_MAX], host[NODEDIR_HOST_MAX], why[300];
    int port;
    if (nodedir_path(dir, "api.crt", crt) || nodedir_path(dir, "api.key", key)) {
        snprintf(err, errlen, "directory path too long");
        return SK_EINVAL;
    }
    if (nodedir_parse_addr(id->api_addr, CLUSTER_DEFAULT_API_PORT, host, &port, why, sizeof(why)) !=
        0) {
        snprintf(err, errlen, "node.json api_addr: %s", why);
        return SK_ECONFIG;
    }
    tls_config tc = {.cert_file = crt, .key_file = key, .need_server_cert = 1};
    int rc = tls_ctx_build(&tc, &r->api_stats, &r->api_tls, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, errlen, "REST API certificate: %s", why);
        return rc;
    }
    node_api_config ac = {.loop = r->loop,
                          .store = r->store,
                          .node_id = id->node_id,
                          .bind = host,
                          .port = port,
                          .tls = r->api_tls};
    return node_api_start(&ac, &r->api, err, errlen);
}

static void node_run_close(node_run *r) {
    node_api_stop(r->api);
    membership_stop(r->members);
    if (r->store != NULL) cp_store_close(r->store); /* runs the pending callbacks */
    node_api_free(r->api);
    membership_free(r->members);
    if (r->api_tls != NULL) tls_ctx_release(r->api_tls);
    if (r->loop != NULL) ev_destroy(r->loop);
}

int cluster_run(const cluster_run_opts *o, char *err, size_t errlen) {
    node_identity id;
    node_run r;
    memset(&r, 0, sizeof(r));
    if (o->dir == NULL) {
        snprintf(err, errlen, "--dir is required");
        return SK_EINVAL;
    }
    log_set_role('N');
    if (o->loglevel != NULL) {
        enum log_level lvl;
        if (log_level_parse(o->loglevel, &lvl) != 0) {
            snprintf(err, errlen, "bad --loglevel (debug, verbose, notice, warning)");
            return SK_EINVAL;
        }
        log_set_level(lvl);
    }
    const char *logfile = o->logfile != NULL ? o->logfile : "/dev/stderr";
    if (log_open(logfile) != 0) {
        snprintf(err, errlen, "cannot open the log file %s: %s", logfile, strerror(errno));
        return SK_ECONFIG;
    }
    int rc = load_identity(o->dir, &id, err, errlen);
    if (rc != 0) return rc;
    util_install_stop_signals(on_signal);
    r.loop = ev_create(1024);
    ev_set_before_sleep(r.loop, before_sleep, NULL);
    if ((rc = open_store(&r, o->dir, &id, o, err, errlen)) != 0 ||
        (rc = open_api(&r, o->dir, &id, err, errlen)) != 0)
        goto cleanup;
    ev_add_timer(r.loop, SIGNAL_POLL_MS, check_signal, NULL);
    log_notice("node %" PRIu64 " of cluster %s running: control plane %s, REST API %s (pid %d)",
               id.node_id, id.cluster_uid, id.addr, id.api_addr, (int)getpid());
    ev_run(r.loop);
    log_notice("node %" PRIu64 " stopped", id.node_id);
cleanup:
    node_run_close(&r);
    json_decref(id.json);
    return rc;
}
