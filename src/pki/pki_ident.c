/* pki_ident.c - identities in certificates: name matching and summaries.
 *
 * Every name taken from a certificate is refused when its ASN.1 length and
 * its C string length differ: "good.example\0.evil" is a classic way to get a
 * CA to sign one name that naive code reads as another.
 */
#include "pki_internal.h"

#include "../core/err.h"
#include "../core/mem.h"
#include "../core/util.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Owned copy of an IA5String-like value, or NULL if it holds a NUL byte. */
static char *asn1_text_dup(const ASN1_STRING *s) {
    if (s == NULL) return NULL;
    const unsigned char *data = ASN1_STRING_get0_data(s);
    int len = ASN1_STRING_length(s);
    if (data == NULL || len < 0 || memchr(data, 0, (size_t)len) != NULL) return NULL;
    char *out = sk_malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    return out;
}

static char *ip_text(const ASN1_OCTET_STRING *ip) {
    char buf[INET6_ADDRSTRLEN];
    const unsigned char *data = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
    if (af < 0 || inet_ntop(af, data, buf, sizeof(buf)) == NULL) return NULL;
    return sk_strdup(buf);
}

char *pki__gen_name_text(const GENERAL_NAME *gen, int *kind) {
    *kind = gen->type;
    switch (gen->type) {
    case GEN_DNS:
        return asn1_text_dup(gen->d.dNSName);
    case GEN_URI:
        return asn1_text_dup(gen->d.uniformResourceIdentifier);
    case GEN_EMAIL:
        return asn1_text_dup(gen->d.rfc822Name);
    case GEN_IPADD:
        return ip_text(gen->d.iPAddress);
    default:
        return NULL;
    }
}

char *pki__name_cn(const X509_NAME *name) {
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0) return NULL;
    X509_NAME_ENTRY *e = X509_NAME_get_entry(name, idx);
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    char *out = NULL;
    if (len >= 0 && memchr(utf8, 0, (size_t)len) == NULL) {
        out = sk_malloc((size_t)len + 1);
        memcpy(out, utf8, (size_t)len);
        out[len] = '\0';
    }
    OPENSSL_free(utf8);
    return out;
}

static int glob_nul_free(const char *pattern, const unsigned char *s, int len, int nocase) {
    if (len < 0 || memchr(s, 0, (size_t)len) != NULL) return 0;
    return util_glob_match(pattern, strlen(pattern), (const char *)s, (size_t)len, nocase);
}

static int san_matches(const X509 *x, const char *pattern) {
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int hit = 0;
    for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && !hit; i++) {
        int kind;
        char *text = pki__gen_name_text(sk_GENERAL_NAME_value(gens, i), &kind);
        if (text == NULL) continue;
        /* URIs carry case-sensitive paths (sealkv://<uuid>/node/...); the
         * other kinds compare case-insensitively (DNS, IP hex, mail domain). */
        int nocase = kind != GEN_URI;
        hit = glob_nul_free(pattern, (const unsigned char *)text, (int)strlen(text), nocase);
        sk_free(text);
    }
    GENERAL_NAMES_free(gens);
    return hit;
}

/* Every CN entry is tried: a subject may hold several. */
static int cn_matches(const X509 *x, const char *pattern) {
    const X509_NAME *name = X509_get_subject_name(x);
    int hit = 0;
    for (int idx = -1; !hit;) {
        idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx);
        if (idx < 0) break;
        unsigned char *utf8 = NULL;
        int len =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
        if (len >= 0) hit = glob_nul_free(pattern, utf8, len, 1);
        OPENSSL_free(utf8);
    }
    return hit;
}

int pki_x509_name_matches(const struct x509_st *x, const char *pattern) {
    if (x == NULL || pattern == NULL || pattern[0] == '\0') return 0;
    return san_matches(x, pattern) || cn_matches(x, pattern);
}

int pki_x509_host_matches(const struct x509_st *x, const char *name) {
    if (x == NULL || name == NULL || name[0] == '\0') return 0;
    unsigned char buf[16];
    /* OpenSSL's checks take a non-const X509 only to cache extensions. */
    X509 *mx = (X509 *)x;
    if (inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1)
        return X509_check_ip_asc(mx, name, 0) == 1;
    /* RFC 6125: no partial wildcards ("w*.example"); a CN is used only when
     * there is no DNS SAN, and OpenSSL refuses names with embedded NULs. */
    return X509_check_host(mx, name, strlen(name), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
}

/* ---- summaries ---------------------------------------------------------- */

static char *bio_take_string(BIO *bio) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = sk_malloc(len > 0 ? (size_t)len + 1 : 1);
    if (len > 0) memcpy(out, data, (size_t)len);
    out[len > 0 ? len : 0] = '\0';
    return out;
}

