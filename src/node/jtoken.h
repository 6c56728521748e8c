/* jtoken.h - join tokens: their text form, as kubeadm and Docker Swarm do it.
 *
 *   SKJ1-<ca>-<id>-<secret>
 *
 * <ca> is the SHA-256 of the cluster CA certificate's DER (64 lowercase hex):
 * the joining node refuses a peer whose CA differs before it sends a byte.
 * <id> (16 hex) names the token in the cluster state; <secret> (64 hex, 256
 * random bits) is the one-time secret, of which the cluster keeps only the
 * SHA-256 (a 256-bit random secret needs no slow hash). Pure functions: no
 * I/O besides the random bytes, so they can be fuzzed.
 */
#ifndef SEALKV_NODE_JTOKEN_H
#define SEALKV_NODE_JTOKEN_H

#include <stddef.h>

#define JTOKEN_CA_HEX 64
#define JTOKEN_ID_HEX 16
#define JTOKEN_SECRET_HEX 64
/* "SKJ1-" + ca + "-" + id + "-" + secret */
#define JTOKEN_TEXT_LEN (5 + JTOKEN_CA_HEX + 1 + JTOKEN_ID_HEX + 1 + JTOKEN_SECRET_HEX)

typedef struct jtoken {
    char ca_sha256[JTOKEN_CA_HEX + 1];
    char id[JTOKEN_ID_HEX + 1];
    char secret[JTOKEN_SECRET_HEX + 1]; /* wipe with jtoken_wipe when done */
} jtoken;

/* A new token for the CA whose certificate hash is ca_sha256_hex (64 hex, any
 * case): fresh random id and secret. SK_EINVAL for a malformed hash. */
int jtoken_new(const char *ca_sha256_hex, jtoken *out);
/* Writes the text form (JTOKEN_TEXT_LEN chars + NUL); SK_EINVAL if len is short. */
int jtoken_format(const jtoken *t, char *buf, size_t len);
/* Parses the text form (surrounding spaces and newlines allowed, as pasted
 * from a file). SK_EINVAL with nothing written for anything else. */
int jtoken_parse(const char *text, size_t len, jtoken *out);
void jtoken_wipe(jtoken *t);

#endif
