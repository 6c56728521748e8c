/* main.c - sealkv-node's command line:
 *   sealkv-node create --name NAME --dir DIR --addr HOST:PORT --api-addr HOST:PORT
 *                      --admin-password-file FILE [--admin-user USER]
 *   sealkv-node join --token TOKEN --dir DIR --addr HOST:PORT --api-addr HOST:PORT PEER
 *   sealkv-node run --dir DIR [--logfile FILE] [--loglevel LEVEL]
 *                   [--election-timeout-ms N] [--heartbeat-ms N]
 * Exit status 0 on success, 1 on any error (explained on stderr). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

static void usage(FILE *f) {
    fprintf(f,
            "Usage:\n"
            "  sealkv-node create --name NAME --dir DIR --addr HOST[:PORT] --api-addr HOST[:PORT]\n"
            "                     --admin-password-file FILE [--admin-user USER]\n"
            "  sealkv-node join --token TOKEN --dir DIR --addr HOST[:PORT] --api-addr HOST[:PORT]\n"
            "                   [--token-file FILE] [--timeout-ms N] PEER_API_HOST[:PORT]\n"
            "  sealkv-node run --dir DIR [--logfile FILE] [--loglevel LEVEL]\n"
            "                  [--election-timeout-ms N] [--heartbeat-ms N]\n"
            "Defaults: control plane port %d, REST API port %d.\n",
            CLUSTER_DEFAULT_CP_PORT, CLUSTER_DEFAULT_API_PORT);
}

enum {
    OPT_NAME = 1,
    OPT_DIR,
    OPT_ADDR,
    OPT_API_ADDR,
    OPT_PWFILE,
    OPT_USER,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_TIMEOUT,
    OPT_LOGFILE,
    OPT_LOGLEVEL,
    OPT_ELECTION,
    OPT_HEARTBEAT,
    OPT_HELP
};

static const struct option long_opts[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"dir", required_argument, NULL, OPT_DIR},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"api-addr", required_argument, NULL, OPT_API_ADDR},
    {"admin-password-file", required_argument, NULL, OPT_PWFILE},
    {"admin-user", required_argument, NULL, OPT_USER},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"logfile", required_argument, NULL, OPT_LOGFILE},
    {"loglevel", required_argument, NULL, OPT_LOGLEVEL},
    {"election-timeout-ms", required_argument, NULL, OPT_ELECTION},
    {"heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct cli {
    const char *name, *dir, *addr, *api_addr, *pwfile, *user, *token, *token_file;
    const char *logfile, *loglevel;
    int timeout_ms;
    unsigned election_ms, heartbeat_ms;
} cli;

static int parse_uint(const char *s, unsigned max, unsigned *out) {
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || v > max) return -1;
    *out = (unsigned)v;
    return 0;
}

/* Parses the options that follow the command; returns the index of the first
 * operand, or -1 after printing the error. */
static int parse(int argc, char **argv, cli *c) {
    int opt;
    unsigned u;
    optind = 2;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (opt) {
        case OPT_NAME:
            c->name = optarg;
            break;
        case OPT_DIR:
            c->dir = optarg;
            break;
        case OPT_ADDR:
            c->addr = optarg;
            break;
        case OPT_API_ADDR:
            c->api_addr = optarg;
            break;
        case OPT_PWFILE:
            c->pwfile = optarg;
            break;
        case OPT_USER:
            c->user = optarg;
            break;
        case OPT_TOKEN:
            c->token = optarg;
            break;
        case OPT_TOKEN_FILE:
            c->token_file = optarg;
            break;
        case OPT_LOGFILE:
            c->logfile = optarg;
            break;
        case OPT_LOGLEVEL:
            c->loglevel = optarg;
            break;
        case OPT_TIMEOUT:
        case OPT_ELECTION:
        case OPT_HEARTBEAT:
            if (parse_uint(optarg, 3600000, &u) != 0) {
                fprintf(stderr, "sealkv-node: %s needs a number of milliseconds\n",
                        argv[optind - 1]);
                return -1;
            }
            if (opt == OPT_TIMEOUT)
                c->timeout_ms = (int)u;
            else if (opt == OPT_ELECTION)
                c->election_ms = u;
            else
                c->heartbeat_ms = u;
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "sealkv-node: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    return optind;
}

/* --token-file: the token without it showing in the process list. */
static int read_token_file(const char *path, char *buf, size_t len) {
    FILE *f = fopen(path, "re");
    if (f == NULL) return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

int main(int argc, char **argv) {
    char err[1024] = "";
    char token_buf[512];
    cli c;
    memset(&c, 0, sizeof(c));
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    const char *cmd = argv[1];
    int first = parse(argc, argv, &c);
    if (first < 0) return 1;
    int rc;
    if (strcmp(cmd, "create") == 0 && first == argc) {
        cluster_create_opts o = {.name = c.name,
                                 .dir = c.dir,
                                 .addr = c.addr,
                                 .api_addr = c.api_addr,
                                 .admin_password_file = c.pwfile,
                                 .admin_user = c.user};
        rc = cluster_create(&o, err, sizeof(err));
    } else if (strcmp(cmd, "join") == 0 && first == argc - 1) {
        if (c.token == NULL && c.token_file != NULL) {
            if (read_token_file(c.token_file, token_buf, sizeof(token_buf)) != 0) {
                fprintf(stderr, "sealkv-node: cannot read %s\n", c.token_file);
                return 1;
            }
            c.token = token_buf;
        }
        cluster_join_opts o = {.token = c.token,
                               .dir = c.dir,
                               .addr = c.addr,
                               .api_addr = c.api_addr,
                               .peer = argv[first],
                               .timeout_ms = c.timeout_ms};
        rc = cluster_join(&o, err, sizeof(err));
    } else if (strcmp(cmd, "run") == 0 && first == argc) {
        cluster_run_opts o = {.dir = c.dir,
                              .logfile = c.logfile,
                              .loglevel = c.loglevel,
                              .election_timeout_ms = c.election_ms,
                              .heartbeat_ms = c.heartbeat_ms};
        rc = cluster_run(&o, err, sizeof(err));
    } else {
        usage(stderr);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "sealkv-node %s: %s\n", cmd, err[0] ? err : "failed");
        return 1;
    }
    return 0;
}
