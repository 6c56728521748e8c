/* networking.c - clients: accept, read, parse, dispatch, reply, limits.
 *
 * Replies accumulate in c->reply; a client with output is put on the
 * server's pending-writes list and flushed in the loop's before-sleep hook,
 * so a pipeline of N commands costs one write (one TLS record train), not N.
 * Only when the socket cannot take everything is a write handler installed.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "multi.h"
#include "blocking.h"
#include "networking.h"
#include "aof.h"
#include "pubsub.h"
#include "replication.h"
#include "server.h"
#include "tracking.h"

#define READ_CHUNK (16 * 1024)
#define MAX_READS_PER_EVENT 1           /* bounds one client's share of an iteration */
#define MAX_WRITE_PER_EVENT (64 * 1024) /* then yield to other clients */
#define IDLE_BUFFER_KEEP (64 * 1024)    /* buffer bytes a client keeps between crons */

enum { OBUF_NORMAL = 0, OBUF_REPLICA = 1, OBUF_PUBSUB = 2 };

static void read_query_from_client(conn *cn);
static void send_reply_to_client(conn *cn);

/* ---------------------------------------------------------------- lists */

static void link_client(server *srv, client *c) {
    c->next = srv->clients;
    c->prev = NULL;
    if (srv->clients) srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
}

static void unlink_client(server *srv, client *c) {
    if (c->prev)
        c->prev->next = c->next;
    else if (srv->clients == c)
        srv->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    srv->nclients--;
}

static int client_has_pending_output(const client *c) {
    return c->reply.len > c->sentlen;
}

static void pending_add(client *c) {
    server *srv = c->srv;
    if (c->flags & CLIENT_PENDING_WRITE) return;
    c->flags |= CLIENT_PENDING_WRITE;
    c->pending_prev = NULL;
    c->pending_next = srv->pending_writes;
    if (srv->pending_writes) srv->pending_writes->pending_prev = c;
    srv->pending_writes = c;
}

static void pending_remove(client *c) {
    server *srv = c->srv;
    if (!(c->flags & CLIENT_PENDING_WRITE)) return;
    if (c->pending_prev)
        c->pending_prev->pending_next = c->pending_next;
    else
        srv->pending_writes = c->pending_next;
    if (c->pending_next) c->pending_next->pending_prev = c->pending_prev;
    c->pending_prev = c->pending_next = NULL;
    c->flags &= ~CLIENT_PENDING_WRITE;
}

/* -------------------------------------------------------------- clients */

client *client_create(server *srv, conn *cn, int flags) {
    client *c = sk_calloc(1, sizeof(*c));
    c->id = ++srv->next_client_id;
    c->srv = srv;
    c->conn = cn;
    c->flags = flags;
    c->resp = 2;
    c->authenticated = srv->cfg->requirepass == NULL;
    c->ctime_ms = c->last_interaction_ms = srv->mstime;
    sbuf_init(&c->querybuf);
    sbuf_init(&c->reply);
    resp_parser_init(&c->parser);
    client_select_db(c, 0);
    if (cn) {
        conn_set_private(cn, c);
        conn_peer_addr(cn, c->addr, sizeof(c->addr));
        conn_local_addr(cn, c->laddr, sizeof(c->laddr));
        if (!(flags & CLIENT_UNIX)) {
            conn_set_nodelay(cn, 1);
            if (srv->cfg->tcp_keepalive) conn_set_keepalive(cn, srv->cfg->tcp_keepalive);
        }
        conn_set_read_handler(cn, read_query_from_client);
        link_client(srv, c);
    }
    return c;
}

static void free_argv(client *c) {
    for (int i = 0; i < c->argc; i++)
        sstr_free(c->argv[i]);
    sk_free(c->argv);
    c->argv = NULL;
    c->argc = 0;
}

