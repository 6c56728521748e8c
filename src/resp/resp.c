/* resp.c - RESP request parser and reply writer.
 *
 * The parser follows Redis 7.0's processMultibulkBuffer/processInlineBuffer
 * rule for rule, including their quirks, because clients and test suites
 * see them:
 * - header terminators are found the way strchr() finds them in Redis's
 *   NUL-terminated query buffer, so a NUL byte before the terminator means
 *   "never found" and only the 64 KiB limit ends the wait;
 * - the byte after '\r' in a header, and the two bytes after a bulk payload,
 *   are skipped without being checked;
 * - a multibulk count may be anything up to INT_MAX (Redis 7.0 no longer
 *   refuses counts above 1M; argv grows as arguments arrive).
 * Error texts are those Redis puts after "-ERR ".
 */
#include "resp.h"

#include "../core/cfgfile.h"
#include "../core/mem.h"
#include "../core/util.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RESP_UNAUTH_MBULK_MAX 10
#define RESP_UNAUTH_BULK_MAX 16384
#define RESP_ARGV_FIRST_CAP 1024 /* never trust the announced count for memory */

/* ---- parser state ---- */

static void parser_clear_args(resp_parser *p) {
    resp_free_args(p->argv, p->argc);
    p->argv = NULL;
    p->argc = 0;
    p->argv_cap = 0;
}

static void parser_clear_scan(resp_parser *p) {
    p->scan = 0;
    p->scan_blocked = 0;
}

void resp_parser_init(resp_parser *p) {
    memset(p, 0, sizeof(*p));
    p->bulk_len = -1;
}

void resp_parser_reset(resp_parser *p) {
    parser_clear_args(p);
    sstr_free(p->big);
    resp_parser_init(p);
}

void resp_parser_free(resp_parser *p) {
    resp_parser_reset(p);
}

void resp_free_args(sstr *argv, int argc) {
    if (!argv) return;
    for (int i = 0; i < argc; i++)
        sstr_free(argv[i]);
    sk_free(argv);
}

const char *resp_parser_error(const resp_parser *p) {
    return p->error;
}

/* Records the error as Redis would send it: CR and LF become spaces. */
__attribute__((format(printf, 2, 3))) static resp_status parser_fail(resp_parser *p,
                                                                     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof(p->error), fmt, ap);
    va_end(ap);
    for (char *c = p->error; *c; c++)
        if (*c == '\r' || *c == '\n') *c = ' ';
    if (!p->error[0]) /* never leave the "no error" marker behind */
        snprintf(p->error, sizeof(p->error), "Protocol error");
    return RESP_ERROR;
}

/* Appends an owned argument, growing argv as arguments arrive so that a
 * client announcing a huge count cannot make us allocate for it up front. */
static void parser_push_arg(resp_parser *p, sstr arg) {
    if (p->argc == p->argv_cap) {
        long long cap = p->argv_cap ? (long long)p->argv_cap * 2 : RESP_ARGV_FIRST_CAP;
        long long want = p->argc + p->mbulk_left;
        if (cap > want) cap = want;
        p->argv = sk_realloc(p->argv, (size_t)cap * sizeof(sstr));
        p->argv_cap = (int)cap;
    }
    p->argv[p->argc++] = arg;
}

/* Searches buf[0..len) (one header, starting at buf[0]) for `term` as strchr
 * would in a NUL-terminated buffer, resuming where the previous call for the
 * same header stopped, so bytes trickling in are each looked at once.
 * Returns the terminator's index or -1. */
static ptrdiff_t parser_find(resp_parser *p, const char *buf, size_t len, char term) {
    if (p->scan_blocked) return -1;
    for (size_t i = p->scan; i < len; i++) {
        if (buf[i] == term) {
            p->scan = i;
            return (ptrdiff_t)i;
        }
        if (buf[i] == '\0') {
            p->scan_blocked = 1;
            return -1;
        }
    }
    p->scan = len;
    return -1;
}

static int parse_ll(const char *s, size_t len, long long *out) {
    return len > 0 && util_str_to_ll(s, len, out);
}

