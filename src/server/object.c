/* object.c - values (sobj): the per-type operation table, string encodings,
 * reference counting and the LRU/LFU access bookkeeping.
 *
 * Strings come in three encodings, chosen as Redis 7.0 chooses them:
 *   int     canonical integers (the value sits in ival); 0..9999 share one
 *           static object each (refcount OBJ_SHARED_REFCOUNT, never freed)
 *           unless a maxmemory LRU/LFU policy needs a private clock per key;
 *   embstr  up to OBJ_EMBSTR_LIMIT bytes: the object and its sstr live in
 *           one allocation (immutable; writers unshare to raw first);
 *   raw     an sstr allocated on its own.
 *
 * Process-wide state (the type table, the shared integers, the policy
 * flags read by the constructors) lives here because constructors take no
 * server argument; obj_apply_config() keeps the flags in step with the
 * configuration.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "server.h"

#define LRU_CLOCK_MAX ((1u << OBJ_LRU_BITS) - 1)
#define LRU_CLOCK_RES_MS 1000 /* the LRU clock ticks once a second */
#define LFU_INIT_VAL 5        /* a new key's counter, so it is not evicted at once */

static const obj_type_ops *type_table[OBJ_TYPE_MAX];
static sobj shared_integers[OBJ_SHARED_INTEGERS];
static int shared_ready;

/* Mirrors of the configuration for constructors (see obj_apply_config). */
static int cfg_shared_ok = 1; /* shared integers allowed */
static int cfg_lfu;           /* maxmemory-policy is an LFU one */

/* ------------------------------------------------------------- the clocks */

static long long wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned lru_clock_at(long long ms) {
    return (unsigned)((ms / LRU_CLOCK_RES_MS) & LRU_CLOCK_MAX);
}

/* LFU keeps the last decrement time in minutes, 16 bits wide. */
static unsigned long lfu_minutes_at(long long ms) {
    return (unsigned long)((ms / 1000 / 60) & 65535);
}

static unsigned long lfu_elapsed(unsigned long ldt, long long now_ms) {
    unsigned long now = lfu_minutes_at(now_ms);
    if (now >= ldt) return now - ldt;
    return 65535 - ldt + now;
}

/* Logarithmic counter: the more hits it has, the less likely one more
 * increments it (Redis's LFULogIncr), so 8 bits cover millions of hits. */
static unsigned lfu_log_incr(unsigned counter, int log_factor) {
    if (counter == 255) return 255;
    double r = (double)util_rand64() / (double)UINT64_MAX;
    double baseval = (double)counter - LFU_INIT_VAL;
    if (baseval < 0) baseval = 0;
    double p = 1.0 / (baseval * log_factor + 1);
    if (r < p) counter++;
    return counter;
}

static unsigned lfu_decayed(const sobj *o, int decay_time, long long now_ms) {
    unsigned long ldt = o->lru >> 8;
    unsigned long counter = o->lru & 255;
    unsigned long periods = decay_time > 0 ? lfu_elapsed(ldt, now_ms) / (unsigned)decay_time : 0;
    if (periods) counter = periods > counter ? 0 : counter - periods;
    return (unsigned)counter;
}

static int srv_is_lfu(const server *srv) {
    return srv->cfg && MAXMEMORY_IS_LFU(srv->cfg->maxmemory_policy);
}

static void init_clock_field(sobj *o) {
    long long now = wall_ms();
    if (cfg_lfu)
        o->lru = (unsigned)((lfu_minutes_at(now) << 8) | LFU_INIT_VAL);
    else
        o->lru = lru_clock_at(now);
}

void obj_touch(server *srv, sobj *o) {
    if (srv_is_lfu(srv)) {
        unsigned counter = lfu_decayed(o, srv->cfg->lfu_decay_time, srv->mstime);
        counter = lfu_log_incr(counter, srv->cfg->lfu_log_factor);
        o->lru = (unsigned)((lfu_minutes_at(srv->mstime) << 8) | counter);
    } else {
        o->lru = lru_clock_at(srv->mstime);
    }
}

