/* sealkv-admin - the operator's CLI over sealkv-node's REST API (the role of
 * rladmin). Speaks HTTPS with the cluster CA certificate for verification
 * and HTTP Basic credentials; follows one redirect to the leader.
 *
 *   sealkv-admin [options] status | nodes | node remove ID | cluster info
 *
 * Options fall back to SEALKV_ADMIN_HOST / _PORT / _CACERT / _USER /
 * _PASSWORD. The password comes from --password-file (- for standard input),
 * the environment, or a prompt on the terminal with echo off; never from the
 * command line (visible in ps), and it is never printed.
 * Exit status: 0 success, 1 error reported by the server or the transport,
 * 2 usage.
 */
#include "../core/err.h"
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "../net/https_client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PORT 9443
#define MAX_COLS 16

typedef struct admin_opts {
    const char *host, *cacert, *user;
    char *password; /* owned, wiped at exit */
    int port, timeout_ms, json;
} admin_opts;

static void usage(FILE *f) {
    fprintf(f, "usage: sealkv-admin [--host H] [--port P] [--cacert F] [--user U]\n"
               "                    [--password-file F|-] [--timeout MS] [--json] COMMAND\n"
               "commands:\n"
               "  status            cluster summary and the nodes table\n"
               "  nodes             the nodes table\n"
               "  node remove ID    removes a node from the cluster\n"
               "  cluster info      the cluster's settings\n"
               "environment: SEALKV_ADMIN_HOST, SEALKV_ADMIN_PORT, SEALKV_ADMIN_CACERT,\n"
               "             SEALKV_ADMIN_USER, SEALKV_ADMIN_PASSWORD\n");
}

/* First line of a file ("-": standard input), without its line end. Owned,
 * or NULL with errno. */
static char *read_password_file(const char *path) {
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (f == NULL) return NULL;
    char buf[1024];
    char *got = fgets(buf, sizeof(buf), f);
    if (!is_stdin) fclose(f);
    if (got == NULL) {
        errno = EINVAL;
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    char *out = sk_strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return out;
}

/* Asks on the terminal with echo off; NULL when there is no terminal. */
static char *prompt_password(void) {
    FILE *tty = fopen("/dev/tty", "r+");
    struct termios old, quiet;
    char buf[1024];
    char *out = NULL;
    if (tty == NULL) return NULL;
    if (tcgetattr(fileno(tty), &old) != 0) goto done;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fputs("Password: ", tty);
    fflush(tty);
    if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) != 0) goto done;
    if (fgets(buf, sizeof(buf), tty) != NULL) {
        buf[strcspn(buf, "\r\n")] = '\0';
        out = sk_strdup(buf);
    }
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputs("\n", tty);
    explicit_bzero(buf, sizeof(buf));
done:
    fclose(tty);
    return out;
}

static int parse_port(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v <= 0 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

/* Prints "error: <description> (<code>)" from a JSON error body. */
static void print_http_error(const https_response *r) {
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
    const char *desc = json_string_value(json_object_get(j, "description"));
    const char *code = json_string_value(json_object_get(j, "error_code"));
    if (desc != NULL)
        fprintf(stderr, "error: %s (%s)\n", desc, code ? code : "unknown");
    else
        fprintf(stderr, "error: the server answered HTTP %d\n", r->status);
    json_decref(j);
}

/* Does one request; on success returns the parsed JSON body (owned; may be
 * JSON null for an empty body), else prints the error and returns NULL. */
static json_t *call(const admin_opts *o, const char *method, const char *path) {
    https_target t = {
        .host = o->host,
        .port = o->port,
        .ca_file = o->cacert,
        .user = o->user,
        .password = o->password,
        .timeout_ms = o->timeout_ms,
        .follow_redirects = 1,
    };
    https_response r;
    char err[512];
    json_t *j = NULL;
    int rc = https_request(&t, method, path, NULL, &r, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err[0] ? err : sk_strerror(rc));
        goto done;
    }
    if (r.status >= 300) {
        print_http_error(&r);
        goto done;
    }
    if (r.body_len == 0) {
        j = json_null();
        goto done;
    }
    json_error_t je;
    j = json_loadb(r.body, r.body_len, JSON_DECODE_ANY, &je);
    if (j == NULL) fprintf(stderr, "error: the server sent invalid JSON: %s\n", je.text);
done:
    https_response_free(&r);
    return j;
}

