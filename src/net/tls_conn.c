/* tls_conn.c - the TLS transport: a non-blocking OpenSSL connection on the
 * event loop.
 *
 * How reads and writes map to socket events. OpenSSL may need the opposite
 * direction of what the caller asked for:
 * - SSL_read can return WANT_WRITE (it must send something first, e.g. a
 *   key update reply). The conn then records READ_WANT_WRITE and watches
 *   writability; when the socket becomes writable the *read* handler runs
 *   again, which retries SSL_read.
 * - SSL_write can return WANT_READ (it must receive first). The conn
 *   records WRITE_WANT_READ and watches readability; when readable, the
 *   *write* handler runs and retries SSL_write.
 * The registered events are recomputed from (handlers set, these flags)
 * after every operation that may change them (tls_update_events), so the
 * caller only ever sets its read/write handlers as for a plain socket.
 *
 * Bytes OpenSSL has decrypted (or read ahead) are invisible to epoll: after
 * a read that leaves SSL_has_pending(), the conn goes on its loop's pending
 * list and conn_process_pending() runs its read handler.
 *
 * Handshakes (accepted and outgoing) are driven by the loop; the accept or
 * connect handler runs once, when the handshake completed (state CONNECTED)
 * or failed (state CONN_STATE_ERROR, reason in conn_last_error()); the
 * handler then closes the conn. Failures are classified into tls_stats.
 *
 * ERR_clear_error() precedes every SSL call whose result is examined with
 * SSL_get_error(), which reads the thread's error queue.
 */
#include "tls_internal.h"

#include "../core/err.h"
#include "../core/mem.h"
#include "../pki/pki.h"
#include "net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define TLS_F_READ_WANT_WRITE (1 << 0)
#define TLS_F_WRITE_WANT_READ (1 << 1)
#define TLS_F_HANDSHAKING (1 << 2)
#define TLS_F_HS_WANT_WRITE (1 << 3)
#define TLS_F_DEFERRED (1 << 4)
#define TLS_F_NAME_FAILED (1 << 5)
#define TLS_F_TCP_CONNECTING (1 << 6)

/* Coalescing buffer for writev: one record's worth. */
#define TLS_WRITEV_CHUNK (16 * 1024)

typedef struct tls_conn {
    conn c;       /* first: a tls_conn is a conn */
    SSL *ssl;     /* owned */
    tls_ctx *ctx; /* owned reference */
    int tflags;
    int sticky_err;  /* error met after a partial read, reported next call */
    char *peer_name; /* owned; expected peer identity (client side), or NULL */
    conn_pnode pnode;
    struct hs_node {
        struct hs_node *prev, *next;
        struct hs_watch *owner; /* NULL while being timed out */
        int linked;
        int64_t deadline_ms;
    } hs; /* on the loop's handshake watch while connecting/handshaking */
} tls_conn;

static const conn_type conn_type_tls;

static void tls_event(ev_loop *loop, int fd, void *data, int mask);
static void tls_handshake_step(tls_conn *tc);
static void hs_untrack(tls_conn *tc);

/* ---- events ---- */

static int tls_wanted_mask(const tls_conn *tc) {
    const conn *c = &tc->c;
    if (tc->tflags & TLS_F_DEFERRED) return 0;
    if (tc->tflags & TLS_F_TCP_CONNECTING) return EV_WRITABLE;
    if (tc->tflags & TLS_F_HANDSHAKING)
        return (tc->tflags & TLS_F_HS_WANT_WRITE) ? EV_WRITABLE : EV_READABLE;
    if (c->state != CONN_STATE_CONNECTED) return 0;
    int m = 0;
    if (c->read_handler || (tc->tflags & TLS_F_WRITE_WANT_READ)) m |= EV_READABLE;
    if (c->write_handler || (tc->tflags & TLS_F_READ_WANT_WRITE)) {
        m |= EV_WRITABLE;
        if (c->write_handler && (c->flags & CONN_FLAG_WRITE_BARRIER)) m |= EV_BARRIER;
    }
    return m;
}

