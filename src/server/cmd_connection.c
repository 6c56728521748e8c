/* cmd_connection.c - connection commands: PING ECHO QUIT HELLO AUTH SELECT
 * RESET CLIENT.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "config.h"
#include "multi.h"
#include "networking.h"
#include "pubsub.h"
#include "server.h"
#include "tracking.h"

/* Compares a secret without leaking where it differs through timing. */
static int secret_equal(const char *a, size_t alen, const char *b, size_t blen) {
    unsigned char diff = (unsigned char)(alen != blen);
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static void ping_command(client *c) {
    if (c->argc > 2) {
        add_reply_arity_error(c);
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2) {
        add_reply_array(c, 2);
        add_reply_bulk_cstr(c, "pong");
        if (c->argc == 1)
            add_reply_bulk_cstr(c, "");
        else
            add_reply_bulk_sstr(c, c->argv[1]);
        return;
    }
    if (c->argc == 1)
        add_reply_simple(c, "PONG");
    else
        add_reply_bulk_sstr(c, c->argv[1]);
}

static void echo_command(client *c) {
    add_reply_bulk_sstr(c, c->argv[1]);
}

static void quit_command(client *c) {
    add_reply_ok(c);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* Returns 1 when (user, pass) authenticate the default user. */
static int check_password(client *c, const sstr user, const sstr pass) {
    const char *want = c->srv->cfg->requirepass;
    if (user && strcmp(user, "default") != 0) return 0;
    if (!want) return 1; /* the default user has nopass */
    return secret_equal(pass, sstr_len(pass), want, strlen(want));
}

static void auth_command(client *c) {
    if (c->argc > 3) {
        add_reply_syntax_error(c);
        return;
    }
    if (c->argc == 2 && !c->srv->cfg->requirepass) {
        add_reply_error(c, "ERR AUTH <password> called without any password configured for the "
                           "default user. Are you sure your configuration is correct?");
        return;
    }
    sstr user = c->argc == 3 ? c->argv[1] : NULL;
    sstr pass = c->argv[c->argc - 1];
    if (check_password(c, user, pass)) {
        c->authenticated = 1;
        add_reply_ok(c);
    } else {
        add_reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
    }
}

static void hello_command(client *c) {
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (get_ll_from_arg(c, 1, &ver, "ERR Protocol version is not an integer or out of range") <
            0)
            return;
        next = 2;
        if (ver < 2 || ver > 3) {
            add_reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
    }
    sstr setname = NULL;
    for (int i = next; i < c->argc; i++) {
        int more = c->argc - i - 1;
        if (arg_is(c, i, "auth") && more >= 2) {
            if (!check_password(c, c->argv[i + 1], c->argv[i + 2])) {
                add_reply_error(c, "WRONGPASS invalid username-password pair or user is "
                                   "disabled.");
                return;
            }
            c->authenticated = 1;
            i += 2;
        } else if (arg_is(c, i, "setname") && more >= 1) {
            setname = c->argv[++i];
        } else {
            add_reply_errorf(c, "ERR Syntax error in HELLO option '%.128s'", c->argv[i]);
            return;
        }
    }
    if (!c->authenticated) {
        add_reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                           "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                           "authenticate the client and select the RESP protocol version at the "
                           "same time");
        return;
    }
    if (ver == 3) {
        /* RESP3 replies are not served yet: say so before changing anything. */
        add_reply_error(c, "NOPROTO sealkv-server speaks RESP2 only for now (use HELLO 2)");
        return;
    }
    if (setname) {
        sstr_free(c->name);
        c->name = sstr_len(setname) ? sstr_dup(setname) : NULL;
    }
    add_reply_map(c, 7);
    add_reply_bulk_cstr(c, "server");
    add_reply_bulk_cstr(c, "redis");
    add_reply_bulk_cstr(c, "version");
    add_reply_bulk_cstr(c, "7.0.15");
    add_reply_bulk_cstr(c, "proto");
    add_reply_int(c, 2);
    add_reply_bulk_cstr(c, "id");
    add_reply_int(c, (long long)c->id);
    add_reply_bulk_cstr(c, "mode");
    add_reply_bulk_cstr(c, "standalone");
    add_reply_bulk_cstr(c, "role");
    add_reply_bulk_cstr(c, "master");
    add_reply_bulk_cstr(c, "modules");
    add_reply_array(c, 0);
}

static void select_command(client *c) {
    long long id;
    if (get_ll_from_arg(c, 1, &id, "ERR value is not an integer or out of range") < 0) return;
    if (id < 0 || id >= c->srv->dbnum) {
        add_reply_error(c, "ERR DB index is out of range");
        return;
    }
    client_select_db(c, (int)id);
    add_reply_ok(c);
}

static void reset_command(client *c) {
    if (c->flags & CLIENT_MULTI) multi_discard(c);
    multi_client_free(c);
    pubsub_client_free(c);
    tracking_client_free(c);
    client_select_db(c, 0);
    c->resp = 2;
    sstr_free(c->name);
    c->name = NULL;
    c->authenticated = c->srv->cfg->requirepass == NULL;
    add_reply_simple(c, "RESET");
}

/* --------------------------------------------------------------- CLIENT */

static void client_id_command(client *c) {
    add_reply_int(c, (long long)c->id);
}

static int valid_client_name(const sstr name) {
    for (size_t i = 0; i < sstr_len(name); i++)
        if (name[i] < '!' || name[i] > '~') return 0;
    return 1;
}

static void client_setname_command(client *c) {
    if (!valid_client_name(c->argv[2])) {
        add_reply_error(c, "ERR Client names cannot contain spaces, newlines or special "
                           "characters.");
        return;
    }
    sstr_free(c->name);
    c->name = sstr_len(c->argv[2]) ? sstr_dup(c->argv[2]) : NULL;
    add_reply_ok(c);
}

static void client_getname_command(client *c) {
    if (c->name)
        add_reply_bulk_sstr(c, c->name);
    else
        add_reply_null(c);
}

static void client_info_command(client *c) {
    sbuf line = SBUF_INIT;
    client_info_string(c, &line);
    sbuf_append_str(&line, "\n");
    add_reply_verbatim(c, line.data, line.len, "txt");
    sbuf_free(&line);
}

static int client_type_matches(const client *c, const char *type) {
    if (!strcasecmp(type, "normal"))
        return !(c->flags & (CLIENT_PUBSUB | CLIENT_REPLICA | CLIENT_MASTER));
    if (!strcasecmp(type, "pubsub")) return (c->flags & CLIENT_PUBSUB) != 0;
    if (!strcasecmp(type, "replica") || !strcasecmp(type, "slave"))
        return (c->flags & CLIENT_REPLICA) != 0;
    if (!strcasecmp(type, "master")) return (c->flags & CLIENT_MASTER) != 0;
    return -1;
}

static void client_list_command(client *c) {
    const char *type = NULL;
    uint64_t *ids = NULL;
    int nids = 0;
    if (c->argc == 4 && arg_is(c, 2, "type")) {
        type = c->argv[3];
        if (client_type_matches(c, type) < 0) {
            add_reply_errorf(c, "ERR Unknown client type '%s'", type);
            return;
        }
    } else if (c->argc >= 4 && arg_is(c, 2, "id")) {
        ids = sk_calloc((size_t)(c->argc - 3), sizeof(*ids));
        for (int i = 3; i < c->argc; i++) {
            long long v;
            if (!util_str_to_ll(c->argv[i], sstr_len(c->argv[i]), &v) || v <= 0) {
                add_reply_error(c, "ERR Invalid client ID");
                sk_free(ids);
                return;
            }
            ids[nids++] = (uint64_t)v;
        }
    } else if (c->argc != 2) {
        add_reply_syntax_error(c);
        return;
    }
    sbuf out = SBUF_INIT;
    for (client *o = c->srv->clients; o; o = o->next) {
        if (type && client_type_matches(o, type) != 1) continue;
        if (ids) {
            int found = 0;
            for (int i = 0; i < nids; i++)
                found |= ids[i] == o->id;
            if (!found) continue;
        }
        client_info_string(o, &out);
        sbuf_append_char(&out, '\n');
    }
    add_reply_verbatim(c, out.data ? out.data : "", out.len, "txt");
    sbuf_free(&out);
    sk_free(ids);
}

typedef struct kill_filter {
    const char *addr, *laddr, *type, *user;
    uint64_t id;
    int skipme;
} kill_filter;

static int parse_kill_filter(client *c, kill_filter *f) {
    memset(f, 0, sizeof(*f));
    f->skipme = 1;
    if ((c->argc - 2) % 2) {
        add_reply_syntax_error(c);
        return -1;
    }
    for (int i = 2; i + 1 < c->argc; i += 2) {
        const char *v = c->argv[i + 1];
        if (arg_is(c, i, "id")) {
            long long id;
            if (!util_str_to_ll(v, sstr_len(c->argv[i + 1]), &id) || id <= 0) {
                add_reply_error(c, "ERR client-id should be greater than 0");
                return -1;
            }
            f->id = (uint64_t)id;
        } else if (arg_is(c, i, "addr")) {
            f->addr = v;
        } else if (arg_is(c, i, "laddr")) {
            f->laddr = v;
        } else if (arg_is(c, i, "type")) {
            if (client_type_matches(c, v) < 0) {
                add_reply_errorf(c, "ERR Unknown client type '%s'", v);
                return -1;
            }
            f->type = v;
        } else if (arg_is(c, i, "user")) {
            f->user = v;
        } else if (arg_is(c, i, "skipme")) {
            if (!strcasecmp(v, "yes"))
                f->skipme = 1;
            else if (!strcasecmp(v, "no"))
                f->skipme = 0;
            else {
                add_reply_syntax_error(c);
                return -1;
            }
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

static int kill_matches(const client *self, const client *o, const kill_filter *f) {
    if (f->skipme && o == self) return 0;
    if (f->id && o->id != f->id) return 0;
    if (f->addr && strcmp(o->addr, f->addr)) return 0;
    if (f->laddr && strcmp(o->laddr, f->laddr)) return 0;
    if (f->type && client_type_matches(o, f->type) != 1) return 0;
    if (f->user && strcmp(f->user, "default")) return 0;
    return 1;
}

static void client_kill_command(client *c) {
    if (c->argc == 3) {
        /* Old form: CLIENT KILL addr:port, replies OK or an error. */
        for (client *o = c->srv->clients; o; o = o->next) {
            if (!strcmp(o->addr, c->argv[2])) {
                add_reply_ok(c);
                if (o == c)
                    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
                else
                    client_free_async(o);
                return;
            }
        }
        add_reply_error(c, "ERR No such client");
        return;
    }
    kill_filter f;
    if (parse_kill_filter(c, &f) < 0) return;
    long long killed = 0;
    int kill_self = 0;
    for (client *o = c->srv->clients; o; o = o->next) {
        if (!kill_matches(c, o, &f)) continue;
        if (o == c)
            kill_self = 1;
        else
            client_free_async(o);
        killed++;
    }
    add_reply_int(c, killed);
    if (kill_self) c->flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if that client was blocked. */
static void client_unblock_command(client *c) {
    long long id;
    if (get_ll_from_arg(c, 2, &id, NULL) < 0) return;
    int with_error = 0;
    if (c->argc == 4) {
        if (arg_is(c, 3, "error")) {
            with_error = 1;
        } else if (!arg_is(c, 3, "timeout")) {
            add_reply_error(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    } else if (c->argc > 4) {
        add_reply_syntax_error(c);
        return;
    }
    for (client *o = c->srv->clients; o; o = o->next) {
        if (o->id == (uint64_t)id) {
            add_reply_int(c, blocking_unblock_client(o, with_error));
            return;
        }
    }
    add_reply_int(c, 0);
}

static void client_help_command(client *c) {
    static const char *lines[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
        "LIST [options ...]",
        "    Return information about client connections. Options: TYPE, ID.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "HELP",
        "    Print this help.",
    };
    add_reply_help(c, lines, sizeof(lines) / sizeof(lines[0]));
}

#define CONN_FLAGS (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static const command client_subcommands[] = {
    {"id", client_id_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns the unique client ID of the connection.", "5.0.0", NULL},
    {"setname", client_setname_command, 3, CONN_FLAGS, 0, 0, 0, "connection",
     "Sets the connection name.", "2.6.9", NULL},
    {"getname", client_getname_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns the name of the connection.", "2.6.9", NULL},
    {"list", client_list_command, -2, CONN_FLAGS | CMD_ADMIN, 0, 0, 0, "connection",
     "Lists open connections.", "2.4.0", NULL},
    {"kill", client_kill_command, -3, CONN_FLAGS | CMD_ADMIN, 0, 0, 0, "connection",
     "Terminates open connections.", "2.4.0", NULL},
    {"info", client_info_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns information about the connection.", "6.2.0", NULL},
    {"tracking", tracking_client_tracking_command, -3, CONN_FLAGS, 0, 0, 0, "connection",
     "Controls server-assisted client-side caching for the connection.", "6.0.0", NULL},
    {"caching", tracking_client_caching_command, 3, CONN_FLAGS, 0, 0, 0, "connection",
     "Instructs the server whether to track the keys in the next request.", "6.0.0", NULL},
    {"getredir", tracking_client_getredir_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns the client ID to which the connection's tracking notifications are redirected.",
     "6.0.0", NULL},
    {"trackinginfo", tracking_client_trackinginfo_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns information about server-assisted client-side caching for the connection.", "6.2.0",
     NULL},
    {"unblock", client_unblock_command, -3, CONN_FLAGS | CMD_ADMIN, 0, 0, 0, "connection",
     "Unblocks a client blocked by a blocking command from a different connection.", "5.0.0", NULL},
    {"help", client_help_command, 2, CONN_FLAGS, 0, 0, 0, "connection",
     "Returns helpful text about the different subcommands.", "5.0.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

const command cmds_connection[] = {
    {"ping", ping_command, -1, CMD_FAST, 0, 0, 0, "connection",
     "Returns the server's liveliness "
     "response.",
     "1.0.0", NULL},
    {"echo", echo_command, 2, CMD_FAST, 0, 0, 0, "connection", "Returns the given string.", "1.0.0",
     NULL},
    {"quit", quit_command, -1,
     CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH, 0, 0, 0,
     "connection", "Closes the connection.", "1.0.0", NULL},
    {"hello", hello_command, -1, CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Handshakes with the Redis server.", "6.0.0", NULL},
    {"auth", auth_command, -2, CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Authenticates the connection.", "1.0.0", NULL},
    {"select", select_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0, "connection",
     "Changes the selected database.", "1.0.0", NULL},
    {"reset", reset_command, 1, CONN_FLAGS | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, 0, 0, 0,
     "connection", "Resets the connection.", "6.2.0", NULL},
    {"client", NULL, -2, CONN_FLAGS, 0, 0, 0, "connection",
     "A container for client connection commands.", "2.4.0", client_subcommands},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
