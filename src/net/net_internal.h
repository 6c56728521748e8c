/* net_internal.h - what the net/ transports share and nobody else sees.
 *
 * No OpenSSL here: conn.c and listen.c must stay free of it.
 *
 * Pending list: a TLS conn whose SSL object holds decrypted bytes that the
 * socket will not signal again puts itself on its loop's pending list;
 * conn_process_pending() runs the read handlers of the conns on that list.
 * The node is embedded in the transport's struct (intrusive, so adding and
 * removing never allocates per read). The registry keyed by loop is
 * thread-local, since a loop is only ever driven by one thread.
 */
#ifndef SEALKV_NET_NET_INTERNAL_H
#define SEALKV_NET_NET_INTERNAL_H

#include <stdint.h>

#include "conn.h"

typedef struct conn_pnode {
    struct conn_pnode *prev, *next; /* circular list through the registry head */
    void *owner;                    /* registry entry, NULL when not linked */
    conn *c;                        /* borrowed: the conn embedding this node */
    void (*run)(conn *c);           /* what to run when processed; NULL: read handler */
} conn_pnode;

/* Idempotent: a linked node stays where it is. */
void conn__pending_add(conn *c, conn_pnode *n);
/* Idempotent: an unlinked node is left alone. Must be called before the
 * conn embedding n is freed. */
void conn__pending_del(conn_pnode *n);

/* Bumped by every conn_process_pending() call on this thread, i.e. once per
 * loop iteration: per-iteration budgets (TLS handshakes) reset with it. */
uint64_t conn__iteration(void);

/* Formats into c->last_error (truncating). */
void conn__set_error(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens a non-blocking socket and starts connecting it to addr:port (TCP,
 * optional src_addr to bind first) or to the path addr (is_unix). On success
 * c->fd is set and 0 returned (the connect may still be in progress);
 * otherwise a negative error with the reason in c->last_error. */
int conn__start_connect(conn *c, const char *addr, int port, const char *src_addr, int is_unix);
/* After the socket became writable: 0 when the connect succeeded, else the
 * negative errno with the reason in c->last_error. */
int conn__connect_result(conn *c);

/* Deadline helpers for the sync_* functions. timeout_ms <= 0 means none. */
int64_t conn__deadline(long long timeout_ms);
/* Waits until fd has one of the poll events (POLLIN/POLLOUT). Returns 0 when
 * ready, -ETIMEDOUT past deadline, or another negative errno. */
int conn__wait_fd(int fd, short events, int64_t deadline);

/* Generic blocking loops over c->type->read/write. want_events(c, is_write)
 * returns the poll events to wait for when an attempt moved nothing (NULL:
 * POLLOUT for writes, POLLIN for reads). A read that moved nothing always
 * waits: the transport needs bytes from the socket. */
typedef short conn_want_fn(conn *c, int is_write);
int conn__sync_write(conn *c, const void *data, size_t len, long long timeout_ms,
                     conn_want_fn *want);
int conn__sync_read(conn *c, void *buf, size_t len, long long timeout_ms, conn_want_fn *want);
int conn__sync_readline(conn *c, char *buf, size_t size, long long timeout_ms);

#endif