static int tls_update_events(tls_conn *tc) {
    conn *c = &tc->c;
    if (c->fd < 0) return 0;
    int want = tls_wanted_mask(tc);
    int cur = ev_get_file_mask(c->loop, c->fd);
    int del = 0;
    if ((cur & EV_READABLE) && !(want & EV_READABLE)) del |= EV_READABLE;
    /* Changing the barrier means re-adding the write event. */
    if ((cur & EV_WRITABLE) && (!(want & EV_WRITABLE) || (cur & EV_BARRIER) != (want & EV_BARRIER)))
        del |= EV_WRITABLE;
    if (del) ev_del_file(c->loop, c->fd, del);
    cur &= ~del;
    if (del & EV_WRITABLE) cur &= ~EV_BARRIER;
    int add = want & ~cur;
    if ((add & (EV_READABLE | EV_WRITABLE)) == 0) return 0;
    int rc = ev_add_file(c->loop, c->fd, add, tls_event, tc);
    if (rc < 0) conn__set_error(c, "cannot watch the socket: %s", sk_strerror(rc));
    return rc;
}

/* ---- identity checks ---- */

static int tls_peer_allowed(const tls_conn *tc, X509 *x, int is_server) {
    const tls_ctx *t = tc->ctx;
    if (is_server) {
        for (int i = 0; i < t->allowed_names_count; i++)
            if (pki_x509_name_matches(x, t->allowed_names[i])) return 1;
        return t->allowed_names_count == 0;
    }
    if (!tc->peer_name) return 1;
    return pki_x509_host_matches(x, tc->peer_name) || pki_x509_name_matches(x, tc->peer_name);
}

/* Runs for every certificate of the chain; identity is checked on the leaf
 * (depth 0) once OpenSSL found the chain good, so a name can only admit a
 * certificate that our CA signed. */
int tls__verify_cb(int preverify_ok, X509_STORE_CTX *xs) {
    if (!preverify_ok || X509_STORE_CTX_get_error_depth(xs) != 0) return preverify_ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    tls_conn *tc = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *x = X509_STORE_CTX_get_current_cert(xs);
    if (!tc || !x) return preverify_ok;
    int is_server = SSL_is_server(ssl);
    if (tls_peer_allowed(tc, x, is_server)) return 1;
    tc->tflags |= TLS_F_NAME_FAILED;
    X509_STORE_CTX_set_error(xs, is_server ? X509_V_ERR_APPLICATION_VERIFICATION
                                           : X509_V_ERR_HOSTNAME_MISMATCH);
    return 0;
}

/* ---- handshake outcome ---- */

static int reason_is_protocol(int r) {
    switch (r) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_TLSV1_ALERT_INAPPROPRIATE_FALLBACK:
    case SSL_R_INAPPROPRIATE_FALLBACK:
        return 1;
    default:
        return 0;
    }
}

static uint64_t *classify_verify(tls_stats *s, long vr) {
    switch (vr) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        return &s->fail_expired;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_APPLICATION_VERIFICATION:
        return &s->fail_name;
    default:
        return &s->fail_untrusted;
    }
}

static uint64_t *classify_reason(tls_stats *s, unsigned long e) {
    if (ERR_GET_LIB(e) != ERR_LIB_SSL) return &s->fail_other;
    int r = ERR_GET_REASON(e);
    switch (r) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return &s->fail_no_cert;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return &s->fail_untrusted;
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        return &s->fail_expired;
    default:
        return reason_is_protocol(r) ? &s->fail_protocol : &s->fail_other;
    }
}

static void tls_count_failure(tls_conn *tc, unsigned long first_err) {
    tls_stats *s = tc->ctx->stats;
    if (!s) return;
    s->handshakes_failed++;
    long vr = SSL_get_verify_result(tc->ssl);
    uint64_t *slot;
    if (tc->tflags & TLS_F_NAME_FAILED)
        slot = &s->fail_name;
    else if (vr != X509_V_OK)
        slot = classify_verify(s, vr);
    else
        slot = classify_reason(s, first_err);
    (*slot)++;
}