unsigned long obj_idle_ms(const server *srv, const sobj *o) {
    unsigned long now = lru_clock_at(srv->mstime);
    if (now >= o->lru) return (now - o->lru) * LRU_CLOCK_RES_MS;
    return (now + (LRU_CLOCK_MAX - o->lru)) * LRU_CLOCK_RES_MS;
}

unsigned obj_lfu_counter(const server *srv, sobj *o) {
    int decay = srv->cfg ? srv->cfg->lfu_decay_time : 1;
    return lfu_decayed(o, decay, srv->mstime);
}

void obj_apply_config(const server *srv) {
    if (!srv->cfg) return;
    int policy = srv->cfg->maxmemory_policy;
    cfg_lfu = MAXMEMORY_IS_LFU(policy);
    /* Shared objects have one clock for every key holding them, which
     * would blind an LRU/LFU eviction policy. */
    cfg_shared_ok =
        srv->cfg->maxmemory == 0 || !(MAXMEMORY_IS_LFU(policy) || MAXMEMORY_IS_LRU(policy));
}

/* --------------------------------------------------------- the type table */

void obj_register_type(enum obj_type t, const obj_type_ops *ops) {
    if ((int)t < 0 || t >= OBJ_TYPE_MAX) return;
    type_table[t] = ops;
}

const obj_type_ops *obj_type_get(enum obj_type t) {
    if ((int)t < 0 || t >= OBJ_TYPE_MAX) return NULL;
    return type_table[t];
}

const char *obj_type_name(const sobj *o) {
    static const char *fallback[OBJ_TYPE_MAX] = {"string", "list", "set",   "zset",
                                                 "hash",   NULL,   "stream"};
    if (!o) return "none";
    const obj_type_ops *ops = obj_type_get(o->type);
    if (ops && ops->name) return ops->name;
    if (o->type < OBJ_TYPE_MAX && fallback[o->type]) return fallback[o->type];
    return "unknown";
}

const char *obj_encoding_name(int encoding) {
    switch (encoding) {
    case OBJ_ENC_RAW:
        return "raw";
    case OBJ_ENC_INT:
        return "int";
    case OBJ_ENC_HT:
        return "hashtable";
    case OBJ_ENC_LISTPACK:
        return "listpack";
    case OBJ_ENC_QUICKLIST:
        return "quicklist";
    case OBJ_ENC_INTSET:
        return "intset";
    case OBJ_ENC_SKIPLIST:
        return "skiplist";
    case OBJ_ENC_EMBSTR:
        return "embstr";
    case OBJ_ENC_STREAM:
        return "stream";
    default:
        return "unknown";
    }
}

/* ------------------------------------------------------------ life cycle */

static int is_shared(const sobj *o) {
    return o->refcount == OBJ_SHARED_REFCOUNT;
}

sobj *obj_new(enum obj_type type, enum obj_encoding enc, void *ptr) {
    sobj *o = sk_malloc(sizeof(*o));
    o->type = type;
    o->encoding = enc;
    o->refcount = 1;
    o->ptr = ptr;
    init_clock_field(o);
    return o;
}

sobj *obj_retain(sobj *o) {
    if (o && !is_shared(o)) o->refcount++;
    return o;
}

static void free_value(sobj *o) {
    if (o->type == OBJ_STRING) {
        if (o->encoding == OBJ_ENC_RAW) sstr_free(o->ptr);
        return; /* int: nothing; embstr: freed with the object */
    }
    const obj_type_ops *ops = obj_type_get(o->type);
    if (ops && ops->free_value) ops->free_value(o);
}

void obj_release(sobj *o) {
    if (!o || is_shared(o)) return;
    if (o->refcount <= 0) {
        log_warning("obj_release: object with refcount %d", (int)o->refcount);
        abort();
    }
    if (--o->refcount > 0) return;
    free_value(o);
    sk_free(o);
}

/* ---------------------------------------------------------------- strings */

