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
/* Before exiting: stops a running child, then saves when save points exist
 * (save > 0: always, save < 0: never). 0, or < 0 when the save failed (the
 * server should keep running, as Redis). */
int server_prepare_shutdown(server *srv, int save);
/* Loads the data files at start (RDB). 0 (also with no file), or < 0 with
 * the reason in err: the server must not start. */
int server_load_data(server *srv, char *err, size_t errlen);

#endif
