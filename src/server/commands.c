/* commands.c - the command table, dispatch and the COMMAND command.
 *
 * The families declare const tables; at start they are copied into heap
 * entries that add what changes at run time (call statistics) and what is
 * derived (the full "parent|sub" name, the subcommand index). Everything
 * downstream holds pointers to entry->cmd, so command_fullname() and the
 * statistics are found without a lookup.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "commands.h"
#include "config.h"
#include "multi.h"
#include "pubsub.h"
#include "replication.h"
#include "server.h"
#include "blocking.h"
#include "t_bitops.h"
#include "t_geo.h"
#include "t_hash.h"
#include "t_hll.h"
#include "t_list.h"
#include "t_set.h"
#include "rdb_value.h"
#include "rdb.h"
#include "t_sort.h"
#include "t_stream.h"
#include "t_zset.h"
#include "evict.h"
#include "tracking.h"
#include "propagate.h"
#include "aof.h"

static const command *family_tables[] = {
    cmds_string, cmds_keys, cmds_connection, cmds_server,  cmds_pubsub, cmds_multi,  cmds_set,
    cmds_hash,   cmds_list, cmds_zset,       cmds_geo,     cmds_sort,   cmds_bitops, cmds_hll,
    cmds_stream, cmds_dump, cmds_aof,        cmds_persist, cmds_repl,
};

#define ENTRY_OF(cmdp) ((command_entry *)((char *)(cmdp)-offsetof(command_entry, cmd)))

static uint64_t hash_nocase_cstr(const void *key) {
    const char *s = key;
    return dict_hash_bytes_nocase(s, strlen(s));
}

static int equal_nocase_cstr(const void *a, const void *b) {
    return strcasecmp(a, b) == 0;
}

/* Keys are the entries' own name strings (borrowed); values the entries. */
static const dict_type command_dict_type = {hash_nocase_cstr, equal_nocase_cstr, NULL, NULL};

static command_entry *entry_create(const command *src, const command_entry *parent) {
    command_entry *e = sk_calloc(1, sizeof(*e));
    e->cmd = *src;
    e->parent = parent;
    if (parent)
        snprintf(e->fullname, sizeof(e->fullname), "%s|%s", parent->cmd.name, src->name);
    else
        snprintf(e->fullname, sizeof(e->fullname), "%s", src->name);
    if (src->subcommands) {
        e->subs = dict_create(&command_dict_type);
        for (const command *s = src->subcommands; s->name; s++) {
            command_entry *se = entry_create(s, e);
            dict_add(e->subs, (void *)se->cmd.name, se);
        }
    }
    return e;
}

static void entry_free(void *p) {
    command_entry *e = p;
    if (e->subs) {
        dict_iter it;
        dict_iter_init(&it, e->subs, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)))
            entry_free(de->v.val);
        dict_iter_release(&it);
        dict_release(e->subs);
    }
    sk_free(e);
}

void commands_init(server *srv) {
    srv->commands = dict_create(&command_dict_type);
    for (size_t f = 0; f < sizeof(family_tables) / sizeof(family_tables[0]); f++) {
        for (const command *c = family_tables[f]; c->name; c++) {
            command_entry *e = entry_create(c, NULL);
            if (dict_add(srv->commands, (void *)e->cmd.name, e) != 0) {
                log_warning("duplicate command '%s' in the command table", c->name);
                entry_free(e);
            }
        }
    }
}

void commands_free(server *srv) {
    if (!srv->commands) return;
    dict_iter it;
    dict_iter_init(&it, srv->commands, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it)))
        entry_free(de->v.val);
    dict_iter_release(&it);
    dict_release(srv->commands);
    srv->commands = NULL;
}

size_t commands_count(const server *srv) {
    return dict_size(srv->commands);
}

const command *command_lookup(server *srv, const sstr name) {
    command_entry *e = dict_fetch_value(srv->commands, name);
    return e ? &e->cmd : NULL;
}

const command *command_lookup_sub(const command *cmd, const sstr sub) {
    command_entry *e = ENTRY_OF(cmd);
    if (!e->subs) return NULL;
    command_entry *se = dict_fetch_value(e->subs, sub);
    return se ? &se->cmd : NULL;
}

const char *command_fullname(const command *cmd) {
    return ENTRY_OF(cmd)->fullname;
}

