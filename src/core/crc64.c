/* crc64.c - CRC-64/Jones, reflected, byte-at-a-time table (see crc64.h). */
#include "crc64.h"

/* 0xad93d23594c935a9 with its bits reversed: the reflected algorithm
 * shifts right, so it works with the mirrored polynomial. */
#define CRC64_POLY_REFLECTED 0x95ac9329ac4bc9b5ULL

static uint64_t crc_table[256];
static int crc_ready;

void crc64_init(void) {
    if (crc_ready) return;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = 1;
}

uint64_t crc64(uint64_t crc, const void *p, size_t len) {
    const unsigned char *s = p;
    crc64_init();
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ s[i]) & 0xff] ^ (crc >> 8);
    return crc;
}
