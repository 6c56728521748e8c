/* main.c - sealkv-certs: command line, and the one-file commands.
 *
 *   sealkv-certs init DIR      a root CA plus server and client certificates
 *   sealkv-certs reissue DIR   new server/client certificates (same or new CA)
 *   sealkv-certs issue server|client ...   one certificate from a given CA
 *   sealkv-certs ca ...        a root CA only
 *   sealkv-certs show FILE     what a certificate says
 *
 * Exit codes: 0 done, 1 failed (the reason on stderr), 2 bad usage.
 */
#include "certs.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { C_INIT = 1, C_REISSUE = 2, C_ISSUE = 4, C_CA = 8, C_SHOW = 16 };

enum flag_id {
    F_DNS,
    F_IP,
    F_URI,
    F_EMAIL,
    F_CN,
    F_DAYS,
    F_KEY_TYPE,
    F_FORCE,
    F_NEW_CA,
    F_CA_CERT,
    F_CA_KEY,
    F_OUT_CERT,
    F_OUT_KEY,
};

typedef struct flag {
    const char *name;
    enum flag_id id;
    int has_value;
    int cmds; /* commands that accept it */
} flag;

static const flag flags[] = {
    {"--dns", F_DNS, 1, C_INIT | C_REISSUE | C_ISSUE},
    {"--ip", F_IP, 1, C_INIT | C_REISSUE | C_ISSUE},
    {"--uri", F_URI, 1, C_ISSUE},
    {"--email", F_EMAIL, 1, C_ISSUE},
    {"--cn", F_CN, 1, C_ISSUE | C_CA},
    {"--days", F_DAYS, 1, C_INIT | C_REISSUE | C_ISSUE | C_CA},
    {"--key-type", F_KEY_TYPE, 1, C_INIT | C_REISSUE | C_ISSUE | C_CA},
    {"--force", F_FORCE, 0, C_INIT | C_ISSUE | C_CA},
    {"--new-ca", F_NEW_CA, 0, C_REISSUE},
    {"--ca-cert", F_CA_CERT, 1, C_ISSUE},
    {"--ca-key", F_CA_KEY, 1, C_ISSUE},
    {"--out-cert", F_OUT_CERT, 1, C_ISSUE | C_CA},
    {"--out-key", F_OUT_KEY, 1, C_ISSUE | C_CA},
};

static const char usage_text[] =
    "usage: sealkv-certs <command> [options]\n"
    "\n"
    "commands:\n"
    "  init DIR [--dns NAME]... [--ip ADDR]... [--days N] [--key-type rsa|ec] [--force]\n"
    "      Create a root CA and a server and a client certificate:\n"
    "        DIR/server/{root.crt,server.crt,server.key}\n"
    "        DIR/client/{root.crt,client.crt,client.key}\n"
    "        DIR/ca/{root.crt,root.key}  (the CA key, kept for reissue; mode 0600)\n"
    "      Server names: the given ones plus localhost, 127.0.0.1 and ::1.\n"
    "      Refuses to overwrite an existing setup unless --force.\n"
    "  reissue DIR [--new-ca] [--dns NAME]... [--ip ADDR]... [--days N] [--key-type rsa|ec]\n"
    "      New server and client certificates under the same root CA (or a new\n"
    "      one with --new-ca, which also replaces both root.crt copies). Without\n"
    "      --dns/--ip the names of the current server certificate are kept.\n"
    "  issue server|client --ca-cert F --ca-key F --out-cert F --out-key F\n"
    "        [--cn NAME] [--dns NAME]... [--ip ADDR]... [--uri URI]... [--email ADDR]...\n"
    "        [--days N] [--key-type rsa|ec] [--force]\n"
    "      One certificate and its new key, signed by the given CA.\n"
    "  ca --out-cert F --out-key F [--cn NAME] [--days N] [--key-type rsa|ec] [--force]\n"
    "      A self-signed root CA.\n"
    "  show FILE\n"
    "      Subject, issuer, names, serial, validity, SHA-256 fingerprint of a\n"
    "      PEM certificate.\n"
    "\n"
    "defaults: RSA-2048 keys (the widest client compatibility), 365 days for\n"
    "server and client certificates, 3650 days for a CA. Key files are written\n"
    "with mode 0600; existing output files are kept unless --force.\n"
    "exit status: 0 success, 1 failure, 2 usage error.\n";

