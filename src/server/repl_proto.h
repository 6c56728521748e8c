/* repl_proto.h - what a replica parses from its master, as pure functions.
 *
 * The replica reads, in order: replies to its handshake (one line each),
 * the PSYNC reply (+FULLRESYNC <replid> <offset> / +CONTINUE [<replid>] /
 * an error), for a full sync the payload header ("$<len>" or
 * "$EOF:<40-byte mark>", after any number of "\n" keep-alives) and the
 * payload (ending with the mark in EOF mode), then the command stream. These
 * functions take bytes and return results and bytes consumed; they do no I/O
 * and hold no client, so fuzz_repl drives them directly. Texts are Redis
 * 7.0's.
 */
#ifndef SEALKV_SERVER_REPL_PROTO_H
#define SEALKV_SERVER_REPL_PROTO_H

#include <stddef.h>

#include "../core/sbuf.h"
#include "../core/sstr.h"
#include "../resp/resp.h"

#define REPL_RUN_ID_SIZE 40
#define REPL_LINE_MAX 4096 /* a handshake line longer than this is an error */

/* Finds one CRLF (or bare LF) terminated line at buf. Returns 1 and sets
 * *linelen (without the terminator) and *consumed; 0 when incomplete;
 * -1 when longer than REPL_LINE_MAX. */
int repl_next_line(const char *buf, size_t len, size_t *linelen, size_t *consumed);

typedef enum {
    REPL_REPLY_FULLRESYNC = 1,
    REPL_REPLY_CONTINUE,
    REPL_REPLY_TRY_LATER, /* -NOMASTERLINK, -LOADING: the master is not ready */
    REPL_REPLY_ERROR,     /* any other error */
    REPL_REPLY_BAD        /* not a PSYNC reply at all */
} repl_reply_kind;

typedef struct repl_psync_reply {
    repl_reply_kind kind;
    char replid[REPL_RUN_ID_SIZE + 1]; /* FULLRESYNC, CONTINUE with an id; "" otherwise */
    long long offset;                  /* FULLRESYNC */
} repl_psync_reply;

/* Parses a PSYNC reply line (without its terminator). */
void repl_parse_psync_reply(const char *line, size_t len, repl_psync_reply *out);

typedef struct repl_payload_hdr {
    int eof_mode;                /* "$EOF:<mark>" */
    char mark[REPL_RUN_ID_SIZE]; /* eof_mode */
    long long size;              /* "$<len>" */
} repl_payload_hdr;

/* Parses the payload header line. 0, or SK_EPROTO when it is neither form
 * (a negative or unparsable length included). */
int repl_parse_payload_header(const char *line, size_t len, repl_payload_hdr *out);

/* Finds the EOF mark across chunks. The tracker remembers the last bytes
 * seen so a mark split between two reads is found. */
typedef struct repl_eof_scan {
    char mark[REPL_RUN_ID_SIZE];
    char tail[REPL_RUN_ID_SIZE - 1]; /* last bytes of the previous chunks */
    size_t tail_len;
} repl_eof_scan;

void repl_eof_scan_init(repl_eof_scan *s, const char mark[REPL_RUN_ID_SIZE]);
/* Returns the number of bytes of chunk up to and including the end of the
 * mark, or 0 when the mark has not ended in this chunk. */
size_t repl_eof_scan_feed(repl_eof_scan *s, const char *chunk, size_t len);

/* The command stream: bytes in, one command at a time out, with the exact
 * bytes it was made of (a replica counts them into its offset and forwards
 * them unchanged to its own replicas). */
typedef struct repl_stream {
    sbuf buf;         /* bytes from the last returned command on */
    size_t start;     /* where the command being parsed starts in buf */
    size_t parse_pos; /* bytes of buf already consumed by the parser */
    resp_parser parser;
    long long max_bulk_len;
} repl_stream;

void repl_stream_init(repl_stream *s, long long max_bulk_len);
void repl_stream_free(repl_stream *s);
void repl_stream_feed(repl_stream *s, const void *p, size_t len);
/* Where to read into directly: reserves room and returns it; then commit. */
char *repl_stream_space(repl_stream *s, size_t want, size_t *room);
void repl_stream_commit(repl_stream *s, size_t n);
/* 1: a command is ready: *argv (owned by the caller, free with
 * resp_free_args) and its raw bytes (*raw, *rawlen, valid until the next
 * call); argc may be 0 (an empty line) and then *argv is NULL. 0: more bytes
 * needed. -1: protocol error (text in *err). */
int repl_stream_next(repl_stream *s, sstr **argv, int *argc, const char **raw, size_t *rawlen,
                     const char **err);

#endif