command_entry *command_entry_of(const command *cmd) {
    return ENTRY_OF(cmd);
}

/* -------------------------------------------------------------- calling */

void command_call(client *c) {
    server *srv = c->srv;
    command_entry *e = ENTRY_OF(c->cmd);
    uint64_t errors_before = srv->stat_total_error_replies;
    /* The clock read that gave the command its "now" (networking.c, before
     * dispatch) also starts its duration; commands run by EXEC read anew. */
    long long start = srv->call_depth ? server_ustime_now() : srv->ustime;
    propagate_frame pframe;
    propagate_call_begin(c, &pframe);
    srv->call_depth++;
    c->cmd->fn(c);
    srv->call_depth--;
    propagate_call_end(c, &pframe);
    if (c->tracking && (c->cmd->flags & CMD_READONLY)) tracking_remember_keys(c);
    long long dur = server_ustime_now() - start;
    e->calls++;
    e->usec += dur > 0 ? (uint64_t)dur : 0; /* the wall clock may step back */
    if (srv->stat_total_error_replies != errors_before) e->failed++;
    c->commands_processed++;
    srv->stat_numcommands++;
}

static void reject(client *c, const char *msg) {
    if (c->cmd) ENTRY_OF(c->cmd)->rejected++;
    if (c->flags & CLIENT_MULTI) multi_flag_exec_error(c);
    add_reply_error(c, msg);
}

static void reply_unknown_command(client *c) {
    char args[256];
    size_t used = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && used < sizeof(args) - 128; i++) {
        int n =
            snprintf(args + used, sizeof(args) - used, "'%.*s' ",
                     (int)(sstr_len(c->argv[i]) > 100 ? 100 : sstr_len(c->argv[i])), c->argv[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
    char msg[512];
    snprintf(msg, sizeof(msg), "ERR unknown command '%.128s', with args beginning with: %s",
             c->argv[0], args);
    /* Control characters would break the reply line. */
    for (char *p = msg; *p; p++)
        if (*p == '\r' || *p == '\n') *p = ' ';
    reject(c, msg);
}

static int arity_ok(const command *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Resolves c->argv to a command (and subcommand); replies and returns -1
 * when it cannot. */
static int resolve_command(client *c) {
    c->cmd = command_lookup(c->srv, c->argv[0]);
    if (!c->cmd) {
        reply_unknown_command(c);
        return -1;
    }
    if (ENTRY_OF(c->cmd)->subs && c->argc >= 2) {
        const command *sub = command_lookup_sub(c->cmd, c->argv[1]);
        if (!sub) {
            char upper[64], msg[300];
            size_t i = 0;
            for (; c->cmd->name[i] && i < sizeof(upper) - 1; i++)
                upper[i] = (char)toupper((unsigned char)c->cmd->name[i]);
            upper[i] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.128s'. Try %s HELP.", c->argv[1],
                     upper);
            for (char *p = msg; *p; p++)
                if (*p == '\r' || *p == '\n') *p = ' ';
            c->cmd = NULL;
            reject(c, msg);
            return -1;
        }
        c->cmd = sub;
    }
    if (!arity_ok(c->cmd, c->argc)) {
        char msg[200];
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command",
                 command_fullname(c->cmd));
        reject(c, msg);
        return -1;
    }
    return 0;
}

static int is_multi_control(const command *cmd) {
    const char *n = cmd->name;
    return !strcmp(n, "exec") || !strcmp(n, "discard") || !strcmp(n, "multi") ||
           !strcmp(n, "watch") || !strcmp(n, "quit") || !strcmp(n, "reset");
}

/* As Redis: after a failed BGSAVE (with save points and
 * stop-writes-on-bgsave-error), writes, PING and an EXEC of queued writes
 * are refused; the primary's stream is not. */
static int misconf_refused(const client *c) {
    if (!rdb_writes_refused(c->srv) || (c->flags & CLIENT_MASTER)) return 0;
    const command *cmd = c->cmd;
    if ((cmd->flags & CMD_WRITE) || !strcmp(cmd->name, "ping")) return 1;
    if (!strcmp(cmd->name, "exec") && (c->flags & CLIENT_MULTI))
        for (int i = 0; i < c->mstate_count; i++)
            if (c->mstate[i].cmd && (c->mstate[i].cmd->flags & CMD_WRITE)) return 1;
    return 0;
}

void command_process(client *c) {
    server *srv = c->srv;
    if (resolve_command(c) < 0) return;
    const command *cmd = c->cmd;
    c->lastcmd = cmd;

    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, "NOAUTH Authentication required.");
        return;
    }
    const char *refusal = repl_command_refusal(c);
    if (refusal) {
        reject(c, refusal);
        return;
    }
    if (evict_command_refused(c)) {
        if ((c->flags & CLIENT_MULTI) && !strcmp(cmd->name, "exec")) {
            /* As Redis's execCommandAbort: the transaction is discarded. */
            ENTRY_OF(cmd)->rejected++;
            multi_discard(c);
            add_reply_error(c, "EXECABORT Transaction discarded because of: " EVICT_OOM_ERROR);
        } else {
            reject(c, EVICT_OOM_ERROR);
        }
        return;
    }
    if (misconf_refused(c)) {
        if ((c->flags & CLIENT_MULTI) && !strcmp(cmd->name, "exec")) {
            ENTRY_OF(cmd)->rejected++;
            multi_discard(c);
            add_reply_error(c, "EXECABORT Transaction discarded because of: " RDB_MISCONF_ERROR);
        } else {
            reject(c, RDB_MISCONF_ERROR);
        }
        return;
    }
    /* As Redis: while the AOF cannot be written, writes are refused. */
    if (aof_writes_refused(srv) && !(c->flags & CLIENT_MASTER) &&
        ((cmd->flags & CMD_WRITE) || !strcmp(cmd->name, "ping"))) {
        char msg[256];
        aof_misconf_error(srv, msg, sizeof(msg));
        reject(c, msg);
        return;
    }
    if ((c->flags & CLIENT_PUBSUB) && c->resp == 2 && !pubsub_command_allowed_in_context(cmd)) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                 "QUIT / RESET are allowed in this context",
                 command_fullname(cmd));
        reject(c, msg);
        return;
    }
    if ((c->flags & CLIENT_MULTI) && !is_multi_control(cmd)) {
        if (cmd->flags & CMD_NO_MULTI) {
            reject(c, "ERR Command not allowed inside a transaction");
            return;
        }
        multi_queue_command(c);
        return;
    }
    command_call(c);
    tracking_after_command(c);
    /* Serve clients blocked on keys this command (or EXEC) made ready. */
    blocking_handle_ready_keys(srv);
}

