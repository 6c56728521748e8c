/* t_hash.h - the hash type (OBJ_HASH) and its commands.
 *
 * A hash value has one of two encodings, chosen as Redis 7.0 chooses them:
 *   listpack   o->ptr is a listpack (core/listpack.h) of field, value, field,
 *              value... in insertion order, while the hash has at most
 *              hash-max-listpack-entries fields and no field or value longer
 *              than hash-max-listpack-value bytes;
 *   hashtable  o->ptr is a dict keyed by sstr fields, once either limit is
 *              passed (a hash never goes back). To save an allocation per
 *              field, each key's block also holds the value, right after the
 *              field's NUL, and the entry's v.u64 is the value length: read
 *              and write it only through hash_iter / hash_get / hash_set.
 * An empty hash is never stored: the command that removes the last field
 * deletes the key.
 *
 * The helpers below are for other server modules (RDB/DUMP, AOF rewrite,
 * COPY). They take borrowed objects; nothing is thread-safe.
 */
#ifndef SEALKV_SERVER_T_HASH_H
#define SEALKV_SERVER_T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "../core/listpack.h"
#include "server.h"

/* Registers OBJ_HASH's free/dup/mem_usage ops. Call once at start, with
 * obj_init_types(). */
void hash_register_type(void);

/* HSET HSETNX HGET HMGET HMSET HDEL HLEN HSTRLEN HEXISTS HINCRBY
 * HINCRBYFLOAT HKEYS HVALS HGETALL HRANDFIELD HSCAN; NULL-name terminated. */
extern const command cmds_hash[];

/* A new empty hash in listpack encoding (refcount 1, owned by the caller). */
sobj *hash_new(void);
/* Number of fields. */
unsigned long hash_length(const sobj *o);
/* Converts a listpack hash to hashtable (no-op if it already is one). */
void hash_convert_to_ht(sobj *o);
/* Converts a listpack hash whose length passes the configured entry limit
 * (for RDB loading, which builds the listpack first). */
void hash_convert_if_needed(const server *srv, sobj *o);

/* Looks field up: 1 and its value (bytes borrowed from the hash, or written
 * into buf for a listpack integer; valid until the hash changes), else 0. */
int hash_get(const sobj *o, const sstr field, const char **value, size_t *vlen,
             unsigned char buf[LP_INTBUF_SIZE]);

/* Sets field to value, converting the encoding when a limit is passed.
 * Returns 1 if the field existed (value replaced), 0 if it was added. */
int hash_set(const server *srv, sobj *o, const sstr field, const void *value, size_t vlen);
/* Returns 1 if the field was there and is now removed. The caller deletes
 * the key when the hash becomes empty. */
int hash_delete(sobj *o, const sstr field);

/* Iterator over field/value pairs, in listpack order or dict order. The hash
 * must not change while it runs. */
typedef struct hash_iter {
    const sobj *o;          /* borrowed */
    unsigned char *fp, *vp; /* listpack: current field and value */
    dict_iter di;           /* hashtable */
    dict_entry *de;
    int started;
} hash_iter;

void hash_iter_init(hash_iter *it, const sobj *o);
/* Advances; returns 1 while there is a current pair, 0 at the end. */
int hash_iter_next(hash_iter *it);
/* The current field / value as bytes: borrowed from the hash, or written
 * into buf when the listpack holds it as an integer. */
const char *hash_iter_field(hash_iter *it, size_t *len, unsigned char buf[LP_INTBUF_SIZE]);
const char *hash_iter_value(hash_iter *it, size_t *len, unsigned char buf[LP_INTBUF_SIZE]);
void hash_iter_release(hash_iter *it);

/* Integrity of an untrusted listpack meant to become a hash value (RESTORE,
 * RDB): a valid listpack (lp_validate) with an even number of entries and
 * no field twice. Returns 1 if valid. */
int hash_validate_listpack(const unsigned char *lp, size_t size);

#endif
