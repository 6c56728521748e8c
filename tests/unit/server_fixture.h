/* server_fixture.h - a real sealkv server for unit tests of the server
 * modules: built with server_create() from the default configuration,
 * without TCP listeners (a private unix socket nobody uses stands in, since
 * a server refuses to start listening nowhere). Commands are run on clients
 * without a connection; their replies accumulate in c->reply. */
#ifndef SEALKV_TESTS_SERVER_FIXTURE_H
#define SEALKV_TESTS_SERVER_FIXTURE_H

#include <stdio.h>
#include <unistd.h>

#include "../../src/core/mem.h"
#include "../../src/server/config.h"
#include "../../src/server/server.h"
#include "../../src/server/server_main.h"

/* tag names the socket file; NULL on failure (reason on stderr). */
static inline server *fixture_server_create(const char *tag) {
    char err[256] = "";
    char path[96];
    server_config *cfg = config_create_defaults();
    snprintf(path, sizeof(path), "/tmp/sealkv-test-%s-%d.sock", tag, (int)getpid());
    cfg->port = 0;
    cfg->tls_port = 0;
    sk_free(cfg->unixsocket);
    cfg->unixsocket = sk_strdup(path);
    cfg->unixsocketperm = 0700;
    server *srv = server_create(cfg, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "server_create: %s\n", err);
        config_free(cfg);
        return NULL;
    }
    obj_apply_config(srv);
    return srv;
}

#endif
