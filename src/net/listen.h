/* listen.h - listening sockets: TCP on a set of bind addresses, and unix.
 *
 * A listener accepts connections on its loop and hands each new fd (already
 * non-blocking, CLOEXEC, TCP_NODELAY for TCP) to on_accept, which wraps it in
 * a conn of its choice. At most max_accepts_per_event are accepted per
 * readable event, so a storm of new connections cannot starve established
 * ones. Listeners are owned by their creator; listen_close releases them.
 */
#ifndef SEALKV_NET_LISTEN_H
#define SEALKV_NET_LISTEN_H

#include <stddef.h>

#include "../core/ev.h"

typedef struct listener listener;
typedef void listen_accept_fn(listener *l, int fd, const char *peer_ip, int peer_port, void *data);

/* bind_addrs: addresses as in redis's `bind` ("*" and "-::*" forms included;
 * a leading '-' means optional: failure to bind it is not an error).
 * naddrs 0 means Redis's default "* -::*". port 0 lets the kernel pick a
 * port for the first address (the others reuse it; see listen_port) - for
 * tests; a server treats `port 0` as "no listener" and does not call this.
 * Returns 0 or an error with a message in err. */
int listen_tcp(ev_loop *loop, char **bind_addrs, int naddrs, int port, int backlog,
               listen_accept_fn *fn, void *data, listener **out, char *err, size_t errlen);
int listen_unix(ev_loop *loop, const char *path, unsigned perm, int backlog, listen_accept_fn *fn,
                void *data, listener **out, char *err, size_t errlen);
void listen_set_max_accepts(listener *l, int max_per_event);
/* The bound TCP port (useful when port was chosen by the kernel in tests). */
int listen_port(const listener *l);
void listen_close(listener *l);
/* In a forked child: closes the sockets only (the event loop, shared with the
 * parent, and the unix socket file are left alone; l is not freed). */
void listen_close_after_fork(listener *l);

#endif