static void tls_set_io_error(tls_conn *tc, int sslerr, const char *what) {
    conn *c = &tc->c;
    long vr = SSL_get_verify_result(tc->ssl);
    char prefix[160];
    if (tc->tflags & TLS_F_NAME_FAILED)
        snprintf(prefix, sizeof(prefix), "%s: %s", what,
                 SSL_is_server(tc->ssl)
                     ? "the client certificate's names are not in tls-allowed-names"
                     : "the peer certificate does not match the required peer name");
    else if (vr != X509_V_OK)
        snprintf(prefix, sizeof(prefix), "%s: certificate verify failed: %s", what,
                 X509_verify_cert_error_string(vr));
    else if (sslerr == SSL_ERROR_SYSCALL)
        snprintf(prefix, sizeof(prefix), "%s: %s", what,
                 errno ? strerror(errno) : "connection closed by peer");
    else
        snprintf(prefix, sizeof(prefix), "%s", what);
    tls__drain_errors(c->last_error, sizeof(c->last_error), prefix);
}

static void tls_handshake_failed(tls_conn *tc, int sslerr) {
    conn *c = &tc->c;
    hs_untrack(tc);
    tls_count_failure(tc, ERR_peek_error());
    tls_set_io_error(tc, sslerr, "TLS handshake failed");
    tc->tflags &= ~(TLS_F_HANDSHAKING | TLS_F_DEFERRED);
    c->state = CONN_STATE_ERROR;
    tls_update_events(tc);
    conn_handler *h = c->conn_handler;
    c->conn_handler = NULL;
    conn__call_handler(c, h);
}

static void tls_handshake_done(tls_conn *tc) {
    conn *c = &tc->c;
    hs_untrack(tc);
    tc->pnode.run = NULL; /* from now on, a pending node means plaintext */
    tls_stats *s = tc->ctx->stats;
    if (s) {
        s->handshakes_ok++;
        if (SSL_session_reused(tc->ssl)) s->resumed++;
    }
    tc->tflags &= ~(TLS_F_HANDSHAKING | TLS_F_HS_WANT_WRITE);
    c->state = CONN_STATE_CONNECTED;
    if (tls_update_events(tc) < 0) c->state = CONN_STATE_ERROR;
    conn_handler *h = c->conn_handler;
    c->conn_handler = NULL;
    if (!conn__call_handler(c, h)) return;
    /* Application data may have arrived with the handshake's last flight
     * and already sit in OpenSSL's buffer: epoll will not report it. */
    if (c->state == CONN_STATE_CONNECTED && c->read_handler && SSL_has_pending(tc->ssl))
        conn__pending_add(c, &tc->pnode);
}

/* ---- handshake budget (per thread = per loop, reset every iteration) ---- */

static __thread uint64_t hs_iteration;
static __thread int hs_used;

static int hs_budget_take(const tls_ctx *t) {
    if (t->max_handshakes_per_loop <= 0) return 1;
    uint64_t it = conn__iteration();
    if (it != hs_iteration) {
        hs_iteration = it;
        hs_used = 0;
    }
    if (hs_used >= t->max_handshakes_per_loop) return 0;
    hs_used++;
    return 1;
}

static void tls_run_deferred(conn *c) {
    tls_conn *tc = (tls_conn *)c;
    if (!(tc->tflags & TLS_F_DEFERRED)) return;
    tc->tflags &= ~TLS_F_DEFERRED;
    tls_handshake_step(tc);
}

static void tls_defer(tls_conn *tc) {
    tc->tflags |= TLS_F_DEFERRED;
    tls_update_events(tc);
    tc->pnode.run = tls_run_deferred;
    conn__pending_add(&tc->c, &tc->pnode);
}

static void tls_handshake_step(tls_conn *tc) {
    if (!hs_budget_take(tc->ctx)) {
        tls_defer(tc);
        return;
    }
    ERR_clear_error();
    int ret = SSL_do_handshake(tc->ssl);
    if (ret == 1) {
        tls_handshake_done(tc);
        return;
    }
    int e = SSL_get_error(tc->ssl, ret);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (e == SSL_ERROR_WANT_WRITE)
            tc->tflags |= TLS_F_HS_WANT_WRITE;
        else
            tc->tflags &= ~TLS_F_HS_WANT_WRITE;
        if (tls_update_events(tc) < 0) tls_handshake_failed(tc, SSL_ERROR_SSL);
        return;
    }
    tls_handshake_failed(tc, e);
}