/* ---- inline requests ---- */

static resp_status parse_inline(resp_parser *p, const char *buf, size_t len, size_t *pos) {
    ptrdiff_t nl = parser_find(p, buf, len, '\n');
    if (nl < 0) {
        if (len > RESP_INLINE_MAX) return parser_fail(p, "Protocol error: too big inline request");
        return RESP_NEED_MORE;
    }
    size_t qlen = (size_t)nl, eol = 1;
    if (qlen > 0 && buf[qlen - 1] == '\r') {
        qlen--;
        eol++;
    }
    int argc = 0;
    sstr *argv = cfgfile_split_args(buf, qlen, &argc);
    if (!argv) return parser_fail(p, "Protocol error: unbalanced quotes in request");
    parser_clear_scan(p);
    *pos = qlen + eol;
    /* Move the arguments into our own array so every argv we hand out is
     * freed the same way; cfgfile frees only its array when told argc 0. */
    if (argc > 0) {
        p->argv = sk_malloc((size_t)argc * sizeof(sstr));
        memcpy(p->argv, argv, (size_t)argc * sizeof(sstr));
        p->argc = p->argv_cap = argc;
    }
    cfgfile_free_args(argv, 0);
    return RESP_OK;
}

/* ---- multibulk requests ---- */

static resp_status parse_count(resp_parser *p, const char *buf, size_t len, const resp_limits *lim,
                               size_t *pos) {
    ptrdiff_t nl = parser_find(p, buf, len, '\r');
    if (nl < 0) {
        if (len > RESP_INLINE_MAX)
            return parser_fail(p, "Protocol error: too big mbulk count string");
        return RESP_NEED_MORE;
    }
    if ((size_t)nl + 2 > len) /* the '\n' (unchecked) has not arrived */
        return RESP_NEED_MORE;
    long long ll;
    if (!parse_ll(buf + 1, (size_t)nl - 1, &ll) || ll > INT_MAX)
        return parser_fail(p, "Protocol error: invalid multibulk length");
    if (ll > RESP_UNAUTH_MBULK_MAX && !lim->authenticated)
        return parser_fail(p, "Protocol error: unauthenticated multibulk length");
    parser_clear_scan(p);
    *pos = (size_t)nl + 2;
    if (ll <= 0) return RESP_OK;
    p->mbulk_left = ll;
    return RESP_NEED_MORE;
}

/* Parses a "$len\r\n" header starting at buf[0]; *used = bytes it takes. */
static resp_status parse_bulk_header(resp_parser *p, const char *buf, size_t len,
                                     const resp_limits *lim, size_t *used) {
    ptrdiff_t nl = parser_find(p, buf, len, '\r');
    if (nl < 0) {
        if (len > RESP_INLINE_MAX)
            return parser_fail(p, "Protocol error: too big bulk count string");
        return RESP_NEED_MORE;
    }
    if ((size_t)nl + 2 > len) return RESP_NEED_MORE;
    if (buf[0] != '$') return parser_fail(p, "Protocol error: expected '$', got '%c'", buf[0]);
    long long ll;
    if (!parse_ll(buf + 1, (size_t)nl - 1, &ll) || ll < 0 || ll > lim->max_bulk_len)
        return parser_fail(p, "Protocol error: invalid bulk length");
    if (ll > RESP_UNAUTH_BULK_MAX && !lim->authenticated)
        return parser_fail(p, "Protocol error: unauthenticated bulk length");
    parser_clear_scan(p);
    p->bulk_len = ll;
    *used = (size_t)nl + 2;
    return RESP_OK;
}

static void parser_arg_done(resp_parser *p, sstr arg) {
    parser_push_arg(p, arg);
    p->mbulk_left--;
    p->bulk_len = -1;
}

/* Continues a big argument: copies what the buffer holds, then takes the
 * two bytes that follow the payload. */