/* The embedded sstr copies the 8-bit header of sstr.c (len, alloc, type 0
 * just before the bytes); obj_init_types() checks that sstr_len() reads it
 * back, so a change of that layout fails loudly at start, not silently. */
#define EMB_HDR 3

static sobj *new_embstr(const void *p, size_t len) {
    sobj *o = sk_malloc(sizeof(*o) + EMB_HDR + len + 1);
    unsigned char *h = (unsigned char *)(o + 1);
    h[0] = (unsigned char)len; /* len */
    h[1] = (unsigned char)len; /* alloc */
    h[2] = 0;                  /* type: 8-bit header */
    char *s = (char *)(h + EMB_HDR);
    if (len && p)
        memcpy(s, p, len);
    else if (len)
        memset(s, 0, len);
    s[len] = '\0';
    o->type = OBJ_STRING;
    o->encoding = OBJ_ENC_EMBSTR;
    o->refcount = 1;
    o->ptr = s;
    init_clock_field(o);
    return o;
}

/* Shared integers carry the clock of their creation, as Redis's do: OBJECT
 * IDLETIME of such a value is the time since the server started. */
static void init_shared(void) {
    if (shared_ready) return;
    unsigned created = lru_clock_at(ev_wall_ms());
    for (int i = 0; i < OBJ_SHARED_INTEGERS; i++) {
        sobj *o = &shared_integers[i];
        o->type = OBJ_STRING;
        o->encoding = OBJ_ENC_INT;
        o->refcount = OBJ_SHARED_REFCOUNT;
        o->lru = created;
        o->ival = i;
    }
    shared_ready = 1;
}

/* An integer value: shared when allowed (Redis's ...ForValue variant). */
static sobj *new_int_value(long long v) {
    if (cfg_shared_ok && v >= 0 && v < OBJ_SHARED_INTEGERS) {
        init_shared();
        return &shared_integers[v];
    }
    sobj *o = obj_new(OBJ_STRING, OBJ_ENC_INT, NULL);
    o->ival = v;
    return o;
}

sobj *obj_new_raw_string(const void *p, size_t len) {
    return obj_new(OBJ_STRING, OBJ_ENC_RAW, sstr_new(p, len));
}

sobj *obj_new_string(const void *p, size_t len) {
    long long v;
    if (len <= 20 && p && util_str_to_ll(p, len, &v)) return new_int_value(v);
    if (len <= OBJ_EMBSTR_LIMIT) return new_embstr(p, len);
    return obj_new_raw_string(p, len);
}

sobj *obj_new_string_noint(const void *p, size_t len) {
    if (len <= OBJ_EMBSTR_LIMIT) return new_embstr(p, len);
    return obj_new_raw_string(p, len);
}

sobj *obj_new_string_from_sstr(sstr s) {
    return obj_new(OBJ_STRING, OBJ_ENC_RAW, s);
}

sobj *obj_new_string_ll(long long v) {
    return new_int_value(v);
}

const char *obj_string_bytes(const sobj *o, char *buf, size_t *len) {
    if (o->encoding == OBJ_ENC_INT) {
        *len = (size_t)util_ll_to_str(buf, 21, o->ival);
        return buf;
    }
    *len = sstr_len(o->ptr);
    return o->ptr;
}

size_t obj_string_len(const sobj *o) {
    if (o->encoding == OBJ_ENC_INT) {
        char buf[32];
        return (size_t)util_ll_to_str(buf, sizeof(buf), o->ival);
    }
    return sstr_len(o->ptr);
}

sobj *obj_unshare_string(sobj *o) {
    if (o->refcount == 1 && o->encoding == OBJ_ENC_RAW) return o;
    char buf[32];
    size_t len;
    const char *p = obj_string_bytes(o, buf, &len);
    return obj_new_raw_string(p, len);
}

int obj_get_ll(const sobj *o, long long *out) {
    if (o->type != OBJ_STRING) return 0;
    if (o->encoding == OBJ_ENC_INT) {
        *out = o->ival;
        return 1;
    }
    return util_str_to_ll(o->ptr, sstr_len(o->ptr), out);
}

