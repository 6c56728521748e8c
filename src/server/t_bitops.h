/* t_bitops.h - bitmap commands on string values (SETBIT, GETBIT, BITCOUNT,
 * BITPOS, BITOP, BITFIELD, BITFIELD_RO) with Redis 7.0's replies and errors.
 *
 * Bitmaps are ordinary string values (OBJ_STRING); bit 0 is the most
 * significant bit of the first byte, as Redis numbers them. Writers unshare
 * the value into a private raw string and grow it with zero bytes; reads
 * beyond the end see zero bits. No type is registered: strings are object.c's.
 *
 * The bit helpers below are pure (bytes in, result out) so unit tests and
 * other modules can use them. Not thread-safe only in the sense that the
 * buffers are the caller's.
 */
#ifndef SEALKV_SERVER_T_BITOPS_H
#define SEALKV_SERVER_T_BITOPS_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* SETBIT ... BITFIELD_RO, NULL-name terminated. */
extern const command cmds_bitops[];

/* Number of set bits in p[0..len). */
long long bitops_popcount(const unsigned char *p, size_t len);
/* Position of the first bit equal to bit (0/1) in p[0..len), MSB first;
 * when there is none: -1 for bit 1, len*8 for bit 0 (Redis's redisBitpos). */
long long bitops_bitpos(const unsigned char *p, size_t len, int bit);
/* Bitfield access of `bits` bits (1..64) at bit offset `off`, MSB first;
 * p must hold every byte the field touches. */
uint64_t bitops_get_unsigned(const unsigned char *p, uint64_t off, int bits);
int64_t bitops_get_signed(const unsigned char *p, uint64_t off, int bits);
void bitops_set_unsigned(unsigned char *p, uint64_t off, int bits, uint64_t v);

#endif
