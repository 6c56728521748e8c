/* cluster.h - a node's life cycle: create a cluster, join one, run.
 *
 * create and join initialise a node directory (nodedir.h) and return; they
 * build it in a staging directory renamed into place last, so on any error
 * DIR is left as it was. run serves the control plane (cp_store) and the
 * REST API (api.h) on one event loop until SIGTERM/SIGINT.
 * Errors: 0 / negative SK_E* with a sentence for the operator in err.
 */
#ifndef SEALKV_NODE_CLUSTER_H
#define SEALKV_NODE_CLUSTER_H

#include <stddef.h>

#define CLUSTER_DEFAULT_CP_PORT 3342
#define CLUSTER_DEFAULT_API_PORT 9443

typedef struct cluster_create_opts {
    const char *name;
    const char *dir;
    const char *addr;     /* control plane HOST[:PORT] */
    const char *api_addr; /* REST API HOST[:PORT] */
    const char *admin_password_file;
    const char *admin_user; /* NULL: "admin" */
} cluster_create_opts;

typedef struct cluster_join_opts {
    const char *token;
    const char *dir;
    const char *addr, *api_addr;
    const char *peer; /* a member's REST API HOST[:PORT] */
    int timeout_ms;   /* 0: 30 s */
} cluster_join_opts;

typedef struct cluster_run_opts {
    const char *dir;
    const char *logfile; /* NULL: stderr */
    const char *loglevel;
    unsigned election_timeout_ms, heartbeat_ms; /* 0: cp_store defaults */
} cluster_run_opts;

/* Both print what they did (cluster uid, node id, CA pin) on stdout. */
int cluster_create(const cluster_create_opts *o, char *err, size_t errlen);
int cluster_join(const cluster_join_opts *o, char *err, size_t errlen);
/* Returns when stopped by a signal (0) or on a start-up error. */
int cluster_run(const cluster_run_opts *o, char *err, size_t errlen);

#endif
