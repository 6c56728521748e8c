/* tls_ctx.c - building TLS contexts from a tls_config.
 *
 * Everything that can be decided once per context is decided here (cipher
 * lists, verify mode, session cache, buffers), so accepting a connection
 * costs one SSL_new(). A build either produces a complete context or
 * nothing: every check (files readable, key matches cert, cert currently
 * valid, CA loads) runs before the context is handed out.
 *
 * Default TLS <= 1.2 ciphers: forward-secret AEAD only, i.e. ECDHE or DHE
 * key exchange with AES-GCM or ChaCha20-Poly1305 (TLS_DEFAULT_CIPHERS).
 * TLS 1.3 suites are all AEAD and forward secret; OpenSSL's default applies.
 */
#include "tls_internal.h"

#include "../core/err.h"
#include "../core/mem.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TLS_DEFAULT_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"
/* Only when TLS 1.0/1.1 are explicitly enabled: they have no AEAD suites. */
#define TLS_LEGACY_CIPHERS TLS_DEFAULT_CIPHERS ":ECDHE+AES:DHE+AES"
#define TLS_SESSION_ID_CTX "sealkv"
/* Generous for any real network; short enough that silent peers cannot
 * pile up. */
#define TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS 10000

static int is_set(const char *s) {
    return s && s[0];
}

/* ---- errors ---- */

void tls__drain_errors(char *buf, size_t len, const char *prefix) {
    size_t used = (size_t)snprintf(buf, len, "%s", prefix);
    const char *sep = ": ";
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        if (used + 1 >= len) continue; /* keep draining: a stale queue misleads the next caller */
        /* The reason text alone ("certificate verify failed") reads better
         * in logs than the full "error:0A000086:SSL routines::..." form. */
        char one[200];
        const char *reason = ERR_reason_error_string(e);
        if (reason)
            snprintf(one, sizeof(one), "%s", reason);
        else
            ERR_error_string_n(e, one, sizeof(one));
        int n = snprintf(buf + used, len - used, "%s%s", sep, one);
        if (n > 0) used += (size_t)n < len - used ? (size_t)n : len - used - 1;
        sep = "; ";
    }
}

static int build_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Formats the message, then appends OpenSSL's reasons (if any). */
static int build_fail(char *err, size_t errlen, int code, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ERR_peek_error())
        tls__drain_errors(err, errlen, msg);
    else
        snprintf(err, errlen, "%s", msg);
    return code;
}

/* ---- protocols ---- */

int tls_parse_protocols(const char *s, int *out) {
    int bits = 0;
    char buf[256];
    if (!s || !s[0]) {
        *out = 0;
        return 0;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
        if (strcasecmp(tok, "TLSv1") == 0)
            bits |= TLS_PROTO_1_0;
        else if (strcasecmp(tok, "TLSv1.1") == 0)
            bits |= TLS_PROTO_1_1;
        else if (strcasecmp(tok, "TLSv1.2") == 0)
            bits |= TLS_PROTO_1_2;
        else if (strcasecmp(tok, "TLSv1.3") == 0)
            bits |= TLS_PROTO_1_3;
        else
            return SK_ECONFIG;
    }
    *out = bits;
    return 0;
}

static const struct {
    int bit;
    int version;
    uint64_t no_op;
} proto_table[] = {
    {TLS_PROTO_1_0, TLS1_VERSION, SSL_OP_NO_TLSv1},
    {TLS_PROTO_1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1},
    {TLS_PROTO_1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2},
    {TLS_PROTO_1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3},
};

static int set_protocols(SSL_CTX *ctx, int bits, char *err, size_t errlen) {
    int min = 0, max = 0;
    for (size_t i = 0; i < sizeof(proto_table) / sizeof(proto_table[0]); i++) {
        if (!(bits & proto_table[i].bit)) continue;
        if (!min) min = proto_table[i].version;
        max = proto_table[i].version;
    }
    if (!min) return build_fail(err, errlen, SK_ECONFIG, "no TLS protocol version enabled");
    if (!SSL_CTX_set_min_proto_version(ctx, min) || !SSL_CTX_set_max_proto_version(ctx, max))
        return build_fail(err, errlen, SK_ETLS, "cannot set TLS protocol versions");
    /* A gap such as "TLSv1.1 TLSv1.3" disables the versions in between. */
    for (size_t i = 0; i < sizeof(proto_table) / sizeof(proto_table[0]); i++) {
        int v = proto_table[i].version;
        if (v > min && v < max && !(bits & proto_table[i].bit))
            SSL_CTX_set_options(ctx, proto_table[i].no_op);
    }
    /* OpenSSL 3's default security level refuses TLS 1.0/1.1 outright; an
     * operator who enables them explicitly gets them. */
    if (bits & (TLS_PROTO_1_0 | TLS_PROTO_1_1)) SSL_CTX_set_security_level(ctx, 0);
    return 0;
}