/* ---- shared helpers ------------------------------------------------------ */

void certs_strv_push(certs_strv *sv, const char *s) {
    sv->v = sk_realloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
    sv->v[sv->n++] = s;
}

void certs_strv_free(certs_strv *sv) {
    sk_free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

int certs_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("sealkv-certs: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CERTS_FAIL;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("sealkv-certs: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n(see sealkv-certs --help)\n", stderr);
    va_end(ap);
    return CERTS_USAGE;
}

int certs_make(pki_key_type type, const pki_names *names, pki_usage usage, int days,
               const pki_cert *ca, const pki_key *ca_key, pki_key **key_out, pki_cert **cert_out) {
    char err[512] = "";
    *cert_out = NULL;
    if (pki_key_generate(type, key_out, err, sizeof(err)) != 0) return certs_fail("%s", err);
    pki_issue_req req = {.subject_key = *key_out,
                         .names = names,
                         .usage = usage,
                         .days = days,
                         .issuer = ca,
                         .issuer_key = ca_key};
    if (pki_cert_issue(&req, cert_out, err, sizeof(err)) != 0) {
        pki_key_free(*key_out);
        *key_out = NULL;
        return certs_fail("%s", err);
    }
    return CERTS_OK;
}

int certs_write_pair(const pki_cert *cert, const char *cert_path, const pki_key *key,
                     const char *key_path) {
    char err[512] = "";
    if (key != NULL && pki_key_save(key, key_path, err, sizeof(err)) != 0)
        return certs_fail("%s", err);
    if (pki_cert_save(cert, cert_path, err, sizeof(err)) != 0) return certs_fail("%s", err);
    return CERTS_OK;
}

/* ---- parsing -------------------------------------------------------------- */

static int cmd_bit(const char *cmd) {
    static const struct {
        const char *name;
        int bit;
    } cmds[] = {
        {"init", C_INIT}, {"reissue", C_REISSUE}, {"issue", C_ISSUE},
        {"ca", C_CA},     {"show", C_SHOW},
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(cmd, cmds[i].name) == 0) return cmds[i].bit;
    return 0;
}

static int parse_days(const char *s, int *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    /* 100 years is far past any sane certificate and keeps the arithmetic small. */
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 36500)
        return usage_error("--days needs a whole number of days from 1 to 36500, not '%s'", s);
    *out = (int)v;
    return 0;
}

static int set_flag(certs_opts *o, enum flag_id id, const char *v) {
    unsigned char buf[16];
    switch (id) {
    case F_DNS:
        certs_strv_push(&o->dns, v);
        return 0;
    case F_IP:
        if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
            return usage_error("--ip needs an IPv4 or IPv6 address, not '%s'", v);
        certs_strv_push(&o->ips, v);
        return 0;
    case F_URI:
        certs_strv_push(&o->uris, v);
        return 0;
    case F_EMAIL:
        certs_strv_push(&o->emails, v);
        return 0;
    case F_CN:
        o->cn = v;
        return 0;
    case F_DAYS:
        return parse_days(v, &o->days);
    case F_KEY_TYPE:
        if (strcmp(v, "rsa") == 0)
            o->key_type = PKI_KEY_RSA2048;
        else if (strcmp(v, "ec") == 0)
            o->key_type = PKI_KEY_EC_P256;
        else
            return usage_error("--key-type must be rsa or ec, not '%s'", v);
        return 0;
    case F_FORCE:
        o->force = 1;
        return 0;
    case F_NEW_CA:
        o->new_ca = 1;
        return 0;
    case F_CA_CERT:
        o->ca_cert = v;
        return 0;
    case F_CA_KEY:
        o->ca_key = v;
        return 0;
    case F_OUT_CERT:
        o->out_cert = v;
        return 0;
    case F_OUT_KEY:
        o->out_key = v;
        return 0;
    }
    return CERTS_USAGE;
}