/* Text of a scalar for a table cell; owned. Objects/arrays as compact JSON. */
static char *cell_text(const json_t *v) {
    char buf[64];
    if (v == NULL || json_is_null(v)) return sk_strdup("-");
    if (json_is_string(v)) return sk_strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return sk_strdup(buf);
    }
    if (json_is_boolean(v)) return sk_strdup(json_is_true(v) ? "yes" : "no");
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *out = sk_strdup(d ? d : "?");
    free(d);
    return out;
}

/* Prints an array of objects as a table: the scalar keys, in first-seen order. */
static void print_table(const json_t *arr) {
    const char *cols[MAX_COLS];
    size_t ncols = 0, width[MAX_COLS], i;
    json_t *row, *v;
    const char *k;
    json_array_foreach(arr, i, row) {
        json_object_foreach((json_t *)row, k, v) {
            if (json_is_object(v) || json_is_array(v)) continue;
            size_t c = 0;
            while (c < ncols && strcmp(cols[c], k) != 0)
                c++;
            if (c == ncols && ncols < MAX_COLS) {
                cols[ncols] = k;
                width[ncols++] = strlen(k);
            }
        }
    }
    if (ncols == 0) {
        printf("(none)\n");
        return;
    }
    json_array_foreach(arr, i, row) {
        for (size_t c = 0; c < ncols; c++) {
            char *t = cell_text(json_object_get(row, cols[c]));
            if (strlen(t) > width[c]) width[c] = strlen(t);
            sk_free(t);
        }
    }
    for (size_t c = 0; c < ncols; c++) {
        for (const char *p = cols[c]; *p; p++)
            putchar(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        printf("%*s", (int)(width[c] - strlen(cols[c]) + (c + 1 < ncols ? 2 : 0)), "");
    }
    putchar('\n');
    json_array_foreach(arr, i, row) {
        for (size_t c = 0; c < ncols; c++) {
            char *t = cell_text(json_object_get(row, cols[c]));
            if (c + 1 < ncols)
                printf("%-*s  ", (int)width[c], t);
            else
                printf("%s", t);
            sk_free(t);
        }
        putchar('\n');
    }
}

/* "key: value" lines for an object; nested objects indented. */
static void print_object(const json_t *obj, int indent) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_is_object(v)) {
            printf("%*s%s:\n", indent, "", k);
            print_object(v, indent + 2);
            continue;
        }
        char *t = cell_text(v);
        printf("%*s%s: %s\n", indent, "", k, t);
        sk_free(t);
    }
}

static void print_json(const json_t *j) {
    char *d = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (d) printf("%s\n", d);
    free(d);
}

static const json_t *nodes_array(const json_t *j) {
    if (json_is_array(j)) return j;
    const json_t *a = json_object_get(j, "nodes");
    return json_is_array(a) ? a : NULL;
}

static int cmd_nodes(const admin_opts *o) {
    json_t *j = call(o, "GET", "/v1/nodes");
    if (j == NULL) return 1;
    const json_t *arr = nodes_array(j);
    if (o->json)
        print_json(j);
    else if (arr != NULL)
        print_table(arr);
    else
        fprintf(stderr, "error: unexpected answer from GET /v1/nodes\n");
    int rc = o->json || arr != NULL ? 0 : 1;
    json_decref(j);
    return rc;
}

static int cmd_cluster_info(const admin_opts *o) {
    json_t *j = call(o, "GET", "/v1/cluster");
    if (j == NULL) return 1;
    if (o->json || !json_is_object(j))
        print_json(j);
    else
        print_object(j, 0);
    json_decref(j);
    return 0;
}

