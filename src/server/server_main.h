/* server_main.h - the server's life cycle: start, listeners, cron, stop.
 * main.c is only argument handling around these. */
#ifndef SEALKV_SERVER_SERVER_MAIN_H
#define SEALKV_SERVER_SERVER_MAIN_H

#include "server.h"

/* Builds a server from a loaded configuration (takes ownership of cfg).
 * Returns NULL with the reason in err. */
server *server_create(server_config *cfg, char *err, size_t errlen);
/* Opens (or re-opens after CONFIG SET port/tls-port/bind) the listeners
 * whose settings changed. Returns 0 or -1 with the reason in err. */
int server_listen(server *srv, char *err, size_t errlen);
/* Starts or stops the tls-auto-reload-interval timer to match the config. */
void server_tls_timer_update(server *srv);
void server_run(server *srv);
void server_destroy(server *srv);
void server_reset_stats(server *srv);
/* Requests a clean shutdown from a command (SHUTDOWN) or a signal. */
void server_request_shutdown(server *srv);

#endif
