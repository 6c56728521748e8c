/* propagate.c - the queue of commands to replay and its delivery to sinks.
 * See propagate.h for the contract.
 */
#include "propagate.h"

#include <stdarg.h>
#include <string.h>

#include "../core/mem.h"

typedef struct prop_op {
    int dbid;
    int flags;
    sstr *argv; /* owned */
    int argc;
} prop_op;

typedef struct prop_sink {
    propagate_sink_fn *fn;
    void *ud; /* borrowed */
} prop_sink;

typedef struct propagate_ctx {
    prop_sink *sinks; /* owned array */
    int nsinks;
    prop_op *ops; /* owned: queued for the current execution unit */
    int nops, cap;
    /* The innermost running command. */
    sstr *rewrite_argv; /* owned, NULL unless rewritten */
    int rewrite_argc;
    int rewritten, prevented, forced;
    int flushing; /* sinks are being called */
} propagate_ctx;

void propagate_init(server *srv) {
    srv->prop = sk_calloc(1, sizeof(propagate_ctx));
}

static void free_argv(sstr *argv, int argc) {
    if (!argv) return;
    for (int i = 0; i < argc; i++)
        sstr_free(argv[i]);
    sk_free(argv);
}

static void clear_ops(propagate_ctx *p) {
    for (int i = 0; i < p->nops; i++)
        free_argv(p->ops[i].argv, p->ops[i].argc);
    p->nops = 0;
}

void propagate_free(server *srv) {
    propagate_ctx *p = srv->prop;
    if (!p) return;
    clear_ops(p);
    sk_free(p->ops);
    free_argv(p->rewrite_argv, p->rewrite_argc);
    sk_free(p->sinks);
    sk_free(p);
    srv->prop = NULL;
}

void propagate_add_sink(server *srv, propagate_sink_fn *fn, void *ud) {
    propagate_ctx *p = srv->prop;
    p->sinks = sk_realloc(p->sinks, sizeof(*p->sinks) * (size_t)(p->nsinks + 1));
    p->sinks[p->nsinks].fn = fn;
    p->sinks[p->nsinks].ud = ud;
    p->nsinks++;
}

void propagate_remove_sink(server *srv, propagate_sink_fn *fn, void *ud) {
    propagate_ctx *p = srv->prop;
    for (int i = 0; i < p->nsinks; i++) {
        if (p->sinks[i].fn != fn || p->sinks[i].ud != ud) continue;
        memmove(&p->sinks[i], &p->sinks[i + 1], sizeof(*p->sinks) * (size_t)(p->nsinks - i - 1));
        p->nsinks--;
        return;
    }
}

int propagate_active(const server *srv) {
    return srv->prop && srv->prop->nsinks > 0;
}

static sstr *copy_argv(sstr *argv, int argc) {
    sstr *copy = sk_malloc(sizeof(sstr) * (size_t)(argc ? argc : 1));
    for (int i = 0; i < argc; i++)
        copy[i] = sstr_dup(argv[i]);
    return copy;
}

/* Queues argv (ownership taken). */
static void queue_op(propagate_ctx *p, int dbid, sstr *argv, int argc, int flags) {
    if (p->nops == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->ops = sk_realloc(p->ops, sizeof(*p->ops) * (size_t)p->cap);
    }
    p->ops[p->nops++] = (prop_op){dbid, flags, argv, argc};
}

static void deliver(server *srv, int dbid, sstr *argv, int argc, int flags) {
    propagate_ctx *p = srv->prop;
    for (int i = 0; i < p->nsinks; i++)
        p->sinks[i].fn(srv, p->sinks[i].ud, dbid, argv, argc, flags);
}

static void deliver_word(server *srv, int dbid, const char *word, int flags) {
    sstr argv[1] = {sstr_from_cstr(word)};
    deliver(srv, dbid, argv, 1, flags);
    sstr_free(argv[0]);
}

/* Sends the queue: one command as is, several inside MULTI ... EXEC (the
 * MULTI takes the first command's db, so a sink's SELECT comes first). */
static void send_queue(server *srv) {
    propagate_ctx *p = srv->prop;
    if (p->nops == 0 || p->flushing) return;
    p->flushing = 1;
    if (p->nsinks > 0) {
        int wrap = p->nops > 1;
        int flags = p->ops[0].flags;
        if (wrap) deliver_word(srv, p->ops[0].dbid, "MULTI", flags);
        for (int i = 0; i < p->nops; i++)
            deliver(srv, p->ops[i].dbid, p->ops[i].argv, p->ops[i].argc, p->ops[i].flags);
        if (wrap) deliver_word(srv, p->ops[p->nops - 1].dbid, "EXEC", flags);
    }
    clear_ops(p);
    p->flushing = 0;
}

void propagate_flush(server *srv) {
    if (!srv->prop || srv->call_depth > 0) return;
    send_queue(srv);
}

static int client_flags(const client *c) {
    return (c->flags & CLIENT_MASTER) ? PROPAGATE_FROM_MASTER : 0;
}

void propagate_rewrite(client *c, sstr *argv, int argc) {
    propagate_ctx *p = c->srv->prop;
    if (!p || p->nsinks == 0) {
        free_argv(argv, argc);
        return;
    }
    free_argv(p->rewrite_argv, p->rewrite_argc);
    p->rewrite_argv = argv;
    p->rewrite_argc = argc;
    p->rewritten = 1;
}