static int cmd_status(const admin_opts *o) {
    json_t *c = call(o, "GET", "/v1/cluster");
    if (c == NULL) return 1;
    json_t *n = call(o, "GET", "/v1/nodes");
    if (n == NULL) {
        json_decref(c);
        return 1;
    }
    if (o->json) {
        json_t *both = json_pack("{s:O, s:O}", "cluster", c, "nodes", n);
        print_json(both);
        json_decref(both);
    } else {
        printf("CLUSTER:\n");
        const char *keys[] = {"name", "uid", "leader", "nodes", "description"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            json_t *v = json_object_get(c, keys[i]);
            if (v == NULL) continue;
            char *t = cell_text(v);
            printf("  %s: %s\n", keys[i], t);
            sk_free(t);
        }
        printf("\nNODES:\n");
        const json_t *arr = nodes_array(n);
        if (arr != NULL)
            print_table(arr);
        else
            printf("(unknown)\n");
    }
    json_decref(c);
    json_decref(n);
    return 0;
}

static int cmd_node_remove(const admin_opts *o, const char *id) {
    char path[64];
    char *end;
    unsigned long long v = strtoull(id, &end, 10);
    if (*id == '\0' || *end != '\0' || *id == '-' || v == 0) {
        fprintf(stderr, "error: node ID must be a positive integer, not '%s'\n", id);
        return 2;
    }
    snprintf(path, sizeof(path), "/v1/nodes/%llu", v);
    json_t *j = call(o, "DELETE", path);
    if (j == NULL) return 1;
    if (o->json)
        print_json(j);
    else
        printf("node %llu removed\n", v);
    json_decref(j);
    return 0;
}

static int run(admin_opts *o, int argc, char **argv) {
    if (argc == 1 && strcmp(argv[0], "status") == 0) return cmd_status(o);
    if (argc == 1 && strcmp(argv[0], "nodes") == 0) return cmd_nodes(o);
    if (argc == 3 && strcmp(argv[0], "node") == 0 && strcmp(argv[1], "remove") == 0)
        return cmd_node_remove(o, argv[2]);
    if (argc == 2 && strcmp(argv[0], "cluster") == 0 && strcmp(argv[1], "info") == 0)
        return cmd_cluster_info(o);
    fprintf(stderr, "error: unknown command\n");
    usage(stderr);
    return 2;
}

int main(int argc, char **argv) {
    admin_opts o = {0};
    const char *pwfile = NULL, *env;
    int i, rc;

    o.host = getenv("SEALKV_ADMIN_HOST");
    o.cacert = getenv("SEALKV_ADMIN_CACERT");
    o.user = getenv("SEALKV_ADMIN_USER");
    o.port = DEFAULT_PORT;
    if ((env = getenv("SEALKV_ADMIN_PORT")) != NULL && parse_port(env, &o.port) != 0) {
        fprintf(stderr, "error: SEALKV_ADMIN_PORT is not a port number\n");
        return 2;
    }
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            o.json = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "error: %s needs a value\n", a);
            return 2;
        }
        const char *val = argv[++i];
        if (strcmp(a, "--host") == 0)
            o.host = val;
        else if (strcmp(a, "--cacert") == 0)
            o.cacert = val;
        else if (strcmp(a, "--user") == 0)
            o.user = val;
        else if (strcmp(a, "--password-file") == 0)
            pwfile = val;
        else if (strcmp(a, "--port") == 0 && parse_port(val, &o.port) == 0)
            continue;
        else if (strcmp(a, "--timeout") == 0 && atoi(val) > 0)
            o.timeout_ms = atoi(val);
        else {
            fprintf(stderr, "error: bad option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    if (o.host == NULL || !o.host[0]) o.host = "127.0.0.1";
    if (o.cacert == NULL || !o.cacert[0]) {
        fprintf(stderr, "error: the cluster CA certificate is required (--cacert or "
                        "SEALKV_ADMIN_CACERT)\n");
        return 2;
    }
    if (pwfile != NULL) {
        o.password = read_password_file(pwfile);
        if (o.password == NULL) {
            fprintf(stderr, "error: cannot read the password file %s: %s\n", pwfile,
                    strerror(errno));
            return 2;
        }
    } else if ((env = getenv("SEALKV_ADMIN_PASSWORD")) != NULL) {
        o.password = sk_strdup(env);
    } else if (o.user != NULL && o.user[0] && isatty(STDIN_FILENO)) {
        o.password = prompt_password();
    }
    rc = run(&o, argc - i, argv + i);
    if (o.password != NULL) {
        explicit_bzero(o.password, strlen(o.password));
        sk_free(o.password);
    }
    return rc;
}