void client_free(client *c) {
    server *srv = c->srv;
    if (srv->current_client == c) {
        /* Freed from inside its own command (CLIENT KILL of itself, QUIT):
         * finish the command first, free afterwards. */
        c->flags |= CLIENT_CLOSE_ASAP;
        return;
    }
    blocking_client_free(c);
    pubsub_client_free(c);
    multi_client_free(c);
    tracking_client_free(c);
    repl_client_free(c);
    pending_remove(c);
    if (c->conn) {
        unlink_client(srv, c);
        conn_set_private(c->conn, NULL);
        conn_close(c->conn);
        c->conn = NULL;
    }
    free_argv(c);
    resp_parser_free(&c->parser);
    sbuf_free(&c->querybuf);
    sbuf_free(&c->reply);
    sstr_free(c->name);
    sk_free(c);
}

void client_free_async(client *c) {
    if (c->flags & CLIENT_CLOSE_ASAP) return;
    c->flags |= CLIENT_CLOSE_ASAP;
    /* The pending list is walked in before-sleep; closing happens there. */
    pending_add(c);
}

void client_select_db(client *c, int id) {
    c->db = &c->srv->dbs[id];
}

/* ------------------------------------------------------------ accepting */

static void reject_client(conn *cn, const char *msg) {
    /* Best effort: the peer may not read it. */
    if (conn_write(cn, msg, strlen(msg)) < 0) { /* nothing to do */
    }
    conn_close(cn);
}

static int is_loopback_addr(const char *addr) {
    return !strncmp(addr, "127.", 4) || !strncmp(addr, "::1:", 4) || !strncmp(addr, "[::1]", 5) ||
           !strncmp(addr, "::ffff:127.", 11) || addr[0] == '/' || addr[0] == '\0';
}

/* Protected mode, as Redis: without a password only loopback clients. */
static int protected_mode_denies(server *srv, conn *cn) {
    if (!srv->cfg->protected_mode || srv->cfg->requirepass || cn->type == &conn_type_unix) return 0;
    char addr[80];
    if (conn_peer_addr(cn, addr, sizeof(addr)) < 0) return 1;
    return !is_loopback_addr(addr);
}

static void client_accepted(conn *cn) {
    server *srv = conn_get_private(cn);
    if (conn_get_state(cn) != CONN_STATE_CONNECTED) {
        /* A refused certificate is worth telling the operator (a replica
         * or client misconfigured), at most once a second. */
        static long long last_tls_notice_ms;
        char addr[80] = "";
        conn_peer_addr(cn, addr, sizeof(addr));
        if (conn_is_tls(cn) && srv->mstime - last_tls_notice_ms >= 1000) {
            last_tls_notice_ms = srv->mstime;
            log_notice("TLS client %s refused: %s", addr, conn_last_error(cn));
        } else {
            log_verbose("Error accepting a client connection: %s", conn_last_error(cn));
        }
        conn_close(cn);
        return;
    }
    if (srv->nclients >= srv->cfg->maxclients) {
        srv->stat_rejected_conn++;
        reject_client(cn, "-ERR max number of clients reached\r\n");
        return;
    }
    if (protected_mode_denies(srv, cn)) {
        srv->stat_rejected_conn++;
        reject_client(cn, "-DENIED sealkv-server is running in protected mode because protected "
                          "mode is enabled and no password is set for the default user. Only "
                          "connections from the loopback interface are accepted. Set a password "
                          "(requirepass) or disable protected mode (protected-mode no) to accept "
                          "other clients.\r\n");
        return;
    }
    int flags = 0;
    if (cn->type == &conn_type_unix) flags |= CLIENT_UNIX;
    if (conn_is_tls(cn)) flags |= CLIENT_TLS;
    srv->stat_numconnections++;
    client *c = client_create(srv, cn, flags);
    log_verbose("Accepted %s", c->addr);
}

