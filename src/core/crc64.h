/* crc64.h - the CRC-64 variant Redis uses for RDB files and DUMP payloads.
 *
 * CRC-64/Jones: polynomial 0xad93d23594c935a9, input and output reflected,
 * initial value 0, no final xor. The check value of "123456789" is
 * 0xe9c6d914c4b8d9ca. A payload's CRC is stored little-endian after it.
 *
 * Incremental: crc64(crc64(0, a, n), b, m) == crc64(0, a||b, n+m).
 * The lookup table is built on first use; call crc64_init() once at start
 * if several threads may compute CRCs (the server is single-threaded).
 */
#ifndef SEALKV_CORE_CRC64_H
#define SEALKV_CORE_CRC64_H

#include <stddef.h>
#include <stdint.h>

void crc64_init(void);
uint64_t crc64(uint64_t crc, const void *p, size_t len);

#endif