static char *name_oneline(const X509_NAME *name) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return sk_strdup("");
    /* RFC 2253 escapes control characters, so the text is safe to print. */
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char *out = bio_take_string(bio);
    BIO_free(bio);
    return out;
}

static char *serial_hex(const X509 *x) {
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    char *out = sk_strdup(hex != NULL ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
    return out;
}

/* Printable copy of raw bytes: anything outside printable ASCII becomes \xNN
 * so that a hostile certificate cannot write control codes to a terminal. */
static char *printable_dup(const unsigned char *s, int len) {
    char *out = sk_malloc((size_t)(len > 0 ? len : 0) * 4 + 1);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i]);
    }
    out[o] = '\0';
    return out;
}

static char *san_text(const GENERAL_NAME *gen) {
    const char *prefix;
    const ASN1_STRING *s;
    switch (gen->type) {
    case GEN_DNS:
        prefix = "DNS:", s = gen->d.dNSName;
        break;
    case GEN_URI:
        prefix = "URI:", s = gen->d.uniformResourceIdentifier;
        break;
    case GEN_EMAIL:
        prefix = "email:", s = gen->d.rfc822Name;
        break;
    case GEN_IPADD: {
        char *ip = ip_text(gen->d.iPAddress);
        char buf[64];
        snprintf(buf, sizeof(buf), "IP Address:%s", ip != NULL ? ip : "<invalid>");
        sk_free(ip);
        return sk_strdup(buf);
    }
    default:
        return sk_strdup("othername:<unsupported>");
    }
    char *body = printable_dup(ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
    size_t n = strlen(prefix) + strlen(body) + 1;
    char *out = sk_malloc(n);
    snprintf(out, n, "%s%s", prefix, body);
    sk_free(body);
    return out;
}

static void info_sans(const X509 *x, pki_cert_info *out) {
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
    out->sans = n > 0 ? sk_calloc((size_t)n, sizeof(char *)) : NULL;
    out->nsans = 0;
    for (int i = 0; i < n; i++)
        out->sans[out->nsans++] = san_text(sk_GENERAL_NAME_value(gens, i));
    GENERAL_NAMES_free(gens);
}

static int time_to_unix(const ASN1_TIME *t, long long *out) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) return SK_ECERT;
    *out = (long long)timegm(&tm);
    return 0;
}

static int fingerprint(const X509 *x, char out[96]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32) return SK_ETLS;
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + i * 3, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
    return 0;
}

int pki_x509_get_info(const struct x509_st *x, pki_cert_info *out) {
    memset(out, 0, sizeof(*out));
    if (x == NULL) return SK_EINVAL;
    out->subject = name_oneline(X509_get_subject_name(x));
    out->issuer = name_oneline(X509_get_issuer_name(x));
    out->serial_hex = serial_hex(x);
    info_sans(x, out);
    /* 1 = basicConstraints CA:TRUE; X509_check_ca only caches parsed
     * extensions in x, it changes nothing visible. */
    out->is_ca = X509_check_ca((X509 *)x) == 1;
    int rc = time_to_unix(X509_get0_notBefore(x), &out->not_before);
    if (rc == 0) rc = time_to_unix(X509_get0_notAfter(x), &out->not_after);
    if (rc == 0) rc = fingerprint(x, out->sha256_fp);
    if (rc != 0) pki_cert_info_free(out);
    return rc;
}

int pki_cert_get_info(const pki_cert *cert, pki_cert_info *out) {
    if (cert == NULL) {
        memset(out, 0, sizeof(*out));
        return SK_EINVAL;
    }
    return pki_x509_get_info(cert->x509, out);
}

void pki_cert_info_free(pki_cert_info *info) {
    if (info == NULL) return;
    sk_free(info->subject);
    sk_free(info->issuer);
    sk_free(info->serial_hex);
    for (size_t i = 0; i < info->nsans; i++)
        sk_free(info->sans[i]);
    sk_free(info->sans);
    memset(info, 0, sizeof(*info));
}
