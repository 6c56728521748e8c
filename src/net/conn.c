/* conn.c - the TCP and unix transports, and what every transport shares:
 * the reference held around callbacks, the pending-data registry, address
 * helpers and the blocking sync_* loops.
 *
 * The socket transports are thin: one ev handler per conn serves both
 * directions (ev calls it once per ready direction), an outgoing connect is
 * reported through the write event, and the barrier ordering is left to ev
 * (EV_BARRIER on the write event).
 */
#include "conn.h"

#include "../core/err.h"
#include "../core/mem.h"
#include "net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- shared helpers ---- */

void conn__set_error(conn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
    va_end(ap);
}

int conn__call_handler(conn *c, conn_handler *fn) {
    c->refs++;
    if (fn) fn(c);
    c->refs--;
    if (!(c->flags & CONN_FLAG_CLOSE_SCHEDULED)) return 1;
    /* The outermost call does the close; inner ones just say "stop". */
    if (c->refs == 0) c->type->close(c);
    return 0;
}

/* ---- pending registry ---- */

typedef struct pend_reg {
    ev_loop *loop; /* borrowed */
    conn_pnode head;
    int processing;
    struct pend_reg *next;
} pend_reg;

static __thread pend_reg *pend_regs;
static __thread uint64_t pend_iteration;
static __thread ev_loop *pend_dont_wait_loop; /* the loop we asked not to wait */

uint64_t conn__iteration(void) {
    return pend_iteration;
}

static pend_reg *pend_find(ev_loop *loop, int create) {
    for (pend_reg *r = pend_regs; r; r = r->next)
        if (r->loop == loop) return r;
    if (!create) return NULL;
    pend_reg *r = sk_calloc(1, sizeof(*r));
    r->loop = loop;
    r->head.prev = r->head.next = &r->head;
    r->next = pend_regs;
    pend_regs = r;
    return r;
}

/* Entries exist only while they hold conns, so a destroyed loop leaves
 * nothing behind. */
static void pend_maybe_free(pend_reg *r) {
    if (r->processing || r->head.next != &r->head) return;
    for (pend_reg **p = &pend_regs; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    sk_free(r);
}

void conn__pending_add(conn *c, conn_pnode *n) {
    if (n->owner) return;
    pend_reg *r = pend_find(c->loop, 1);
    n->c = c;
    n->owner = r;
    n->prev = r->head.prev;
    n->next = &r->head;
    r->head.prev->next = n;
    r->head.prev = n;
}

static void pend_unlink(conn_pnode *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
    n->owner = NULL;
}

void conn__pending_del(conn_pnode *n) {
    pend_reg *r = n->owner;
    if (!r) return;
    pend_unlink(n);
    pend_maybe_free(r);
}

/* The node's conn runs its read handler; TLS re-adds itself from inside its
 * read when bytes are still buffered. Only the conns present at the start
 * run, so a conn that keeps re-adding itself cannot hold the loop here. */
int conn_process_pending(ev_loop *loop) {
    pend_iteration++;
    pend_reg *r = pend_find(loop, 0);
    if (!r) {
        if (pend_dont_wait_loop == loop) {
            ev_set_dont_wait(loop, 0);
            pend_dont_wait_loop = NULL;
        }
        return 0;
    }
    int count = 0;
    for (conn_pnode *n = r->head.next; n != &r->head; n = n->next)
        count++;
    r->processing = 1;
    int done = 0;
    while (done < count && r->head.next != &r->head) {
        conn_pnode *n = r->head.next;
        conn *c = n->c;
        pend_unlink(n);
        done++;
        if (n->run)
            n->run(c);
        else if (c->state == CONN_STATE_CONNECTED && c->read_handler)
            conn__call_handler(c, c->read_handler);
    }
    r->processing = 0;
    /* Conns still queued must run soon: the loop polls instead of sleeping.
     * Only a flag we raised is lowered, so another user's stays intact. */
    if (r->head.next != &r->head) {
        ev_set_dont_wait(loop, 1);
        pend_dont_wait_loop = loop;
    } else if (pend_dont_wait_loop == loop) {
        ev_set_dont_wait(loop, 0);
        pend_dont_wait_loop = NULL;
    }
    pend_maybe_free(r);
    return done;
}

/* ---- sockets ---- */

static int sock_bind_src(conn *c, int fd, const char *src, int family) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(src, NULL, &hints, &res);
    if (rc != 0) {
        conn__set_error(c, "bad source address %s: %s", src, gai_strerror(rc));
        return SK_EINVAL;
    }
    rc = bind(fd, res->ai_addr, res->ai_addrlen) < 0 ? -errno : 0;
    if (rc < 0) conn__set_error(c, "bind %s: %s", src, strerror(-rc));
    freeaddrinfo(res);
    return rc;
}

