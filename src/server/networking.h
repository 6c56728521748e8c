/* networking.h - the client I/O entry points main.c and the CLIENT command
 * use; the reply API itself is declared in server.h. */
#ifndef SEALKV_SERVER_NETWORKING_H
#define SEALKV_SERVER_NETWORKING_H

#include "server.h"

/* listen_accept_fn callbacks; data is the server. */
void networking_accept_tcp(listener *l, int fd, const char *ip, int port, void *data);
void networking_accept_tls(listener *l, int fd, const char *ip, int port, void *data);
void networking_accept_unix(listener *l, int fd, const char *ip, int port, void *data);

/* Before-sleep: writes pending replies, frees clients marked to close. */
int networking_flush_pending(server *srv);
/* Once a second: idle timeouts, soft output limits, buffer trimming. */
void networking_clients_cron(server *srv);
/* One CLIENT LIST / CLIENT INFO line (without the trailing newline). */
void client_info_string(const client *c, sbuf *out);
void networking_resume_client(client *c);

#endif