/* ---- handshake deadline ----
 *
 * A peer that connects and then says nothing would hold its conn (and the
 * owner's fd) forever, since the owner only sees the conn once the
 * handshake ended. Conns in TCP connect or handshake sit on their loop's
 * watch list (intrusive, O(1) in and out); one timer per loop, alive only
 * while the list is non-empty, fails the ones past their deadline. */

typedef struct hs_watch {
    ev_loop *loop; /* borrowed */
    struct hs_node head;
    int64_t timer_id;
    int in_timer;
    struct hs_watch *next;
} hs_watch;

static __thread hs_watch *hs_watches;

#define HS_TICK_MAX_MS 1000
#define HS_TICK_MIN_MS 10

static tls_conn *hs_conn(struct hs_node *n) {
    return (tls_conn *)((char *)n - offsetof(tls_conn, hs));
}

static void hs_unlink(struct hs_node *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
    n->linked = 0;
}

static void hs_link_tail(struct hs_node *head, struct hs_node *n) {
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
    n->linked = 1;
}

static void hs_watch_free(hs_watch *w) {
    for (hs_watch **p = &hs_watches; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    sk_free(w);
}

static void tls_handshake_timeout(tls_conn *tc) {
    conn *c = &tc->c;
    tls_stats *s = tc->ctx->stats;
    if (s) {
        s->handshakes_failed++;
        s->fail_timeout++;
    }
    snprintf(c->last_error, sizeof(c->last_error), "%s timed out",
             (tc->tflags & TLS_F_TCP_CONNECTING) ? "connect" : "TLS handshake");
    conn__pending_del(&tc->pnode);
    tc->tflags &= ~(TLS_F_HANDSHAKING | TLS_F_DEFERRED | TLS_F_TCP_CONNECTING);
    c->state = CONN_STATE_ERROR;
    tls_update_events(tc);
    conn_handler *h = c->conn_handler;
    c->conn_handler = NULL;
    conn__call_handler(c, h);
}

static int64_t hs_watch_tick(ev_loop *loop, int64_t id, void *data) {
    (void)loop;
    (void)id;
    hs_watch *w = data;
    int64_t now = ev_now_ms(), next = HS_TICK_MAX_MS;
    /* Expired ones move to a local list first: a handler may close any
     * conn, and unlinking works the same from either list. */
    struct hs_node expired = {&expired, &expired, NULL, 0, 0};
    for (struct hs_node *n = w->head.next, *nx; n != &w->head; n = nx) {
        nx = n->next;
        if (n->deadline_ms <= now) {
            hs_unlink(n);
            n->owner = NULL;
            hs_link_tail(&expired, n);
        } else if (n->deadline_ms - now < next) {
            next = n->deadline_ms - now;
        }
    }
    w->in_timer = 1;
    while (expired.next != &expired) {
        struct hs_node *n = expired.next;
        hs_unlink(n);
        tls_handshake_timeout(hs_conn(n));
    }
    w->in_timer = 0;
    if (w->head.next == &w->head) {
        hs_watch_free(w);
        return EV_TIMER_STOP;
    }
    return next < HS_TICK_MIN_MS ? HS_TICK_MIN_MS : next;
}

static void hs_track(tls_conn *tc) {
    int64_t timeout = tc->ctx->handshake_timeout_ms;
    if (timeout <= 0 || tc->hs.linked) return;
    ev_loop *loop = tc->c.loop;
    hs_watch *w = hs_watches;
    while (w && w->loop != loop)
        w = w->next;
    if (!w) {
        w = sk_calloc(1, sizeof(*w));
        w->loop = loop;
        w->head.prev = w->head.next = &w->head;
        w->timer_id = ev_add_timer(loop, timeout < HS_TICK_MAX_MS ? timeout : HS_TICK_MAX_MS,
                                   hs_watch_tick, w);
        if (w->timer_id < 0) {
            sk_free(w);
            return;
        }
        w->next = hs_watches;
        hs_watches = w;
    }
    tc->hs.deadline_ms = ev_now_ms() + timeout;
    tc->hs.owner = w;
    hs_link_tail(&w->head, &tc->hs);
}

static void hs_untrack(tls_conn *tc) {
    struct hs_node *n = &tc->hs;
    if (!n->linked) return;
    hs_unlink(n);
    hs_watch *w = n->owner;
    n->owner = NULL;
    /* The watch lives only while it has conns: a destroyed loop leaves
     * nothing behind. Inside the tick, the tick decides. */
    if (w && !w->in_timer && w->head.next == &w->head) {
        ev_del_timer(w->loop, w->timer_id);
        hs_watch_free(w);
    }
}

/* ---- the event handler ---- */

static void tls_tcp_connected(tls_conn *tc) {
    conn *c = &tc->c;
    tc->tflags &= ~TLS_F_TCP_CONNECTING;
    if (conn__connect_result(c) < 0 || SSL_set_fd(tc->ssl, c->fd) != 1) {
        hs_untrack(tc);
        c->state = CONN_STATE_ERROR;
        tls_update_events(tc);
        conn_handler *h = c->conn_handler;
        c->conn_handler = NULL;
        conn__call_handler(c, h);
        return;
    }
    tc->tflags |= TLS_F_HANDSHAKING;
    tls_handshake_step(tc);
}

static void tls_event_connected(tls_conn *tc, int mask) {
    conn *c = &tc->c;
    if (mask & EV_READABLE) {
        if ((tc->tflags & TLS_F_WRITE_WANT_READ) && c->write_handler) {
            if (!conn__call_handler(c, c->write_handler)) return;
        }
        if (c->read_handler && !conn__call_handler(c, c->read_handler)) return;
    } else if (mask & EV_WRITABLE) {
        if ((tc->tflags & TLS_F_READ_WANT_WRITE) && c->read_handler) {
            if (!conn__call_handler(c, c->read_handler)) return;
        }
        if (c->write_handler && !conn__call_handler(c, c->write_handler)) return;
    }
    tls_update_events(tc);
}

static void tls_event(ev_loop *loop, int fd, void *data, int mask) {
    (void)loop;
    (void)fd;
    tls_conn *tc = data;
    if (tc->tflags & TLS_F_TCP_CONNECTING) {
        if (mask & EV_WRITABLE) tls_tcp_connected(tc);
        return;
    }
    if (tc->tflags & TLS_F_HANDSHAKING) {
        if (!(tc->tflags & TLS_F_DEFERRED)) tls_handshake_step(tc);
        return;
    }
    if (tc->c.state == CONN_STATE_CONNECTED) tls_event_connected(tc, mask);
}

/* ---- conn_type methods ---- */

static int tls_connect(conn *c, const char *addr, int port, const char *src, conn_handler *fn) {
    tls_conn *tc = (tls_conn *)c;
    if (c->state != CONN_STATE_NONE) {
        conn__set_error(c, "connect: conn is not new");
        return SK_EINVAL;
    }
    int rc = conn__start_connect(c, addr, port, src, 0);
    if (rc < 0) {
        c->state = CONN_STATE_ERROR;
        return rc;
    }
    c->state = CONN_STATE_CONNECTING;
    c->conn_handler = fn;
    tc->tflags |= TLS_F_TCP_CONNECTING;
    rc = tls_update_events(tc);
    if (rc < 0) {
        c->state = CONN_STATE_ERROR;
        c->conn_handler = NULL;
        tc->tflags &= ~TLS_F_TCP_CONNECTING;
        return rc;
    }
    hs_track(tc);
    return 0;
}

static int tls_accept(conn *c, conn_handler *fn) {
    tls_conn *tc = (tls_conn *)c;
    if (c->state != CONN_STATE_ACCEPTING || (tc->tflags & TLS_F_HANDSHAKING)) {
        conn__set_error(c, "accept: conn is not a fresh accepted TLS socket");
        return SK_EINVAL;
    }
    c->conn_handler = fn;
    tc->tflags |= TLS_F_HANDSHAKING;
    hs_track(tc);
    /* The ClientHello is often already here: try at once. */
    tls_handshake_step(tc);
    return 0;
}

/* Maps a failed SSL_read/SSL_write. Returns 0 (retry later, flags set) or
 * a negative error; the state change is left to the caller. */
static int tls_io_result(tls_conn *tc, int ret, int is_write) {
    int e = SSL_get_error(tc->ssl, ret);
    int want_other = is_write ? TLS_F_WRITE_WANT_READ : TLS_F_READ_WANT_WRITE;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        if (is_write)
            tc->tflags |= want_other;
        else
            tc->tflags &= ~want_other;
        return 0;
    case SSL_ERROR_WANT_WRITE:
        if (is_write)
            tc->tflags &= ~want_other;
        else
            tc->tflags |= want_other;
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(tc->c.last_error, sizeof(tc->c.last_error), "connection closed by peer");
        ERR_clear_error();
        return SK_ECLOSED;
    case SSL_ERROR_SYSCALL:
        if (errno == EINTR || errno == EAGAIN) return 0;
        if (errno == 0 && !ERR_peek_error()) {
            snprintf(tc->c.last_error, sizeof(tc->c.last_error), "connection closed by peer");
            return SK_ECLOSED;
        }
        tls_set_io_error(tc, e, is_write ? "TLS write" : "TLS read");
        return SK_ETLS;
    default:
        tls_set_io_error(tc, e, is_write ? "TLS write" : "TLS read");
        return SK_ETLS;
    }
}

