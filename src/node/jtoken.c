/* jtoken.c - join token text form (see jtoken.h). */
#include "jtoken.h"

#include <string.h>

#include "../core/err.h"
#include "../core/util.h"

#define JTOKEN_PREFIX "SKJ1-"

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Copies n hex digits lowercased; 0, or SK_EINVAL on a non-hex byte. */
static int copy_hex(const char *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return SK_EINVAL;
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

int jtoken_new(const char *ca_sha256_hex, jtoken *out) {
    unsigned char rnd[JTOKEN_ID_HEX / 2 + JTOKEN_SECRET_HEX / 2];
    memset(out, 0, sizeof(*out));
    if (ca_sha256_hex == NULL || strlen(ca_sha256_hex) != JTOKEN_CA_HEX ||
        copy_hex(ca_sha256_hex, JTOKEN_CA_HEX, out->ca_sha256) != 0)
        return SK_EINVAL;
    util_random_bytes(rnd, sizeof(rnd));
    to_hex(rnd, JTOKEN_ID_HEX / 2, out->id);
    to_hex(rnd + JTOKEN_ID_HEX / 2, JTOKEN_SECRET_HEX / 2, out->secret);
    explicit_bzero(rnd, sizeof(rnd));
    return 0;
}

int jtoken_format(const jtoken *t, char *buf, size_t len) {
    if (len < JTOKEN_TEXT_LEN + 1) return SK_EINVAL;
    char *p = buf;
    memcpy(p, JTOKEN_PREFIX, 5);
    p += 5;
    memcpy(p, t->ca_sha256, JTOKEN_CA_HEX);
    p += JTOKEN_CA_HEX;
    *p++ = '-';
    memcpy(p, t->id, JTOKEN_ID_HEX);
    p += JTOKEN_ID_HEX;
    *p++ = '-';
    memcpy(p, t->secret, JTOKEN_SECRET_HEX);
    p += JTOKEN_SECRET_HEX;
    *p = '\0';
    return 0;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int jtoken_parse(const char *text, size_t len, jtoken *out) {
    jtoken t;
    while (len > 0 && is_space(text[0]))
        text++, len--;
    while (len > 0 && is_space(text[len - 1]))
        len--;
    if (len != JTOKEN_TEXT_LEN || memcmp(text, JTOKEN_PREFIX, 5) != 0) return SK_EINVAL;
    const char *p = text + 5;
    int rc = copy_hex(p, JTOKEN_CA_HEX, t.ca_sha256);
    p += JTOKEN_CA_HEX;
    if (rc == 0 && *p++ != '-') rc = SK_EINVAL;
    if (rc == 0) rc = copy_hex(p, JTOKEN_ID_HEX, t.id);
    p += JTOKEN_ID_HEX;
    if (rc == 0 && *p++ != '-') rc = SK_EINVAL;
    if (rc == 0) rc = copy_hex(p, JTOKEN_SECRET_HEX, t.secret);
    if (rc == 0) *out = t;
    explicit_bzero(&t, sizeof(t));
    return rc;
}

void jtoken_wipe(jtoken *t) {
    explicit_bzero(t, sizeof(*t));
}
