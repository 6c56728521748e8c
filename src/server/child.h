/* child.h - the server's forked child: at most one at a time (BGSAVE, AOF
 * rewrite, diskless replication), as Redis.
 *
 * child_fork() forks. In the parent it returns the child's pid (> 0) and
 * `done` runs later, from child_reap() in the cron (or from child_kill()),
 * exactly once, with ok = 1 when the child exited with status 0. In the
 * child it returns 0: the child has closed the listening sockets and the
 * client sockets (raw close(), the shared epoll set is left alone), logs
 * with role 'C', and must finish with _exit() (child_exit()). When a child
 * is already running it returns SK_EBUSY; when fork() fails, -errno; in
 * both cases `done` is never called.
 *
 * The state lives in srv->child (owned here). Fork statistics (INFO):
 * latest_fork_usec, total_forks.
 */
#ifndef SEALKV_SERVER_CHILD_H
#define SEALKV_SERVER_CHILD_H

#include "../core/sbuf.h"
#include "server.h"

typedef void child_done_fn(server *srv, int ok /* exited 0 */, void *ud);

int child_fork(server *srv, const char *purpose, child_done_fn *done, void *ud);
int child_running(const server *srv);
const char *child_purpose(const server *srv); /* NULL when none */
/* waitpid(WNOHANG) from the server cron; calls done when the child ended. */
void child_reap(server *srv);
/* SIGUSR1 + wait, then done(ok = 0); used by shutdown, REPLICAOF, FLUSHALL. */
void child_kill(server *srv);
/* In the child: ends it without running atexit handlers or flushing the
 * parent's buffers (code 0 = success). */
_Noreturn void child_exit(int code);

/* Milliseconds since the running child was forked; -1 when none. */
long long child_elapsed_ms(const server *srv);
/* "latest_fork_usec:..\r\ntotal_forks:..\r\n" for INFO stats. */
void child_info_stats(const server *srv, sbuf *out);
/* Kills a running child and frees srv->child (server_destroy). */
void child_free(server *srv);

#endif