static void start_accept(server *srv, int fd, conn *cn) {
    if (!cn) { /* the transport could not be set up (TLS library failure) */
        log_warning("Error creating a connection for an accepted socket");
        close(fd);
        return;
    }
    conn_set_private(cn, srv);
    if (conn_accept(cn, client_accepted) < 0) {
        log_verbose("Error accepting a client connection: %s", conn_last_error(cn));
        conn_close(cn);
    }
}

void networking_accept_tcp(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)ip;
    (void)port;
    server *srv = data;
    start_accept(srv, fd, conn_create_tcp(srv->loop, fd));
}

void networking_accept_tls(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)ip;
    (void)port;
    server *srv = data;
    start_accept(srv, fd, conn_create_tls_accepted(srv->loop, fd, srv->tls));
}

void networking_accept_unix(listener *l, int fd, const char *ip, int port, void *data) {
    (void)l;
    (void)ip;
    (void)port;
    server *srv = data;
    start_accept(srv, fd, conn_create_unix(srv->loop, fd));
}

/* -------------------------------------------------------------- replies */

static int obuf_class(const client *c) {
    if (c->flags & CLIENT_REPLICA) return OBUF_REPLICA;
    if (c->flags & CLIENT_PUBSUB) return OBUF_PUBSUB;
    return OBUF_NORMAL;
}

/* Client output buffer limits, as Redis: over the hard limit, or over the
 * soft limit for longer than its seconds, the client is closed. */
static void check_output_limits(client *c) {
    const server_config *cfg = c->srv->cfg;
    int cls = obuf_class(c);
    size_t used = c->reply.len - c->sentlen;
    long long hard = cfg->obuf_hard[cls], soft = cfg->obuf_soft[cls];
    int over_hard = hard && used >= (size_t)hard;
    int over_soft = 0;
    if (soft && used >= (size_t)soft) {
        if (c->reply_bytes_soft_since == 0)
            c->reply_bytes_soft_since = c->srv->mstime;
        else if (c->srv->mstime - c->reply_bytes_soft_since >= cfg->obuf_soft_seconds[cls] * 1000)
            over_soft = 1;
    } else {
        c->reply_bytes_soft_since = 0;
    }
    if (over_hard || over_soft) {
        c->srv->stat_client_outbuf_limit_disconnections++;
        log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of "
                    "output buffer limits.",
                    (unsigned long long)c->id, c->addr);
        sbuf_clear(&c->reply);
        c->sentlen = 0;
        client_free_async(c);
    }
}

/* The one place output enters the buffer. */
static sbuf *reply_target(client *c) {
    if (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP)) return NULL;
    if (c->conn == NULL && !(c->flags & CLIENT_FAKE)) return NULL;
    /* Replication writes to replicas and masters itself (replication.c):
     * a master gets no replies, a replica only its stream. */
    if (c->flags & (CLIENT_REPLICA | CLIENT_MASTER)) return NULL;
    if (c->conn) pending_add(c);
    return &c->reply;
}

static void reply_done(client *c) {
    if (c->conn) check_output_limits(c);
}

void add_reply_raw(client *c, const void *p, size_t len) {
    sbuf *b = reply_target(c);
    if (!b) return;
    sbuf_append(b, p, len);
    reply_done(c);
}

void add_reply_help(client *c, const char *const *lines, size_t n) {
    add_reply_array(c, (long long)n);
    for (size_t i = 0; i < n; i++)
        add_reply_simple(c, lines[i]);
}

void add_reply_simple(client *c, const char *s) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_simple(b, s);
    reply_done(c);
}

void add_reply_ok(client *c) {
    add_reply_raw(c, "+OK\r\n", 5);
}

void add_reply_error(client *c, const char *msg) {
    c->srv->stat_total_error_replies++;
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_error(b, msg);
    reply_done(c);
}

void add_reply_errorf(client *c, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    add_reply_error(c, buf);
}

void add_reply_int(client *c, long long v) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_int(b, v);
    reply_done(c);
}