/* -------------------------------------------------------------- COMMAND */

static void add_flag_list(client *c, int flags) {
    static const struct {
        int bit;
        const char *name;
    } names[] = {
        {CMD_WRITE, "write"},
        {CMD_READONLY, "readonly"},
        {CMD_DENYOOM, "denyoom"},
        {CMD_ADMIN, "admin"},
        {CMD_PUBSUB, "pubsub"},
        {CMD_NOSCRIPT, "noscript"},
        {CMD_BLOCKING, "blocking"},
        {CMD_LOADING, "loading"},
        {CMD_STALE, "stale"},
        {CMD_NO_AUTH, "no_auth"},
        {CMD_FAST, "fast"},
        {CMD_NO_MULTI, "no_multi"},
        {CMD_ALLOW_BUSY, "allow_busy"},
        {CMD_MAY_REPLICATE, "may_replicate"},
    };
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            add_reply_simple(c, names[i].name);
            n++;
        }
    }
    set_deferred_array_len(c, h, n);
}

/* Key specs in Redis 7's shape, derived from first/last/step. */
static void add_key_specs(client *c, const command *cmd) {
    if (cmd->first_key <= 0) {
        add_reply_array(c, 0);
        return;
    }
    add_reply_array(c, 1);
    add_reply_array(c, 6);
    add_reply_bulk_cstr(c, "flags");
    add_reply_array(c, 1);
    add_reply_simple(c, (cmd->flags & CMD_WRITE) ? "RW" : "RO");
    add_reply_bulk_cstr(c, "begin_search");
    add_reply_array(c, 4);
    add_reply_bulk_cstr(c, "type");
    add_reply_bulk_cstr(c, "index");
    add_reply_bulk_cstr(c, "spec");
    add_reply_array(c, 2);
    add_reply_bulk_cstr(c, "index");
    add_reply_int(c, cmd->first_key);
    add_reply_bulk_cstr(c, "find_keys");
    add_reply_array(c, 4);
    add_reply_bulk_cstr(c, "type");
    add_reply_bulk_cstr(c, "range");
    add_reply_bulk_cstr(c, "spec");
    add_reply_array(c, 6);
    add_reply_bulk_cstr(c, "lastkey");
    add_reply_int(c, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
    add_reply_bulk_cstr(c, "keystep");
    add_reply_int(c, cmd->key_step);
    add_reply_bulk_cstr(c, "limit");
    add_reply_int(c, 0);
}

/* ACL categories as Redis 7.0 reports them, derived from group and flags. */
static void add_acl_categories(client *c, const command *cmd) {
    static const struct {
        const char *group, *category;
    } by_group[] = {
        {"string", "@string"},
        {"generic", "@keyspace"},
        {"list", "@list"},
        {"hash", "@hash"},
        {"set", "@set"},
        {"sorted-set", "@sortedset"},
        {"stream", "@stream"},
        {"pubsub", "@pubsub"},
        {"transactions", "@transaction"},
        {"connection", "@connection"},
        {"hyperloglog", "@hyperloglog"},
        {"geo", "@geo"},
        {"bitmap", "@bitmap"},
    };
    const char *cats[8];
    int n = 0;
    if (cmd->flags & CMD_WRITE) cats[n++] = "@write";
    if (cmd->flags & CMD_READONLY) cats[n++] = "@read";
    if (cmd->flags & CMD_ADMIN) {
        cats[n++] = "@admin";
        cats[n++] = "@dangerous";
    }
    for (size_t i = 0; cmd->group && i < sizeof(by_group) / sizeof(by_group[0]); i++)
        if (!strcmp(cmd->group, by_group[i].group)) cats[n++] = by_group[i].category;
    if (cmd->flags & CMD_BLOCKING) cats[n++] = "@blocking";
    cats[n++] = (cmd->flags & CMD_FAST) ? "@fast" : "@slow";
    add_reply_array(c, n);
    for (int i = 0; i < n; i++)
        add_reply_simple(c, cats[i]);
}

static void add_command_info(client *c, const command *cmd) {
    command_entry *e = ENTRY_OF(cmd);
    add_reply_array(c, 10);
    add_reply_bulk_cstr(c, e->fullname);
    add_reply_int(c, cmd->arity);
    add_flag_list(c, cmd->flags);
    add_reply_int(c, cmd->first_key);
    add_reply_int(c, cmd->last_key);
    add_reply_int(c, cmd->key_step);
    add_acl_categories(c, cmd);
    add_reply_array(c, 0); /* tips */
    add_key_specs(c, cmd);
    if (!e->subs) {
        add_reply_array(c, 0);
        return;
    }
    add_reply_array(c, (long long)dict_size(e->subs));
    dict_iter it;
    dict_iter_init(&it, e->subs, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it)))
        add_command_info(c, &((command_entry *)de->v.val)->cmd);
    dict_iter_release(&it);
}

