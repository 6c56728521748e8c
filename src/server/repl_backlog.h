/* repl_backlog.h - the replication stream held once for the backlog and
 * for every replica.
 *
 * The stream is a list of blocks. The backlog is the tail of that list that
 * keeps at least `limit` bytes (repl-backlog-size); each replica reads it
 * through a cursor that pins the block it stands in, so a replica that lags
 * keeps the blocks it still has to send and nothing is copied per replica
 * (Redis 7.0's shared replication buffer has the same shape). Blocks that no
 * cursor pins and that the backlog no longer needs are freed at once.
 *
 * Offsets are Redis's: the stream's n-th byte ever written has offset n;
 * `end` is the offset of the last byte written (master_repl_offset) and
 * `start` the offset of the oldest byte still held. An empty buffer created
 * at offset o has start = o + 1, end = o.
 *
 * Pure memory operations, no I/O, so unit tests drive it directly. The
 * repl_buf is owned by its embedder; cursors are owned by their embedders
 * and must be detached before the buffer is freed.
 */
#ifndef SEALKV_SERVER_REPL_BACKLOG_H
#define SEALKV_SERVER_REPL_BACKLOG_H

#include <stddef.h>

#define REPL_BLOCK_SIZE (64 * 1024)

typedef struct repl_block {
    struct repl_block *next;
    int refs;         /* cursors standing in this block */
    size_t size;      /* bytes data can hold */
    size_t used;      /* bytes written */
    long long offset; /* stream offset of data[0] */
    char data[];
} repl_block;

typedef struct repl_buf {
    repl_block *head, *tail; /* owned */
    long long start, end;    /* see above */
    long long limit;         /* bytes the backlog keeps (repl-backlog-size) */
    size_t held;             /* bytes in all blocks: end - start + 1 */
    size_t nblocks;
} repl_buf;

typedef struct repl_cursor {
    repl_block *block; /* borrowed, pinned (refs) while attached; NULL when detached */
    size_t pos;        /* next byte to read in block */
    long long offset;  /* stream offset of that byte */
} repl_cursor;

/* An empty stream whose next byte will have offset end + 1. */
void repl_buf_init(repl_buf *b, long long limit, long long end);
/* Frees every block; cursors must be detached first. */
void repl_buf_free(repl_buf *b);
void repl_buf_append(repl_buf *b, const void *p, size_t len);
/* Writing in place: room for len contiguous bytes at the end (a new block
 * when the tail has less left; the tail's unused rest is then never used),
 * then commit how many were written (at most len) before any other call. */
char *repl_buf_reserve(repl_buf *b, size_t len);
void repl_buf_commit(repl_buf *b, size_t len);
/* Changes the backlog size; frees what the new size no longer needs. */
void repl_buf_set_limit(repl_buf *b, long long limit);
/* Non-zero when a reader could continue at offset (start <= offset <= end+1). */
int repl_buf_covers(const repl_buf *b, long long offset);

/* Positions cur at offset (the next byte it will read). 0, or SK_ENOTFOUND
 * when the buffer does not cover it. */
int repl_cursor_attach(repl_buf *b, repl_cursor *cur, long long offset);
void repl_cursor_detach(repl_buf *b, repl_cursor *cur);
/* Contiguous bytes available at the cursor: sets *p, returns their count
 * (0 when the reader has everything). */
size_t repl_cursor_peek(repl_buf *b, repl_cursor *cur, const char **p);
/* Moves past n bytes (n <= what peek returned). */
void repl_cursor_advance(repl_buf *b, repl_cursor *cur, size_t n);
/* Bytes the cursor still has to read. */
long long repl_cursor_pending(const repl_buf *b, const repl_cursor *cur);

/* PSYNC acceptance (Redis 7.0's rules): may a replica that asks for
 * (req_replid, req_offset = next byte it wants) continue from us? */
typedef struct repl_psync_view {
    const char *replid, *replid2; /* ours, and the previous one after a promotion */
    long long second_offset;      /* replid2 is valid up to this offset (exclusive) */
    const repl_buf *backlog;      /* NULL when there is none */
} repl_psync_view;

typedef enum {
    REPL_PSYNC_ACCEPT = 0,
    REPL_PSYNC_FULL_ASKED,   /* "?": the replica wants a full sync */
    REPL_PSYNC_FULL_REPLID,  /* unknown history (replid differs, or replid2 past its end) */
    REPL_PSYNC_FULL_BACKLOG, /* offset outside the backlog, or no backlog */
} repl_psync_decision;

repl_psync_decision repl_psync_decide(const repl_psync_view *v, const char *req_replid,
                                      long long req_offset);

#endif