static int sock_connect_tcp(conn *c, const char *addr, int port, const char *src) {
    char portstr[16];
    struct addrinfo hints = {0}, *res = NULL;
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(addr, portstr, &hints, &res);
    if (rc != 0) {
        conn__set_error(c, "resolve %s: %s", addr, gai_strerror(rc));
        return SK_EINVAL;
    }
    rc = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            rc = -errno;
            conn__set_error(c, "socket: %s", strerror(errno));
            continue;
        }
        if (src && src[0] && (rc = sock_bind_src(c, fd, src, ai->ai_family)) < 0) {
            close(fd);
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            c->fd = fd;
            rc = 0;
            break;
        }
        rc = -errno;
        conn__set_error(c, "connect %s:%d: %s", addr, port, strerror(errno));
        close(fd);
    }
    freeaddrinfo(res);
    return rc;
}

static int sock_connect_unix(conn *c, const char *path) {
    struct sockaddr_un sa = {0};
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        conn__set_error(c, "unix socket path too long: %s", path);
        return SK_EINVAL;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        conn__set_error(c, "socket: %s", strerror(errno));
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        int e = errno;
        conn__set_error(c, "connect %s: %s", path, strerror(e));
        close(fd);
        return -e;
    }
    c->fd = fd;
    return 0;
}

int conn__start_connect(conn *c, const char *addr, int port, const char *src_addr, int is_unix) {
    if (c->fd >= 0 || !addr) {
        conn__set_error(c, "connect: conn already has a socket or no address");
        return SK_EINVAL;
    }
    return is_unix ? sock_connect_unix(c, addr) : sock_connect_tcp(c, addr, port, src_addr);
}

int conn__connect_result(conn *c) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) return 0;
    conn__set_error(c, "connect: %s", strerror(err));
    return -err;
}

/* ---- the socket conn type (tcp and unix share everything but connect) ---- */

static void sock_event(ev_loop *loop, int fd, void *data, int mask);

static int sock_update_write_event(conn *c) {
    int want_barrier = (c->flags & CONN_FLAG_WRITE_BARRIER) != 0;
    int cur = ev_get_file_mask(c->loop, c->fd);
    int need = c->write_handler != NULL || c->state == CONN_STATE_CONNECTING;
    if (!need) {
        if (cur & EV_WRITABLE) ev_del_file(c->loop, c->fd, EV_WRITABLE);
        return 0;
    }
    if ((cur & EV_WRITABLE) && (((cur & EV_BARRIER) != 0) == want_barrier)) return 0;
    if (cur & EV_WRITABLE) ev_del_file(c->loop, c->fd, EV_WRITABLE);
    return ev_add_file(c->loop, c->fd, EV_WRITABLE | (want_barrier ? EV_BARRIER : 0), sock_event,
                       c);
}

static int sock_update_read_event(conn *c) {
    int cur = ev_get_file_mask(c->loop, c->fd);
    if (c->read_handler && !(cur & EV_READABLE))
        return ev_add_file(c->loop, c->fd, EV_READABLE, sock_event, c);
    if (!c->read_handler && (cur & EV_READABLE)) ev_del_file(c->loop, c->fd, EV_READABLE);
    return 0;
}

static void sock_connected(conn *c) {
    int rc = conn__connect_result(c);
    c->state = rc == 0 ? CONN_STATE_CONNECTED : CONN_STATE_ERROR;
    conn_handler *h = c->conn_handler;
    c->conn_handler = NULL;
    if (sock_update_write_event(c) < 0 || sock_update_read_event(c) < 0) {
        c->state = CONN_STATE_ERROR;
        conn__set_error(c, "cannot watch the socket");
    }
    conn__call_handler(c, h);
}