void add_reply_bulk(client *c, const void *p, size_t len) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_bulk(b, p, len);
    reply_done(c);
}

void add_reply_bulk_cstr(client *c, const char *s) {
    if (s == NULL)
        add_reply_null(c);
    else
        add_reply_bulk(c, s, strlen(s));
}

void add_reply_bulk_sstr(client *c, const sstr s) {
    add_reply_bulk(c, s, sstr_len(s));
}

void add_reply_bulk_obj(client *c, const sobj *o) {
    char buf[32];
    size_t len;
    const char *p = obj_string_bytes(o, buf, &len);
    add_reply_bulk(c, p, len);
}

void add_reply_bulk_ll(client *c, long long v) {
    char buf[32];
    int n = util_ll_to_str(buf, sizeof(buf), v);
    add_reply_bulk(c, buf, (size_t)n);
}

void add_reply_double(client *c, double d) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_double(b, d, c->resp == 3);
    reply_done(c);
}

void add_reply_null(client *c) {
    add_reply_raw(c, c->resp == 3 ? "_\r\n" : "$-1\r\n", c->resp == 3 ? 3 : 5);
}

void add_reply_null_array(client *c) {
    add_reply_raw(c, c->resp == 3 ? "_\r\n" : "*-1\r\n", c->resp == 3 ? 3 : 5);
}

void add_reply_array(client *c, long long n) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_array(b, n);
    reply_done(c);
}

void add_reply_map(client *c, long long n) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_map(b, n, c->resp == 3);
    reply_done(c);
}

void add_reply_verbatim(client *c, const char *p, size_t len, const char *ext) {
    sbuf *b = reply_target(c);
    if (!b) return;
    resp_add_verbatim(b, p, len, ext, c->resp == 3);
    reply_done(c);
}

/* Deferred lengths: the handle is the offset where the header goes. When
 * several are open, set them innermost (last created) first: inserting a
 * header moves only the bytes after it. */
size_t add_reply_deferred_len(client *c) {
    return c->reply.len;
}

void set_deferred_array_len(client *c, size_t handle, long long n) {
    if (reply_target(c) == NULL || handle > c->reply.len) return;
    char hdr[32];
    int hl = snprintf(hdr, sizeof(hdr), "*%lld\r\n", n);
    size_t tail = c->reply.len - handle;
    sbuf_reserve(&c->reply, (size_t)hl);
    memmove(c->reply.data + handle + hl, c->reply.data + handle, tail);
    memcpy(c->reply.data + handle, hdr, (size_t)hl);
    sbuf_set_len(&c->reply, c->reply.len + (size_t)hl);
    reply_done(c);
}

void add_reply_wrongtype(client *c) {
    add_reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void add_reply_syntax_error(client *c) {
    add_reply_error(c, "ERR syntax error");
}

void add_reply_not_integer(client *c) {
    add_reply_error(c, "ERR value is not an integer or out of range");
}

void add_reply_arity_error(client *c) {
    add_reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                     c->cmd ? command_fullname(c->cmd) : c->argv[0]);
}

int get_ll_from_arg(client *c, int i, long long *out, const char *msg) {
    if (!util_str_to_ll(c->argv[i], sstr_len(c->argv[i]), out)) {
        add_reply_error(c, msg ? msg : "ERR value is not an integer or out of range");
        return -1;
    }
    return 0;
}

int get_positive_ll_from_arg(client *c, int i, long long *out, const char *msg) {
    if (get_ll_from_arg(c, i, out, msg) < 0) return -1;
    if (*out < 0) {
        add_reply_error(c, msg ? msg : "ERR value is out of range, must be positive");
        return -1;
    }
    return 0;
}

int get_ld_from_arg(client *c, int i, long double *out, const char *msg) {
    if (!util_str_to_ld(c->argv[i], sstr_len(c->argv[i]), out)) {
        add_reply_error(c, msg ? msg : "ERR value is not a valid float");
        return -1;
    }
    return 0;
}

