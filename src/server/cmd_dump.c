/* cmd_dump.c - DUMP and RESTORE with Redis 7.0's options, replies and
 * error texts. The payload format lives in rdb_value.c.
 */
#include "../core/mem.h"
#include "../core/sbuf.h"
#include "config.h"
#include "rdb_value.h"
#include "propagate.h"
#include "server.h"

/* The clocks of object.c (its LRU field is seconds, 24 bits wide; the LFU
 * one is minutes, 16 bits, then an 8-bit counter). */
#define DUMP_LRU_CLOCK_MAX ((1L << OBJ_LRU_BITS) - 1)

static void dump_command(client *c) {
    sobj *o = db_lookup_read(c, c->argv[1]);
    if (!o) {
        add_reply_null(c);
        return;
    }
    sbuf b;
    sbuf_init(&b);
    if (rdb_dump_payload(&b, o) < 0)
        add_reply_error(c, "ERR DUMP of this type is not supported");
    else
        add_reply_bulk(c, b.data, b.len);
    sbuf_free(&b);
}

void rdb_set_object_clock(const server *srv, sobj *o, long long freq, long long idle) {
    if (o->refcount == OBJ_SHARED_REFCOUNT) return; /* a shared integer has no clock of its own */
    int lfu = srv->cfg && MAXMEMORY_IS_LFU(srv->cfg->maxmemory_policy);
    if (lfu && freq >= 0) {
        long long minutes = (srv->mstime / 1000 / 60) & 65535;
        o->lru = (unsigned)((minutes << 8) | freq);
    } else if (!lfu && idle >= 0) {
        long clock = (long)((srv->mstime / 1000) & DUMP_LRU_CLOCK_MAX);
        long abs = clock - (long)(idle % (DUMP_LRU_CLOCK_MAX + 1));
        if (abs < 0) abs += DUMP_LRU_CLOCK_MAX;
        o->lru = (unsigned)abs;
    }
}

typedef struct restore_opts {
    int replace, absttl;
    long long idle, freq; /* -1 when not given */
} restore_opts;

/* Options after the payload; replies and returns -1 on an error. */
static int restore_parse(client *c, restore_opts *op) {
    *op = (restore_opts){0, 0, -1, -1};
    for (int j = 4; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(c, j, "replace")) {
            op->replace = 1;
        } else if (arg_is(c, j, "absttl")) {
            op->absttl = 1;
        } else if (arg_is(c, j, "idletime") && more >= 1 && op->freq == -1) {
            if (get_ll_from_arg(c, j + 1, &op->idle, NULL) < 0) return -1;
            if (op->idle < 0) {
                add_reply_error(c, "ERR Invalid IDLETIME value, must be >= 0");
                return -1;
            }
            j++;
        } else if (arg_is(c, j, "freq") && more >= 1 && op->idle == -1) {
            if (get_ll_from_arg(c, j + 1, &op->freq, NULL) < 0) return -1;
            if (op->freq < 0 || op->freq > 255) {
                add_reply_error(c, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return -1;
            }
            j++;
        } else {
            add_reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] */
static void restore_command(client *c) {
    server *srv = c->srv;
    sstr key = c->argv[1];
    restore_opts op;
    long long ttl;
    sobj *o = NULL;
    if (restore_parse(c, &op) < 0) return;
    if (!op.replace && db_lookup(srv, c->db, key, DB_LOOKUP_WRITE)) {
        add_reply_error(c, "BUSYKEY Target key name already exists.");
        return;
    }
    if (get_ll_from_arg(c, 2, &ttl, NULL) < 0) return;
    if (ttl < 0) {
        add_reply_error(c, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    sstr payload = c->argv[3];
    if (rdb_verify_payload(payload, sstr_len(payload)) < 0) {
        add_reply_error(c, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    if (rdb_load_payload(srv, payload, sstr_len(payload), &o) < 0) {
        add_reply_error(c, "ERR Bad data format");
        return;
    }
    int deleted = op.replace ? db_delete(srv, c->db, key) : 0;
    if (ttl && !op.absttl) ttl += server_mstime(srv);
    if (ttl && db_expire_is_past(srv, ttl)) {
        /* Already expired: the key is gone (deleted above if it was there). */
        if (deleted) {
            srv->dirty++;
            propagate_rewrite_del(c, key);
        }
        obj_release(o);
        add_reply_ok(c);
        return;
    }
    db_add(srv, c->db, key, o);
    if (ttl) db_set_expire(srv, c->db, key, ttl);
    rdb_set_object_clock(srv, o, op.freq, op.idle);
    srv->dirty++;
    /* A relative TTL replays as absolute (as Redis: ABSTTL appended). */
    if (ttl && !op.absttl && propagate_active(srv)) {
        sstr *argv = sk_malloc(sizeof(sstr) * (size_t)(c->argc + 1));
        for (int i = 0; i < c->argc; i++)
            argv[i] = i == 2 ? sstr_from_ll(ttl) : sstr_dup(c->argv[i]);
        argv[c->argc] = sstr_from_cstr("ABSTTL");
        propagate_rewrite(c, argv, c->argc + 1);
    }
    add_reply_ok(c);
}

#define W CMD_WRITE
#define R CMD_READONLY
#define D CMD_DENYOOM

const command cmds_dump[] = {
    {"dump", dump_command, 2, R, 1, 1, 1, "generic",
     "Return a serialized version of the value stored at the specified key.", "2.6.0", NULL},
    {"restore", restore_command, -4, W | D, 1, 1, 1, "generic",
     "Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0",
     NULL},
    {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL},
};