static resp_status parse_big_body(resp_parser *p, const char *buf, size_t len, size_t *pos) {
    size_t have = sstr_len(p->big);
    size_t missing = (size_t)p->bulk_len - have;
    size_t avail = len - *pos;
    size_t n = avail < missing ? avail : missing;
    if (n) {
        memcpy(p->big + have, buf + *pos, n);
        sstr_set_len(p->big, have + n);
        *pos += n;
    }
    if (n < missing || len - *pos < 2) return RESP_NEED_MORE;
    *pos += 2;
    sstr arg = p->big;
    p->big = NULL;
    parser_arg_done(p, arg);
    return RESP_OK;
}

static resp_status parse_bulk_body(resp_parser *p, const char *buf, size_t len, size_t *pos) {
    if (p->big) return parse_big_body(p, buf, len, pos);
    size_t blen = (size_t)p->bulk_len;
    size_t avail = len - *pos;
    if (avail >= blen + 2) {
        parser_arg_done(p, sstr_new(buf + *pos, blen));
        *pos += blen + 2;
        return RESP_OK;
    }
    if (blen < RESP_BIG_ARG)
        return RESP_NEED_MORE; /* small: wait until it is whole, then copy once */
    /* Big: reserve its final size now so the rest can be read (or copied)
     * straight into place. Reserved, not zeroed: untouched pages cost no
     * memory until the bytes arrive, as with Redis's query buffer. */
    p->big = sstr_make_room(sstr_empty(), blen);
    return parse_big_body(p, buf, len, pos);
}

static resp_status parse_multibulk(resp_parser *p, const char *buf, size_t len,
                                   const resp_limits *lim, size_t *pos) {
    resp_status st;
    if (p->mbulk_left == 0) {
        st = parse_count(p, buf, len, lim, pos);
        if (st != RESP_NEED_MORE || p->mbulk_left == 0) return st;
    }
    while (p->mbulk_left > 0) {
        if (p->bulk_len < 0) {
            size_t used = 0;
            st = parse_bulk_header(p, buf + *pos, len - *pos, lim, &used);
            if (st != RESP_OK) return st;
            *pos += used;
        }
        st = parse_bulk_body(p, buf, len, pos);
        if (st != RESP_OK) return st;
    }
    return RESP_OK;
}

resp_status resp_parse(resp_parser *p, const char *buf, size_t len, const resp_limits *lim,
                       size_t *consumed) {
    size_t pos = 0;
    *consumed = 0;
    if (p->error[0]) return RESP_ERROR;
    if (p->ready) /* the previous command was not taken: drop it */
        resp_parser_reset(p);
    if (p->kind == 0) {
        if (len == 0) return RESP_NEED_MORE;
        p->kind = buf[0] == '*' ? '*' : 'i';
    }
    resp_status st =
        p->kind == '*' ? parse_multibulk(p, buf, len, lim, &pos) : parse_inline(p, buf, len, &pos);
    *consumed = pos;
    if (st == RESP_OK) p->ready = 1;
    return st;
}

sstr *resp_parser_take_args(resp_parser *p, int *argc) {
    if (!p->ready) {
        *argc = 0;
        return NULL;
    }
    sstr *argv = p->argv;
    *argc = p->argc;
    p->argv = NULL;
    p->argc = 0;
    resp_parser_reset(p);
    return argv;
}

char *resp_parser_big_arg(resp_parser *p, size_t *room) {
    if (!p->big || p->error[0]) return NULL;
    size_t have = sstr_len(p->big);
    if (have >= (size_t)p->bulk_len) return NULL; /* only the trailing CRLF is missing */
    *room = (size_t)p->bulk_len - have;
    return p->big + have;
}

void resp_parser_big_arg_filled(resp_parser *p, size_t n) {
    size_t room;
    if (!resp_parser_big_arg(p, &room)) return;
    if (n > room) n = room; /* a caller bug; never run past the argument */
    sstr_set_len(p->big, sstr_len(p->big) + n);
}

/* ---- reply writer ---- */