/* Redis's getDoubleFromObject: strtod over the whole argument (an sstr is
 * NUL-terminated), no leading space, no NaN, no overflow to +-HUGE_VAL nor
 * underflow to 0. */
static int arg_to_double(const sstr s, double *out) {
    size_t len = sstr_len(s);
    char *end;
    if (len == 0 || isspace((unsigned char)s[0])) return 0;
    errno = 0;
    double v = strtod(s, &end);
    if ((size_t)(end - s) != len || isnan(v)) return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) return 0;
    *out = v;
    return 1;
}

int get_double_from_arg(client *c, int i, double *out, const char *msg) {
    if (arg_to_double(c->argv[i], out)) return 0;
    add_reply_error(c, msg ? msg : "ERR value is not a valid float");
    return -1;
}

int arg_is(const client *c, int i, const char *lit) {
    return i < c->argc && util_eq_nocase(c->argv[i], sstr_len(c->argv[i]), lit);
}

/* -------------------------------------------------------------- writing */

/* Sends what the socket takes. Returns -1 if the client was freed. */
static int write_to_client(client *c) {
    size_t total = 0;
    aof_flush_before_reply(c->srv); /* appendfsync always: fsynced before acknowledged */
    while (client_has_pending_output(c) && total < MAX_WRITE_PER_EVENT) {
        /* Bounded per call too: TLS writes every record it can in one
         * call, so an unbounded call would send a whole 256 KiB pipeline
         * before the next client gets its first byte. */
        size_t want = c->reply.len - c->sentlen;
        if (want > MAX_WRITE_PER_EVENT - total) want = MAX_WRITE_PER_EVENT - total;
        int n = conn_write(c->conn, c->reply.data + c->sentlen, want);
        if (n < 0) {
            log_verbose("Error writing to client: %s", conn_last_error(c->conn));
            client_free(c);
            return -1;
        }
        if (n == 0) break;
        c->sentlen += (size_t)n;
        total += (size_t)n;
    }
    c->srv->stat_net_output_bytes += total;
    if (total) c->last_interaction_ms = c->srv->mstime;
    if (!client_has_pending_output(c)) {
        /* Keep the allocation: a pipelining client needs it again at once,
         * and growing it back costs reallocs. The cron gives it back. */
        sbuf_clear(&c->reply);
        c->sentlen = 0;
        c->reply_bytes_soft_since = 0;
        if (c->flags & CLIENT_WRITE_HANDLER) {
            conn_set_write_handler(c->conn, NULL);
            c->flags &= ~CLIENT_WRITE_HANDLER;
        }
        if (c->flags & CLIENT_CLOSE_AFTER_REPLY) {
            client_free(c);
            return -1;
        }
    } else if (!(c->flags & CLIENT_WRITE_HANDLER)) {
        conn_set_write_handler(c->conn, send_reply_to_client);
        c->flags |= CLIENT_WRITE_HANDLER;
    }
    return 0;
}

static void send_reply_to_client(conn *cn) {
    client *c = conn_get_private(cn);
    if (c) write_to_client(c);
}

/* Before-sleep: flush every client with new output; close the ones marked
 * to close. Returns the number of clients written to. */
int networking_flush_pending(server *srv) {
    int n = 0;
    while (srv->pending_writes) {
        client *c = srv->pending_writes;
        pending_remove(c);
        if (c->flags & CLIENT_CLOSE_ASAP) {
            client_free(c);
            continue;
        }
        if (!c->conn || conn_get_state(c->conn) != CONN_STATE_CONNECTED) continue;
        if (c->flags & (CLIENT_REPLICA | CLIENT_MASTER)) continue; /* replication.c writes */
        /* A write handler is already installed: it will continue there. */
        if (c->flags & CLIENT_WRITE_HANDLER) continue;
        write_to_client(c);
        n++;
    }
    return n;
}

