/* nodelay.c - LD_PRELOAD shim that turns on TCP_NODELAY for every TCP
 * socket the process connects.
 *
 * Why: redis-benchmark 7.0 sets TCP_NODELAY only on plain connections. Over
 * TLS, Nagle's algorithm stays on, and a request that the TLS layer writes as
 * more than one record (a 16 KiB SET is two records) waits for the peer's
 * delayed ACK, about 40 ms each. That measures the kernel, not the server. The
 * bench scripts load this shim into the client for BOTH servers alike, so the
 * comparison stays fair.
 *
 * Build: gcc -shared -fPIC -O2 -o build/bench/nodelay.so bench/nodelay.c -ldl
 * Use:   LD_PRELOAD=build/bench/nodelay.so redis-benchmark --tls ...
 *
 * The option is set before the real connect() so that it holds from the first
 * segment, also for non-blocking connects that return EINPROGRESS. Sockets of
 * other families (AF_UNIX) and types (UDP) are left alone. errno seen by the
 * caller is the one of the real connect().
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

typedef int (*nodelay_connect_fn)(int, const struct sockaddr *, socklen_t);

/* Resolved once; a data race here would only resolve the same pointer twice. */
static nodelay_connect_fn nodelay_real_connect;

/* True when fd is a stream socket whose address family is IPv4 or IPv6. */
static int nodelay_is_tcp(int fd, const struct sockaddr *addr) {
    int type = 0;
    socklen_t len = sizeof(type);

    if (addr == NULL || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) return 0;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return 0;
    return type == SOCK_STREAM;
}

int connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    int saved_errno = errno;
    int one = 1;

    if (nodelay_real_connect == NULL) {
        nodelay_real_connect = (nodelay_connect_fn)dlsym(RTLD_NEXT, "connect");
        if (nodelay_real_connect == NULL) {
            errno = ENOSYS;
            return -1;
        }
    }
    if (nodelay_is_tcp(fd, addr)) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    errno = saved_errno; /* a failed getsockopt/setsockopt must not leak out */
    return nodelay_real_connect(fd, addr, addrlen);
}
