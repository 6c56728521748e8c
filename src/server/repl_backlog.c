/* repl_backlog.c - the shared replication stream buffer (see the header). */
#include <string.h>
#include <strings.h>

#include "../core/err.h"
#include "../core/mem.h"
#include "repl_backlog.h"

void repl_buf_init(repl_buf *b, long long limit, long long end) {
    memset(b, 0, sizeof(*b));
    b->limit = limit;
    b->end = end;
    b->start = end + 1;
}

void repl_buf_free(repl_buf *b) {
    repl_block *blk = b->head;
    while (blk) {
        repl_block *next = blk->next;
        sk_free(blk);
        blk = next;
    }
    b->head = b->tail = NULL;
    b->held = 0;
    b->nblocks = 0;
    b->start = b->end + 1;
}

static repl_block *block_new(repl_buf *b, size_t want) {
    size_t size = want > REPL_BLOCK_SIZE ? want : REPL_BLOCK_SIZE;
    repl_block *blk = sk_malloc(sizeof(*blk) + size);
    blk->next = NULL;
    blk->refs = 0;
    blk->size = size;
    blk->used = 0;
    blk->offset = b->end + 1;
    if (b->tail)
        b->tail->next = blk;
    else
        b->head = blk;
    b->tail = blk;
    b->nblocks++;
    return blk;
}

/* Frees head blocks nobody stands in while the rest still holds limit
 * bytes. The tail always stays (cursors at the end stand in it). */
static void trim(repl_buf *b) {
    while (b->head && b->head != b->tail && b->head->refs == 0 &&
           (long long)(b->held - b->head->used) >= b->limit) {
        repl_block *blk = b->head;
        b->head = blk->next;
        b->held -= blk->used;
        b->nblocks--;
        sk_free(blk);
    }
    if (b->head)
        b->start = b->head->offset;
    else
        b->start = b->end + 1;
}

void repl_buf_append(repl_buf *b, const void *p, size_t len) {
    const char *src = p;
    while (len > 0) {
        repl_block *blk = b->tail;
        if (!blk || blk->used == blk->size) blk = block_new(b, len);
        size_t n = blk->size - blk->used;
        if (n > len) n = len;
        memcpy(blk->data + blk->used, src, n);
        blk->used += n;
        b->held += n;
        b->end += (long long)n;
        src += n;
        len -= n;
    }
    trim(b);
}

char *repl_buf_reserve(repl_buf *b, size_t len) {
    repl_block *blk = b->tail;
    if (!blk || blk->size - blk->used < len) blk = block_new(b, len);
    return blk->data + blk->used;
}

void repl_buf_commit(repl_buf *b, size_t len) {
    b->tail->used += len;
    b->held += len;
    b->end += (long long)len;
    trim(b);
}

void repl_buf_set_limit(repl_buf *b, long long limit) {
    b->limit = limit;
    trim(b);
}

int repl_buf_covers(const repl_buf *b, long long offset) {
    return offset >= b->start && offset <= b->end + 1;
}

int repl_cursor_attach(repl_buf *b, repl_cursor *cur, long long offset) {
    if (!repl_buf_covers(b, offset)) return SK_ENOTFOUND;
    repl_block *blk = b->head;
    /* The byte at offset lives in the first block whose range reaches it;
     * offset end + 1 stands at the end of the tail (an empty one if none). */
    while (blk && offset >= blk->offset + (long long)blk->used && blk->next)
        blk = blk->next;
    if (!blk) blk = block_new(b, 0);
    blk->refs++;
    cur->block = blk;
    cur->pos = (size_t)(offset - blk->offset);
    cur->offset = offset;
    return 0;
}

void repl_cursor_detach(repl_buf *b, repl_cursor *cur) {
    if (!cur->block) return;
    cur->block->refs--;
    cur->block = NULL;
    trim(b);
}

size_t repl_cursor_peek(repl_buf *b, repl_cursor *cur, const char **p) {
    repl_block *blk = cur->block;
    if (!blk) return 0;
    if (cur->pos == blk->used && blk->next) {
        /* Step into the next block. */
        blk->refs--;
        blk = blk->next;
        blk->refs++;
        cur->block = blk;
        cur->pos = 0;
        trim(b);
    }
    *p = blk->data + cur->pos;
    return blk->used - cur->pos;
}

void repl_cursor_advance(repl_buf *b, repl_cursor *cur, size_t n) {
    (void)b;
    cur->pos += n;
    cur->offset += (long long)n;
}

long long repl_cursor_pending(const repl_buf *b, const repl_cursor *cur) {
    return cur->block ? b->end + 1 - cur->offset : 0;
}

repl_psync_decision repl_psync_decide(const repl_psync_view *v, const char *req_replid,
                                      long long req_offset) {
    if (!strcmp(req_replid, "?")) return REPL_PSYNC_FULL_ASKED;
    if (strcasecmp(req_replid, v->replid) != 0) {
        /* Our previous history is shared only up to where it ended. */
        if (strcasecmp(req_replid, v->replid2) != 0 || req_offset > v->second_offset)
            return REPL_PSYNC_FULL_REPLID;
    }
    if (!v->backlog || !repl_buf_covers(v->backlog, req_offset)) return REPL_PSYNC_FULL_BACKLOG;
    return REPL_PSYNC_ACCEPT;
}
