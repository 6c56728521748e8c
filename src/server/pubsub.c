/* pubsub.c - SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
 * PUBSUB: see pubsub.h for the data model. Reply shapes and counts follow
 * Redis 7.0 (checked against redis-server 7.0 on the wire).
 */
#include "pubsub.h"

#include <stdio.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/util.h"

/* ------------------------------------------------------------ dict types */

static uint64_t ptr_hash(const void *key) {
    return dict_hash_bytes(&key, sizeof(key));
}
static int ptr_equal(const void *a, const void *b) {
    return a == b;
}
static void set_release(void *val) {
    dict_release(val);
}

/* Server side: name -> set of clients. */
static const dict_type server_map_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free,
                                          set_release};
/* A set of client* (borrowed). */
static const dict_type client_set_type = {ptr_hash, ptr_equal, NULL, NULL};
/* Client side: name -> NULL. */
static const dict_type client_map_type = {dict_hash_sstr, dict_sstr_equal, dict_sstr_free, NULL};

/* The two kinds of subscription share all their code; only the maps and
 * the words in the replies differ. */
typedef struct sub_kind {
    const char *sub_word, *unsub_word;
    size_t client_off; /* offsetof(client, pubsub_channels or pubsub_patterns) */
    size_t server_off; /* offsetof(server, ...) */
} sub_kind;

static const sub_kind kind_channel = {"subscribe", "unsubscribe", offsetof(client, pubsub_channels),
                                      offsetof(server, pubsub_channels)};
static const sub_kind kind_pattern = {"psubscribe", "punsubscribe",
                                      offsetof(client, pubsub_patterns),
                                      offsetof(server, pubsub_patterns)};

static dict **client_map(client *c, const sub_kind *k) {
    return (dict **)((char *)c + k->client_off);
}
static dict *server_map(server *srv, const sub_kind *k) {
    return *(dict **)((char *)srv + k->server_off);
}

/* ------------------------------------------------------------- lifecycle */

void pubsub_init(server *srv) {
    srv->pubsub_channels = dict_create(&server_map_type);
    srv->pubsub_patterns = dict_create(&server_map_type);
}

void pubsub_free(server *srv) {
    if (srv->pubsub_channels) dict_release(srv->pubsub_channels);
    if (srv->pubsub_patterns) dict_release(srv->pubsub_patterns);
    srv->pubsub_channels = srv->pubsub_patterns = NULL;
}

int pubsub_client_count(const client *c) {
    size_t n = 0;
    if (c->pubsub_channels) n += dict_size(c->pubsub_channels);
    if (c->pubsub_patterns) n += dict_size(c->pubsub_patterns);
    return (int)n;
}

size_t pubsub_num_channels(const server *srv) {
    return srv->pubsub_channels ? dict_size(srv->pubsub_channels) : 0;
}

size_t pubsub_num_patterns(const server *srv) {
    return srv->pubsub_patterns ? dict_size(srv->pubsub_patterns) : 0;
}

/* --------------------------------------------------------------- replies */

/* Subscription events and messages are push replies in RESP3 and plain
 * arrays in RESP2; server.h has no push writer, so it is encoded here. */
static void reply_push_len(client *c, long long n) {
    if (c->resp == 3) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), ">%lld\r\n", n);
        add_reply_raw(c, buf, (size_t)len);
    } else {
        add_reply_array(c, n);
    }
}

/* ["subscribe"|..., name or nil, count after the change] */
static void reply_sub_event(client *c, const char *word, const sstr name) {
    reply_push_len(c, 3);
    add_reply_bulk_cstr(c, word);
    if (name)
        add_reply_bulk_sstr(c, name);
    else
        add_reply_null(c);
    add_reply_int(c, pubsub_client_count(c));
}

/* ----------------------------------------------------- (un)subscribe core */

/* Returns 1 if c was not yet subscribed to name. */
static int subscribe_one(client *c, const sub_kind *k, const sstr name) {
    dict **cmap = client_map(c, k);
    dict *smap = server_map(c->srv, k);
    if (!*cmap) *cmap = dict_create(&client_map_type);
    if (dict_find(*cmap, name)) return 0;
    dict_add(*cmap, sstr_dup(name), NULL);
    dict *set = dict_fetch_value(smap, name);
    if (!set) {
        set = dict_create(&client_set_type);
        dict_add(smap, sstr_dup(name), set);
    }
    dict_add(set, c, NULL);
    c->flags |= CLIENT_PUBSUB;
    return 1;
}

/* Returns 1 if c was subscribed to name. name must not be a key of c's own
 * map (it is freed here). */