void propagate_also(client *c, int dbid, sstr *argv, int argc) {
    propagate_ctx *p = c->srv->prop;
    if (!p || p->nsinks == 0) return;
    queue_op(p, dbid, copy_argv(argv, argc), argc, client_flags(c));
}

void propagate_prevent(client *c) {
    if (c->srv->prop) c->srv->prop->prevented = 1;
}

void propagate_force(client *c) {
    if (c->srv->prop) c->srv->prop->forced = 1;
}

/* Collects the NULL-terminated list into an owned argv. */
static sstr *argv_from_va(const char *first, va_list ap, int *argc) {
    int n = 0, cap = 8;
    sstr *argv = sk_malloc(sizeof(sstr) * (size_t)cap);
    for (const char *s = first; s; s = va_arg(ap, const char *)) {
        if (n == cap) {
            cap *= 2;
            argv = sk_realloc(argv, sizeof(sstr) * (size_t)cap);
        }
        argv[n++] = sstr_from_cstr(s);
    }
    *argc = n;
    return argv;
}

void propagate_rewrite_cstr(client *c, const char *first, ...) {
    if (!propagate_active(c->srv)) return;
    va_list ap;
    va_start(ap, first);
    int argc;
    sstr *argv = argv_from_va(first, ap, &argc);
    va_end(ap);
    propagate_rewrite(c, argv, argc);
}

void propagate_also_cstr(client *c, int dbid, const char *first, ...) {
    if (!propagate_active(c->srv)) return;
    va_list ap;
    va_start(ap, first);
    int argc;
    sstr *argv = argv_from_va(first, ap, &argc);
    va_end(ap);
    queue_op(c->srv->prop, dbid, argv, argc, client_flags(c));
}

sstr *propagate_argv(int argc, ...) {
    sstr *argv = sk_malloc(sizeof(sstr) * (size_t)(argc ? argc : 1));
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = va_arg(ap, sstr);
    va_end(ap);
    return argv;
}

void propagate_rewrite_del(client *c, const sstr key) {
    if (!propagate_active(c->srv)) return;
    propagate_rewrite(c, propagate_argv(2, sstr_from_cstr("DEL"), sstr_dup(key)), 2);
}

void propagate_rewrite_pexpireat(client *c, const sstr key, long long when_ms) {
    if (!propagate_active(c->srv)) return;
    propagate_rewrite(
        c, propagate_argv(3, sstr_from_cstr("PEXPIREAT"), sstr_dup(key), sstr_from_ll(when_ms)), 3);
}

void propagate_command(server *srv, int dbid, sstr *argv, int argc, int flags) {
    propagate_ctx *p = srv->prop;
    if (!p || p->nsinks == 0) return;
    queue_op(p, dbid, copy_argv(argv, argc), argc, flags);
}

void propagate_deleted_key(server *srv, int dbid, const sstr key) {
    propagate_ctx *p = srv->prop;
    if (!p || p->nsinks == 0) return;
    sstr *argv = sk_malloc(sizeof(sstr) * 2);
    argv[0] = sstr_from_cstr("DEL");
    argv[1] = sstr_dup(key);
    /* Deletions made by a replica come from its own clock, not the master's stream: flags 0. */
    if (p->nops > 0 || p->flushing) {
        queue_op(p, dbid, argv, 2, 0);
        return;
    }
    deliver(srv, dbid, argv, 2, 0);
    free_argv(argv, 2);
}

/* ------------------------------------------------------- command_call */

void propagate_call_begin(client *c, propagate_frame *saved) {
    propagate_ctx *p = c->srv->prop;
    saved->dirty = c->srv->dirty;
    if (!p) return;
    saved->argv = p->rewrite_argv;
    saved->argc = p->rewrite_argc;
    saved->rewritten = p->rewritten;
    saved->prevented = p->prevented;
    saved->forced = p->forced;
    p->rewrite_argv = NULL;
    p->rewrite_argc = 0;
    p->rewritten = p->prevented = p->forced = 0;
}

static int is_exec(const command *cmd) {
    return cmd && cmd->name[0] == 'e' && !strcmp(cmd->name, "exec");
}

void propagate_call_end(client *c, propagate_frame *saved) {
    server *srv = c->srv;
    propagate_ctx *p = srv->prop;
    if (!p) return;
    int changed = srv->dirty != saved->dirty || p->rewritten || p->forced;
    int direct = 0; /* deliver c->argv itself, uncopied */
    if (p->nsinks > 0 && changed && !p->prevented && !is_exec(c->cmd)) {
        if (p->rewritten) {
            queue_op(p, c->db->id, p->rewrite_argv, p->rewrite_argc, client_flags(c));
            p->rewrite_argv = NULL;
        } else if (srv->call_depth == 0 && p->nops == 0 && !p->flushing) {
            /* The common case, a top-level write alone in its unit: the
             * sinks borrow the client's arguments for the call, no copy. */
            direct = 1;
        } else {
            queue_op(p, c->db->id, copy_argv(c->argv, c->argc), c->argc, client_flags(c));
        }
    }
    free_argv(p->rewrite_argv, p->rewrite_argc);
    p->rewrite_argv = saved->argv;
    p->rewrite_argc = saved->argc;
    p->rewritten = saved->rewritten;
    p->prevented = saved->prevented;
    p->forced = saved->forced;
    if (direct) {
        p->flushing = 1;
        deliver(srv, c->db->id, c->argv, c->argc, client_flags(c));
        p->flushing = 0;
    } else if (srv->call_depth == 0) {
        send_queue(srv);
    }
}