static void sock_event(ev_loop *loop, int fd, void *data, int mask) {
    (void)loop;
    (void)fd;
    conn *c = data;
    if (c->state == CONN_STATE_CONNECTING) {
        if (mask & EV_WRITABLE) sock_connected(c);
        return;
    }
    if ((mask & EV_READABLE) && c->read_handler)
        conn__call_handler(c, c->read_handler);
    else if ((mask & EV_WRITABLE) && c->write_handler)
        conn__call_handler(c, c->write_handler);
}

static int sock_connect_common(conn *c, const char *addr, int port, const char *src,
                               conn_handler *fn, int is_unix) {
    int rc = conn__start_connect(c, addr, port, src, is_unix);
    if (rc < 0) {
        c->state = CONN_STATE_ERROR;
        return rc;
    }
    c->state = CONN_STATE_CONNECTING;
    c->conn_handler = fn;
    /* Even an immediate success is reported from the loop, so the handler
     * never runs inside conn_connect(). */
    rc = sock_update_write_event(c);
    if (rc < 0) {
        c->state = CONN_STATE_ERROR;
        c->conn_handler = NULL;
        conn__set_error(c, "cannot watch the socket: %s", sk_strerror(rc));
    }
    return rc;
}

static int tcp_connect(conn *c, const char *addr, int port, const char *src, conn_handler *fn) {
    return sock_connect_common(c, addr, port, src, fn, 0);
}

static int unix_connect(conn *c, const char *addr, int port, const char *src, conn_handler *fn) {
    (void)port;
    (void)src;
    return sock_connect_common(c, addr, 0, NULL, fn, 1);
}

static int sock_accept(conn *c, conn_handler *fn) {
    if (c->state != CONN_STATE_ACCEPTING) {
        conn__set_error(c, "accept: conn is not an accepted socket");
        return SK_EINVAL;
    }
    c->state = CONN_STATE_CONNECTED;
    conn__call_handler(c, fn);
    return 0;
}

/* Classifies a failed send/recv: 0 for "try later", else the error. */
static int sock_io_error(conn *c, const char *what) {
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) return 0;
    c->state = CONN_STATE_ERROR;
    conn__set_error(c, "%s: %s", what, strerror(e));
    return -e;
}

static int sock_write(conn *c, const void *data, size_t len) {
    if (len > INT_MAX) len = INT_MAX;
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) return (int)n;
    return sock_io_error(c, "write");
}

static int sock_writev(conn *c, const struct iovec *iov, int iovcnt) {
    struct msghdr msg = {0};
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)(iovcnt > IOV_MAX ? IOV_MAX : iovcnt);
    ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) return n > INT_MAX ? INT_MAX : (int)n;
    return sock_io_error(c, "writev");
}

static int sock_read(conn *c, void *buf, size_t len) {
    if (len > INT_MAX) len = INT_MAX;
    ssize_t n = read(c->fd, buf, len);
    if (n > 0) return (int)n;
    if (n == 0 && len > 0) {
        c->state = CONN_STATE_CLOSED;
        conn__set_error(c, "connection closed by peer");
        return SK_ECLOSED;
    }
    if (n == 0) return 0;
    return sock_io_error(c, "read");
}

static void sock_close(conn *c) {
    if (c->refs > 0) {
        c->flags |= CONN_FLAG_CLOSE_SCHEDULED;
        return;
    }
    if (c->fd >= 0) {
        ev_del_file(c->loop, c->fd, EV_READABLE | EV_WRITABLE);
        close(c->fd);
    }
    sk_free(c);
}

static int sock_set_write_handler(conn *c, conn_handler *fn, int barrier) {
    c->write_handler = fn;
    if (barrier)
        c->flags |= CONN_FLAG_WRITE_BARRIER;
    else
        c->flags &= ~CONN_FLAG_WRITE_BARRIER;
    if (c->fd < 0 || c->state == CONN_STATE_CONNECTING) return 0; /* registered once connected */
    return sock_update_write_event(c);
}

