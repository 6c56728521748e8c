/* pki_secret.c - password hashes, random tokens and SHA-256 pins.
 *
 * Passwords are stored as PBKDF2-HMAC-SHA256 (RFC 8018) with a random
 * 16-byte salt; the iteration count travels in the string so it can be
 * raised later without invalidating stored hashes. Verification recomputes
 * and compares in constant time (CRYPTO_memcmp).
 */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define PW_SCHEME "pbkdf2-sha256"
#define PW_ITER 100000
#define PW_ITER_MIN 1000
#define PW_ITER_MAX 10000000L
#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define B64_MAX 64 /* room for the base64 of up to 46 bytes */

static const char hexd[] = "0123456789abcdef";

static void to_hex(const unsigned char *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[p[i] >> 4];
        out[2 * i + 1] = hexd[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int derive(const char *password, const unsigned char *salt, size_t saltlen, long iter,
                  unsigned char out[PW_HASH_LEN]) {
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)saltlen, (int)iter,
                          EVP_sha256(), PW_HASH_LEN, out) != 1) {
        ERR_clear_error();
        return SK_ETLS;
    }
    return 0;
}

int pki_password_hash(const char *password, char *out, size_t outlen) {
    unsigned char salt[PW_SALT_LEN], hash[PW_HASH_LEN];
    char salt64[B64_MAX], hash64[B64_MAX];
    int rc;

    if (password == NULL || out == NULL) return SK_EINVAL;
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        ERR_clear_error();
        return SK_ETLS;
    }
    rc = derive(password, salt, sizeof(salt), PW_ITER, hash);
    if (rc != 0) goto cleanup;
    EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt));
    EVP_EncodeBlock((unsigned char *)hash64, hash, sizeof(hash));
    int n = snprintf(out, outlen, "%s$%d$%s$%s", PW_SCHEME, PW_ITER, salt64, hash64);
    rc = (n < 0 || (size_t)n >= outlen) ? SK_ETOOBIG : 0;
cleanup:
    OPENSSL_cleanse(hash, sizeof(hash));
    return rc;
}

/* Decodes standard padded base64 of exactly want bytes. 0 or SK_EINVAL. */
static int b64_decode_exact(const char *s, size_t len, unsigned char *out, size_t want) {
    unsigned char buf[B64_MAX];
    if (len == 0 || len % 4 != 0 || len > sizeof(buf) || (len / 4) * 3 > sizeof(buf))
        return SK_EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/' || (c == '=' && i >= len - 2);
        if (!ok) return SK_EINVAL;
    }
    int n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (n < 0) return SK_EINVAL;
    /* EVP_DecodeBlock counts padding as zero bytes. */
    size_t pad = (s[len - 1] == '=') + (s[len - 2] == '=');
    if ((size_t)n - pad != want) return SK_EINVAL;
    memcpy(out, buf, want);
    return 0;
}

int pki_password_verify(const char *password, const char *stored) {
    unsigned char salt[PW_SALT_LEN], want[PW_HASH_LEN], got[PW_HASH_LEN];
    const char *p, *salt_s, *hash_s;
    char *end;
    long iter;
    int rc;

    if (password == NULL || stored == NULL) return SK_EINVAL;
    if (strncmp(stored, PW_SCHEME "$", sizeof(PW_SCHEME)) != 0) return SK_EINVAL;
    p = stored + sizeof(PW_SCHEME);
    if (*p < '1' || *p > '9') return SK_EINVAL;
    errno = 0;
    iter = strtol(p, &end, 10);
    if (errno != 0 || *end != '$' || iter < PW_ITER_MIN || iter > PW_ITER_MAX) return SK_EINVAL;
    salt_s = end + 1;
    const char *d = strchr(salt_s, '$');
    if (d == NULL) return SK_EINVAL;
    hash_s = d + 1;
    if (strchr(hash_s, '$') != NULL) return SK_EINVAL;
    if (b64_decode_exact(salt_s, (size_t)(d - salt_s), salt, sizeof(salt)) != 0 ||
        b64_decode_exact(hash_s, strlen(hash_s), want, sizeof(want)) != 0)
        return SK_EINVAL;
    rc = derive(password, salt, sizeof(salt), iter, got);
    if (rc == 0) rc = CRYPTO_memcmp(got, want, sizeof(got)) == 0 ? 0 : SK_ECERT;
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}

int pki_random_token(char *out, size_t nbytes_entropy) {
    unsigned char buf[64];
    size_t done = 0;
    if (out == NULL) return SK_EINVAL;
    while (done < nbytes_entropy) {
        size_t n = nbytes_entropy - done < sizeof(buf) ? nbytes_entropy - done : sizeof(buf);
        if (RAND_bytes(buf, (int)n) != 1) {
            ERR_clear_error();
            OPENSSL_cleanse(buf, sizeof(buf));
            out[0] = '\0';
            return SK_ETLS;
        }
        to_hex(buf, n, out + 2 * done);
        done += n;
    }
    out[2 * nbytes_entropy] = '\0';
    OPENSSL_cleanse(buf, sizeof(buf));
    return 0;
}

int pki_sha256_hex(const void *p, size_t len, char out[65]) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
        ERR_clear_error();
        return SK_ETLS;
    }
    to_hex(md, sizeof(md), out);
    return 0;
}

static int x509_der_sha256(X509 *x, char out[65]) {
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
        ERR_clear_error();
        return SK_ETLS;
    }
    int rc = pki_sha256_hex(der, (size_t)n, out);
    OPENSSL_free(der);
    return rc;
}

int pki_cert_der_sha256(const pki_cert *cert, char out[65]) {
    if (cert == NULL) return SK_EINVAL;
    return x509_der_sha256(cert->x509, out);
}

int pki_cert_der_sha256_file(const char *cert_pem_file, char out[65]) {
    FILE *f = fopen(cert_pem_file, "r");
    if (f == NULL) return -errno;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL) {
        ERR_clear_error();
        return SK_ECERT;
    }
    int rc = x509_der_sha256(x, out);
    X509_free(x);
    return rc;
}

int pki_secret_equal(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return 0;
    return CRYPTO_memcmp(a, b, la) == 0;
}