static void add_prefixed_ll(sbuf *b, char prefix, long long v) {
    char num[32];
    int n = util_ll_to_str(num, sizeof(num), v);
    sbuf_reserve(b, (size_t)n + 3);
    sbuf_append_char(b, prefix);
    sbuf_append(b, num, (size_t)n);
    sbuf_append(b, "\r\n", 2);
}

void resp_add_simple(sbuf *b, const char *s) {
    size_t n = strlen(s);
    sbuf_reserve(b, n + 3);
    sbuf_append_char(b, '+');
    sbuf_append(b, s, n);
    sbuf_append(b, "\r\n", 2);
}

void resp_add_error(sbuf *b, const char *msg) {
    size_t n = strlen(msg);
    sbuf_append_char(b, '-');
    size_t start = b->len;
    sbuf_append(b, msg, n);
    /* A newline inside the message would end the reply early and desync
     * the client, so it is flattened as Redis does. */
    for (size_t i = start; i < start + n; i++)
        if (b->data[i] == '\r' || b->data[i] == '\n') b->data[i] = ' ';
    sbuf_append(b, "\r\n", 2);
}

void resp_add_errorf(sbuf *b, const char *fmt, ...) {
    sbuf tmp = SBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sbuf_vappendf(&tmp, fmt, ap);
    va_end(ap);
    resp_add_error(b, tmp.data ? tmp.data : "");
    sbuf_free(&tmp);
}

void resp_add_int(sbuf *b, long long v) {
    add_prefixed_ll(b, ':', v);
}

void resp_add_bulk(sbuf *b, const void *p, size_t len) {
    add_prefixed_ll(b, '$', (long long)len);
    sbuf_reserve(b, len + 2);
    sbuf_append(b, p, len);
    sbuf_append(b, "\r\n", 2);
}

void resp_add_bulk_cstr(sbuf *b, const char *s) {
    if (!s)
        resp_add_null(b);
    else
        resp_add_bulk(b, s, strlen(s));
}

void resp_add_bulk_ll(sbuf *b, long long v) {
    char num[32];
    int n = util_ll_to_str(num, sizeof(num), v);
    resp_add_bulk(b, num, (size_t)n);
}

void resp_add_null(sbuf *b) {
    sbuf_append(b, "$-1\r\n", 5);
}

void resp_add_null_array(sbuf *b) {
    sbuf_append(b, "*-1\r\n", 5);
}

void resp_add_array(sbuf *b, long long n) {
    add_prefixed_ll(b, '*', n);
}

void resp_add_map(sbuf *b, long long n, int resp3) {
    if (resp3)
        add_prefixed_ll(b, '%', n);
    else
        add_prefixed_ll(b, '*', n * 2);
}

void resp_add_set(sbuf *b, long long n, int resp3) {
    add_prefixed_ll(b, resp3 ? '~' : '*', n);
}

void resp_add_double(sbuf *b, double d, int resp3) {
    char num[64];
    int n;
    if (isinf(d)) {
        n = snprintf(num, sizeof(num), "%s", d > 0 ? "inf" : "-inf");
    } else {
        n = util_d_to_str(num, sizeof(num), d);
    }
    if (!resp3) {
        resp_add_bulk(b, num, (size_t)n);
        return;
    }
    sbuf_reserve(b, (size_t)n + 3);
    sbuf_append_char(b, ',');
    sbuf_append(b, num, (size_t)n);
    sbuf_append(b, "\r\n", 2);
}

void resp_add_verbatim(sbuf *b, const char *p, size_t len, const char *ext, int resp3) {
    if (!resp3) {
        resp_add_bulk(b, p, len);
        return;
    }
    /* RESP3: "=<len+4>\r\n" then a three-letter type, ':' and the text. */
    char type[3] = {'t', 'x', 't'};
    for (int i = 0; i < 3 && ext && ext[i]; i++)
        type[i] = ext[i];
    add_prefixed_ll(b, '=', (long long)len + 4);
    sbuf_reserve(b, len + 6);
    sbuf_append(b, type, 3);
    sbuf_append_char(b, ':');
    sbuf_append(b, p, len);
    sbuf_append(b, "\r\n", 2);
}
