/* repl_master.c - serving replicas: REPLCONF, PSYNC/SYNC, the snapshot
 * (diskless through a pipe from the child, or the RDB file), the command
 * stream, pings, timeouts, WAIT, min-replicas.
 *
 * A replica's output is written here, not by networking.c: first what its
 * client buffer holds (handshake replies, +FULLRESYNC/+CONTINUE), then the
 * payload, then the stream straight from the shared buffer through the
 * replica's cursor, in writes of up to a block (64 KiB) at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/err.h"
#include "../core/log.h"
#include "../core/mem.h"
#include "../core/util.h"
#include "blocking.h"
#include "child.h"
#include "config.h"
#include "propagate.h"
#include "rdb.h"
#include "repl_internal.h"

#define REPLICA_WRITE_BUDGET (1024 * 1024) /* per replica per event */
#define JOB_CHUNK (256 * 1024)             /* pipe bytes read at once */
#define BULK_CHUNK (64 * 1024)             /* file bytes read at once */

static void replica_write(repl_state *r, repl_client *rc);

/* ------------------------------------------------------------ clients */

static repl_client *rc_get(repl_state *r, client *c) {
    if (c->repl) return c->repl;
    repl_client *rc = sk_calloc(1, sizeof(*rc));
    rc->c = c;
    rc->bulk_fd = -1;
    rc->ack_off = -1; /* not acknowledged yet: WAIT counts only real ACKs */
    sbuf_init(&rc->pbuf);
    rc->next = r->clients;
    if (r->clients) r->clients->prev = rc;
    r->clients = rc;
    c->repl = rc;
    return rc;
}

static void replica_addr(const repl_client *rc, char *ip, size_t len) {
    if (rc->announced_ip[0]) {
        snprintf(ip, len, "%s", rc->announced_ip);
        return;
    }
    snprintf(ip, len, "%s", rc->c->addr);
    char *colon = strrchr(ip, ':');
    if (colon) *colon = '\0';
    if (ip[0] == '[') {
        memmove(ip, ip + 1, strlen(ip));
        char *b = strchr(ip, ']');
        if (b) *b = '\0';
    }
}

static const char *replica_name(const repl_client *rc) {
    static char buf[128];
    char ip[80];
    replica_addr(rc, ip, sizeof(ip));
    snprintf(buf, sizeof(buf), "%s:%d", ip, rc->listening_port);
    return buf;
}

static void job_free(repl_state *r);

void repl_master_client_free(repl_state *r, repl_client *rc) {
    client *c = rc->c;
    if (rc->in_job && r->job) r->job->nparts--;
    if (r->has_backlog) repl_cursor_detach(&r->backlog, &rc->cur);
    if (rc->bulk_fd >= 0) close(rc->bulk_fd);
    sbuf_free(&rc->pbuf);
    if (rc->prev)
        rc->prev->next = rc->next;
    else
        r->clients = rc->next;
    if (rc->next) rc->next->prev = rc->prev;
    if (rc->is_replica) {
        log_notice("Connection with replica %s lost.", replica_name(rc));
        r->nreplicas--;
        if (r->nreplicas == 0) r->no_replicas_since_ms = r->srv->mstime;
    }
    c->repl = NULL;
    sk_free(rc);
}

void repl_disconnect_replicas(repl_state *r) {
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->is_replica) client_free_async(rc->c);
}

int repl_good_replicas(repl_state *r) {
    int n = 0;
    long long lag_ms = (long long)r->srv->cfg->min_replicas_max_lag * 1000;
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->is_replica && rc->state == REPLICA_ONLINE &&
            r->srv->mstime - rc->ack_time_ms <= lag_ms)
            n++;
    return n;
}

/* ------------------------------------------------------------- stream */

/* "<prefix><n>\r\n" at p; returns its length. */
static size_t put_header(char *p, char prefix, size_t n) {
    char num[24];
    int len = util_ull_to_str(num, sizeof(num), (unsigned long long)n);
    p[0] = prefix;
    memcpy(p + 1, num, (size_t)len);
    p[len + 1] = '\r';
    p[len + 2] = '\n';
    return (size_t)len + 3;
}

/* Upper bound of a header's length (prefix, up to 20 digits, CRLF). */
#define HEADER_MAX 23

/* Encodes the command as RESP straight into the stream: one pass over
 * argv to size it, one to write it, no intermediate buffer. */
