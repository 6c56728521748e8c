/* main.c - sealkv-server's command line: `sealkv-server [config-file]
 * [--directive value ...]`, as redis-server. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "config.h"
#include "server.h"
#include "server_main.h"

#define SEALKV_VERSION "7.0.15"

static void usage(FILE *f) {
    fprintf(f, "Usage: ./sealkv-server [/path/to/sealkv.conf] [options] [-]\n"
               "       ./sealkv-server -v or --version\n"
               "       ./sealkv-server -h or --help\n\n"
               "Examples:\n"
               "       ./sealkv-server (run the server with default config)\n"
               "       ./sealkv-server /etc/sealkv/6379.conf\n"
               "       ./sealkv-server --port 7777\n"
               "       ./sealkv-server --port 0 --tls-port 6380 --tls-cert-file server.crt \\\n"
               "           --tls-key-file server.key --tls-ca-cert-file root.crt\n");
}

static int daemonize(void) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid > 0) exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
    return 0;
}

static void write_pidfile(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        log_warning("Failed to write PID file: %s", path);
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

int main(int argc, char **argv) {
    const char *conf = NULL;
    int first_opt = 1;
    if (argc >= 2) {
        if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version")) {
            printf("sealkv-server v=%s (Redis protocol 7.0 compatible)\n", SEALKV_VERSION);
            return 0;
        }
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(argv[1], "--", 2)) {
            conf = argv[1];
            first_opt = 2;
        }
    }
    server_config *cfg = config_create_defaults();
    char err[1024];
    if (config_load(cfg, conf, argc - first_opt, argv + first_opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (sealkv-server %s) ***\n%s\n",
                SEALKV_VERSION, err);
        config_free(cfg);
        return 1;
    }
    if (config_apply_dir(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        config_free(cfg);
        return 1;
    }
    if (cfg->daemonize && daemonize() < 0) {
        fprintf(stderr, "fork failed\n");
        config_free(cfg);
        return 1;
    }
    const char *logfile = cfg->logfile ? cfg->logfile : (cfg->daemonize ? "/dev/null" : NULL);
    if (log_open(logfile) < 0) {
        fprintf(stderr, "Can't open the log file: %s\n", logfile);
        config_free(cfg);
        return 1;
    }
    log_set_level((enum log_level)cfg->loglevel);
    log_set_role('M');
    log_notice("oO0OoO0OoO0Oo sealkv-server is starting oO0OoO0OoO0Oo");
    log_notice("sealkv-server version=%s, pid=%d, just started", SEALKV_VERSION, (int)getpid());
    if (conf) log_notice("Configuration loaded");
    server *srv = server_create(cfg, err, sizeof(err));
    if (!srv) {
        log_warning("Failed starting the server: %s", err);
        fprintf(stderr, "Failed starting the server: %s\n", err);
        config_free(cfg);
        log_close();
        return 1;
    }
    if (server_load_data(srv, err, sizeof(err)) < 0) {
        log_warning("Fatal error loading the DB: %s. Exiting.", err);
        fprintf(stderr, "Fatal error loading the DB: %s. Exiting.\n", err);
        server_destroy(srv);
        log_close();
        return 1;
    }
    if (cfg->pidfile) write_pidfile(cfg->pidfile);
    if (cfg->port) log_notice("Ready to accept connections tcp (port %d)", cfg->port);
    if (cfg->tls_port) log_notice("Ready to accept connections tls (port %d)", cfg->tls_port);
    if (cfg->unixsocket) log_notice("Ready to accept connections unix (%s)", cfg->unixsocket);
    server_run(srv);
    log_warning("User requested shutdown...");
    if (cfg->pidfile) unlink(cfg->pidfile);
    server_destroy(srv);
    log_notice("sealkv-server is now ready to exit, bye bye...");
    log_close();
    return 0;
}