/* -------------------------------------------------------------- reading */

static void protocol_error(client *c) {
    char msg[200];
    snprintf(msg, sizeof(msg), "ERR %s", resp_parser_error(&c->parser));
    log_verbose("Protocol error (%s) from client: id=%llu addr=%s", resp_parser_error(&c->parser),
                (unsigned long long)c->id, c->addr);
    add_reply_error(c, msg);
    c->flags |= CLIENT_CLOSE_AFTER_REPLY;
    sbuf_clear(&c->querybuf);
}

/* Runs every complete command in the query buffer. */
static void process_input(client *c) {
    server *srv = c->srv;
    size_t off = 0;
    while (off < c->querybuf.len) {
        if (c->flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED)) break;
        resp_limits lim = {srv->cfg->proto_max_bulk_len, c->authenticated};
        size_t used = 0;
        resp_status st =
            resp_parse(&c->parser, c->querybuf.data + off, c->querybuf.len - off, &lim, &used);
        off += used;
        if (st == RESP_ERROR) {
            protocol_error(c);
            return;
        }
        if (st == RESP_NEED_MORE) break;
        int argc;
        sstr *argv = resp_parser_take_args(&c->parser, &argc);
        if (argc == 0) {
            sk_free(argv);
            continue;
        }
        c->argv = argv;
        c->argc = argc;
        srv->current_client = c;
        server_update_time(srv);
        command_process(c);
        srv->current_client = NULL;
        free_argv(c);
        c->last_interaction_ms = srv->mstime;
    }
    sbuf_consume(&c->querybuf, off);
}

static int query_buffer_over_limit(client *c) {
    size_t room = 0;
    resp_parser_big_arg(&c->parser, &room);
    long long limit = c->srv->cfg->client_query_buffer_limit;
    return (long long)c->querybuf.len > limit ||
           (c->parser.big && (long long)sstr_len(c->parser.big) > limit);
}

/* Reads straight into a big argument being filled, or into the query buffer. */
static int read_some(client *c) {
    size_t room = 0;
    char *dst = c->querybuf.len == 0 ? resp_parser_big_arg(&c->parser, &room) : NULL;
    if (dst && room > 0) {
        int n = conn_read(c->conn, dst, room);
        if (n > 0) resp_parser_big_arg_filled(&c->parser, (size_t)n);
        return n;
    }
    sbuf_reserve(&c->querybuf, READ_CHUNK);
    size_t avail = c->querybuf.cap - c->querybuf.len;
    int n = conn_read(c->conn, c->querybuf.data + c->querybuf.len, avail);
    if (n > 0) sbuf_set_len(&c->querybuf, c->querybuf.len + (size_t)n);
    return n;
}

static void read_query_from_client(conn *cn) {
    client *c = conn_get_private(cn);
    if (!c) return;
    server *srv = c->srv;
    for (int i = 0; i < MAX_READS_PER_EVENT; i++) {
        int n = read_some(c);
        if (n == 0) break;
        if (n < 0) {
            if (n == SK_ECLOSED)
                log_verbose("Client closed connection id=%llu addr=%s", (unsigned long long)c->id,
                            c->addr);
            else
                log_verbose("Reading from client: %s", conn_last_error(cn));
            client_free(c);
            return;
        }
        srv->stat_net_input_bytes += (uint64_t)n;
        if (query_buffer_over_limit(c)) {
            log_warning("Closing client that reached max query buffer length: id=%llu addr=%s "
                        "(qbuf initial bytes: <omitted>)",
                        (unsigned long long)c->id, c->addr);
            srv->stat_client_qbuf_limit_disconnections++;
            client_free(c);
            return;
        }
    }
    c->last_interaction_ms = srv->mstime;
    if (c->querybuf.len > c->querybuf_peak) c->querybuf_peak = c->querybuf.len;
    process_input(c);
    if (c->flags & CLIENT_CLOSE_ASAP) client_free(c);
}

