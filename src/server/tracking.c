/* tracking.c - client-side caching: CLIENT TRACKING and invalidation
 * messages (see tracking.h for the contract).
 *
 * Redis keeps the table in radix trees; here it is a dict from key to a
 * small array of client ids (most keys are cached by few clients) and a
 * dict of BCAST prefixes, each matched against a modified key by a walk of
 * that dict (prefix counts are small). Ids, not pointers, go in the table:
 * a client that disconnects or turns tracking off leaves stale ids that
 * the next invalidation of the key skips, as Redis does.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/mem.h"
#include "config.h"
#include "server.h"
#include "tracking.h"

/* Per-client mode bits. */
#define TRK_BCAST (1 << 0)
#define TRK_OPTIN (1 << 1)
#define TRK_OPTOUT (1 << 2)
#define TRK_NOLOOP (1 << 3)
#define TRK_CACHING (1 << 4)      /* CLIENT CACHING yes/no given for the next command */
#define TRK_BROKEN_REDIR (1 << 5) /* the redirect client went away */

struct tracking_client {
    client *owner;        /* borrowed: the client this state belongs to */
    int flags;            /* TRK_* */
    uint64_t redirect_id; /* 0: no redirection */
    client *redirect;     /* borrowed cache of the redirect client; NULL when unknown */
    sstr *prefixes;       /* owned, sorted: the BCAST prefixes */
    size_t nprefixes;
};

typedef struct trk_ids {
    uint64_t *ids; /* owned */
    uint32_t n, cap;
} trk_ids;

/* A BCAST prefix: who listens and which keys under it changed since the
 * last before-sleep (key -> id of the client that changed it last, for
 * NOLOOP; 0 outside a command). */
typedef struct bcast_state {
    uint64_t *clients; /* owned: ids of the BCAST clients with this prefix */
    size_t nclients;
    dict *keys; /* owned: sstr -> u64 */
} bcast_state;

typedef struct tracking_ctx {
    dict *table;           /* key sstr (owned) -> trk_ids* (owned) */
    size_t items;          /* sum of the ids in the table */
    dict *prefixes;        /* prefix sstr (owned) -> bcast_state* (owned) */
    dict *clients;         /* id -> struct tracking_client* (borrowed) */
    int flush_sent;        /* a nil invalidation already went out for this command */
    unsigned limit_rounds; /* before-sleeps spent over tracking-table-max-keys */
} tracking_ctx;

/* ------------------------------------------------------------ dict types */

static uint64_t hash_id(const void *key) {
    uint64_t v = (uint64_t)(uintptr_t)key;
    return dict_hash_bytes(&v, sizeof(v));
}

static int equal_id(const void *a, const void *b) {
    return a == b;
}

static void free_ids(void *p) {
    trk_ids *t = p;
    if (!t) return;
    sk_free(t->ids);
    sk_free(t);
}

static void free_bcast(void *p) {
    bcast_state *b = p;
    if (!b) return;
    sk_free(b->clients);
    dict_release(b->keys);
    sk_free(b);
}

static const dict_type table_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, free_ids};
static const dict_type prefix_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, free_bcast};
static const dict_type bcast_keys_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, NULL};
static const dict_type clients_type = {hash_id, equal_id, NULL, NULL};

#define ID_KEY(id) ((void *)(uintptr_t)(id))

void tracking_init(server *srv) {
    tracking_ctx *t = sk_calloc(1, sizeof(*t));
    t->table = dict_create(&table_type);
    t->prefixes = dict_create(&prefix_type);
    t->clients = dict_create(&clients_type);
    srv->tracking = t;
}

void tracking_free(server *srv) {
    tracking_ctx *t = srv->tracking;
    if (!t) return;
    dict_release(t->table);
    dict_release(t->prefixes);
    dict_release(t->clients);
    sk_free(t);
    srv->tracking = NULL;
}

/* ------------------------------------------------------------- messages */