static void feed_raw_command(repl_state *r, int dbid, sstr *argv, int argc) {
    if (!r->has_backlog) return;
    char sel[48];
    size_t sel_len = 0;
    if (dbid >= 0 && dbid != r->stream_db) {
        char num[24];
        int n = util_ll_to_str(num, sizeof(num), dbid);
        sel_len = put_header(sel, '*', 2);
        memcpy(sel + sel_len, "$6\r\nSELECT\r\n", 12);
        sel_len += 12;
        sel_len += put_header(sel + sel_len, '$', (size_t)n);
        memcpy(sel + sel_len, num, (size_t)n);
        memcpy(sel + sel_len + (size_t)n, "\r\n", 2);
        sel_len += (size_t)n + 2;
        r->stream_db = dbid;
    }
    size_t max = sel_len + HEADER_MAX;
    for (int i = 0; i < argc; i++)
        max += HEADER_MAX + sstr_len(argv[i]) + 2;
    char *start = repl_buf_reserve(&r->backlog, max), *p = start;
    memcpy(p, sel, sel_len);
    p += sel_len;
    p += put_header(p, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        size_t len = sstr_len(argv[i]);
        p += put_header(p, '$', len);
        memcpy(p, argv[i], len);
        p[len] = '\r';
        p[len + 1] = '\n';
        p += len + 2;
    }
    repl_buf_commit(&r->backlog, (size_t)(p - start));
    r->offset = r->backlog.end;
}

/* The propagation sink: every write of this server, as commands. A replica
 * forwards its master's bytes instead (repl_replica.c) and has nothing of
 * its own to send (writes on a writable replica stay local, as Redis). */
void repl_master_feed_sink(server *srv, void *ud, int dbid, sstr *argv, int argc, int flags) {
    repl_state *r = ud;
    if ((flags & PROPAGATE_FROM_MASTER) || r->master_host || !r->has_backlog) return;
    feed_raw_command(r, dbid, argv, argc);
    if (srv->current_client) srv->current_client->woff = r->offset;
}

static void feed_literal(repl_state *r, const char *a, const char *b, const char *c) {
    sstr argv[3];
    int argc = 0;
    argv[argc++] = sstr_from_cstr(a);
    if (b) argv[argc++] = sstr_from_cstr(b);
    if (c) argv[argc++] = sstr_from_cstr(c);
    feed_raw_command(r, -1, argv, argc);
    for (int i = 0; i < argc; i++)
        sstr_free(argv[i]);
}

/* ----------------------------------------------------------- writing */

static void set_write_handler(repl_client *rc, int on);

static void replica_write_handler(conn *cn) {
    client *c = conn_get_private(cn);
    if (!c || !c->repl || !c->srv->repl) return;
    replica_write(c->srv->repl, c->repl);
}

static void set_write_handler(repl_client *rc, int on) {
    if (on == rc->write_handler || !rc->c->conn) return;
    conn_set_write_handler(rc->c->conn, on ? replica_write_handler : NULL);
    rc->write_handler = on;
}

static int refill_bulk(repl_client *rc) {
    if (rc->ppos < rc->pbuf.len) return 0;
    sbuf_clear(&rc->pbuf);
    rc->ppos = 0;
    if (rc->bulk_left <= 0) return 0;
    size_t want = rc->bulk_left > BULK_CHUNK ? BULK_CHUNK : (size_t)rc->bulk_left;
    sbuf_reserve(&rc->pbuf, want);
    ssize_t n = read(rc->bulk_fd, rc->pbuf.data, want);
    if (n <= 0) {
        log_warning("Read error sending the RDB file to replica %s: %s", replica_name(rc),
                    n < 0 ? strerror(errno) : "premature end of file");
        return -1;
    }
    sbuf_set_len(&rc->pbuf, (size_t)n);
    rc->bulk_left -= n;
    return 0;
}

static void replica_online(repl_state *r, repl_client *rc, int wait_ack) {
    rc->state = REPLICA_ONLINE;
    rc->start_on_ack = wait_ack;
    rc->ack_time_ms = r->srv->mstime;
    if (!wait_ack) log_notice("Synchronization with replica %s succeeded", replica_name(rc));
}