/* One "--name value", "--name=value" or "--switch" at argv[*i]. */
static int parse_flag(certs_opts *o, int bit, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
        if (strlen(flags[f].name) != nlen || strncmp(flags[f].name, arg, nlen) != 0) continue;
        if (!(flags[f].cmds & bit))
            return usage_error("option %s does not apply to '%s'", flags[f].name, o->cmd);
        if (!flags[f].has_value) {
            if (eq != NULL) return usage_error("option %s takes no value", flags[f].name);
            return set_flag(o, flags[f].id, NULL);
        }
        const char *v = eq != NULL ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        if (v == NULL || v[0] == '\0') return usage_error("option %s needs a value", flags[f].name);
        return set_flag(o, flags[f].id, v);
    }
    return usage_error("unknown option '%.*s' for '%s'", (int)nlen, arg, o->cmd);
}

static int check_required(const certs_opts *o, int bit) {
    if (o->pos == NULL && bit != C_CA)
        return usage_error("'%s' needs %s", o->cmd,
                           bit == C_SHOW    ? "a certificate FILE"
                           : bit == C_ISSUE ? "server or client"
                                            : "a directory DIR");
    if (bit == C_ISSUE && strcmp(o->pos, "server") != 0 && strcmp(o->pos, "client") != 0)
        return usage_error("'issue' makes a server or a client certificate, not '%s'", o->pos);
    if (bit == C_ISSUE && (o->ca_cert == NULL || o->ca_key == NULL))
        return usage_error("'issue' needs --ca-cert and --ca-key");
    if ((bit == C_ISSUE || bit == C_CA) && (o->out_cert == NULL || o->out_key == NULL))
        return usage_error("'%s' needs --out-cert and --out-key", o->cmd);
    if ((bit == C_ISSUE || bit == C_CA) && strcmp(o->out_cert, o->out_key) == 0)
        return usage_error("--out-cert and --out-key must be different files");
    return 0;
}