/* ---- certificates ---- */

static int check_readable(const char *what, const char *path, char *err, size_t errlen) {
    if (access(path, R_OK) == 0) return 0;
    snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
    return SK_ECONFIG;
}

static long long asn1_to_unix(const ASN1_TIME *t) {
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm)) return 0;
    return (long long)timegm(&tm);
}

static void format_utc(long long when, char *buf, size_t len) {
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int check_validity(X509 *x, const char *path, char *err, size_t errlen) {
    char when[64];
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
        format_utc(asn1_to_unix(X509_get0_notAfter(x)), when, sizeof(when));
        snprintf(err, errlen, "certificate %s has expired (notAfter %s)", path, when);
        return SK_ECERT;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
        format_utc(asn1_to_unix(X509_get0_notBefore(x)), when, sizeof(when));
        snprintf(err, errlen, "certificate %s is not yet valid (notBefore %s)", path, when);
        return SK_ECERT;
    }
    return 0;
}

static void summarize(X509 *x, tls_cert_summary *s) {
    memset(s, 0, sizeof(*s));
    s->present = 1;
    BIO *b = BIO_new(BIO_s_mem());
    if (b) {
        X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
        int n = BIO_read(b, s->subject, (int)sizeof(s->subject) - 1);
        s->subject[n > 0 ? n : 0] = '\0';
        BIO_free(b);
    }
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(s->serial, sizeof(s->serial), "%s", hex ? hex : "");
    OPENSSL_free(hex);
    BN_free(bn);
    s->not_after = asn1_to_unix(X509_get0_notAfter(x));
}

static int pass_cb(char *buf, int size, int rwflag, void *u) {
    (void)rwflag;
    const char *pass = u;
    if (!pass || size <= 0) return 0;
    int n = (int)strlen(pass);
    if (n >= size) n = size - 1;
    memcpy(buf, pass, (size_t)n);
    return n;
}

/* Loads a cert chain + key pair into ctx and checks it; summary filled. */
static int load_pair(SSL_CTX *ctx, const char *cert, const char *key, const char *pass,
                     tls_cert_summary *sum, char *err, size_t errlen) {
    int rc;
    if ((rc = check_readable("certificate", cert, err, errlen)) < 0 ||
        (rc = check_readable("private key", key, err, errlen)) < 0)
        return rc;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return build_fail(err, errlen, SK_ECERT, "cannot load certificate %s", cert);
    /* The passphrase is borrowed: set only for this load, then forgotten. */
    SSL_CTX_set_default_passwd_cb(ctx, pass_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)pass);
    int ok = SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    SSL_CTX_set_default_passwd_cb(ctx, NULL);
    unsigned long e = ok == 1 ? 0 : ERR_peek_last_error();
    if (ok != 1 && ERR_GET_LIB(e) == ERR_LIB_X509 &&
        ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
        return build_fail(err, errlen, SK_ECERT, "private key %s does not match certificate %s",
                          key, cert);
    if (ok != 1)
        return build_fail(err, errlen, SK_ECERT,
                          "cannot load private key %s (wrong passphrase or format?)", key);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return build_fail(err, errlen, SK_ECERT, "private key %s does not match certificate %s",
                          key, cert);
    X509 *x = SSL_CTX_get0_certificate(ctx);
    if ((rc = check_validity(x, cert, err, errlen)) < 0) return rc;
    summarize(x, sum);
    return 0;
}

static int load_ca(SSL_CTX *ctx, const tls_config *cfg, int send_names, char *err, size_t errlen) {
    const char *file = is_set(cfg->ca_cert_file) ? cfg->ca_cert_file : NULL;
    const char *dir = is_set(cfg->ca_cert_dir) ? cfg->ca_cert_dir : NULL;
    int rc;
    if (!file && !dir) return 0;
    if (file && (rc = check_readable("CA certificate file", file, err, errlen)) < 0) return rc;
    if (dir && (rc = check_readable("CA certificate directory", dir, err, errlen)) < 0) return rc;
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1)
        return build_fail(err, errlen, SK_ECERT, "cannot load CA certificates from %s",
                          file ? file : dir);
    /* Tell clients which CAs we accept, so they pick the right certificate. */
    if (send_names && file) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(file);
        if (names) SSL_CTX_set_client_CA_list(ctx, names);
        ERR_clear_error();
    }
    return 0;
}

