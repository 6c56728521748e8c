/* t_stream.h - the stream type (OBJ_STREAM, encoding "stream") and its
 * commands, as Redis 7.0: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD
 * XGROUP XREADGROUP XACK XPENDING XCLAIM XAUTOCLAIM XINFO XSETID.
 *
 * stream_register_type() registers the value operations (free, dup, memory)
 * and must run once at start, after obj_init_types(). cmds_stream is the
 * family's command table for commands.c.
 *
 * Representation, and how it maps to Redis's RDB_TYPE_STREAM_LISTPACKS_3:
 *
 *   stream.nodes   An array of (master ID, listpack) pairs sorted by master
 *                  ID. Redis keeps the same pairs in a radix tree keyed by
 *                  the 128-bit big-endian master ID; the RDB format is the
 *                  list of those pairs in key order: for each node the
 *                  16-byte key (stream_id_encode) then the listpack bytes,
 *                  which we keep byte for byte in Redis's layout:
 *
 *     master entry: count | deleted | num-fields | field_1 .. field_N | 0
 *     each entry:   flags | ms-diff | seq-diff | num-fields | f1 v1 .. fN vN | lp-count
 *     or, when flags has STREAM_ITEM_SAMEFIELDS (fields equal the master's):
 *                   flags | ms-diff | seq-diff | v1 .. vN | lp-count
 *
 *                  count/deleted are the live / tombstoned entries of the
 *                  node; diffs are relative to the node's master ID (the
 *                  first entry added to it); lp-count is the number of
 *                  elements of the entry before it, so a reader can walk
 *                  back. A node is closed when it reaches
 *                  stream-node-max-bytes or stream-node-max-entries, and
 *                  removed when its last live entry goes.
 *   length, last_id, first_id (recorded-first-entry-id), max_deleted_id,
 *   entries_added   the stream metadata RDB stores after the nodes.
 *   groups         Sorted by name (the byte order of Redis's rax). Each
 *                  group has last_id, entries_read, its PEL (ID -> nack)
 *                  and its consumers (sorted by name), each with a PEL
 *                  holding the same nack pointers: RDB writes the group PEL
 *                  with delivery time and count, then per consumer its name,
 *                  seen time and the IDs of its PEL.
 *
 * XINFO's radix-tree-keys is the node count and radix-tree-nodes the node
 * count of the compressed rax Redis would build from the same keys.
 *
 * The ordered maps keyed by ID (nodes, PELs) are sorted arrays: appends at
 * the end are O(1) amortized, which is what XADD and XREADGROUP do; XACK in
 * arbitrary order costs a memmove.
 *
 * Ownership: a stream owns its listpacks, groups, consumers and nacks (a
 * nack is owned by the group PEL; consumer PELs borrow it). Not
 * thread-safe.
 */
#ifndef SEALKV_SERVER_T_STREAM_H
#define SEALKV_SERVER_T_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

void stream_register_type(void);
extern const command cmds_stream[];

/* ------------------------------------------------------------ the value */

typedef struct stream_id {
    uint64_t ms, seq;
} stream_id;

#define STREAM_ITEM_NONE 0
#define STREAM_ITEM_DELETED (1 << 0)
#define STREAM_ITEM_SAMEFIELDS (1 << 1)
/* Largest total size of the fields and values of one entry (Redis's
 * STREAM_LISTPACK_MAX_SIZE). */
#define STREAM_LISTPACK_MAX_SIZE (1u << 30)
/* entries_read when it is not known (Redis's SCG_INVALID_ENTRIES_READ). */
#define STREAM_ENTRIES_READ_INVALID (-1LL)

typedef struct stream_idmap_entry {
    stream_id id;
    void *val;
} stream_idmap_entry;

/* Ordered map ID -> pointer (a sorted array). */
typedef struct stream_idmap {
    stream_idmap_entry *e; /* owned array */
    size_t len, cap;
} stream_idmap;

struct stream_consumer;

typedef struct stream_nack {
    long long delivery_time; /* ms */
    uint64_t delivery_count;
    struct stream_consumer *consumer; /* borrowed: the owner of the entry */
} stream_nack;

typedef struct stream_consumer {
    sstr name; /* owned; first member: the name arrays rely on it */
    long long seen_time;
    stream_idmap pel; /* ID -> stream_nack* (borrowed from the group PEL) */
} stream_consumer;

typedef struct stream_cg {
    sstr name; /* owned; first member */
    stream_id last_id;
    long long entries_read;
    stream_idmap pel;            /* ID -> stream_nack* (owned) */
    stream_consumer **consumers; /* owned, sorted by name */
    size_t nconsumers, consumers_cap;
} stream_cg;

typedef struct stream {
    stream_idmap nodes; /* master ID -> listpack (owned) */
    uint64_t length;
    stream_id last_id, first_id, max_deleted_id;
    uint64_t entries_added;
    stream_cg **groups; /* owned, sorted by name */
    size_t ngroups, groups_cap;
} stream;

