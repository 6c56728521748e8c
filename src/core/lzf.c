/* lzf.c - LZF decompression with every bound checked (see lzf.h). */
#include "lzf.h"

#include <string.h>

#include "err.h"

long lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len) {
    const unsigned char *ip = in, *iend = ip + in_len;
    unsigned char *op = out, *ostart = out, *oend = op + out_len;

    while (ip < iend) {
        unsigned ctrl = *ip++;
        if (ctrl < 32) {
            size_t run = (size_t)ctrl + 1;
            if ((size_t)(iend - ip) < run) return SK_EPROTO;
            if ((size_t)(oend - op) < run) return SK_ETOOBIG;
            memcpy(op, ip, run);
            op += run;
            ip += run;
            continue;
        }
        size_t len = ctrl >> 5;
        if (len == 7) {
            if (ip >= iend) return SK_EPROTO;
            len += *ip++;
        }
        if (ip >= iend) return SK_EPROTO;
        size_t back = ((size_t)(ctrl & 0x1f) << 8) + *ip++ + 1;
        len += 2;
        if ((size_t)(op - ostart) < back) return SK_EPROTO;
        if ((size_t)(oend - op) < len) return SK_ETOOBIG;
        /* Byte by byte: the source may overlap what this run writes. */
        const unsigned char *ref = op - back;
        for (size_t i = 0; i < len; i++)
            op[i] = ref[i];
        op += len;
    }
    return (long)(op - ostart);
}