/* Sends what rc has: client buffer, payload, stream. Errors close it (async). */
static void replica_write(repl_state *r, repl_client *rc) {
    client *c = rc->c;
    if ((c->flags & CLIENT_CLOSE_ASAP) || !c->conn) return;
    size_t budget = REPLICA_WRITE_BUDGET;
    int more = 0;
    while (budget > 0) {
        const char *p = NULL;
        size_t len = 0;
        int phase;
        if (c->reply.len > c->sentlen) {
            phase = 0;
            p = c->reply.data + c->sentlen;
            len = c->reply.len - c->sentlen;
        } else if (rc->state == REPLICA_WAIT_BGSAVE_END && rc->in_job && r->job &&
                   r->job->diskless && rc->job_pos < r->job->chunk.len) {
            phase = 1;
            p = r->job->chunk.data + rc->job_pos;
            len = r->job->chunk.len - rc->job_pos;
        } else if (rc->state == REPLICA_SEND_BULK) {
            if (refill_bulk(rc) < 0) {
                client_free_async(c);
                return;
            }
            if (rc->ppos == rc->pbuf.len) {
                close(rc->bulk_fd);
                rc->bulk_fd = -1;
                sbuf_free(&rc->pbuf);
                replica_online(r, rc, 0);
                continue;
            }
            phase = 2;
            p = rc->pbuf.data + rc->ppos;
            len = rc->pbuf.len - rc->ppos;
        } else if (rc->state == REPLICA_ONLINE && !rc->start_on_ack && r->has_backlog) {
            phase = 3;
            len = repl_cursor_peek(&r->backlog, &rc->cur, &p);
            if (len == 0) break;
        } else {
            break;
        }
        if (len > budget) len = budget;
        int n = conn_write(c->conn, p, len);
        if (n < 0) {
            log_warning("Error writing to replica %s: %s", replica_name(rc),
                        conn_last_error(c->conn));
            client_free_async(c);
            return;
        }
        if (n == 0) {
            more = 1;
            break;
        }
        budget -= (size_t)n;
        r->srv->stat_net_output_bytes += (uint64_t)n;
        rc->last_write_ms = r->srv->mstime;
        switch (phase) {
        case 0:
            c->sentlen += (size_t)n;
            if (c->sentlen == c->reply.len) {
                sbuf_clear(&c->reply);
                c->sentlen = 0;
            }
            break;
        case 1:
            rc->job_pos += (size_t)n;
            break;
        case 2:
            rc->ppos += (size_t)n;
            break;
        default:
            repl_cursor_advance(&r->backlog, &rc->cur, (size_t)n);
            break;
        }
    }
    if (budget == 0) more = 1;
    set_write_handler(rc, more);
}

/* ------------------------------------------------------- snapshot job */

static int job_all_drained(repl_state *r) {
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->in_job && (rc->job_pos < r->job->chunk.len || rc->c->reply.len > rc->c->sentlen))
            return 0;
    return 1;
}

static void job_fail(repl_state *r, const char *why) {
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->in_job) continue;
        log_warning("Full synchronization of replica %s failed: %s", replica_name(rc), why);
        rc->in_job = 0;
        client_free_async(rc->c);
    }
    job_free(r);
}

static void job_pipe_readable(ev_loop *loop, int fd, void *data, int mask);

static void job_pipe_watch(repl_state *r, int on) {
    repl_job *j = r->job;
    if (!j || j->pipe_fd < 0) return;
    if (on)
        ev_add_file(r->srv->loop, j->pipe_fd, EV_READABLE, job_pipe_readable, r);
    else
        ev_del_file(r->srv->loop, j->pipe_fd, EV_READABLE);
}

static void job_free(repl_state *r) {
    repl_job *j = r->job;
    if (!j) return;
    if (j->pipe_fd >= 0) {
        job_pipe_watch(r, 0);
        close(j->pipe_fd);
    }
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        rc->in_job = 0;
    sbuf_free(&j->chunk);
    sk_free(j);
    r->job = NULL;
}

static void job_write_all(repl_state *r) {
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->in_job) continue;
        rc->job_pos = 0;
        replica_write(r, rc);
    }
}