static void add_command_docs(client *c, const command *cmd) {
    command_entry *e = ENTRY_OF(cmd);
    add_reply_bulk_cstr(c, e->fullname);
    long long fields = 3 + (e->subs ? 1 : 0);
    add_reply_map(c, fields);
    add_reply_bulk_cstr(c, "summary");
    add_reply_bulk_cstr(c, cmd->summary ? cmd->summary : "");
    add_reply_bulk_cstr(c, "since");
    add_reply_bulk_cstr(c, cmd->since ? cmd->since : "1.0.0");
    add_reply_bulk_cstr(c, "group");
    add_reply_bulk_cstr(c, cmd->group ? cmd->group : "generic");
    if (e->subs) {
        add_reply_bulk_cstr(c, "subcommands");
        add_reply_map(c, (long long)dict_size(e->subs));
        dict_iter it;
        dict_iter_init(&it, e->subs, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)))
            add_command_docs(c, &((command_entry *)de->v.val)->cmd);
        dict_iter_release(&it);
    }
}

/* Looks up "get" or "object|encoding". */
static const command *lookup_by_fullname(server *srv, const sstr name) {
    const char *bar = strchr(name, '|');
    if (!bar) return command_lookup(srv, name);
    sstr parent = sstr_new(name, (size_t)(bar - name));
    sstr sub = sstr_from_cstr(bar + 1);
    const command *p = command_lookup(srv, parent);
    const command *r = p ? command_lookup_sub(p, sub) : NULL;
    sstr_free(parent);
    sstr_free(sub);
    return r;
}

