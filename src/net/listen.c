/* listen.c - listening sockets with Redis's `bind` semantics.
 *
 * "*" is every IPv4 address, "::*" every IPv6 one; a leading '-' marks an
 * address as optional (failing to bind it, e.g. no IPv6 on the host, is not
 * an error). IPv6 sockets are IPV6_V6ONLY so that "* ::*" binds both
 * families on one port. Accepted fds are non-blocking and CLOEXEC (accept4),
 * TCP ones get TCP_NODELAY.
 */
#include "listen.h"

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_MAX_FDS 16
#define LISTEN_DEFAULT_MAX_ACCEPTS 1000

struct listener {
    ev_loop *loop; /* borrowed */
    int fds[LISTEN_MAX_FDS];
    int nfds;
    int port;
    char *unix_path; /* owned; NULL for TCP */
    listen_accept_fn *fn;
    void *data; /* borrowed */
    int max_accepts;
};

static listener *listener_new(ev_loop *loop, listen_accept_fn *fn, void *data) {
    listener *l = sk_calloc(1, sizeof(*l));
    l->loop = loop;
    l->fn = fn;
    l->data = data;
    l->max_accepts = LISTEN_DEFAULT_MAX_ACCEPTS;
    return l;
}

void listen_set_max_accepts(listener *l, int max_per_event) {
    l->max_accepts = max_per_event > 0 ? max_per_event : LISTEN_DEFAULT_MAX_ACCEPTS;
}

int listen_port(const listener *l) {
    return l->port;
}

void listen_close(listener *l) {
    if (!l) return;
    for (int i = 0; i < l->nfds; i++) {
        ev_del_file(l->loop, l->fds[i], EV_READABLE);
        close(l->fds[i]);
    }
    if (l->unix_path) unlink(l->unix_path);
    sk_free(l->unix_path);
    sk_free(l);
}

void listen_close_after_fork(listener *l) {
    for (int i = 0; i < l->nfds; i++)
        close(l->fds[i]);
    l->nfds = 0;
}

static void peer_of(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port) {
    *port = 0;
    ip[0] = '\0';
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s->sin_addr, ip, (socklen_t)iplen);
        *port = ntohs(s->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, (socklen_t)iplen);
        *port = ntohs(s->sin6_port);
    }
}

/* Out of fds (EMFILE) the listen socket stays readable and this runs every
 * iteration: say so at most once a second. */
static void accept_failed(int err) {
    static __thread int64_t last_ms;
    int64_t now = ev_now_ms();
    if (now - last_ms < 1000) return;
    last_ms = now;
    log_warning("accepting a connection: %s", strerror(err));
}

/* Bounded per event: a storm of new connections waits for the next
 * iteration instead of starving the established ones. */
static void listen_on_readable(ev_loop *loop, int lfd, void *data, int mask) {
    (void)loop;
    (void)mask;
    listener *l = data;
    for (int i = 0; i < l->max_accepts; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) accept_failed(errno);
            return;
        }
        char ip[INET6_ADDRSTRLEN];
        int port;
        if (l->unix_path) {
            snprintf(ip, sizeof(ip), "%s", l->unix_path);
            port = 0;
        } else {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            peer_of(&ss, ip, sizeof(ip), &port);
        }
        /* fn may close the listener: stop when it has. */
        l->fn(l, fd, ip, port, l->data);
        if (ev_get_file_mask(loop, lfd) == EV_NONE) return;
    }
}

static int listen_sock(listener *l, int fd, int backlog, char *err, size_t errlen,
                       const char *what) {
    if (listen(fd, backlog > 0 ? backlog : 511) < 0) {
        snprintf(err, errlen, "listen %s: %s", what, strerror(errno));
        close(fd);
        return -errno;
    }
    int rc = ev_add_file(l->loop, fd, EV_READABLE, listen_on_readable, l);
    if (rc < 0) {
        snprintf(err, errlen, "watch %s: %s", what, sk_strerror(rc));
        close(fd);
        return rc;
    }
    l->fds[l->nfds++] = fd;
    return 0;
}

