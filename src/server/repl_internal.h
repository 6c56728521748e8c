/* repl_internal.h - state shared by replication.c, repl_master.c and
 * repl_replica.c. Not for other modules: they use replication.h. */
#ifndef SEALKV_SERVER_REPL_INTERNAL_H
#define SEALKV_SERVER_REPL_INTERNAL_H

#include "repl_backlog.h"
#include "repl_proto.h"
#include "replication.h"

#define REPL_ID_SIZE 40

/* ------------------------------------------------------- replicas (master side) */

enum replica_state {
    REPLICA_WAIT_BGSAVE_START = 1, /* a full sync is due, its snapshot not started */
    REPLICA_WAIT_BGSAVE_END,       /* the snapshot is being made (diskless: being sent) */
    REPLICA_SEND_BULK,             /* disk: sending the file */
    REPLICA_ONLINE                 /* streaming */
};

#define REPLICA_CAPA_EOF (1 << 0)
#define REPLICA_CAPA_PSYNC2 (1 << 1)

typedef struct repl_client {
    client *c; /* borrowed: the client this describes (c->repl is us) */
    struct repl_client *prev, *next;
    int is_replica; /* PSYNC/SYNC accepted (else only REPLCONF seen) */
    int state;
    int capa;
    int pre_psync; /* came with SYNC: no +FULLRESYNC line */
    int listening_port;
    char announced_ip[64];
    long long ack_off, ack_time_ms, sync_start_ms;
    long long last_write_ms; /* last time the payload moved (transfer timeouts) */
    int start_on_ack;        /* diskless: the stream starts with the replica's first ACK */
    int write_handler;       /* our write handler is installed */
    int in_job;              /* takes part in the running snapshot job */
    repl_cursor cur;         /* the stream position (attached from the snapshot on) */
    /* disk payload */
    int bulk_fd;
    long long bulk_left;
    sbuf pbuf;
    size_t ppos;
    /* diskless payload: position in the job's chunk */
    size_t job_pos;
} repl_client;

/* The running snapshot for replicas (one at a time: one child). */
typedef struct repl_job {
    int diskless;
    int pipe_fd; /* read end (diskless), -1 once at EOF */
    int child_done, child_ok;
    int mark_sent;
    char mark[REPL_ID_SIZE];
    sbuf chunk; /* bytes every participant must send before the next read */
    int nparts; /* participants */
    long long start_offset;
} repl_job;

/* ------------------------------------------------------------ replica side */

enum link_state {
    LINK_NONE = 0,   /* not a replica */
    LINK_CONNECT,    /* must connect (cron) */
    LINK_CONNECTING, /* TCP/TLS connect in progress */
    LINK_HANDSHAKE,  /* PING, AUTH, REPLCONF, PSYNC */
    LINK_TRANSFER,   /* receiving the payload */
    LINK_CONNECTED   /* streaming through the master client */
};

enum hs_step {
    HS_PING_REPLY = 1,
    HS_AUTH_REPLY,
    HS_PORT_REPLY,
    HS_IP_REPLY,
    HS_CAPA_REPLY,
    HS_PSYNC_REPLY
};

typedef struct repl_wait {
    client *c;
    long long offset;
    long long numreplicas;
    struct repl_wait *prev, *next;
} repl_wait;

typedef struct repl_state {
    server *srv;
    /* our history */
    char replid[REPL_ID_SIZE + 1], replid2[REPL_ID_SIZE + 1];
    long long offset;               /* master_repl_offset */
    long long second_replid_offset; /* -1 when replid2 is unset */
    int has_backlog;
    repl_buf backlog;
    long long no_replicas_since_ms; /* for repl-backlog-ttl */
    int stream_db;                  /* db the stream selected last; -1: emit SELECT */
    sbuf scratch;
    int sink_added;

    /* replicas */
    repl_client *clients; /* every client with c->repl (REPLCONF seen or replica) */
    int nreplicas;
    repl_job *job;
    long long last_ping_ms, last_newline_ms, last_cron_ms;
    int want_getack;
    repl_wait *waits;
    long long stat_sync_full, stat_sync_partial_ok, stat_sync_partial_err;

    /* the link to our master */
    char *master_host; /* owned; NULL when we are a master */
    int master_port;
    int link;    /* enum link_state */
    int hs_step; /* enum hs_step */
    int hs_steps_left;
    conn *conn; /* owned while connecting / in handshake / transfer */
    client *master;
    sbuf in; /* handshake / payload header bytes */
    long long link_last_io_ms, link_down_since_ms, transfer_start_ms;
    int psync_possible; /* replid/offset describe our data: try PSYNC */
    int master_db;      /* the db the master stream had selected (for PSYNC) */
    /* transfer */
    char pending_replid[REPL_ID_SIZE + 1];
    long long pending_offset;
    int hdr_seen;
    repl_payload_hdr hdr;
    repl_eof_scan eof;
    int tmp_fd;
    char tmp_path[512];
    long long transfer_read, transfer_size;
    /* stream from the master client */
    repl_stream stream;
    int in_master_command; /* running a command the master sent */
    sbuf multi_raw;        /* bytes of a transaction of the master, counted at EXEC */
    long long last_ack_ms;
} repl_state;

static inline repl_state *repl_of(const server *srv) {
    return srv->repl;
}

/* replication.c */
void repl_new_replid(repl_state *r);
void repl_clear_replid2(repl_state *r);
void repl_backlog_create(repl_state *r);
void repl_backlog_drop(repl_state *r);
/* Appends raw stream bytes (what we send replicas) to the backlog and
 * wakes the replicas. */
void repl_stream_append(repl_state *r, const void *p, size_t len);
const char *repl_dir(const server *srv);

/* repl_master.c */
void repl_master_feed_sink(server *srv, void *ud, int dbid, sstr *argv, int argc, int flags);
void repl_master_cron(repl_state *r);
void repl_master_flush(repl_state *r);
void repl_master_client_free(repl_state *r, repl_client *rc);
void repl_disconnect_replicas(repl_state *r);
int repl_good_replicas(repl_state *r);
void repl_master_info(repl_state *r, sbuf *o);
void repl_master_role(repl_state *r, client *c);
void replconf_command(client *c);
void psync_command(client *c);
void sync_command(client *c);
void wait_command(client *c);
void repl_master_kill_job(repl_state *r);
/* Blocking: sends online replicas their pending stream, within budget_ms. */
void repl_master_drain(repl_state *r, long long budget_ms);

/* repl_replica.c */
/* from_config: the replicaof directive at start (no history of our own to offer) */
void repl_replica_set_master(repl_state *r, const char *host, int port, int from_config);
void repl_replica_unset_master(repl_state *r);
void repl_replica_cron(repl_state *r);
void repl_replica_master_freed(repl_state *r, client *c);
void repl_replica_send_ack(repl_state *r);
void repl_replica_info(repl_state *r, sbuf *o);
const char *repl_replica_state_name(const repl_state *r);
void repl_replica_free(repl_state *r);

#endif