static void job_pipe_readable(ev_loop *loop, int fd, void *data, int mask) {
    (void)loop;
    (void)mask;
    repl_state *r = data;
    repl_job *j = r->job;
    if (!j || fd != j->pipe_fd) return;
    if (!job_all_drained(r)) {
        job_pipe_watch(r, 0); /* resumed by job_progress once they sent it */
        return;
    }
    sbuf_clear(&j->chunk);
    sbuf_reserve(&j->chunk, JOB_CHUNK);
    ssize_t n = read(fd, j->chunk.data, JOB_CHUNK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        job_pipe_watch(r, 0);
        close(j->pipe_fd);
        j->pipe_fd = -1;
        if (n < 0) j->child_ok = 0;
        return;
    }
    sbuf_set_len(&j->chunk, (size_t)n);
    if (j->nparts == 0) {
        sbuf_clear(&j->chunk); /* nobody left to send it to: drain the child */
        return;
    }
    job_write_all(r);
}

/* Moves a diskless job on once every participant sent the current chunk:
 * read more, send the EOF mark, or finish. Runs in before-sleep. */
static void job_progress(repl_state *r) {
    repl_job *j = r->job;
    if (!j || !j->diskless || !job_all_drained(r)) return;
    if (j->pipe_fd >= 0) {
        if (!(ev_get_file_mask(r->srv->loop, j->pipe_fd) & EV_READABLE)) job_pipe_watch(r, 1);
        return;
    }
    if (!j->child_done) return;
    if (!j->child_ok) {
        job_fail(r, "the child producing the snapshot failed");
        return;
    }
    if (!j->mark_sent) {
        sbuf_clear(&j->chunk);
        sbuf_append(&j->chunk, j->mark, REPL_ID_SIZE);
        j->mark_sent = 1;
        job_write_all(r);
        return;
    }
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->in_job) continue;
        log_notice("Streamed RDB transfer with replica %s succeeded (socket). Waiting for "
                   "REPLCONF ACK from replica to enable streaming",
                   replica_name(rc));
        replica_online(r, rc, 1);
    }
    job_free(r);
}

static void job_child_done(server *srv, int ok, void *ud) {
    repl_state *r = ud;
    (void)srv;
    repl_job *j = r->job;
    if (!j) return;
    j->child_done = 1;
    j->child_ok = ok;
    if (j->diskless) return; /* job_progress finishes it */
    if (!ok) {
        job_fail(r, "the background save failed");
        return;
    }
    const char *path = r->srv->cfg->dbfilename;
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->in_job) continue;
        rc->in_job = 0;
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
            log_warning("Can't open the RDB file %s for replica %s: %s", path, replica_name(rc),
                        strerror(errno));
            if (fd >= 0) close(fd);
            client_free_async(rc->c);
            continue;
        }
        rc->bulk_fd = fd;
        rc->bulk_left = (long long)st.st_size;
        sbuf_clear(&rc->pbuf);
        sbuf_appendf(&rc->pbuf, "$%lld\r\n", (long long)st.st_size);
        rc->ppos = 0;
        rc->state = REPLICA_SEND_BULK;
        rc->last_write_ms = r->srv->mstime;
        replica_write(r, rc);
    }
    job_free(r);
}

static void job_start(repl_state *r) {
    server *srv = r->srv;
    int diskless = srv->cfg->repl_diskless_sync;
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->is_replica && rc->state == REPLICA_WAIT_BGSAVE_START &&
            !(rc->capa & REPLICA_CAPA_EOF))
            diskless = 0;
    rdb_save_info rsi;
    memset(&rsi, 0, sizeof(rsi));
    memcpy(rsi.repl_id, r->replid, sizeof(rsi.repl_id));
    rsi.repl_offset = r->offset;
    rsi.repl_stream_db = r->master ? r->master->db->id : 0;
    /* A master's stream re-selects its db after the snapshot. */
    if (!r->master_host) r->stream_db = -1;
    int fds[2] = {-1, -1};
    if (diskless && pipe2(fds, O_CLOEXEC) < 0) {
        log_warning("Can't create a pipe for a diskless sync: %s", strerror(errno));
        return;
    }
    repl_job *j = sk_calloc(1, sizeof(*j));
    j->diskless = diskless;
    j->pipe_fd = -1;
    j->start_offset = r->offset;
    sbuf_init(&j->chunk);
    r->job = j;
    int pid = rdb_bgsave(srv, &rsi, diskless ? fds[1] : -1, job_child_done, r);
    if (diskless) close(fds[1]);
    if (pid <= 0) {
        if (diskless) close(fds[0]);
        sk_free(j);
        r->job = NULL;
        if (pid == SK_EBUSY) return; /* retried by the cron */
        log_warning("BGSAVE for replication failed");
        for (repl_client *rc = r->clients; rc; rc = rc->next)
            if (rc->is_replica && rc->state == REPLICA_WAIT_BGSAVE_START) client_free_async(rc->c);
        return;
    }
    if (diskless) {
        fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
        j->pipe_fd = fds[0];
        char raw[REPL_ID_SIZE / 2];
        util_random_bytes(raw, sizeof(raw));
        for (int i = 0; i < REPL_ID_SIZE / 2; i++) {
            static const char hex[] = "0123456789abcdef";
            j->mark[2 * i] = hex[(raw[i] >> 4) & 15];
            j->mark[2 * i + 1] = hex[raw[i] & 15];
        }
        sbuf_append_str(&j->chunk, "$EOF:");
        sbuf_append(&j->chunk, j->mark, REPL_ID_SIZE);
        sbuf_append_str(&j->chunk, "\r\n");
    }
    log_notice("Starting BGSAVE for SYNC with target: %s", diskless ? "replicas sockets" : "disk");
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->is_replica || rc->state != REPLICA_WAIT_BGSAVE_START) continue;
        rc->state = REPLICA_WAIT_BGSAVE_END;
        rc->in_job = 1;
        rc->last_write_ms = srv->mstime;
        rc->job_pos = 0;
        j->nparts++;
        repl_cursor_attach(&r->backlog, &rc->cur, r->offset + 1);
        if (!rc->pre_psync)
            sbuf_appendf(&rc->c->reply, "+FULLRESYNC %s %lld\r\n", r->replid, r->offset);
        replica_write(r, rc);
    }
}

