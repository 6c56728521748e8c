/* setup.c - `init` and `reissue`: a whole directory of certificates.
 *
 *   DIR/ca/root.crt, DIR/ca/root.key      the CA (directory 0700, key 0600)
 *   DIR/server/root.crt, server.crt, server.key
 *   DIR/client/root.crt, client.crt, client.key
 *
 * Everything is generated in memory first and written after, so a failure to
 * generate leaves the directory as it was. Each file is replaced atomically.
 */
#include "certs.h"

#include "../core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_DEFAULT_DAYS 3650

typedef struct layout {
    char *dir, *ca_dir, *srv_dir, *cli_dir;
    char *ca_key, *ca_crt, *srv_root, *srv_crt, *srv_key, *cli_root, *cli_crt, *cli_key;
} layout;

typedef struct bundle {
    pki_key *ca_key, *srv_key, *cli_key;
    pki_cert *ca, *srv, *cli;
    int ca_is_new; /* write DIR/ca too */
} bundle;

static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = sk_malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static void layout_init(layout *l, const char *dir) {
    l->dir = sk_strdup(dir);
    l->ca_dir = path_join(dir, "ca");
    l->srv_dir = path_join(dir, "server");
    l->cli_dir = path_join(dir, "client");
    l->ca_key = path_join(l->ca_dir, "root.key");
    l->ca_crt = path_join(l->ca_dir, "root.crt");
    l->srv_root = path_join(l->srv_dir, "root.crt");
    l->srv_crt = path_join(l->srv_dir, "server.crt");
    l->srv_key = path_join(l->srv_dir, "server.key");
    l->cli_root = path_join(l->cli_dir, "root.crt");
    l->cli_crt = path_join(l->cli_dir, "client.crt");
    l->cli_key = path_join(l->cli_dir, "client.key");
}

static void layout_free(layout *l) {
    char *all[] = {l->dir,      l->ca_dir,  l->srv_dir, l->cli_dir,  l->ca_key,  l->ca_crt,
                   l->srv_root, l->srv_crt, l->srv_key, l->cli_root, l->cli_crt, l->cli_key};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sk_free(all[i]);
}

static void bundle_free(bundle *b) {
    pki_key_free(b->ca_key);
    pki_key_free(b->srv_key);
    pki_key_free(b->cli_key);
    pki_cert_free(b->ca);
    pki_cert_free(b->srv);
    pki_cert_free(b->cli);
}

/* ---- directories -------------------------------------------------------- */

