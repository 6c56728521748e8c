/* repl_replica.c - the link to our master: connect (TCP or TLS), handshake,
 * PSYNC, receive the payload into a temp file and load it, then apply the
 * command stream through the master client, acknowledge, and forward the
 * master's bytes unchanged to our own replicas and backlog.
 *
 * Everything is non-blocking and driven by the loop; the only blocking call
 * is loading the received snapshot (as Redis with disk loading). A dropped
 * link keeps our replication id and offset, so the next connection asks for
 * PSYNC and continues from the master's backlog when it covers us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "config.h"
#include "rdb.h"
#include "repl_internal.h"

#define LINK_READ_CHUNK (64 * 1024)
#define LINK_READS_PER_EVENT 16
#define LINK_TLS_RECORD (16 * 1024) /* largest TLS record payload */
#define HS_MAX_STEPS 8

static void link_cancel(repl_state *r);
static void process_stream(repl_state *r);

/* ------------------------------------------------------------ helpers */

static void send_command(repl_state *r, sbuf *out, int argc, const char **argv) {
    (void)r;
    resp_add_array(out, argc);
    for (int i = 0; i < argc; i++)
        resp_add_bulk(out, argv[i], strlen(argv[i]));
}

/* Handshake commands are a few hundred bytes on a fresh socket: a short
 * synchronous write is enough. */
static int link_write(repl_state *r, sbuf *out) {
    int n = conn_sync_write(r->conn, out->data, out->len, 5000);
    if (n < 0 || (size_t)n != out->len) {
        log_warning("Error writing to MASTER: %s", conn_last_error(r->conn));
        return -1;
    }
    return 0;
}

static void link_cancel(repl_state *r) {
    if (r->conn) {
        conn_close(r->conn);
        r->conn = NULL;
    }
    if (r->tmp_fd >= 0) {
        close(r->tmp_fd);
        r->tmp_fd = -1;
        unlink(r->tmp_path);
    }
    sbuf_clear(&r->in);
    r->hdr_seen = 0;
    r->hs_steps_left = 0;
    r->link = r->master_host ? LINK_CONNECT : LINK_NONE;
}

/* ----------------------------------------------------------- master client */

static void master_flush(repl_state *r);

static void master_write_handler(conn *cn) {
    client *c = conn_get_private(cn);
    if (c && c->srv->repl && c->srv->repl->master == c) master_flush(c->srv->repl);
}

/* Our master gets only REPLCONF ACKs; they are written here (networking.c
 * sends nothing to a master client). */
static void master_flush(repl_state *r) {
    client *c = r->master;
    if (!c || !c->conn || (c->flags & CLIENT_CLOSE_ASAP)) return;
    while (c->reply.len > c->sentlen) {
        int n = conn_write(c->conn, c->reply.data + c->sentlen, c->reply.len - c->sentlen);
        if (n < 0) {
            log_warning("Error writing to MASTER: %s", conn_last_error(c->conn));
            client_free_async(c);
            return;
        }
        if (n == 0) break;
        c->sentlen += (size_t)n;
    }
    int more = c->reply.len > c->sentlen;
    if (!more) {
        sbuf_clear(&c->reply);
        c->sentlen = 0;
    }
    conn_set_write_handler(c->conn, more ? master_write_handler : NULL);
}