void repl_master_kill_job(repl_state *r) {
    if (!r->job) return;
    if (child_running(r->srv)) child_kill(r->srv);
    if (r->job) job_fail(r, "the synchronization was cancelled");
}

/* ------------------------------------------------------------- cron */

static void check_stream_limits(repl_state *r, repl_client *rc) {
    const server_config *cfg = r->srv->cfg;
    if (!r->has_backlog || !rc->cur.block) return;
    long long pending = repl_cursor_pending(&r->backlog, &rc->cur);
    long long hard = cfg->obuf_hard[1], soft = cfg->obuf_soft[1];
    if ((hard && pending >= hard) ||
        (soft && pending >= soft && rc->sync_start_ms &&
         r->srv->mstime - rc->sync_start_ms > cfg->obuf_soft_seconds[1] * 1000)) {
        log_warning("Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of "
                    "output buffer limits.",
                    (unsigned long long)rc->c->id, rc->c->addr);
        r->srv->stat_client_outbuf_limit_disconnections++;
        client_free_async(rc->c);
    }
}

void repl_master_cron(repl_state *r) {
    server *srv = r->srv;
    long long now = srv->mstime;
    int second = now - r->last_cron_ms >= 1000;
    if (second) r->last_cron_ms = now;
    int waiting = 0, online = 0;
    long long oldest_wait = now;
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->is_replica || (rc->c->flags & CLIENT_CLOSE_ASAP)) continue;
        check_stream_limits(r, rc);
        if (rc->state == REPLICA_WAIT_BGSAVE_START) {
            waiting++;
            if (rc->sync_start_ms < oldest_wait) oldest_wait = rc->sync_start_ms;
        }
        if (rc->state == REPLICA_ONLINE) online++;
        /* Keep-alive newlines while the replica waits for its payload. */
        if (second && (rc->state == REPLICA_WAIT_BGSAVE_START ||
                       (rc->state == REPLICA_WAIT_BGSAVE_END && r->job && !r->job->diskless))) {
            sbuf_append_char(&rc->c->reply, '\n');
            replica_write(r, rc);
        }
        long long timeout = (long long)srv->cfg->repl_timeout * 1000;
        if (second && rc->state == REPLICA_ONLINE && now - rc->ack_time_ms > timeout) {
            log_warning("Disconnecting timedout replica (streaming sync): %s", replica_name(rc));
            client_free_async(rc->c);
        }
        /* A replica that stopped reading its payload would hold up the
         * others of a diskless sync forever. */
        int sending = rc->state == REPLICA_SEND_BULK ||
                      (rc->state == REPLICA_WAIT_BGSAVE_END && rc->in_job && r->job &&
                       r->job->diskless && rc->job_pos < r->job->chunk.len);
        if (second && sending && rc->last_write_ms && now - rc->last_write_ms > timeout) {
            log_warning("Disconnecting timedout replica (full sync): %s", replica_name(rc));
            client_free_async(rc->c);
        }
    }
    if (!r->master_host && online &&
        now - r->last_ping_ms >= srv->cfg->repl_ping_replica_period * 1000LL) {
        r->last_ping_ms = now;
        feed_literal(r, "PING", NULL, NULL);
    }
    if (!r->master_host && r->has_backlog && r->nreplicas == 0 && srv->cfg->repl_backlog_ttl > 0 &&
        now - r->no_replicas_since_ms > srv->cfg->repl_backlog_ttl * 1000LL) {
        repl_new_replid(r);
        repl_clear_replid2(r);
        repl_backlog_drop(r);
        log_notice("Replication backlog freed after %d seconds without connected replicas.",
                   srv->cfg->repl_backlog_ttl);
    }
    if (waiting && !r->job && !child_running(srv)) {
        int max = srv->cfg->repl_diskless_sync_max_replicas;
        int delay_over = now - oldest_wait >= srv->cfg->repl_diskless_sync_delay * 1000LL;
        if (!srv->cfg->repl_diskless_sync || delay_over || (max > 0 && waiting >= max))
            job_start(r);
    }
}

