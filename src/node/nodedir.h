/* nodedir.h - a node's state directory, and addresses as given on the
 * command line.
 *
 * Layout (DIR is 0700; keys 0600, created so):
 *   node.json            identity: cluster uid/name, node id, addresses,
 *                        and (after a join) the members to trust until the
 *                        replicated state arrives
 *   ca.crt               the cluster CA certificate (never its key)
 *   control.crt/.key     control-plane identity (port 3342, mTLS)
 *   data.crt/.key        data-plane identity
 *   api.crt/.key         REST API server certificate
 *   cp/                  the control-plane store (owned by cp_store)
 *
 * `create` and `join` build everything in a sibling staging directory and
 * rename it into place as their last step: a failure leaves DIR as it was.
 */
#ifndef SEALKV_NODE_NODEDIR_H
#define SEALKV_NODE_NODEDIR_H

#include <stddef.h>

#define NODEDIR_HOST_MAX 256
#define NODEDIR_PATH_MAX 4096

/* "HOST:PORT", "[V6]:PORT", or "HOST" (then defport). 0, or SK_EINVAL with
 * a reason in err. */
int nodedir_parse_addr(const char *text, int defport, char host[NODEDIR_HOST_MAX], int *port,
                       char *err, size_t errlen);

/* 0 when dir does not exist or is an empty directory; SK_EINVAL (with the
 * reason) when it holds anything. */
int nodedir_check_new(const char *dir, char *err, size_t errlen);
/* Creates the 0700 staging directory beside dir; its path goes in stage. */
int nodedir_stage_begin(const char *dir, char stage[NODEDIR_PATH_MAX], char *err, size_t errlen);
/* Moves stage into place as dir (dir may exist empty). */
int nodedir_stage_commit(const char *stage, const char *dir, char *err, size_t errlen);
/* Removes the staging directory and everything in it. */
void nodedir_stage_abort(const char *stage);

/* dir + "/" + name into buf; SK_EINVAL when it does not fit. */
int nodedir_path(const char *dir, const char *name, char buf[NODEDIR_PATH_MAX]);
/* Writes a whole file atomically (temp + fsync + rename) with mode. */
int nodedir_write_file(const char *path, const void *data, size_t len, unsigned mode, char *err,
                       size_t errlen);
/* Reads a whole file (at most max bytes) as an owned NUL-terminated string. */
int nodedir_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                      size_t errlen);

#endif