void repl_replica_send_ack(repl_state *r) {
    client *c = r->master;
    if (!c) return;
    char num[24];
    int n = util_ll_to_str(num, sizeof(num), r->offset);
    sbuf_appendf(&c->reply, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%s\r\n", n, num);
    master_flush(r);
}

static void on_master_readable(conn *cn) {
    client *c = conn_get_private(cn);
    if (!c) return;
    repl_state *r = c->srv->repl;
    if (!r || r->master != c) return;
    for (int i = 0; i < LINK_READS_PER_EVENT; i++) {
        size_t room;
        char *dst = repl_stream_space(&r->stream, LINK_READ_CHUNK, &room);
        int n = conn_read(cn, dst, room);
        if (n == 0) break;
        if (n < 0) {
            log_warning("Connection with master lost (%s).",
                        n == SK_ECLOSED ? "closed by the master" : conn_last_error(cn));
            client_free(c);
            return;
        }
        repl_stream_commit(&r->stream, (size_t)n);
        c->srv->stat_net_input_bytes += (uint64_t)n;
        r->link_last_io_ms = c->srv->mstime;
        /* A short read drained the socket, except over TLS, where one
         * read yields at most a record (16 KiB): after a full record more
         * is likely queued, and reading it now saves an event-loop pass. */
        if ((size_t)n < room && n < LINK_TLS_RECORD) break;
    }
    process_stream(r);
}

/* Counts what the master sent into our offset and forwards it, once it is
 * applied. A transaction counts at its EXEC: a link lost in between makes
 * the master resend it whole. */
static void applied(repl_state *r, const char *raw, size_t len) {
    client *c = r->master;
    if (c && (c->flags & CLIENT_MULTI)) {
        sbuf_append(&r->multi_raw, raw, len);
        return;
    }
    if (r->multi_raw.len) {
        repl_stream_append(r, r->multi_raw.data, r->multi_raw.len);
        sbuf_clear(&r->multi_raw);
    }
    repl_stream_append(r, raw, len);
}

static void process_stream(repl_state *r) {
    server *srv = r->srv;
    client *c = r->master;
    while (c && !(c->flags & (CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY))) {
        sstr *argv = NULL;
        int argc = 0;
        const char *raw, *err;
        size_t rawlen;
        int st = repl_stream_next(&r->stream, &argv, &argc, &raw, &rawlen, &err);
        if (st == 0) break;
        if (st < 0) {
            log_warning("Protocol error from MASTER: %s", err);
            client_free(c);
            return;
        }
        if (argc > 0) {
            c->argv = argv;
            c->argc = argc;
            srv->current_client = c;
            r->in_master_command = 1;
            server_update_time(srv);
            command_process(c);
            r->in_master_command = 0;
            srv->current_client = NULL;
            for (int i = 0; i < c->argc; i++)
                sstr_free(c->argv[i]);
            sk_free(c->argv);
            c->argv = NULL;
            c->argc = 0;
            c->last_interaction_ms = srv->mstime;
        }
        applied(r, raw, rawlen);
    }
    if (c && (c->flags & CLIENT_CLOSE_ASAP)) client_free(c);
}

static void create_master_client(repl_state *r, int dbid, const char *rest, size_t restlen) {
    server *srv = r->srv;
    conn *cn = r->conn;
    r->conn = NULL;
    client *c = client_create(srv, cn, CLIENT_MASTER);
    conn_set_read_handler(cn, on_master_readable);
    if (srv->cfg->repl_disable_tcp_nodelay) conn_set_nodelay(cn, 0);
    c->authenticated = 1;
    client_select_db(c, dbid >= 0 && dbid < srv->dbnum ? dbid : 0);
    r->master = c;
    r->link = LINK_CONNECTED;
    r->link_last_io_ms = srv->mstime;
    sbuf_clear(&r->multi_raw);
    repl_stream_free(&r->stream);
    repl_stream_init(&r->stream, srv->cfg->proto_max_bulk_len);
    if (restlen) repl_stream_feed(&r->stream, rest, restlen);
    sbuf_clear(&r->in);
    /* The first ACK puts us online on a master that sent a diskless payload. */
    repl_replica_send_ack(r);
    process_stream(r);
}

void repl_replica_master_freed(repl_state *r, client *c) {
    if (r->master != c) return;
    r->master = NULL;
    r->master_db = c->db->id;
    sbuf_clear(&r->multi_raw);
    repl_stream_free(&r->stream);
    repl_stream_init(&r->stream, r->srv->cfg->proto_max_bulk_len);
    if (r->master_host) {
        r->link = LINK_CONNECT;
        r->link_down_since_ms = r->srv->mstime;
        r->link_last_io_ms = 0; /* reconnect at the next tick: the backlog moves on */
        r->psync_possible = 1;
        log_notice("Caching the disconnected master state (offset %lld).", r->offset);
    } else {
        r->link = LINK_NONE;
    }
}

/* ------------------------------------------------------------ transfer */

static int transfer_begin(repl_state *r, const repl_psync_reply *rep) {
    memcpy(r->pending_replid, rep->replid, sizeof(r->pending_replid));
    r->pending_offset = rep->offset;
    snprintf(r->tmp_path, sizeof(r->tmp_path), "temp-%d.%lld.rdb", (int)getpid(),
             (long long)r->srv->mstime);
    r->tmp_fd = open(r->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (r->tmp_fd < 0) {
        log_warning("Opening the temp file needed for MASTER <-> REPLICA synchronization: %s",
                    strerror(errno));
        return -1;
    }
    r->link = LINK_TRANSFER;
    r->hdr_seen = 0;
    r->transfer_read = r->transfer_size = 0;
    r->transfer_start_ms = r->srv->mstime;
    log_notice("Full resync from master: %s:%lld", rep->replid, rep->offset);
    /* Our replicas follow a history that ends here. */
    repl_disconnect_replicas(r);
    return 0;
}

static void transfer_done(repl_state *r, const char *rest, size_t restlen) {
    server *srv = r->srv;
    close(r->tmp_fd);
    r->tmp_fd = -1;
    log_notice("MASTER <-> REPLICA sync: received %lld bytes, loading DB in memory",
               r->transfer_read);
    rdb_load_info info;
    memset(&info, 0, sizeof(info));
    char err[256] = "";
    int rc = rdb_load_file(srv, r->tmp_path, RDB_LOAD_KEEP_EXPIRED, &info, err, sizeof(err));
    if (rc < 0) {
        log_warning("Failed trying to load the MASTER synchronization DB from disk: %s", err);
        unlink(r->tmp_path);
        link_cancel(r);
        return;
    }
    if (rename(r->tmp_path, srv->cfg->dbfilename) < 0) unlink(r->tmp_path);
    repl_backlog_drop(r);
    memcpy(r->replid, r->pending_replid, sizeof(r->replid));
    r->offset = r->pending_offset;
    repl_clear_replid2(r);
    repl_backlog_create(r);
    r->psync_possible = 1;
    int dbid = info.has_repl ? info.repl.repl_stream_db : 0;
    log_notice("MASTER <-> REPLICA sync: Finished with success");
    create_master_client(r, dbid, rest, restlen);
}

/* Payload bytes: to the temp file, until the size or the EOF mark. */
static void transfer_feed(repl_state *r, const char *p, size_t len) {
    size_t take = len, end = 0;
    int done = 0;
    if (r->hdr.eof_mode) {
        end = repl_eof_scan_feed(&r->eof, p, len);
        if (end) {
            take = end;
            done = 1;
        }
    } else {
        long long left = r->transfer_size - r->transfer_read;
        if ((long long)take >= left) {
            take = (size_t)left;
            done = 1;
        }
    }
    size_t off = 0;
    while (off < take) {
        ssize_t n = write(r->tmp_fd, p + off, take - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            log_warning("Write error saving the DB file received from MASTER: %s", strerror(errno));
            link_cancel(r);
            return;
        }
        off += (size_t)n;
    }
    r->transfer_read += (long long)take;
    if (!done) return;
    if (r->hdr.eof_mode) {
        /* The mark went to the file too: cut it off. */
        r->transfer_read -= REPL_RUN_ID_SIZE;
        if (ftruncate(r->tmp_fd, r->transfer_read) < 0) {
            log_warning("Error truncating the RDB file received from MASTER: %s", strerror(errno));
            link_cancel(r);
            return;
        }
    }
    transfer_done(r, p + take, len - take);
}

/* Bytes in r->in while waiting for the payload header. */
static void transfer_header(repl_state *r) {
    while (!r->hdr_seen) {
        size_t linelen, used;
        int st = repl_next_line(r->in.data, r->in.len, &linelen, &used);
        if (st == 0) return;
        if (st < 0) {
            log_warning("Bad protocol from MASTER: payload header too long");
            link_cancel(r);
            return;
        }
        if (linelen == 0) { /* keep-alive newline while the master prepares */
            sbuf_consume(&r->in, used);
            continue;
        }
        if (repl_parse_payload_header(r->in.data, linelen, &r->hdr) < 0) {
            log_warning("Bad protocol from MASTER, the first byte is not '$' (we received "
                        "'%.*s'), are you sure the host and port are right?",
                        (int)(linelen > 64 ? 64 : linelen), r->in.data);
            link_cancel(r);
            return;
        }
        sbuf_consume(&r->in, used);
        r->hdr_seen = 1;
        if (r->hdr.eof_mode) {
            repl_eof_scan_init(&r->eof, r->hdr.mark);
            log_notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to "
                       "disk");
        } else {
            r->transfer_size = r->hdr.size;
            log_notice("MASTER <-> REPLICA sync: receiving %lld bytes from master to disk",
                       r->hdr.size);
        }
    }
    if (r->in.len) {
        sbuf buf = r->in;
        sbuf_init(&r->in);
        transfer_feed(r, buf.data, buf.len);
        sbuf_free(&buf);
    }
}

/* ------------------------------------------------------------ handshake */

static void send_psync(repl_state *r) {
    sbuf out = SBUF_INIT;
    char off[24];
    if (r->psync_possible) {
        snprintf(off, sizeof(off), "%lld", r->offset + 1);
        const char *argv[] = {"PSYNC", r->replid, off};
        send_command(r, &out, 3, argv);
        log_notice("Trying a partial resynchronization (request %s:%s).", r->replid, off);
    } else {
        const char *argv[] = {"PSYNC", "?", "-1"};
        send_command(r, &out, 3, argv);
        log_notice("Partial resynchronization not possible (no cached master)");
    }
    int rc = link_write(r, &out);
    sbuf_free(&out);
    if (rc < 0) {
        link_cancel(r);
        return;
    }
    r->hs_step = HS_PSYNC_REPLY;
}

/* After PONG: AUTH, REPLCONF listening-port, [ip-address], capa, in one
 * write; their replies are read one by one. */
static void send_handshake(repl_state *r) {
    server_config *cfg = r->srv->cfg;
    sbuf out = SBUF_INIT;
    int steps = 0;
    r->hs_steps_left = 0;
    if (cfg->masterauth) {
        if (cfg->masteruser) {
            const char *argv[] = {"AUTH", cfg->masteruser, cfg->masterauth};
            send_command(r, &out, 3, argv);
        } else {
            const char *argv[] = {"AUTH", cfg->masterauth};
            send_command(r, &out, 2, argv);
        }
        steps++;
    }
    int port = cfg->replica_announce_port              ? cfg->replica_announce_port
               : cfg->tls_replication && cfg->tls_port ? cfg->tls_port
                                                       : cfg->port;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *lp[] = {"REPLCONF", "listening-port", portstr};
    send_command(r, &out, 3, lp);
    steps++;
    if (cfg->replica_announce_ip) {
        const char *ip[] = {"REPLCONF", "ip-address", cfg->replica_announce_ip};
        send_command(r, &out, 3, ip);
        steps++;
    }
    const char *capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2"};
    send_command(r, &out, 5, capa);
    steps++;
    int rc = link_write(r, &out);
    sbuf_free(&out);
    if (rc < 0) {
        link_cancel(r);
        return;
    }
    r->hs_step = cfg->masterauth ? HS_AUTH_REPLY : HS_PORT_REPLY;
    r->hs_steps_left = steps;
}

static void next_step(repl_state *r) {
    r->hs_steps_left--;
    if (r->hs_steps_left == 0) {
        send_psync(r);
        return;
    }
    if (r->hs_step == HS_AUTH_REPLY)
        r->hs_step = HS_PORT_REPLY;
    else if (r->hs_step == HS_PORT_REPLY)
        r->hs_step = r->srv->cfg->replica_announce_ip ? HS_IP_REPLY : HS_CAPA_REPLY;
    else
        r->hs_step = HS_CAPA_REPLY;
}

static void on_continue(repl_state *r, const repl_psync_reply *rep, size_t used) {
    if (rep->replid[0] && strcasecmp(rep->replid, r->replid) != 0) {
        /* The master's history goes on under a new id (it was promoted):
         * ours too, the old one valid up to here. */
        memcpy(r->replid2, r->replid, sizeof(r->replid2));
        r->second_replid_offset = r->offset + 1;
        memcpy(r->replid, rep->replid, sizeof(r->replid));
        log_notice("Master replication ID changed to %s", r->replid);
        repl_disconnect_replicas(r);
    }
    log_notice("Successful partial resynchronization with master.");
    log_notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    if (!r->has_backlog) repl_backlog_create(r);
    sbuf_consume(&r->in, used);
    sbuf rest = r->in;
    sbuf_init(&r->in);
    create_master_client(r, r->master_db, rest.data, rest.len);
    sbuf_free(&rest);
}

/* One handshake reply line. Returns 0 to go on reading, -1 when the link
 * was cancelled or handed over. */
static int handshake_line(repl_state *r, const char *line, size_t len, size_t used) {
    int err = len > 0 && line[0] == '-';
    switch (r->hs_step) {
    case HS_PING_REPLY:
        /* NOAUTH / NOPERM mean the master is alive and wants AUTH, which
         * comes next. */
        if (err && strncmp(line, "-NOAUTH", 7) && strncmp(line, "-NOPERM", 7) &&
            strncmp(line, "-ERR operation not permitted", 28)) {
            log_warning("Error reply to PING from master: '%.*s'", (int)len, line);
            link_cancel(r);
            return -1;
        }
        log_notice("Master replied to PING, replication can continue...");
        sbuf_consume(&r->in, used);
        send_handshake(r);
        return r->conn ? 0 : -1;
    case HS_AUTH_REPLY:
        if (err) {
            log_warning("Unable to AUTH to MASTER: %.*s", (int)len, line);
            link_cancel(r);
            return -1;
        }
        break;
    case HS_PORT_REPLY:
    case HS_IP_REPLY:
    case HS_CAPA_REPLY:
        if (err)
            log_notice("(Non critical) Master does not understand REPLCONF: %.*s", (int)len, line);
        break;
    case HS_PSYNC_REPLY: {
        if (len == 0) break; /* keep-alive while the master prepares */
        repl_psync_reply rep;
        repl_parse_psync_reply(line, len, &rep);
        if (rep.kind == REPL_REPLY_FULLRESYNC) {
            sbuf_consume(&r->in, used);
            if (transfer_begin(r, &rep) < 0) {
                link_cancel(r);
                return -1;
            }
            transfer_header(r);
            return -1;
        }
        if (rep.kind == REPL_REPLY_CONTINUE) {
            on_continue(r, &rep, used);
            return -1;
        }
        if (rep.kind == REPL_REPLY_TRY_LATER)
            log_notice("Master is currently unable to PSYNC but should be in the future: %.*s",
                       (int)len, line);
        else
            log_warning("Unexpected reply to PSYNC from master: %.*s", (int)len, line);
        link_cancel(r);
        return -1;
    }
    default:
        link_cancel(r);
        return -1;
    }
    sbuf_consume(&r->in, used);
    if (r->hs_step != HS_PSYNC_REPLY) next_step(r);
    return r->conn ? 0 : -1;
}

static void on_link_readable(conn *cn) {
    repl_state *r = conn_get_private(cn);
    if (!r || r->conn != cn) return;
    for (int i = 0; i < LINK_READS_PER_EVENT && r->conn == cn; i++) {
        char buf[LINK_READ_CHUNK];
        int n = conn_read(cn, buf, sizeof(buf));
        if (n == 0) break;
        if (n < 0) {
            log_warning("Connection with master lost during the %s (%s).",
                        r->link == LINK_TRANSFER ? "transfer" : "handshake",
                        n == SK_ECLOSED ? "closed by the master" : conn_last_error(cn));
            link_cancel(r);
            return;
        }
        r->srv->stat_net_input_bytes += (uint64_t)n;
        r->link_last_io_ms = r->srv->mstime;
        if (r->link == LINK_TRANSFER && r->hdr_seen) {
            transfer_feed(r, buf, (size_t)n);
            continue;
        }
        sbuf_append(&r->in, buf, (size_t)n);
        if (r->link == LINK_TRANSFER) {
            transfer_header(r);
            continue;
        }
        while (r->conn == cn && r->link == LINK_HANDSHAKE) {
            size_t linelen, used;
            int st = repl_next_line(r->in.data, r->in.len, &linelen, &used);
            if (st == 0) break;
            if (st < 0) {
                log_warning("Bad protocol from MASTER: reply line too long");
                link_cancel(r);
                return;
            }
            if (handshake_line(r, r->in.data, linelen, used) < 0) break;
        }
        if (r->conn != cn || r->link == LINK_CONNECTED) return;
    }
}

static void on_link_connected(conn *cn) {
    repl_state *r = conn_get_private(cn);
    if (!r || r->conn != cn) return;
    if (conn_get_state(cn) != CONN_STATE_CONNECTED) {
        const char *peer = r->srv->cfg->tls_replication_peer_name;
        if (r->srv->cfg->tls_replication)
            log_warning("Unable to connect to MASTER %s:%d over TLS: %s%s%s%s", r->master_host,
                        r->master_port, conn_last_error(cn),
                        peer ? " (tls-replication-peer-name requires '" : "", peer ? peer : "",
                        peer ? "' in the master's certificate)" : "");
        else
            log_warning("Error condition on socket for SYNC: %s", conn_last_error(cn));
        link_cancel(r);
        return;
    }
    log_notice("Non blocking connect for SYNC fired the event.");
    r->link = LINK_HANDSHAKE;
    r->link_last_io_ms = r->srv->mstime;
    conn_set_read_handler(cn, on_link_readable);
    sbuf out = SBUF_INIT;
    const char *argv[] = {"PING"};
    send_command(r, &out, 1, argv);
    int rc = link_write(r, &out);
    sbuf_free(&out);
    if (rc < 0) {
        link_cancel(r);
        return;
    }
    r->hs_step = HS_PING_REPLY;
}

static void link_connect(repl_state *r) {
    server *srv = r->srv;
    conn *cn;
    if (srv->cfg->tls_replication) {
        if (!srv->tls) {
            log_warning("tls-replication is yes but TLS is not configured (tls-cert-file, "
                        "tls-key-file): cannot connect to MASTER");
            return;
        }
        cn = conn_create_tls_client(srv->loop, srv->tls, srv->cfg->tls_replication_peer_name);
    } else {
        cn = conn_create_tcp(srv->loop, -1);
    }
    if (!cn) {
        log_warning("Unable to create a connection to MASTER");
        return;
    }
    conn_set_private(cn, r);
    r->conn = cn;
    r->link = LINK_CONNECTING;
    r->link_last_io_ms = srv->mstime;
    log_notice("Connecting to MASTER %s:%d", r->master_host, r->master_port);
    if (conn_connect(cn, r->master_host, r->master_port, NULL, on_link_connected) < 0) {
        log_warning("Unable to connect to MASTER: %s", conn_last_error(cn));
        link_cancel(r);
        return;
    }
    log_notice("MASTER <-> REPLICA sync started");
}

/* ------------------------------------------------------------- control */

void repl_replica_set_master(repl_state *r, const char *host, int port, int from_config) {
    int was_master = r->master_host == NULL && !from_config;
    char *old = r->master_host;
    r->master_host = sk_strdup(host);
    r->master_port = port;
    sk_free(old);
    if (r->master) client_free(r->master);
    link_cancel(r);
    repl_master_kill_job(r);
    repl_disconnect_replicas(r);
    if (was_master) {
        /* Our own history is where the new master's may continue (it may
         * be our former replica, promoted). */
        r->master_db = r->stream_db < 0 ? 0 : r->stream_db;
        r->psync_possible = 1;
    }
    r->link = LINK_CONNECT;
    r->link_down_since_ms = r->srv->mstime;
    log_set_role('S');
    /* At start the TLS context does not exist yet: the cron connects. */
    if (!from_config) link_connect(r);
}

void repl_replica_unset_master(repl_state *r) {
    char *old = r->master_host;
    r->master_host = NULL;
    sk_free(old);
    if (r->master) client_free(r->master);
    link_cancel(r);
    /* Replicas of our old master may continue with us: our history so far
     * stays valid under replid2. */
    memcpy(r->replid2, r->replid, sizeof(r->replid2));
    r->second_replid_offset = r->offset + 1;
    repl_new_replid(r);
    log_notice("Setting secondary replication ID to %s, valid up to offset: %lld. New "
               "replication ID is %s",
               r->replid2, r->second_replid_offset, r->replid);
    r->psync_possible = 0;
    r->stream_db = -1;
    repl_disconnect_replicas(r);
    if (!r->has_backlog) repl_backlog_create(r);
    r->link = LINK_NONE;
    log_set_role('M');
}

void repl_replica_cron(repl_state *r) {
    if (!r->master_host) return;
    server *srv = r->srv;
    long long now = srv->mstime;
    long long timeout = (long long)srv->cfg->repl_timeout * 1000;
    switch (r->link) {
    case LINK_CONNECT:
        if (now - r->link_last_io_ms >= 1000 || r->link_last_io_ms == 0) {
            r->link_last_io_ms = now;
            link_connect(r);
        }
        break;
    case LINK_CONNECTING:
    case LINK_HANDSHAKE:
        if (now - r->link_last_io_ms > timeout) {
            log_warning("Timeout connecting to the MASTER...");
            link_cancel(r);
        }
        break;
    case LINK_TRANSFER:
        if (now - r->link_last_io_ms > timeout) {
            log_warning("Timeout receiving bulk data from MASTER... If the problem persists try "
                        "to set the 'repl-timeout' parameter in sealkv.conf to a larger value.");
            link_cancel(r);
        }
        break;
    case LINK_CONNECTED:
        if (now - r->link_last_io_ms > timeout) {
            log_warning("MASTER timeout: no data nor PING received...");
            client_free(r->master);
            break;
        }
        if (now - r->last_ack_ms >= 1000) {
            r->last_ack_ms = now;
            repl_replica_send_ack(r);
        }
        break;
    default:
        break;
    }
}

void repl_replica_free(repl_state *r) {
    if (r->master) client_free(r->master);
    char *host = r->master_host;
    r->master_host = NULL;
    link_cancel(r);
    sk_free(host);
    sbuf_free(&r->multi_raw);
}

const char *repl_replica_state_name(const repl_state *r) {
    switch (r->link) {
    case LINK_CONNECT:
        return "connect";
    case LINK_CONNECTING:
        return "connecting";
    case LINK_HANDSHAKE:
        return "handshake";
    case LINK_TRANSFER:
        return "sync";
    case LINK_CONNECTED:
        return "connected";
    default:
        return "none";
    }
}

void repl_replica_info(repl_state *r, sbuf *o) {
    server *srv = r->srv;
    long long now = srv->mstime;
    int up = r->link == LINK_CONNECTED;
    long long buffered =
        (long long)(r->stream.buf.len - r->stream.start) + (long long)r->multi_raw.len;
    sbuf_appendf(o,
                 "master_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"
                 "master_last_io_seconds_ago:%lld\r\nmaster_sync_in_progress:%d\r\n"
                 "slave_read_repl_offset:%lld\r\nslave_repl_offset:%lld\r\n",
                 r->master_host, r->master_port, up ? "up" : "down",
                 up ? (now - r->link_last_io_ms) / 1000 : -1, r->link == LINK_TRANSFER,
                 r->offset + (up ? buffered : 0), r->offset);
    if (r->link == LINK_TRANSFER) {
        long long total = r->hdr.eof_mode ? -1 : r->transfer_size;
        sbuf_appendf(o,
                     "master_sync_total_bytes:%lld\r\nmaster_sync_read_bytes:%lld\r\n"
                     "master_sync_left_bytes:%lld\r\nmaster_sync_perc:%.2f\r\n"
                     "master_sync_last_io_seconds_ago:%lld\r\n",
                     total, r->transfer_read, total < 0 ? -1 : total - r->transfer_read,
                     total > 0 ? 100.0 * (double)r->transfer_read / (double)total : 0.0,
                     (now - r->link_last_io_ms) / 1000);
    }
    if (!up)
        sbuf_appendf(o, "master_link_down_since_seconds:%lld\r\n",
                     r->link_down_since_ms ? (now - r->link_down_since_ms) / 1000 : -1);
    sbuf_appendf(o, "slave_priority:%d\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                 srv->cfg->replica_priority, srv->cfg->replica_read_only,
                 srv->cfg->replica_announced);
}