static int sock_set_read_handler(conn *c, conn_handler *fn) {
    c->read_handler = fn;
    if (c->fd < 0 || c->state == CONN_STATE_CONNECTING) return 0;
    return sock_update_read_event(c);
}

static int sock_has_pending(conn *c) {
    (void)c;
    return 0;
}

static const char *sock_last_error(conn *c) {
    return c->last_error;
}

static int sock_sync_write(conn *c, const void *data, size_t len, long long timeout_ms) {
    return conn__sync_write(c, data, len, timeout_ms, NULL);
}

static int sock_sync_read(conn *c, void *buf, size_t len, long long timeout_ms) {
    return conn__sync_read(c, buf, len, timeout_ms, NULL);
}

const conn_type conn_type_tcp = {
    .name = "tcp",
    .connect = tcp_connect,
    .accept = sock_accept,
    .write = sock_write,
    .writev = sock_writev,
    .read = sock_read,
    .close = sock_close,
    .set_write_handler = sock_set_write_handler,
    .set_read_handler = sock_set_read_handler,
    .has_pending = sock_has_pending,
    .get_last_error = sock_last_error,
    .sync_write = sock_sync_write,
    .sync_read = sock_sync_read,
    .sync_readline = conn__sync_readline,
};

const conn_type conn_type_unix = {
    .name = "unix",
    .connect = unix_connect,
    .accept = sock_accept,
    .write = sock_write,
    .writev = sock_writev,
    .read = sock_read,
    .close = sock_close,
    .set_write_handler = sock_set_write_handler,
    .set_read_handler = sock_set_read_handler,
    .has_pending = sock_has_pending,
    .get_last_error = sock_last_error,
    .sync_write = sock_sync_write,
    .sync_read = sock_sync_read,
    .sync_readline = conn__sync_readline,
};

static conn *sock_create(const conn_type *type, ev_loop *loop, int fd) {
    conn *c = sk_calloc(1, sizeof(*c));
    c->type = type;
    c->loop = loop;
    c->fd = fd;
    c->state = fd >= 0 ? CONN_STATE_ACCEPTING : CONN_STATE_NONE;
    return c;
}

conn *conn_create_tcp(ev_loop *loop, int fd) {
    return sock_create(&conn_type_tcp, loop, fd);
}

conn *conn_create_unix(ev_loop *loop, int fd) {
    return sock_create(&conn_type_unix, loop, fd);
}

/* ---- blocking helpers ---- */

int64_t conn__deadline(long long timeout_ms) {
    return timeout_ms > 0 ? ev_now_ms() + timeout_ms : 0;
}

int conn__wait_fd(int fd, short events, int64_t deadline) {
    for (int tries = 0; tries < 1000; tries++) {
        int ms = -1;
        if (deadline) {
            int64_t left = deadline - ev_now_ms();
            if (left <= 0) return -ETIMEDOUT;
            ms = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, ms);
        if (n > 0) return 0;
        if (n == 0) return -ETIMEDOUT;
        if (errno != EINTR) return -errno;
    }
    return -EINTR;
}

static short default_want(conn *c, int is_write) {
    (void)c;
    return is_write ? POLLOUT : POLLIN;
}

int conn__sync_write(conn *c, const void *data, size_t len, long long timeout_ms,
                     conn_want_fn *want) {
    int64_t deadline = conn__deadline(timeout_ms);
    const char *p = data;
    size_t done = 0;
    if (len > INT_MAX) return SK_ETOOBIG;
    while (done < len) {
        int n = c->type->write(c, p + done, len - done);
        if (n < 0) return n;
        done += (size_t)n;
        if (n > 0) continue;
        int rc = conn__wait_fd(c->fd, (want ? want : default_want)(c, 1), deadline);
        if (rc < 0) {
            conn__set_error(c, "sync write: %s", sk_strerror(rc));
            return rc;
        }
    }
    return (int)done;
}