static client *find_client_by_id(server *srv, uint64_t id) {
    for (client *c = srv->clients; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

/* The client the messages of tc go to, or NULL (no redirection, or a
 * broken one, which is then flagged). */
static client *redirect_target(server *srv, struct tracking_client *tc) {
    if (!tc->redirect_id) return NULL;
    if (!tc->redirect) tc->redirect = find_client_by_id(srv, tc->redirect_id);
    if (!tc->redirect) tc->flags |= TRK_BROKEN_REDIR;
    return tc->redirect;
}

/* Starts a RESP2 invalidation message for tc; returns the client to write
 * the payload to, or NULL when nothing can be delivered. */
static client *begin_message(server *srv, struct tracking_client *tc) {
    client *r = redirect_target(srv, tc);
    /* RESP2 delivers only through a redirect client in subscribed context. */
    if (!r || !(r->flags & CLIENT_PUBSUB) || (r->flags & CLIENT_CLOSE_ASAP)) return NULL;
    add_reply_array(r, 3);
    add_reply_bulk_cstr(r, "message");
    add_reply_bulk_cstr(r, TRACKING_CHANNEL);
    return r;
}

static void send_key(server *srv, struct tracking_client *tc, const sstr key) {
    client *r = begin_message(srv, tc);
    if (!r) return;
    add_reply_array(r, 1);
    add_reply_bulk_sstr(r, key);
}

static void send_flush(server *srv, struct tracking_client *tc) {
    client *r = begin_message(srv, tc);
    if (r) add_reply_null(r);
}

/* --------------------------------------------------------------- prefixes */

static int has_prefix(const char *s, size_t slen, const char *p, size_t plen) {
    return plen <= slen && memcmp(s, p, plen) == 0;
}

/* Redis's overlap rule: one is a prefix of the other. */
static int prefixes_overlap(const sstr a, const sstr b) {
    size_t la = sstr_len(a), lb = sstr_len(b);
    return la < lb ? has_prefix(b, lb, a, la) : has_prefix(a, la, b, lb);
}

static void bcast_add_client(tracking_ctx *t, const sstr prefix, uint64_t id) {
    bcast_state *b = dict_fetch_value(t->prefixes, prefix);
    if (!b) {
        b = sk_calloc(1, sizeof(*b));
        b->keys = dict_create(&bcast_keys_type);
        dict_add(t->prefixes, sstr_dup(prefix), b);
    }
    for (size_t i = 0; i < b->nclients; i++)
        if (b->clients[i] == id) return;
    b->clients = sk_realloc(b->clients, (b->nclients + 1) * sizeof(*b->clients));
    b->clients[b->nclients++] = id;
}

static void bcast_remove_client(tracking_ctx *t, const sstr prefix, uint64_t id) {
    bcast_state *b = dict_fetch_value(t->prefixes, prefix);
    if (!b) return;
    for (size_t i = 0; i < b->nclients; i++) {
        if (b->clients[i] != id) continue;
        b->clients[i] = b->clients[--b->nclients];
        break;
    }
    if (b->nclients == 0) dict_delete(t->prefixes, prefix);
}

static int prefix_cmp(const void *a, const void *b) {
    const sstr x = *(const sstr *)a, y = *(const sstr *)b;
    size_t lx = sstr_len(x), ly = sstr_len(y);
    int r = memcmp(x, y, lx < ly ? lx : ly);
    return r ? r : (lx > ly) - (lx < ly);
}

static void client_add_prefix(tracking_ctx *t, struct tracking_client *tc, const sstr p) {
    for (size_t i = 0; i < tc->nprefixes; i++)
        if (sstr_len(tc->prefixes[i]) == sstr_len(p) && !memcmp(tc->prefixes[i], p, sstr_len(p)))
            return;
    tc->prefixes = sk_realloc(tc->prefixes, (tc->nprefixes + 1) * sizeof(*tc->prefixes));
    tc->prefixes[tc->nprefixes++] = sstr_dup(p);
    qsort(tc->prefixes, tc->nprefixes, sizeof(*tc->prefixes), prefix_cmp);
    bcast_add_client(t, p, tc->owner->id);
}

/* Queues key for every prefix it falls under; sent in before-sleep. */
static void bcast_remember_key(server *srv, const sstr key) {
    tracking_ctx *t = srv->tracking;
    uint64_t by = srv->current_client ? srv->current_client->id : 0;
    dict_iter it;
    dict_iter_init(&it, t->prefixes, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it))) {
        if (!has_prefix(key, sstr_len(key), de->key, sstr_len(de->key))) continue;
        bcast_state *b = de->v.val;
        dict_entry *ke = dict_find(b->keys, key);
        if (!ke) ke = dict_add_raw(b->keys, sstr_dup(key), NULL);
        ke->v.u64 = by;
    }
    dict_iter_release(&it);
}

/* ----------------------------------------------------------- on / off */

static struct tracking_client *state_of(const client *c) {
    return c->tracking;
}

