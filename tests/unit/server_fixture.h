/* server_fixture.h - a real sealkv server for unit tests of the server
 * modules: built with server_create() from the default configuration,
 * without TCP listeners (a private unix socket nobody uses stands in, since
 * a server refuses to start listening nowhere). Commands are run on clients
 * without a connection; their replies accumulate in c->reply. */
#ifndef SEALKV_TESTS_SERVER_FIXTURE_H
#define SEALKV_TESTS_SERVER_FIXTURE_H

#include <stdio.h>
#include <string.h>
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
    cfg->save_point_count = 0; /* FLUSHALL / SHUTDOWN would write dump.rdb in the cwd */
    server *srv = server_create(cfg, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "server_create: %s\n", err);
        config_free(cfg);
        return NULL;
    }
    obj_apply_config(srv);
    return srv;
}

/* Returns (and clears) what c has been sent so far; the text stays valid
 * until the next call. */
static inline const char *fixture_take(client *c) {
    static char out[16384];
    size_t n = c->reply.len - c->sentlen;
    if (n > sizeof(out) - 1) n = sizeof(out) - 1;
    memcpy(out, c->reply.data + c->sentlen, n);
    out[n] = '\0';
    sbuf_clear(&c->reply);
    c->sentlen = 0;
    return out;
}

/* Runs one space-separated command line through the dispatcher and returns
 * the reply. With update_clock == 0 the cached time is left alone, so a test
 * may move srv->mstime by hand. */
static inline const char *fixture_run(server *srv, client *c, const char *line, int update_clock) {
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", line);
    c->argv = sk_malloc(32 * sizeof(sstr));
    c->argc = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && c->argc < 32;
         tok = strtok_r(NULL, " ", &save))
        c->argv[c->argc++] = sstr_from_cstr(tok);
    if (update_clock) server_update_time(srv);
    srv->current_client = c;
    command_process(c);
    srv->current_client = NULL;
    for (int i = 0; i < c->argc; i++)
        sstr_free(c->argv[i]);
    sk_free(c->argv);
    c->argv = NULL;
    c->argc = 0;
    return fixture_take(c);
}

#endif