static void summarize_ca_file(tls_ctx *t, const char *file) {
    BIO *b = BIO_new_file(file, "r");
    if (!b) return;
    X509 *x;
    while (t->nca < TLS_MAX_CA_SUMMARIES && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        summarize(x, &t->ca[t->nca++]);
        X509_free(x);
    }
    BIO_free(b);
    ERR_clear_error(); /* the read loop ends on a "no start line" error */
}

static int load_dh(SSL_CTX *ctx, const char *file, char *err, size_t errlen) {
    if (!is_set(file)) {
        SSL_CTX_set_dh_auto(ctx, 1);
        return 0;
    }
    int rc = check_readable("DH parameters file", file, err, errlen);
    if (rc < 0) return rc;
    BIO *b = BIO_new_file(file, "r");
    EVP_PKEY *dh = b ? PEM_read_bio_Parameters(b, NULL) : NULL;
    BIO_free(b);
    if (!dh) return build_fail(err, errlen, SK_ECONFIG, "cannot load DH parameters %s", file);
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
        EVP_PKEY_free(dh);
        return build_fail(err, errlen, SK_ECONFIG, "cannot use DH parameters %s", file);
    }
    return 0;
}

/* ---- the SSL_CTXs ---- */

static SSL_CTX *ctx_common(const tls_config *cfg, int server, char *err, size_t errlen) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) {
        build_fail(err, errlen, SK_ETLS, "cannot create SSL_CTX");
        return NULL;
    }
    uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
    if (server && cfg->prefer_server_ciphers) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    SSL_CTX_set_options(ctx, opts);
    /* Partial writes: the writer keeps its unsent bytes and retries with a
     * buffer that may have moved (it grows). */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* One read() fills OpenSSL's buffer with as many records as it holds
     * instead of two reads (header, body) per record. SSL_has_pending()
     * then tells about what is buffered (conn_has_pending). */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, tls__verify_cb);

    int bits = cfg->protocols ? cfg->protocols : TLS_PROTO_DEFAULT;
    const char *ciphers = is_set(cfg->ciphers)                       ? cfg->ciphers
                          : (bits & (TLS_PROTO_1_0 | TLS_PROTO_1_1)) ? TLS_LEGACY_CIPHERS
                                                                     : TLS_DEFAULT_CIPHERS;
    if (set_protocols(ctx, bits, err, errlen) < 0) goto fail;
    if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
        build_fail(err, errlen, SK_ECONFIG, "invalid cipher list '%s'", ciphers);
        goto fail;
    }
    if (is_set(cfg->ciphersuites) && SSL_CTX_set_ciphersuites(ctx, cfg->ciphersuites) != 1) {
        build_fail(err, errlen, SK_ECONFIG, "invalid TLS 1.3 ciphersuites '%s'", cfg->ciphersuites);
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static void setup_session_cache(SSL_CTX *ctx, const tls_config *cfg) {
    /* Resumption with client certificates needs a session id context. */
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SESSION_ID_CTX,
                                   sizeof(TLS_SESSION_ID_CTX) - 1);
    if (!cfg->session_caching) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
        return;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    /* Stateful resumption: the session stays in the server cache and the
     * (single) TLS 1.3 ticket only names it. A stateless ticket would encode
     * the whole session, client certificate included, on every new
     * connection, which profiles showed to be a fifth of the handshake cost
     * of clients that never resume. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_sess_set_cache_size(ctx,
                                cfg->session_cache_size > 0 ? cfg->session_cache_size : 20 * 1024);
    SSL_CTX_set_timeout(ctx, cfg->session_cache_timeout > 0 ? cfg->session_cache_timeout : 300);
}

static int server_verify_mode(const tls_config *cfg) {
    /* Allowed names can only be checked on a certificate: require one. */
    if (cfg->allowed_names_count > 0 || cfg->auth_clients == TLS_AUTH_YES)
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    if (cfg->auth_clients == TLS_AUTH_OPTIONAL) return SSL_VERIFY_PEER;
    return SSL_VERIFY_NONE;
}

