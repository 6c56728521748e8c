/* crc64.c - CRC-64/Jones, reflected (see crc64.h).
 *
 * Slicing by 8: table k gives the CRC contribution of a byte followed by k
 * zero bytes, so eight input bytes fold into the CRC with eight lookups and
 * no dependency between them. RDB files are checksummed whole while they are
 * loaded and saved, so this runs over every byte of them. Byte at a time for
 * the head and tail. */
#include "crc64.h"

/* 0xad93d23594c935a9 with its bits reversed: the reflected algorithm
 * shifts right, so it works with the mirrored polynomial. */
#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc_table[8][256];
static int crc_ready;

void crc64_init(void) {
    if (crc_ready) return;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        crc_table[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    crc_ready = 1;
}

static uint64_t load_le64(const unsigned char *s) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | s[i];
    return v;
}

uint64_t crc64(uint64_t crc, const void *p, size_t len) {
    const unsigned char *s = p;
    crc64_init();
    for (; len >= 8; len -= 8, s += 8) {
        crc ^= load_le64(s);
        crc = crc_table[7][crc & 0xff] ^ crc_table[6][(crc >> 8) & 0xff] ^
              crc_table[5][(crc >> 16) & 0xff] ^ crc_table[4][(crc >> 24) & 0xff] ^
              crc_table[3][(crc >> 32) & 0xff] ^ crc_table[2][(crc >> 40) & 0xff] ^
              crc_table[1][(crc >> 48) & 0xff] ^ crc_table[0][crc >> 56];
    }
    for (size_t i = 0; i < len; i++)
        crc = crc_table[0][(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return crc;
}