/* Binds one address; returns the socket or a negative error. */
static int bind_one(const char *host, int port, char *err, size_t errlen) {
    char portstr[16];
    struct addrinfo hints = {0}, *res = NULL;
    snprintf(portstr, sizeof(portstr), "%d", port);
    hints.ai_family = strchr(host, ':') ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "bind %s:%d: %s", host, port, gai_strerror(rc));
        return SK_EINVAL;
    }
    int fd = -1;
    rc = SK_EINVAL;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            rc = 0;
            break;
        }
        rc = -errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (rc < 0) {
        snprintf(err, errlen, "bind %s:%d: %s", host, port, sk_strerror(rc));
        return rc;
    }
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char ip[INET6_ADDRSTRLEN];
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) peer_of(&ss, ip, sizeof(ip), &port);
    return port;
}

static const char *bind_host(const char *addr) {
    if (strcmp(addr, "*") == 0) return "0.0.0.0";
    if (strcmp(addr, "::*") == 0) return "::";
    return addr;
}

int listen_tcp(ev_loop *loop, char **bind_addrs, int naddrs, int port, int backlog,
               listen_accept_fn *fn, void *data, listener **out, char *err, size_t errlen) {
    static char *defaults[] = {"*", "-::*"};
    if (port < 0 || port > 65535) {
        snprintf(err, errlen, "invalid port %d", port);
        return SK_EINVAL;
    }
    if (naddrs <= 0) {
        bind_addrs = defaults;
        naddrs = 2;
    }
    if (naddrs > LISTEN_MAX_FDS) {
        snprintf(err, errlen, "too many bind addresses (max %d)", LISTEN_MAX_FDS);
        return SK_EINVAL;
    }
    listener *l = listener_new(loop, fn, data);
    l->port = port;
    int rc = 0;
    for (int i = 0; i < naddrs; i++) {
        const char *a = bind_addrs[i];
        int optional = a[0] == '-';
        char why[256];
        int fd = bind_one(bind_host(optional ? a + 1 : a), l->port, why, sizeof(why));
        if (fd < 0 && optional) {
            log_notice("optional bind skipped: %s", why);
            continue;
        }
        if (fd < 0) {
            snprintf(err, errlen, "%s", why);
            rc = fd;
            goto cleanup;
        }
        /* Port 0: the kernel picks for the first address, the rest follow. */
        if (l->port == 0) l->port = bound_port(fd);
        if ((rc = listen_sock(l, fd, backlog, err, errlen, a)) < 0) goto cleanup;
    }
    if (l->nfds == 0) {
        snprintf(err, errlen, "no bind address could be bound on port %d", port);
        rc = SK_EINVAL;
        goto cleanup;
    }
    *out = l;
    return 0;
cleanup:
    listen_close(l);
    return rc;
}

/* A leftover socket file from a previous run is removed; anything else at
 * the path is refused rather than deleted. */
static int unlink_stale(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "unix socket path %s exists and is not a socket", path);
        return SK_EINVAL;
    }
    if (unlink(path) < 0) {
        snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
        return -errno;
    }
    return 0;
}

int listen_unix(ev_loop *loop, const char *path, unsigned perm, int backlog, listen_accept_fn *fn,
                void *data, listener **out, char *err, size_t errlen) {
    struct sockaddr_un sa = {0};
    sa.sun_family = AF_UNIX;
    if (!path || !path[0] || strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "invalid unix socket path");
        return SK_EINVAL;
    }
    strcpy(sa.sun_path, path);
    int rc = unlink_stale(path, err, errlen);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (perm && chmod(path, perm) < 0) {
        rc = -errno;
        snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return rc;
    }
    listener *l = listener_new(loop, fn, data);
    l->unix_path = sk_strdup(path);
    if ((rc = listen_sock(l, fd, backlog, err, errlen, path)) < 0) {
        listen_close(l);
        return rc;
    }
    *out = l;
    return 0;
}