static int unsubscribe_one(client *c, const sub_kind *k, const sstr name) {
    dict **cmap = client_map(c, k);
    dict *smap = server_map(c->srv, k);
    if (!*cmap || dict_delete(*cmap, name) != 0) return 0;
    dict *set = dict_fetch_value(smap, name);
    if (set) {
        dict_delete(set, c);
        /* Dropping empty entries keeps PUBSUB CHANNELS / NUMPAT exact. */
        if (dict_size(set) == 0) dict_delete(smap, name);
    }
    if (pubsub_client_count(c) == 0) c->flags &= ~CLIENT_PUBSUB;
    return 1;
}

/* Unsubscribes from every name of one kind; with notify, one reply each,
 * or a single [word, nil, count] when there was none (as Redis). */
static void unsubscribe_all(client *c, const sub_kind *k, int notify) {
    dict **cmap = client_map(c, k);
    size_t n = *cmap ? dict_size(*cmap) : 0;
    if (n > 0) {
        /* Copy the names first: unsubscribing deletes them from the map
         * being walked, and frees the map's own key strings. */
        sstr *names = sk_malloc(n * sizeof(*names));
        size_t i = 0;
        dict_iter it;
        dict_entry *de;
        dict_iter_init(&it, *cmap, 0);
        while ((de = dict_iter_next(&it)) != NULL && i < n)
            names[i++] = sstr_dup(de->key);
        dict_iter_release(&it);
        for (size_t j = 0; j < i; j++) {
            unsubscribe_one(c, k, names[j]);
            if (notify) reply_sub_event(c, k->unsub_word, names[j]);
            sstr_free(names[j]);
        }
        sk_free(names);
    }
    if (notify && n == 0) reply_sub_event(c, k->unsub_word, NULL);
}

void pubsub_client_free(client *c) {
    unsubscribe_all(c, &kind_channel, 0);
    unsubscribe_all(c, &kind_pattern, 0);
    if (c->pubsub_channels) dict_release(c->pubsub_channels);
    if (c->pubsub_patterns) dict_release(c->pubsub_patterns);
    c->pubsub_channels = c->pubsub_patterns = NULL;
    c->flags &= ~CLIENT_PUBSUB;
}

/* -------------------------------------------------------------- publish */

static void deliver(client *r, const sstr pattern, const sstr ch, const sstr msg) {
    if (pattern) {
        reply_push_len(r, 4);
        add_reply_bulk_cstr(r, "pmessage");
        add_reply_bulk_sstr(r, pattern);
    } else {
        reply_push_len(r, 3);
        add_reply_bulk_cstr(r, "message");
    }
    add_reply_bulk_sstr(r, ch);
    add_reply_bulk_sstr(r, msg);
}

/* Sends to every client of set; replies never free a client synchronously
 * (output limits use client_free_async), so the walk is stable. */
static long long deliver_to_set(dict *set, const sstr pattern, const sstr ch, const sstr msg) {
    long long n = 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, set, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        deliver(de->key, pattern, ch, msg);
        n++;
    }
    dict_iter_release(&it);
    return n;
}

long long pubsub_publish(server *srv, const sstr ch, const sstr msg) {
    long long receivers = 0;
    dict *set = dict_fetch_value(srv->pubsub_channels, ch);
    if (set) receivers += deliver_to_set(set, NULL, ch, msg);
    if (dict_size(srv->pubsub_patterns) == 0) return receivers;

    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, srv->pubsub_patterns, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        sstr pat = de->key;
        if (!util_glob_match(pat, sstr_len(pat), ch, sstr_len(ch), 0)) continue;
        receivers += deliver_to_set(de->v.val, pat, ch, msg);
    }
    dict_iter_release(&it);
    return receivers;
}

/* ------------------------------------------------------------- commands */

static void subscribe_generic(client *c, const sub_kind *k) {
    for (int i = 1; i < c->argc; i++) {
        subscribe_one(c, k, c->argv[i]);
        reply_sub_event(c, k->sub_word, c->argv[i]);
    }
}

static void unsubscribe_generic(client *c, const sub_kind *k) {
    if (c->argc == 1) {
        unsubscribe_all(c, k, 1);
        return;
    }
    for (int i = 1; i < c->argc; i++) {
        unsubscribe_one(c, k, c->argv[i]);
        reply_sub_event(c, k->unsub_word, c->argv[i]);
    }
}

static void subscribe_command(client *c) {
    subscribe_generic(c, &kind_channel);
}
static void unsubscribe_command(client *c) {
    unsubscribe_generic(c, &kind_channel);
}
static void psubscribe_command(client *c) {
    subscribe_generic(c, &kind_pattern);
}
static void punsubscribe_command(client *c) {
    unsubscribe_generic(c, &kind_pattern);
}

static void publish_command(client *c) {
    add_reply_int(c, pubsub_publish(c->srv, c->argv[1], c->argv[2]));
}

