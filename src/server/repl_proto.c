/* repl_proto.c - the replica's parsers of its master's bytes (see header). */
#include <string.h>
#include <strings.h>

#include "../core/err.h"
#include "../core/util.h"
#include "repl_proto.h"

int repl_next_line(const char *buf, size_t len, size_t *linelen, size_t *consumed) {
    const char *nl = memchr(buf, '\n', len);
    if (!nl) return len > REPL_LINE_MAX ? -1 : 0;
    size_t n = (size_t)(nl - buf);
    if (n > REPL_LINE_MAX) return -1;
    *consumed = n + 1;
    if (n > 0 && buf[n - 1] == '\r') n--;
    *linelen = n;
    return 1;
}

static int starts_with(const char *line, size_t len, const char *lit) {
    size_t n = strlen(lit);
    return len >= n && !memcmp(line, lit, n);
}

static int is_replid(const char *p, size_t len) {
    if (len != REPL_RUN_ID_SIZE) return 0;
    for (size_t i = 0; i < len; i++)
        if ((p[i] < '0' || p[i] > '9') && (p[i] < 'a' || p[i] > 'f') && (p[i] < 'A' || p[i] > 'F'))
            return 0;
    return 1;
}

void repl_parse_psync_reply(const char *line, size_t len, repl_psync_reply *out) {
    memset(out, 0, sizeof(*out));
    out->kind = REPL_REPLY_BAD;
    if (starts_with(line, len, "+FULLRESYNC ")) {
        /* +FULLRESYNC <replid> <offset> */
        const char *id = line + 12;
        size_t rest = len - 12;
        if (rest < REPL_RUN_ID_SIZE + 2 || !is_replid(id, REPL_RUN_ID_SIZE) ||
            id[REPL_RUN_ID_SIZE] != ' ')
            return;
        long long off;
        const char *o = id + REPL_RUN_ID_SIZE + 1;
        if (!util_str_to_ll(o, rest - REPL_RUN_ID_SIZE - 1, &off) || off < 0) return;
        memcpy(out->replid, id, REPL_RUN_ID_SIZE);
        out->offset = off;
        out->kind = REPL_REPLY_FULLRESYNC;
        return;
    }
    if (starts_with(line, len, "+CONTINUE")) {
        const char *p = line + 9;
        size_t rest = len - 9;
        while (rest && *p == ' ') {
            p++;
            rest--;
        }
        if (rest == 0) {
            out->kind = REPL_REPLY_CONTINUE;
        } else if (is_replid(p, rest)) {
            memcpy(out->replid, p, REPL_RUN_ID_SIZE);
            out->kind = REPL_REPLY_CONTINUE;
        }
        return;
    }
    if (starts_with(line, len, "-NOMASTERLINK") || starts_with(line, len, "-LOADING")) {
        out->kind = REPL_REPLY_TRY_LATER;
        return;
    }
    if (len > 0 && line[0] == '-') out->kind = REPL_REPLY_ERROR;
}

int repl_parse_payload_header(const char *line, size_t len, repl_payload_hdr *out) {
    memset(out, 0, sizeof(*out));
    if (len < 2 || line[0] != '$') return SK_EPROTO;
    if (starts_with(line, len, "$EOF:")) {
        if (len != 5 + REPL_RUN_ID_SIZE) return SK_EPROTO;
        out->eof_mode = 1;
        memcpy(out->mark, line + 5, REPL_RUN_ID_SIZE);
        return 0;
    }
    long long n;
    if (!util_str_to_ll(line + 1, len - 1, &n) || n < 0) return SK_EPROTO;
    out->size = n;
    return 0;
}

void repl_eof_scan_init(repl_eof_scan *s, const char mark[REPL_RUN_ID_SIZE]) {
    memcpy(s->mark, mark, REPL_RUN_ID_SIZE);
    s->tail_len = 0;
}

size_t repl_eof_scan_feed(repl_eof_scan *s, const char *chunk, size_t len) {
    const size_t m = REPL_RUN_ID_SIZE;
    /* A mark that starts in the remembered tail and ends in this chunk. */
    if (s->tail_len) {
        char joint[2 * REPL_RUN_ID_SIZE];
        size_t take = len < m - 1 ? len : m - 1;
        memcpy(joint, s->tail, s->tail_len);
        memcpy(joint + s->tail_len, chunk, take);
        size_t jl = s->tail_len + take;
        for (size_t i = 0; i + m <= jl; i++) {
            if (i + m > s->tail_len && !memcmp(joint + i, s->mark, m)) return i + m - s->tail_len;
        }
    }
    const char *hit = len >= m ? memmem(chunk, len, s->mark, m) : NULL;
    if (hit) return (size_t)(hit - chunk) + m;
    /* Remember the last m - 1 bytes seen (from the old tail and this chunk). */
    if (len >= m - 1) {
        memcpy(s->tail, chunk + len - (m - 1), m - 1);
        s->tail_len = m - 1;
    } else {
        size_t keep = s->tail_len + len > m - 1 ? m - 1 - len : s->tail_len;
        memmove(s->tail, s->tail + s->tail_len - keep, keep);
        memcpy(s->tail + keep, chunk, len);
        s->tail_len = keep + len;
    }
    return 0;
}

/* ------------------------------------------------------------- stream */

void repl_stream_init(repl_stream *s, long long max_bulk_len) {
    sbuf_init(&s->buf);
    s->start = s->parse_pos = 0;
    resp_parser_init(&s->parser);
    s->max_bulk_len = max_bulk_len;
}

void repl_stream_free(repl_stream *s) {
    sbuf_free(&s->buf);
    resp_parser_free(&s->parser);
}

/* Bytes before parse_pos belong to the command being parsed (kept for its
 * raw form) until repl_stream_next returns it. */
static void compact(repl_stream *s) {
    if (s->start == 0) return;
    sbuf_consume(&s->buf, s->start);
    s->parse_pos -= s->start;
    s->start = 0;
}

void repl_stream_feed(repl_stream *s, const void *p, size_t len) {
    compact(s);
    sbuf_append(&s->buf, p, len);
}

char *repl_stream_space(repl_stream *s, size_t want, size_t *room) {
    compact(s);
    sbuf_reserve(&s->buf, want);
    *room = s->buf.cap - s->buf.len;
    return s->buf.data + s->buf.len;
}

void repl_stream_commit(repl_stream *s, size_t n) {
    sbuf_set_len(&s->buf, s->buf.len + n);
}

int repl_stream_next(repl_stream *s, sstr **argv, int *argc, const char **raw, size_t *rawlen,
                     const char **err) {
    if (s->parse_pos >= s->buf.len) return 0;
    resp_limits lim = {s->max_bulk_len, 1};
    size_t used = 0;
    resp_status st =
        resp_parse(&s->parser, s->buf.data + s->parse_pos, s->buf.len - s->parse_pos, &lim, &used);
    s->parse_pos += used;
    if (st == RESP_ERROR) {
        *err = resp_parser_error(&s->parser);
        return -1;
    }
    if (st == RESP_NEED_MORE) return 0;
    *argv = resp_parser_take_args(&s->parser, argc);
    /* The bytes stay until the next feed: moving them per command would
     * cost a copy of the whole buffer for each command of a pipeline. */
    *raw = s->buf.data + s->start;
    *rawlen = s->parse_pos - s->start;
    s->start = s->parse_pos;
    return 1;
}