/* Re-runs buffered input of a client that was blocked (issue: blocking ops). */
void networking_resume_client(client *c) {
    if (c->querybuf.len) process_input(c);
    if (c->flags & CLIENT_CLOSE_ASAP) client_free(c);
}

/* ------------------------------------------------------------------ cron */

/* Closes idle clients (timeout directive); pub/sub and blocked clients are
 * exempt as in Redis. */
void networking_clients_cron(server *srv) {
    int timeout = srv->cfg->timeout;
    client *c = srv->clients;
    while (c) {
        client *next = c->next;
        if (timeout &&
            !(c->flags & (CLIENT_PUBSUB | CLIENT_BLOCKED | CLIENT_REPLICA | CLIENT_MASTER)) &&
            srv->mstime - c->last_interaction_ms > (long long)timeout * 1000) {
            log_verbose("Closing idle client");
            client_free(c);
        } else if (c->reply_bytes_soft_since && client_has_pending_output(c)) {
            check_output_limits(c);
        } else {
            /* Give back the peaks of big requests and replies. */
            if (c->querybuf.len == 0 && c->querybuf.cap > IDLE_BUFFER_KEEP) sbuf_free(&c->querybuf);
            if (!client_has_pending_output(c) && c->reply.cap > IDLE_BUFFER_KEEP) {
                sbuf_free(&c->reply);
                c->sentlen = 0;
            }
        }
        c = next;
    }
}

/* ----------------------------------------------------------- CLIENT LIST */

static void client_flags_string(const client *c, char *buf) {
    char *p = buf;
    if (c->flags & CLIENT_MULTI) *p++ = 'x';
    if (c->flags & CLIENT_PUBSUB) *p++ = 'P';
    if (c->flags & CLIENT_BLOCKED) *p++ = 'b';
    p += tracking_flag_chars(c, p);
    if (c->flags & CLIENT_DIRTY_CAS) *p++ = 'd';
    if (c->flags & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (c->flags & CLIENT_UNIX) *p++ = 'U';
    if (c->flags & CLIENT_REPLICA) *p++ = 'S';
    if (c->flags & CLIENT_MASTER) *p++ = 'M';
    if (c->flags & CLIENT_NO_EVICT) *p++ = 'e';
    if (p == buf) *p++ = 'N';
    *p = '\0';
}

void client_info_string(const client *c, sbuf *out) {
    server *srv = c->srv;
    char flags[16];
    client_flags_string(c, flags);
    int nsub = c->pubsub_channels ? (int)dict_size(c->pubsub_channels) : 0;
    int npsub = c->pubsub_patterns ? (int)dict_size(c->pubsub_patterns) : 0;
    sbuf_appendf(
        out,
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
        "sub=%d psub=%d ssub=0 multi=%d qbuf=%zu qbuf-free=%zu argv-mem=0 "
        "multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=r%s "
        "cmd=%s user=default redir=-1 resp=%d tls=%s",
        (unsigned long long)c->id, c->addr, c->laddr, c->conn ? c->conn->fd : -1,
        c->name ? c->name : "", (srv->mstime - c->ctime_ms) / 1000,
        (srv->mstime - c->last_interaction_ms) / 1000, flags, c->db->id, nsub, npsub,
        (c->flags & CLIENT_MULTI) ? c->mstate_count : -1, c->querybuf.len,
        c->querybuf.cap - c->querybuf.len, c->querybuf.cap, c->querybuf_peak,
        c->reply.len - c->sentlen, c->reply.cap, c->reply.cap + c->querybuf.cap + sizeof(client),
        client_has_pending_output(c) ? "w" : "", c->lastcmd ? command_fullname(c->lastcmd) : "NULL",
        c->resp, (c->flags & CLIENT_TLS) ? "yes" : "no");
}
