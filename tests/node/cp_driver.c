/* cp_driver.c - one configuration store in a process, driven line by line
 * on stdin, for the multi-process tests (tests/integration/test_node_cp.py).
 *
 *   cp_driver gencerts DIR CLUSTER N    cluster CA + node1..N control certs
 *   cp_driver run ID DIR ADDR CLUSTER CERTDIR [ELECTION_MS]
 *
 * Commands (one per line) and replies (one line each, on stdout):
 *   bootstrap JSON        -> ok RC
 *   add ID ADDR           -> done RC        (after commit, or failure)
 *   remove ID             -> done RC
 *   propose JSON          -> done RC
 *   state                 -> state JSON
 *   info                  -> info ROLE LEADER
 * A command refused at once answers "done RC" too. Logs go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/ev.h"
#include "../../src/core/log.h"
#include "../../src/core/sbuf.h"
#include "../../src/net/conn.h"
#include "../../src/node/store.h"
#include "../../src/pki/pki.h"

static cp_store *S;
static ev_loop *L;
static sbuf IN = SBUF_INIT;

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void done(void *ud, int rc) {
    (void)ud;
    reply("done %d", rc);
}

static void command(char *line) {
    char *arg = strchr(line, ' ');
    json_error_t e;
    int rc;
    if (arg) *arg++ = 0;
    if (!strcmp(line, "bootstrap") && arg) {
        json_t *v = json_loads(arg, 0, &e);
        reply("ok %d", v ? cp_store_bootstrap(S, v) : -1);
        json_decref(v);
    } else if (!strcmp(line, "propose") && arg) {
        json_t *v = json_loads(arg, 0, &e);
        rc = v ? cp_store_propose(S, v, done, NULL) : -1;
        if (rc) reply("done %d", rc);
    } else if (!strcmp(line, "add") && arg) {
        char *addr = strchr(arg, ' ');
        if (addr) *addr++ = 0;
        rc = cp_store_add_node(S, strtoull(arg, NULL, 10), addr, done, NULL);
        if (rc) reply("done %d", rc);
    } else if (!strcmp(line, "remove") && arg) {
        rc = cp_store_remove_node(S, strtoull(arg, NULL, 10), done, NULL);
        if (rc) reply("done %d", rc);
    } else if (!strcmp(line, "state")) {
        char *t = json_dumps(cp_store_state(S), JSON_COMPACT | JSON_SORT_KEYS);
        reply("state %s", t);
        free(t);
    } else if (!strcmp(line, "info")) {
        reply("info %s %llu", cp_store_is_leader(S) ? "leader" : "other",
              (unsigned long long)cp_store_leader(S));
    } else {
        reply("error unknown command");
    }
}

static void on_stdin(ev_loop *loop, int fd, void *data, int mask) {
    char buf[4096], *nl;
    ssize_t n = read(fd, buf, sizeof(buf));
    (void)data;
    (void)mask;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        ev_del_file(loop, fd, EV_READABLE);
        ev_stop(loop);
        return;
    }
    if (n < 0) return;
    sbuf_append(&IN, buf, (size_t)n);
    while ((nl = memchr(IN.data, '\n', IN.len))) {
        size_t len = (size_t)(nl - IN.data);
        char *line = strndup(IN.data, len);
        sbuf_consume(&IN, len + 1);
        command(line);
        free(line);
    }
}

static void before_sleep(ev_loop *loop, void *data) {
    (void)data;
    conn_process_pending(loop);
}

static int issue(const char *dir, const char *file, const pki_key *key, const char *uri,
                 pki_usage usage, const pki_cert *ca, const pki_key *cak) {
    pki_names n;
    pki_issue_req r;
    pki_cert *c;
    char err[256], path[512];
    const char *uris[1] = {uri};
    int rc;
    memset(&n, 0, sizeof(n));
    n.cn = uri ? "node" : "cluster CA";
    n.uris = uri ? uris : NULL;
    n.nuris = uri ? 1 : 0;
    memset(&r, 0, sizeof(r));
    r.subject_key = key;
    r.names = &n;
    r.usage = usage;
    r.days = 2;
    r.issuer = ca;
    r.issuer_key = cak;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    if ((rc = pki_cert_issue(&r, &c, err, sizeof(err))) == 0) {
        rc = pki_cert_save(c, path, err, sizeof(err));
        pki_cert_free(c);
    }
    if (rc) fprintf(stderr, "%s: %s\n", file, err);
    return rc;
}

static int gencerts(const char *dir, const char *cluster, int n) {
    pki_key *cak, *nk;
    pki_cert *ca;
    char err[256], path[512], uri[256], file[64];
    int i, rc = 1;
    mkdir(dir, 0700);
    if (pki_key_generate(PKI_KEY_RSA2048, &cak, err, sizeof(err)) ||
        pki_key_generate(PKI_KEY_RSA2048, &nk, err, sizeof(err))) {
        fprintf(stderr, "keys: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/node.key", dir);
    if (pki_key_save(nk, path, err, sizeof(err)) ||
        issue(dir, "ca.crt", cak, NULL, PKI_USE_CA, NULL, NULL))
        goto out;
    snprintf(path, sizeof(path), "%s/ca.crt", dir);
    if (pki_cert_load(path, &ca, err, sizeof(err))) goto out;
    for (i = 1; i <= n; i++) {
        snprintf(uri, sizeof(uri), "sealkv://%s/node/%d/control", cluster, i);
        snprintf(file, sizeof(file), "node%d.crt", i);
        if (issue(dir, file, nk, uri, PKI_USE_BOTH, ca, cak)) break;
    }
    rc = i <= n;
    pki_cert_free(ca);
out:
    pki_key_free(cak);
    pki_key_free(nk);
    return rc;
}

int main(int argc, char **argv) {
    cp_store_config c;
    char err[256], crt[512], key[512], ca[512];
    if (argc == 5 && !strcmp(argv[1], "gencerts")) return gencerts(argv[2], argv[3], atoi(argv[4]));
    if (argc < 7 || strcmp(argv[1], "run")) {
        fprintf(stderr, "usage: cp_driver gencerts DIR CLUSTER N | run ID DIR ADDR CLUSTER CERTDIR "
                        "[ELECTION_MS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log_open("/dev/stderr"); /* stdout carries the replies */
    log_set_level(LOG_NOTICE);
    L = ev_create(1024);
    ev_set_before_sleep(L, before_sleep, NULL);
    snprintf(crt, sizeof(crt), "%s/node%s.crt", argv[6], argv[2]);
    snprintf(key, sizeof(key), "%s/node.key", argv[6]);
    snprintf(ca, sizeof(ca), "%s/ca.crt", argv[6]);
    memset(&c, 0, sizeof(c));
    c.loop = L;
    c.node_id = strtoull(argv[2], NULL, 10);
    c.dir = argv[3];
    c.addr = argv[4];
    c.cluster_uid = argv[5];
    c.ca_file = ca;
    c.cert_file = crt;
    c.key_file = key;
    c.election_timeout_ms = argc > 7 ? (unsigned)atoi(argv[7]) : 0;
    if (cp_store_open(&c, &S, err, sizeof(err))) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    ev_add_file(L, 0, EV_READABLE, on_stdin, NULL);
    reply("ready %s", cp_store_addr(S));
    ev_run(L);
    cp_store_close(S);
    ev_destroy(L);
    sbuf_free(&IN);
    return 0;
}
