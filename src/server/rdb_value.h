/* rdb_value.h - one value in Redis's RDB format (RDB version 10, Redis 7.0):
 * the DUMP/RESTORE payload, and the building block of RDB files and
 * replication.
 *
 * Writing appends to an sbuf exactly what Redis 7.0 writes for the same
 * encoding (type byte, lengths, strings integer-encoded when they can be,
 * listpack / intset blobs as they are), except that strings are never
 * LZF-compressed: every Redis version reads uncompressed strings.
 *
 * Reading takes untrusted bytes (a rdb_reader over a borrowed buffer) and
 * validates everything: lengths against the bytes left, LZF streams,
 * listpacks, intsets, ziplists and zipmaps entry by entry, duplicate
 * members of sets, hashes and sorted sets, NaN scores, empty aggregates.
 * A bad input yields SK_EPROTO (never a crash, never a read outside the
 * buffer); a type sealkv does not support (modules) SK_EINVAL.
 * Besides what Redis 7.0 writes it reads the older encodings 7.0 still
 * loads: LIST, LIST_ZIPLIST, LIST_QUICKLIST, ZSET (text scores),
 * ZSET_ZIPLIST, HASH_ZIPLIST, HASH_ZIPMAP, STREAM_LISTPACKS. Loaded values get the encodings
 * the server's thresholds call for (srv->cfg), as Redis converts them.
 *
 * Objects returned are owned by the caller (refcount 1). Not thread-safe
 * (the crc64 table is built on first use).
 */
#ifndef SEALKV_SERVER_RDB_VALUE_H
#define SEALKV_SERVER_RDB_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/sbuf.h"
#include "../core/sstr.h"
#include "server.h"

#define RDB_VERSION 10 /* Redis 7.0 */

/* Type bytes, as Redis numbers them. */
enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,
    RDB_TYPE_MODULE = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19
};

/* Quicklist node containers in LIST_QUICKLIST_2. */
#define RDB_QUICKLIST_PLAIN 1
#define RDB_QUICKLIST_PACKED 2

/* ------------------------------------------------------------- writing */

/* Length: 6 bit, 14 bit, 32 bit or 64 bit form, the shortest that fits. */
void rdb_write_len(sbuf *b, uint64_t len);
/* A string: as an 8/16/32-bit integer when it is the canonical decimal
 * form of one and at most 11 bytes long, else length + bytes. */
void rdb_write_string(sbuf *b, const void *s, size_t len);
/* 8 bytes, IEEE 754, little-endian (ZSET_2 scores). */
void rdb_write_double(sbuf *b, double d);
void rdb_write_millis(sbuf *b, long long ms);
/* The type byte o is saved with; SK_EINVAL for a type without one. */
int rdb_object_type(const sobj *o);
/* The value without its type byte. 0, or SK_EINVAL (b unchanged). */
int rdb_write_object(sbuf *b, const sobj *o);
/* Type byte then value. 0, or SK_EINVAL (b unchanged). */
int rdb_write_typed_object(sbuf *b, const sobj *o);

/* ------------------------------------------------------------- reading */

typedef struct rdb_reader {
    const unsigned char *p; /* borrowed */
    size_t len;             /* bytes at p */
    size_t pos;             /* next byte to read */
} rdb_reader;

void rdb_reader_init(rdb_reader *r, const void *p, size_t len);
/* Each returns 0, or SK_EPROTO on malformed or truncated input. */
int rdb_read_type(rdb_reader *r, int *type);
/* *encoded (may be NULL) is set when the length is a special string
 * encoding (then *len is 0..3: int8, int16, int32, LZF). */
int rdb_read_len(rdb_reader *r, uint64_t *len, int *encoded);
/* A string in any of its forms; *out is owned by the caller. */
int rdb_read_string(rdb_reader *r, sstr *out);
int rdb_read_double(rdb_reader *r, double *d);      /* binary form */
int rdb_read_text_double(rdb_reader *r, double *d); /* length-prefixed text (ZSET) */
/* n raw bytes into out (stream IDs). */
int rdb_read_raw(rdb_reader *r, void *out, size_t n);
/* 8 bytes, little-endian (Redis's millisecond times). */
int rdb_read_millis(rdb_reader *r, long long *ms);
/* The value of the given type. On success *out is owned by the caller.
 * SK_EPROTO for bad data, SK_EINVAL for a type not supported. */
int rdb_read_object(rdb_reader *r, const server *srv, int type, sobj **out);

/* Streams (rdb_stream.c), RDB_TYPE_STREAM_LISTPACKS_2 as Redis 7.0 writes
 * it: nodes (16-byte master ID, listpack), length, last / first / max
 * deleted IDs, entries added, then the consumer groups with their PELs and
 * consumers. Loading checks every node listpack entry by entry, IDs in
 * ascending order, the length against the live entries, and that every
 * pending entry belongs to exactly one consumer. */
void rdb_write_stream(sbuf *b, const sobj *o);
int rdb_read_stream(rdb_reader *r, sobj **out);
/* RDB_TYPE_STREAM_LISTPACKS (RDB 9): the missing fields derived. */
int rdb_read_stream_v1(rdb_reader *r, sobj **out);

/* ------------------------------------------------------------- payloads */

/* DUMP: type byte, value, RDB version (2 bytes LE), CRC-64 (8 bytes LE) of
 * everything before it. Appended to b, which must be empty. 0 or SK_EINVAL. */
int rdb_dump_payload(sbuf *b, const sobj *o);
/* 0 if the footer's version is <= RDB_VERSION and the CRC matches. */
int rdb_verify_payload(const void *p, size_t len);
/* Loads a verified payload's value; every byte before the footer must be
 * used. 0 and *out (owned), SK_EPROTO or SK_EINVAL. */
int rdb_load_payload(const server *srv, const void *p, size_t len, sobj **out);

/* As Redis's objectSetLRUOrLFU (RESTORE's IDLETIME / FREQ, RDB's IDLE /
 * FREQ): freq counts under an LFU policy, idle (seconds) under any other;
 * one that does not apply, or -1, is ignored. */
void rdb_set_object_clock(const server *srv, sobj *o, long long freq, long long idle);

/* DUMP and RESTORE (cmd_dump.c), NULL-name terminated. */
extern const command cmds_dump[];

#endif
