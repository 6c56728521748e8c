/* t_hll.h - HyperLogLog values and the PF* commands (PFADD, PFCOUNT,
 * PFMERGE), byte-compatible with Redis 7.0.
 *
 * An HLL is an ordinary string value whose bytes are Redis's format, so a
 * value copied between sealkv and redis-server (GET/SET, DUMP/RESTORE) is
 * the same HLL on both sides:
 *
 *   16-byte header: "HYLL", encoding (0 dense, 1 sparse), 3 zero bytes,
 *                   cached cardinality as 8 bytes little endian; bit 7 of
 *                   the last byte set means "cache invalid".
 *   dense:  16384 registers of 6 bits, register i at bit i*6 counted from
 *           the least significant bit of each byte (12288 bytes).
 *   sparse: run-length opcodes  ZERO 00xxxxxx (1..64 zero registers),
 *           XZERO 01xxxxxx yyyyyyyy (1..16384 zero registers),
 *           VAL 1vvvvvxx (1..4 registers of value 1..32).
 * Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits
 * pick the register, the run of zeros in the rest plus one is the value. A
 * sparse HLL becomes dense when a value exceeds 32 or when it would grow
 * past hll-sparse-max-bytes. The estimator is Ertl's (arXiv:1702.01284), as
 * Redis 7.0, so PFCOUNT and the cached bytes agree with Redis.
 *
 * The hll_* functions are pure: they take and return sstr values owned by
 * the caller (a function that may grow the string takes sstr * and updates
 * it). Not thread-safe per value.
 */
#ifndef SEALKV_SERVER_T_HLL_H
#define SEALKV_SERVER_T_HLL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/sstr.h"
#include "server.h"

#define HLL_P 14
#define HLL_REGISTERS (1 << HLL_P) /* 16384 */
#define HLL_BITS 6
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS + 7) / 8)
#define HLL_DENSE 0
#define HLL_SPARSE 1
#define HLL_HASH_SEED 0xadc83b19U
#define HLL_SPARSE_MAX_BYTES_DEFAULT 3000 /* hll-sparse-max-bytes */

/* PFADD, PFCOUNT, PFMERGE, NULL-name terminated. */
extern const command cmds_hll[];

/* MurmurHash64A as Redis uses it (little-endian block reads). */
uint64_t hll_murmur64a(const void *p, size_t len, uint32_t seed);
/* Register index and value (1..51) of an element. */
int hll_pattern(const void *ele, size_t len, long *reg);

/* A new empty HLL: sparse, cache valid with cardinality 0. Owned. */
sstr hll_create(void);
/* 1 when p[0..len) has a valid HLL header (magic, encoding, dense size). */
int hll_header_valid(const void *p, size_t len);
int hll_encoding(const sstr s); /* HLL_DENSE or HLL_SPARSE */

/* Adds an element: 1 if a register changed, 0 if not, -1 if the sparse
 * data is corrupt. May promote *s to dense (sparse_max: hll-sparse-max-bytes). */
int hll_add(sstr *s, const void *ele, size_t len, long long sparse_max);
/* Raises register idx to at least val; same results as hll_add. */
int hll_set_register(sstr *s, long idx, uint8_t val, long long sparse_max);
/* Sparse -> dense in place (header and cache kept); 0, or -1 if corrupt. */
int hll_sparse_to_dense(sstr *s);
/* max[i] = MAX(max[i], register i of s) for 16384 byte registers; -1 if corrupt. */
int hll_merge_registers(uint8_t *max, const sstr s);
/* Register i of s (0 when out of a corrupt sparse run). */
int hll_get_register(const sstr s, long idx);

/* Estimated cardinality; *invalid (may be NULL) set to 1 on corrupt sparse data. */
uint64_t hll_count(const sstr s, int *invalid);
/* Same for 16384 byte-wide registers (the union in PFCOUNT of several keys). */
uint64_t hll_count_raw(const uint8_t *regs);

/* The cached cardinality in the header. */
int hll_cache_valid(const sstr s);
uint64_t hll_cache_get(const sstr s);
void hll_cache_set(sstr s, uint64_t card);
void hll_cache_invalidate(sstr s);

#endif