/* PUBSUB CHANNELS [pattern] */
static void pubsub_channels_command(client *c) {
    const sstr pat = c->argc == 3 ? c->argv[2] : NULL;
    size_t handle = add_reply_deferred_len(c);
    long long n = 0;
    dict_iter it;
    dict_entry *de;
    dict_iter_init(&it, c->srv->pubsub_channels, 0);
    while ((de = dict_iter_next(&it)) != NULL) {
        sstr ch = de->key;
        if (pat && !util_glob_match(pat, sstr_len(pat), ch, sstr_len(ch), 0)) continue;
        add_reply_bulk_sstr(c, ch);
        n++;
    }
    dict_iter_release(&it);
    set_deferred_array_len(c, handle, n);
}

/* PUBSUB NUMSUB [channel ...]: channel, count pairs (a map in RESP3). */
static void pubsub_numsub_command(client *c) {
    add_reply_map(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        dict *set = dict_fetch_value(c->srv->pubsub_channels, c->argv[i]);
        add_reply_bulk_sstr(c, c->argv[i]);
        add_reply_int(c, set ? (long long)dict_size(set) : 0);
    }
}

static void pubsub_numpat_command(client *c) {
    add_reply_int(c, (long long)dict_size(c->srv->pubsub_patterns));
}

/* Sharded pub/sub does not exist here, so there are never shard channels;
 * the two subcommands answer as Redis 7.0 does with none. */
static void pubsub_shardchannels_command(client *c) {
    add_reply_array(c, 0);
}

static void pubsub_shardnumsub_command(client *c) {
    add_reply_map(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        add_reply_bulk_sstr(c, c->argv[i]);
        add_reply_int(c, 0);
    }
}

static void pubsub_help_command(client *c) {
    static const char *const lines[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        ("    Return the currently active shard level channels matching a <pattern> (default: "
         "'*')."),
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    };
    add_reply_help(c, lines, sizeof(lines) / sizeof(lines[0]));
}

#define PS_FLAGS (CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define PS_SUB_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE)

static const command pubsub_subcommands[] = {
    {"channels", pubsub_channels_command, -2, PS_SUB_FLAGS, 0, 0, 0, "pubsub",
     "List active channels", "2.8.0", NULL},
    {"numsub", pubsub_numsub_command, -2, PS_SUB_FLAGS, 0, 0, 0, "pubsub",
     "Get the count of subscribers for channels", "2.8.0", NULL},
    {"numpat", pubsub_numpat_command, 2, PS_SUB_FLAGS, 0, 0, 0, "pubsub",
     "Get the count of unique patterns pattern subscriptions", "2.8.0", NULL},
    {"shardchannels", pubsub_shardchannels_command, -2, PS_SUB_FLAGS, 0, 0, 0, "pubsub",
     "List active shard channels", "7.0.0", NULL},
    {"shardnumsub", pubsub_shardnumsub_command, -2, PS_SUB_FLAGS, 0, 0, 0, "pubsub",
     "Get the count of subscribers for shard channels", "7.0.0", NULL},
    {"help", pubsub_help_command, 2, CMD_LOADING | CMD_STALE, 0, 0, 0, "pubsub",
     "Show helpful text about the different subcommands", "6.2.0", NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

const command cmds_pubsub[] = {
    {"subscribe", subscribe_command, -2, PS_FLAGS, 0, 0, 0, "pubsub",
     "Listen for messages published to the given channels", "2.0.0", NULL},
    {"unsubscribe", unsubscribe_command, -1, PS_FLAGS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to the given channels", "2.0.0", NULL},
    {"psubscribe", psubscribe_command, -2, PS_FLAGS, 0, 0, 0, "pubsub",
     "Listen for messages published to channels matching the given patterns", "2.0.0", NULL},
    {"punsubscribe", punsubscribe_command, -1, PS_FLAGS, 0, 0, 0, "pubsub",
     "Stop listening for messages posted to channels matching the given patterns", "2.0.0", NULL},
    {"publish", publish_command, 3, CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST, 0, 0, 0,
     "pubsub", "Post a message to a channel", "2.0.0", NULL},
    {"pubsub", NULL, -2, 0, 0, 0, 0, "pubsub", "A container for Pub/Sub commands", "2.8.0",
     pubsub_subcommands},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------ subscribed context */

int pubsub_command_allowed_in_context(const command *cmd) {
    if (!cmd) return 0;
    if (cmd->fn == subscribe_command || cmd->fn == unsubscribe_command ||
        cmd->fn == psubscribe_command || cmd->fn == punsubscribe_command)
        return 1;
    /* PING, QUIT and RESET live in another family's table; a subcommand of
     * the same name (CLUSTER RESET) belongs to another group. */
    if (cmd->group && strcmp(cmd->group, "connection") != 0) return 0;
    return strcmp(cmd->name, "ping") == 0 || strcmp(cmd->name, "quit") == 0 ||
           strcmp(cmd->name, "reset") == 0;
}
