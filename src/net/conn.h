/* conn.h - one connection type over TCP, unix sockets and TLS.
 *
 * Every component (server clients, replication links, proxy upstreams,
 * control-plane peers, the REST API) speaks through this interface, so a TLS
 * feature is written once. The shape of Redis's connection.h: a struct of
 * function pointers per transport; TLS "inherits" by putting `conn` first.
 *
 * Contract:
 * - A conn is driven by an ev_loop (borrowed; must outlive the conn).
 * - Handlers are called with the conn; a handler may call conn_close() on its
 *   own conn: the conn is freed only after the handler returns (a reference is
 *   held around every callback).
 * - conn_read/conn_write return bytes moved (> 0), 0 when nothing could be
 *   moved now (would block; the loop calls the handler again later), or a
 *   negative SK_E* error (SK_ECLOSED on orderly close). After an error the
 *   state is CONN_STATE_ERROR or CONN_STATE_CLOSED and conn_last_error()
 *   explains it. Callers never read errno after a conn call.
 * - conn_accept()/conn_connect(): the handler runs exactly once, from the
 *   loop (or, for accept, possibly inside conn_accept), when the conn is
 *   CONNECTED or has failed (state CONN_STATE_ERROR, reason in
 *   conn_last_error()); on failure the handler closes the conn. When the
 *   call itself returns an error, the handler is never called and the
 *   caller closes the conn. conn_create_tcp/unix(loop, -1) make a conn for
 *   conn_connect(); with an accepted fd, for conn_accept().
 * - Writes never raise SIGPIPE on plain sockets (MSG_NOSIGNAL); OpenSSL
 *   writes with write(2), so a process using TLS ignores SIGPIPE (as Redis).
 * - TLS may hold decrypted bytes that the socket no longer signals:
 *   conn_has_pending() says so, and conn_process_pending() (called from the
 *   loop's before-sleep hook by the owner) runs the read handlers of such
 *   conns, and resumes TLS handshakes held back by a per-iteration budget.
 *   An owner that paused reading (and so left plaintext buffered) resumes
 *   by setting its read handler again: that queues the conn if needed.
 *   The TLS read-wants-write / write-wants-read dance is internal.
 */
#ifndef SEALKV_NET_CONN_H
#define SEALKV_NET_CONN_H

#include <stddef.h>
#include <sys/uio.h>

#include "../core/ev.h"

typedef struct conn conn;
typedef struct conn_type conn_type;
typedef void conn_handler(conn *c);

typedef enum {
    CONN_STATE_NONE = 0,
    CONN_STATE_CONNECTING,
    CONN_STATE_ACCEPTING,
    CONN_STATE_CONNECTED,
    CONN_STATE_CLOSED,
    CONN_STATE_ERROR
} conn_state;

#define CONN_FLAG_CLOSE_SCHEDULED (1 << 0)
#define CONN_FLAG_WRITE_BARRIER (1 << 1)

struct conn_type {
    const char *name; /* "tcp", "unix", "tls" */
    int (*connect)(conn *c, const char *addr, int port, const char *src_addr,
                   conn_handler *on_connect);
    int (*accept)(conn *c, conn_handler *on_accept);
    int (*write)(conn *c, const void *data, size_t len);
    int (*writev)(conn *c, const struct iovec *iov, int iovcnt);
    int (*read)(conn *c, void *buf, size_t len);
    void (*close)(conn *c);
    int (*set_write_handler)(conn *c, conn_handler *fn, int barrier);
    int (*set_read_handler)(conn *c, conn_handler *fn);
    int (*has_pending)(conn *c);
    const char *(*get_last_error)(conn *c);
    /* Blocking helpers with a timeout, for short synchronous exchanges
     * (replication handshake, CLI tools). Return bytes or negative error. */
    int (*sync_write)(conn *c, const void *data, size_t len, long long timeout_ms);
    int (*sync_read)(conn *c, void *buf, size_t len, long long timeout_ms);
    int (*sync_readline)(conn *c, char *buf, size_t size, long long timeout_ms);
};

struct conn {
    const conn_type *type;
    ev_loop *loop; /* borrowed */
    conn_state state;
    int fd;
    int flags;
    int refs;           /* callbacks in progress; close is deferred until 0 */
    void *private_data; /* borrowed: the owner's object (e.g. the client) */
    conn_handler *conn_handler;
    conn_handler *read_handler;
    conn_handler *write_handler;
    char last_error[256];
};

extern const conn_type conn_type_tcp;
extern const conn_type conn_type_unix;

/* Wraps an accepted/created fd (already non-blocking). Returns an owned conn. */
conn *conn_create_tcp(ev_loop *loop, int fd);
conn *conn_create_unix(ev_loop *loop, int fd);

/* Inline wrappers: the contract is on the struct above. */
static inline int conn_accept(conn *c, conn_handler *fn) {
    return c->type->accept(c, fn);
}
static inline int conn_connect(conn *c, const char *addr, int port, const char *src,
                               conn_handler *fn) {
    return c->type->connect(c, addr, port, src, fn);
}
static inline int conn_read(conn *c, void *buf, size_t len) {
    return c->type->read(c, buf, len);
}
static inline int conn_write(conn *c, const void *d, size_t len) {
    return c->type->write(c, d, len);
}
static inline int conn_writev(conn *c, const struct iovec *iov, int n) {
    return c->type->writev(c, iov, n);
}
static inline void conn_close(conn *c) {
    c->type->close(c);
}
static inline int conn_set_read_handler(conn *c, conn_handler *fn) {
    return c->type->set_read_handler(c, fn);
}
static inline int conn_set_write_handler(conn *c, conn_handler *fn) {
    return c->type->set_write_handler(c, fn, 0);
}
static inline int conn_set_write_handler_barrier(conn *c, conn_handler *fn) {
    return c->type->set_write_handler(c, fn, 1);
}
static inline int conn_has_pending(conn *c) {
    return c->type->has_pending(c);
}
static inline const char *conn_last_error(conn *c) {
    return c->type->get_last_error(c);
}
static inline conn_state conn_get_state(const conn *c) {
    return c->state;
}
static inline void conn_set_private(conn *c, void *p) {
    c->private_data = p;
}
static inline void *conn_get_private(const conn *c) {
    return c->private_data;
}
static inline int conn_sync_write(conn *c, const void *d, size_t n, long long ms) {
    return c->type->sync_write(c, d, n, ms);
}
static inline int conn_sync_read(conn *c, void *b, size_t n, long long ms) {
    return c->type->sync_read(c, b, n, ms);
}
static inline int conn_sync_readline(conn *c, char *b, size_t n, long long ms) {
    return c->type->sync_readline(c, b, n, ms);
}

/* Runs the read handler of every conn with buffered plaintext (TLS). Call
 * from the loop's before-sleep hook. Returns how many were processed. */
int conn_process_pending(ev_loop *loop);

/* "ip:port" of the peer / of the local end, "/path:0" style for unix. */
int conn_peer_addr(conn *c, char *buf, size_t len);
int conn_local_addr(conn *c, char *buf, size_t len);
int conn_set_nodelay(conn *c, int on);
int conn_set_keepalive(conn *c, int interval_s);

/* Used by transports: hold a reference around a callback. Returns 0 if the
 * conn was closed during the callback and must not be touched again. */
int conn__call_handler(conn *c, conn_handler *fn);

#endif