static int build_server(tls_ctx *t, const tls_config *cfg, char *err, size_t errlen) {
    int rc;
    int verify = server_verify_mode(cfg);
    if (verify != SSL_VERIFY_NONE && !is_set(cfg->ca_cert_file) && !is_set(cfg->ca_cert_dir)) {
        snprintf(err, errlen, "client authentication needs ca_cert_file or ca_cert_dir");
        return SK_ECONFIG;
    }
    SSL_CTX *ctx = ctx_common(cfg, 1, err, errlen);
    if (!ctx) return SK_ECONFIG;
    t->server = ctx;
    if ((rc = load_pair(ctx, cfg->cert_file, cfg->key_file, cfg->key_file_pass, &t->server_cert,
                        err, errlen)) < 0 ||
        (rc = load_ca(ctx, cfg, 1, err, errlen)) < 0 ||
        (rc = load_dh(ctx, cfg->dh_params_file, err, errlen)) < 0)
        return rc;
    SSL_CTX_set_verify(ctx, verify, tls__verify_cb);
    setup_session_cache(ctx, cfg);
    return 0;
}

static int build_client(tls_ctx *t, const tls_config *cfg, char *err, size_t errlen) {
    int rc;
    SSL_CTX *ctx = ctx_common(cfg, 0, err, errlen);
    if (!ctx) return SK_ECONFIG;
    t->client = ctx;
    /* As Redis: without a dedicated client pair, present the server's. */
    const char *cert = cfg->client_cert_file, *key = cfg->client_key_file;
    const char *pass = cfg->client_key_file_pass;
    if (!is_set(cert)) {
        cert = cfg->cert_file;
        key = cfg->key_file;
        pass = cfg->key_file_pass;
    }
    if (is_set(cert) || is_set(key)) {
        if (!is_set(cert) || !is_set(key)) {
            snprintf(err, errlen, "client certificate and key must be given together");
            return SK_ECONFIG;
        }
        if ((rc = load_pair(ctx, cert, key, pass, &t->client_cert, err, errlen)) < 0) return rc;
    }
    if (!is_set(cfg->ca_cert_file) && !is_set(cfg->ca_cert_dir))
        SSL_CTX_set_default_verify_paths(ctx);
    else if ((rc = load_ca(ctx, cfg, 0, err, errlen)) < 0)
        return rc;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls__verify_cb);
    return 0;
}

/* ---- file fingerprints ---- */

static void fp_stat(tls_file_fp *f) {
    struct stat st;
    f->exists = stat(f->path, &st) == 0;
    if (!f->exists) return;
    f->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    f->size = (long long)st.st_size;
    f->ino = st.st_ino;
}

static void fp_add(tls_ctx *t, const char *path) {
    if (!is_set(path) || t->nfiles >= TLS_MAX_FILES) return;
    for (int i = 0; i < t->nfiles; i++)
        if (strcmp(t->files[i].path, path) == 0) return;
    tls_file_fp *f = &t->files[t->nfiles++];
    f->path = sk_strdup(path);
    fp_stat(f);
}

static void fp_collect(tls_ctx *t, const tls_config *cfg) {
    const char *paths[] = {cfg->cert_file,       cfg->key_file,     cfg->client_cert_file,
                           cfg->client_key_file, cfg->ca_cert_file, cfg->ca_cert_dir,
                           cfg->dh_params_file};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        fp_add(t, paths[i]);
}

int tls_ctx_files_changed(const tls_ctx *ctx) {
    for (int i = 0; i < ctx->nfiles; i++) {
        tls_file_fp now = {.path = ctx->files[i].path};
        fp_stat(&now);
        const tls_file_fp *was = &ctx->files[i];
        if (now.exists != was->exists || now.mtime_ns != was->mtime_ns || now.size != was->size ||
            now.ino != was->ino)
            return 1;
    }
    return 0;
}

/* ---- build / refcount ---- */

static void ctx_free(tls_ctx *t) {
    SSL_CTX_free(t->server);
    SSL_CTX_free(t->client);
    for (int i = 0; i < t->allowed_names_count; i++)
        sk_free(t->allowed_names[i]);
    sk_free(t->allowed_names);
    for (int i = 0; i < t->nfiles; i++)
        sk_free(t->files[i].path);
    sk_free(t);
}