static int is_help(const char *a) {
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

/* Returns 0 with o filled, -1 when help was printed, or an exit code. */
static int parse(int argc, char **argv, certs_opts *o) {
    if (argc < 2) return usage_error("no command given");
    if (is_help(argv[1])) {
        fputs(usage_text, stdout);
        return -1;
    }
    o->cmd = argv[1];
    int bit = cmd_bit(o->cmd);
    if (bit == 0) return usage_error("unknown command '%s'", o->cmd);
    for (int i = 2; i < argc; i++) {
        int rc = 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            rc = parse_flag(o, bit, argc, argv, &i);
        else if (o->pos == NULL && bit != C_CA)
            o->pos = argv[i];
        else
            rc = usage_error("unexpected argument '%s'", argv[i]);
        if (rc != 0) return rc;
    }
    return check_required(o, bit);
}

/* ---- issue, ca, show ---------------------------------------------------- */

static int refuse_existing(const char *a, const char *b, int force) {
    const char *paths[] = {a, b};
    for (int i = 0; i < 2 && !force; i++)
        if (access(paths[i], F_OK) == 0)
            return certs_fail("%s exists; use --force to overwrite it", paths[i]);
    return CERTS_OK;
}

static int load_ca(const certs_opts *o, pki_cert **ca, pki_key **key) {
    char err[512] = "";
    *key = NULL;
    if (pki_cert_load(o->ca_cert, ca, err, sizeof(err)) != 0) return certs_fail("%s", err);
    if (pki_key_load(o->ca_key, NULL, key, err, sizeof(err)) != 0) {
        pki_cert_free(*ca);
        *ca = NULL;
        return certs_fail("%s", err);
    }
    return CERTS_OK;
}

static int cmd_issue(const certs_opts *o) {
    int server = strcmp(o->pos, "server") == 0;
    pki_cert *ca = NULL, *cert = NULL;
    pki_key *ca_key = NULL, *key = NULL;
    pki_names n = {.cn = o->cn,
                   .dns = o->dns.v,
                   .ndns = o->dns.n,
                   .ips = o->ips.v,
                   .nips = o->ips.n,
                   .uris = o->uris.v,
                   .nuris = o->uris.n,
                   .emails = o->emails.v,
                   .nemails = o->emails.n};
    const char *cn_dns[1] = {o->cn};
    static const char *def_dns[] = {"localhost"};
    static const char *def_ips[] = {"127.0.0.1", "::1"};
    if (server && n.ndns + n.nips + n.nuris == 0) {
        /* A server certificate without names fails every modern hostname
         * check: use the CN, or loopback when there is none either. */
        if (o->cn != NULL) {
            n.dns = cn_dns, n.ndns = 1;
        } else {
            n.cn = "localhost";
            n.dns = def_dns, n.ndns = 1, n.ips = def_ips, n.nips = 2;
        }
    }
    if (!server && n.cn == NULL) n.cn = "sealkv-client";
    int rc = refuse_existing(o->out_cert, o->out_key, o->force);
    if (rc == 0) rc = load_ca(o, &ca, &ca_key);
    if (rc == 0)
        rc = certs_make(o->key_type, &n, server ? PKI_USE_SERVER : PKI_USE_CLIENT, o->days, ca,
                        ca_key, &key, &cert);
    if (rc == 0) rc = certs_write_pair(cert, o->out_cert, key, o->out_key);
    if (rc == 0) printf("wrote %s certificate %s and key %s\n", o->pos, o->out_cert, o->out_key);
    pki_cert_free(cert);
    pki_cert_free(ca);
    pki_key_free(key);
    pki_key_free(ca_key);
    return rc;
}

static int cmd_ca(const certs_opts *o) {
    pki_cert *cert = NULL;
    pki_key *key = NULL;
    pki_names n = {.cn = o->cn != NULL ? o->cn : "sealkv Root CA"};
    int rc = refuse_existing(o->out_cert, o->out_key, o->force);
    if (rc == 0) rc = certs_make(o->key_type, &n, PKI_USE_CA, o->days, NULL, NULL, &key, &cert);
    if (rc == 0) rc = certs_write_pair(cert, o->out_cert, key, o->out_key);
    if (rc == 0) printf("wrote CA certificate %s and key %s\n", o->out_cert, o->out_key);
    pki_cert_free(cert);
    pki_key_free(key);
    return rc;
}

static void iso_time(long long t, char *buf, size_t len) {
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld", t);
}

static void print_info(const pki_cert_info *info) {
    char nb[32], na[32];
    iso_time(info->not_before, nb, sizeof(nb));
    iso_time(info->not_after, na, sizeof(na));
    long long now = (long long)time(NULL);
    printf("Subject:     %s\n", info->subject);
    printf("Issuer:      %s\n", info->issuer);
    printf("Serial:      %s\n", info->serial_hex);
    printf("SANs:        ");
    for (size_t i = 0; i < info->nsans; i++)
        printf("%s%s", i > 0 ? ", " : "", info->sans[i]);
    printf("%s\n", info->nsans == 0 ? "(none)" : "");
    printf("Not before:  %s\n", nb);
    printf("Not after:   %s\n", na);
    if (now > info->not_after)
        printf("Status:      EXPIRED\n");
    else if (now < info->not_before)
        printf("Status:      not yet valid\n");
    else
        printf("Status:      valid, expires in %lld days\n", (info->not_after - now) / 86400);
    printf("SHA-256 fingerprint: %s\n", info->sha256_fp);
    printf("CA:          %s\n", info->is_ca ? "yes" : "no");
}

static int cmd_show(const certs_opts *o) {
    char err[512] = "";
    pki_cert *cert = NULL;
    pki_cert_info info;
    if (pki_cert_load(o->pos, &cert, err, sizeof(err)) != 0) return certs_fail("%s", err);
    int rc = pki_cert_get_info(cert, &info);
    pki_cert_free(cert);
    if (rc != 0)
        return certs_fail("%s: cannot read the certificate's fields: %s", o->pos, sk_strerror(rc));
    print_info(&info);
    pki_cert_info_free(&info);
    return CERTS_OK;
}

static int run(const certs_opts *o) {
    switch (cmd_bit(o->cmd)) {
    case C_INIT:
        return certs_cmd_init(o);
    case C_REISSUE:
        return certs_cmd_reissue(o);
    case C_ISSUE:
        return cmd_issue(o);
    case C_CA:
        return cmd_ca(o);
    default:
        return cmd_show(o);
    }
}

int main(int argc, char **argv) {
    certs_opts o;
    memset(&o, 0, sizeof(o));
    o.key_type = PKI_KEY_RSA2048;
    int rc = parse(argc, argv, &o);
    if (rc == 0)
        rc = run(&o);
    else if (rc < 0)
        rc = CERTS_OK; /* help printed */
    certs_strv_free(&o.dns);
    certs_strv_free(&o.ips);
    certs_strv_free(&o.uris);
    certs_strv_free(&o.emails);
    return rc;
}
