/* pki_keypem.c - private keys as in-memory PEM, for the cluster CA key that
 * sealkv-node keeps in its replicated store rather than in a file, and the
 * check that a certificate belongs to a key (a joining node checks what the
 * cluster sent back). */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

int pki_key_to_pem(const pki_key *key, char **pem_out, size_t *len_out) {
    *pem_out = NULL;
    if (key == NULL || key->pkey == NULL) return SK_EINVAL;
    BIO *bio = BIO_new(BIO_s_secmem());
    if (bio == NULL || PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        BIO_free(bio);
        return pki__fail(NULL, 0, SK_ETLS, "cannot encode a key");
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    *pem_out = sk_malloc((size_t)len + 1);
    memcpy(*pem_out, data, (size_t)len);
    (*pem_out)[len] = '\0';
    if (len_out != NULL) *len_out = (size_t)len;
    BIO_free(bio); /* secmem: cleared on free */
    return 0;
}

void pki_pem_wipe_free(char *pem) {
    if (pem == NULL) return;
    explicit_bzero(pem, strlen(pem));
    sk_free(pem);
}

int pki_key_from_pem(const char *pem, size_t len, pki_key **out, char *err, size_t errlen) {
    *out = NULL;
    if (pem == NULL || len > INT_MAX) return pki__fail(err, errlen, SK_EINVAL, "no key text");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (pkey == NULL) return pki__fail(err, errlen, SK_ETLS, "cannot read a private key");
    *out = sk_calloc(1, sizeof(**out));
    (*out)->pkey = pkey;
    return 0;
}

int pki_cert_key_matches(const pki_cert *cert, const pki_key *key) {
    if (cert == NULL || key == NULL) return 0;
    EVP_PKEY *pub = X509_get0_pubkey(cert->x509);
    int ok = pub != NULL && EVP_PKEY_eq(pub, key->pkey) == 1;
    ERR_clear_error();
    return ok;
}