/* IDs */
int stream_id_cmp(const stream_id *a, const stream_id *b);
int stream_id_incr(stream_id *id);                                 /* -1 on overflow (max ID) */
int stream_id_decr(stream_id *id);                                 /* -1 on underflow (0-0) */
void stream_id_encode(unsigned char out[16], const stream_id *id); /* big endian */
void stream_id_decode(const unsigned char in[16], stream_id *id);
/* "ms-seq" into buf (>= 42 bytes); returns the length. */
int stream_id_format(char *buf, const stream_id *id);

/* Ordered ID maps */
long stream_idmap_find(const stream_idmap *m, const stream_id *id);          /* index or -1 */
size_t stream_idmap_lower_bound(const stream_idmap *m, const stream_id *id); /* first >= id */
int stream_idmap_insert(stream_idmap *m, const stream_id *id, void *val);    /* 0 if present */
void *stream_idmap_remove(stream_idmap *m, const stream_id *id);             /* the value or NULL */
void stream_idmap_remove_at(stream_idmap *m, size_t i);
void stream_idmap_free(stream_idmap *m);

/* Stream life cycle and entries */
stream *stream_new(void);
void stream_free(stream *s);
stream *stream_dup(const stream *s);
size_t stream_mem_usage(const stream *s);
/* Appends an entry with id (> last_id, the caller checks) and the field /
 * value pairs fv[0..2*npairs). Returns 0, or SK_ETOOBIG when the elements
 * are too large for a listpack. */
int stream_append(stream *s, const sstr *fv, long npairs, const stream_id *id,
                  long long node_max_bytes, long long node_max_entries);
/* Removes the entry id; 1 if it existed. Updates length only (the caller
 * updates first_id / max_deleted_id as XDEL does). */
int stream_delete_id(stream *s, const stream_id *id);
/* ID of the first (first != 0) or last live entry; 0-0 / max when empty. */
void stream_edge_id(const stream *s, int first, stream_id *out);

enum stream_trim_kind { STREAM_TRIM_NONE, STREAM_TRIM_MAXLEN, STREAM_TRIM_MINID };
typedef struct stream_trim_args {
    enum stream_trim_kind kind;
    long long maxlen;
    stream_id minid;
    int approx;
    long long limit; /* 0: unlimited */
} stream_trim_args;
/* Trims as XTRIM / XADD do; returns the number of entries removed. */
long long stream_trim(stream *s, const stream_trim_args *a);

/* Iteration over [start, end], forward or reverse (rev != 0). The stream
 * must not change during iteration except through stream_iter_remove. */
typedef struct stream_iter {
    stream *s;
    stream_id start, end;
    int rev, done;
    size_t node;       /* index in s->nodes */
    unsigned char *lp; /* current node, NULL before it is opened */
    stream_id master;
    int64_t master_nfields;
    unsigned char *master_fields; /* first master field */
    unsigned char *p;             /* next element to examine in lp (see stream_value.c) */
    /* the current entry */
    unsigned char *cur; /* its flags element */
    int64_t flags;
    stream_id id;
    int64_t nfields;
    unsigned char *fp, *vp;
    int64_t fields_left;
    unsigned char fbuf[24], vbuf[24];
} stream_iter;

void stream_iter_start(stream_iter *it, stream *s, const stream_id *start, const stream_id *end,
                       int rev);
/* 1 and it->id / it->nfields set for the next live entry in range, 0 at the end. */
int stream_iter_next(stream_iter *it);
/* Next field/value of the current entry (borrowed pointers valid until the
 * next iterator call); 0 when there are no more. */
int stream_iter_field(stream_iter *it, const unsigned char **f, uint32_t *flen,
                      const unsigned char **v, uint32_t *vlen);
/* Tombstones the current entry (as XDEL); iteration can continue. */
void stream_iter_remove(stream_iter *it);

/* Lag bookkeeping of Redis 7.0 (streamEstimateDistanceFromFirstEverEntry
 * and streamRangeHasTombstones). */
long long stream_estimate_distance(const stream *s, const stream_id *id);
int stream_range_has_tombstones(const stream *s, const stream_id *start, const stream_id *end);

/* Consumer groups */
stream_cg *stream_cg_lookup(const stream *s, const char *name, size_t len);
stream_cg *stream_cg_create(stream *s, const char *name, size_t len, const stream_id *last_id,
                            long long entries_read);            /* NULL if it exists */
int stream_cg_destroy(stream *s, const char *name, size_t len); /* 1 if it existed */
stream_consumer *stream_consumer_lookup(const stream_cg *cg, const char *name, size_t len);
stream_consumer *stream_consumer_create(stream_cg *cg, const char *name, size_t len,
                                        long long now_ms); /* NULL if it exists */
/* Deletes the consumer and its pending entries; returns how many were pending. */
long long stream_consumer_delete(stream_cg *cg, stream_consumer *consumer);
stream_nack *stream_nack_new(stream_consumer *consumer, long long now_ms);

/* Keyspace helper for other modules (RESTORE, tests): a new empty stream value. */
sobj *stream_new_object(void);

#endif