void repl_master_flush(repl_state *r) {
    if (r->want_getack && r->has_backlog && !r->master_host) {
        feed_literal(r, "REPLCONF", "GETACK", "*");
        r->want_getack = 0;
    }
    job_progress(r);
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->is_replica && !rc->write_handler) replica_write(r, rc);
}

void repl_master_drain(repl_state *r, long long budget_ms) {
    if (!r->has_backlog) return;
    long long deadline = ev_now_ms() + budget_ms;
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        client *c = rc->c;
        if (!rc->is_replica || rc->state != REPLICA_ONLINE || rc->start_on_ack || !c->conn ||
            (c->flags & CLIENT_CLOSE_ASAP))
            continue;
        if (c->reply.len > c->sentlen) continue; /* mid-reply: not worth a partial */
        const char *p;
        size_t len;
        while ((len = repl_cursor_peek(&r->backlog, &rc->cur, &p)) > 0) {
            long long left = deadline - ev_now_ms();
            if (left <= 0) return;
            int n = conn_sync_write(c->conn, p, len, left);
            if (n <= 0) break;
            repl_cursor_advance(&r->backlog, &rc->cur, (size_t)n);
        }
    }
}

/* ------------------------------------------------------------- WAIT */

static long long acked_replicas(repl_state *r, long long offset) {
    long long n = 0;
    for (repl_client *rc = r->clients; rc; rc = rc->next)
        if (rc->is_replica && rc->state == REPLICA_ONLINE && rc->ack_off >= offset) n++;
    return n;
}

static int wait_serve(client *c, const sstr key, void *priv) {
    (void)c;
    (void)key;
    (void)priv;
    return 0;
}

static void wait_reply(client *c, void *priv) {
    repl_wait *w = priv;
    add_reply_int(c, acked_replicas(c->srv->repl, w->offset));
}

static void wait_free(void *priv) {
    repl_wait *w = priv;
    repl_state *r = w->c->srv->repl;
    if (r) {
        if (w->prev)
            w->prev->next = w->next;
        else
            r->waits = w->next;
        if (w->next) w->next->prev = w->prev;
    }
    sk_free(w);
}

static const blocking_ops wait_ops = {"wait", wait_serve, wait_reply, wait_free};

static void check_waits(repl_state *r) {
    repl_wait *w = r->waits;
    while (w) {
        repl_wait *next = w->next;
        if (acked_replicas(r, w->offset) >= w->numreplicas) blocking_unblock_client(w->c, 0);
        w = next;
    }
}

