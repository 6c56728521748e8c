/* pki_key.c - private keys: generate, load, save (0600), and the shared
 * error formatter of the pki module.
 */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pki__fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err == NULL || errlen == 0) {
        ERR_clear_error();
        return code;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n < errlen ? (size_t)n : errlen - 1;
    unsigned long e;
    const char *sep = ": ";
    while ((e = ERR_get_error()) != 0) {
        const char *reason = ERR_reason_error_string(e);
        if (reason == NULL || used + 1 >= errlen) continue; /* keep draining */
        n = snprintf(err + used, errlen - used, "%s%s", sep, reason);
        used += n < 0 ? 0 : (size_t)n < errlen - used ? (size_t)n : errlen - used - 1;
        sep = "; ";
    }
    return code;
}

int pki_key_generate(pki_key_type type, pki_key **out, char *err, size_t errlen) {
    *out = NULL;
    EVP_PKEY *pkey;
    if (type == PKI_KEY_RSA2048)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    else if (type == PKI_KEY_EC_P256)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else
        return pki__fail(err, errlen, SK_EINVAL, "unknown key type %d", (int)type);
    if (pkey == NULL) return pki__fail(err, errlen, SK_ETLS, "key generation failed");
    *out = sk_calloc(1, sizeof(**out));
    (*out)->pkey = pkey;
    return 0;
}

/* Never falls back to a terminal prompt: no password given means none. */
static int pass_cb(char *buf, int size, int rwflag, void *u) {
    (void)rwflag;
    const char *pass = u;
    if (pass == NULL || size <= 0) return -1;
    size_t len = strlen(pass);
    if (len > (size_t)size) return -1;
    memcpy(buf, pass, len);
    return (int)len;
}

int pki_key_load(const char *path, const char *pass, pki_key **out, char *err, size_t errlen) {
    *out = NULL;
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL) return pki__fail(err, errlen, -ENOENT, "cannot open key file %s", path);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)pass);
    BIO_free(bio);
    if (pkey == NULL)
        return pki__fail(err, errlen, SK_ETLS, "cannot read a private key from %s", path);
    *out = sk_calloc(1, sizeof(**out));
    (*out)->pkey = pkey;
    return 0;
}

/* Writes into a fresh 0600 temporary file beside path, sets the final mode
 * (0600 for keys, so never readable by others even for a moment), and
 * renames it over path: a crash leaves either the old file or the new one. */
int pki__write_file(const char *path, unsigned mode, pki__writer fn, const void *arg, char *err,
                    size_t errlen) {
    size_t n = strlen(path) + sizeof(".tmp.XXXXXX");
    char *tmp = sk_malloc(n);
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int rc = 0;
    FILE *fp = NULL;
    int fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
    if (fd < 0) {
        rc = pki__fail(err, errlen, -errno, "cannot create %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || (fp = fdopen(fd, "w")) == NULL) {
        rc = pki__fail(err, errlen, -errno, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto cleanup;
    }
    int ok = fn(fp, arg) == 1;
    ok = fflush(fp) == 0 && ok;
    ok = fsync(fileno(fp)) == 0 && ok;
    ok = fclose(fp) == 0 && ok;
    if (!ok) {
        rc = pki__fail(err, errlen, SK_ETLS, "cannot write %s", path);
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = pki__fail(err, errlen, -errno, "cannot rename to %s: %s", path, strerror(errno));
        unlink(tmp);
    }
cleanup:
    sk_free(tmp);
    return rc;
}

static int write_key(FILE *fp, const void *arg) {
    /* Unencrypted PKCS#8: the file mode is the protection, as for redis.conf's tls-key-file. */
    return PEM_write_PrivateKey(fp, (EVP_PKEY *)arg, NULL, NULL, 0, NULL, NULL);
}

int pki_key_save(const pki_key *key, const char *path, char *err, size_t errlen) {
    if (key == NULL || key->pkey == NULL || path == NULL)
        return pki__fail(err, errlen, SK_EINVAL, "no key or path");
    return pki__write_file(path, 0600, write_key, key->pkey, err, errlen);
}

void pki_key_free(pki_key *key) {
    if (key == NULL) return;
    EVP_PKEY_free(key->pkey);
    sk_free(key);
}

struct evp_pkey_st *pki_key_evp(const pki_key *key) {
    return key != NULL ? key->pkey : NULL;
}