int obj_get_ld(const sobj *o, long double *out) {
    if (o->type != OBJ_STRING) return 0;
    if (o->encoding == OBJ_ENC_INT) {
        *out = (long double)o->ival;
        return 1;
    }
    return util_str_to_ld(o->ptr, sstr_len(o->ptr), out);
}

sobj *obj_try_encode(sobj *o) {
    if (o->type != OBJ_STRING) return o;
    if (o->encoding != OBJ_ENC_RAW && o->encoding != OBJ_ENC_EMBSTR) return o;
    /* A value also held elsewhere must keep its identity. */
    if (o->refcount > 1) return o;

    size_t len = sstr_len(o->ptr);
    long long v;
    if (len <= 20 && util_str_to_ll(o->ptr, len, &v)) {
        if (o->encoding == OBJ_ENC_RAW && !(cfg_shared_ok && v >= 0 && v < OBJ_SHARED_INTEGERS)) {
            sstr_free(o->ptr);
            o->encoding = OBJ_ENC_INT;
            o->ival = v;
            return o;
        }
        obj_release(o);
        return new_int_value(v);
    }
    if (len <= OBJ_EMBSTR_LIMIT) {
        if (o->encoding == OBJ_ENC_EMBSTR) return o;
        sobj *emb = new_embstr(o->ptr, len);
        obj_release(o);
        return emb;
    }
    /* Keep it raw, but give back spare capacity over 10%. */
    if (sstr_avail(o->ptr) > len / 10) o->ptr = sstr_remove_free(o->ptr);
    return o;
}

static void string_free(sobj *o) {
    if (o->encoding == OBJ_ENC_RAW) sstr_free(o->ptr);
}

/* COPY: a private copy in the same encoding (an int is never shared). */
static sobj *string_dup(const sobj *o) {
    if (o->encoding == OBJ_ENC_INT) {
        sobj *d = obj_new(OBJ_STRING, OBJ_ENC_INT, NULL);
        d->ival = o->ival;
        return d;
    }
    if (o->encoding == OBJ_ENC_EMBSTR) return new_embstr(o->ptr, sstr_len(o->ptr));
    return obj_new_raw_string(o->ptr, sstr_len(o->ptr));
}

static size_t string_mem_usage(const sobj *o) {
    if (o->encoding == OBJ_ENC_INT) return 0;
    if (o->encoding == OBJ_ENC_EMBSTR) return EMB_HDR + sstr_len(o->ptr) + 1;
    return sstr_alloc_size(o->ptr);
}

static const obj_type_ops string_ops = {
    .name = "string",
    .free_value = string_free,
    .dup = string_dup,
    .mem_usage = string_mem_usage,
};

size_t obj_mem_usage(const sobj *o) {
    const obj_type_ops *ops = obj_type_get(o->type);
    size_t extra = ops && ops->mem_usage ? ops->mem_usage(o) : 0;
    return sizeof(*o) + extra;
}

sobj *obj_dup(const sobj *o) {
    const obj_type_ops *ops = obj_type_get(o->type);
    if (o->type == OBJ_STRING) return string_dup(o);
    return ops && ops->dup ? ops->dup(o) : NULL;
}

/* Verifies the embedded header against sstr.c's reader (see EMB_HDR). */
static void check_embstr_layout(void) {
    static const char probe[] = "sealkv-embstr-probe";
    sobj *o = new_embstr(probe, sizeof(probe) - 1);
    int ok = sstr_len(o->ptr) == sizeof(probe) - 1 && sstr_avail(o->ptr) == 0 &&
             memcmp(o->ptr, probe, sizeof(probe)) == 0;
    obj_release(o);
    if (!ok) {
        log_warning("object: the sstr header layout changed; embstr cannot be built");
        abort();
    }
}

void obj_init_types(void) {
    init_shared();
    check_embstr_layout();
    obj_register_type(OBJ_STRING, &string_ops);
}