void wait_command(client *c) {
    repl_state *r = c->srv->repl;
    if (r->master_host) {
        add_reply_error(c, "ERR WAIT cannot be used with replica instances. Please also note that "
                           "since Redis 4.0 if a replica is configured to be writable (which is "
                           "not the default) writes to replicas are just local and are not "
                           "propagated.");
        return;
    }
    long long numreplicas, timeout;
    if (get_ll_from_arg(c, 1, &numreplicas, NULL) < 0) return;
    if (get_ll_from_arg(c, 2, &timeout, "ERR timeout is not an integer or out of range") < 0)
        return;
    if (timeout < 0) {
        add_reply_error(c, "ERR timeout is negative");
        return;
    }
    long long offset = c->woff; /* this client's writes, not everyone's */
    long long acked = acked_replicas(r, offset);
    if (acked >= numreplicas || (c->flags & (CLIENT_MULTI | CLIENT_FAKE))) {
        add_reply_int(c, acked);
        return;
    }
    repl_wait *w = sk_calloc(1, sizeof(*w));
    w->c = c;
    w->offset = offset;
    w->numreplicas = numreplicas;
    w->next = r->waits;
    if (r->waits) r->waits->prev = w;
    r->waits = w;
    blocking_block_client(c, &wait_ops, NULL, 0, timeout ? c->srv->mstime + timeout : 0, w);
    r->want_getack = 1;
}

/* ----------------------------------------------------------- commands */

void replconf_command(client *c) {
    repl_state *r = c->srv->repl;
    if (c->argc % 2 == 0) {
        add_reply_syntax_error(c);
        return;
    }
    for (int i = 1; i < c->argc; i += 2) {
        if (arg_is(c, i, "listening-port")) {
            long long port;
            if (get_ll_from_arg(c, i + 1, &port, NULL) < 0) return;
            rc_get(r, c)->listening_port = (int)port;
        } else if (arg_is(c, i, "ip-address")) {
            repl_client *rc = rc_get(r, c);
            if (sstr_len(c->argv[i + 1]) >= sizeof(rc->announced_ip)) {
                add_reply_error(c, "ERR REPLCONF ip-address provided by replica instance is too "
                                   "long");
                return;
            }
            snprintf(rc->announced_ip, sizeof(rc->announced_ip), "%s", c->argv[i + 1]);
        } else if (arg_is(c, i, "capa")) {
            if (arg_is(c, i + 1, "eof")) rc_get(r, c)->capa |= REPLICA_CAPA_EOF;
            if (arg_is(c, i + 1, "psync2")) rc_get(r, c)->capa |= REPLICA_CAPA_PSYNC2;
        } else if (arg_is(c, i, "ack")) {
            /* From a replica: its processed offset. Never answered. */
            long long off;
            repl_client *rc = c->repl;
            if (!rc || !rc->is_replica) return;
            if (!util_str_to_ll(c->argv[i + 1], sstr_len(c->argv[i + 1]), &off)) return;
            if (off > rc->ack_off) rc->ack_off = off;
            rc->ack_time_ms = c->srv->mstime;
            if (rc->state == REPLICA_ONLINE && rc->start_on_ack) {
                rc->start_on_ack = 0;
                log_notice("Synchronization with replica %s succeeded", replica_name(rc));
            }
            check_waits(r);
            return;
        } else if (arg_is(c, i, "getack")) {
            /* From our master: answer with our offset (the one reply a
             * master ever gets from us). */
            if (c->flags & CLIENT_MASTER) repl_replica_send_ack(r);
            return;
        } else if (arg_is(c, i, "rdb-only") || arg_is(c, i, "rdb-filter-only")) {
            /* Accepted for compatibility; a full sync always streams too. */
        } else {
            add_reply_errorf(c, "ERR Unrecognized REPLCONF option: %.128s", c->argv[i]);
            return;
        }
    }
    add_reply_ok(c);
}

/* From now on networking.c neither replies to c nor writes its buffer. */
static void make_replica(repl_state *r, repl_client *rc) {
    client *c = rc->c;
    if (c->flags & CLIENT_WRITE_HANDLER) {
        conn_set_write_handler(c->conn, NULL);
        c->flags &= ~CLIENT_WRITE_HANDLER;
    }
    c->flags |= CLIENT_REPLICA;
    rc->is_replica = 1;
    rc->sync_start_ms = r->srv->mstime;
    rc->ack_time_ms = r->srv->mstime;
    r->nreplicas++;
}

static void full_sync(repl_state *r, repl_client *rc) {
    make_replica(r, rc);
    rc->state = REPLICA_WAIT_BGSAVE_START;
    r->stat_sync_full++;
    if (!r->has_backlog) {
        if (!r->master_host) {
            /* A new history: nobody may continue an old one with us. */
            repl_new_replid(r);
            repl_clear_replid2(r);
        }
        repl_backlog_create(r);
    }
    log_notice("Replica %s asks for synchronization", replica_name(rc));
    if (r->srv->cfg->repl_diskless_sync && (rc->capa & REPLICA_CAPA_EOF))
        log_notice("Delay next BGSAVE for diskless SYNC");
}