static void tracking_disable(client *c) {
    struct tracking_client *tc = state_of(c);
    if (!tc) return;
    tracking_ctx *t = c->srv->tracking;
    for (size_t i = 0; i < tc->nprefixes; i++) {
        bcast_remove_client(t, tc->prefixes[i], c->id);
        sstr_free(tc->prefixes[i]);
    }
    sk_free(tc->prefixes);
    dict_delete(t->clients, ID_KEY(c->id));
    sk_free(tc);
    c->tracking = NULL;
}

void tracking_client_free(client *c) {
    tracking_ctx *t = c->srv->tracking;
    if (!t) return;
    tracking_disable(c);
    /* Trackers redirecting to c look it up again (and find it gone). */
    dict_iter it;
    dict_iter_init(&it, t->clients, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it))) {
        struct tracking_client *tc = de->v.val;
        if (tc->redirect == c) tc->redirect = NULL;
    }
    dict_iter_release(&it);
}

/* Parsed CLIENT TRACKING arguments. */
typedef struct tracking_args {
    int on;
    int options; /* TRK_BCAST | TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP */
    long long redirect;
    sstr *prefixes; /* borrowed from argv; owned array */
    size_t nprefixes;
} tracking_args;

/* Parses CLIENT TRACKING on|off [options]; replies and returns -1 on error. */
static int parse_tracking_args(client *c, tracking_args *a) {
    for (int j = 3; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (arg_is(c, j, "redirect") && more) {
            j++;
            if (a->redirect) {
                add_reply_error(c, "ERR A client can only redirect to a single other client");
                return -1;
            }
            if (get_ll_from_arg(c, j, &a->redirect, NULL) < 0) return -1;
            /* Redis checks the target exists now, though it may leave later. */
            if (!find_client_by_id(c->srv, (uint64_t)a->redirect)) {
                add_reply_error(c, "ERR The client ID you want redirect to does not exist");
                return -1;
            }
        } else if (arg_is(c, j, "bcast")) {
            a->options |= TRK_BCAST;
        } else if (arg_is(c, j, "optin")) {
            a->options |= TRK_OPTIN;
        } else if (arg_is(c, j, "optout")) {
            a->options |= TRK_OPTOUT;
        } else if (arg_is(c, j, "noloop")) {
            a->options |= TRK_NOLOOP;
        } else if (arg_is(c, j, "prefix") && more) {
            j++;
            a->prefixes = sk_realloc(a->prefixes, (a->nprefixes + 1) * sizeof(*a->prefixes));
            a->prefixes[a->nprefixes++] = c->argv[j];
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    if (arg_is(c, 2, "on"))
        a->on = 1;
    else if (!arg_is(c, 2, "off")) {
        add_reply_syntax_error(c);
        return -1;
    }
    return 0;
}

static int check_prefix_collisions(client *c, const tracking_args *a) {
    struct tracking_client *tc = state_of(c);
    for (size_t i = 0; i < a->nprefixes; i++) {
        for (size_t k = 0; tc && k < tc->nprefixes; k++) {
            if (!prefixes_overlap(tc->prefixes[k], a->prefixes[i])) continue;
            add_reply_errorf(c,
                             "ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes "
                             "for a single client must not overlap.",
                             a->prefixes[i], tc->prefixes[k]);
            return -1;
        }
        for (size_t j = i + 1; j < a->nprefixes; j++) {
            if (!prefixes_overlap(a->prefixes[i], a->prefixes[j])) continue;
            add_reply_errorf(c,
                             "ERR Prefix '%s' overlaps with another provided prefix '%s'. "
                             "Prefixes for a single client must not overlap.",
                             a->prefixes[i], a->prefixes[j]);
            return -1;
        }
    }
    return 0;
}

/* Redis's compatibility checks between the options and the current mode. */
static int check_tracking_on(client *c, const tracking_args *a) {
    struct tracking_client *tc = state_of(c);
    int opt = a->options;
    if (!(opt & TRK_BCAST) && a->nprefixes) {
        add_reply_error(c, "ERR PREFIX option requires BCAST mode to be enabled");
        return -1;
    }
    if (tc && !!(tc->flags & TRK_BCAST) != !!(opt & TRK_BCAST)) {
        add_reply_error(c, "ERR You can't switch BCAST mode on/off before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
        return -1;
    }
    if ((opt & TRK_BCAST) && (opt & (TRK_OPTIN | TRK_OPTOUT))) {
        add_reply_error(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
        return -1;
    }
    if ((opt & TRK_OPTIN) && (opt & TRK_OPTOUT)) {
        add_reply_error(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
        return -1;
    }
    if (tc && (((opt & TRK_OPTIN) && (tc->flags & TRK_OPTOUT)) ||
               ((opt & TRK_OPTOUT) && (tc->flags & TRK_OPTIN)))) {
        add_reply_error(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.");
        return -1;
    }
    if ((opt & TRK_BCAST) && check_prefix_collisions(c, a) < 0) return -1;
    return 0;
}

static void tracking_enable(client *c, const tracking_args *a) {
    tracking_ctx *t = c->srv->tracking;
    struct tracking_client *tc = state_of(c);
    if (!tc) {
        tc = sk_calloc(1, sizeof(*tc));
        tc->owner = c;
        c->tracking = tc;
        dict_add(t->clients, ID_KEY(c->id), tc);
    }
    /* As Redis: the mode is replaced, except CACHING and BCAST prefixes,
     * which accumulate. */
    tc->flags &= TRK_CACHING;
    tc->flags |= a->options;
    tc->redirect_id = (uint64_t)a->redirect;
    tc->redirect = NULL;
    if (!(a->options & TRK_BCAST)) return;
    if (a->nprefixes == 0) {
        sstr all = sstr_new(NULL, 0);
        client_add_prefix(t, tc, all);
        sstr_free(all);
    }
    for (size_t i = 0; i < a->nprefixes; i++)
        client_add_prefix(t, tc, a->prefixes[i]);
}

void tracking_client_tracking_command(client *c) {
    tracking_args a = {0};
    if (parse_tracking_args(c, &a) < 0) goto cleanup;
    if (a.on) {
        if (check_tracking_on(c, &a) < 0) goto cleanup;
        tracking_enable(c, &a);
    } else {
        tracking_disable(c);
    }
    add_reply_ok(c);
cleanup:
    sk_free(a.prefixes);
}

void tracking_client_caching_command(client *c) {
    struct tracking_client *tc = state_of(c);
    if (!tc) {
        add_reply_error(c, "ERR CLIENT CACHING can be called only when the client is in "
                           "tracking mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (arg_is(c, 2, "yes")) {
        if (!(tc->flags & TRK_OPTIN)) {
            add_reply_error(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled "
                               "in OPTIN mode.");
            return;
        }
    } else if (arg_is(c, 2, "no")) {
        if (!(tc->flags & TRK_OPTOUT)) {
            add_reply_error(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled "
                               "in OPTOUT mode.");
            return;
        }
    } else {
        add_reply_syntax_error(c);
        return;
    }
    tc->flags |= TRK_CACHING;
    add_reply_ok(c);
}

void tracking_client_getredir_command(client *c) {
    struct tracking_client *tc = state_of(c);
    add_reply_int(c, tc ? (long long)tc->redirect_id : -1);
}

void tracking_client_trackinginfo_command(client *c) {
    struct tracking_client *tc = state_of(c);
    int f = tc ? tc->flags : 0;
    add_reply_map(c, 3);
    add_reply_bulk_cstr(c, "flags");
    size_t h = add_reply_deferred_len(c);
    long long n = 1;
    add_reply_bulk_cstr(c, tc ? "on" : "off");
    static const struct {
        int bit, needs;
        const char *name;
    } names[] = {
        {TRK_BCAST, 0, "bcast"},
        {TRK_OPTIN, 0, "optin"},
        {TRK_CACHING, TRK_OPTIN, "caching-yes"},
        {TRK_OPTOUT, 0, "optout"},
        {TRK_CACHING, TRK_OPTOUT, "caching-no"},
        {TRK_NOLOOP, 0, "noloop"},
        {TRK_BROKEN_REDIR, 0, "broken_redirect"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(f & names[i].bit) || (names[i].needs && !(f & names[i].needs))) continue;
        add_reply_bulk_cstr(c, names[i].name);
        n++;
    }
    set_deferred_array_len(c, h, n);
    add_reply_bulk_cstr(c, "redirect");
    add_reply_int(c, tc ? (long long)tc->redirect_id : -1);
    add_reply_bulk_cstr(c, "prefixes");
    add_reply_array(c, tc ? (long long)tc->nprefixes : 0);
    for (size_t i = 0; tc && i < tc->nprefixes; i++)
        add_reply_bulk_sstr(c, tc->prefixes[i]);
}

/* ------------------------------------------------------------ remembering */

static void remember_key(tracking_ctx *t, const sstr key, uint64_t id) {
    dict_entry *existing = NULL;
    dict_entry *de = dict_add_raw(t->table, (void *)key, &existing);
    trk_ids *ids;
    if (de) {
        /* The key pointer was only borrowed for the probe: store a copy. */
        de->key = sstr_dup(key);
        ids = sk_calloc(1, sizeof(*ids));
        de->v.val = ids;
    } else {
        ids = existing->v.val;
        for (uint32_t i = 0; i < ids->n; i++)
            if (ids->ids[i] == id) return;
    }
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 2;
        ids->ids = sk_realloc(ids->ids, ids->cap * sizeof(*ids->ids));
    }
    ids->ids[ids->n++] = id;
    t->items++;
}

/* Read-only commands whose keys follow a numkeys argument at position 1
 * (Redis finds them through key specs; the table has no positions). */
static int numkeys_range(const client *c, int *first, int *last) {
    static const char *const names[] = {"zunion", "zinter", "zdiff", "zintercard", "sintercard"};
    size_t i = 0;
    while (i < sizeof(names) / sizeof(names[0]) && strcmp(names[i], c->cmd->name))
        i++;
    if (i == sizeof(names) / sizeof(names[0]) || c->argc < 3) return -1;
    char *end = NULL;
    long n = strtol(c->argv[1], &end, 10);
    if (!end || *end || n <= 0 || n > c->argc - 2) return -1;
    *first = 2;
    *last = 1 + (int)n;
    return 0;
}

void tracking_remember_keys(client *c) {
    struct tracking_client *tc = state_of(c);
    const command *cmd = c->cmd;
    if (!tc || !cmd || !(cmd->flags & CMD_READONLY) || (tc->flags & TRK_BCAST)) return;
    int caching = (tc->flags & TRK_CACHING) != 0;
    if (((tc->flags & TRK_OPTIN) && !caching) || ((tc->flags & TRK_OPTOUT) && caching)) return;
    int first = cmd->first_key, last, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (first > 0) {
        last = cmd->last_key < 0 ? c->argc + cmd->last_key : cmd->last_key;
    } else if (numkeys_range(c, &first, &last) < 0) {
        return;
    }
    for (int i = first; i <= last && i < c->argc; i += step)
        remember_key(c->srv->tracking, c->argv[i], c->id);
}

void tracking_after_command(client *c) {
    if (c->srv->tracking) c->srv->tracking->flush_sent = 0;
    struct tracking_client *tc = state_of(c);
    if (!tc || (c->flags & CLIENT_MULTI)) return;
    /* CLIENT CACHING itself (any CLIENT subcommand, as Redis) keeps it. */
    if (c->cmd && command_fullname(c->cmd) && !strncmp(command_fullname(c->cmd), "client|", 7))
        return;
    tc->flags &= ~TRK_CACHING;
}

int tracking_flag_chars(const client *c, char *out) {
    struct tracking_client *tc = state_of(c);
    int n = 0;
    if (!tc) return 0;
    out[n++] = 't';
    if (tc->flags & TRK_BROKEN_REDIR) out[n++] = 'R';
    if (tc->flags & TRK_BCAST) out[n++] = 'B';
    return n;
}

/* ----------------------------------------------------------- invalidating */

static struct tracking_client *tracker_by_id(tracking_ctx *t, uint64_t id) {
    return dict_fetch_value(t->clients, ID_KEY(id));
}

/* bcast: also queue the key for the BCAST prefixes (not when the table
 * limit drops a key that did not change). */
static void invalidate_key(server *srv, const sstr key, int bcast) {
    tracking_ctx *t = srv->tracking;
    if (bcast && dict_size(t->prefixes)) bcast_remember_key(srv, key);
    if (!dict_size(t->table)) return;
    dict_entry *de = dict_unlink(t->table, key);
    if (!de) return;
    trk_ids *ids = de->v.val;
    for (uint32_t i = 0; i < ids->n; i++) {
        struct tracking_client *tc = tracker_by_id(t, ids->ids[i]);
        if (!tc || (tc->flags & TRK_BCAST)) continue;
        if ((tc->flags & TRK_NOLOOP) && tc->owner == srv->current_client) continue;
        send_key(srv, tc, de->key);
    }
    t->items -= ids->n;
    dict_free_unlinked(t->table, de);
}

void tracking_invalidate_key(server *srv, const sstr key) {
    if (srv->tracking) invalidate_key(srv, key, 1);
}

void tracking_invalidate_all(server *srv) {
    tracking_ctx *t = srv->tracking;
    if (!t) return;
    if (!t->flush_sent) {
        t->flush_sent = 1;
        dict_iter it;
        dict_iter_init(&it, t->clients, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)))
            send_flush(srv, de->v.val);
        dict_iter_release(&it);
    }
    dict_empty(t->table);
    t->items = 0;
}

/* Sends the keys queued under one prefix to each of its clients. */
static void bcast_send_prefix(server *srv, bcast_state *b) {
    tracking_ctx *t = srv->tracking;
    for (size_t i = 0; i < b->nclients; i++) {
        struct tracking_client *tc = tracker_by_id(t, b->clients[i]);
        if (!tc) continue;
        uint64_t skip = (tc->flags & TRK_NOLOOP) ? tc->owner->id : 0;
        size_t n = 0;
        dict_iter it;
        dict_iter_init(&it, b->keys, 0);
        dict_entry *de;
        while ((de = dict_iter_next(&it)))
            if (!skip || de->v.u64 != skip) n++;
        dict_iter_release(&it);
        if (n == 0) continue;
        client *r = begin_message(srv, tc);
        if (!r) continue;
        add_reply_array(r, (long long)n);
        dict_iter_init(&it, b->keys, 0);
        while ((de = dict_iter_next(&it)))
            if (!skip || de->v.u64 != skip) add_reply_bulk_sstr(r, de->key);
        dict_iter_release(&it);
    }
    dict_empty(b->keys);
}

static void bcast_flush(server *srv) {
    dict_iter it;
    dict_iter_init(&it, srv->tracking->prefixes, 0);
    dict_entry *de;
    while ((de = dict_iter_next(&it))) {
        bcast_state *b = de->v.val;
        if (dict_size(b->keys)) bcast_send_prefix(srv, b);
    }
    dict_iter_release(&it);
}

/* Redis's trackingLimitUsedSlots: invalidate random keys, with an effort
 * that grows each time the table is still over the limit. */
static void enforce_table_limit(server *srv) {
    tracking_ctx *t = srv->tracking;
    long long max = srv->cfg ? srv->cfg->tracking_table_max_keys : 0;
    if (max <= 0 || dict_size(t->table) <= (size_t)max) {
        t->limit_rounds = 0;
        return;
    }
    unsigned rounds = t->limit_rounds < 1000 ? t->limit_rounds : 1000;
    int effort = 100 * (int)(rounds + 1);
    while (effort-- > 0) {
        dict_entry *de = dict_random_entry(t->table);
        if (!de) break;
        sstr key = sstr_dup(de->key);
        invalidate_key(srv, key, 0);
        sstr_free(key);
        if (dict_size(t->table) <= (size_t)max) {
            t->limit_rounds = 0;
            return;
        }
    }
    t->limit_rounds++;
}

void tracking_before_sleep(server *srv) {
    tracking_ctx *t = srv->tracking;
    if (!t) return;
    t->flush_sent = 0;
    if (dict_size(t->prefixes)) bcast_flush(srv);
    if (dict_size(t->table)) enforce_table_limit(srv);
}

/* ------------------------------------------------------------------- INFO */

long long tracking_num_clients(const server *srv) {
    return srv->tracking ? (long long)dict_size(srv->tracking->clients) : 0;
}

size_t tracking_total_keys(const server *srv) {
    return srv->tracking ? dict_size(srv->tracking->table) : 0;
}

size_t tracking_total_items(const server *srv) {
    return srv->tracking ? srv->tracking->items : 0;
}

size_t tracking_total_prefixes(const server *srv) {
    return srv->tracking ? dict_size(srv->tracking->prefixes) : 0;
}

void tracking_info_clients(const server *srv, sbuf *out) {
    sbuf_appendf(out, "tracking_clients:%lld\r\n", tracking_num_clients(srv));
}

void tracking_info_stats(const server *srv, sbuf *out) {
    sbuf_appendf(out,
                 "tracking_total_keys:%zu\r\ntracking_total_items:%zu\r\n"
                 "tracking_total_prefixes:%zu\r\n",
                 tracking_total_keys(srv), tracking_total_items(srv), tracking_total_prefixes(srv));
}