static int tls_fail_state(conn *c, int rc) {
    c->state = rc == SK_ECLOSED ? CONN_STATE_CLOSED : CONN_STATE_ERROR;
    return rc;
}

static int tls_not_ready(conn *c) {
    if (c->state == CONN_STATE_CLOSED) return SK_ECLOSED;
    if (c->state == CONN_STATE_ERROR) return SK_ETLS;
    conn__set_error(c, "TLS conn is not connected");
    return SK_EINVAL;
}

static int tls_read(conn *c, void *buf, size_t len) {
    tls_conn *tc = (tls_conn *)c;
    if (c->state != CONN_STATE_CONNECTED) return tls_not_ready(c);
    if (tc->sticky_err) return tls_fail_state(c, tc->sticky_err);
    int old = tc->tflags;
    size_t got = 0;
    int rc = 0;
    if (len > INT_MAX) len = INT_MAX;
    /* SSL_read yields one record at a time; keep going while OpenSSL holds
     * more, so a big buffer fills in one call. */
    do {
        ERR_clear_error();
        int n = SSL_read(tc->ssl, (char *)buf + got, (int)(len - got));
        if (n <= 0) {
            rc = tls_io_result(tc, n, 0);
            break;
        }
        got += (size_t)n;
        tc->tflags &= ~TLS_F_READ_WANT_WRITE;
    } while (got < len && SSL_has_pending(tc->ssl));
    if (tc->tflags != old) tls_update_events(tc);
    if (rc < 0 && got == 0) return tls_fail_state(c, rc);
    if (rc < 0)
        tc->sticky_err = rc;
    else if (got > 0 && SSL_has_pending(tc->ssl))
        conn__pending_add(c, &tc->pnode);
    return (int)got;
}