/* SYNC and PSYNC: the replica state of the asking client, or NULL when the
 * request is refused (answered) or comes from a replica already syncing. */
static repl_client *sync_requester(client *c) {
    repl_state *r = c->srv->repl;
    if (c->flags & CLIENT_REPLICA) return NULL;
    if (r->master_host && r->link != LINK_CONNECTED) {
        add_reply_error(c, "NOMASTERLINK Can't SYNC while not connected with my master");
        return NULL;
    }
    return rc_get(r, c);
}

void psync_command(client *c) {
    repl_state *r = c->srv->repl;
    repl_client *rc = sync_requester(c);
    if (rc == NULL) return;
    long long off;
    if (!util_str_to_ll(c->argv[2], sstr_len(c->argv[2]), &off)) off = -1;
    repl_psync_view v = {r->replid, r->replid2, r->second_replid_offset,
                         r->has_backlog ? &r->backlog : NULL};
    repl_psync_decision d = repl_psync_decide(&v, c->argv[1], off);
    if (d == REPL_PSYNC_ACCEPT) {
        make_replica(r, rc);
        rc->state = REPLICA_ONLINE;
        repl_cursor_attach(&r->backlog, &rc->cur, off);
        if (rc->capa & REPLICA_CAPA_PSYNC2)
            sbuf_appendf(&c->reply, "+CONTINUE %s\r\n", r->replid);
        else
            sbuf_append_str(&c->reply, "+CONTINUE\r\n");
        r->stat_sync_partial_ok++;
        log_notice("Partial resynchronization request from %s accepted. Sending %lld bytes of "
                   "backlog starting from offset %lld.",
                   replica_name(rc), r->offset + 1 - off, off);
        replica_write(r, rc);
        return;
    }
    if (d != REPL_PSYNC_FULL_ASKED) {
        r->stat_sync_partial_err++;
        if (d == REPL_PSYNC_FULL_REPLID)
            log_notice("Partial resynchronization not accepted: Replication ID mismatch "
                       "(Replica asked for '%.40s', my replication IDs are '%s' and '%s')",
                       c->argv[1], r->replid, r->replid2);
        else
            log_notice("Unable to partial resync with replica %s for lack of backlog (Replica "
                       "request was: %lld).",
                       replica_name(rc), off);
    }
    full_sync(r, rc);
}

void sync_command(client *c) {
    repl_client *rc = sync_requester(c);
    if (rc == NULL) return;
    rc->pre_psync = 1;
    rc->capa &= ~REPLICA_CAPA_EOF; /* a SYNC replica reads "$<len>" only */
    full_sync(c->srv->repl, rc);
}

/* ----------------------------------------------------------- INFO/ROLE */

void repl_master_info(repl_state *r, sbuf *o) {
    static const char *names[] = {"", "wait_bgsave", "wait_bgsave", "send_bulk", "online"};
    sbuf_appendf(o, "connected_slaves:%d\r\n", r->nreplicas);
    if (r->srv->cfg->min_replicas_to_write && !r->master_host)
        sbuf_appendf(o, "min_slaves_good_slaves:%d\r\n", repl_good_replicas(r));
    int i = 0;
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->is_replica) continue;
        char ip[80];
        replica_addr(rc, ip, sizeof(ip));
        sbuf_appendf(o, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", i++, ip,
                     rc->listening_port, names[rc->state], rc->ack_off < 0 ? 0 : rc->ack_off,
                     (r->srv->mstime - rc->ack_time_ms) / 1000);
    }
}

void repl_master_role(repl_state *r, client *c) {
    add_reply_array(c, 3);
    add_reply_bulk_cstr(c, "master");
    add_reply_int(c, r->offset);
    size_t h = add_reply_deferred_len(c);
    long long n = 0;
    for (repl_client *rc = r->clients; rc; rc = rc->next) {
        if (!rc->is_replica || rc->state != REPLICA_ONLINE) continue;
        char ip[80];
        replica_addr(rc, ip, sizeof(ip));
        add_reply_array(c, 3);
        add_reply_bulk_cstr(c, ip);
        add_reply_bulk_ll(c, rc->listening_port);
        add_reply_bulk_ll(c, rc->ack_off < 0 ? 0 : rc->ack_off);
        n++;
    }
    set_deferred_array_len(c, h, n);
}
