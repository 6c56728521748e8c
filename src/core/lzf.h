/* lzf.h - decompression of the LZF format (Marc Lehmann's liblzf), which
 * Redis uses for compressed strings in RDB files and DUMP payloads.
 *
 * The stream is a sequence of runs, each opened by a control byte c:
 *   c < 32    a literal run: the next c + 1 bytes are copied as they are;
 *   c >= 32   a back reference: length L = c >> 5 (if L == 7 one more byte
 *             is added to it), offset = ((c & 31) << 8) + next byte + 1
 *             back from the current output position; L + 2 bytes are copied
 *             (possibly overlapping, byte by byte).
 * Only decompression is offered: sealkv writes strings uncompressed, which
 * every Redis version reads.
 */
#ifndef SEALKV_CORE_LZF_H
#define SEALKV_CORE_LZF_H

#include <stddef.h>

/* Decompresses in[0..in_len) into out[0..out_len). Returns the number of
 * bytes written, or a negative SK_E* code: SK_EPROTO for a malformed stream
 * (a run past the input's end, a reference before the output's start),
 * SK_ETOOBIG when the output does not fit in out_len. Never reads or writes
 * outside the two buffers, whatever the input. */
long lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len);

/* Largest expansion of a valid stream: a 3-byte back reference yields at
 * most 264 bytes. A claimed size above in_len * LZF_MAX_RATIO is a lie. */
#define LZF_MAX_RATIO 88

#endif