static int make_dir(const char *path, mode_t mode) {
    struct stat st;
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return certs_fail("cannot create directory %s: %s", path, strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return certs_fail("%s exists and is not a directory", path);
    /* The CA directory must stay private even if it existed before. */
    if (mode == 0700 && chmod(path, 0700) != 0)
        return certs_fail("cannot set mode 0700 on %s: %s", path, strerror(errno));
    return CERTS_OK;
}

/* mkdir -p for DIR itself (its parents may not exist yet). */
static int make_dir_parents(const char *dir) {
    char *p = sk_strdup(dir);
    int rc = CERTS_OK;
    for (char *s = p + 1; *s != '\0' && rc == CERTS_OK; s++) {
        if (*s != '/') continue;
        *s = '\0';
        rc = make_dir(p, 0755);
        *s = '/';
    }
    if (rc == CERTS_OK) rc = make_dir(p, 0755);
    sk_free(p);
    return rc;
}

static int make_dirs(const layout *l) {
    int rc = make_dir_parents(l->dir);
    if (rc == CERTS_OK) rc = make_dir(l->ca_dir, 0700);
    if (rc == CERTS_OK) rc = make_dir(l->srv_dir, 0755);
    if (rc == CERTS_OK) rc = make_dir(l->cli_dir, 0755);
    return rc;
}

/* ---- names -------------------------------------------------------------- */

static int strv_has(const certs_strv *sv, const char *s) {
    for (size_t i = 0; i < sv->n; i++)
        if (strcasecmp(sv->v[i], s) == 0) return 1;
    return 0;
}

static void push_unique(certs_strv *sv, const char *s) {
    if (!strv_has(sv, s)) certs_strv_push(sv, s);
}

/* Names of the current server certificate, kept by reissue when no --dns or
 * --ip is given. The strings point into info, which must outlive dns/ips. */
static void names_from_info(const pki_cert_info *info, certs_strv *dns, certs_strv *ips) {
    for (size_t i = 0; i < info->nsans; i++) {
        const char *s = info->sans[i];
        if (strncmp(s, "DNS:", 4) == 0)
            push_unique(dns, s + 4);
        else if (strncmp(s, "IP Address:", 11) == 0)
            push_unique(ips, s + 11);
    }
}

static void server_names(const certs_opts *o, const pki_cert_info *old, certs_strv *dns,
                         certs_strv *ips) {
    if (old != NULL && o->dns.n + o->ips.n == 0) {
        names_from_info(old, dns, ips);
        if (dns->n + ips->n > 0) return;
    }
    for (size_t i = 0; i < o->dns.n; i++)
        push_unique(dns, o->dns.v[i]);
    for (size_t i = 0; i < o->ips.n; i++)
        push_unique(ips, o->ips.v[i]);
    push_unique(dns, "localhost");
    push_unique(ips, "127.0.0.1");
    push_unique(ips, "::1");
}

/* ---- generation --------------------------------------------------------- */

static int make_ca(const certs_opts *o, bundle *b) {
    pki_names n = {.cn = "sealkv Root CA"};
    /* The root outlives the leaves it signs, whatever --days says. */
    int days = o->days > CA_DEFAULT_DAYS ? o->days : CA_DEFAULT_DAYS;
    b->ca_is_new = 1;
    return certs_make(o->key_type, &n, PKI_USE_CA, days, NULL, NULL, &b->ca_key, &b->ca);
}

static int make_leaves(const certs_opts *o, const pki_cert_info *old, bundle *b) {
    certs_strv dns = {0}, ips = {0};
    server_names(o, old, &dns, &ips);
    pki_names srv = {.cn = dns.n > 0 ? dns.v[0] : "localhost",
                     .dns = dns.v,
                     .ndns = dns.n,
                     .ips = ips.v,
                     .nips = ips.n};
    pki_names cli = {.cn = "sealkv-client"};
    int rc = certs_make(o->key_type, &srv, PKI_USE_SERVER, o->days, b->ca, b->ca_key, &b->srv_key,
                        &b->srv);
    if (rc == CERTS_OK)
        rc = certs_make(o->key_type, &cli, PKI_USE_CLIENT, o->days, b->ca, b->ca_key, &b->cli_key,
                        &b->cli);
    certs_strv_free(&dns);
    certs_strv_free(&ips);
    return rc;
}

static int write_bundle(const layout *l, const bundle *b) {
    int rc = make_dirs(l);
    if (rc == CERTS_OK && b->ca_is_new)
        rc = certs_write_pair(b->ca, l->ca_crt, b->ca_key, l->ca_key);
    if (rc == CERTS_OK) rc = certs_write_pair(b->ca, l->srv_root, NULL, NULL);
    if (rc == CERTS_OK) rc = certs_write_pair(b->ca, l->cli_root, NULL, NULL);
    if (rc == CERTS_OK) rc = certs_write_pair(b->srv, l->srv_crt, b->srv_key, l->srv_key);
    if (rc == CERTS_OK) rc = certs_write_pair(b->cli, l->cli_crt, b->cli_key, l->cli_key);
    return rc;
}

static void print_summary(const char *verb, const layout *l, const bundle *b) {
    pki_cert_info ca, srv;
    if (pki_cert_get_info(b->ca, &ca) != 0) return;
    if (pki_cert_get_info(b->srv, &srv) != 0) {
        pki_cert_info_free(&ca);
        return;
    }
    printf("%s certificates in %s\n", verb, l->dir);
    printf("  CA:      %s%s\n", l->ca_crt,
           b->ca_is_new ? " (new; key in ca/root.key, keep it private)" : " (kept)");
    printf("  CA SHA-256 fingerprint: %s\n", ca.sha256_fp);
    printf("  server:  %s, %s\n", l->srv_crt, l->srv_key);
    printf("  server names:");
    for (size_t i = 0; i < srv.nsans; i++)
        printf(" %s", srv.sans[i]);
    printf("\n  client:  %s, %s\n", l->cli_crt, l->cli_key);
    printf("server: sealkv-server --port 0 --tls-port 6380 --tls-cert-file %s --tls-key-file %s "
           "--tls-ca-cert-file %s\n",
           l->srv_crt, l->srv_key, l->srv_root);
    printf("client: redis-cli --tls -p 6380 --cacert %s --cert %s --key %s\n", l->cli_root,
           l->cli_crt, l->cli_key);
    pki_cert_info_free(&srv);
    pki_cert_info_free(&ca);
}

/* ---- commands ----------------------------------------------------------- */

static int setup_exists(const layout *l) {
    const char *files[] = {l->ca_key,  l->ca_crt,   l->srv_root, l->srv_crt,
                           l->srv_key, l->cli_root, l->cli_crt,  l->cli_key};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (access(files[i], F_OK) == 0) return 1;
    return 0;
}

int certs_cmd_init(const certs_opts *o) {
    layout l;
    bundle b;
    memset(&b, 0, sizeof(b));
    layout_init(&l, o->pos);
    int rc = CERTS_OK;
    if (!o->force && setup_exists(&l))
        rc = certs_fail("%s already holds certificates; use --force to replace them, or "
                        "'sealkv-certs reissue %s' to renew them",
                        l.dir, l.dir);
    if (rc == CERTS_OK) rc = make_ca(o, &b);
    if (rc == CERTS_OK) rc = make_leaves(o, NULL, &b);
    if (rc == CERTS_OK) rc = write_bundle(&l, &b);
    if (rc == CERTS_OK) print_summary("created", &l, &b);
    bundle_free(&b);
    layout_free(&l);
    return rc;
}

static int load_existing_ca(const layout *l, bundle *b) {
    char err[512] = "";
    if (access(l->ca_key, F_OK) != 0)
        return certs_fail("no CA key at %s: run 'sealkv-certs init %s' first, or use --new-ca",
                          l->ca_key, l->dir);
    if (pki_cert_load(l->ca_crt, &b->ca, err, sizeof(err)) != 0 ||
        pki_key_load(l->ca_key, NULL, &b->ca_key, err, sizeof(err)) != 0)
        return certs_fail("%s", err);
    return CERTS_OK;
}

int certs_cmd_reissue(const certs_opts *o) {
    layout l;
    bundle b;
    memset(&b, 0, sizeof(b));
    layout_init(&l, o->pos);
    pki_cert *old = NULL;
    pki_cert_info info;
    int have_info = 0;
    char err[512] = "";
    if (pki_cert_load(l.srv_crt, &old, err, sizeof(err)) == 0)
        have_info = pki_cert_get_info(old, &info) == 0;
    int rc = o->new_ca ? make_ca(o, &b) : load_existing_ca(&l, &b);
    if (rc == CERTS_OK) rc = make_leaves(o, have_info ? &info : NULL, &b);
    if (rc == CERTS_OK) rc = write_bundle(&l, &b);
    if (rc == CERTS_OK) print_summary("reissued", &l, &b);
    if (have_info) pki_cert_info_free(&info);
    pki_cert_free(old);
    bundle_free(&b);
    layout_free(&l);
    return rc;
}