static void command_all(client *c) {
    add_reply_array(c, (long long)dict_size(c->srv->commands));
    dict_iter it;
    dict_iter_init(&it, c->srv->commands, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it)))
        add_command_info(c, &((command_entry *)de->v.val)->cmd);
    dict_iter_release(&it);
}

void command_command(client *c) {
    if (c->argc == 1) command_all(c);
}

void command_count_command(client *c) {
    add_reply_int(c, (long long)commands_count(c->srv));
}

void command_info_command(client *c) {
    if (c->argc == 2) {
        command_all(c);
        return;
    }
    add_reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const command *cmd = lookup_by_fullname(c->srv, c->argv[i]);
        if (cmd)
            add_command_info(c, cmd);
        else
            add_reply_null_array(c);
    }
}

void command_docs_command(client *c) {
    if (c->argc == 2) {
        add_reply_map(c, (long long)dict_size(c->srv->commands));
        dict_iter it;
        dict_iter_init(&it, c->srv->commands, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)))
            add_command_docs(c, &((command_entry *)de->v.val)->cmd);
        dict_iter_release(&it);
        return;
    }
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (int i = 2; i < c->argc; i++) {
        const command *cmd = lookup_by_fullname(c->srv, c->argv[i]);
        if (!cmd) continue;
        add_command_docs(c, cmd);
        n++;
    }
    /* A map of n pairs is, in RESP2 (the only protocol served), an array of 2n. */
    set_deferred_array_len(c, h, 2 * n);
}

void command_list_command(client *c) {
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    dict_iter it;
    dict_iter_init(&it, c->srv->commands, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it))) {
        command_entry *e = de->v.val;
        add_reply_bulk_cstr(c, e->fullname);
        n++;
    }
    dict_iter_release(&it);
    set_deferred_array_len(c, h, n);
}

void command_getkeys_command(client *c) {
    sstr *argv = c->argv + 2;
    int argc = c->argc - 2;
    const command *cmd = command_lookup(c->srv, argv[0]);
    if (!cmd) {
        add_reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!arity_ok(cmd, argc)) {
        add_reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    if (cmd->first_key <= 0) {
        add_reply_error(c, "ERR The command has no key arguments");
        return;
    }
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (int i = cmd->first_key; i <= last && i < argc; i += cmd->key_step ? cmd->key_step : 1) {
        add_reply_bulk_sstr(c, argv[i]);
        n++;
    }
    set_deferred_array_len(c, h, n);
}

void command_help_command(client *c) {
    static const char *lines[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all commands.",
        "COUNT",
        "    Return the total number of commands in this server.",
        "LIST",
        "    Return a list of all commands in this server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple commands.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple commands.",
        "GETKEYS <full-command>",
        "    Return the keys from a full command.",
        "HELP",
        "    Print this help.",
    };
    add_reply_help(c, lines, sizeof(lines) / sizeof(lines[0]));
}

typedef void entry_visit_fn(command_entry *e, void *priv);

/* Visits every entry, subcommands included. */
static void visit_entries(dict *d, entry_visit_fn *fn, void *priv) {
    dict_iter it;
    dict_iter_init(&it, d, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it))) {
        command_entry *e = de->v.val;
        fn(e, priv);
        if (e->subs) visit_entries(e->subs, fn, priv);
    }
    dict_iter_release(&it);
}

static void append_entry_stats(command_entry *e, void *priv) {
    sbuf *out = priv;
    if (!e->calls && !e->rejected && !e->failed) return;
    sbuf_appendf(out,
                 "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                 "failed_calls=%llu\r\n",
                 e->fullname, (unsigned long long)e->calls, (unsigned long long)e->usec,
                 e->calls ? (double)e->usec / (double)e->calls : 0.0,
                 (unsigned long long)e->rejected, (unsigned long long)e->failed);
}

/* INFO commandstats lines. */
void commands_info_stats(server *srv, sbuf *out) {
    visit_entries(srv->commands, append_entry_stats, out);
}

static void reset_entry_stats(command_entry *e, void *priv) {
    (void)priv;
    e->calls = e->usec = e->failed = e->rejected = 0;
}

void commands_reset_stats(server *srv) {
    visit_entries(srv->commands, reset_entry_stats, NULL);
}