int tls_ctx_build(const tls_config *cfg, tls_stats *stats, tls_ctx **out, char *err,
                  size_t errlen) {
    int rc = 0;
    *out = NULL;
    ERR_clear_error();
    int has_server = is_set(cfg->cert_file) || is_set(cfg->key_file);
    if (cfg->need_server_cert && (!is_set(cfg->cert_file) || !is_set(cfg->key_file))) {
        snprintf(err, errlen, "TLS needs both cert_file and key_file");
        return SK_ECONFIG;
    }
    if (has_server && (!is_set(cfg->cert_file) || !is_set(cfg->key_file))) {
        snprintf(err, errlen, "cert_file and key_file must be given together");
        return SK_ECONFIG;
    }
    tls_ctx *t = sk_calloc(1, sizeof(*t));
    t->refs = 1;
    t->stats = stats;
    t->max_handshakes_per_loop = cfg->max_handshakes_per_loop;
    t->handshake_timeout_ms = cfg->handshake_timeout_ms == 0 ? TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS
                                                             : cfg->handshake_timeout_ms;
    if ((has_server && (rc = build_server(t, cfg, err, errlen)) < 0) ||
        (rc = build_client(t, cfg, err, errlen)) < 0)
        goto cleanup;
    if (cfg->allowed_names_count > 0) {
        t->allowed_names = sk_calloc((size_t)cfg->allowed_names_count, sizeof(char *));
        for (int i = 0; i < cfg->allowed_names_count; i++)
            t->allowed_names[i] = sk_strdup(cfg->allowed_names[i]);
        t->allowed_names_count = cfg->allowed_names_count;
    }
    if (is_set(cfg->ca_cert_file)) summarize_ca_file(t, cfg->ca_cert_file);
    fp_collect(t, cfg);
    ERR_clear_error(); /* loads may leave harmless notes (e.g. duplicate CA certs) */
    *out = t;
    return 0;
cleanup:
    ERR_clear_error();
    ctx_free(t);
    return rc;
}

tls_ctx *tls_ctx_retain(tls_ctx *ctx) {
    if (ctx) __atomic_add_fetch(&ctx->refs, 1, __ATOMIC_RELAXED);
    return ctx;
}

void tls_ctx_release(tls_ctx *ctx) {
    if (ctx && __atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL) == 0) ctx_free(ctx);
}

/* ---- INFO ---- */

static void info_cert(sbuf *out, const char *prefix, const char *name, const tls_cert_summary *s,
                      long long now) {
    sbuf_appendf(out, "%s%s_subject:%s\r\n", prefix, name, s->subject);
    sbuf_appendf(out, "%s%s_serial:%s\r\n", prefix, name, s->serial);
    sbuf_appendf(out, "%s%s_not_after:%lld\r\n", prefix, name, s->not_after);
    sbuf_appendf(out, "%s%s_expires_in_seconds:%lld\r\n", prefix, name, s->not_after - now);
}

void tls_ctx_info(const tls_ctx *ctx, const char *prefix, sbuf *out) {
    long long now = (long long)time(NULL);
    if (!prefix) prefix = "";
    if (ctx->server_cert.present) info_cert(out, prefix, "server_cert", &ctx->server_cert, now);
    if (ctx->client_cert.present) info_cert(out, prefix, "client_cert", &ctx->client_cert, now);
    sbuf_appendf(out, "%sca_cert_count:%d\r\n", prefix, ctx->nca);
    for (int i = 0; i < ctx->nca; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ca_cert_%d", i);
        info_cert(out, prefix, name, &ctx->ca[i], now);
    }
}

void tls_stats_info(const tls_stats *s, const char *prefix, sbuf *out) {
    if (!prefix) prefix = "";
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        {"handshakes_ok", s->handshakes_ok}, {"handshakes_failed", s->handshakes_failed},
        {"fail_no_cert", s->fail_no_cert},   {"fail_untrusted", s->fail_untrusted},
        {"fail_expired", s->fail_expired},   {"fail_name", s->fail_name},
        {"fail_protocol", s->fail_protocol}, {"fail_timeout", s->fail_timeout},
        {"fail_other", s->fail_other},       {"resumed", s->resumed},
        {"ctx_reloads", s->ctx_reloads},     {"ctx_reload_failures", s->ctx_reload_failures},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        sbuf_appendf(out, "%s%s:%llu\r\n", prefix, rows[i].name, (unsigned long long)rows[i].v);
}