static int tls_write(conn *c, const void *data, size_t len) {
    tls_conn *tc = (tls_conn *)c;
    if (c->state != CONN_STATE_CONNECTED) return tls_not_ready(c);
    int old = tc->tflags;
    size_t done = 0;
    int rc = 0;
    if (len > INT_MAX) len = INT_MAX;
    /* With partial writes each SSL_write sends one record: loop until the
     * socket is full. */
    while (done < len) {
        ERR_clear_error();
        int n = SSL_write(tc->ssl, (const char *)data + done, (int)(len - done));
        if (n <= 0) {
            rc = tls_io_result(tc, n, 1);
            break;
        }
        done += (size_t)n;
        tc->tflags &= ~TLS_F_WRITE_WANT_READ;
    }
    if (tc->tflags != old) tls_update_events(tc);
    if (rc < 0 && done == 0) return tls_fail_state(c, rc);
    return (int)done; /* a failure after progress shows on the next call */
}

/* Small iovecs are coalesced (up to one record) into a stack buffer per
 * SSL_write, so many small replies become one record; a remainder of at
 * least a record is written in place. Either way every SSL_write offers at
 * least one record's worth (or all that is left), so a retry after
 * WANT_WRITE always covers the bytes OpenSSL has pending. */
static int tls_writev(conn *c, const struct iovec *iov, int iovcnt) {
    if (c->state != CONN_STATE_CONNECTED) return tls_not_ready(c);
    char chunk[TLS_WRITEV_CHUNK];
    size_t total = 0;
    int i = 0;
    size_t off = 0; /* into iov[i] */
    while (i < iovcnt && total < INT_MAX / 2) {
        const char *src;
        size_t fill = 0;
        int j = i;
        size_t o = off;
        if (iov[i].iov_len - off >= sizeof(chunk)) {
            src = (const char *)iov[i].iov_base + off;
            fill = iov[i].iov_len - off;
            if (fill > INT_MAX / 2) fill = INT_MAX / 2;
            o += fill;
            if (o == iov[j].iov_len) {
                j++;
                o = 0;
            }
        } else {
            src = chunk;
            while (j < iovcnt && fill < sizeof(chunk)) {
                size_t take = iov[j].iov_len - o;
                if (take > sizeof(chunk) - fill) take = sizeof(chunk) - fill;
                memcpy(chunk + fill, (const char *)iov[j].iov_base + o, take);
                fill += take;
                o += take;
                if (o == iov[j].iov_len) {
                    j++;
                    o = 0;
                }
            }
        }
        if (fill == 0) {
            i = j; /* only empty iovecs were left */
            off = o;
            continue;
        }
        int n = tls_write(c, src, fill);
        if (n < 0) return total > 0 ? (int)total : n;
        total += (size_t)n;
        if ((size_t)n < fill) break;
        i = j;
        off = o;
    }
    return (int)total;
}