int conn__sync_read(conn *c, void *buf, size_t len, long long timeout_ms, conn_want_fn *want) {
    int64_t deadline = conn__deadline(timeout_ms);
    char *p = buf;
    size_t done = 0;
    if (len > INT_MAX) return SK_ETOOBIG;
    while (done < len) {
        int n = c->type->read(c, p + done, len - done);
        if (n < 0) return n;
        done += (size_t)n;
        /* 0 means the transport needs the socket (TLS: even with a partial
         * record buffered), so waiting on the fd is right. */
        if (n > 0) continue;
        int rc = conn__wait_fd(c->fd, (want ? want : default_want)(c, 0), deadline);
        if (rc < 0) {
            conn__set_error(c, "sync read: %s", sk_strerror(rc));
            return rc;
        }
    }
    return (int)done;
}

/* One byte at a time, as these exchanges are a few short lines; the deadline
 * covers the whole line. Strips "\r\n"; returns the line length. */
int conn__sync_readline(conn *c, char *buf, size_t size, long long timeout_ms) {
    int64_t deadline = conn__deadline(timeout_ms);
    size_t len = 0;
    if (size == 0) return SK_EINVAL;
    for (;;) {
        long long left = 0;
        if (deadline) {
            left = deadline - ev_now_ms();
            if (left <= 0) return -ETIMEDOUT;
        }
        char ch;
        int n = c->type->sync_read(c, &ch, 1, left);
        if (n < 0) return n;
        if (ch == '\n') break;
        if (len + 1 >= size) return SK_ETOOBIG;
        buf[len++] = ch;
    }
    if (len > 0 && buf[len - 1] == '\r') len--;
    buf[len] = '\0';
    return (int)len;
}

/* ---- addresses and socket options ---- */

static int format_sockaddr(const struct sockaddr_storage *ss, socklen_t sl, char *buf, size_t len) {
    char ip[INET6_ADDRSTRLEN];
    int n;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        n = snprintf(buf, len, "%s:%d", ip, ntohs(s->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        n = snprintf(buf, len, "[%s]:%d", ip, ntohs(s->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *s = (const struct sockaddr_un *)ss;
        size_t plen = sl > offsetof(struct sockaddr_un, sun_path)
                          ? strnlen(s->sun_path, sl - offsetof(struct sockaddr_un, sun_path))
                          : 0;
        if (plen == 0) return SK_ENOTFOUND;
        n = snprintf(buf, len, "%.*s:0", (int)plen, s->sun_path);
    } else {
        return SK_EINVAL;
    }
    return n < 0 || (size_t)n >= len ? SK_ETOOBIG : 0;
}

static int sock_addr(conn *c, char *buf, size_t len, int peer) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (c->fd < 0) return SK_EINVAL;
    int rc = peer ? getpeername(c->fd, (struct sockaddr *)&ss, &sl)
                  : getsockname(c->fd, (struct sockaddr *)&ss, &sl);
    if (rc < 0) return -errno;
    return format_sockaddr(&ss, sl, buf, len);
}

int conn_peer_addr(conn *c, char *buf, size_t len) {
    int rc = sock_addr(c, buf, len, 1);
    /* An accepted unix socket's peer is unnamed: show our path, as Redis. */
    if (rc == SK_ENOTFOUND) rc = sock_addr(c, buf, len, 0);
    return rc;
}

int conn_local_addr(conn *c, char *buf, size_t len) {
    return sock_addr(c, buf, len, 0);
}

static int is_unix_fd(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    return getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_UNIX;
}

int conn_set_nodelay(conn *c, int on) {
    if (c->fd < 0) return SK_EINVAL;
    if (is_unix_fd(c->fd)) return 0;
    int v = on ? 1 : 0;
    return setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) < 0 ? -errno : 0;
}

/* interval_s: idle time before the first probe; probes every interval/3,
 * dead after 3 unanswered (Redis's choice). 0 turns keepalive off. */
int conn_set_keepalive(conn *c, int interval_s) {
    if (c->fd < 0) return SK_EINVAL;
    if (is_unix_fd(c->fd)) return 0;
    int on = interval_s > 0;
    if (setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0) return -errno;
    if (!on) return 0;
    int idle = interval_s, intvl = interval_s / 3 > 0 ? interval_s / 3 : 1, cnt = 3;
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
        setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
        setsockopt(c->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
        return -errno;
    return 0;
}