static void tls_close(conn *c) {
    tls_conn *tc = (tls_conn *)c;
    if (c->refs > 0) {
        c->flags |= CONN_FLAG_CLOSE_SCHEDULED;
        return;
    }
    conn__pending_del(&tc->pnode);
    hs_untrack(tc);
    if (c->fd >= 0) ev_del_file(c->loop, c->fd, EV_READABLE | EV_WRITABLE);
    if (tc->ssl) {
        /* Best effort close_notify; never wait for the peer's. A link that
         * ended in order (either side closing) keeps its session resumable:
         * without the shutdown flags OpenSSL drops it from the server cache
         * as if the connection had failed. */
        if (c->state == CONN_STATE_CONNECTED) {
            ERR_clear_error();
            SSL_shutdown(tc->ssl);
        } else if (c->state == CONN_STATE_CLOSED) {
            SSL_set_shutdown(tc->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        }
        SSL_free(tc->ssl);
        ERR_clear_error();
    }
    if (c->fd >= 0) close(c->fd);
    tls_ctx_release(tc->ctx);
    sk_free(tc->peer_name);
    sk_free(tc);
}

static int tls_set_write_handler(conn *c, conn_handler *fn, int barrier) {
    c->write_handler = fn;
    if (barrier)
        c->flags |= CONN_FLAG_WRITE_BARRIER;
    else
        c->flags &= ~CONN_FLAG_WRITE_BARRIER;
    return c->state == CONN_STATE_CONNECTED ? tls_update_events((tls_conn *)c) : 0;
}

static int tls_set_read_handler(conn *c, conn_handler *fn) {
    tls_conn *tc = (tls_conn *)c;
    c->read_handler = fn;
    if (c->state != CONN_STATE_CONNECTED) return 0;
    /* A handler installed late still gets what OpenSSL already buffered. */
    if (fn && SSL_has_pending(tc->ssl)) conn__pending_add(c, &tc->pnode);
    return tls_update_events(tc);
}

static int tls_has_pending(conn *c) {
    tls_conn *tc = (tls_conn *)c;
    return c->state == CONN_STATE_CONNECTED && tc->ssl && SSL_has_pending(tc->ssl);
}

static const char *tls_last_error(conn *c) {
    return c->last_error;
}

static short tls_want(conn *c, int is_write) {
    tls_conn *tc = (tls_conn *)c;
    if (is_write) return (tc->tflags & TLS_F_WRITE_WANT_READ) ? POLLIN : POLLOUT;
    return (tc->tflags & TLS_F_READ_WANT_WRITE) ? POLLOUT : POLLIN;
}

static int tls_sync_write(conn *c, const void *data, size_t len, long long timeout_ms) {
    return conn__sync_write(c, data, len, timeout_ms, tls_want);
}

static int tls_sync_read(conn *c, void *buf, size_t len, long long timeout_ms) {
    return conn__sync_read(c, buf, len, timeout_ms, tls_want);
}

static const conn_type conn_type_tls = {
    .name = "tls",
    .connect = tls_connect,
    .accept = tls_accept,
    .write = tls_write,
    .writev = tls_writev,
    .read = tls_read,
    .close = tls_close,
    .set_write_handler = tls_set_write_handler,
    .set_read_handler = tls_set_read_handler,
    .has_pending = tls_has_pending,
    .get_last_error = tls_last_error,
    .sync_write = tls_sync_write,
    .sync_read = tls_sync_read,
    .sync_readline = conn__sync_readline,
};

/* ---- constructors ---- */

static tls_conn *tls_conn_new(ev_loop *loop, int fd, tls_ctx *ctx, SSL_CTX *sslctx) {
    SSL *ssl = SSL_new(sslctx);
    if (!ssl) {
        ERR_clear_error();
        return NULL;
    }
    tls_conn *tc = sk_calloc(1, sizeof(*tc));
    tc->c.type = &conn_type_tls;
    tc->c.loop = loop;
    tc->c.fd = fd;
    tc->ssl = ssl;
    tc->ctx = tls_ctx_retain(ctx);
    SSL_set_app_data(ssl, tc);
    return tc;
}

conn *conn_create_tls_accepted(ev_loop *loop, int fd, tls_ctx *ctx) {
    if (!ctx || !ctx->server) return NULL;
    tls_conn *tc = tls_conn_new(loop, fd, ctx, ctx->server);
    if (!tc) return NULL;
    if (SSL_set_fd(tc->ssl, fd) != 1) {
        ERR_clear_error();
        tc->c.fd = -1; /* the caller keeps the fd on failure */
        tls_close(&tc->c);
        return NULL;
    }
    SSL_set_accept_state(tc->ssl);
    tc->c.state = CONN_STATE_ACCEPTING;
    return &tc->c;
}

/* SNI carries DNS names only (RFC 6066 section 3: "Literal IPv4 and IPv6
 * addresses are not permitted in HostName"), and never a glob. */
static int is_dns_name(const char *s) {
    unsigned char tmp[16];
    if (inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1) return 0;
    return strpbrk(s, "*?[]:/") == NULL && strchr(s, '.') != NULL;
}

conn *conn_create_tls_client(ev_loop *loop, tls_ctx *ctx, const char *peer_name) {
    if (!ctx || !ctx->client) return NULL;
    tls_conn *tc = tls_conn_new(loop, -1, ctx, ctx->client);
    if (!tc) return NULL;
    SSL_set_connect_state(tc->ssl);
    if (peer_name && peer_name[0]) {
        tc->peer_name = sk_strdup(peer_name);
        if (is_dns_name(peer_name) || strcmp(peer_name, "localhost") == 0)
            SSL_set_tlsext_host_name(tc->ssl, peer_name);
    }
    return &tc->c;
}

/* ---- peer identity ---- */

int conn_is_tls(const conn *c) {
    return c && c->type == &conn_type_tls;
}

static X509 *peer_cert(conn *c) {
    if (!conn_is_tls(c) || c->state != CONN_STATE_CONNECTED) return NULL;
    return SSL_get0_peer_certificate(((tls_conn *)c)->ssl);
}

int conn_tls_peer_cn(conn *c, char *buf, size_t len) {
    X509 *x = peer_cert(c);
    if (!x || len == 0) return SK_ENOTFOUND;
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
                                      len > INT_MAX ? INT_MAX : (int)len);
    ERR_clear_error();
    return n < 0 ? SK_ENOTFOUND : 0;
}

int conn_tls_peer_uris(conn *c, void (*fn)(const char *uri, void *priv), void *priv) {
    X509 *x = peer_cert(c);
    if (!x) return SK_ENOTFOUND;
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int count = 0;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI) continue;
        const ASN1_STRING *s = g->d.uniformResourceIdentifier;
        int l = ASN1_STRING_length(s);
        const unsigned char *d = ASN1_STRING_get0_data(s);
        /* A URI with a NUL inside could pass for a shorter one: skip it. */
        if (l <= 0 || memchr(d, '\0', (size_t)l)) continue;
        char *uri = sk_malloc((size_t)l + 1);
        memcpy(uri, d, (size_t)l);
        uri[l] = '\0';
        fn(uri, priv);
        sk_free(uri);
        count++;
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return count;
}
